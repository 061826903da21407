//! The RTL fabric as a machine's engine: the rust-hdl routers and links of one of the generated
//! fabrics (2×2, 3×3, SpiNN-3), stepped by hand, with the same core endpoints as the fast model
//! (injection queues, one-packet receive buffers, monitor re-injection queues, dump reads).
//!
//! It behaves cycle for cycle as [`crate::FastEngine`] does: a machine run on either gives the
//! same deliveries, dumps and timing (`tests/engines.rs`). It is thousands of times slower, so
//! it suits small applications and waveform studies, and its routers hold 16 entries.

use crate::engine::Engine;
use crate::machine::LoadError;
use spinn_arch::{ChipCoord, Counter, McEntry, RouterControl, CORES_PER_CHIP, N_COUNTERS};
use spinn_model::{DumpRegisters, EndpointEvent, FabricStats};
use spinn_rtl::config::{simulate_fabric, FabricConfig, FabricKind};
use spinn_rtl::fabric::{FabricDriver, FabricInputs, FabricOutputs};
use spinn_rtl::{ConfigTarget, RouterParams};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// Multicast entries per router in the generated RTL fabrics.
pub const RTL_TABLE_ENTRIES: usize = spinn_rtl::config::FABRIC_TABLE_ENTRIES;

/// Cycles without a packet entering or leaving after which a fabric whose output stages are all
/// empty is taken to be idle: longer than a 72-bit link transit plus the router pipeline.
const IDLE_CYCLES: u64 = 64;

pub struct RtlEngine {
    driver: Box<dyn FabricDriver>,
    idle: FabricInputs,
    n_chips: usize,
    cycle: u64,
    /// Per core port (chip × 18 + core): packets waiting for the router, with their due cycle.
    queues: Vec<VecDeque<(u64, u128)>>,
    rx_full: Vec<bool>,
    rx_frees: BinaryHeap<Reverse<(u64, usize)>>,
    reinjections: Vec<VecDeque<(u128, u8, u32)>>,
    clear_dump: Vec<bool>,
    /// The registered outputs the next cycle starts from.
    state: FabricOutputs,
    events: Vec<EndpointEvent>,
    delivered: u64,
    reinjected: u64,
    last_activity: u64,
}

impl RtlEngine {
    /// Resets the fabric `kind` and loads each chip's router with its table (by coordinate) and
    /// `control`; links time as SpiNNaker's (19 and 33 cycles).
    pub fn new(
        kind: FabricKind,
        tables: &BTreeMap<ChipCoord, Vec<McEntry>>,
        control: RouterControl,
    ) -> Result<RtlEngine, LoadError> {
        let topology = kind.machine();
        let config = FabricConfig {
            kind,
            params: RouterParams {
                rotate_clockwise: false,
            },
            short_transit: spinn_model::LinkTiming::SPINNAKER.short_packet_cycles,
            long_transit: spinn_model::LinkTiming::SPINNAKER.long_packet_cycles,
        };
        let mut driver = simulate_fabric(&config);
        let shape = driver.shape();
        let idle = FabricInputs::idle(&shape);
        driver.cycle(&FabricInputs {
            reset: true,
            ..idle.clone()
        });
        let mut write = |chip: usize, target: ConfigTarget, index: usize, e: (u32, u32, u32)| {
            let mut inputs = idle.clone();
            inputs.cfg_write[chip] = true;
            (inputs.cfg_target, inputs.cfg_index) = (target as u8, index as u16);
            (inputs.cfg_key, inputs.cfg_mask, inputs.cfg_data) = e;
            driver.cycle(&inputs);
        };
        for (&chip, table) in tables {
            let c = topology
                .chip_index(chip)
                .ok_or(LoadError::DeadChip { chip })?;
            if table.len() > RTL_TABLE_ENTRIES {
                return Err(LoadError::TableTooLarge {
                    chip,
                    n_entries: table.len(),
                    capacity: RTL_TABLE_ENTRIES,
                });
            }
            for (idx, e) in table.iter().enumerate() {
                write(
                    c,
                    ConfigTarget::McEntry,
                    idx,
                    (e.key(), e.mask(), e.route().bits()),
                );
            }
        }
        for c in 0..shape.n_chips {
            write(c, ConfigTarget::Control, 0, (0, 0, control.to_register()));
        }
        let state = driver.registered();
        let n = shape.n_chips;
        Ok(RtlEngine {
            driver,
            idle,
            n_chips: n,
            cycle: 0,
            queues: vec![VecDeque::new(); n * CORES_PER_CHIP],
            rx_full: vec![false; n * CORES_PER_CHIP],
            rx_frees: BinaryHeap::new(),
            reinjections: vec![VecDeque::new(); n],
            clear_dump: vec![false; n],
            state,
            events: Vec::new(),
            delivered: 0,
            reinjected: 0,
            last_activity: 0,
        })
    }

    /// No work queued anywhere, every output stage empty and nothing moved for a while: stepping
    /// on changes no state.
    fn idle(&self) -> bool {
        self.queues.iter().all(VecDeque::is_empty)
            && self.reinjections.iter().all(VecDeque::is_empty)
            && self.rx_frees.is_empty()
            && !self.clear_dump.contains(&true)
            && self.state.output_stage_empty.iter().all(|&e| e)
            && self.cycle >= self.last_activity + IDLE_CYCLES
    }

    fn step(&mut self) {
        let now = self.cycle;
        while let Some(&Reverse((t, k))) = self.rx_frees.peek() {
            if t > now {
                break;
            }
            self.rx_frees.pop();
            self.rx_full[k] = false;
        }
        let mut inputs = self.idle.clone();
        for (k, queue) in self.queues.iter().enumerate() {
            if let Some(&(_, packet)) = queue.front().filter(|&&(at, _)| at <= now) {
                (inputs.core_in_valid[k], inputs.core_in_packet[k]) = (true, packet);
            }
            inputs.core_out_ready[k] = !self.rx_full[k];
        }
        for c in 0..self.n_chips {
            if self.clear_dump[c] {
                inputs.cfg_write[c] = true;
                inputs.cfg_target = ConfigTarget::DumpClear as u8;
            }
            if let Some(&(packet, source, route)) = self.reinjections[c]
                .front()
                .filter(|_| self.state.output_stage_empty[c])
            {
                inputs.reinject_valid[c] = true;
                inputs.reinject_packet[c] = packet;
                inputs.reinject_source[c] = source;
                inputs.reinject_route[c] = route;
            }
        }
        let out = self.driver.cycle(&inputs);
        for k in 0..self.queues.len() {
            let chip = k / CORES_PER_CHIP;
            if inputs.core_in_valid[k] && out.core_in_ready[k] {
                self.queues[k].pop_front();
                self.last_activity = now;
            }
            if out.core_out_valid[k] && inputs.core_out_ready[k] {
                self.rx_full[k] = true;
                self.delivered += 1;
                self.last_activity = now;
                self.events.push(EndpointEvent::Delivered {
                    cycle: now,
                    chip: chip as u32,
                    core: (k % CORES_PER_CHIP) as u8,
                    packet: out.core_out_packet[chip],
                });
            }
        }
        let after = self.driver.registered();
        for c in 0..self.n_chips {
            if inputs.reinject_valid[c] && out.reinject_ready[c] {
                self.reinjections[c].pop_front();
                self.reinjected += 1;
                self.last_activity = now;
            }
            // A status the monitor cleared this cycle counts as zero before it.
            let before = if self.clear_dump[c] {
                0
            } else {
                self.state.dump_status[c]
            };
            if after.dump_status[c] != before {
                self.events.push(EndpointEvent::Dumped {
                    cycle: now,
                    chip: c as u32,
                });
            }
            self.clear_dump[c] = false;
        }
        self.state = after;
        self.cycle += 1;
    }
}

impl Engine for RtlEngine {
    fn cycle(&self) -> u64 {
        self.cycle
    }

    fn run_until_event(&mut self, end: u64) {
        while self.cycle < end {
            if self.idle() {
                return;
            }
            self.step();
            if !self.events.is_empty() {
                return;
            }
        }
    }

    fn skip_to(&mut self, cycle: u64) {
        // An idle fabric's registers do not change: only time moves.
        self.cycle = self.cycle.max(cycle);
    }

    fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>) {
        into.append(&mut self.events);
    }

    fn is_quiet(&self) -> bool {
        self.idle()
    }

    fn free_receive(&mut self, chip: usize, core: usize, at: u64) {
        let at = at.max(self.cycle);
        self.rx_frees
            .push(Reverse((at, chip * CORES_PER_CHIP + core)));
    }

    fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128) {
        let queue = &mut self.queues[chip * CORES_PER_CHIP + core];
        let at = at.max(queue.back().map_or(0, |&(t, _)| t));
        queue.push_back((at, packet));
    }

    fn injection_backlog(&self, chip: usize, core: usize) -> usize {
        self.queues[chip * CORES_PER_CHIP + core].len()
    }

    fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32) {
        self.reinjections[chip].push_back((packet, source, route));
    }

    fn reinject_backlog(&self, chip: usize) -> usize {
        self.reinjections[chip].len()
    }

    fn take_dump(&mut self, chip: usize) -> DumpRegisters {
        let s = &mut self.state;
        let registers = DumpRegisters {
            header: s.dump_header[chip],
            key: s.dump_key[chip],
            payload: s.dump_payload[chip],
            outputs: s.dump_outputs[chip],
            status: s.dump_status[chip],
        };
        s.dump_status[chip] = 0;
        self.clear_dump[chip] = true;
        registers
    }

    fn counters(&self, chip: usize) -> [u32; N_COUNTERS] {
        std::array::from_fn(|k| self.state.counter(chip, k))
    }

    fn stats(&self) -> FabricStats {
        let sum = |counters: &[Counter]| -> u64 {
            (0..self.n_chips)
                .map(|c| {
                    counters
                        .iter()
                        .map(|k| self.state.counter(c, k.index()) as u64)
                        .sum::<u64>()
                })
                .sum()
        };
        FabricStats {
            router_cycles: self.cycle * self.n_chips as u64,
            router_steps: self.cycle * self.n_chips as u64,
            link_hops: sum(&[Counter::ExternalMc]),
            router_traversals: sum(&[
                Counter::LocalMc,
                Counter::ExternalMc,
                Counter::P2p,
                Counter::Nn,
                Counter::Fr,
            ]),
            delivered: self.delivered,
            link_busy_cycles: 0,
            reinjected: self.reinjected,
            payload_traversals: 0,
            // The RTL fabric takes no injected faults.
            transient_drops: 0,
            link_errors: 0,
        }
    }
}
