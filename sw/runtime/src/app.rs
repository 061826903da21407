//! Applications and what their callbacks may do.
//!
//! An application is a Rust type implementing [`Application`]; the machine calls it for each
//! [`Event`] it registered, through a [`Context`] that charges core cycles, sends packets, raises
//! user events, allocates memory against the budgets, and exits. A callback runs to completion
//! in host time at once, but its effects happen in machine time: each packet leaves when the
//! cycles charged before the send have elapsed, and the core is busy until all charged cycles
//! have.

use crate::cost::{CostTable, Op, RouterClock};
use crate::event::{Callbacks, Event};
use crate::machine::{HostPacket, Job, JobQueue};
use crate::memory::{Budget, MemoryError, Region};
use spinn_arch::{ChipCoord, CoreId, Packet};
use std::any::Any;

/// A program for one application core.
pub trait Application: Any {
    /// The callbacks it registers (spin1_callback_on, spin1_set_timer_tick).
    fn callbacks(&self) -> Callbacks;

    /// Runs once at time 0, before any event (the C program's `c_main` before `spin1_start`):
    /// allocate memory, send the first packets.
    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        let _ = ctx;
        Ok(())
    }

    /// Handles one event.
    fn on_event(&mut self, ctx: &mut Context, event: Event);
}

/// Where a core sits and what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreLocation {
    pub chip: ChipCoord,
    pub core: CoreId,
    pub vertex: String,
}

/// Where a callback's effects go: its sends and user events straight into the machine's job
/// queue, as they are asked for (nothing else is queued while a callback runs, so that is the
/// order a list of them taken after the callback would give), its packets for the host to the
/// host's list.
pub(crate) struct Effects<'a> {
    pub(crate) jobs: &'a mut JobQueue,
    pub(crate) clock: &'a RouterClock,
    /// The core's index in the machine.
    pub(crate) core: u32,
    /// The core's sends scheduled but not yet in the send path.
    pub(crate) sends_in_flight: &'a mut usize,
    pub(crate) host_packets: &'a mut Vec<HostPacket>,
}

/// What a running callback may do.
pub struct Context<'a> {
    pub(crate) location: &'a CoreLocation,
    pub(crate) costs: &'a CostTable,
    /// Machine time (router cycles) at which the callback started.
    pub(crate) start_cycle: u64,
    pub(crate) charged_millicycles: u64,
    pub(crate) effects: Effects<'a>,
    pub(crate) dtcm: &'a mut Budget,
    pub(crate) sdram: &'a mut Budget,
    pub(crate) exit: bool,
    /// Packets that can still be sent without loss: room in the send path at the callback's
    /// start less what it has sent (a lower bound, since the path only drains meanwhile).
    pub(crate) send_room: usize,
}

impl Context<'_> {
    pub fn location(&self) -> &CoreLocation {
        self.location
    }

    /// Machine time now, in router cycles: the callback's start plus what it has charged.
    pub fn now_cycles(&self) -> u64 {
        self.start_cycle + self.effects.clock.router_cycles(self.charged_millicycles)
    }

    /// Charges `cycles` core cycles of work.
    pub fn charge_cycles(&mut self, cycles: u64) {
        self.charged_millicycles += cycles * 1000;
    }

    /// Charges `count` operations of kind `op` at the cost table's rate.
    pub fn charge(&mut self, op: Op, count: u64) {
        self.charged_millicycles += count * self.costs.millicycles(op);
    }

    /// Reads `bytes` from the chip's SDRAM into DTCM by DMA and waits for it: the setup and
    /// the transfer are charged to this callback.
    pub fn dma_read(&mut self, bytes: u64) {
        self.charged_millicycles += self.costs.dma_millicycles(bytes);
    }

    /// Core cycles charged so far in this callback (rounded up).
    pub fn charged_cycles(&self) -> u64 {
        self.charged_millicycles.div_ceil(1000)
    }

    /// Sends a multicast packet (spin1_send_mc_packet). It leaves when the cycles charged so far
    /// have elapsed; if the transmit register and the send queue are full then, it is lost and
    /// counted as a send failure.
    pub fn send_mc(&mut self, key: u32, payload: Option<u32>) {
        self.charged_millicycles += self.costs.packet_send_cycles * 1000;
        let packet = match payload {
            Some(p) => Packet::mc(key).with_payload(p),
            None => Packet::mc(key),
        };
        self.send_room = self.send_room.saturating_sub(1);
        let at = self.now_cycles();
        let effects = &mut self.effects;
        *effects.sends_in_flight += 1;
        effects
            .jobs
            .push(at, Job::send(effects.core, packet.to_bus()));
    }

    /// Sends a multicast packet only if it cannot be lost for want of room in the send path;
    /// returns whether it was sent.
    pub fn try_send_mc(&mut self, key: u32, payload: Option<u32>) -> bool {
        if self.send_room == 0 {
            return false;
        }
        self.send_mc(key, payload);
        true
    }

    /// Hands a packet to the host (the live packet gatherer's path out over Ethernet).
    pub fn send_to_host(&mut self, key: u32, payload: Option<u32>) {
        let cycle = self.now_cycles();
        self.effects.host_packets.push(HostPacket {
            cycle,
            key,
            payload,
        });
    }

    /// Raises a user event on this core (spin1_trigger_user_event).
    pub fn trigger_user_event(&mut self, arg0: u32, arg1: u32) {
        let at = self.now_cycles();
        let core = self.effects.core;
        self.effects
            .jobs
            .push(at, Job::UserIsr { core, arg0, arg1 });
    }

    /// Stops this core after the callback (spin1_exit): its timer stops and pending events are
    /// dropped.
    pub fn exit(&mut self) {
        self.exit = true;
    }

    /// Allocates `bytes` of DTCM for `what`.
    pub fn alloc_dtcm(&mut self, what: &str, bytes: u64) -> Result<(), MemoryError> {
        self.dtcm
            .alloc(&self.location.vertex, Region::Dtcm, what, bytes)
    }

    /// Allocates `bytes` of the chip's SDRAM for `what`.
    pub fn alloc_sdram(&mut self, what: &str, bytes: u64) -> Result<(), MemoryError> {
        self.sdram
            .alloc(&self.location.vertex, Region::Sdram, what, bytes)
    }
}

/// Packets waiting to leave, sent as fast as the send path takes them: how an application
/// sends a burst without losing packets to a full send queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    queue: std::collections::VecDeque<(u32, Option<u32>)>,
}

impl Outbox {
    pub fn push(&mut self, key: u32, payload: Option<u32>) {
        self.queue.push_back((key, payload));
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Sends what the send path can take now, spending `gap_cycles` after each packet (a delay
    /// loop that spaces them); returns whether packets are left, for the caller to come back
    /// for them (from a user event, say).
    pub fn flush(&mut self, ctx: &mut Context, gap_cycles: u64) -> bool {
        while let Some(&(key, payload)) = self.queue.front() {
            if !ctx.try_send_mc(key, payload) {
                return true;
            }
            self.queue.pop_front();
            ctx.charge_cycles(gap_cycles);
        }
        false
    }
}
