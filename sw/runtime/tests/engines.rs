//! The machine on the RTL fabric against the machine on the fast model: the same applications
//! and tables give the same packets at the same cycles, the same dumps, re-injections and
//! counters, whichever engine carries them.

mod common;

use common::{chip0, pipe_on, receiver, EngineKind, Receiver};
use spinn_arch::ChipCoord;
use spinn_runtime::{MachineConfig, MachineReport, Priority, StopReason};

/// A packet the receiver handled: key, payload, machine cycle.
type Handled = (u32, Option<u32>, u64);

fn run(
    engine: EngineKind,
    n: u32,
    to: ChipCoord,
    priority: Priority,
    cycles: u64,
) -> (Vec<Handled>, MachineReport, StopReason) {
    let mut machine = pipe_on(
        engine,
        n,
        to,
        receiver(priority, cycles),
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    let stop = machine.run(5_000_000);
    let got = machine
        .app::<Receiver>("receiver")
        .expect("receiver")
        .got
        .clone();
    (got, machine.report(), stop)
}

fn assert_same(n: u32, to: ChipCoord, priority: Priority, cycles: u64) -> MachineReport {
    let (fast_got, fast, fast_stop) = run(EngineKind::Fast, n, to, priority, cycles);
    let (rtl_got, rtl, rtl_stop) = run(EngineKind::Rtl, n, to, priority, cycles);
    assert_eq!(fast_stop, StopReason::Quiescent);
    assert_eq!(rtl_stop, StopReason::Quiescent);
    assert_eq!(fast_got, rtl_got, "packets handled, with their cycles");
    let key = |r: &MachineReport| {
        (
            r.delivered,
            r.dumped,
            r.reinjected,
            r.dump_overflows,
            r.emergency_routed,
            r.link_hops,
            r.packets_sent,
            r.monitor,
        )
    };
    assert_eq!(key(&fast), key(&rtl));
    // The RTL is taken to be idle 64 cycles after its last packet, the fast model exactly:
    // machine time may differ by that margin only.
    assert!(
        rtl.cycles.abs_diff(fast.cycles) <= 64,
        "{} vs {}",
        fast.cycles,
        rtl.cycles
    );
    fast
}

#[test]
fn a_stream_across_a_link_is_identical_on_both_engines() {
    let report = assert_same(12, ChipCoord::new(1, 0), Priority::NonQueueable, 20);
    assert_eq!(report.delivered, 12);
}

#[test]
fn dumps_and_reinjections_are_identical_on_both_engines() {
    let report = assert_same(8, chip0(), Priority::NonQueueable, 3_000);
    assert!(report.dumped >= 2, "{report:?}");
    assert_eq!(report.reinjected, report.dumped);
}

/// Sleeping routers are only an optimisation of the fast model: with every router stepped every
/// cycle, the same packets arrive at the same cycles with the same totals, machine time
/// included, through back-pressure, dumps and re-injections.
#[test]
fn sleeping_routers_change_nothing_on_the_machine() {
    let cases = [
        (12, ChipCoord::new(1, 0), Priority::NonQueueable, 20),
        (8, chip0(), Priority::NonQueueable, 3_000),
        (40, ChipCoord::new(1, 0), Priority::Queued(1), 900),
        (30, chip0(), Priority::Preeminent, 1_500),
    ];
    for (n, to, priority, cycles) in cases {
        let (asleep_got, asleep, asleep_stop) = run(EngineKind::Fast, n, to, priority, cycles);
        let (awake_got, awake, awake_stop) = run(EngineKind::FastAwake, n, to, priority, cycles);
        let case = format!("{n} packets to {to:?}, {priority:?}, {cycles} cycles each");
        assert_eq!(asleep_stop, StopReason::Quiescent, "{case}");
        assert_eq!(awake_stop, StopReason::Quiescent, "{case}");
        assert_eq!(asleep_got, awake_got, "{case}");
        assert_eq!(asleep, awake, "{case}");
    }
}
