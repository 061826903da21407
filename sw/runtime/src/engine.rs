//! The fabric engine a machine runs on: what the cores and monitors need from the routers and
//! links, whichever engine provides them (the fast model here; the RTL fabric in `rtl_engine`).

use spinn_arch::N_COUNTERS;
use spinn_model::{CoreEndpoints, DumpRegisters, EndpointEvent, Fabric, FabricStats, LinkLoad};

pub trait Engine {
    /// The next cycle to simulate.
    fn cycle(&self) -> u64;
    /// Steps until `end`, until a cycle produces an endpoint event, or until the fabric is
    /// quiet.
    fn run_until_event(&mut self, end: u64);
    /// Moves time on to `cycle`; only called while the fabric is quiet.
    fn skip_to(&mut self, cycle: u64);
    fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>);
    /// Nothing in flight anywhere and nothing scheduled.
    fn is_quiet(&self) -> bool;
    fn free_receive(&mut self, chip: usize, core: usize, at: u64);
    fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128);
    fn injection_backlog(&self, chip: usize, core: usize) -> usize;
    fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32);
    fn reinject_backlog(&self, chip: usize) -> usize;
    fn take_dump(&mut self, chip: usize) -> DumpRegisters;
    fn counters(&self, chip: usize) -> [u32; N_COUNTERS];
    fn stats(&self) -> FabricStats;
    /// Every link's busy cycles, if the engine keeps them.
    fn link_loads(&self) -> Option<Vec<LinkLoad>> {
        None
    }
}

/// The fast model with receive buffers on the core ports.
pub struct FastEngine(Fabric);

impl FastEngine {
    pub fn new(mut fabric: Fabric) -> FastEngine {
        fabric.set_core_endpoints(CoreEndpoints::ReceiveBuffers);
        // Training runs deliver millions of packets: the endpoint events are the record.
        fabric.set_recording(false);
        FastEngine(fabric)
    }
}

// Inlined: a machine calls these several times per packet.
impl Engine for FastEngine {
    #[inline]
    fn cycle(&self) -> u64 {
        self.0.cycle()
    }
    #[inline]
    fn run_until_event(&mut self, end: u64) {
        self.0.run_until_event(end);
    }
    #[inline]
    fn skip_to(&mut self, cycle: u64) {
        self.0.skip_to(cycle)
    }
    #[inline]
    fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>) {
        self.0.take_endpoint_events(into)
    }
    #[inline]
    fn is_quiet(&self) -> bool {
        self.0.is_quiet()
    }
    #[inline]
    fn free_receive(&mut self, chip: usize, core: usize, at: u64) {
        self.0.free_receive(chip, core, at)
    }
    #[inline]
    fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128) {
        self.0.inject(chip, core, at, packet)
    }
    #[inline]
    fn injection_backlog(&self, chip: usize, core: usize) -> usize {
        self.0.injection_backlog(chip, core)
    }
    #[inline]
    fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32) {
        self.0.reinject(chip, packet, source, route)
    }
    #[inline]
    fn reinject_backlog(&self, chip: usize) -> usize {
        self.0.reinject_backlog(chip)
    }
    #[inline]
    fn take_dump(&mut self, chip: usize) -> DumpRegisters {
        self.0.take_dump(chip)
    }
    #[inline]
    fn counters(&self, chip: usize) -> [u32; N_COUNTERS] {
        *self.0.counters(chip)
    }
    #[inline]
    fn stats(&self) -> FabricStats {
        self.0.stats()
    }
    fn link_loads(&self) -> Option<Vec<LinkLoad>> {
        Some(self.0.link_loads())
    }
}

/// The engine a machine runs on: the fast model by its own type (boxed, as it is large), so
/// that the calls a machine makes several times per packet are inlined instead of going
/// through the trait object, or any other engine behind the trait.
pub(crate) enum MachineEngine {
    Fast(Box<FastEngine>),
    Dyn(Box<dyn Engine>),
}

macro_rules! dispatch {
    ($self:ident, $e:ident => $call:expr) => {
        match $self {
            MachineEngine::Fast($e) => $call,
            MachineEngine::Dyn($e) => $call,
        }
    };
}

impl Engine for MachineEngine {
    #[inline]
    fn cycle(&self) -> u64 {
        dispatch!(self, e => e.cycle())
    }
    #[inline]
    fn run_until_event(&mut self, end: u64) {
        dispatch!(self, e => e.run_until_event(end))
    }
    #[inline]
    fn skip_to(&mut self, cycle: u64) {
        dispatch!(self, e => e.skip_to(cycle))
    }
    #[inline]
    fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>) {
        dispatch!(self, e => e.take_endpoint_events(into))
    }
    #[inline]
    fn is_quiet(&self) -> bool {
        dispatch!(self, e => e.is_quiet())
    }
    #[inline]
    fn free_receive(&mut self, chip: usize, core: usize, at: u64) {
        dispatch!(self, e => e.free_receive(chip, core, at))
    }
    #[inline]
    fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128) {
        dispatch!(self, e => e.inject(chip, core, at, packet))
    }
    #[inline]
    fn injection_backlog(&self, chip: usize, core: usize) -> usize {
        dispatch!(self, e => e.injection_backlog(chip, core))
    }
    #[inline]
    fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32) {
        dispatch!(self, e => e.reinject(chip, packet, source, route))
    }
    #[inline]
    fn reinject_backlog(&self, chip: usize) -> usize {
        dispatch!(self, e => e.reinject_backlog(chip))
    }
    #[inline]
    fn take_dump(&mut self, chip: usize) -> DumpRegisters {
        dispatch!(self, e => e.take_dump(chip))
    }
    #[inline]
    fn counters(&self, chip: usize) -> [u32; N_COUNTERS] {
        dispatch!(self, e => e.counters(chip))
    }
    #[inline]
    fn stats(&self) -> FabricStats {
        dispatch!(self, e => e.stats())
    }
    fn link_loads(&self) -> Option<Vec<LinkLoad>> {
        dispatch!(self, e => e.link_loads())
    }
}
