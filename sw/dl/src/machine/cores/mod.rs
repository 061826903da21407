//! The programs of a network's cores: the [`Feeder`](feeder::Feeder) that streams samples in,
//! the [`TileCore`](tile::TileCore)s that compute a group's output tile by tile, the
//! [`BlockCore`](block::BlockCore)s that hold kernel slices too large for a tile, and the
//! [`LossCore`](loss::LossCore).
//!
//! Every core takes packets in a non-queueable receive callback that only stores them, and
//! does the work in a queued user-event callback ([`Callbacks::RECEIVE_THEN_WORK`]), so no
//! packet waits on arithmetic. Each core counts what has arrived for each sample slot and acts
//! when a slot is complete; nothing polls. The backward pass at each core runs slot by slot in
//! sample order, so gradient sums and the batch loss add samples in the reference's order.
//! Sends go through an [`Outbox`] paced by a gap sized to the receivers' fan-in, so bursts do
//! not outrun the receiving cores (whose routers would otherwise dump).

pub mod block;
pub mod feeder;
pub mod loss;
pub mod tile;

use super::arith::Arith;
use super::ports::{BatchShare, Mode, OutPort};
use crate::ops::Activation;
use spinn_runtime::{Callbacks, Context, Event, Op};
use std::collections::VecDeque;
use std::ops::Range;

pub use spinn_runtime::Application;

/// User-event argument that starts the feeder on a batch (others mean "work on the inbox").
pub const START_BATCH: u32 = 1;

/// The inbox, outbox and wake-up flag every DNN core has.
#[derive(Debug, Default)]
pub struct Mailbox {
    inbox: VecDeque<(u32, u32)>,
    /// Packets waiting for the send path: key, payload and the core cycles spent after it.
    outbox: VecDeque<(u32, u32, u64)>,
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

    pub(crate) fn wake(&mut self, ctx: &mut Context) {
        if !self.pending {
            self.pending = true;
            ctx.trigger_user_event(0, 0);
        }
    }

    pub(crate) fn send(&mut self, key: u32, payload: u32) {
        self.outbox.push_back((key, payload, self.gap));
    }

    /// Sends with its own gap after the packet: a gradient reduction's words, whose receiver
    /// takes packets from only the reduction's senders at the batch end.
    pub(crate) fn send_gapped(&mut self, key: u32, payload: u32, gap: u64) {
        self.outbox.push_back((key, payload, gap));
    }

    /// Sends what the send path can take now, spending each packet's gap after it (a delay
    /// loop that spaces them); whether packets are left, to come back for them.
    fn flush(&mut self, ctx: &mut Context) -> bool {
        while let Some(&(key, payload, gap)) = self.outbox.front() {
            if !ctx.try_send_mc(key, Some(payload)) {
                return true;
            }
            self.outbox.pop_front();
            ctx.charge_cycles(gap);
        }
        false
    }

    /// Counts a packet on a key the core does not listen to.
    pub(crate) fn stray(&mut self) {
        self.stray += 1;
    }

    pub fn stray_packets(&self) -> u64 {
        self.stray
    }
}

/// A core that works through its mailbox packet by packet.
pub(crate) trait Worker {
    fn mail(&mut self) -> &mut Mailbox;
    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32);

    /// Sends what is waiting, then handles packets until the inbox is empty or the send path
    /// is full (then it comes back in another callback, leaving room for other events).
    fn work(&mut self, ctx: &mut Context) {
        self.mail().pending = false;
        loop {
            if self.mail().flush(ctx) {
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

/// What every DNN core does with an event.
pub(crate) fn on_event<W: Worker>(core: &mut W, ctx: &mut Context, event: Event) {
    match event {
        Event::Packet { key, payload } => core.mail().receive(ctx, key, payload.unwrap_or(0)),
        Event::User { .. } => core.work(ctx),
        Event::Timer { .. } => {}
    }
}

/// The callbacks every DNN core registers.
pub(crate) const CALLBACKS: Callbacks = Callbacks::RECEIVE_THEN_WORK;

/// Where a core is in the current batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Batch {
    pub(crate) mode: Option<Mode>,
    /// This replica's share of the batch and the batch's size, once the control packet has
    /// come.
    size: Option<BatchShare>,
    /// Samples this core has finished (its last step for the mode).
    done: u32,
    /// The slot whose sample is next in order.
    pub(crate) next: u32,
}

impl Batch {
    /// Starts a batch from its control packet; the batch's size if this core has already
    /// finished every sample of its share (the control packet came last, or the share is
    /// empty).
    pub(crate) fn start(&mut self, mode_index: u32, payload: u32) -> Option<u32> {
        self.mode = Mode::from_index(mode_index);
        self.size = Some(BatchShare::from_payload(payload));
        self.complete()
    }

    pub(crate) fn training(&self) -> bool {
        self.mode == Some(Mode::Train)
    }

    /// The share position of the sample whose backward step is next (samples go backward in
    /// order).
    pub(crate) fn backward_sample(&self) -> u32 {
        self.done
    }

    /// Counts a finished sample; the batch's size when it was the share's last (then the
    /// count restarts at slot 0).
    pub(crate) fn finish_sample(&mut self, slots: u32) -> Option<u32> {
        self.done += 1;
        self.next = (self.next + 1) % slots;
        self.complete()
    }

    /// The batch's size (over every replica: what its mean divides by) if every sample of
    /// this replica's share is finished (then the count restarts).
    fn complete(&mut self) -> Option<u32> {
        let size = self.size?;
        if self.done != size.share {
            return None;
        }
        self.done = 0;
        self.next = 0;
        self.size = None;
        Some(size.total)
    }
}

/// Per-slot buffers of `width` elements with arrival counts.
#[derive(Debug, Clone)]
pub(crate) struct SlotBuffer<T> {
    pub(crate) values: Vec<Vec<T>>,
    arrived: Vec<u32>,
    /// Arrivals that complete a slot.
    expected: u32,
}

impl<T: Copy + Default> SlotBuffer<T> {
    pub(crate) fn new(slots: u32, width: u32, expected: u32) -> SlotBuffer<T> {
        SlotBuffer {
            values: vec![vec![T::default(); width as usize]; slots as usize],
            arrived: vec![0; slots as usize],
            expected,
        }
    }

    pub(crate) fn clear(&mut self, slot: u32) {
        self.arrived[slot as usize] = 0;
        self.values[slot as usize].fill(T::default());
    }

    /// Stores element `index` of `slot`'s vector (one arrival).
    pub(crate) fn put(&mut self, slot: u32, index: u32, value: T) {
        self.values[slot as usize][index as usize] = value;
        self.arrived[slot as usize] += 1;
    }

    /// Folds a word into element `index` of `slot`'s vector, counting `weight` arrivals.
    pub(crate) fn fold(&mut self, slot: u32, index: u32, weight: u32, fold: impl FnOnce(T) -> T) {
        let element = &mut self.values[slot as usize][index as usize];
        *element = fold(*element);
        self.arrived[slot as usize] += weight;
    }

    /// Whether `slot` has all of its arrivals.
    pub(crate) fn full(&self, slot: u32) -> bool {
        self.arrived[slot as usize] == self.expected
    }

    /// Slots with some but not all arrivals, as "slot s: n of m {what}".
    pub(crate) fn partial(&self, what: &str) -> Vec<String> {
        self.arrived
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0 && n < self.expected)
            .map(|(s, &n)| format!("slot {s}: {n} of {} {what}", self.expected))
            .collect()
    }
}

/// Sends `values[port.source(k)]` for each element `k` of `port`, for `slot`.
pub(crate) fn send_values<A: Arith>(
    mail: &mut Mailbox,
    port: &OutPort,
    slot: u32,
    values: &[A::Value],
) {
    for k in 0..port.width {
        mail.send(port.key(slot, k, 0), A::to_word(values[port.source(k)]));
    }
}

/// Sends `sums[port.source(k)]` for each element `k` of `port` as its words, for `slot`.
pub(crate) fn send_sums<A: Arith>(mail: &mut Mailbox, port: &OutPort, slot: u32, sums: &[A::Sum]) {
    for k in 0..port.width {
        let (packets, n) = A::sum_packets(sums[port.source(k)]);
        for &(key, word) in &packets[..n] {
            mail.send(port.key(slot, k, key), word);
        }
    }
}

/// Sends elements `range` of a plain `port` (element `k` is `sums[k]`) as their words, each
/// followed by `gap` core cycles.
fn send_sum_range<A: Arith>(
    mail: &mut Mailbox,
    port: &OutPort,
    sums: &[A::Sum],
    range: Range<usize>,
    gap: u64,
) {
    for k in range {
        let (packets, n) = A::sum_packets(sums[k]);
        for &(key, word) in &packets[..n] {
            mail.send_gapped(port.key(0, k as u32, key), word, gap);
        }
    }
}

/// The cost of applying `activation` (or its derivative) to `n` values.
pub(crate) fn charge_activation<A: Arith>(ctx: &mut Context, activation: Activation, n: u64) {
    match activation {
        Activation::Identity | Activation::Relu => ctx.charge(Op::Alu, 2 * n),
        Activation::Sigmoid | Activation::Tanh | Activation::Softmax => {
            ctx.charge(A::TRANSCENDENTAL, 2 * n);
            ctx.charge(A::MAC, 2 * n);
        }
    }
}

/// Trainable parameters with their gradient sums and velocities.
#[derive(Debug, Clone)]
pub struct Params<A: Arith> {
    pub values: Vec<A::Value>,
    grads: Vec<A::Sum>,
    velocity: Option<Vec<A::Value>>,
}

impl<A: Arith> Params<A> {
    pub fn new(values: Vec<A::Value>, momentum: bool) -> Params<A> {
        Params {
            grads: vec![A::Sum::default(); values.len()],
            velocity: momentum.then(|| vec![A::Value::default(); values.len()]),
            values,
        }
    }

    /// Parameters resuming with `velocity` (the optimiser state of a checkpoint; `None`
    /// without momentum).
    ///
    /// # Panics
    /// If the velocity's length differs from the values' (a caller bug: both are sliced from
    /// arrays of one shape).
    pub fn with_velocity(values: Vec<A::Value>, velocity: Option<Vec<A::Value>>) -> Params<A> {
        if let Some(v) = &velocity {
            assert_eq!(v.len(), values.len(), "invariant: a velocity per parameter");
        }
        Params {
            grads: vec![A::Sum::default(); values.len()],
            velocity,
            values,
        }
    }

    /// The momentum velocities, if the optimiser has momentum.
    pub fn velocity(&self) -> Option<&[A::Value]> {
        self.velocity.as_deref()
    }

    pub(crate) fn grads_mut(&mut self) -> &mut [A::Sum] {
        &mut self.grads
    }

    /// One SGD step from the summed gradients of `batch` samples; the sums restart.
    pub(crate) fn update(&mut self, ctx: &mut Context, hyper: &A::Hyper, batch: u32) {
        self.update_range(ctx, hyper, batch, 0..self.values.len());
    }

    /// The SGD step of parameters `range` alone (a reduction applies its total chunk by
    /// chunk as it arrives).
    fn update_range(
        &mut self,
        ctx: &mut Context,
        hyper: &A::Hyper,
        batch: u32,
        range: Range<usize>,
    ) {
        let n = range.len() as u64;
        for k in range {
            let v = self.velocity.as_mut().map(|v| &mut v[k]);
            self.values[k] = A::update(hyper, self.values[k], v, self.grads[k], batch);
            self.grads[k] = A::Sum::default();
        }
        A::charge_update(ctx, hyper, batch, n);
    }
}

/// A core's trainable parameters, its optimiser's constants and (for a copy of a kernel on
/// several spatial tiles) its part in the gradient reduction: the state tile and block cores
/// share.
pub struct Trainable<A: Arith> {
    pub params: Params<A>,
    hyper: A::Hyper,
    reducer: Option<Reducer>,
    /// The core's run-time range checks (its parameters after each update among them).
    pub(crate) guard: RangeGuard,
}

impl<A: Arith> Trainable<A> {
    pub fn new(
        params: Params<A>,
        hyper: A::Hyper,
        reducer: Option<Reducer>,
        slots: u32,
    ) -> Trainable<A> {
        Trainable {
            params,
            hyper,
            reducer,
            guard: RangeGuard::new(slots),
        }
    }

    /// The core has finished a training batch of `size` samples: update now, or once the
    /// reduction has summed the copies' gradients.
    pub(crate) fn end_batch(&mut self, ctx: &mut Context, mail: &mut Mailbox, size: u32) {
        match self.reducer.as_mut() {
            None => {
                self.params.update(ctx, &self.hyper, size);
                self.check_parameters(ctx);
            }
            Some(r) => {
                if r.finish_batch::<A>(ctx, mail, (&mut self.params, &self.hyper), size) {
                    self.check_parameters(ctx);
                }
            }
        }
    }

    fn check_parameters(&mut self, ctx: &mut Context) {
        self.guard
            .check::<A>(ctx, Operand::Parameters, None, &self.params.values);
    }

    /// A reduction's gradient word arrived (a child's sums going up when `from_child`, the
    /// total coming down otherwise); `false` if the core takes part in none (a stray).
    pub(crate) fn gradient_word(
        &mut self,
        ctx: &mut Context,
        mail: &mut Mailbox,
        from_child: bool,
        (index, word_key, word): (u32, u32, u32),
    ) -> bool {
        let Some(reducer) = self.reducer.as_mut() else {
            return false;
        };
        let word = GradientWord {
            from_child,
            index,
            key: word_key,
            word,
        };
        if reducer.arrive::<A>(ctx, mail, (&mut self.params, &self.hyper), word) {
            self.check_parameters(ctx);
        }
        true
    }

    /// Whether the last batch's update still waits for its reduction.
    pub fn update_pending(&self) -> bool {
        self.reducer.as_ref().is_some_and(|r| r.waiting().is_some())
    }

    /// What the reduction waits for, for the watchdog.
    pub fn waiting(&self) -> Option<String> {
        self.reducer.as_ref().and_then(Reducer::waiting)
    }
}

/// Which of a core's accumulation operands a range check found beyond the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// The input region of the core's term `term` (its position in the group's terms; 0 on
    /// a block core), at a position of the core's input buffer.
    Inputs { term: usize },
    /// The tile's `δz`, at a position of its pre-pooling box.
    DeltaZ,
    /// The core's parameters after an update, at a position of its parameter vector.
    Parameters,
}

/// A value a core found beyond its numeric mode's bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Violation {
    pub operand: Operand,
    /// The position in the core's own buffer (the host maps it to the layer's index).
    pub index: usize,
    pub value: f32,
    /// The sample's position in the batch (`None`: after the batch's update).
    pub sample: Option<u32>,
    /// Machine time when the core found it, in router cycles: the host reports the machine's
    /// first.
    pub at_cycle: u64,
}

/// A core's run-time range checks (docs/numerics.md, "Overflow bound"): in a bounded numeric
/// mode every accumulation operand is compared with `±M` before it is used (inputs before
/// the forward sums, `δz` before the backward and gradient sums, parameters after each
/// update), at one ALU operation per value. The first value beyond the bound in a batch is
/// kept for the host, which reads and clears it after the batch and stops with an error
/// naming it: the sums it would feed could otherwise wrap.
#[derive(Debug, Clone, Default)]
pub struct RangeGuard {
    first: Option<Violation>,
    /// Per slot, the forward passes it has had in this batch (sample `i` of a batch uses slot
    /// `i mod slots`, so the `k`-th pass of slot `s` is sample `s + k·slots`).
    forwards: Vec<u32>,
}

impl RangeGuard {
    pub fn new(slots: u32) -> RangeGuard {
        RangeGuard {
            first: None,
            forwards: vec![0; slots as usize],
        }
    }

    /// The batch position of the sample in `slot`'s next forward pass, counting the pass.
    pub(crate) fn forward_sample(&mut self, slot: u32) -> u32 {
        let slots = self.forwards.len() as u32;
        let pass = &mut self.forwards[slot as usize];
        *pass += 1;
        slot + (*pass - 1) * slots
    }

    /// Checks `values` against the bound, keeping the first offender of the batch.
    pub(crate) fn check<A: Arith>(
        &mut self,
        ctx: &mut Context,
        operand: Operand,
        sample: Option<u32>,
        values: &[A::Value],
    ) {
        if !A::BOUNDED {
            return;
        }
        ctx.charge(Op::Alu, values.len() as u64);
        if self.first.is_some() {
            return;
        }
        if let Some(index) = values.iter().position(|&v| A::beyond_bound(v)) {
            self.first = Some(Violation {
                operand,
                index,
                value: A::to_f32(values[index]),
                sample,
                at_cycle: ctx.now_cycles(),
            });
        }
    }

    /// The batch's first violation, if any; the checks restart for the next batch.
    pub fn take(&mut self) -> Option<Violation> {
        self.forwards.fill(0);
        self.first.take()
    }
}

/// Allocates a core's DTCM item by item, as its memory model ([`super::memory`]) lists it.
pub(crate) fn allocate(
    ctx: &mut Context,
    dtcm: &super::memory::Dtcm,
) -> Result<(), spinn_runtime::MemoryError> {
    for &(what, bytes) in &dtcm.items {
        ctx.alloc_dtcm(what, bytes)?;
    }
    Ok(())
}

/// One word of a reduction as a core received it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GradientWord {
    /// From a child's subtree sum (else from the root's total).
    pub(crate) from_child: bool,
    /// The parameter.
    pub(crate) index: u32,
    /// The sum's key index (see [`Arith::key_weight`]).
    pub(crate) key: u32,
    pub(crate) word: u32,
}

/// Parameters per chunk of a reduction: a copy forwards, and applies, its sums chunk by chunk
/// as the chunk's words are all in, so the levels of the tree work at once rather than one
/// after another. One arrival counter (a half-word: a chunk's arrivals are at most
/// `fan_in × REDUCTION_CHUNK × SUM_WORDS`) per chunk is what it holds in DTCM.
pub const REDUCTION_CHUNK: u32 = 8;

/// A copy's part in summing its kernel's gradients over the copies (spatial tiles and
/// replicas) before an update: a tree whose root is copy 0. Each copy adds its children's
/// subtree sums to its own and sends the result to its parent, chunk by chunk; the root
/// multicasts the total of each chunk to every other copy as soon as it has it. Every copy
/// updates with the same total, so the copies stay equal; in fixed point every partial sum
/// is exact, so the tree's shape changes nothing.
#[derive(Debug, Clone)]
pub struct Reducer {
    /// This copy's position (0: the root).
    pub position: usize,
    /// To the parent (not on the root).
    pub share: Option<OutPort>,
    /// From the root to every other copy (on the root).
    pub total: Option<OutPort>,
    width: u32,
    /// Copies whose subtree sums come into this one.
    children: u32,
    /// Core cycles of delay loop after each word sent (to the parent, or from the root to
    /// every copy): the reduction's pacing ([`super::pacing`]).
    gap: u64,
    /// Words (by [`Arith::key_weight`]) arrived per chunk: the children's sums, then the
    /// total.
    arrived: Vec<u16>,
    /// Chunks sent up (the root: sent down and applied).
    up: u32,
    /// Chunks whose total has come and been applied (not on the root).
    down: u32,
    /// The batch this copy has finished, waiting for the reduction.
    finished: Option<u32>,
}

/// The copy's place in a reduction tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreePlace {
    pub position: usize,
    pub children: u32,
}

impl Reducer {
    /// Copy `place` of a reduction of `width` parameters.
    pub fn new(
        place: TreePlace,
        width: u32,
        share: Option<OutPort>,
        total: Option<OutPort>,
        gap: u64,
    ) -> Reducer {
        Reducer {
            position: place.position,
            share,
            total,
            width,
            children: place.children,
            gap,
            arrived: vec![0; width.div_ceil(REDUCTION_CHUNK) as usize],
            up: 0,
            down: 0,
            finished: None,
        }
    }

    fn chunks(&self) -> u32 {
        self.arrived.len() as u32
    }

    fn chunk(&self, c: u32) -> Range<usize> {
        let start = c * REDUCTION_CHUNK;
        start as usize..(start + REDUCTION_CHUNK).min(self.width) as usize
    }

    /// This copy has finished `batch`: sends (or, at the root, applies) every chunk whose
    /// children's sums are in. Whether the update is complete.
    pub(crate) fn finish_batch<A: Arith>(
        &mut self,
        ctx: &mut Context,
        mail: &mut Mailbox,
        params: (&mut Params<A>, &A::Hyper),
        batch: u32,
    ) -> bool {
        self.finished = Some(batch);
        self.advance::<A>(ctx, mail, params)
    }

    /// A gradient word arrived. Whether the update is complete.
    pub(crate) fn arrive<A: Arith>(
        &mut self,
        ctx: &mut Context,
        mail: &mut Mailbox,
        (params, hyper): (&mut Params<A>, &A::Hyper),
        word: GradientWord,
    ) -> bool {
        let g = &mut params.grads[word.index as usize];
        *g = A::add_word(*g, word.key, word.word);
        let c = word.index / REDUCTION_CHUNK;
        self.arrived[c as usize] += A::key_weight(word.key) as u16;
        ctx.charge(Op::Alu, 4);
        if word.from_child {
            return self.advance::<A>(ctx, mail, (params, hyper));
        }
        let (Some(batch), true) = (self.finished, self.up > c) else {
            // A total can only follow this copy's own share of the chunk.
            return false;
        };
        let range = self.chunk(c);
        if u32::from(self.arrived[c as usize]) != range.len() as u32 * A::SUM_WORDS {
            return false;
        }
        self.arrived[c as usize] = 0;
        params.update_range(ctx, hyper, batch, range);
        self.down += 1;
        self.complete()
    }

    /// Sends up (or applies, at the root) the chunks in order while their children's sums
    /// are all in and this copy's own are done.
    fn advance<A: Arith>(
        &mut self,
        ctx: &mut Context,
        mail: &mut Mailbox,
        (params, hyper): (&mut Params<A>, &A::Hyper),
    ) -> bool {
        let Some(batch) = self.finished else {
            return false;
        };
        while self.up < self.chunks() {
            let range = self.chunk(self.up);
            let expected = self.children * range.len() as u32 * A::SUM_WORDS;
            if u32::from(self.arrived[self.up as usize]) != expected {
                return false;
            }
            self.arrived[self.up as usize] = 0;
            match (&self.share, &self.total) {
                (Some(parent), _) => {
                    send_sum_range::<A>(mail, parent, &params.grads, range.clone(), self.gap);
                    params.grads[range].fill(A::Sum::default());
                }
                (None, total) => {
                    if let Some(total) = total {
                        send_sum_range::<A>(mail, total, &params.grads, range.clone(), self.gap);
                    }
                    params.update_range(ctx, hyper, batch, range);
                }
            }
            self.up += 1;
        }
        self.complete()
    }

    /// Whether every chunk has been applied (then the reduction restarts for the next batch).
    fn complete(&mut self) -> bool {
        let applied = if self.share.is_some() {
            self.down
        } else {
            self.up
        };
        if applied != self.chunks() {
            return false;
        }
        self.up = 0;
        self.down = 0;
        self.finished = None;
        true
    }

    /// What the reduction still waits for, for the watchdog.
    pub fn waiting(&self) -> Option<String> {
        self.finished?;
        let chunks = self.chunks();
        Some(if self.up < chunks {
            format!(
                "the reduction: its children's sums of chunk {} of {chunks} ({} children)",
                self.up, self.children
            )
        } else {
            format!(
                "the reduction: the summed gradients of {} of {chunks} chunks",
                chunks - self.down
            )
        })
    }
}
