//! The fast fabric model against the RTL fabric, cycle for cycle.
//!
//! A [`FabricScenario`] says everything both engines need: the fabric, router settings and
//! tables per chip, dead links, packets to inject on core ports (cycle, chip, core) and sink
//! back-pressure. [`run_model`] and [`run_rtl`] each produce a [`FabricTrace`]: every packet a
//! core took (cycle, chip, core, packet), every change of dump registers, and the final
//! counters. [`compare`] names the first difference.
//!
//! Cycle 0 is the first traffic cycle: the RTL is reset and configured through its
//! configuration port before it; the model starts configured.

use spinn_arch::{McEntry, P2pRoute, RouteSet, RouterControl, CORES_PER_CHIP, N_COUNTERS};
use spinn_model::{DumpRegisters, Fabric, LinkTiming, P2pRoutes, RouterSetup};
use spinn_rtl::config::{simulate_fabric, FabricConfig, FABRIC_P2P_ENTRIES, FABRIC_TABLE_ENTRIES};
use spinn_rtl::fabric::{FabricInputs, FabricOutputs};
use spinn_rtl::ConfigTarget;
use std::collections::VecDeque;

/// A packet offered on a core port from `cycle` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injection {
    pub cycle: u64,
    pub chip: usize,
    pub core: usize,
    pub packet: u128,
}

/// A core sink that refuses packets in cycles `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkBlock {
    pub chip: usize,
    pub core: usize,
    pub from: u64,
    pub to: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FabricScenario {
    pub config: FabricConfig,
    pub control: RouterControl,
    /// Per chip, entries in priority order, entry `i` written at index `i`. The RTL ignores
    /// writes past its [`FABRIC_TABLE_ENTRIES`], so the model gets only the entries below.
    pub tables: Vec<Vec<McEntry>>,
    /// Per chip, P2P entries to write (index into the [`FABRIC_P2P_ENTRIES`]-entry table;
    /// writes at or past its end are ignored by both engines).
    pub p2p: Vec<Vec<(usize, P2pRoute)>>,
    pub fixed_routes: Vec<RouteSet>,
    /// Indices into the fabric's directed links; each kills the link both ways.
    pub dead_links: Vec<usize>,
    pub injections: Vec<Injection>,
    pub blocked_sinks: Vec<SinkBlock>,
    pub cycles: u64,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FabricTrace {
    /// (cycle, chip, core, packet) of every packet a core sink took.
    pub deliveries: Vec<(u64, usize, usize, u128)>,
    /// (cycle of the clock edge, chip, registers after it) of every dump-register change.
    pub dumps: Vec<(u64, usize, DumpRegisters)>,
    pub counters: Vec<[u32; N_COUNTERS]>,
}

/// The P2P table the RTL holds after `writes`: one at an index past the table is ignored.
fn p2p_codes(writes: &[(usize, P2pRoute)]) -> Vec<u8> {
    let mut codes = vec![P2pRoute::Drop.code(); FABRIC_P2P_ENTRIES];
    for &(idx, route) in writes {
        if let Some(code) = codes.get_mut(idx) {
            *code = route.code();
        }
    }
    codes
}

/// The directed links a scenario kills, both directions of each named one.
fn dead_pairs(s: &FabricScenario) -> Vec<(usize, spinn_arch::LinkDir)> {
    let shape_links = spinn_rtl::config::fabric_shape(s.config.kind).links;
    let mut res = Vec::new();
    for &j in &s.dead_links {
        let (a, dir, b) = shape_links[j % shape_links.len()];
        res.push((a, dir));
        res.push((b, dir.opposite()));
    }
    res.sort();
    res.dedup();
    res
}

/// The scenario on the fast model.
pub fn run_model(s: &FabricScenario) -> FabricTrace {
    run_model_traced(s, None).expect("invariant: no trace, no IO")
}

/// A waveform to write while running: the file, the chips to trace (the RTL traces them all)
/// and the cycles.
pub struct TraceRequest {
    pub writer: Box<dyn std::io::Write>,
    pub chips: Vec<usize>,
    pub window: std::ops::Range<u64>,
}

/// The fast-model fabric of a scenario, configured and loaded with its traffic, not yet run.
pub fn model_fabric(s: &FabricScenario) -> Fabric {
    let mut machine = s.config.kind.machine();
    for (a, dir) in dead_pairs(s) {
        let chip = machine.chip_at(a);
        if machine.neighbour(chip, dir).is_some() {
            machine = machine
                .with_dead_link(chip, dir)
                .expect("invariant: the link is live");
        }
    }
    let timing = LinkTiming::new(s.config.short_transit, s.config.long_transit, 0)
        .expect("invariant: transit of at least 2");
    let reference = s.config.kind.machine();
    let mut fabric = Fabric::new(machine, timing, |chip| {
        let i = reference.chip_index(chip).expect("invariant: same chips");
        RouterSetup {
            table: s.tables[i]
                .iter()
                .take(FABRIC_TABLE_ENTRIES)
                .copied()
                .collect(),
            p2p: P2pRoutes::Table(p2p_codes(&s.p2p[i])),
            fixed_route: s.fixed_routes[i].bits(),
            control: s.control,
            rotate_clockwise: s.config.params.rotate_clockwise,
        }
    });
    for inj in &s.injections {
        fabric.inject(inj.chip, inj.core, inj.cycle, inj.packet);
    }
    for b in &s.blocked_sinks {
        fabric.block_sink(b.chip, b.core, b.from, b.to);
    }
    fabric
}

/// [`run_model`], writing a VCD as `trace` asks.
pub fn run_model_traced(
    s: &FabricScenario,
    trace: Option<TraceRequest>,
) -> std::io::Result<FabricTrace> {
    let mut fabric = model_fabric(s);
    if let Some(t) = trace {
        fabric.trace_to(t.writer, &t.chips, t.window)?;
    }
    fabric.run_until(s.cycles);
    fabric.finish_trace()?;
    Ok(FabricTrace {
        deliveries: fabric
            .deliveries()
            .iter()
            .map(|d| (d.cycle, d.chip as usize, d.core as usize, d.packet))
            .collect(),
        dumps: fabric
            .dumps()
            .iter()
            .map(|d| (d.cycle, d.chip as usize, d.registers))
            .collect(),
        counters: (0..fabric.machine().n_chips())
            .map(|c| *fabric.counters(c))
            .collect(),
    })
}

fn dump_registers(out: &FabricOutputs, chip: usize) -> DumpRegisters {
    DumpRegisters {
        header: out.dump_header[chip],
        key: out.dump_key[chip],
        payload: out.dump_payload[chip],
        outputs: out.dump_outputs[chip],
        status: out.dump_status[chip],
    }
}

/// The scenario on the hand-stepped RTL fabric.
pub fn run_rtl(s: &FabricScenario) -> FabricTrace {
    run_rtl_recorded(s).trace
}

/// An RTL run with every cycle's inputs and outputs (reset and configuration included), for
/// replaying it in another simulator.
pub struct RtlRun {
    pub trace: FabricTrace,
    pub inputs: Vec<FabricInputs>,
    pub outputs: Vec<FabricOutputs>,
}

/// Records every cycle a driver steps.
struct Recorder<'a> {
    rtl: &'a mut dyn spinn_rtl::fabric::FabricDriver,
    inputs: Vec<FabricInputs>,
    outputs: Vec<FabricOutputs>,
}

impl Recorder<'_> {
    fn cycle(&mut self, inputs: &FabricInputs) -> FabricOutputs {
        let out = self.rtl.cycle(inputs);
        self.inputs.push(inputs.clone());
        self.outputs.push(out.clone());
        out
    }
}

/// [`run_rtl`], keeping every cycle's inputs and outputs.
pub fn run_rtl_recorded(s: &FabricScenario) -> RtlRun {
    run_rtl_traced(s, None)
}

/// [`run_rtl_recorded`], writing a VCD of the traffic cycles (every signal) to `trace`.
/// `RtlRun::inputs.len() - cycles - 1` cycles of reset and configuration come first.
pub fn run_rtl_traced(s: &FabricScenario, trace: Option<Box<dyn std::io::Write>>) -> RtlRun {
    let mut driver = simulate_fabric(&s.config);
    let shape = driver.shape();
    let mut rtl = Recorder {
        rtl: &mut *driver,
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    let n = shape.n_chips;
    let idle = FabricInputs::idle(&shape);
    rtl.cycle(&FabricInputs {
        reset: true,
        ..idle.clone()
    });
    let write = |rtl: &mut Recorder,
                 chip: usize,
                 target: ConfigTarget,
                 index: usize,
                 key: u32,
                 mask: u32,
                 data: u32| {
        // An index the 16-bit port cannot carry is past every table: the write is left out.
        let Ok(index) = u16::try_from(index) else {
            return;
        };
        let mut inputs = idle.clone();
        inputs.cfg_write[chip] = true;
        (inputs.cfg_target, inputs.cfg_index) = (target as u8, index);
        (inputs.cfg_key, inputs.cfg_mask, inputs.cfg_data) = (key, mask, data);
        rtl.cycle(&inputs);
    };
    for chip in 0..n {
        for (idx, e) in s.tables[chip].iter().enumerate() {
            write(
                &mut rtl,
                chip,
                ConfigTarget::McEntry,
                idx,
                e.key(),
                e.mask(),
                e.route().bits(),
            );
        }
        for &(idx, route) in &s.p2p[chip] {
            write(
                &mut rtl,
                chip,
                ConfigTarget::P2pEntry,
                idx,
                0,
                0,
                route.code() as u32,
            );
        }
        write(
            &mut rtl,
            chip,
            ConfigTarget::FixedRoute,
            0,
            0,
            0,
            s.fixed_routes[chip].bits(),
        );
        write(
            &mut rtl,
            chip,
            ConfigTarget::Control,
            0,
            0,
            0,
            s.control.to_register(),
        );
    }
    let dead = dead_pairs(s);
    let mut link_enable = vec![true; shape.links.len()];
    for (j, &(a, dir, _)) in shape.links.iter().enumerate() {
        link_enable[j] = !dead.contains(&(a, dir));
    }
    if let Some(writer) = trace {
        rtl.rtl.trace_to(writer);
    }
    let mut queues: Vec<VecDeque<(u64, u128)>> = vec![VecDeque::new(); n * CORES_PER_CHIP];
    for inj in &s.injections {
        let queue = &mut queues[inj.chip * CORES_PER_CHIP + inj.core];
        let at = inj.cycle.max(queue.back().map_or(0, |&(t, _)| t));
        queue.push_back((at, inj.packet));
    }
    let mut trace = FabricTrace::default();
    let mut previous: Option<FabricOutputs> = None;
    for t in 0..=s.cycles {
        let mut inputs = FabricInputs {
            link_enable: link_enable.clone(),
            ..idle.clone()
        };
        for (k, queue) in queues.iter().enumerate() {
            if let Some(&(at, packet)) = queue.front().filter(|&&(at, _)| at <= t) {
                (inputs.core_in_valid[k], inputs.core_in_packet[k]) = (true, packet);
                debug_assert!(at <= t);
            }
        }
        for b in &s.blocked_sinks {
            if (b.from..b.to).contains(&t) {
                inputs.core_out_ready[b.chip * CORES_PER_CHIP + b.core] = false;
            }
        }
        let out = rtl.cycle(&inputs);
        if let Some(prev) = &previous {
            for chip in 0..n {
                let now = dump_registers(&out, chip);
                if now.status != prev.dump_status[chip] && now.status != 0 {
                    trace.dumps.push((t - 1, chip, now));
                }
            }
        }
        if t == s.cycles {
            trace.counters = (0..n)
                .map(|c| std::array::from_fn(|k| out.counter(c, k)))
                .collect();
            break;
        }
        for (k, queue) in queues.iter_mut().enumerate() {
            if inputs.core_in_valid[k] && out.core_in_ready[k] {
                queue.pop_front();
            }
            if out.core_out_valid[k] && inputs.core_out_ready[k] {
                let chip = k / CORES_PER_CHIP;
                trace
                    .deliveries
                    .push((t, chip, k % CORES_PER_CHIP, out.core_out_packet[chip]));
            }
        }
        previous = Some(out);
    }
    rtl.rtl.finish_trace();
    RtlRun {
        trace,
        inputs: rtl.inputs,
        outputs: rtl.outputs,
    }
}

/// The first difference between two traces, described; `None` if they are identical.
pub fn compare(model: &FabricTrace, rtl: &FabricTrace) -> Option<String> {
    for (i, (m, r)) in model.deliveries.iter().zip(&rtl.deliveries).enumerate() {
        if m != r {
            return Some(format!(
                "delivery {i}: model (cycle, chip, core, packet) {m:x?}, rtl {r:x?}"
            ));
        }
    }
    if model.deliveries.len() != rtl.deliveries.len() {
        return Some(format!(
            "model delivered {} packets, rtl {}",
            model.deliveries.len(),
            rtl.deliveries.len()
        ));
    }
    for (i, (m, r)) in model.dumps.iter().zip(&rtl.dumps).enumerate() {
        if m != r {
            return Some(format!("dump {i}: model {m:x?}, rtl {r:x?}"));
        }
    }
    if model.dumps.len() != rtl.dumps.len() {
        return Some(format!(
            "model logged {} dumps, rtl {}",
            model.dumps.len(),
            rtl.dumps.len()
        ));
    }
    for (chip, (m, r)) in model.counters.iter().zip(&rtl.counters).enumerate() {
        if m != r {
            return Some(format!("chip {chip} counters: model {m:?}, rtl {r:?}"));
        }
    }
    None
}
