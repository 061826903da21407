//! `Fabric`: routers joined by links, with test endpoints on the core ports, stepped cycle by
//! cycle exactly as the RTL fabric (`hdl/rtl/src/fabric/`), but event-driven: a router that holds
//! no packet and is offered none is not visited, a packet in flight on a link costs nothing until
//! it arrives, and stretches where nothing can happen are skipped.
//!
//! Core endpoints: every core port has an injection queue (packets offered from a given cycle on,
//! in order, each held until the router takes it) and, on the output side, either a test sink
//! that takes every packet unless a blocked interval says otherwise ([`CoreEndpoints::Sinks`], as
//! the RTL fabric's testbench does), or a one-packet receive buffer per core
//! ([`CoreEndpoints::ReceiveBuffers`], the communications controller's Rx register): a delivery
//! fills it, and the router's output to that core stays blocked until the core's software frees
//! it (`free_receive`). That back-pressure is how SpiNNaker loses packets.
//! Every chip also has the monitor's re-injection queue, offered on the router's re-injection
//! input only while the output stage is empty, as SpiNNaker's monitor does.
//! Links a topology lacks are "edge" ports: nothing arrives on them and nothing leaves (their
//! outputs are never ready), as on a board's unconnected connector.
//!
//! With receive buffers, deliveries and dump-register changes are also reported as
//! [`EndpointEvent`]s, and [`Fabric::run_until_event`] returns after the cycle that produced one,
//! so the software on the cores can react in the right cycle.

use crate::link::{Link, LinkTiming};
use crate::router::{DumpRegisters, Offer, Router, RouterSetup, Sent, Step, REINJECT_INPUT};
use crate::trace::Tracer;
use spinn_arch::{
    ChipCoord, Counter, LinkDir, Machine, CORES_PER_CHIP, LINKS_PER_CHIP, N_COUNTERS,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A packet a core sink took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    pub cycle: u64,
    pub chip: u32,
    pub core: u8,
    pub packet: u128,
}

/// A change of a router's dump registers (a dump or an overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpEvent {
    pub cycle: u64,
    pub chip: u32,
    pub registers: DumpRegisters,
}

/// What the core ports' output side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreEndpoints {
    /// Test sinks: every packet is taken at once unless `block_sink` says otherwise.
    Sinks,
    /// One-packet receive buffers freed by the core (`free_receive`), with endpoint events.
    ReceiveBuffers,
}

/// Something the cores' software must react to, reported in receive-buffer mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointEvent {
    /// `packet` filled `core`'s receive buffer on `chip` at the edge of `cycle`.
    Delivered {
        cycle: u64,
        chip: u32,
        core: u8,
        packet: u128,
    },
    /// `chip`'s dump registers changed at the edge of `cycle` (a dump, or an overflow).
    Dumped { cycle: u64, chip: u32 },
}

/// Running totals kept whatever is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FabricStats {
    /// Router cycles simulated: cycles × routers, including skipped idle ones.
    pub router_cycles: u64,
    /// Router steps actually computed.
    pub router_steps: u64,
    /// Packets taken by links (one per hop between chips).
    pub link_hops: u64,
    /// Packets taken by routers from any input (one per router traversal).
    pub router_traversals: u64,
    /// Packets delivered to core sinks.
    pub delivered: u64,
    /// Cycles links spent carrying packets, summed over links.
    pub link_busy_cycles: u64,
    /// Packets the router took from monitors' re-injection queues.
    pub reinjected: u64,
    /// Router traversals by 72-bit packets (the rest are 40-bit): for energy estimates.
    pub payload_traversals: u64,
    /// Hand-overs a transient fault made fail, so that the router dumped the packet
    /// ([`TransientFaults`]).
    pub transient_drops: u64,
}

/// Transient faults injected into the fast model (the RTL has none): with probability
/// `drop_rate`, a router's hand-over of a packet to its outputs fails, and the router dumps the
/// packet as it dumps any it cannot deliver, for the monitor to re-inject. Drawn from their own
/// seeded generator, so a run with faults is as reproducible as one without.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransientFaults {
    pub drop_rate: f64,
    pub seed: u64,
}

/// [`TransientFaults`] while a run draws them.
#[derive(Debug, Clone)]
struct FaultDraws {
    /// `drop_rate` as a threshold on a 64-bit draw.
    drop_below: u64,
    rng: crate::rng::SplitMix64,
}

/// One link's traffic: the chips it joins, its direction from `from`, and the cycles it spent
/// carrying packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLoad {
    pub from: ChipCoord,
    pub to: ChipCoord,
    pub dir: LinkDir,
    pub busy_cycles: u64,
}

/// One router's load, from its diagnostic counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipLoad {
    pub chip: ChipCoord,
    /// Packets routed: multicast (local and external), P2P, nearest-neighbour, fixed-route.
    pub routed: u64,
    /// Packets dumped after wait2.
    pub dumped: u64,
    /// Packets lost here: dumped with nothing to re-inject them, or lost to a full dump
    /// register or re-injection queue (a machine with monitors says which).
    pub dropped: u64,
}

impl ChipLoad {
    /// The load of `chip`'s router from its `counters`, every dump counted as lost (no monitor
    /// re-injects it).
    pub fn from_counters(chip: ChipCoord, counters: &[u32; N_COUNTERS]) -> ChipLoad {
        let count = |c: Counter| counters[c.index()] as u64;
        let dumped = count(Counter::DumpedMc) + count(Counter::DumpedOther);
        ChipLoad {
            chip,
            routed: [
                Counter::LocalMc,
                Counter::ExternalMc,
                Counter::P2p,
                Counter::Nn,
                Counter::Fr,
            ]
            .into_iter()
            .map(count)
            .sum(),
            dumped,
            dropped: dumped + count(Counter::DumpOverflow),
        }
    }
}

/// Packets in the fabric that are neither delivered nor dropped, by where they wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Waiting in the cores' injection queues for their router to take them.
    pub injection_queues: usize,
    /// In routers' lookup registers and output stages.
    pub routers: usize,
    /// On links (transmitters and receive registers).
    pub links: usize,
    /// In the monitors' re-injection queues.
    pub reinjection_queues: usize,
}

impl Backlog {
    /// Packets queued at the cores, not yet in the network.
    pub fn queued(&self) -> usize {
        self.injection_queues
    }

    /// Packets in the network: routers, links and re-injection queues.
    pub fn in_flight(&self) -> usize {
        self.routers + self.links + self.reinjection_queues
    }
}

/// The chips and ports a link joins.
#[derive(Debug, Clone, Copy, Default)]
struct LinkEnds {
    from_chip: u32,
    from_output: u8,
    to_chip: u32,
    to_input: u8,
}

/// What the fabric keeps per chip to step its router, together because a router's step reads
/// all of it.
#[derive(Debug, Clone, Copy)]
struct ChipState {
    /// Inputs whose link offers a packet, kept up to date as links change.
    link_offers: u8,
    /// Outputs whose link transmitter is free, kept up to date as links change.
    link_ready: u8,
    /// Whether the router is on the active list.
    listed: bool,
    /// Core ports whose queue head is due (bit k for core k).
    core_offers: u32,
    /// Core receive buffers holding a packet, in output-port bits.
    rx_full: u32,
    /// The first cycle a sleeping router slept, or `u64::MAX` when awake.
    asleep_since: u64,
}

/// A traced chip's values in one cycle, before the clock edge.
struct ChipView {
    sent: Sent,
    counters: [u32; N_COUNTERS],
    dump_status: u32,
    empty: bool,
    link_offers: u8,
    link_ready: u8,
    core_offers: u32,
}

/// Packets offered on one core port: (first cycle offered, packet), in order.
type InjectionQueue = VecDeque<(u64, u128)>;

pub struct Fabric {
    machine: Machine,
    timing: LinkTiming,
    routers: Vec<Router>,
    /// `out_link[chip * 6 + l]`: the link chip's output l feeds.
    out_link: Vec<Option<u32>>,
    /// `in_link[chip * 6 + l]`: the link arriving on chip's input l.
    in_link: Vec<Option<u32>>,
    links: Vec<Link>,
    ends: Vec<LinkEnds>,
    /// Cycles each link has spent carrying packets.
    link_busy: Vec<u64>,
    /// What the fabric keeps per chip to step its router (see [`ChipState`]).
    chips: Vec<ChipState>,
    /// Router results of the current cycle, kept while tracing (and to reuse the allocation).
    results: Vec<(u32, Step)>,
    tracer: Option<Tracer>,
    trace_error: Option<std::io::Error>,
    /// Cycles at which sleeping routers' waits expire.
    expiry_wakes: BinaryHeap<Reverse<(u64, u32)>>,
    /// Routers asleep now.
    n_asleep: usize,
    sleeping: bool,
    injections: Vec<[InjectionQueue; CORES_PER_CHIP]>,
    /// Per chip: (core, first blocked cycle, first ready cycle again).
    blocked_sinks: Vec<Vec<(u8, u64, u64)>>,
    /// Whether any sink was ever blocked (the machine's receive buffers never are).
    any_blocked_sinks: bool,
    endpoints: CoreEndpoints,
    /// Receive buffers the cores free: (cycle from which the output is ready again, chip, core).
    rx_frees: BinaryHeap<Reverse<(u64, u32, u8)>>,
    /// Per chip: the monitor's packets waiting for the re-injection input.
    reinjections: Vec<VecDeque<Offer>>,
    endpoint_events: Vec<EndpointEvent>,
    cycle: u64,
    active: Vec<u32>,
    /// The previous cycle's active list, kept to reuse its allocation.
    active_spare: Vec<u32>,
    /// Injected packets falling due: (cycle, chip, core).
    chip_wakes: BinaryHeap<Reverse<(u64, u32, u8)>>,
    /// The earliest cycle in `chip_wakes`, `expiry_wakes` and `rx_frees` (`u64::MAX` if they
    /// are empty), so that a cycle with nothing due costs one comparison.
    next_due: u64,
    link_wakes: BinaryHeap<Reverse<(u64, u32)>>,
    touched: Vec<u32>,
    /// The previous cycle's touched links, kept to reuse the allocation.
    touched_spare: Vec<u32>,
    link_touched: Vec<bool>,
    link_taken: Vec<bool>,
    link_sent: Vec<Option<u128>>,
    record: bool,
    deliveries: Vec<Delivery>,
    dumps: Vec<DumpEvent>,
    stats: FabricStats,
    faults: Option<FaultDraws>,
}

impl Fabric {
    /// A fabric of `machine`'s chips, each router set up by `setup(chip)`.
    pub fn new(
        machine: Machine,
        timing: LinkTiming,
        mut setup: impl FnMut(ChipCoord) -> RouterSetup,
    ) -> Fabric {
        let n = machine.n_chips();
        let mut out_link = vec![None; n * LINKS_PER_CHIP];
        let mut in_link = vec![None; n * LINKS_PER_CHIP];
        let mut ends = Vec::new();
        for (idx, chip) in machine.chips().enumerate() {
            for (dir, far) in machine.links(chip) {
                let far_idx = machine
                    .chip_index(far)
                    .expect("invariant: links join live chips");
                let link = ends.len() as u32;
                ends.push(LinkEnds {
                    from_chip: idx as u32,
                    from_output: dir.index() as u8,
                    to_chip: far_idx as u32,
                    to_input: dir.opposite().index() as u8,
                });
                out_link[idx * LINKS_PER_CHIP + dir.index()] = Some(link);
                in_link[far_idx * LINKS_PER_CHIP + dir.opposite().index()] = Some(link);
            }
        }
        let n_links = ends.len();
        let link_ready: Vec<u8> = (0..n)
            .map(|c| {
                (0..LINKS_PER_CHIP)
                    .filter(|&l| out_link[c * LINKS_PER_CHIP + l].is_some())
                    .fold(0u8, |acc, l| acc | 1 << l)
            })
            .collect();
        Fabric {
            routers: machine.chips().map(|c| Router::new(setup(c))).collect(),
            injections: (0..n)
                .map(|_| std::array::from_fn(|_| VecDeque::new()))
                .collect(),
            blocked_sinks: vec![Vec::new(); n],
            any_blocked_sinks: false,
            endpoints: CoreEndpoints::Sinks,
            rx_frees: BinaryHeap::new(),
            reinjections: vec![VecDeque::new(); n],
            endpoint_events: Vec::new(),
            machine,
            timing,
            out_link,
            in_link,
            links: vec![Link::default(); n_links],
            ends,
            link_busy: vec![0; n_links],
            chips: link_ready
                .into_iter()
                .map(|link_ready| ChipState {
                    link_offers: 0,
                    link_ready,
                    listed: false,
                    core_offers: 0,
                    rx_full: 0,
                    asleep_since: u64::MAX,
                })
                .collect(),
            results: Vec::new(),
            tracer: None,
            trace_error: None,
            expiry_wakes: BinaryHeap::new(),
            n_asleep: 0,
            sleeping: true,
            cycle: 0,
            active: Vec::new(),
            active_spare: Vec::new(),
            chip_wakes: BinaryHeap::new(),
            next_due: u64::MAX,
            link_wakes: BinaryHeap::new(),
            touched: Vec::new(),
            touched_spare: Vec::new(),
            link_touched: vec![false; n_links],
            link_taken: vec![false; n_links],
            link_sent: vec![None; n_links],
            record: true,
            deliveries: Vec::new(),
            dumps: Vec::new(),
            stats: FabricStats::default(),
            faults: None,
        }
    }

    /// Injects `faults` from now on (a rate of 0 injects none).
    ///
    /// # Panics
    /// If the rate is not a probability (callers validate user input).
    pub fn set_transient_faults(&mut self, faults: &TransientFaults) {
        assert!(
            (0.0..=1.0).contains(&faults.drop_rate),
            "invariant: a drop rate is a probability"
        );
        // 2^64 · rate, saturating at every draw for a rate of 1.
        let drop_below = (faults.drop_rate * 2f64.powi(64)).min(u64::MAX as f64) as u64;
        self.faults = (drop_below > 0).then(|| FaultDraws {
            drop_below,
            rng: crate::rng::SplitMix64::new(faults.seed),
        });
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    #[inline]
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    pub fn router(&self, chip: usize) -> &Router {
        &self.routers[chip]
    }

    pub fn counters(&self, chip: usize) -> &[u32; N_COUNTERS] {
        self.routers[chip].counters()
    }

    pub fn stats(&self) -> FabricStats {
        self.stats
    }

    /// Chooses what the core ports' outputs are (test sinks unless set).
    pub fn set_core_endpoints(&mut self, endpoints: CoreEndpoints) {
        self.endpoints = endpoints;
    }

    #[inline]
    /// Hands over the endpoint events since the last call (receive-buffer mode only).
    pub fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>) {
        into.append(&mut self.endpoint_events);
    }

    #[inline]
    /// Frees `core`'s receive buffer on `chip` from cycle `at` on (not before the next cycle):
    /// the router's output to the core is ready again from then.
    pub fn free_receive(&mut self, chip: usize, core: usize, at: u64) {
        let at = at.max(self.cycle);
        self.rx_frees.push(Reverse((at, chip as u32, core as u8)));
        self.next_due = self.next_due.min(at);
    }

    #[inline]
    /// Packets waiting on `chip`'s core port `core` for the router to take them.
    pub fn injection_backlog(&self, chip: usize, core: usize) -> usize {
        self.injections[chip][core].len()
    }

    /// Queues a packet for `chip`'s re-injection input: it counts as arriving on `source` and
    /// goes only to `route` (a dump's undelivered outputs) when non-zero.
    pub fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32) {
        self.reinjections[chip].push_back(Offer {
            packet,
            source,
            override_route: route,
        });
        // A frozen router sees it when it wakes; one asleep with an empty lookup register
        // takes it now.
        if self.chips[chip].asleep_since == u64::MAX || self.routers[chip].lookup_empty() {
            self.list(chip as u32);
        }
    }

    #[inline]
    /// Packets waiting in `chip`'s re-injection queue.
    pub fn reinject_backlog(&self, chip: usize) -> usize {
        self.reinjections[chip].len()
    }

    /// Reads and clears `chip`'s dump registers, as the monitor's dump handler does.
    pub fn take_dump(&mut self, chip: usize) -> DumpRegisters {
        let registers = self.routers[chip].dump();
        self.routers[chip].clear_dump();
        registers
    }

    /// Whether routers may sleep while blocked with nothing offered (on by default; turning it
    /// off only makes runs slower).
    pub fn set_sleeping(&mut self, on: bool) {
        self.sleeping = on;
    }

    /// Whether deliveries and dumps are kept (on by default; benchmarks turn it off).
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
    }

    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    /// Writes a VCD of `chips` (fabric chip indices) and the links into and out of them for the
    /// cycles in `window`, named as in the RTL fabric's VCD (see `trace`).
    pub fn trace_to(
        &mut self,
        writer: Box<dyn std::io::Write>,
        chips: &[usize],
        window: std::ops::Range<u64>,
    ) -> std::io::Result<()> {
        let chips: Vec<u32> = chips.iter().map(|&c| c as u32).collect();
        let links: Vec<u32> = (0..self.links.len() as u32)
            .filter(|&l| {
                let e = self.ends[l as usize];
                chips.contains(&e.from_chip) || chips.contains(&e.to_chip)
            })
            .collect();
        self.tracer = Some(Tracer::new(writer, &chips, &links, window)?);
        Ok(())
    }

    /// Ends the trace and flushes the file; reports a write that failed during the run.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        if let Some(err) = self.trace_error.take() {
            return Err(err);
        }
        match self.tracer.take() {
            Some(mut t) => t.finish(self.cycle),
            None => Ok(()),
        }
    }

    fn trace_start(&self) -> Option<u64> {
        self.tracer.as_ref().map(|t| t.window.start)
    }

    fn tracing(&self, cycle: u64) -> bool {
        self.tracer
            .as_ref()
            .is_some_and(|t| t.window.contains(&cycle))
    }

    /// The pre-edge values of the traced chips.
    fn trace_views(&self) -> Vec<ChipView> {
        let tracer = self.tracer.as_ref().expect("invariant: tracing");
        tracer
            .chips
            .iter()
            .map(|s| {
                let c = s.chip as usize;
                let r = &self.routers[c];
                ChipView {
                    sent: r.offered(),
                    counters: *r.counters(),
                    dump_status: r.dump().status,
                    empty: r.output_stage_empty(),
                    link_offers: self.chips[c].link_offers,
                    link_ready: self.chips[c].link_ready,
                    core_offers: self.chips[c].core_offers,
                }
            })
            .collect()
    }

    fn write_trace(
        &mut self,
        now: u64,
        views: Vec<ChipView>,
        links: Vec<(bool, bool, u128)>,
        results: &[(u32, Step)],
    ) -> std::io::Result<()> {
        let mut tracer = self.tracer.take().expect("invariant: tracing");
        for (i, view) in views.into_iter().enumerate() {
            let ChipView {
                sent,
                counters,
                dump_status,
                empty,
                link_offers,
                link_ready,
                core_offers,
            } = view;
            let chip = tracer.chips[i].chip;
            let taken = results
                .iter()
                .find(|(c, _)| *c == chip)
                .and_then(|(_, s)| s.taken);
            let ids = &tracer.chips[i];
            let mut changes: Vec<(vcd::IdCode, u32, u128)> = Vec::new();
            for l in 0..LINKS_PER_CHIP {
                changes.push((ids.link_in_valid[l], 1, (link_offers >> l & 1) as u128));
                changes.push((ids.link_in_ready[l], 1, (taken == Some(l)) as u128));
                changes.push((ids.link_out_valid[l], 1, (sent.outputs >> l & 1) as u128));
                changes.push((ids.link_out_ready[l], 1, (link_ready >> l & 1) as u128));
                changes.push((ids.link_out_packet[l], 72, sent.packet(l)));
            }
            for k in 0..CORES_PER_CHIP {
                changes.push((ids.core_in_valid[k], 1, (core_offers >> k & 1) as u128));
                changes.push((
                    ids.core_in_ready[k],
                    1,
                    (taken == Some(LINKS_PER_CHIP + k)) as u128,
                ));
                changes.push((
                    ids.core_out_valid[k],
                    1,
                    (sent.outputs >> (LINKS_PER_CHIP + k) & 1) as u128,
                ));
            }
            changes.push((ids.core_out_packet, 72, sent.packet(LINKS_PER_CHIP)));
            changes.push((ids.output_stage_empty, 1, empty as u128));
            changes.push((ids.dump_status, 32, dump_status as u128));
            for (k, value) in counters.iter().enumerate() {
                changes.push((ids.count[k], 32, *value as u128));
            }
            for (id, width, value) in changes {
                tracer.change(now, id, width, value)?;
            }
        }
        for (j, (ready, valid, packet)) in links.into_iter().enumerate() {
            let ids = &tracer.links[j];
            let (a, b, c) = (ids.in_ready, ids.out_valid, ids.out_packet);
            tracer.change(now, a, 1, ready as u128)?;
            tracer.change(now, b, 1, valid as u128)?;
            tracer.change(now, c, 72, packet)?;
        }
        self.tracer = Some(tracer);
        Ok(())
    }

    /// Every link's traffic so far, in the machine's chip order and then by direction.
    pub fn link_loads(&self) -> Vec<LinkLoad> {
        self.ends
            .iter()
            .zip(&self.link_busy)
            .map(|(ends, &busy_cycles)| LinkLoad {
                from: self.machine.chip_at(ends.from_chip as usize),
                to: self.machine.chip_at(ends.to_chip as usize),
                dir: LinkDir::ALL[ends.from_output as usize],
                busy_cycles,
            })
            .collect()
    }

    /// Every router's load so far, in the machine's chip order.
    pub fn chip_loads(&self) -> Vec<ChipLoad> {
        self.routers
            .iter()
            .enumerate()
            .map(|(c, r)| ChipLoad::from_counters(self.machine.chip_at(c), r.counters()))
            .collect()
    }

    /// Packets not yet delivered nor dropped: where they wait.
    pub fn backlog(&self) -> Backlog {
        Backlog {
            injection_queues: self.injections.iter().flatten().map(VecDeque::len).sum(),
            routers: self.routers.iter().map(Router::packets_held).sum(),
            links: self.links.iter().map(Link::packets_held).sum(),
            reinjection_queues: self.reinjections.iter().map(VecDeque::len).sum(),
        }
    }

    /// The most cycles any one link has spent carrying packets.
    pub fn max_link_busy(&self) -> u64 {
        self.link_busy.iter().copied().max().unwrap_or(0)
    }

    /// Hands over the deliveries recorded so far and forgets them.
    pub fn take_deliveries(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.deliveries)
    }

    pub fn dumps(&self) -> &[DumpEvent] {
        &self.dumps
    }

    /// The packet offered on `chip`'s input link `dir`, if one waits there.
    pub fn link_offer(&self, chip: usize, dir: LinkDir) -> Option<u128> {
        self.in_link[chip * LINKS_PER_CHIP + dir.index()]
            .and_then(|l| self.links[l as usize].offered())
    }

    #[inline]
    /// Offers `packet` on `chip`'s core port `core` from cycle `at` on, after any packet queued
    /// there before it.
    pub fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128) {
        let queue = &mut self.injections[chip][core];
        let at = at.max(queue.back().map_or(0, |&(t, _)| t));
        queue.push_back((at, packet));
        self.chip_wakes.push(Reverse((at, chip as u32, core as u8)));
        self.next_due = self.next_due.min(at);
    }

    /// Makes `chip`'s core sink `core` refuse packets in cycles `from..to`.
    pub fn block_sink(&mut self, chip: usize, core: usize, from: u64, to: u64) {
        self.blocked_sinks[chip].push((core as u8, from, to));
        self.any_blocked_sinks = true;
    }

    #[inline]
    fn sink_ready(&self, chip: usize, now: u64) -> u32 {
        let ready = (((1u32 << CORES_PER_CHIP) - 1) << LINKS_PER_CHIP) & !self.chips[chip].rx_full;
        if !self.any_blocked_sinks {
            return ready;
        }
        self.blocked_sink_ready(chip, now, ready)
    }

    /// `ready` less the sinks of `chip` blocked in cycle `now`.
    fn blocked_sink_ready(&self, chip: usize, now: u64, mut ready: u32) -> u32 {
        for &(core, from, to) in &self.blocked_sinks[chip] {
            if (from..to).contains(&now) {
                ready &= !(1 << (LINKS_PER_CHIP + core as usize));
            }
        }
        ready
    }

    #[inline]
    fn list(&mut self, chip: u32) {
        if !self.chips[chip as usize].listed {
            self.chips[chip as usize].listed = true;
            self.active.push(chip);
        }
    }

    #[inline]
    /// Packets waiting anywhere: in routers, on links or in injection queues.
    pub fn is_quiet(&self) -> bool {
        self.active.is_empty()
            && self.link_wakes.is_empty()
            && self.chip_wakes.is_empty()
            // An expiry wake of a router that woke early is stale: count the sleepers instead.
            && self.n_asleep == 0
            && self.rx_frees.is_empty()
    }

    #[inline]
    /// Steps until cycle `end` (exclusive), until a cycle produces an endpoint event, or until
    /// the fabric is quiet, whichever comes first; returns whether it stopped for an event.
    pub fn run_until_event(&mut self, end: u64) -> bool {
        self.run(end, true)
    }

    #[inline]
    /// Moves time on to `cycle` while the fabric is quiet (nothing can happen meanwhile).
    pub fn skip_to(&mut self, cycle: u64) {
        debug_assert!(self.is_quiet(), "only a quiet fabric may skip");
        if cycle > self.cycle {
            self.stats.router_cycles += (cycle - self.cycle) * self.routers.len() as u64;
            self.cycle = cycle;
        }
    }

    /// Steps until cycle `end` (exclusive), skipping cycles in which nothing can happen.
    pub fn run_until(&mut self, end: u64) {
        self.run(end, false);
    }

    fn run(&mut self, end: u64, stop_on_events: bool) -> bool {
        while self.cycle < end {
            // Wakes may leave nothing to do (a receive buffer freeing with no router waiting).
            self.wake_due();
            if stop_on_events && self.is_quiet() {
                return false;
            }
            if self.active.is_empty() && !self.links_due() && !self.tracing(self.cycle) {
                let next = self
                    .link_wakes
                    .peek()
                    .map_or(u64::MAX, |Reverse((t, _))| *t)
                    .min(self.next_due)
                    // The trace window's first cycle is written even if nothing happens in it.
                    .min(
                        self.trace_start()
                            .filter(|&t| t > self.cycle)
                            .unwrap_or(u64::MAX),
                    )
                    .clamp(self.cycle + 1, end);
                self.stats.router_cycles += (next - self.cycle) * self.routers.len() as u64;
                self.cycle = next;
                continue;
            }
            self.step_woken();
            if stop_on_events && !self.endpoint_events.is_empty() {
                return true;
            }
        }
        false
    }

    /// Handles what falls due in this cycle: injected packets reaching their due cycle, sleepers'
    /// wait expiries and freed receive buffers. Most cycles have none, which `next_due` (the
    /// earliest of the three) answers at once.
    #[inline]
    fn wake_due(&mut self) {
        if self.cycle >= self.next_due {
            self.wake_due_now();
        }
    }

    fn wake_due_now(&mut self) {
        while let Some(&Reverse((t, chip, core))) = self.chip_wakes.peek() {
            if t > self.cycle {
                break;
            }
            self.chip_wakes.pop();
            self.refresh_core_offer(chip as usize, core as usize, self.cycle);
            // A frozen router cannot take the packet yet; it sees it when it wakes. One asleep
            // with an empty lookup register takes it now.
            if self.chips[chip as usize].asleep_since == u64::MAX
                || self.routers[chip as usize].lookup_empty()
            {
                self.list(chip);
            }
        }
        while let Some(&Reverse((t, chip))) = self.expiry_wakes.peek() {
            if t > self.cycle {
                break;
            }
            self.expiry_wakes.pop();
            self.list(chip);
        }
        while let Some(&Reverse((t, chip, core))) = self.rx_frees.peek() {
            if t > self.cycle {
                break;
            }
            self.rx_frees.pop();
            self.chips[chip as usize].rx_full &= !(1 << (LINKS_PER_CHIP + core as usize));
            // This wakes a router asleep on that core, which is why such routers may sleep. An
            // awake router that is not listed is idle with nothing offered: it has nothing to do.
            if self.chips[chip as usize].asleep_since != u64::MAX {
                self.list(chip);
            }
        }
        self.next_due = self.earliest_due();
    }

    /// The earliest cycle of a pending injection, expiry or receive-buffer wake (`u64::MAX` if
    /// there is none).
    fn earliest_due(&self) -> u64 {
        let chip = self
            .chip_wakes
            .peek()
            .map_or(u64::MAX, |Reverse((t, _, _))| *t);
        let expiry = self
            .expiry_wakes
            .peek()
            .map_or(u64::MAX, |Reverse((t, _))| *t);
        let rx = self
            .rx_frees
            .peek()
            .map_or(u64::MAX, |Reverse((t, _, _))| *t);
        chip.min(expiry).min(rx)
    }

    #[inline]
    /// Recomputes whether `chip`'s core queue `core` offers a packet in cycle `at`. (The other
    /// queues' bits stay up to date: each packet's wake comes when it falls due, and taking a
    /// packet updates its queue's bit.)
    fn refresh_core_offer(&mut self, chip: usize, core: usize, at: u64) {
        let due = self.injections[chip][core]
            .front()
            .is_some_and(|&(t, _)| t <= at);
        self.chips[chip].core_offers =
            (self.chips[chip].core_offers & !(1 << core)) | (due as u32) << core;
    }

    #[inline]
    fn links_due(&self) -> bool {
        self.link_wakes
            .peek()
            .is_some_and(|Reverse((t, _))| *t <= self.cycle)
    }

    #[inline]
    fn touch(&mut self, link: u32) {
        if !self.link_touched[link as usize] {
            self.link_touched[link as usize] = true;
            self.touched.push(link);
        }
    }

    /// The hand-overs of `chip`'s router step in cycle `now`: links taken from and sent to,
    /// core packets taken and delivered (deliveries' endpoint events go at the end of
    /// `endpoint_events`).
    fn hand_over(&mut self, now: u64, chip: u32, step: &Step) {
        let c = chip as usize;
        match step.taken {
            Some(REINJECT_INPUT) => {
                let offer = self.reinjections[c]
                    .pop_front()
                    .expect("invariant: a taken re-injection was queued");
                self.stats.payload_traversals += (offer.packet >> 1 & 1) as u64;
                self.stats.reinjected += 1;
            }
            Some(input) if input < LINKS_PER_CHIP => {
                let link =
                    self.in_link[c * LINKS_PER_CHIP + input].expect("invariant: taken links exist");
                // The taken packet stays in the link's receive register until the link's edge.
                let packet = self.links[link as usize]
                    .offered()
                    .expect("invariant: a taken link offered a packet");
                self.stats.payload_traversals += (packet >> 1 & 1) as u64;
                self.touch(link);
                self.link_taken[link as usize] = true;
            }
            Some(input) => {
                let core = input - LINKS_PER_CHIP;
                let (_, packet) = self.injections[c][core]
                    .pop_front()
                    .expect("invariant: taken queues are non-empty");
                self.stats.payload_traversals += (packet >> 1 & 1) as u64;
                self.refresh_core_offer(c, core, now + 1);
            }
            None => {}
        }
        let mut outputs = step.sent.outputs;
        while outputs != 0 {
            let port = outputs.trailing_zeros() as usize;
            outputs &= outputs - 1;
            let packet = step.sent.packet(port);
            if port < LINKS_PER_CHIP {
                let link =
                    self.out_link[c * LINKS_PER_CHIP + port].expect("invariant: ready links exist");
                self.touch(link);
                self.link_sent[link as usize] = Some(packet);
                self.stats.link_hops += 1;
                let busy = self.timing.transit(packet >> 1 & 1 == 1) as u64;
                self.stats.link_busy_cycles += busy;
                self.link_busy[link as usize] += busy;
            } else {
                self.stats.delivered += 1;
                let core = (port - LINKS_PER_CHIP) as u8;
                if self.endpoints == CoreEndpoints::ReceiveBuffers {
                    self.chips[c].rx_full |= 1 << port;
                    self.endpoint_events.push(EndpointEvent::Delivered {
                        cycle: now,
                        chip,
                        core,
                        packet,
                    });
                }
                if self.record {
                    self.deliveries.push(Delivery {
                        cycle: now,
                        chip,
                        core,
                        packet,
                    });
                }
            }
        }
    }

    /// One clock cycle of every router and link.
    pub fn step(&mut self) {
        self.wake_due();
        self.step_woken();
    }

    /// [`Fabric::step`] once `wake_due` has run in this cycle, in four phases: the listed
    /// routers wake; they step, each handing its packets over at once; the links take their
    /// clock edge; and each stepped router stays listed, falls asleep or goes idle.
    fn step_woken(&mut self) {
        let now = self.cycle;
        self.stats.router_cycles += self.routers.len() as u64;
        if self.active.len() == 1 && self.tracer.is_none() {
            // The usual case while little is moving (a packet on its way through one router):
            // the same phases for the one router, without the list's bookkeeping.
            let chip = self.active[0];
            self.active.clear();
            self.wake_router(chip, now);
            let first_delivery = self.endpoint_events.len();
            self.step_router(chip, now, first_delivery, &mut 0);
            self.link_edges(now);
            self.settle_router(chip, now);
            self.cycle += 1;
            return;
        }
        let tracing = self.tracing(now);
        if tracing && self.n_asleep > 0 {
            // The trace shows every traced router's registers as they are: wake the sleepers
            // (none fall asleep inside the window).
            for chip in 0..self.routers.len() {
                if self.chips[chip].asleep_since != u64::MAX {
                    self.list(chip as u32);
                }
            }
        }
        let traced = tracing.then(|| self.trace_snapshot());
        let spare = std::mem::take(&mut self.active_spare);
        let mut active = std::mem::replace(&mut self.active, spare);
        // Chip order makes the logs deterministic; routers only read pre-edge state.
        active.sort_unstable();
        for &chip in &active {
            self.wake_router(chip, now);
        }
        let mut results = std::mem::take(&mut self.results);
        results.clear();
        // This cycle's deliveries are reported after its dumps: dumps go in before them.
        let first_delivery = self.endpoint_events.len();
        let mut n_dumps = 0;
        for &chip in &active {
            let step = self.step_router(chip, now, first_delivery, &mut n_dumps);
            if let (Some(step), true) = (step, traced.is_some()) {
                results.push((chip, step));
            }
        }
        if let Some((views, links)) = traced {
            // A failed write stops the trace, not the simulation; `finish_trace` reports it.
            if let Err(err) = self.write_trace(now, views, links, &results) {
                self.tracer = None;
                self.trace_error = Some(err);
            }
        }
        self.results = results;
        self.link_edges(now);
        // A router phase 2 passed over (idle, nothing offered) has had nothing offered since
        // but by a link's edge, which listed it, so `settle_router` passes over it too.
        for &chip in &active {
            self.settle_router(chip, now);
        }
        active.clear();
        self.active_spare = active;
        self.cycle += 1;
    }

    /// The traced chips' and links' values before this cycle's edge.
    fn trace_snapshot(&self) -> (Vec<ChipView>, Vec<(bool, bool, u128)>) {
        let links = self
            .tracer
            .as_ref()
            .expect("invariant: tracing")
            .links
            .iter()
            .map(|s| {
                let link = &self.links[s.link as usize];
                (
                    link.ready(),
                    link.offered().is_some(),
                    link.receive_register(),
                )
            })
            .collect();
        (self.trace_views(), links)
    }

    /// Phase 1, for a listed router: it comes off the list; a sleeper (woken by a link, a
    /// receive buffer, an offer or its expiry) catches up on the wait cycles it slept.
    #[inline]
    fn wake_router(&mut self, chip: u32, now: u64) {
        let c = chip as usize;
        let state = &mut self.chips[c];
        state.listed = false;
        if state.asleep_since != u64::MAX {
            self.routers[c].slept(now - state.asleep_since);
            state.asleep_since = u64::MAX;
            self.n_asleep -= 1;
        }
    }

    /// Phase 2, for a listed router: it steps if it has something to do, and returns its step.
    /// Everything a router reads is registered state from before this edge, and its hand-overs
    /// change only its own chip's inputs and outputs and the links' pending edges, so each
    /// router's hand-overs can follow its step at once. A dump's event goes in after the
    /// `n_dumps` of this cycle already at `first_delivery`, before this cycle's deliveries.
    #[inline]
    fn step_router(
        &mut self,
        chip: u32,
        now: u64,
        first_delivery: usize,
        n_dumps: &mut usize,
    ) -> Option<Step> {
        let c = chip as usize;
        let state = self.chips[c];
        let router = &self.routers[c];
        let reinject_due = !self.reinjections[c].is_empty() && router.output_stage_empty();
        let offers = state.link_offers as u32
            | state.core_offers << LINKS_PER_CHIP
            | (reinject_due as u32) << REINJECT_INPUT;
        if offers == 0 && router.is_idle() {
            return None;
        }
        let out_ready = self.sink_ready(c, now) | state.link_ready as u32;
        let (links, in_link, injections) = (&self.links, &self.in_link, &self.injections[c]);
        let reinjections = &self.reinjections[c];
        let offer = |input: usize| {
            if input == REINJECT_INPUT {
                return *reinjections
                    .front()
                    .expect("invariant: offered re-injections are queued");
            }
            let packet = if input < LINKS_PER_CHIP {
                let link =
                    in_link[c * LINKS_PER_CHIP + input].expect("invariant: offered links exist");
                links[link as usize]
                    .offered()
                    .expect("invariant: offered links hold a packet")
            } else {
                injections[input - LINKS_PER_CHIP]
                    .front()
                    .expect("invariant: offered queues are non-empty")
                    .1
            };
            Offer {
                packet,
                source: input as u8,
                override_route: 0,
            }
        };
        let router = &mut self.routers[c];
        let dump_before = router.dump_status();
        let mut step = router.step(offers, offer, out_ready);
        if step.sent.outputs != 0 {
            if let Some(f) = self.faults.as_mut() {
                if f.rng.next_u64() < f.drop_below {
                    router.fault_dump(&step.sent);
                    step.sent.outputs = 0;
                    self.stats.transient_drops += 1;
                }
            }
        }
        self.stats.router_steps += 1;
        self.stats.router_traversals += step.taken.is_some() as u64;
        if router.dump_status() != dump_before {
            let dump_after = router.dump();
            if self.endpoints == CoreEndpoints::ReceiveBuffers {
                self.endpoint_events.insert(
                    first_delivery + *n_dumps,
                    EndpointEvent::Dumped { cycle: now, chip },
                );
                *n_dumps += 1;
            }
            if self.record && dump_after.status != 0 {
                self.dumps.push(DumpEvent {
                    cycle: now,
                    chip,
                    registers: dump_after,
                });
            }
        }
        self.hand_over(now, chip, &step);
        Some(step)
    }

    /// Phase 3: the clock edge of every link that was taken from, sent to or whose packet may
    /// move on now, and what it changes for the routers at its ends.
    #[inline]
    fn link_edges(&mut self, now: u64) {
        if self.touched.is_empty() && !self.links_due() {
            return;
        }
        self.link_edges_touched(now);
    }

    fn link_edges_touched(&mut self, now: u64) {
        while let Some(&Reverse((t, link))) = self.link_wakes.peek() {
            if t > now {
                break;
            }
            self.link_wakes.pop();
            self.touch(link);
        }
        let spare = std::mem::take(&mut self.touched_spare);
        let mut touched = std::mem::replace(&mut self.touched, spare);
        for &link in &touched {
            let l = link as usize;
            let (taken, sent) = (self.link_taken[l], self.link_sent[l].take());
            self.link_taken[l] = false;
            self.link_touched[l] = false;
            let filled = self.links[l].edge(now, taken, sent, &self.timing);
            let ends = self.ends[l];
            let offered = self.links[l].offered().is_some() as u8;
            let to = ends.to_chip as usize;
            self.chips[to].link_offers =
                (self.chips[to].link_offers & !(1 << ends.to_input)) | offered << ends.to_input;
            let from = ends.from_chip as usize;
            let ready = self.links[l].ready() as u8;
            self.chips[from].link_ready = (self.chips[from].link_ready & !(1 << ends.from_output))
                | ready << ends.from_output;
            // A sleeping router wakes when one of its links frees.
            if ready == 1 && self.chips[from].asleep_since != u64::MAX {
                self.list(ends.from_chip);
            }
            if let Some(at) = self.links[l].moves_at().filter(|_| sent.is_some()) {
                self.link_wakes.push(Reverse((at, link)));
            }
            if filled || offered == 1 {
                self.list(ends.to_chip);
            }
        }
        touched.clear();
        self.touched_spare = touched;
    }

    /// Phase 4, for a router that was listed: if it still holds packets, or still has offers,
    /// it stays listed, unless it is frozen, or has an empty lookup register and nothing
    /// offered while its stage waits: then it sleeps until a pending output frees, an offer
    /// arrives or its wait expires.
    #[inline]
    fn settle_router(&mut self, chip: u32, now: u64) {
        let c = chip as usize;
        let state = self.chips[c];
        let router = &self.routers[c];
        let nothing_offered =
            state.link_offers == 0 && state.core_offers == 0 && self.reinjections[c].is_empty();
        if state.listed || (router.is_idle() && nothing_offered) {
            return;
        }
        let out_ready = self.sink_ready(c, now + 1) | state.link_ready as u32;
        let cores_wake = self.endpoints == CoreEndpoints::ReceiveBuffers;
        // A router whose lookup register is empty may sleep too while nothing is offered to
        // it: an offer (a link filling, a core packet falling due) wakes it.
        let sleep = if router.lookup_empty() {
            if nothing_offered {
                router.stage_wait_cycles(out_ready, cores_wake)
            } else {
                None
            }
        } else {
            router.sleep_cycles(out_ready, cores_wake)
        };
        match sleep {
            Some(k) if self.sleeping && !self.tracing(now + 1) => {
                self.chips[c].asleep_since = now + 1;
                self.n_asleep += 1;
                self.expiry_wakes.push(Reverse((now + 1 + k, chip)));
                self.next_due = self.next_due.min(now + 1 + k);
            }
            _ => self.list(chip),
        }
    }
}
