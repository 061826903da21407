//! A tile core: one tile of a group's output (a box of positions × a range of channels).
//!
//! Forward, per sample slot, once every input region and every block's partial sums have
//! arrived: each term's values (a kernel applied to its input region and its bias added, a
//! blocked term's partial sums finished with its bias, or an input as it is), their sum when
//! the group is an add, the activation, the pooling if one is folded in; the result goes to
//! the cores that read it. Backward, slot by slot in sample order, once every reader's `δ`
//! contributions (or the loss core's `δ`) have arrived: the output's `δ` finished from them,
//! back through the pooling and the activation to `δz`; each term's kernel and bias gradients,
//! `δz` to a blocked term's blocks, and `δ` contributions to the producers of each input.
//! After a training batch's last sample the tile updates its kernels and biases, after
//! summing their gradients with the other spatial copies if it has any ([`Trainable`]).

use super::{
    allocate, charge_activation, on_event, send_sums, send_values, Batch, Mailbox, Operand, Params,
    SlotBuffer, Trainable, Violation, Worker, CALLBACKS,
};
use crate::machine::arith::Arith;
use crate::machine::memory::Dtcm;
use crate::machine::ports::{InPorts, OutPort, PortKind};
use crate::ops::Activation;
use crate::ops::{Correlation, PoolWindows};
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError, Op};
use std::ops::Range;

/// One term of the tile's sum.
#[derive(Debug, Clone)]
pub enum TileTerm {
    /// A kernel slice held here: its positions in the tile's parameters.
    Inline {
        kernel: Correlation,
        weights: Range<usize>,
        bias: Range<usize>,
        sends_delta: bool,
    },
    /// A kernel on block cores, whose partial sums arrive; its bias is held here.
    Blocked { bias: Range<usize> },
    /// An input added as it is.
    Identity { sends_delta: bool },
}

/// Where the tile's output `δ` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaSource {
    /// Contributions from the cores that read the output.
    Readers,
    /// The loss core: `δz` itself for a fused pair (softmax + CCE, sigmoid + BCE), else `δ`.
    Loss { fused: bool },
}

/// How a tile is wired.
#[derive(Debug, Clone)]
pub struct TileWiring {
    pub ins: InPorts,
    /// The output's values, to its readers or the loss core.
    pub outputs: Vec<OutPort>,
    /// Per term, `δ` contributions to the producers of its input.
    pub contributions: Vec<Vec<OutPort>>,
    /// Per term, `δz` to its blocks (blocked terms).
    pub deltas: Vec<Option<OutPort>>,
    /// The feeder's credit keys, if the tile reads the network input.
    pub credits: Option<u32>,
    pub gap: u64,
}

/// What a tile computes, fixed when it is built.
#[derive(Debug, Clone)]
pub struct TileShape {
    pub slots: u32,
    /// Values before pooling (positions × channels).
    pub pre: u32,
    /// Output values.
    pub outputs: u32,
    /// Output channels.
    pub filters: u32,
    pub activation: Activation,
    pub pool: Option<PoolWindows>,
    /// A pooling group of its own: contributions go straight back to the input.
    pub through: bool,
    pub source: DeltaSource,
    /// Input elements each term reads (0 for blocked terms).
    pub input_lens: Vec<u32>,
    /// Buffers for the output's `δ` contributions: one per reading layer (added in graph
    /// order) or one for all (see `MemoryModel::delta_buffers`).
    pub delta_buffers: u32,
    pub dtcm: Dtcm,
}

pub struct TileCore<A: Arith> {
    shape: TileShape,
    terms: Vec<TileTerm>,
    trained: Trainable<A>,
    inputs: Vec<Option<SlotBuffer<A::Value>>>,
    partials: Vec<Option<SlotBuffer<A::Sum>>>,
    a: Vec<Vec<A::Value>>,
    forwarded: Vec<bool>,
    /// Per reading layer (graph order), its `δ` contributions.
    contributions: Vec<SlotBuffer<A::Sum>>,
    loss_delta: SlotBuffer<A::Value>,
    wiring: TileWiring,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> TileCore<A> {
    /// A tile whose parameters are laid out as `terms` say.
    pub fn new(
        shape: TileShape,
        terms: Vec<TileTerm>,
        trained: Trainable<A>,
        wiring: TileWiring,
    ) -> TileCore<A> {
        let slots = shape.slots;
        let inputs = terms
            .iter()
            .enumerate()
            .map(|(t, term)| match term {
                TileTerm::Blocked { .. } => None,
                _ => Some(SlotBuffer::new(
                    slots,
                    shape.input_lens[t],
                    wiring.ins.expected(PortKind::Values, t as u32, 1),
                )),
            })
            .collect();
        let partials = terms
            .iter()
            .enumerate()
            .map(|(t, term)| match term {
                TileTerm::Blocked { .. } => Some(SlotBuffer::new(
                    slots,
                    shape.pre,
                    wiring
                        .ins
                        .expected(PortKind::Partials, t as u32, A::SUM_WORDS),
                )),
                _ => None,
            })
            .collect();
        let buffers = shape.delta_buffers.max(1);
        let contributions = (0..buffers)
            .map(|b| {
                let expected = wiring
                    .ins
                    .iter()
                    .filter(|p| p.kind == PortKind::Contributions && p.stream.min(buffers - 1) == b)
                    .map(|p| p.width * A::SUM_WORDS)
                    .sum();
                SlotBuffer::new(slots, shape.outputs, expected)
            })
            .collect();
        let loss_delta = SlotBuffer::new(slots, shape.outputs, shape.outputs);
        TileCore {
            a: vec![Vec::new(); slots as usize],
            forwarded: vec![false; slots as usize],
            inputs,
            partials,
            contributions,
            loss_delta,
            mail: Mailbox::new(wiring.gap),
            shape,
            terms,
            trained,
            wiring,
            batch: Batch::default(),
        }
    }

    /// The tile's parameters (kernels held here, then biases, term by term), as the host
    /// reads them from its DTCM.
    pub fn parameters(&self) -> &[A::Value] {
        &self.trained.params.values
    }

    /// Their momentum velocities, laid out the same, if the optimiser has momentum.
    pub fn velocities(&self) -> Option<&[A::Value]> {
        self.trained.params.velocity()
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray_packets()
    }

    /// Whether the last batch's update is still waiting for a reduction.
    pub fn update_pending(&self) -> bool {
        self.trained.update_pending()
    }

    /// The batch's first value beyond the numeric bound (the host reads it after a batch;
    /// the checks restart).
    pub fn take_violation(&mut self) -> Option<Violation> {
        self.trained.guard.take()
    }

    /// What the tile is waiting for, for the watchdog.
    pub fn waiting(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (t, buffer) in self.inputs.iter().enumerate() {
            if let Some(buffer) = buffer {
                w.extend(buffer.partial(&format!("inputs of term {t}")));
            }
        }
        for (t, buffer) in self.partials.iter().enumerate() {
            if let Some(buffer) = buffer {
                w.extend(buffer.partial(&format!("partial-sum words of term {t}")));
            }
        }
        for (r, buffer) in self.contributions.iter().enumerate() {
            w.extend(buffer.partial(&format!("delta contribution words from reader {r}")));
        }
        w.extend(self.loss_delta.partial("deltas from the loss core"));
        if self.batch.training() {
            let next = self.batch.next;
            if self.forwarded[next as usize] && !self.delta_ready(next) {
                w.push(format!("slot {next} (next in order): its output's delta"));
            }
        }
        w.extend(self.trained.waiting());
        w
    }

    fn inputs_ready(&self, slot: u32) -> bool {
        !self.forwarded[slot as usize]
            && self.inputs.iter().flatten().all(|b| b.full(slot))
            && self.partials.iter().flatten().all(|b| b.full(slot))
    }

    fn delta_ready(&self, slot: u32) -> bool {
        match self.shape.source {
            DeltaSource::Readers => self.contributions.iter().all(|b| b.full(slot)),
            DeltaSource::Loss { .. } => self.loss_delta.full(slot),
        }
    }

    fn forward(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let (pre, nf) = (self.shape.pre as usize, self.shape.filters as usize);
        let sample = self.trained.guard.forward_sample(slot);
        let mut values: Vec<Vec<A::Value>> = Vec::with_capacity(self.terms.len());
        for (t, term) in self.terms.iter().enumerate() {
            let finish = |acc: &[A::Sum], bias: &Range<usize>, params: &Params<A>| {
                let b = &params.values[bias.clone()];
                acc.iter()
                    .enumerate()
                    .map(|(i, &total)| A::forward_output(total, b[i % nf]))
                    .collect::<Vec<_>>()
            };
            let v = match term {
                TileTerm::Inline {
                    kernel,
                    weights,
                    bias,
                    ..
                } => {
                    let x = &self.inputs[t]
                        .as_ref()
                        .expect("invariant: inline terms read")
                        .values[s];
                    self.trained.guard.check::<A>(
                        ctx,
                        Operand::Inputs { term: t },
                        Some(sample),
                        x,
                    );
                    let mut acc = vec![A::Sum::default(); pre];
                    kernel.forward::<A>(x, &self.trained.params.values[weights.clone()], &mut acc);
                    ctx.charge(A::MAC, kernel.macs());
                    finish(&acc, bias, &self.trained.params)
                }
                TileTerm::Blocked { bias } => {
                    let acc = &self.partials[t]
                        .as_ref()
                        .expect("invariant: blocked terms have partials")
                        .values[s];
                    finish(acc, bias, &self.trained.params)
                }
                TileTerm::Identity { .. } => self.inputs[t]
                    .as_ref()
                    .expect("invariant: identity terms read")
                    .values[s]
                    .clone(),
            };
            ctx.charge(Op::Alu, 4 * pre as u64);
            values.push(v);
        }
        let z: Vec<A::Value> = if values.len() == 1 {
            values.pop().expect("invariant: one term")
        } else {
            ctx.charge(Op::Alu, (values.len() * pre) as u64);
            (0..pre)
                .map(|i| A::sum_values(values.iter().map(|v| v[i])))
                .collect()
        };
        let a = A::activate(self.shape.activation, &z);
        charge_activation::<A>(ctx, self.shape.activation, pre as u64);
        let out = match &self.shape.pool {
            None => a.clone(),
            Some(pool) => {
                let mut out = vec![A::Value::default(); self.shape.outputs as usize];
                pool.forward::<A>(&a, &mut out);
                ctx.charge(Op::Alu, 2 * pool.reads());
                out
            }
        };
        for port in &self.wiring.outputs {
            send_values::<A>(&mut self.mail, port, slot, &out);
        }
        for (t, term) in self.terms.iter().enumerate() {
            if let Some(buffer) = self.partials[t].as_mut() {
                buffer.clear(slot);
            }
            let keep = self.batch.training() && matches!(term, TileTerm::Inline { .. });
            if !keep {
                if let Some(buffer) = self.inputs[t].as_mut() {
                    buffer.clear(slot);
                }
            }
        }
        if self.batch.training() {
            self.a[s] = a;
            self.forwarded[s] = true;
        }
    }

    fn backward_ready(&mut self, ctx: &mut Context) {
        while self.batch.training()
            && self.forwarded[self.batch.next as usize]
            && self.delta_ready(self.batch.next)
        {
            let slot = self.batch.next;
            self.backward(ctx, slot);
            if let Some(size) = self.batch.finish_sample(self.shape.slots) {
                self.trained.end_batch(ctx, &mut self.mail, size);
            }
        }
    }

    fn backward(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let (pre, nf) = (self.shape.pre as usize, self.shape.filters as usize);
        let delta_out: Vec<A::Value> = match self.shape.source {
            DeltaSource::Loss { .. } => self.loss_delta.values[s].clone(),
            DeltaSource::Readers => (0..self.shape.outputs as usize)
                .map(|e| {
                    let total = self
                        .contributions
                        .iter()
                        .fold(A::Sum::default(), |t, b| A::add(t, b.values[s][e]));
                    A::backward_output(total)
                })
                .collect(),
        };
        let a = &self.a[s];
        let delta_pre = match &self.shape.pool {
            None => delta_out,
            Some(pool) => {
                let mut contributions = vec![A::Sum::default(); pre];
                pool.backward::<A>(a, &delta_out, &mut contributions);
                ctx.charge(Op::Alu, 2 * pool.reads());
                if self.shape.through {
                    // A pooling of its own: its contributions are the input's, unfinished.
                    for port in &self.wiring.contributions[0] {
                        send_sums::<A>(&mut self.mail, port, slot, &contributions);
                    }
                    self.finish_slot(slot);
                    return;
                }
                contributions
                    .iter()
                    .map(|&c| A::backward_output(c))
                    .collect()
            }
        };
        let delta_z = match self.shape.source {
            DeltaSource::Loss { fused: true } => delta_pre,
            _ => A::activation_backward(self.shape.activation, a, &delta_pre),
        };
        charge_activation::<A>(ctx, self.shape.activation, pre as u64);
        let sample = self.batch.backward_sample();
        self.trained
            .guard
            .check::<A>(ctx, Operand::DeltaZ, Some(sample), &delta_z);
        for (t, term) in self.terms.iter().enumerate() {
            let bias = match term {
                TileTerm::Inline { bias, .. } | TileTerm::Blocked { bias } => Some(bias.clone()),
                TileTerm::Identity { .. } => None,
            };
            if let Some(bias) = bias {
                let grads = &mut self.trained.params.grads_mut()[bias];
                for (i, &d) in delta_z.iter().enumerate() {
                    let g = &mut grads[i % nf];
                    *g = A::add(*g, A::bias_term(d));
                }
                ctx.charge(Op::Alu, 4 * pre as u64);
            }
            match term {
                TileTerm::Inline {
                    kernel,
                    weights,
                    sends_delta,
                    ..
                } => {
                    let x = &self.inputs[t]
                        .as_ref()
                        .expect("invariant: inline terms read")
                        .values[s];
                    kernel.gradient::<A>(
                        x,
                        &delta_z,
                        &mut self.trained.params.grads_mut()[weights.clone()],
                    );
                    ctx.charge(A::MAC, kernel.macs());
                    if *sends_delta {
                        let mut dx = vec![A::Sum::default(); x.len()];
                        kernel.backward::<A>(
                            &self.trained.params.values[weights.clone()],
                            &delta_z,
                            &mut dx,
                        );
                        ctx.charge(A::MAC, kernel.macs());
                        for port in &self.wiring.contributions[t] {
                            send_sums::<A>(&mut self.mail, port, slot, &dx);
                        }
                    }
                }
                TileTerm::Blocked { .. } => {
                    let port = self.wiring.deltas[t]
                        .as_ref()
                        .expect("invariant: blocked terms have a delta port");
                    send_values::<A>(&mut self.mail, port, slot, &delta_z);
                }
                TileTerm::Identity { sends_delta } => {
                    if *sends_delta {
                        let dx: Vec<A::Sum> = delta_z.iter().map(|&d| A::bias_term(d)).collect();
                        ctx.charge(Op::Alu, pre as u64);
                        for port in &self.wiring.contributions[t] {
                            send_sums::<A>(&mut self.mail, port, slot, &dx);
                        }
                    }
                }
            }
        }
        self.finish_slot(slot);
    }

    /// Frees a slot after its backward step, crediting the feeder if the tile reads the input.
    fn finish_slot(&mut self, slot: u32) {
        if let Some(base) = self.wiring.credits {
            self.mail.send(base + slot, 0);
        }
        for buffer in self.inputs.iter_mut().flatten() {
            buffer.clear(slot);
        }
        for buffer in &mut self.contributions {
            buffer.clear(slot);
        }
        self.loss_delta.clear(slot);
        self.forwarded[slot as usize] = false;
    }
}

impl<A: Arith> Worker for TileCore<A> {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray();
            return;
        };
        let (slot, index) = (at.slot, at.index);
        match at.kind {
            PortKind::Control => {
                if let Some(size) = self.batch.start(at.index, payload) {
                    if self.batch.training() {
                        self.trained.end_batch(ctx, &mut self.mail, size);
                    }
                }
                return;
            }
            PortKind::Values => match self.inputs.get_mut(at.stream as usize) {
                Some(Some(buffer)) => buffer.put(slot, index, A::from_word(payload)),
                _ => return self.mail.stray(),
            },
            PortKind::Partials => match self.partials.get_mut(at.stream as usize) {
                Some(Some(buffer)) => buffer.fold(slot, index, A::key_weight(at.word), |s| {
                    A::add_word(s, at.word, payload)
                }),
                _ => return self.mail.stray(),
            },
            PortKind::Contributions => {
                let last = self.contributions.len() - 1;
                let buffer = &mut self.contributions[(at.stream as usize).min(last)];
                buffer.fold(slot, index, A::key_weight(at.word), |s| {
                    A::add_word(s, at.word, payload)
                });
                return self.backward_ready(ctx);
            }
            PortKind::Deltas => {
                self.loss_delta.put(slot, index, A::from_word(payload));
                return self.backward_ready(ctx);
            }
            PortKind::GradientShare | PortKind::GradientTotal => {
                let from_child = at.kind == PortKind::GradientShare;
                if !self.trained.gradient_word(
                    ctx,
                    &mut self.mail,
                    from_child,
                    (index, at.word, payload),
                ) {
                    self.mail.stray();
                }
                return;
            }
            _ => return self.mail.stray(),
        }
        if self.inputs_ready(slot) {
            self.forward(ctx, slot);
            if !self.batch.training() {
                return;
            }
            self.backward_ready(ctx);
        }
    }
}

impl<A: Arith> Application for TileCore<A> {
    fn callbacks(&self) -> Callbacks {
        CALLBACKS
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        allocate(ctx, &self.shape.dtcm)
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}
