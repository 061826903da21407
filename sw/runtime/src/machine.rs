//! The machine: a fabric engine, the application cores and one monitor per chip, run as one
//! discrete-event simulation in router cycles.
//!
//! The fabric runs cycle-accurately; the cores are event-driven. Core work is a timeline per
//! core with two levels, as on the ARM968 under spin1: interrupt handlers (packet receive, timer,
//! user event, and callbacks registered at priority −1 or 0 that run inside them) run one after
//! another and pre-empt the task level, which runs queued callbacks one at a time, lowest queue
//! first. A task pre-empted by a handler finishes later by the handler's duration.
//!
//! The receive path is the hardware's: a delivered packet fills the core's one-packet receive
//! buffer; the receive handler frees it after the interrupt entry and the RXKEY read, and not
//! before the previous handler finished. Until then the router's output to that core is blocked:
//! a core that is slow to take packets stalls the router, whose wait1/wait2 timers then route
//! packets round emergency detours and finally dump them. The monitor (core 0) takes each dump
//! from the dump registers and queues it for re-injection (4,096 packets), which the router
//! takes only while its output stage is empty; dumps that found the registers still full
//! (overflows) are lost and counted.
//!
//! Simplifications, all deliberate: a callback's sends happen at the offsets its charged cycles
//! give, measured from its start, even if a handler pre-empts it meanwhile; the send queue is
//! drained by the hardware without charging the core for the transmit-empty interrupt; the
//! monitor's own cycles only delay its dump reads.

use crate::app::{Application, Context, CoreLocation, Effects};
use crate::cost::{CostTable, RouterClock};
use crate::engine::{Engine, FastEngine, MachineEngine};
use crate::event::{Callbacks, Event, Priority, N_TASK_QUEUES, QUEUE_USABLE_SLOTS, SEND_CAPACITY};
use crate::memory::{Budget, MemoryError, Region, DTCM_BYTES, SDRAM_BYTES};
use spinn_arch::{
    ChipCoord, CoreId, Counter, DumpHeader, Emergency, McEntry, RouterControl, WaitTime,
    CORES_PER_CHIP, N_COUNTERS,
};
use spinn_model::calendar::CalendarQueue;
use spinn_model::{ChipLoad, EndpointEvent, Fabric, LinkLoad, LinkTiming, P2pRoutes, RouterSetup};
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

/// How the machine is built and timed.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineConfig {
    pub costs: CostTable,
    pub link_timing: LinkTiming,
    /// What the monitors write to the router control registers at boot (wait1, wait2).
    pub control: RouterControl,
    /// Whether monitors re-inject dumped packets.
    pub reinjection: bool,
    /// Packets a monitor can hold for re-injection.
    pub reinject_queue: usize,
    /// Whether the fast fabric model lets routers with nothing to do sleep until something
    /// wakes them. Only host speed depends on it; turning it off is for checking that.
    pub sleeping_routers: bool,
    /// Transient faults the fast fabric injects (`None`: none; the RTL fabric takes none).
    pub transient_faults: Option<spinn_model::TransientFaults>,
}

impl MachineConfig {
    /// SpiNNaker1 as SC&MP boots it plus an extra monitor that re-injects: wait1 = 0x40
    /// (240 router cycles before emergency routing), wait2 = 0x40 as well (a second chance
    /// before the dump), re-injection on with a 4,096-packet queue.
    pub fn spinnaker() -> MachineConfig {
        MachineConfig {
            costs: CostTable::arm968(),
            link_timing: LinkTiming::SPINNAKER,
            control: RouterControl {
                wait1: WaitTime(0x40),
                wait2: WaitTime(0x40),
                monitor: CoreId::MONITOR,
                dump_interrupt_enable: true,
            },
            reinjection: true,
            reinject_queue: 4096,
            sleeping_routers: true,
            transient_faults: None,
        }
    }
}

/// A program to load: which core of which chip runs it, for which vertex.
pub struct CoreProgram {
    pub chip: ChipCoord,
    pub core: CoreId,
    pub vertex: String,
    pub app: Box<dyn Application>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("chip {chip} is not a live chip of the machine")]
    DeadChip { chip: ChipCoord },
    #[error("vertex {vertex}: core {core} of chip {chip} is the monitor core")]
    MonitorCore {
        vertex: String,
        chip: ChipCoord,
        core: usize,
    },
    #[error("vertex {vertex}: core {core} of chip {chip} is dead")]
    DeadCore {
        vertex: String,
        chip: ChipCoord,
        core: usize,
    },
    #[error("vertex {vertex}: core {core} of chip {chip} already runs vertex {other}")]
    CoreTaken {
        vertex: String,
        other: String,
        chip: ChipCoord,
        core: usize,
    },
    #[error("two programs are named {vertex}")]
    DuplicateVertex { vertex: String },
    #[error("chip {chip}: a routing table of {n_entries} entries exceeds the router's {capacity}")]
    TableTooLarge {
        chip: ChipCoord,
        n_entries: usize,
        capacity: usize,
    },
    #[error("vertex {vertex}: priority {priority} is not -1, 0 or 1..=4")]
    BadPriority { vertex: String, priority: i32 },
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error("{n_programs} programs for a graph of {n_vertices} vertices")]
    ProgramCount {
        n_programs: usize,
        n_vertices: usize,
    },
    #[error(transparent)]
    Check(#[from] spinn_toolchain::CheckError),
    #[error(
        "no RTL fabric is built for this {width}x{height} machine (RTL fabrics: 2x2 and 3x3 tori, \
         SpiNN-3)"
    )]
    NoRtlFabric { width: u16, height: u16 },
    #[error("transient faults are injected by the fast fabric model only, not the RTL fabric")]
    FaultsOnRtl,
}

/// Multicast entries a SpiNNaker1 router holds (one of 1,024 is kept by the system).
pub const TABLE_CAPACITY: usize = 1023;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// No packet anywhere and nothing scheduled on any core.
    Quiescent,
    TimeLimit,
    HostRequest,
}

/// A packet a core handed to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPacket {
    pub cycle: u64,
    pub key: u32,
    pub payload: Option<u32>,
}

/// What the host wants after seeing a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFlow {
    Continue,
    Stop,
}

/// Per-core totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoreStats {
    /// Router cycles the core spent in handlers and callbacks.
    pub busy_cycles: u64,
    pub callbacks: u64,
    pub packets_received: u64,
    /// Packets that entered the send path.
    pub packets_sent: u64,
    /// Packets lost because the transmit register and the send queue were full.
    pub send_failures: u64,
    /// Events lost to a full task queue.
    pub queue_overflows: u64,
    /// Events with no callback registered.
    pub unhandled: u64,
}

/// Per-chip monitor totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorStats {
    pub dumps_read: u64,
    /// Dumped packets queued for re-injection.
    pub queued: u64,
    /// Dumped packets lost because the re-injection queue was full.
    pub queue_full: u64,
    /// Dumped packets whose undelivered outputs were all dead or absent links: lost.
    pub undeliverable: u64,
}

/// A machine time in two 4-aligned halves, so that a job fits in 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SplitTime([u32; 2]);

impl SplitTime {
    fn new(t: u64) -> SplitTime {
        SplitTime([t as u32, (t >> 32) as u32])
    }

    fn get(self) -> u64 {
        self.0[0] as u64 | (self.0[1] as u64) << 32
    }
}

/// What a job does. Kept to 16 bytes: the job queue moves them around a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Job {
    /// A packet in the receive buffer: its key, and its payload if `has_payload`.
    PacketIsr {
        core: u32,
        key: u32,
        payload: u32,
        has_payload: bool,
    },
    TimerIsr {
        core: u32,
        nominal: SplitTime,
    },
    UserIsr {
        core: u32,
        arg0: u32,
        arg1: u32,
    },
    Dispatch {
        core: u32,
    },
    /// A packet leaving a core: the 72-bit bus form in 4-aligned pieces (see
    /// [`Job::send`]).
    Send {
        core: u32,
        packet_low: [u32; 2],
        packet_high: u8,
    },
    MonitorRead {
        chip: u32,
    },
}

// The job queue's speed depends on it.
const _: () = assert!(std::mem::size_of::<Job>() == 16);

impl Job {
    fn timer_isr(core: u32, nominal: u64) -> Job {
        Job::TimerIsr {
            core,
            nominal: SplitTime::new(nominal),
        }
    }

    /// A `u128` would make every job 32 bytes, aligned to 16.
    pub(crate) fn send(core: u32, packet: u128) -> Job {
        debug_assert!(packet >> 72 == 0, "invariant: bus packets have 72 bits");
        Job::Send {
            core,
            packet_low: [packet as u32, (packet >> 32) as u32],
            packet_high: (packet >> 64) as u8,
        }
    }

    fn packet_isr(core: u32, key: u32, payload: Option<u32>) -> Job {
        Job::PacketIsr {
            core,
            key,
            payload: payload.unwrap_or(0),
            has_payload: payload.is_some(),
        }
    }
}

/// The key and payload of a bus-form packet, as a receive handler sees them.
fn key_and_payload(packet: u128) -> (u32, Option<u32>) {
    let bus = spinn_arch::Packet::from_bus(packet);
    (bus.key(), bus.payload())
}

/// The jobs to run, earliest time first and, within a time, first scheduled first. A calendar
/// queue rather than a binary heap: most jobs are due at once or within a few hundred cycles,
/// so a push and a pop cost a few instructions instead of a sift through the heap.
pub(crate) type JobQueue = CalendarQueue<Job>;

/// The durations the machine charges for its own work, in router cycles: the same for every
/// event, so converted from core cycles once.
#[derive(Debug, Clone, Copy)]
struct Durations {
    /// Interrupt entry and the RXKEY read: when a receive handler frees the buffer.
    packet_isr: u64,
    /// Interrupt entry and the timer handler.
    timer_isr: u64,
    /// Interrupt entry and the user-event handler.
    user_isr: u64,
    /// The dispatcher taking a queued callback.
    dispatch: u64,
    /// Interrupt entry alone: the monitor's latency in answering a dump.
    irq: u64,
    /// The monitor's dump read.
    dump_read: u64,
}

impl Durations {
    fn new(costs: &CostTable) -> Durations {
        let cycles = |core_cycles: u64| costs.router_cycles(core_cycles * 1000);
        Durations {
            packet_isr: cycles(costs.irq_cycles + costs.packet_receive_cycles),
            timer_isr: cycles(costs.irq_cycles + costs.timer_cycles),
            user_isr: cycles(costs.irq_cycles + costs.user_event_cycles),
            dispatch: cycles(costs.dispatch_cycles),
            irq: cycles(costs.irq_cycles),
            dump_read: cycles(costs.dump_read_cycles),
        }
    }
}

struct CoreState {
    location: CoreLocation,
    chip: usize,
    core: usize,
    app: Box<dyn Application>,
    callbacks: Callbacks,
    isr_busy_until: u64,
    task_busy_until: u64,
    dispatch_pending: bool,
    queues: [VecDeque<Event>; N_TASK_QUEUES],
    /// Sends scheduled but not yet in the send path.
    sends_in_flight: usize,
    exited: bool,
    timer_tick: u32,
    dtcm: Budget,
    stats: CoreStats,
}

#[derive(Debug, Clone, Copy, Default)]
struct MonitorState {
    read_pending: bool,
    busy_until: u64,
    stats: MonitorStats,
}

/// The whole machine.
pub struct Machine {
    config: MachineConfig,
    topology: spinn_arch::Machine,
    engine: MachineEngine,
    cores: Vec<CoreState>,
    /// `core_at[chip * 18 + core]`: the index into `cores` of what runs there.
    core_at: Vec<Option<u32>>,
    by_vertex: BTreeMap<String, u32>,
    sdram: Vec<Budget>,
    /// Per chip: the size of the data set the host wrote into its SDRAM, if any.
    host_data: Vec<Option<u64>>,
    monitors: Vec<MonitorState>,
    /// Per chip: the links (bits 0–5) that are dead or lead off the machine.
    dead_links: Vec<u8>,
    jobs: JobQueue,
    events: Vec<EndpointEvent>,
    host_packets: Vec<HostPacket>,
    /// Converts core time to router cycles without a division.
    clock: RouterClock,
    /// The fixed durations in router cycles, converted once: see [`Durations`].
    durations: Durations,
    largest_table: usize,
}

impl Machine {
    /// Builds the machine on the fast fabric model: routers loaded with `tables` (per chip, in
    /// priority order, absent chips get empty tables), monitors configured, applications placed
    /// and started at time 0.
    pub fn new(
        topology: spinn_arch::Machine,
        tables: &BTreeMap<ChipCoord, Vec<McEntry>>,
        programs: Vec<CoreProgram>,
        config: MachineConfig,
    ) -> Result<Machine, LoadError> {
        for (&chip, table) in tables {
            if !topology.contains(chip) {
                return Err(LoadError::DeadChip { chip });
            }
            if table.len() > TABLE_CAPACITY {
                return Err(LoadError::TableTooLarge {
                    chip,
                    n_entries: table.len(),
                    capacity: TABLE_CAPACITY,
                });
            }
        }
        let control = config.control;
        let mut fabric = Fabric::new(topology.clone(), config.link_timing, |chip| RouterSetup {
            table: tables.get(&chip).cloned().unwrap_or_default(),
            // Nothing here sends P2P packets: a minimal table that drops them.
            p2p: P2pRoutes::Table(vec![6; 1]),
            fixed_route: 0,
            control,
            rotate_clockwise: false,
        });
        fabric.set_sleeping(config.sleeping_routers);
        if let Some(faults) = &config.transient_faults {
            fabric.set_transient_faults(faults);
        }
        Machine::build(
            topology,
            tables,
            programs,
            config,
            MachineEngine::Fast(Box::new(FastEngine::new(fabric))),
        )
    }

    /// Builds the machine on the RTL fabric `kind` (its topology; 16-entry tables).
    pub fn on_rtl(
        kind: spinn_rtl::config::FabricKind,
        tables: &BTreeMap<ChipCoord, Vec<McEntry>>,
        programs: Vec<CoreProgram>,
        config: MachineConfig,
    ) -> Result<Machine, LoadError> {
        if config.transient_faults.is_some() {
            return Err(LoadError::FaultsOnRtl);
        }
        let engine = crate::rtl_engine::RtlEngine::new(kind, tables, config.control)?;
        Machine::with_engine(kind.machine(), tables, programs, config, Box::new(engine))
    }

    /// Builds the machine on a given engine, whose routers the caller loaded with `tables`.
    pub fn with_engine(
        topology: spinn_arch::Machine,
        tables: &BTreeMap<ChipCoord, Vec<McEntry>>,
        programs: Vec<CoreProgram>,
        config: MachineConfig,
        engine: Box<dyn Engine>,
    ) -> Result<Machine, LoadError> {
        Machine::build(
            topology,
            tables,
            programs,
            config,
            MachineEngine::Dyn(engine),
        )
    }

    fn build(
        topology: spinn_arch::Machine,
        tables: &BTreeMap<ChipCoord, Vec<McEntry>>,
        programs: Vec<CoreProgram>,
        config: MachineConfig,
        engine: MachineEngine,
    ) -> Result<Machine, LoadError> {
        let n_chips = topology.n_chips();
        let mut core_at = vec![None; n_chips * CORES_PER_CHIP];
        let mut by_vertex = BTreeMap::new();
        let mut cores: Vec<CoreState> = Vec::with_capacity(programs.len());
        for program in programs {
            let chip = topology
                .chip_index(program.chip)
                .ok_or(LoadError::DeadChip { chip: program.chip })?;
            let core = program.core.index();
            if core == CoreId::MONITOR.index() {
                return Err(LoadError::MonitorCore {
                    vertex: program.vertex,
                    chip: program.chip,
                    core,
                });
            }
            if !topology.core_alive(program.chip, program.core) {
                return Err(LoadError::DeadCore {
                    vertex: program.vertex,
                    chip: program.chip,
                    core,
                });
            }
            let slot = chip * CORES_PER_CHIP + core;
            if let Some(other) = core_at[slot] {
                return Err(LoadError::CoreTaken {
                    vertex: program.vertex,
                    other: cores[other as usize].location.vertex.clone(),
                    chip: program.chip,
                    core,
                });
            }
            if by_vertex.contains_key(&program.vertex) {
                return Err(LoadError::DuplicateVertex {
                    vertex: program.vertex,
                });
            }
            let callbacks = program.app.callbacks();
            let priorities = [
                callbacks.packet,
                callbacks.timer.map(|t| t.priority),
                callbacks.user,
            ];
            for p in priorities.into_iter().flatten() {
                if let Priority::Queued(q) = p {
                    if !(1..=N_TASK_QUEUES as u8).contains(&q) {
                        return Err(LoadError::BadPriority {
                            vertex: program.vertex,
                            priority: q as i32,
                        });
                    }
                }
            }
            let idx = cores.len() as u32;
            core_at[slot] = Some(idx);
            by_vertex.insert(program.vertex.clone(), idx);
            cores.push(CoreState {
                location: CoreLocation {
                    chip: program.chip,
                    core: program.core,
                    vertex: program.vertex,
                },
                chip,
                core,
                app: program.app,
                callbacks,
                isr_busy_until: 0,
                task_busy_until: 0,
                dispatch_pending: false,
                queues: std::array::from_fn(|_| VecDeque::new()),
                sends_in_flight: 0,
                exited: false,
                timer_tick: 0,
                dtcm: Budget::new(DTCM_BYTES.into()),
                stats: CoreStats::default(),
            });
        }
        let dead_links = (0..n_chips)
            .map(|c| {
                let live = topology
                    .links(topology.chip_at(c))
                    .fold(0u8, |acc, (dir, _)| acc | 1 << dir.index());
                !live & 0x3f
            })
            .collect();
        let clock = RouterClock::new(&config.costs);
        let durations = Durations::new(&config.costs);
        let mut machine = Machine {
            dead_links,
            largest_table: tables.values().map(Vec::len).max().unwrap_or(0),
            config,
            topology,
            engine,
            cores,
            core_at,
            by_vertex,
            sdram: vec![Budget::new(SDRAM_BYTES); n_chips],
            host_data: vec![None; n_chips],
            monitors: vec![MonitorState::default(); n_chips],
            jobs: JobQueue::new(),
            events: Vec::new(),
            host_packets: Vec::new(),
            clock,
            durations,
        };
        for idx in 0..machine.cores.len() {
            let end = machine.run_callback(idx, 0, None)?;
            machine.cores[idx].task_busy_until = end;
            machine.cores[idx].stats.busy_cycles += end;
            if let Some(timer) = machine.cores[idx].callbacks.timer {
                let first = end.max(machine.config.costs.cycles_per_us(timer.period_us));
                machine.schedule(first, Job::timer_isr(idx as u32, first));
            }
        }
        Ok(machine)
    }

    pub fn topology(&self) -> &spinn_arch::Machine {
        &self.topology
    }

    pub fn config(&self) -> &MachineConfig {
        &self.config
    }

    /// Machine time, in router cycles.
    pub fn cycle(&self) -> u64 {
        self.engine.cycle()
    }

    /// The application of `vertex`, if it is a `T`.
    pub fn app<T: Application>(&self, vertex: &str) -> Option<&T> {
        let idx = *self.by_vertex.get(vertex)?;
        let app: &dyn std::any::Any = &*self.cores[idx as usize].app;
        app.downcast_ref::<T>()
    }

    /// The application of `vertex`, mutably, if it is a `T`.
    pub fn app_mut<T: Application>(&mut self, vertex: &str) -> Option<&mut T> {
        let idx = *self.by_vertex.get(vertex)?;
        let app: &mut dyn std::any::Any = &mut *self.cores[idx as usize].app;
        app.downcast_mut::<T>()
    }

    /// The index of the chip `vertex` runs on, if it is on the machine.
    pub fn chip_of(&self, vertex: &str) -> Option<usize> {
        let core = *self.by_vertex.get(vertex)?;
        Some(self.cores[core as usize].chip)
    }

    /// The host writes the data set `what` (`bytes` long) into the SDRAM of chip `chip` (an
    /// index from [`Machine::chip_of`]), for every core of that chip to read, replacing the
    /// data set it wrote there before.
    pub fn write_host_data(
        &mut self,
        chip: usize,
        what: &str,
        bytes: u64,
    ) -> Result<(), MemoryError> {
        self.free_host_data(chip);
        let name = format!("host data for chip {}", self.topology.chip_at(chip));
        self.sdram[chip].alloc(&name, Region::Sdram, what, bytes)?;
        self.host_data[chip] = Some(bytes);
        Ok(())
    }

    /// Frees the data set the host wrote into chip `chip`'s SDRAM, if any.
    pub fn free_host_data(&mut self, chip: usize) {
        if let Some(held) = self.host_data[chip].take() {
            self.sdram[chip].used -= held;
        }
    }

    /// Raises a user event on `vertex`'s core now (the host's SDP message arriving); returns
    /// whether such a vertex exists.
    pub fn raise_user_event(&mut self, vertex: &str, arg0: u32, arg1: u32) -> bool {
        let Some(&core) = self.by_vertex.get(vertex) else {
            return false;
        };
        let now = self.engine.cycle();
        self.schedule(now, Job::UserIsr { core, arg0, arg1 });
        true
    }

    /// Runs until quiescence or `max_cycles` of machine time from now.
    pub fn run(&mut self, max_cycles: u64) -> StopReason {
        self.run_with_host(max_cycles, |_| HostFlow::Continue)
    }

    /// Runs until quiescence, `max_cycles` of machine time from now, or until `host`, shown
    /// every packet handed to the host, asks to stop.
    pub fn run_with_host(
        &mut self,
        max_cycles: u64,
        mut host: impl FnMut(&HostPacket) -> HostFlow,
    ) -> StopReason {
        let limit = self.engine.cycle().saturating_add(max_cycles);
        loop {
            let now = self.engine.cycle();
            while self.jobs.peek_time().is_some_and(|t| t <= now) {
                let (time, job) = self.jobs.pop().expect("invariant: just peeked");
                self.execute(time, job);
            }
            // Jobs of cores that have exited (their timer, their dispatcher) change nothing and
            // must not hold machine time up.
            while self.jobs.peek().is_some_and(|(_, job)| self.is_stale(job)) {
                self.jobs.pop();
            }
            let mut stop = false;
            for packet in self.host_packets.drain(..) {
                stop |= host(&packet) == HostFlow::Stop;
            }
            if stop {
                return StopReason::HostRequest;
            }
            if self.jobs.is_empty() && self.engine.is_quiet() {
                // The machine is done when its last handler returns, not when its last packet
                // lands: the time a core still computes is machine time too.
                let finished = self.cores_busy_until();
                if finished <= now {
                    return StopReason::Quiescent;
                }
                if now >= limit {
                    return StopReason::TimeLimit;
                }
                self.engine.skip_to(finished.min(limit));
                continue;
            }
            if now >= limit {
                return StopReason::TimeLimit;
            }
            let next = self.jobs.peek_time().map_or(limit, |t| t.min(limit));
            if self.engine.is_quiet() {
                self.engine.skip_to(next);
                continue;
            }
            self.engine.run_until_event(next);
            let mut events = std::mem::take(&mut self.events);
            self.engine.take_endpoint_events(&mut events);
            // When these deliveries' receive handlers would be the next jobs to run, in this
            // order, they run now rather than through the job queue.
            let run_now = self.deliveries_run_first(&events);
            for event in events.drain(..) {
                self.on_endpoint_event(event, run_now);
            }
            self.events = events;
        }
    }

    /// The cycle by which every core has returned from its handlers and callbacks.
    fn cores_busy_until(&self) -> u64 {
        self.cores
            .iter()
            .map(|c| c.isr_busy_until.max(c.task_busy_until))
            .max()
            .unwrap_or(0)
    }

    /// Whether `events` are all deliveries of one cycle whose receive handlers, scheduled the
    /// cycle after, would run before any job queued now: no queued job is due by then. (Jobs
    /// the handlers schedule come after them either way.)
    fn deliveries_run_first(&self, events: &[EndpointEvent]) -> bool {
        let Some(&EndpointEvent::Delivered { cycle, .. }) = events.first() else {
            return false;
        };
        let due = cycle + 1;
        due <= self.engine.cycle()
            && self
                .jobs
                .peek_time()
                .is_none_or(|t| t > self.engine.cycle())
            && events
                .iter()
                .all(|e| matches!(*e, EndpointEvent::Delivered { cycle: c, .. } if c == cycle))
    }

    fn is_stale(&self, job: Job) -> bool {
        match job {
            Job::TimerIsr { core, .. } | Job::Dispatch { core } | Job::UserIsr { core, .. } => {
                self.cores[core as usize].exited
            }
            Job::PacketIsr { .. } | Job::Send { .. } | Job::MonitorRead { .. } => false,
        }
    }

    fn schedule(&mut self, time: u64, job: Job) {
        self.jobs.push(time, job);
    }

    /// `run_now`: run a delivery's receive handler at once instead of queueing it (see
    /// [`Machine::deliveries_run_first`]).
    fn on_endpoint_event(&mut self, event: EndpointEvent, run_now: bool) {
        match event {
            EndpointEvent::Delivered {
                cycle,
                chip,
                core,
                packet,
            } => match self.core_at[chip as usize * CORES_PER_CHIP + core as usize] {
                Some(idx) => {
                    let (key, payload) = key_and_payload(packet);
                    if run_now {
                        self.packet_isr(cycle + 1, idx as usize, key, payload);
                    } else {
                        self.schedule(cycle + 1, Job::packet_isr(idx, key, payload));
                    }
                }
                // Nothing runs there (a table routing to an idle core): the receive handler of
                // an idle core only drains the buffer.
                None => self
                    .engine
                    .free_receive(chip as usize, core as usize, cycle + 1),
            },
            EndpointEvent::Dumped { cycle, chip } => {
                let monitor = &mut self.monitors[chip as usize];
                if self.config.reinjection && !monitor.read_pending {
                    monitor.read_pending = true;
                    let latency = self.durations.irq;
                    self.schedule(cycle + 1 + latency, Job::MonitorRead { chip });
                }
            }
        }
    }

    fn execute(&mut self, t: u64, job: Job) {
        match job {
            Job::PacketIsr {
                core,
                key,
                payload,
                has_payload,
            } => self.packet_isr(t, core as usize, key, has_payload.then_some(payload)),
            Job::TimerIsr { core, nominal } => self.timer_isr(t, core as usize, nominal.get()),
            Job::UserIsr { core, arg0, arg1 } => {
                let idx = core as usize;
                if let Some(start) = self.isr_start(t, idx, job) {
                    let entered = start + self.durations.user_isr;
                    let priority = self.cores[idx].callbacks.user;
                    self.isr_event(idx, start, entered, priority, Event::User { arg0, arg1 });
                }
            }
            Job::Dispatch { core } => self.dispatch(t, core as usize),
            Job::Send {
                core,
                packet_low,
                packet_high,
            } => {
                let packet = packet_low[0] as u128
                    | (packet_low[1] as u128) << 32
                    | (packet_high as u128) << 64;
                let state = &mut self.cores[core as usize];
                state.sends_in_flight -= 1;
                let (chip, c) = (state.chip, state.core);
                if self.engine.injection_backlog(chip, c) >= SEND_CAPACITY {
                    self.cores[core as usize].stats.send_failures += 1;
                } else {
                    self.engine.inject(chip, c, t, packet);
                    self.cores[core as usize].stats.packets_sent += 1;
                }
            }
            Job::MonitorRead { chip } => self.monitor_read(t, chip as usize),
        }
    }

    /// When an interrupt handler for `idx` can start at `t`: now, or (re-scheduling `job`) when
    /// the handler before it finishes.
    fn isr_start(&mut self, t: u64, idx: usize, job: Job) -> Option<u64> {
        let busy = self.cores[idx].isr_busy_until;
        if busy > t {
            self.schedule(busy, job);
            return None;
        }
        Some(t)
    }

    fn packet_isr(&mut self, t: u64, idx: usize, key: u32, payload: Option<u32>) {
        let job = Job::packet_isr(idx as u32, key, payload);
        let Some(start) = self.isr_start(t, idx, job) else {
            return;
        };
        let read = start + self.durations.packet_isr;
        let state = &mut self.cores[idx];
        state.stats.packets_received += 1;
        self.engine.free_receive(state.chip, state.core, read);
        let event = Event::Packet { key, payload };
        let priority = state.callbacks.packet;
        self.isr_event(idx, start, read, priority, event);
    }

    fn timer_isr(&mut self, t: u64, idx: usize, nominal: u64) {
        if self.cores[idx].exited {
            return;
        }
        let job = Job::timer_isr(idx as u32, nominal);
        if self.cores[idx].isr_busy_until > t {
            let busy = self.cores[idx].isr_busy_until;
            self.schedule(busy, job);
            return;
        }
        let timer = self.cores[idx]
            .callbacks
            .timer
            .expect("invariant: timer jobs exist only for cores with a timer");
        let entered = t + self.durations.timer_isr;
        let next = nominal + self.config.costs.cycles_per_us(timer.period_us).max(1);
        self.cores[idx].timer_tick += 1;
        let tick = self.cores[idx].timer_tick;
        self.isr_event(idx, t, entered, Some(timer.priority), Event::Timer { tick });
        if !self.cores[idx].exited {
            self.schedule(next, Job::timer_isr(idx as u32, next));
        }
    }

    /// The rest of an interrupt handler that started at `start` and reached its callback at
    /// `entered`: run the callback inside it, queue it, or discard the event.
    fn isr_event(
        &mut self,
        idx: usize,
        start: u64,
        entered: u64,
        priority: Option<Priority>,
        event: Event,
    ) {
        let end = match priority {
            _ if self.cores[idx].exited => entered,
            None => {
                self.cores[idx].stats.unhandled += 1;
                entered
            }
            Some(p) => match p.queue() {
                None => self.run_callback_infallible(idx, entered, event),
                Some(q) => {
                    let state = &mut self.cores[idx];
                    if state.queues[q].len() >= QUEUE_USABLE_SLOTS {
                        state.stats.queue_overflows += 1;
                    } else {
                        state.queues[q].push_back(event);
                        if !state.dispatch_pending {
                            state.dispatch_pending = true;
                            self.schedule(entered, Job::Dispatch { core: idx as u32 });
                        }
                    }
                    entered
                }
            },
        };
        let state = &mut self.cores[idx];
        if state.task_busy_until > start {
            state.task_busy_until += end - start;
        }
        state.isr_busy_until = end;
        state.stats.busy_cycles += end - start;
    }

    fn dispatch(&mut self, t: u64, idx: usize) {
        let state = &mut self.cores[idx];
        state.dispatch_pending = false;
        if state.exited {
            return;
        }
        let busy = state.isr_busy_until.max(state.task_busy_until);
        if busy > t {
            state.dispatch_pending = true;
            self.schedule(busy, Job::Dispatch { core: idx as u32 });
            return;
        }
        let Some(event) = state.queues.iter_mut().find_map(VecDeque::pop_front) else {
            return;
        };
        let start = t + self.durations.dispatch;
        let end = self.run_callback_infallible(idx, start, event);
        let state = &mut self.cores[idx];
        state.task_busy_until = end;
        state.stats.busy_cycles += end - t;
        if state.queues.iter().any(|q| !q.is_empty()) && !state.exited {
            state.dispatch_pending = true;
            self.schedule(end, Job::Dispatch { core: idx as u32 });
        }
    }

    /// Runs an event callback. `on_event` returns nothing (an application handles its own
    /// allocation failures, as C code checking `sark_alloc` does), so only `start` can fail.
    fn run_callback_infallible(&mut self, idx: usize, start: u64, event: Event) -> u64 {
        self.run_callback(idx, start, Some(event))
            .expect("invariant: only start returns memory errors")
    }

    /// Runs `start` (when `event` is `None`) or an event callback of core `idx` from `start`;
    /// schedules what it did and returns when it finishes.
    fn run_callback(
        &mut self,
        idx: usize,
        start: u64,
        event: Option<Event>,
    ) -> Result<u64, MemoryError> {
        let state = &mut self.cores[idx];
        let backlog = self.engine.injection_backlog(state.chip, state.core);
        let send_room = SEND_CAPACITY.saturating_sub(backlog + state.sends_in_flight);
        let mut ctx = Context {
            location: &state.location,
            costs: &self.config.costs,
            start_cycle: start,
            charged_millicycles: 0,
            effects: Effects {
                jobs: &mut self.jobs,
                clock: &self.clock,
                core: idx as u32,
                sends_in_flight: &mut state.sends_in_flight,
                host_packets: &mut self.host_packets,
            },
            dtcm: &mut state.dtcm,
            sdram: &mut self.sdram[state.chip],
            exit: false,
            send_room,
        };
        let res = match event {
            None => state.app.start(&mut ctx),
            Some(event) => {
                state.app.on_event(&mut ctx, event);
                Ok(())
            }
        };
        let (charged, exit) = (ctx.charged_millicycles, ctx.exit);
        state.stats.callbacks += event.is_some() as u64;
        let end = start + self.clock.router_cycles(charged);
        if exit {
            state.exited = true;
            for q in &mut state.queues {
                q.clear();
            }
        }
        res.map(|()| end)
    }

    fn monitor_read(&mut self, t: u64, chip: usize) {
        let monitor = &mut self.monitors[chip];
        if monitor.busy_until > t {
            let busy = monitor.busy_until;
            self.schedule(busy, Job::MonitorRead { chip: chip as u32 });
            return;
        }
        monitor.read_pending = false;
        monitor.busy_until = t + self.durations.dump_read;
        let registers = self.engine.take_dump(chip);
        if registers.status >> 31 & 1 == 0 {
            return;
        }
        monitor.stats.dumps_read += 1;
        let header = DumpHeader::decode(registers.header);
        let dumped = header.packet(registers.key, registers.payload);
        let packet = if header.emergency_last {
            // The last leg of an emergency route (dumped with ER = 0): ER = 3 makes the next
            // router route it as if it came straight from the detour's start.
            dumped.with_emergency(Emergency::LastHop)
        } else {
            dumped
        }
        .to_bus();
        let source = header.source;
        // A link the monitor knows to be dead (or absent) would never take the packet: an
        // emergency detour's last leg over one would be dumped and re-injected for ever.
        let outputs = registers.outputs & !(self.dead_links[chip] as u32);
        if outputs == 0 {
            self.monitors[chip].stats.undeliverable += 1;
        } else if self.engine.reinject_backlog(chip) >= self.config.reinject_queue {
            self.monitors[chip].stats.queue_full += 1;
        } else {
            self.monitors[chip].stats.queued += 1;
            self.engine.reinject(chip, packet, source, outputs);
        }
    }

    /// What happened so far.
    pub fn report(&self) -> MachineReport {
        let cycles = self.engine.cycle();
        let mut counters = [0u64; N_COUNTERS];
        for chip in 0..self.topology.n_chips() {
            for (total, value) in counters.iter_mut().zip(self.engine.counters(chip)) {
                *total += value as u64;
            }
        }
        let stats = self.engine.stats();
        let mut cores = CoreStats::default();
        for state in &self.cores {
            let s = state.stats;
            cores.busy_cycles += s.busy_cycles;
            cores.callbacks += s.callbacks;
            cores.packets_received += s.packets_received;
            cores.packets_sent += s.packets_sent;
            cores.send_failures += s.send_failures;
            cores.queue_overflows += s.queue_overflows;
            cores.unhandled += s.unhandled;
        }
        let mut monitors = MonitorStats::default();
        for m in &self.monitors {
            monitors.dumps_read += m.stats.dumps_read;
            monitors.queued += m.stats.queued;
            monitors.queue_full += m.stats.queue_full;
            monitors.undeliverable += m.stats.undeliverable;
        }
        let dumped = counters[Counter::DumpedMc.index()] + counters[Counter::DumpedOther.index()];
        let pending_reinjection: u64 = (0..self.topology.n_chips())
            .map(|c| self.engine.reinject_backlog(c) as u64)
            .sum();
        let seconds = self.config.costs.seconds(cycles);
        let busy_seconds = self.config.costs.seconds(cores.busy_cycles);
        // spec/hardware.md §8: 25 pJ per routed bit; 0.35 W per idle chip; 0.034 W per busy core.
        let routed_bits = stats.payload_traversals * 72
            + (stats.router_traversals - stats.payload_traversals) * 40;
        let energy_joules = routed_bits as f64 * 25e-12
            + self.topology.n_chips() as f64 * 0.35 * seconds
            + busy_seconds * 0.034;
        MachineReport {
            cycles,
            seconds,
            cores_used: self.cores.len(),
            largest_table: self.largest_table,
            peak_dtcm_bytes: self.cores.iter().map(|c| c.dtcm.used).max().unwrap_or(0),
            packets_sent: cores.packets_sent,
            delivered: stats.delivered,
            router_traversals: stats.router_traversals,
            link_hops: stats.link_hops,
            emergency_routed: counters[Counter::EmergencyRouted.index()],
            dumped,
            reinjected: stats.reinjected,
            dump_overflows: counters[Counter::DumpOverflow.index()],
            transient_drops: stats.transient_drops,
            link_errors: stats.link_errors,
            parity_errors: counters[Counter::ParityError.index()],
            dropped: dumped.saturating_sub(stats.reinjected + pending_reinjection),
            send_failures: cores.send_failures,
            queue_overflows: cores.queue_overflows,
            unhandled_events: cores.unhandled,
            monitor: monitors,
            core_busy_cycles: cores.busy_cycles,
            energy_joules,
        }
    }

    /// Every router's load so far, in the machine's chip order; a dump counts as dropped where
    /// the monitor could not re-inject it (or re-injection is off).
    pub fn chip_loads(&self) -> Vec<ChipLoad> {
        (0..self.topology.n_chips())
            .map(|c| {
                let counters = self.engine.counters(c);
                let mut load = ChipLoad::from_counters(self.topology.chip_at(c), &counters);
                if self.config.reinjection {
                    let m = &self.monitors[c].stats;
                    load.dropped = counters[Counter::DumpOverflow.index()] as u64
                        + m.queue_full
                        + m.undeliverable;
                }
                load
            })
            .collect()
    }

    /// Every link's busy cycles so far, if the engine keeps them (the fast model does).
    pub fn link_loads(&self) -> Option<Vec<LinkLoad>> {
        self.engine.link_loads()
    }

    /// Per-core totals of `vertex`.
    pub fn core_stats(&self, vertex: &str) -> Option<CoreStats> {
        self.by_vertex
            .get(vertex)
            .map(|&i| self.cores[i as usize].stats)
    }

    /// Of the cores loaded with the given vertices, the one that has spent the most machine
    /// time in handlers and callbacks, and those router cycles; ties go to the first name in
    /// name order. Names not loaded here are skipped. Its share of the machine time says how
    /// close a mapping runs to its slowest core's pace.
    pub fn busiest_of<'a>(
        &self,
        vertices: impl IntoIterator<Item = &'a String>,
    ) -> Option<(String, u64)> {
        vertices
            .into_iter()
            .filter_map(|v| Some((v, self.core_stats(v)?.busy_cycles)))
            .max_by_key(|&(v, busy)| (busy, std::cmp::Reverse(v)))
            .map(|(v, busy)| (v.clone(), busy))
    }
}

/// Totals over the machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineReport {
    /// Machine time in router cycles, and in seconds.
    pub cycles: u64,
    pub seconds: f64,
    pub cores_used: usize,
    pub largest_table: usize,
    pub peak_dtcm_bytes: u64,
    /// Packets the cores' software put into the send path.
    pub packets_sent: u64,
    /// Packets routers delivered to cores.
    pub delivered: u64,
    pub router_traversals: u64,
    pub link_hops: u64,
    pub emergency_routed: u64,
    /// Dumps, counting each dump of a packet (a re-injected packet can be dumped again).
    pub dumped: u64,
    /// Packets routers took from the monitors' re-injection queues.
    pub reinjected: u64,
    /// Dumps that found the dump registers full: those packets are lost.
    pub dump_overflows: u64,
    /// Hand-overs an injected transient fault made fail (each packet dumped, so counted in
    /// `dumped`, and re-injected like any other dump).
    pub transient_drops: u64,
    /// Packets an injected transient fault corrupted on a link.
    pub link_errors: u64,
    /// Packets routers discarded for bad parity (corrupted on a link): lost.
    pub parity_errors: u64,
    /// Dumped packets neither re-injected nor waiting to be: lost.
    pub dropped: u64,
    /// Packets lost because a core's send path was full.
    pub send_failures: u64,
    /// Events lost to full task queues.
    pub queue_overflows: u64,
    pub unhandled_events: u64,
    pub monitor: MonitorStats,
    pub core_busy_cycles: u64,
    /// Router energy per routed bit plus chip idle power plus busy-core power.
    pub energy_joules: f64,
}

impl MachineReport {
    /// Packets the fabric lost: dropped after a dump, or discarded for bad parity.
    pub fn packets_lost(&self) -> u64 {
        self.dropped + self.parity_errors
    }

    /// This run followed by `later` on another machine of the same mapping (a batch run again
    /// on a freshly loaded machine): times, counts and energy add up, sizes are the larger.
    pub fn followed_by(&self, later: &MachineReport) -> MachineReport {
        let m = (&self.monitor, &later.monitor);
        MachineReport {
            cycles: self.cycles + later.cycles,
            seconds: self.seconds + later.seconds,
            cores_used: self.cores_used.max(later.cores_used),
            largest_table: self.largest_table.max(later.largest_table),
            peak_dtcm_bytes: self.peak_dtcm_bytes.max(later.peak_dtcm_bytes),
            packets_sent: self.packets_sent + later.packets_sent,
            delivered: self.delivered + later.delivered,
            router_traversals: self.router_traversals + later.router_traversals,
            link_hops: self.link_hops + later.link_hops,
            emergency_routed: self.emergency_routed + later.emergency_routed,
            dumped: self.dumped + later.dumped,
            reinjected: self.reinjected + later.reinjected,
            dump_overflows: self.dump_overflows + later.dump_overflows,
            transient_drops: self.transient_drops + later.transient_drops,
            link_errors: self.link_errors + later.link_errors,
            parity_errors: self.parity_errors + later.parity_errors,
            dropped: self.dropped + later.dropped,
            send_failures: self.send_failures + later.send_failures,
            queue_overflows: self.queue_overflows + later.queue_overflows,
            unhandled_events: self.unhandled_events + later.unhandled_events,
            monitor: MonitorStats {
                dumps_read: m.0.dumps_read + m.1.dumps_read,
                queued: m.0.queued + m.1.queued,
                queue_full: m.0.queue_full + m.1.queue_full,
                undeliverable: m.0.undeliverable + m.1.undeliverable,
            },
            core_busy_cycles: self.core_busy_cycles + later.core_busy_cycles,
            energy_joules: self.energy_joules + later.energy_joules,
        }
    }
}
