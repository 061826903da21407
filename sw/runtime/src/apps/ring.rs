//! A ring pipeline with host I/O: the host injects numbered tokens through a host source; they
//! travel a ring of stages for a number of laps, each stage adding `(stage + 1) × (token + 1)`
//! to the token's payload; after the last lap the first stage sends them to the live packet
//! gatherer and so to the host, which checks every sum.
//!
//! Every partition carries one key per token, so a stage finds the token by `key − base` and
//! forwards it on its own partition at `base + token`.
//!
//! A stage takes packets in a non-queueable receive callback that only stores them (a queued
//! one would lose tokens once 15 wait: spin1's task queues drop events when full) and forwards
//! them from a queued user-event callback.

use crate::app::{Application, Context, Outbox};
use crate::cost::Op;
use crate::event::{Callbacks, Event};
use crate::memory::MemoryError;
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingConfig {
    pub stages: usize,
    pub tokens: u32,
    pub laps: u32,
}

impl RingConfig {
    /// The payload token `t` must come home with.
    pub fn expected_payload(&self, token: u32) -> u32 {
        let per_lap = (1..=self.stages as u32)
            .fold(0u32, |acc, s| acc.wrapping_add(s.wrapping_mul(token + 1)));
        per_lap.wrapping_mul(self.laps)
    }
}

/// Where a stage's packets come from and go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageKeys {
    /// Key bases of the partitions it receives: from the host (first stage only) and from the
    /// previous stage.
    pub from_host: Option<u32>,
    pub from_previous: u32,
    /// Its own partition's base: on to the next stage.
    pub onward: u32,
    /// The first stage's partition to the gatherer.
    pub home: Option<u32>,
}

/// One stage of the ring.
pub struct RingStage {
    stage: u32,
    tokens: u32,
    laps: u32,
    keys: StageKeys,
    /// Laps each token has finished (first stage only), indexed by `key − base`.
    lap: Vec<u32>,
    inbox: VecDeque<(u32, u32)>,
    outbox: Outbox,
    work_pending: bool,
    stray_packets: u64,
}

impl RingStage {
    pub fn new(config: &RingConfig, stage: usize, keys: StageKeys) -> RingStage {
        RingStage {
            stage: stage as u32,
            tokens: config.tokens,
            laps: config.laps,
            keys,
            lap: if stage == 0 {
                vec![0; config.tokens as usize]
            } else {
                Vec::new()
            },
            inbox: VecDeque::new(),
            outbox: Outbox::default(),
            work_pending: false,
            stray_packets: 0,
        }
    }

    pub fn stray_packets(&self) -> u64 {
        self.stray_packets
    }

    /// The receive callback: store the packet and make sure the worker will run.
    fn receive(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        ctx.charge(Op::Alu, 10);
        self.inbox.push_back((key, payload));
        if !self.work_pending {
            self.work_pending = true;
            ctx.trigger_user_event(0, 0);
        }
    }

    /// The worker: forward what arrived, as far as the send path allows.
    fn work(&mut self, ctx: &mut Context) {
        self.work_pending = false;
        while self.outbox.is_empty() {
            let Some((key, payload)) = self.inbox.pop_front() else {
                break;
            };
            self.forward(ctx, key, payload);
            self.outbox.flush(ctx, 0);
        }
        if self.outbox.flush(ctx, 0) || !self.inbox.is_empty() {
            self.work_pending = true;
            ctx.trigger_user_event(0, 0);
        }
    }

    fn forward(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        ctx.charge(Op::Alu, 20);
        let (token, from_host) = if let Some(base) = self
            .keys
            .from_host
            .filter(|&b| key.wrapping_sub(b) < self.tokens)
        {
            (key - base, true)
        } else if key.wrapping_sub(self.keys.from_previous) < self.tokens {
            (key - self.keys.from_previous, false)
        } else {
            self.stray_packets += 1;
            return;
        };
        let mut payload = payload;
        let mut out = self.keys.onward;
        if self.stage == 0 && !from_host {
            // A lap is done when a token comes back to the first stage.
            let lap = &mut self.lap[token as usize];
            *lap += 1;
            if *lap == self.laps {
                out = self
                    .keys
                    .home
                    .expect("invariant: the first stage sends home");
            }
        }
        if out == self.keys.onward {
            payload = payload.wrapping_add((self.stage + 1).wrapping_mul(token + 1));
        }
        self.outbox.push(out + token, Some(payload));
    }
}

impl Application for RingStage {
    fn callbacks(&self) -> Callbacks {
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        ctx.alloc_dtcm("lap counts", 4 * self.lap.len() as u64)?;
        // The inbox can hold every token at once.
        ctx.alloc_dtcm("inbox", 8 * self.tokens as u64)
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        match event {
            Event::Packet { key, payload } => self.receive(ctx, key, payload.unwrap_or(0)),
            Event::User { .. } => self.work(ctx),
            Event::Timer { .. } => {}
        }
    }
}
