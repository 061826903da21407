//! The feeder: streams a batch's samples from SDRAM into the network, at most one sample per
//! slot, refilling a slot when every core is finished with its sample (credits).
//!
//! The samples are in the chip's SDRAM: a training set the host wrote once into every feeder
//! chip (a batch then names its samples by index), or a batch the host streamed into the
//! feeder's batch buffer. Each sample is read into DTCM by one DMA before it is sent.

use super::{allocate, on_event, Mailbox, Worker, CALLBACKS, START_BATCH};
use crate::machine::memory::Dtcm;
use crate::machine::ports::{BatchShare, InPorts, Mode, OutPort, PortKind};
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError, Op};
use std::sync::Arc;

/// One sample as the feeder holds it: the input and (except for prediction) the labels, as
/// words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FedSample {
    pub x: Vec<u32>,
    pub y: Option<Vec<u32>>,
}

/// The feeder's wiring.
#[derive(Debug, Clone)]
pub struct FeederWiring {
    pub ins: InPorts,
    /// The input's elements to the cores that read them.
    pub inputs: Vec<OutPort>,
    pub labels: OutPort,
    /// `Mode::COUNT` keys to every compute core.
    pub control: u32,
    /// Credits that finish a training sample (one per core that reads the input).
    pub training_credits: u32,
    pub gap: u64,
}

/// Streams a batch's samples from SDRAM into the network, at most one per slot, refilling a
/// slot when every core is finished with its sample.
pub struct Feeder {
    slots: u32,
    wiring: FeederWiring,
    mode: Mode,
    /// This replica's samples of the batch (and the batch's size).
    share: BatchShare,
    /// The samples in SDRAM the batch is drawn from.
    set: Arc<[FedSample]>,
    /// This replica's share of the batch, in batch order: indices into `set`.
    order: Vec<u32>,
    next_sample: usize,
    /// Which sample each slot holds.
    holding: Vec<Option<usize>>,
    credits: Vec<u32>,
    finished: usize,
    dtcm: Dtcm,
    /// SDRAM for a streamed batch.
    batch_buffer: u64,
    mail: Mailbox,
}

impl Feeder {
    /// A feeder with `slots` samples in flight, holding `dtcm` and `batch_buffer` bytes of
    /// SDRAM for streamed batches.
    pub fn new(slots: u32, wiring: FeederWiring, dtcm: Dtcm, batch_buffer: u64) -> Feeder {
        Feeder {
            slots,
            mode: Mode::Train,
            share: BatchShare::whole(0),
            set: Arc::from(Vec::new()),
            order: Vec::new(),
            next_sample: 0,
            holding: vec![None; slots as usize],
            credits: vec![0; slots as usize],
            finished: 0,
            mail: Mailbox::new(wiring.gap),
            wiring,
            dtcm,
            batch_buffer,
        }
    }

    /// The host names this replica's share of a batch of `total` samples: `order`, indices
    /// into `set`, the samples in this chip's SDRAM (the machine then raises [`START_BATCH`]).
    pub fn load(&mut self, mode: Mode, set: Arc<[FedSample]>, order: Vec<u32>, total: u32) {
        self.mode = mode;
        self.share = BatchShare {
            share: order.len() as u32,
            total,
        };
        self.set = set;
        self.order = order;
        self.next_sample = 0;
        self.finished = 0;
    }

    /// Samples of the current batch every core has finished with.
    pub fn finished(&self) -> usize {
        self.finished
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray_packets()
    }

    pub fn waiting(&self) -> Vec<String> {
        let needed = self.credits_needed();
        self.holding
            .iter()
            .enumerate()
            .filter_map(|(slot, held)| {
                held.map(|sample| {
                    format!(
                        "slot {slot} (sample {sample}): {} of {needed} credits",
                        self.credits[slot]
                    )
                })
            })
            .collect()
    }

    fn credits_needed(&self) -> u32 {
        if self.mode == Mode::Train {
            self.wiring.training_credits
        } else {
            1
        }
    }

    fn fill(&mut self, ctx: &mut Context) {
        while self.next_sample < self.order.len() {
            let slot = self.next_sample % self.slots as usize;
            if self.holding[slot].is_some() {
                return;
            }
            let sample = &self.set[self.order[self.next_sample] as usize];
            let labels = sample.y.as_ref().filter(|_| self.mode != Mode::Predict);
            let words = sample.x.len() + labels.map_or(0, Vec::len);
            ctx.dma_read(4 * words as u64);
            for port in &self.wiring.inputs {
                for k in 0..port.width {
                    let word = sample.x[port.source(k)];
                    self.mail.send(port.key(slot as u32, k, 0), word);
                }
            }
            if let Some(y) = labels {
                for (k, &word) in y.iter().enumerate() {
                    self.mail
                        .send(self.wiring.labels.key(slot as u32, k as u32, 0), word);
                }
            }
            ctx.charge(Op::Alu, 4 * sample.x.len() as u64);
            self.holding[slot] = Some(self.next_sample);
            self.next_sample += 1;
        }
    }
}

impl Worker for Feeder {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, _payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray();
            return;
        };
        if at.kind != PortKind::Credits {
            self.mail.stray();
            return;
        }
        let slot = at.slot as usize;
        if self.holding[slot].is_none() {
            self.mail.stray();
            return;
        }
        self.credits[slot] += 1;
        if self.credits[slot] == self.credits_needed() {
            self.credits[slot] = 0;
            self.holding[slot] = None;
            self.finished += 1;
            self.fill(ctx);
        }
    }
}

impl Application for Feeder {
    fn callbacks(&self) -> Callbacks {
        CALLBACKS
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        allocate(ctx, &self.dtcm)?;
        ctx.alloc_sdram("batch buffer", self.batch_buffer)
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        match event {
            Event::User {
                arg0: START_BATCH, ..
            } => {
                let payload = self.share.payload();
                self.mail
                    .send(self.wiring.control + self.mode as u32, payload);
                self.fill(ctx);
                self.mail.wake(ctx);
            }
            _ => on_event(self, ctx, event),
        }
    }
}
