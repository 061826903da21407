//! Host I/O applications: a source that injects the host's packets into the machine (like
//! SpiNNaker's reverse-IP-tag multicast source) and a gatherer that forwards packets to the host
//! (like its live packet gatherer). Both are ordinary applications on ordinary cores, placed by
//! the toolchain like any vertex (usually constrained to the Ethernet chip, (0, 0)).

use crate::app::{Application, Context, Outbox};
use crate::cost::Op;
use crate::event::{Callbacks, Event, Priority};

/// Sends the packets the host queues, as fast as its send path takes them, never losing one.
#[derive(Debug, Default)]
pub struct HostSource {
    pending: Outbox,
    sent: u64,
}

impl HostSource {
    pub fn new() -> HostSource {
        HostSource::default()
    }

    /// Queues packets from the host; the machine raises a user event to start sending.
    pub fn push(&mut self, packets: impl IntoIterator<Item = (u32, Option<u32>)>) {
        for (key, payload) in packets {
            self.pending.push(key, payload);
        }
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

impl Application for HostSource {
    fn callbacks(&self) -> Callbacks {
        Callbacks {
            packet: None,
            timer: None,
            user: Some(Priority::Queued(1)),
        }
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        if !matches!(event, Event::User { .. }) {
            return;
        }
        // Unpacking the host's message costs a few instructions per packet.
        let before = self.pending.len();
        let left = self.pending.flush(ctx, 8);
        self.sent += (before - self.pending.len()) as u64;
        if left {
            ctx.trigger_user_event(0, 0);
        }
    }
}

/// Forwards every packet it receives to the host.
#[derive(Debug, Default)]
pub struct LivePacketGatherer {
    received: u64,
}

impl LivePacketGatherer {
    pub fn new() -> LivePacketGatherer {
        LivePacketGatherer::default()
    }

    pub fn received(&self) -> u64 {
        self.received
    }
}

impl Application for LivePacketGatherer {
    fn callbacks(&self) -> Callbacks {
        // Handled in the interrupt: a queued callback would lose packets once 15 wait.
        Callbacks {
            packet: Some(Priority::NonQueueable),
            timer: None,
            user: None,
        }
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        if let Event::Packet { key, payload } = event {
            // Packing the packet into an EIEIO message.
            ctx.charge(Op::Alu, 12);
            self.received += 1;
            ctx.send_to_host(key, payload);
        }
    }
}
