//! One neuron on one core, as the thesis prototype mapped a dense unit (dnn-prior-art §1.2,
//! §1.4): it holds its column of the kernel and its bias, receives one activation per
//! predecessor, sends its own activation to every neuron of the next layer (or, for an output
//! neuron, to the loss core), and in a softmax layer first exchanges its pre-activation with
//! its siblings so that each computes the normalisation itself.
//!
//! Backward it follows design 3 of §1.6, "multicast each error": neuron `j` sends, for each
//! predecessor `i`, the product `w_ij · δz_j` as a separate packet (a sum's words) multicast to
//! every neuron of the layer below; each receiver keeps only the packets whose element is its
//! own index and discards the rest. That is the traffic the thesis measured; the arithmetic is
//! the project's ([`Arith`]): products as exact `i64` sums in s16.15, and in `f32` the kept
//! products added in sender order, so the result rounds as the reference's `W · δz` does.

use crate::machine::arith::Arith;
use crate::machine::cores::{
    allocate, charge_activation, on_event, Batch, Mailbox, Operand, SlotBuffer, Trainable,
    Violation, Worker, CALLBACKS,
};
use crate::machine::memory::Dtcm;
use crate::machine::ports::{InPorts, OutPort, PortKind};
use crate::ops::Activation;
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError, Op};

/// The input stream of a neuron's forward values (its predecessors' activations).
pub const STREAM_INPUTS: u32 = 0;
/// The input stream of its softmax siblings' pre-activations.
pub const STREAM_SIBLINGS: u32 = 1;

/// Where an output neuron's `δ` comes from, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputDelta {
    /// A hidden neuron: errors from every neuron of the next layer.
    Errors,
    /// An output neuron: `δz` itself from the loss core (softmax + CCE, sigmoid + BCE).
    Fused,
    /// An output neuron: its own `δa` from the loss core.
    Own,
    /// A softmax output neuron without the fused loss: every output's `δa` (the softmax's
    /// Jacobian mixes them).
    All,
}

/// What a neuron computes, fixed when it is built.
#[derive(Debug, Clone)]
pub struct NeuronShape {
    /// Its index in its layer.
    pub index: u32,
    /// Units of its layer (the softmax partition's size).
    pub units: u32,
    /// Its predecessors (the kernel column's length).
    pub inputs: u32,
    /// Neurons of the next layer, whose errors it receives (0 for an output neuron).
    pub successors: u32,
    pub activation: Activation,
    pub delta: OutputDelta,
    /// Core cycles it waits before sending its activation: its slot in the layer's turn, so
    /// that a layer's sends reach each receiver spaced rather than at once (the event-driven
    /// form of the thesis's timer phase offsets).
    pub phase: u64,
    pub dtcm: Dtcm,
}

/// How a neuron is wired.
#[derive(Debug, Clone)]
pub struct NeuronWiring {
    pub ins: InPorts,
    /// Its activation, to the next layer's neurons or the loss core.
    pub forward: OutPort,
    /// Its pre-activation, to its softmax siblings (a softmax layer of more than one unit).
    pub siblings: Option<OutPort>,
    /// `w_ij · δz_j` for every predecessor `i`, to the whole layer below (not in the first
    /// layer).
    pub errors: Option<OutPort>,
    /// The feeder's credit key (first-layer neurons: the "pong" that lets the next sample in).
    pub credits: Option<u32>,
    pub gap: u64,
}

/// A neuron core.
pub struct NeuronCore<A: Arith> {
    shape: NeuronShape,
    /// Its kernel column `w_0j … w_(n−1)j` and then its bias.
    trained: Trainable<A>,
    inputs: SlotBuffer<A::Value>,
    /// Every sibling's pre-activation (its own put in directly).
    siblings: SlotBuffer<A::Value>,
    /// Per successor, its error product for this neuron.
    errors: SlotBuffer<A::Sum>,
    loss_delta: SlotBuffer<A::Value>,
    /// Its pre-activation, once computed (softmax: waiting for the siblings').
    z: Option<A::Value>,
    /// The activations it keeps for the backward pass: its own, or the whole softmax.
    a: Vec<A::Value>,
    forwarded: bool,
    /// Error packets for other neurons of its layer, received and dropped.
    discarded: u64,
    wiring: NeuronWiring,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> NeuronCore<A> {
    pub fn new(shape: NeuronShape, trained: Trainable<A>, wiring: NeuronWiring) -> NeuronCore<A> {
        let units = shape.units;
        let deltas = match shape.delta {
            OutputDelta::All => units,
            _ => 1,
        };
        NeuronCore {
            inputs: SlotBuffer::new(1, shape.inputs, shape.inputs),
            siblings: SlotBuffer::new(1, units, units.saturating_sub(1)),
            errors: SlotBuffer::new(1, shape.successors, shape.successors * A::SUM_WORDS),
            loss_delta: SlotBuffer::new(1, deltas, deltas),
            z: None,
            a: Vec::new(),
            forwarded: false,
            discarded: 0,
            mail: Mailbox::new(wiring.gap),
            shape,
            trained,
            wiring,
            batch: Batch::default(),
        }
    }

    /// The kernel column and then the bias, as the host reads them from DTCM.
    pub fn parameters(&self) -> &[A::Value] {
        &self.trained.params.values
    }

    pub fn velocities(&self) -> Option<&[A::Value]> {
        self.trained.params.velocity()
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray_packets()
    }

    /// Error packets meant for other neurons that this one received and dropped.
    pub fn discarded_packets(&self) -> u64 {
        self.discarded
    }

    pub fn take_violation(&mut self) -> Option<Violation> {
        self.trained.guard.take()
    }

    /// What the neuron is waiting for, for the watchdog.
    pub fn waiting(&self) -> Vec<String> {
        let mut w = self.inputs.partial("inputs");
        w.extend(self.siblings.partial("softmax pre-activations"));
        w.extend(self.errors.partial("error words"));
        w.extend(self.loss_delta.partial("deltas from the loss core"));
        if self.batch.training() && self.forwarded && !self.delta_ready() {
            w.push("its delta".into());
        }
        w
    }

    fn delta_ready(&self) -> bool {
        match self.shape.delta {
            OutputDelta::Errors => self.errors.full(0),
            _ => self.loss_delta.full(0),
        }
    }

    fn softmax(&self) -> bool {
        self.shape.activation == Activation::Softmax
    }

    /// The weighted sum and bias: `z = Σ_i x_i · w_ij + b_j`, in predecessor order as the
    /// reference's row of `x · W`.
    fn forward(&mut self, ctx: &mut Context) {
        let n = self.shape.inputs as usize;
        let sample = self.trained.guard.forward_sample(0);
        let x = &self.inputs.values[0];
        self.trained
            .guard
            .check::<A>(ctx, Operand::Inputs { term: 0 }, Some(sample), x);
        let w = &self.trained.params.values;
        let acc = x
            .iter()
            .zip(&w[..n])
            .fold(A::Sum::default(), |s, (&x, &w)| A::mac(s, x, w));
        ctx.charge(A::MAC, n as u64);
        let z = A::forward_output(acc, w[n]);
        ctx.charge(Op::Alu, 4);
        if !self.batch.training() {
            self.inputs.clear(0);
        }
        if self.softmax() && self.shape.units > 1 {
            if let Some(port) = &self.wiring.siblings {
                ctx.charge_cycles(self.shape.phase);
                self.mail.send(port.key(0, 0, 0), A::to_word(z));
            }
            self.z = Some(z);
            self.finish_softmax(ctx);
        } else {
            let a = A::activate(self.shape.activation, &[z]);
            charge_activation::<A>(ctx, self.shape.activation, 1);
            self.emit(ctx, a[0], vec![a[0]]);
        }
    }

    /// Once its own and every sibling's pre-activation are in: the whole softmax, of which
    /// it sends its own element.
    fn finish_softmax(&mut self, ctx: &mut Context) {
        let Some(z) = self.z else { return };
        if !self.siblings.full(0) {
            return;
        }
        let j = self.shape.index as usize;
        let mut all = std::mem::take(&mut self.siblings.values[0]);
        all[j] = z;
        let p = A::activate(Activation::Softmax, &all);
        charge_activation::<A>(ctx, Activation::Softmax, u64::from(self.shape.units));
        self.siblings.values[0] = all;
        self.siblings.clear(0);
        self.z = None;
        self.emit(ctx, p[j], p);
    }

    /// Sends the activation `a` after its phase, keeping `kept` for the backward pass.
    fn emit(&mut self, ctx: &mut Context, a: A::Value, kept: Vec<A::Value>) {
        ctx.charge_cycles(self.shape.phase);
        self.mail
            .send(self.wiring.forward.key(0, 0, 0), A::to_word(a));
        if self.batch.training() {
            self.a = kept;
            self.forwarded = true;
        }
    }

    fn backward_ready(&mut self, ctx: &mut Context) {
        if self.batch.training() && self.forwarded && self.delta_ready() {
            self.backward(ctx);
            if let Some(size) = self.batch.finish_sample(1) {
                self.trained.end_batch(ctx, &mut self.mail, size);
            }
        }
    }

    fn backward(&mut self, ctx: &mut Context) {
        let n = self.shape.inputs as usize;
        let j = self.shape.index as usize;
        let own = |a: &[A::Value]| if a.len() > 1 { a[j] } else { a[0] };
        let delta_z = match self.shape.delta {
            OutputDelta::Fused => self.loss_delta.values[0][0],
            OutputDelta::Own => {
                let a = own(&self.a);
                A::activation_backward(self.shape.activation, &[a], &self.loss_delta.values[0])[0]
            }
            OutputDelta::All => {
                A::activation_backward(Activation::Softmax, &self.a, &self.loss_delta.values[0])[j]
            }
            OutputDelta::Errors => {
                // The successors' products in their order, as the reference's `W · δz` row.
                let total = self.errors.values[0]
                    .iter()
                    .fold(A::Sum::default(), |t, &e| A::add(t, e));
                ctx.charge(Op::Alu, u64::from(self.shape.successors));
                let delta_a = A::backward_output(total);
                A::activation_backward(self.shape.activation, &[own(&self.a)], &[delta_a])[0]
            }
        };
        let units = match self.shape.delta {
            OutputDelta::All => u64::from(self.shape.units),
            _ => 1,
        };
        charge_activation::<A>(ctx, self.shape.activation, units);
        let sample = self.batch.backward_sample();
        self.trained
            .guard
            .check::<A>(ctx, Operand::DeltaZ, Some(sample), &[delta_z]);
        let x = &self.inputs.values[0];
        let grads = self.trained.params.grads_mut();
        for (g, &x) in grads[..n].iter_mut().zip(x) {
            *g = A::add(*g, A::kernel_term(x, delta_z));
        }
        grads[n] = A::add(grads[n], A::bias_term(delta_z));
        ctx.charge(A::MAC, n as u64 + 1);
        if let Some(port) = &self.wiring.errors {
            // One product per predecessor, each multicast to the whole layer below.
            let w = &self.trained.params.values;
            for (i, &w) in w[..n].iter().enumerate() {
                let (packets, count) = A::sum_packets(A::mac(A::Sum::default(), w, delta_z));
                for &(word_key, word) in &packets[..count] {
                    self.mail.send(port.key(0, i as u32, word_key), word);
                }
            }
            ctx.charge(A::MAC, n as u64);
        }
        if let Some(base) = self.wiring.credits {
            self.mail.send(base, 0);
        }
        self.inputs.clear(0);
        self.errors.clear(0);
        self.loss_delta.clear(0);
        self.forwarded = false;
    }
}

impl<A: Arith> Worker for NeuronCore<A> {
    fn mail(&mut self) -> &mut Mailbox {
        &mut self.mail
    }

    fn handle(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        let Some(at) = self.wiring.ins.decode(key) else {
            self.mail.stray();
            return;
        };
        match (at.kind, at.stream) {
            (PortKind::Control, _) => {
                if let Some(size) = self.batch.start(at.index, payload) {
                    if self.batch.training() {
                        self.trained.end_batch(ctx, &mut self.mail, size);
                    }
                }
            }
            (PortKind::Values, STREAM_INPUTS) => {
                self.inputs.put(0, at.index, A::from_word(payload));
                if self.inputs.full(0) && !self.forwarded && self.z.is_none() {
                    self.forward(ctx);
                }
            }
            (PortKind::Values, STREAM_SIBLINGS) => {
                self.siblings.put(0, at.index, A::from_word(payload));
                self.finish_softmax(ctx);
            }
            (PortKind::Contributions, sender) => {
                // Every neuron of the next layer multicasts each of its products to the whole
                // layer; only the element with this neuron's index is its own.
                if at.index != self.shape.index {
                    self.discarded += 1;
                    return;
                }
                self.errors.fold(0, sender, A::key_weight(at.word), |s| {
                    A::add_word(s, at.word, payload)
                });
                self.backward_ready(ctx);
            }
            (PortKind::Deltas, _) => {
                self.loss_delta.put(0, at.index, A::from_word(payload));
                self.backward_ready(ctx);
            }
            _ => self.mail.stray(),
        }
    }
}

impl<A: Arith> Application for NeuronCore<A> {
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
