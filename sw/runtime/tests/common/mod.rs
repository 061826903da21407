//! Small applications and configurations shared by the runtime's tests: a sender that streams
//! numbered packets, a receiver that records them at a chosen cost, and the two wired together on
//! SpiNN-3 through hand-written tables, on either engine.

#![allow(dead_code)]

use spinn_arch::{ChipCoord, CoreId, Machine as Topology, McEntry, RouteSet};
use spinn_runtime::{
    Application, Callbacks, Context, CoreProgram, Event, LoadError, Machine, MachineConfig,
    Priority,
};
use std::collections::BTreeMap;

pub const KEY_BASE: u32 = 0x1000;

/// Sends `n` packets `KEY_BASE + i` with payload `i`, as fast as its send path allows.
pub struct Sender {
    pub n: u32,
    pub next: u32,
}

impl Sender {
    fn send_some(&mut self, ctx: &mut Context) {
        while self.next < self.n && ctx.try_send_mc(KEY_BASE + self.next, Some(self.next)) {
            self.next += 1;
        }
        if self.next < self.n {
            ctx.trigger_user_event(0, 0);
        }
    }
}

impl Application for Sender {
    fn callbacks(&self) -> Callbacks {
        Callbacks {
            packet: None,
            timer: None,
            user: Some(Priority::Queued(1)),
        }
    }
    fn start(&mut self, ctx: &mut Context) -> Result<(), spinn_runtime::MemoryError> {
        self.send_some(ctx);
        Ok(())
    }
    fn on_event(&mut self, ctx: &mut Context, _: Event) {
        self.send_some(ctx);
    }
}

/// Records every packet, spending `cycles` core cycles on each.
pub struct Receiver {
    pub priority: Priority,
    pub cycles: u64,
    pub got: Vec<(u32, Option<u32>, u64)>,
}

impl Application for Receiver {
    fn callbacks(&self) -> Callbacks {
        Callbacks {
            packet: Some(self.priority),
            timer: None,
            user: None,
        }
    }
    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        if let Event::Packet { key, payload } = event {
            self.got.push((key, payload, ctx.now_cycles()));
            ctx.charge_cycles(self.cycles);
        }
    }
}

pub fn chip0() -> ChipCoord {
    ChipCoord::new(0, 0)
}

pub fn core(n: usize) -> CoreId {
    CoreId::new(n).expect("a valid core")
}

/// Which engine a test machine runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Fast,
    /// The fast model with every router stepped every cycle (no sleeping).
    FastAwake,
    Rtl,
}

/// Core 1 of (0,0) sends `n` packets to core 2 of `to`, on SpiNN-3.
pub fn pipe(
    n: u32,
    to: ChipCoord,
    receiver: Receiver,
    config: MachineConfig,
) -> Result<Machine, LoadError> {
    pipe_on(EngineKind::Fast, n, to, receiver, config)
}

/// [`pipe`] on a chosen engine.
pub fn pipe_on(
    engine: EngineKind,
    n: u32,
    to: ChipCoord,
    receiver: Receiver,
    config: MachineConfig,
) -> Result<Machine, LoadError> {
    let topology = Topology::spinn3();
    let mut tables = BTreeMap::new();
    let entry = |route| McEntry::new(KEY_BASE, 0xffff_f000, route).expect("a valid entry");
    if to == chip0() {
        tables.insert(chip0(), vec![entry(RouteSet::core(core(2)))]);
    } else {
        // (0,0) → (1,0) over the east link, then to the core.
        tables.insert(chip0(), vec![entry(RouteSet::link(spinn_arch::LinkDir::E))]);
        tables.insert(to, vec![entry(RouteSet::core(core(2)))]);
    }
    let programs = vec![
        CoreProgram {
            chip: chip0(),
            core: core(1),
            vertex: "sender".into(),
            app: Box::new(Sender { n, next: 0 }),
        },
        CoreProgram {
            chip: to,
            core: core(2),
            vertex: "receiver".into(),
            app: Box::new(receiver),
        },
    ];
    match engine {
        EngineKind::Fast => Machine::new(topology, &tables, programs, config),
        EngineKind::FastAwake => Machine::new(
            topology,
            &tables,
            programs,
            MachineConfig {
                sleeping_routers: false,
                ..config
            },
        ),
        EngineKind::Rtl => Machine::on_rtl(
            spinn_rtl::config::FabricKind::Spinn3,
            &tables,
            programs,
            config,
        ),
    }
}

pub fn receiver(priority: Priority, cycles: u64) -> Receiver {
    Receiver {
        priority,
        cycles,
        got: Vec::new(),
    }
}

/// The payloads the receiver handled, in order.
pub fn received(machine: &Machine) -> Vec<u32> {
    let app = machine.app::<Receiver>("receiver").expect("the receiver");
    app.got
        .iter()
        .map(|&(_, p, _)| p.expect("payload"))
        .collect()
}
