//! The programs of a network's cores: the [`Feeder`] that streams samples in, the
//! [`BlockCore`]s that hold the weight blocks, the [`AccumulatorCore`]s that finish each
//! column of units, and the [`LossCore`].
//!
//! Every core takes packets in a non-queueable receive callback that only stores them, and
//! does the work in a queued user-event callback ([`Callbacks::RECEIVE_THEN_WORK`]), so no
//! packet waits on arithmetic. Each core counts what has arrived for each sample slot and acts
//! when a slot is complete; nothing polls. The backward pass at each core runs slot by slot in
//! sample order, so gradient sums and the batch loss add samples in the reference's order.
//! Sends go through an [`Outbox`] paced by a gap sized to the receivers' fan-in, so bursts do
//! not outrun the receiving cores (whose routers would otherwise dump).

use super::arith::Arith;
use super::ports::{InPorts, Mode, OutPort, PortKind};
use crate::model::{Activation, Loss};
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError, Op, Outbox};
use std::collections::VecDeque;

/// User-event argument that starts the feeder on a batch (others mean "work on the inbox").
pub const START_BATCH: u32 = 1;

/// The inbox, outbox and wake-up flag every DNN core has.
#[derive(Debug, Default)]
pub struct Mailbox {
    inbox: VecDeque<(u32, u32)>,
    outbox: Outbox,
    /// Core cycles between two sends.
    gap: u64,
    pending: bool,
    stray: u64,
}

impl Mailbox {
    pub fn new(gap: u64) -> Mailbox {
        Mailbox {
            gap,
            ..Mailbox::default()
        }
    }

    fn receive(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        ctx.charge(Op::Alu, 8);
        self.inbox.push_back((key, payload));
        self.wake(ctx);
    }

    fn wake(&mut self, ctx: &mut Context) {
        if !self.pending {
            self.pending = true;
            ctx.trigger_user_event(0, 0);
        }
    }

    fn send(&mut self, key: u32, payload: u32) {
        self.outbox.push(key, Some(payload));
    }
}

/// A core that works through its mailbox packet by packet.
trait Worker {
    fn mail(&mut self) -> &mut Mailbox;
    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32);

    /// Sends what is waiting, then handles packets until the inbox is empty or the send path
    /// is full (then it comes back in another callback, leaving room for other events).
    fn work(&mut self, ctx: &mut Context) {
        self.mail().pending = false;
        loop {
            let gap = self.mail().gap;
            if self.mail().outbox.flush(ctx, gap) {
                self.mail().wake(ctx);
                return;
            }
            let Some((key, payload)) = self.mail().inbox.pop_front() else {
                return;
            };
            ctx.charge(Op::Alu, 12);
            self.handle(ctx, key, payload);
        }
    }
}

/// Where a core is in the current batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Batch {
    mode: Option<Mode>,
    /// Samples in the batch, once the control packet has come.
    size: Option<u32>,
    /// Samples this core has finished (its last step for the mode).
    done: u32,
    /// The slot whose sample is next in order.
    next: u32,
}

impl Batch {
    /// Starts a batch from its control packet; the batch's size if this core has already
    /// finished every sample of it (the control packet came last).
    fn start(&mut self, mode_index: u32, size: u32) -> Option<u32> {
        self.mode = Mode::from_index(mode_index);
        self.size = Some(size);
        self.complete()
    }

    fn training(&self) -> bool {
        self.mode == Some(Mode::Train)
    }

    /// Counts a finished sample; the batch's size when it was the batch's last (then the
    /// count restarts at slot 0).
    fn finish_sample(&mut self, slots: u32) -> Option<u32> {
        self.done += 1;
        self.next = (self.next + 1) % slots;
        self.complete()
    }

    /// The batch's size if every sample of it is finished (then the count restarts).
    fn complete(&mut self) -> Option<u32> {
        let size = self.size?;
        if self.done != size {
            return None;
        }
        self.done = 0;
        self.next = 0;
        self.size = None;
        Some(size)
    }
}

fn sum_bytes<A: Arith>() -> u64 {
    std::mem::size_of::<A::Sum>() as u64
}

fn value_bytes<A: Arith>() -> u64 {
    std::mem::size_of::<A::Value>() as u64
}

/// Sends elements `port.offset .. port.offset + port.width` of `values` for `slot`.
fn send_values<A: Arith>(mail: &mut Mailbox, port: &OutPort, slot: u32, values: &[A::Value]) {
    for k in 0..port.width {
        let v = values[(port.offset + k) as usize];
        mail.send(port.key(slot, k, 0), A::to_word(v));
    }
}

/// Sends elements of `sums` as their words.
fn send_sums<A: Arith>(mail: &mut Mailbox, port: &OutPort, slot: u32, sums: &[A::Sum]) {
    for k in 0..port.width {
        let (packets, n) = A::sum_packets(sums[(port.offset + k) as usize]);
        for &(key, word) in &packets[..n] {
            mail.send(port.key(slot, k, key), word);
        }
    }
}

/// Per-slot buffers of `width` elements with arrival counts.
#[derive(Debug, Clone)]
struct SlotBuffer<T> {
    values: Vec<Vec<T>>,
    arrived: Vec<u32>,
}

impl<T: Copy + Default> SlotBuffer<T> {
    fn new(slots: u32, width: u32) -> SlotBuffer<T> {
        SlotBuffer {
            values: vec![vec![T::default(); width as usize]; slots as usize],
            arrived: vec![0; slots as usize],
        }
    }

    fn clear(&mut self, slot: u32) {
        self.arrived[slot as usize] = 0;
        self.values[slot as usize].fill(T::default());
    }

    /// Stores element `index` of `slot`'s vector (one arrival).
    fn put(&mut self, slot: u32, index: u32, value: T) {
        self.values[slot as usize][index as usize] = value;
        self.arrived[slot as usize] += 1;
    }

    /// Folds a word into element `index` of `slot`'s vector, counting `weight` arrivals.
    fn fold(&mut self, slot: u32, index: u32, weight: u32, fold: impl FnOnce(T) -> T) {
        let element = &mut self.values[slot as usize][index as usize];
        *element = fold(*element);
        self.arrived[slot as usize] += weight;
    }

    /// Whether `slot` has all of its `expected` arrivals.
    fn holds(&self, slot: u32, expected: u32) -> bool {
        self.arrived[slot as usize] == expected
    }

    /// Slots with some but not all of `expected` arrivals, as "slot s: n of m".
    fn partial(&self, expected: u32) -> Vec<String> {
        self.arrived
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0 && n < expected)
            .map(|(s, &n)| format!("slot {s}: {n} of {expected}"))
            .collect()
    }
}

/// A block core's wiring.
#[derive(Debug, Clone)]
pub struct BlockWiring {
    pub ins: InPorts,
    /// Partial sums to the column's accumulator.
    pub partials: OutPort,
    /// `Wᵀδ` partials to the accumulators of the layer below (none in the first layer).
    pub backward: Vec<OutPort>,
    /// The feeder's credit keys (first layer only): a slot's sample is finished.
    pub credits: Option<u32>,
    pub gap: u64,
}

/// A `rows × cols` block of one layer's weights: forward partial products, weight gradients
/// and the `Wᵀδ` partials.
pub struct BlockCore<A: Arith> {
    rows: u32,
    cols: u32,
    slots: u32,
    /// Row-major `rows × cols`.
    weights: Vec<A::Value>,
    gradients: Vec<A::Sum>,
    velocity: Option<Vec<A::Value>>,
    hyper: A::Hyper,
    inputs: SlotBuffer<A::Value>,
    deltas: SlotBuffer<A::Value>,
    wiring: BlockWiring,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> BlockCore<A> {
    pub fn new(
        rows: u32,
        cols: u32,
        slots: u32,
        weights: Vec<A::Value>,
        momentum: bool,
        hyper: A::Hyper,
        wiring: BlockWiring,
    ) -> BlockCore<A> {
        assert_eq!(weights.len(), (rows * cols) as usize, "block weights");
        BlockCore {
            rows,
            cols,
            slots,
            gradients: vec![A::Sum::default(); weights.len()],
            velocity: momentum.then(|| vec![A::Value::default(); weights.len()]),
            weights,
            hyper,
            inputs: SlotBuffer::new(slots, rows),
            deltas: SlotBuffer::new(slots, cols),
            mail: Mailbox::new(wiring.gap),
            wiring,
            batch: Batch::default(),
        }
    }

    /// The block's weights, row-major (what the host reads back from the core's memory).
    pub fn weights(&self) -> &[A::Value] {
        &self.weights
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray
    }

    /// What the block is waiting for, for the watchdog.
    pub fn waiting(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .inputs
            .partial(self.rows)
            .into_iter()
            .map(|s| format!("{s} inputs"))
            .collect();
        w.extend(
            self.deltas
                .partial(self.cols)
                .into_iter()
                .map(|s| format!("{s} deltas")),
        );
        if self.batch.training() {
            let next = self.batch.next as usize;
            if self.inputs.arrived[next] == self.rows && self.deltas.arrived[next] < self.cols {
                w.push(format!(
                    "slot {next} (next in order): {} of {} deltas",
                    self.deltas.arrived[next], self.cols
                ));
            }
        }
        w
    }

    fn forward(&mut self, ctx: &mut Context, slot: u32) {
        let x = &self.inputs.values[slot as usize];
        let cols = self.cols as usize;
        let mut partial = vec![A::Sum::default(); cols];
        for (j, p) in partial.iter_mut().enumerate() {
            for (i, &xi) in x.iter().enumerate() {
                *p = A::mac(*p, xi, self.weights[i * cols + j]);
            }
        }
        ctx.charge(A::MAC, u64::from(self.rows * self.cols));
        send_sums::<A>(&mut self.mail, &self.wiring.partials, slot, &partial);
        if !self.batch.training() {
            self.inputs.clear(slot);
        }
    }

    fn backward_ready(&mut self, ctx: &mut Context) {
        while self.deltas.holds(self.batch.next, self.cols)
            && self.inputs.holds(self.batch.next, self.rows)
        {
            let slot = self.batch.next;
            self.backward(ctx, slot);
            if let Some(size) = self.batch.finish_sample(self.slots) {
                self.update(ctx, size);
            }
        }
    }

    fn backward(&mut self, ctx: &mut Context, slot: u32) {
        let cols = self.cols as usize;
        let x = &self.inputs.values[slot as usize];
        let dz = &self.deltas.values[slot as usize];
        for (i, &xi) in x.iter().enumerate() {
            for (j, &d) in dz.iter().enumerate() {
                let g = &mut self.gradients[i * cols + j];
                *g = A::add(*g, A::kernel_term(xi, d));
            }
        }
        ctx.charge(A::MAC, u64::from(self.rows * self.cols));
        if !self.wiring.backward.is_empty() {
            let mut back = vec![A::Sum::default(); x.len()];
            for (i, b) in back.iter_mut().enumerate() {
                for (j, &d) in dz.iter().enumerate() {
                    *b = A::mac(*b, self.weights[i * cols + j], d);
                }
            }
            ctx.charge(A::MAC, u64::from(self.rows * self.cols));
            for port in &self.wiring.backward {
                send_sums::<A>(&mut self.mail, port, slot, &back);
            }
        }
        if let Some(base) = self.wiring.credits {
            self.mail.send(base + slot, 0);
        }
        self.inputs.clear(slot);
        self.deltas.clear(slot);
    }

    fn update(&mut self, ctx: &mut Context, batch: u32) {
        for (k, w) in self.weights.iter_mut().enumerate() {
            let v = self.velocity.as_mut().map(|v| &mut v[k]);
            *w = A::update(&self.hyper, *w, v, self.gradients[k], batch);
            self.gradients[k] = A::Sum::default();
        }
        ctx.charge(A::MAC, 2 * self.weights.len() as u64);
    }
}

/// What every DNN core does with an event.
fn on_event<W: Worker>(core: &mut W, ctx: &mut Context, event: Event) {
    match event {
        Event::Packet { key, payload } => core.mail().receive(ctx, key, payload.unwrap_or(0)),
        Event::User { .. } => core.work(ctx),
        Event::Timer { .. } => {}
    }
}

/// The cost of applying `activation` (or its derivative) to `n` units.
fn charge_activation<A: Arith>(ctx: &mut Context, activation: Activation, n: u32) {
    let n = u64::from(n);
    match activation {
        Activation::Identity | Activation::Relu => ctx.charge(Op::Alu, 2 * n),
        Activation::Sigmoid | Activation::Tanh | Activation::Softmax => {
            ctx.charge(A::TRANSCENDENTAL, 2 * n);
            ctx.charge(A::MAC, 2 * n);
        }
    }
}

impl<A: Arith> Worker for BlockCore<A> {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray += 1;
            return;
        };
        let (slot, index) = (at.slot, at.index);
        match at.kind {
            PortKind::Control => {
                if let Some(size) = self.batch.start(at.index, payload) {
                    self.update(ctx, size);
                }
            }
            PortKind::Values => {
                self.inputs.put(slot, index, A::from_word(payload));
                if self.inputs.holds(slot, self.rows) {
                    self.forward(ctx, slot);
                }
            }
            PortKind::Deltas => {
                self.deltas.put(slot, index, A::from_word(payload));
                if self.deltas.holds(slot, self.cols) {
                    self.backward_ready(ctx);
                }
            }
            _ => self.mail.stray += 1,
        }
    }
}

impl<A: Arith> Application for BlockCore<A> {
    fn callbacks(&self) -> Callbacks {
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        let n = u64::from(self.rows * self.cols);
        ctx.alloc_dtcm("weights", n * value_bytes::<A>())?;
        ctx.alloc_dtcm("gradient sums", n * sum_bytes::<A>())?;
        if self.velocity.is_some() {
            ctx.alloc_dtcm("velocities", n * value_bytes::<A>())?;
        }
        let (rows, cols) = (u64::from(self.rows), u64::from(self.cols));
        ctx.alloc_dtcm(
            "sample slots",
            u64::from(self.slots) * (4 * rows + 4 * cols + 8 * cols),
        )
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}

/// An accumulator's wiring.
#[derive(Debug, Clone)]
pub struct AccumulatorWiring {
    pub ins: InPorts,
    /// Activations to the next layer's row blocks, or to the loss core.
    pub activations: Vec<OutPort>,
    /// `δz` to the blocks of its column.
    pub deltas: OutPort,
    pub gap: u64,
}

/// Where an accumulator's `δ` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaSource {
    /// `Wᵀδ` partials from the next layer's blocks.
    NextLayer,
    /// The loss core: `δz` itself for a fused pair, else `δa`.
    Loss { fused: bool },
}

/// One column range of a layer's units: sums the blocks' partials, adds the bias, applies the
/// activation; on the way back turns `δa` into `δz` and accumulates the bias gradient.
pub struct AccumulatorCore<A: Arith> {
    cols: u32,
    slots: u32,
    activation: Activation,
    source: DeltaSource,
    bias: Vec<A::Value>,
    gradients: Vec<A::Sum>,
    velocity: Option<Vec<A::Value>>,
    hyper: A::Hyper,
    /// Forward partials; counted in words.
    partials: SlotBuffer<A::Sum>,
    forward_words: u32,
    z: Vec<Vec<A::Value>>,
    a: Vec<Vec<A::Value>>,
    /// `Wᵀδ` partials from the next layer (counted in words), or the loss core's `δ`.
    back: SlotBuffer<A::Sum>,
    backward_words: u32,
    loss_deltas: SlotBuffer<A::Value>,
    wiring: AccumulatorWiring,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> AccumulatorCore<A> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        slots: u32,
        activation: Activation,
        source: DeltaSource,
        bias: Vec<A::Value>,
        momentum: bool,
        hyper: A::Hyper,
        row_blocks: u32,
        wiring: AccumulatorWiring,
    ) -> AccumulatorCore<A> {
        let cols = bias.len() as u32;
        let backward_words = wiring
            .ins
            .iter()
            .filter(|p| p.kind == PortKind::BackwardPartials)
            .map(|p| p.width * A::SUM_WORDS)
            .sum();
        AccumulatorCore {
            cols,
            slots,
            activation,
            source,
            gradients: vec![A::Sum::default(); bias.len()],
            velocity: momentum.then(|| vec![A::Value::default(); bias.len()]),
            bias,
            hyper,
            partials: SlotBuffer::new(slots, cols),
            forward_words: row_blocks * cols * A::SUM_WORDS,
            z: vec![vec![A::Value::default(); cols as usize]; slots as usize],
            a: vec![vec![A::Value::default(); cols as usize]; slots as usize],
            back: SlotBuffer::new(slots, cols),
            backward_words,
            loss_deltas: SlotBuffer::new(slots, cols),
            mail: Mailbox::new(wiring.gap),
            wiring,
            batch: Batch::default(),
        }
    }

    pub fn bias(&self) -> &[A::Value] {
        &self.bias
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray
    }

    pub fn waiting(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .partials
            .partial(self.forward_words)
            .into_iter()
            .map(|s| format!("{s} partial-sum words"))
            .collect();
        w.extend(
            self.back
                .partial(self.backward_words)
                .into_iter()
                .map(|s| format!("{s} backward partial-sum words")),
        );
        w.extend(
            self.loss_deltas
                .partial(self.cols)
                .into_iter()
                .map(|s| format!("{s} deltas from the loss core")),
        );
        w
    }

    fn forward(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let z: Vec<A::Value> = self.partials.values[s]
            .iter()
            .zip(&self.bias)
            .map(|(&total, &b)| A::forward_output(total, b))
            .collect();
        let a = A::activate(self.activation, &z);
        ctx.charge(Op::Alu, 4 * u64::from(self.cols));
        charge_activation::<A>(ctx, self.activation, self.cols);
        for port in &self.wiring.activations {
            send_values::<A>(&mut self.mail, port, slot, &a);
        }
        self.z[s] = z;
        self.a[s] = a;
        self.partials.clear(slot);
    }

    fn backward_ready(&mut self, ctx: &mut Context) {
        loop {
            let next = self.batch.next;
            let ready = match self.source {
                DeltaSource::NextLayer => self.back.holds(next, self.backward_words),
                DeltaSource::Loss { .. } => self.loss_deltas.holds(next, self.cols),
            };
            if !ready {
                return;
            }
            self.backward(ctx, next);
            if let Some(size) = self.batch.finish_sample(self.slots) {
                self.update(ctx, size);
            }
        }
    }

    fn backward(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let (z, a) = (&self.z[s], &self.a[s]);
        let delta_z = match self.source {
            DeltaSource::Loss { fused: true } => self.loss_deltas.values[s].clone(),
            DeltaSource::Loss { fused: false } => {
                A::activation_backward(self.activation, z, a, &self.loss_deltas.values[s])
            }
            DeltaSource::NextLayer => {
                let delta_a: Vec<A::Value> = self.back.values[s]
                    .iter()
                    .map(|&t| A::backward_output(t))
                    .collect();
                A::activation_backward(self.activation, z, a, &delta_a)
            }
        };
        charge_activation::<A>(ctx, self.activation, self.cols);
        for (g, &d) in self.gradients.iter_mut().zip(&delta_z) {
            *g = A::add(*g, A::bias_term(d));
        }
        ctx.charge(Op::Alu, 4 * u64::from(self.cols));
        send_values::<A>(&mut self.mail, &self.wiring.deltas, slot, &delta_z);
        self.back.clear(slot);
        self.loss_deltas.clear(slot);
    }

    fn update(&mut self, ctx: &mut Context, batch: u32) {
        for (k, b) in self.bias.iter_mut().enumerate() {
            let v = self.velocity.as_mut().map(|v| &mut v[k]);
            *b = A::update(&self.hyper, *b, v, self.gradients[k], batch);
            self.gradients[k] = A::Sum::default();
        }
        ctx.charge(A::MAC, 2 * u64::from(self.cols));
    }
}

impl<A: Arith> Worker for AccumulatorCore<A> {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray += 1;
            return;
        };
        let (slot, index) = (at.slot, at.index);
        let add_word = |sum| A::add_word(sum, at.word, payload);
        match at.kind {
            PortKind::Control => {
                if let Some(size) = self.batch.start(at.index, payload) {
                    self.update(ctx, size);
                }
            }
            PortKind::ForwardPartials => {
                self.partials
                    .fold(slot, index, A::key_weight(at.word), add_word);
                if self.partials.holds(slot, self.forward_words) {
                    self.forward(ctx, slot);
                }
            }
            PortKind::BackwardPartials => {
                self.back
                    .fold(slot, index, A::key_weight(at.word), add_word);
                if self.back.holds(slot, self.backward_words) {
                    self.backward_ready(ctx);
                }
            }
            PortKind::Deltas => {
                self.loss_deltas.put(slot, index, A::from_word(payload));
                if self.loss_deltas.holds(slot, self.cols) {
                    self.backward_ready(ctx);
                }
            }
            _ => self.mail.stray += 1,
        }
    }
}

impl<A: Arith> Application for AccumulatorCore<A> {
    fn callbacks(&self) -> Callbacks {
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        let n = u64::from(self.cols);
        ctx.alloc_dtcm("biases", n * value_bytes::<A>())?;
        ctx.alloc_dtcm("bias gradient sums", n * sum_bytes::<A>())?;
        if self.velocity.is_some() {
            ctx.alloc_dtcm("bias velocities", n * value_bytes::<A>())?;
        }
        ctx.alloc_dtcm("sample slots", u64::from(self.slots) * 20 * n)
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}

/// The loss core's wiring.
#[derive(Debug, Clone)]
pub struct LossWiring {
    pub ins: InPorts,
    /// `δ` to each output accumulator.
    pub deltas: Vec<OutPort>,
    /// The feeder's credit keys (evaluation and prediction: the loss core finishes a sample).
    pub credits: u32,
    /// Two keys to the host: the batch's mean loss as the low and high words of an `f64`.
    pub results: u32,
    pub gap: u64,
}

/// Computes each sample's loss and the output layer's `δ`, records the outputs for the host,
/// and reports each batch's mean loss.
pub struct LossCore<A: Arith> {
    outputs: u32,
    slots: u32,
    activation: Activation,
    loss: Loss,
    out: SlotBuffer<A::Value>,
    labels: SlotBuffer<A::Value>,
    total: A::LossSum,
    /// The output activations of every sample since the host last read them, in sample order
    /// (a recording region in SDRAM).
    recorded: Vec<Vec<A::Value>>,
    record_capacity: u32,
    /// The first sample whose loss was not a number, counted from the recording's start.
    non_finite: Option<usize>,
    wiring: LossWiring,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> LossCore<A> {
    pub fn new(
        outputs: u32,
        slots: u32,
        activation: Activation,
        loss: Loss,
        record_capacity: u32,
        wiring: LossWiring,
    ) -> LossCore<A> {
        LossCore {
            outputs,
            slots,
            activation,
            loss,
            out: SlotBuffer::new(slots, outputs),
            labels: SlotBuffer::new(slots, outputs),
            total: A::LossSum::default(),
            recorded: Vec::new(),
            record_capacity,
            non_finite: None,
            mail: Mailbox::new(wiring.gap),
            wiring,
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
        self.mail.stray
    }

    pub fn waiting(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .out
            .partial(self.outputs)
            .into_iter()
            .map(|s| format!("{s} output activations"))
            .collect();
        w.extend(
            self.labels
                .partial(self.outputs)
                .into_iter()
                .map(|s| format!("{s} labels")),
        );
        if self.batch.mode.is_none() {
            w.push("the control packet of the batch".into());
        }
        w
    }

    fn ready(&self, slot: u32) -> bool {
        match self.batch.mode {
            None => false,
            Some(Mode::Predict) => self.out.holds(slot, self.outputs),
            Some(_) => self.out.holds(slot, self.outputs) && self.labels.holds(slot, self.outputs),
        }
    }

    fn process_ready(&mut self, ctx: &mut Context) {
        while self.ready(self.batch.next) {
            let slot = self.batch.next;
            self.process(ctx, slot);
            if let Some(size) = self.batch.finish_sample(self.slots) {
                if self.batch.mode != Some(Mode::Predict) {
                    let mean = A::batch_loss(self.total, size).to_bits();
                    self.mail.send(self.wiring.results, mean as u32);
                    self.mail.send(self.wiring.results + 1, (mean >> 32) as u32);
                }
                self.total = A::LossSum::default();
            }
        }
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
            self.total = A::loss_add(self.total, loss);
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
            self.mail.stray += 1;
            return;
        };
        match at.kind {
            PortKind::Control => {
                let finished = self.batch.start(at.index, payload);
                debug_assert!(
                    finished.is_none(),
                    "invariant: the loss core finishes samples only in a started batch"
                );
            }
            PortKind::Values => self.out.put(at.slot, at.index, A::from_word(payload)),
            PortKind::Labels => self.labels.put(at.slot, at.index, A::from_word(payload)),
            _ => {
                self.mail.stray += 1;
                return;
            }
        }
        self.process_ready(ctx);
    }
}

impl<A: Arith> Application for LossCore<A> {
    fn callbacks(&self) -> Callbacks {
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        let n = u64::from(self.outputs);
        ctx.alloc_dtcm(
            "sample slots",
            u64::from(self.slots) * 2 * n * value_bytes::<A>(),
        )?;
        ctx.alloc_sdram(
            "output recording",
            u64::from(self.record_capacity) * n * value_bytes::<A>(),
        )
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}

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
    /// The input to each row block of the first layer.
    pub inputs: Vec<OutPort>,
    pub labels: OutPort,
    /// `Mode::COUNT` keys to every compute core.
    pub control: u32,
    /// Credits that finish a training sample (one per first-layer block).
    pub training_credits: u32,
    pub gap: u64,
}

/// Streams a batch's samples from SDRAM into the network, at most one per slot, refilling a
/// slot when every core is finished with its sample.
pub struct Feeder {
    slots: u32,
    wiring: FeederWiring,
    mode: Mode,
    samples: Vec<FedSample>,
    next_sample: usize,
    /// Which sample each slot holds.
    holding: Vec<Option<usize>>,
    credits: Vec<u32>,
    finished: usize,
    mail: Mailbox,
}

impl Feeder {
    pub fn new(slots: u32, wiring: FeederWiring) -> Feeder {
        Feeder {
            slots,
            mode: Mode::Train,
            samples: Vec::new(),
            next_sample: 0,
            holding: vec![None; slots as usize],
            credits: vec![0; slots as usize],
            finished: 0,
            mail: Mailbox::new(wiring.gap),
            wiring,
        }
    }

    /// The host writes a batch into the feeder's SDRAM (the machine then raises
    /// [`START_BATCH`]).
    pub fn load(&mut self, mode: Mode, samples: Vec<FedSample>) {
        self.mode = mode;
        self.samples = samples;
        self.next_sample = 0;
        self.finished = 0;
    }

    /// Samples of the current batch every core has finished with.
    pub fn finished(&self) -> usize {
        self.finished
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray
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
        while self.next_sample < self.samples.len() {
            let slot = self.next_sample % self.slots as usize;
            if self.holding[slot].is_some() {
                return;
            }
            let sample = &self.samples[self.next_sample];
            for port in &self.wiring.inputs {
                for k in 0..port.width {
                    let word = sample.x[(port.offset + k) as usize];
                    self.mail.send(port.key(slot as u32, k, 0), word);
                }
            }
            if let (Some(y), true) = (&sample.y, self.mode != Mode::Predict) {
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
            self.mail.stray += 1;
            return;
        };
        if at.kind != PortKind::Credits {
            self.mail.stray += 1;
            return;
        }
        let slot = at.slot as usize;
        if self.holding[slot].is_none() {
            self.mail.stray += 1;
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
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        ctx.alloc_dtcm("slot credits", 8 * u64::from(self.slots))
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        match event {
            Event::User {
                arg0: START_BATCH, ..
            } => {
                let size = self.samples.len() as u32;
                self.mail.send(self.wiring.control + self.mode as u32, size);
                self.fill(ctx);
                self.mail.wake(ctx);
            }
            _ => on_event(self, ctx, event),
        }
    }
}
