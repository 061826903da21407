//! A block core: a slice of one term's kernel (a range of input channels × its tile's filters)
//! that does not fit on the tile. Forward: when a slot's input region is complete, the
//! partial sums of its channels go to the tile. Backward, slot by slot in sample order: when
//! the tile's `δz` has come, it adds `x · δz` to its gradient sums and sends its `δ`
//! contributions to the producers of its input (a first-layer block sends the feeder a credit
//! instead). At a training batch's end it updates its weights, after summing their gradients
//! with the block's spatial copies if it has any.
//!
//! A dense layer's row block is a block whose tile (its accumulator) has one position.

use super::{
    allocate, on_event, send_sums, Batch, Mailbox, Operand, SlotBuffer, Trainable, Violation,
    Worker, CALLBACKS,
};
use crate::machine::arith::Arith;
use crate::machine::memory::Dtcm;
use crate::machine::ports::{InPorts, OutPort, PortKind};
use crate::ops::Correlation;
use spinn_runtime::{Application, Callbacks, Context, Event, MemoryError};

/// How a block is wired.
#[derive(Debug, Clone)]
pub struct BlockWiring {
    pub ins: InPorts,
    /// Partial sums to its tile.
    pub partials: OutPort,
    /// `δ` contributions to the producers of its input (none for the network input).
    pub contributions: Vec<OutPort>,
    /// The feeder's credit keys, if the block reads the network input.
    pub credits: Option<u32>,
    pub gap: u64,
}

pub struct BlockCore<A: Arith> {
    slots: u32,
    kernel: Correlation,
    trained: Trainable<A>,
    inputs: SlotBuffer<A::Value>,
    deltas: SlotBuffer<A::Value>,
    /// Partial sums per slot (its tile's pre-pool outputs).
    outputs: u32,
    wiring: BlockWiring,
    dtcm: Dtcm,
    batch: Batch,
    mail: Mailbox,
}

impl<A: Arith> BlockCore<A> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        slots: u32,
        kernel: Correlation,
        inputs: u32,
        outputs: u32,
        trained: Trainable<A>,
        wiring: BlockWiring,
        dtcm: Dtcm,
    ) -> BlockCore<A> {
        BlockCore {
            slots,
            inputs: SlotBuffer::new(slots, inputs, wiring.ins.expected(PortKind::Values, 0, 1)),
            deltas: SlotBuffer::new(slots, outputs, outputs),
            kernel,
            trained,
            outputs,
            mail: Mailbox::new(wiring.gap),
            wiring,
            dtcm,
            batch: Batch::default(),
        }
    }

    /// The block's weights, `[i][j][channel][filter]` (what the host reads back from the core's
    /// memory).
    pub fn weights(&self) -> &[A::Value] {
        &self.trained.params.values
    }

    /// Their momentum velocities, laid out the same, if the optimiser has momentum.
    pub fn velocities(&self) -> Option<&[A::Value]> {
        self.trained.params.velocity()
    }

    pub fn stray_packets(&self) -> u64 {
        self.mail.stray_packets()
    }

    pub fn update_pending(&self) -> bool {
        self.trained.update_pending()
    }

    /// The batch's first value beyond the numeric bound (the host reads it after a batch;
    /// the checks restart).
    pub fn take_violation(&mut self) -> Option<Violation> {
        self.trained.guard.take()
    }

    /// What the block is waiting for, for the watchdog.
    pub fn waiting(&self) -> Vec<String> {
        let mut w = self.inputs.partial("inputs");
        w.extend(self.deltas.partial("deltas"));
        if self.batch.training() {
            let next = self.batch.next;
            if self.inputs.full(next) && !self.deltas.full(next) {
                w.push(format!("slot {next} (next in order): its deltas"));
            }
        }
        w.extend(self.trained.waiting());
        w
    }

    fn forward(&mut self, ctx: &mut Context, slot: u32) {
        let sample = self.trained.guard.forward_sample(slot);
        let x = &self.inputs.values[slot as usize];
        self.trained
            .guard
            .check::<A>(ctx, Operand::Inputs { term: 0 }, Some(sample), x);
        let mut partial = vec![A::Sum::default(); self.outputs as usize];
        self.kernel
            .forward::<A>(x, &self.trained.params.values, &mut partial);
        ctx.charge(A::MAC, self.kernel.macs());
        send_sums::<A>(&mut self.mail, &self.wiring.partials, slot, &partial);
        if !self.batch.training() {
            self.inputs.clear(slot);
        }
    }

    fn backward_ready(&mut self, ctx: &mut Context) {
        while self.batch.training()
            && self.deltas.full(self.batch.next)
            && self.inputs.full(self.batch.next)
        {
            let slot = self.batch.next;
            self.backward(ctx, slot);
            if let Some(size) = self.batch.finish_sample(self.slots) {
                self.trained.end_batch(ctx, &mut self.mail, size);
            }
        }
    }

    fn backward(&mut self, ctx: &mut Context, slot: u32) {
        let s = slot as usize;
        let (x, dz) = (&self.inputs.values[s], &self.deltas.values[s]);
        self.kernel
            .gradient::<A>(x, dz, self.trained.params.grads_mut());
        ctx.charge(A::MAC, self.kernel.macs());
        if !self.wiring.contributions.is_empty() {
            let mut dx = vec![A::Sum::default(); x.len()];
            self.kernel
                .backward::<A>(&self.trained.params.values, dz, &mut dx);
            ctx.charge(A::MAC, self.kernel.macs());
            for port in &self.wiring.contributions {
                send_sums::<A>(&mut self.mail, port, slot, &dx);
            }
        }
        if let Some(base) = self.wiring.credits {
            self.mail.send(base + slot, 0);
        }
        self.inputs.clear(slot);
        self.deltas.clear(slot);
    }
}

impl<A: Arith> Worker for BlockCore<A> {
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
            }
            PortKind::Values => {
                self.inputs.put(slot, index, A::from_word(payload));
                if self.inputs.full(slot) {
                    self.forward(ctx, slot);
                }
            }
            PortKind::Deltas => {
                self.deltas.put(slot, index, A::from_word(payload));
                if self.deltas.full(slot) {
                    self.backward_ready(ctx);
                }
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
            }
            _ => self.mail.stray(),
        }
    }
}

impl<A: Arith> Application for BlockCore<A> {
    fn callbacks(&self) -> Callbacks {
        CALLBACKS
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        allocate(ctx, &self.dtcm)
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        on_event(self, ctx, event);
    }
}
