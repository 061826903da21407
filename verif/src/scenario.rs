//! The contention scenario behind `spinn waveform`: a table load, then traffic that fights for
//! link E while E is blocked, so a packet waits out wait1, takes the emergency detour via S,
//! finds S blocked too, waits out wait2 and is dumped; a minimal monitor then re-injects the
//! dumped packet (naming its original input port, and only to the outputs the dump recorded as
//! undelivered) once the output stage is empty and clears the dump status, and the packet is
//! finally delivered when E frees up.
//!
//! The scenario is closed-loop (the monitor reacts to `dump_interrupt`), deterministic, and
//! returns an event log so the command line can say what happened when.

use spinn_arch::{
    CoreId, Counter, DumpHeader, DumpStatus, LinkDir, McEntry, OutputPort, Packet, RouteSet,
    RouterControl, WaitTime, N_COUNTERS,
};
use spinn_rtl::{RouterDriver, RouterInputs, RouterOutputs};

/// Something worth telling the user, at a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioEvent {
    pub cycle: u64,
    pub what: String,
}

/// What the scenario did.
#[derive(Debug, Clone, Default)]
pub struct ScenarioLog {
    pub events: Vec<ScenarioEvent>,
    pub counters: [u32; N_COUNTERS],
}

/// Link E is blocked during these cycles of the traffic phase, S during the second range.
const E_BLOCKED: std::ops::Range<u64> = 4..70;
const S_BLOCKED: std::ops::Range<u64> = 6..40;

fn describe(out: &RouterOutputs, cycle: u64, log: &mut ScenarioLog) {
    for port in OutputPort::all() {
        let ready = match port {
            OutputPort::Link(l) => {
                !(l == LinkDir::E && E_BLOCKED.contains(&cycle)
                    || l == LinkDir::S && S_BLOCKED.contains(&cycle))
            }
            OutputPort::Core(_) => true,
        };
        if let Some(bus) = out.offered(port).filter(|_| ready) {
            let pkt = Packet::from_bus(bus);
            log.events.push(ScenarioEvent {
                cycle,
                what: format!("{port} takes {pkt} (ER {:?})", pkt.emergency()),
            });
        }
    }
}

/// Runs the scenario for `cycles` traffic cycles on a reset router.
pub fn contention_scenario(rtl: &mut dyn RouterDriver, cycles: u64) -> ScenarioLog {
    let mut log = ScenarioLog::default();
    rtl.reset();
    rtl.set_control(RouterControl {
        wait1: WaitTime(0x04),
        wait2: WaitTime(0x02),
        monitor: CoreId::MONITOR,
        dump_interrupt_enable: true,
    });
    let core = |c| CoreId::new(c).expect("invariant: core below 18");
    let to_e = RouteSet::link(LinkDir::E).with(OutputPort::Core(core(3)));
    let entries = [
        McEntry::new(0x0001_0000, 0xffff_0000, to_e),
        McEntry::new(0x0002_0000, 0xffff_0000, RouteSet::link(LinkDir::N)),
        McEntry::new(0x0003_0000, 0xffff_0000, RouteSet::core(core(5))),
    ];
    for (idx, e) in entries.into_iter().enumerate() {
        rtl.write_entry(idx, e.expect("invariant: keys are masked"));
    }
    let start = rtl.cycles();
    let mut pending_reinject: Option<(Packet, u8, u32)> = None;
    let mut last = RouterOutputs::default();
    for t in 0..cycles {
        let mut inputs = RouterInputs::idle();
        inputs.link_out_ready[LinkDir::E.index()] = !E_BLOCKED.contains(&t);
        inputs.link_out_ready[LinkDir::S.index()] = !S_BLOCKED.contains(&t);
        // Cores 1 and 2 both send towards E early on; link W and core 4 keep other traffic going.
        if t < 3 {
            inputs.core_in_valid[1] = true;
            inputs.core_in_packet[1] = Packet::mc(0x0001_0000 | t as u32).to_bus();
        }
        if (2..5).contains(&t) {
            inputs.core_in_valid[2] = true;
            inputs.core_in_packet[2] = Packet::mc(0x0001_0100 | t as u32)
                .with_payload(t as u32)
                .to_bus();
        }
        if t % 7 == 0 {
            inputs.link_in_valid[LinkDir::W.index()] = true;
            inputs.link_in_packet[LinkDir::W.index()] = Packet::mc(0x0002_0000 | t as u32).to_bus();
            inputs.core_in_valid[4] = true;
            inputs.core_in_packet[4] = Packet::mc(0x0003_0000 | t as u32).to_bus();
        }
        // The monitor: take a dumped packet, clear the status, re-inject when the stage is empty.
        if last.dump_interrupt && pending_reinject.is_none() {
            let header = DumpHeader::decode(last.dump_header);
            let pkt = header.packet(last.dump_key, last.dump_payload);
            let status = DumpStatus(last.dump_status);
            log.events.push(ScenarioEvent {
                cycle: rtl.cycles() - start,
                what: format!(
                    "monitor reads dump of {pkt} (outputs {}, overflow {})",
                    status.sticky_outputs(),
                    status.overflow()
                ),
            });
            pending_reinject = Some((pkt, header.source, last.dump_outputs));
            inputs.cfg_write = true;
            inputs.cfg_target = spinn_rtl::ConfigTarget::DumpClear as u8;
        } else if let Some((pkt, source, route)) =
            pending_reinject.filter(|_| last.output_stage_empty)
        {
            inputs.reinject_valid = true;
            inputs.reinject_packet = pkt.to_bus();
            inputs.reinject_source = source;
            inputs.reinject_route = route;
        }
        let emergencies = last.count[Counter::EmergencyRouted.index()];
        let out = rtl.cycle(&inputs);
        let now = rtl.cycles() - start - 1;
        if inputs.reinject_valid && out.reinject_ready {
            log.events.push(ScenarioEvent {
                cycle: now,
                what: "monitor re-injects the dumped packet".to_string(),
            });
            pending_reinject = None;
        }
        if out.count[Counter::EmergencyRouted.index()] > emergencies {
            log.events.push(ScenarioEvent {
                cycle: now,
                what: "wait1 expired: emergency route".to_string(),
            });
        }
        if out.dump_interrupt && !last.dump_interrupt {
            log.events.push(ScenarioEvent {
                cycle: now,
                what: "wait2 expired: packet dumped, dump interrupt raised".to_string(),
            });
        }
        describe(&out, now, &mut log);
        last = out;
    }
    log.counters = last.count;
    log
}
