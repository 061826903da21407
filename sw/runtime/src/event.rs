//! The closed set of events a core's application handles, and the priorities it registers them
//! at, after spin1_api (`spec/hardware.md` §7).
//!
//! Priority −1 (preeminent, FIQ) and 0 (non-queueable) run the callback inside the interrupt
//! handler; 1–4 queue it on one of four task queues of 16 slots, 15 usable, which the dispatcher
//! drains lowest number first. A full queue loses the event and counts it.

/// What woke the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A multicast packet was received: `payload` is `None` for a 40-bit packet (spin1's
    /// MC_PACKET_RECEIVED) and `Some` for a 72-bit one (MCPL_PACKET_RECEIVED).
    Packet { key: u32, payload: Option<u32> },
    /// The periodic timer fired; `tick` counts from 1.
    Timer { tick: u32 },
    /// A user event (software interrupt) raised by the application itself or by the host.
    User { arg0: u32, arg1: u32 },
}

/// Where a callback runs (spin1_callback_on's priority argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// −1: runs in the FIQ handler.
    Preeminent,
    /// 0: runs in the IRQ handler, atomically.
    NonQueueable,
    /// 1–4: queued on task queue `p − 1` and run by the dispatcher.
    Queued(u8),
}

impl Priority {
    /// The task queue a queued callback goes to, or `None` if it runs in the interrupt handler.
    pub fn queue(self) -> Option<usize> {
        match self {
            Priority::Queued(p) => Some(p as usize - 1),
            Priority::Preeminent | Priority::NonQueueable => None,
        }
    }
}

/// A periodic timer: spin1_set_timer_tick plus the TIMER_TICK callback's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub period_us: u32,
    pub priority: Priority,
}

/// The callbacks an application registers; an event without a callback is discarded and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callbacks {
    pub packet: Option<Priority>,
    pub timer: Option<Timer>,
    pub user: Option<Priority>,
}

impl Callbacks {
    /// The usual spin1 split: packets taken by a short callback inside the interrupt handler
    /// (it stores them; the router's output to the core frees at once) and the work done by a
    /// queued user-event callback, so no packet waits on the work and none is lost to a full
    /// task queue.
    pub const RECEIVE_THEN_WORK: Callbacks = Callbacks {
        packet: Some(Priority::NonQueueable),
        timer: None,
        user: Some(Priority::Queued(1)),
    };
}

/// Task queues per core.
pub const N_TASK_QUEUES: usize = 4;

/// Usable slots of a task queue or of the send queue (16 slots, one kept free).
pub const QUEUE_USABLE_SLOTS: usize = 15;

/// Packets a core can have waiting to leave: the communications controller's transmit register
/// plus the 15 usable slots of spin1's software send queue.
pub const SEND_CAPACITY: usize = 1 + QUEUE_USABLE_SLOTS;
