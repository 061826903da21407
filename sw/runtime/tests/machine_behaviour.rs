//! The machine's runtime behaviour on small hand-made configurations: callbacks and their
//! timing, receive back-pressure reproducing SpiNNaker's dropped packets, the monitor's
//! re-injection recovering them, loss reported when it cannot, queues, timers and memory.

mod common;

use common::{chip0, core, pipe, received, receiver, Receiver};
use spinn_arch::{ChipCoord, Machine as Topology};
use spinn_runtime::{
    Application, Callbacks, Context, CoreProgram, Event, Machine, MachineConfig, Priority,
    StopReason, Timer,
};
use std::collections::BTreeMap;

#[test]
fn packets_arrive_in_order_with_payloads_and_the_machine_goes_quiet() {
    let mut machine = pipe(
        50,
        ChipCoord::new(1, 0),
        receiver(Priority::NonQueueable, 20),
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    assert_eq!(machine.run(10_000_000), StopReason::Quiescent);
    assert_eq!(received(&machine), (0..50).collect::<Vec<_>>());
    let report = machine.report();
    assert_eq!(report.packets_sent, 50);
    assert_eq!(report.delivered, 50);
    assert_eq!(report.link_hops, 50);
    assert_eq!(report.dumped, 0);
    assert_eq!(report.dropped, 0);
    assert_eq!(report.cores_used, 2);
    // 72-bit packets leave a link every 33 cycles: 50 of them take at least 1,650 cycles.
    assert!(report.cycles >= 50 * 33, "{}", report.cycles);
    let first = machine.app::<Receiver>("receiver").expect("receiver").got[0];
    // Send (30 core cycles = 20 router cycles), router, 33-cycle link, router, receive handler
    // (80 core cycles), dispatch (40): the first packet is handled about 100 cycles in.
    assert!(
        (60..200).contains(&first.2),
        "first packet handled at cycle {}",
        first.2
    );
}

/// A receiver that spends 3,000 core cycles in its receive handler on each packet blocks the
/// router's output to it for longer than wait1 + wait2, so packets are dumped: SpiNNaker's
/// dropped-packet problem, reproduced by back-pressure alone.
#[test]
fn a_slow_receive_handler_makes_the_router_dump_and_the_monitor_recovers_every_packet() {
    let slow = || receiver(Priority::NonQueueable, 3_000);
    let mut machine = pipe(20, chip0(), slow(), MachineConfig::spinnaker()).expect("loads");
    assert_eq!(machine.run(100_000_000), StopReason::Quiescent);
    let report = machine.report();
    assert!(report.dumped >= 5, "dumps: {}", report.dumped);
    assert_eq!(report.reinjected, report.dumped, "{report:?}");
    assert_eq!(report.dropped, 0);
    assert_eq!(report.dump_overflows, 0);
    let mut got = received(&machine);
    got.sort_unstable();
    assert_eq!(got, (0..20).collect::<Vec<_>>(), "every packet, once");

    // The same run without re-injection loses exactly the dumped packets.
    let config = MachineConfig {
        reinjection: false,
        ..MachineConfig::spinnaker()
    };
    let mut machine = pipe(20, chip0(), slow(), config).expect("loads");
    assert_eq!(machine.run(100_000_000), StopReason::Quiescent);
    let report = machine.report();
    assert!(report.dumped >= 5, "dumps: {}", report.dumped);
    assert_eq!(report.reinjected, 0);
    assert_eq!(report.dropped, report.dumped);
    assert_eq!(received(&machine).len() as u64, 20 - report.dropped);
}

/// A monitor too slow for the dump rate finds its dump registers overwritten: those packets
/// are lost, counted, and the run still ends.
#[test]
fn losses_beyond_the_monitors_capacity_are_reported_not_hung_on() {
    let mut config = MachineConfig::spinnaker();
    config.costs.dump_read_cycles = 200_000;
    let mut machine =
        pipe(40, chip0(), receiver(Priority::NonQueueable, 3_000), config).expect("loads");
    assert_eq!(machine.run(1_000_000_000), StopReason::Quiescent);
    let report = machine.report();
    assert!(report.dump_overflows > 0, "{report:?}");
    let got = received(&machine).len() as u64;
    assert!(got < 40);
    assert_eq!(
        got + report.dump_overflows,
        40,
        "every packet is received or counted lost: {report:?}"
    );
}

#[test]
fn a_full_task_queue_loses_events_and_counts_them() {
    let mut machine = pipe(
        40,
        chip0(),
        receiver(Priority::Queued(2), 5_000),
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    assert_eq!(machine.run(100_000_000), StopReason::Quiescent);
    let stats = machine.core_stats("receiver").expect("receiver");
    assert_eq!(stats.packets_received, 40, "the handler takes every packet");
    assert!(stats.queue_overflows > 0);
    assert_eq!(stats.callbacks + stats.queue_overflows, 40);
    assert_eq!(
        machine.report().dumped,
        0,
        "queued callbacks never block the router"
    );
}

struct Ticker {
    ticks: Vec<(u32, u64)>,
}

impl Application for Ticker {
    fn callbacks(&self) -> Callbacks {
        Callbacks {
            packet: None,
            timer: Some(Timer {
                period_us: 1000,
                priority: Priority::Queued(1),
            }),
            user: None,
        }
    }
    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        if let Event::Timer { tick } = event {
            self.ticks.push((tick, ctx.now_cycles()));
            if tick == 5 {
                ctx.exit();
            }
        }
    }
}

#[test]
fn timer_ticks_every_period_until_the_core_exits() {
    let programs = vec![CoreProgram {
        chip: chip0(),
        core: core(3),
        vertex: "ticker".into(),
        app: Box::new(Ticker { ticks: Vec::new() }),
    }];
    let mut machine = Machine::new(
        Topology::spinn3(),
        &BTreeMap::new(),
        programs,
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    assert_eq!(machine.run(u64::MAX / 2), StopReason::Quiescent);
    let ticks = &machine.app::<Ticker>("ticker").expect("ticker").ticks;
    assert_eq!(
        ticks.iter().map(|t| t.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    // One tick per millisecond: 133,334 router cycles apart.
    for pair in ticks.windows(2) {
        assert_eq!(pair[1].1 - pair[0].1, 133_334);
    }
    assert!((machine.report().seconds - 0.005).abs() < 1e-4);
}

/// For applications that do all their work in their start callback.
const NO_CALLBACKS: Callbacks = Callbacks {
    packet: None,
    timer: None,
    user: None,
};

struct Hungry;

impl Application for Hungry {
    fn callbacks(&self) -> Callbacks {
        NO_CALLBACKS
    }
    fn start(&mut self, ctx: &mut Context) -> Result<(), spinn_runtime::MemoryError> {
        ctx.alloc_dtcm("weights", 40_000)?;
        ctx.alloc_dtcm("activations", 30_000)
    }
    fn on_event(&mut self, _: &mut Context, _: Event) {}
}

#[test]
fn load_errors_name_what_is_wrong() {
    let load = |chip, core_n, vertex: &str| {
        let programs = vec![CoreProgram {
            chip,
            core: core(core_n),
            vertex: vertex.into(),
            app: Box::new(Hungry),
        }];
        Machine::new(
            Topology::spinn3(),
            &BTreeMap::new(),
            programs,
            MachineConfig::spinnaker(),
        )
        .err()
        .map(|e| e.to_string())
    };
    assert_eq!(
        load(chip0(), 4, "layer0").as_deref(),
        Some(
            "vertex layer0: DTCM allocation of 30000 bytes for activations does not fit \
             (40000 of 65536 bytes already in use)"
        )
    );
    assert_eq!(
        load(chip0(), 0, "v").as_deref(),
        Some("vertex v: core 0 of chip (0, 0) is the monitor core")
    );
    assert_eq!(
        load(ChipCoord::new(5, 5), 1, "v").as_deref(),
        Some("chip (5, 5) is not a live chip of the machine")
    );
}

#[test]
fn runs_are_deterministic() {
    let run = || {
        let mut machine = pipe(
            30,
            chip0(),
            receiver(Priority::NonQueueable, 2_500),
            MachineConfig::spinnaker(),
        )
        .expect("loads");
        machine.run(100_000_000);
        (
            machine.app::<Receiver>("receiver").expect("r").got.clone(),
            machine.report().cycles,
        )
    };
    assert_eq!(run(), run());
}

/// The host's data set in a chip's SDRAM: one copy per chip, replaced (not added to) when
/// written again, refused with an error naming the chip and SDRAM when it does not fit.
#[test]
fn host_data_takes_a_chips_sdram_once_and_is_refused_beyond_it() {
    let mut machine = pipe(
        1,
        ChipCoord::new(1, 0),
        receiver(Priority::NonQueueable, 20),
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    assert_eq!(machine.chip_of("nobody"), None);
    let chip = machine.chip_of("receiver").expect("placed");
    assert_ne!(Some(chip), machine.chip_of("sender"));
    let half = spinn_runtime::SDRAM_BYTES / 2 + 1;
    // Written three times, the set still takes its size once.
    for _ in 0..3 {
        machine
            .write_host_data(chip, "training set", half)
            .expect("half the SDRAM fits");
    }
    let error = machine
        .write_host_data(chip, "training set", spinn_runtime::SDRAM_BYTES + 1)
        .expect_err("more than the SDRAM");
    let message = error.to_string();
    assert!(
        message.contains("SDRAM") && message.contains("(1, 0)") && message.contains("training set"),
        "{message}"
    );
    // The refused write left no set behind: the whole SDRAM is free again.
    machine
        .write_host_data(chip, "training set", spinn_runtime::SDRAM_BYTES)
        .expect("the whole SDRAM fits");
}

/// Computes for `cycles` core cycles in its start callback and sends nothing.
struct Thinker {
    cycles: u64,
}

impl Application for Thinker {
    fn callbacks(&self) -> Callbacks {
        NO_CALLBACKS
    }
    fn start(&mut self, ctx: &mut Context) -> Result<(), spinn_runtime::MemoryError> {
        ctx.charge_cycles(self.cycles);
        Ok(())
    }
    fn on_event(&mut self, _: &mut Context, _: Event) {}
}

/// Machine time runs until the last handler returns, not until the last packet lands: a core
/// never busy for longer than the machine has run, also when it computes after the fabric
/// has gone quiet (its last receive handler, or here its start callback).
#[test]
fn machine_time_includes_the_last_handlers_compute() {
    let load = || {
        let programs = vec![CoreProgram {
            chip: chip0(),
            core: core(3),
            vertex: "thinker".into(),
            app: Box::new(Thinker { cycles: 300_000 }),
        }];
        Machine::new(
            Topology::spinn3(),
            &BTreeMap::new(),
            programs,
            MachineConfig::spinnaker(),
        )
        .expect("loads")
    };
    let mut machine = load();
    assert_eq!(machine.run(u64::MAX / 2), StopReason::Quiescent);
    let busy = machine.core_stats("thinker").expect("loaded").busy_cycles;
    assert!(busy > 0);
    assert_eq!(
        machine.report().cycles,
        busy,
        "the run ends as the callback returns"
    );
    // A run limited to less than the compute stops at its limit, and the next one finishes.
    let mut machine = load();
    assert_eq!(machine.run(busy / 2), StopReason::TimeLimit);
    assert_eq!(machine.report().cycles, busy / 2);
    assert_eq!(machine.run(u64::MAX / 2), StopReason::Quiescent);
    assert_eq!(machine.report().cycles, busy);

    // A slow last receive handler: the machine has run at least as long as the receiver
    // has been busy.
    let mut machine = pipe(
        3,
        ChipCoord::new(1, 0),
        receiver(Priority::NonQueueable, 2_000),
        MachineConfig::spinnaker(),
    )
    .expect("loads");
    assert_eq!(machine.run(100_000_000), StopReason::Quiescent);
    let busy = machine.core_stats("receiver").expect("loaded").busy_cycles;
    let last = machine.app::<Receiver>("receiver").expect("r").got[2].2;
    let cycles = machine.report().cycles;
    assert!(cycles >= busy, "busy {busy} of {cycles} cycles");
    // 2,000 core cycles at 200 MHz are 1,330 router cycles at 133 MHz.
    assert!(
        cycles >= last + 1_330,
        "last handler at {last} of {cycles} cycles"
    );
}
