//! The loss core: per sample the loss and the output's `δ` (softmax + cross-entropy and
//! sigmoid + binary cross-entropy fused into `δz = p − y` and `(a − y)/n`), the outputs
//! recorded to SDRAM for the host, and each batch's mean loss sent live to the host through
//! the gatherer.
//!
//! With replicas, each loss core takes its replica's share of the batch; the loss is summed in
//! batch order along the replicas: a loss core adds its samples' losses to the sum the
//! previous replica's sends it and passes the result on, and the last one reports the mean.
//! The sum is then exactly one copy's, bit for bit.

use super::{allocate, on_event, send_values, Batch, Mailbox, SlotBuffer, Worker, CALLBACKS};
use crate::machine::arith::Arith;
use crate::machine::memory::Dtcm;
use crate::machine::ports::{InPorts, Mode, OutPort, PortKind};
use crate::model::Loss;
use crate::ops::Activation;
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError, Op};

/// Bytes a sample's loss takes in the SDRAM the loss core holds its share's losses in.
pub const LOSS_BYTES: u64 = 8;

/// The loss core's wiring.
#[derive(Debug, Clone)]
pub struct LossWiring {
    pub ins: InPorts,
    /// `δ` to each output tile.
    pub deltas: Vec<OutPort>,
    /// The feeder's credit keys (evaluation and prediction: the loss core finishes a sample).
    pub credits: u32,
    /// Where the batch's loss goes once this replica's samples are added to it.
    pub loss_out: LossOut,
    /// Whether the sum of the replicas before this one comes in (on [`PortKind::LossCarry`]).
    pub carried_in: bool,
    pub gap: u64,
}

/// Where a loss core sends the batch's loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossOut {
    /// Two keys to the host: the batch's mean loss as the low and high words of an `f64`.
    Results(u32),
    /// Two keys to the next replica's loss core: the sum so far as its bits, low word first.
    Carry(u32),
}

/// Computes each sample's loss and the output's `δ`, records the outputs for the host, and
/// reports each batch's mean loss.
pub struct LossCore<A: Arith> {
    outputs: u32,
    slots: u32,
    activation: Activation,
    loss: Loss,
    out: SlotBuffer<A::Value>,
    labels: SlotBuffer<A::Value>,
    total: A::LossSum,
    /// This share's sample losses in order, until the previous replicas' sum has come (in
    /// SDRAM beside the recording).
    held: Vec<A::LossSum>,
    /// The previous replicas' sum, words as they arrive.
    carry: [Option<u32>; 2],
    /// The batch's size once this share is finished, waiting for the carry.
    finished: Option<u32>,
    /// The output activations of every sample since the host last read them, in sample order
    /// (a recording region in SDRAM).
    recorded: Vec<Vec<A::Value>>,
    record_capacity: u32,
    /// The first sample whose loss was not a number, counted from the recording's start.
    non_finite: Option<usize>,
    wiring: LossWiring,
    dtcm: Dtcm,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> LossCore<A> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        outputs: u32,
        slots: u32,
        activation: Activation,
        loss: Loss,
        record_capacity: u32,
        wiring: LossWiring,
        dtcm: Dtcm,
    ) -> LossCore<A> {
        LossCore {
            outputs,
            slots,
            activation,
            loss,
            out: SlotBuffer::new(slots, outputs, outputs),
            labels: SlotBuffer::new(slots, outputs, outputs),
            total: A::LossSum::default(),
            held: Vec::new(),
            carry: [None; 2],
            finished: None,
            recorded: Vec::new(),
            record_capacity,
            non_finite: None,
            mail: Mailbox::new(wiring.gap),
            wiring,
            dtcm,
            batch: Batch::default(),
        }
    }

    /// Takes the recorded outputs (the host reading the recording region back).
    pub fn take_recorded(&mut self) -> Vec<Vec<A::Value>> {
        std::mem::take(&mut self.recorded)
    }

    /// The first recorded sample whose loss or outputs were not numbers.
    pub fn non_finite(&self) -> Option<usize> {
        self.non_finite
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray_packets()
    }

    pub fn waiting(&self) -> Vec<String> {
        let mut w = self.out.partial("output activations");
        w.extend(self.labels.partial("labels"));
        if self.batch.mode.is_none() {
            w.push("the control packet of the batch".into());
        }
        if self.finished.is_some() {
            w.push("the loss summed over the replicas before this one".into());
        }
        w
    }

    fn ready(&self, slot: u32) -> bool {
        match self.batch.mode {
            None => false,
            Some(Mode::Predict) => self.out.full(slot),
            Some(_) => self.out.full(slot) && self.labels.full(slot),
        }
    }

    fn process_ready(&mut self, ctx: &mut Context) {
        while self.ready(self.batch.next) {
            let slot = self.batch.next;
            self.process(ctx, slot);
            if let Some(size) = self.batch.finish_sample(self.slots) {
                self.finish_share(size);
            }
        }
    }

    /// This replica's share of a batch of `size` is done: the loss goes on once the previous
    /// replicas' sum is in.
    fn finish_share(&mut self, size: u32) {
        if self.batch.mode == Some(Mode::Predict) {
            self.total = A::LossSum::default();
            return;
        }
        self.finished = Some(size);
        self.pass_loss_on();
    }

    fn pass_loss_on(&mut self) {
        let Some(size) = self.finished else { return };
        if self.wiring.carried_in {
            let [Some(lo), Some(hi)] = self.carry else {
                return;
            };
            let mut total = A::loss_sum_from_bits(u64::from(lo) | u64::from(hi) << 32);
            for &loss in &self.held {
                total = A::loss_add(total, loss);
            }
            self.total = total;
            self.held.clear();
            self.carry = [None; 2];
        }
        let (key, bits) = match self.wiring.loss_out {
            LossOut::Results(key) => (key, A::batch_loss(self.total, size).to_bits()),
            LossOut::Carry(key) => (key, A::loss_sum_bits(self.total)),
        };
        self.mail.send(key, bits as u32);
        self.mail.send(key + 1, (bits >> 32) as u32);
        self.total = A::LossSum::default();
        self.finished = None;
    }

    fn process(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let mode = self
            .batch
            .mode
            .expect("invariant: ready() needs the batch's mode");
        let a = &self.out.values[s];
        let y = &self.labels.values[s];
        let n = u64::from(self.outputs);
        if mode != Mode::Predict {
            let loss = A::sample_loss(self.loss, a, y);
            if self.wiring.carried_in {
                self.held.push(loss);
            } else {
                self.total = A::loss_add(self.total, loss);
            }
            ctx.charge(A::TRANSCENDENTAL, n);
            ctx.charge(A::MAC, 2 * n);
        }
        if self.non_finite.is_none() && !a.iter().all(|&v| A::is_finite(v)) {
            self.non_finite = Some(self.recorded.len());
        }
        if mode == Mode::Train {
            let delta = A::fused_delta(self.activation, self.loss, a, y)
                .unwrap_or_else(|| A::loss_gradient(self.loss, a, y));
            ctx.charge(A::TRANSCENDENTAL, n);
            for port in &self.wiring.deltas {
                send_values::<A>(&mut self.mail, port, slot, &delta);
            }
        } else {
            self.mail.send(self.wiring.credits + slot, 0);
        }
        // Recording: a DMA of the outputs to SDRAM.
        ctx.charge(Op::Alu, 20 + n);
        self.recorded.push(a.clone());
        self.out.clear(slot);
        self.labels.clear(slot);
    }
}

impl<A: Arith> Worker for LossCore<A> {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray();
            return;
        };
        match at.kind {
            PortKind::Control => {
                // An empty share is finished as it starts.
                if let Some(size) = self.batch.start(at.index, payload) {
                    self.finish_share(size);
                }
            }
            PortKind::LossCarry => {
                self.carry[(at.index & 1) as usize] = Some(payload);
                self.pass_loss_on();
                return;
            }
            PortKind::Values => self.out.put(at.slot, at.index, A::from_word(payload)),
            PortKind::Labels => self.labels.put(at.slot, at.index, A::from_word(payload)),
            _ => {
                self.mail.stray();
                return;
            }
        }
        self.process_ready(ctx);
    }
}

impl<A: Arith> Application for LossCore<A> {
    fn callbacks(&self) -> Callbacks {
        CALLBACKS
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        allocate(ctx, &self.dtcm)?;
        ctx.alloc_sdram(
            "output recording",
            u64::from(self.record_capacity) * u64::from(self.outputs) * 4,
        )?;
        ctx.alloc_sdram(
            "sample losses",
            u64::from(self.record_capacity) * LOSS_BYTES,
        )
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}
