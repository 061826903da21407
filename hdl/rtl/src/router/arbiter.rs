//! `InputArbiter`: which input the router takes a packet from (`spec/hardware.md` §2.4
//! step 1, where the policy is unconfirmed: a model choice). Through traffic first: if any link
//! requests, the grant is a link, in round-robin order among the links; only when no link
//! requests does a local input (a core or the re-injection port) get the router, in
//! round-robin order among them.
//!
//! Why links first: the router has one pipeline, so when neighbouring routers' full registers
//! wait on each other (released only by the wait1 timeout and a dump), a flat round robin over
//! all 25 inputs gave three quarters of every released slot to the 17 busy cores. The network
//! then refilled faster than it drained and stayed deadlocked, uniform traffic past saturation
//! collapsing to the dump rate. Serving through traffic first throttles injection to what the
//! network can carry (`docs/fabric.md`, saturation).
//!
//! Ports:
//! * `request[i]` (in): input `i` holds a packet this cycle.
//! * `advance` (in): the granted packet was taken this cycle; the granted group's pointer moves
//!   past it.
//! * `grant_valid`, `grant`, `grant_one_hot` (out): combinational; the first requesting link at
//!   or after the link pointer, else the first requesting link; if no link requests, the first
//!   requesting local input at or after the local pointer, else the first requesting local
//!   input. `grant` is the input's number, `grant_one_hot` has its bit set (no bit if none).
//!
//! Latency: combinational grant, pointers registered. Reset puts both pointers at input 0.
//! Inputs 0–5 are links, 6–23 cores, 24 the monitor's re-injection port.
//!
//! Structure: each pointer is kept as the mask of the inputs at or after it, so the grant is
//! two masked lowest-bit selections side by side, a few logic levels deep (a found-flag pass
//! per input was one level per input, on the router's critical path). After a grant the mask
//! becomes the inputs above the granted one; granting the last input leaves it empty, which
//! selects like a full mask (the wrap to input 0).

use rust_hdl::prelude::*;

/// Number of arbitrated inputs: 6 links, 18 cores and the re-injection port.
pub const N_ARBITER_INPUTS: usize = 25;

/// The link inputs, 0–5; the rest are local.
const N_LINK_INPUTS: usize = 6;

#[derive(LogicBlock)]
pub struct InputArbiter {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub request: [Signal<In, Bit>; N_ARBITER_INPUTS],
    pub advance: Signal<In, Bit>,
    pub grant_valid: Signal<Out, Bit>,
    pub grant: Signal<Out, Bits<5>>,
    pub grant_one_hot: Signal<Out, Bits<N_ARBITER_INPUTS>>,
    // The inputs at or after each group's pointer (bits of the other group stay clear).
    link_mask: DFF<Bits<N_ARBITER_INPUTS>>,
    local_mask: DFF<Bits<N_ARBITER_INPUTS>>,
    port_number: [Constant<Bits<5>>; N_ARBITER_INPUTS],
    // `input_bit[i]` = 1 << i: `replace_bit` would emit a 1-bit value shifted in a 25-bit
    // context (correct, but a Verilator WIDTH warning).
    input_bit: [Constant<Bits<N_ARBITER_INPUTS>>; N_ARBITER_INPUTS],
    link_inputs: Constant<Bits<N_ARBITER_INPUTS>>,
    local_inputs: Constant<Bits<N_ARBITER_INPUTS>>,
    no_inputs: Constant<Bits<N_ARBITER_INPUTS>>,
    requests: Signal<Local, Bits<N_ARBITER_INPUTS>>,
    // The requests a group chooses among: those at or after its pointer if any, else all.
    link_candidates: Signal<Local, Bits<N_ARBITER_INPUTS>>,
    local_candidates: Signal<Local, Bits<N_ARBITER_INPUTS>>,
    candidates: Signal<Local, Bits<N_ARBITER_INPUTS>>,
    // `inputs_below[i]`: the inputs below `i`, for a reduction per input (a prefix chain, each
    // link used by its own input, would stay as deep as there are inputs).
    inputs_below: [Constant<Bits<N_ARBITER_INPUTS>>; N_ARBITER_INPUTS],
    chosen: Signal<Local, Bits<N_ARBITER_INPUTS>>,
    chosen_port: Signal<Local, Bits<5>>,
    after_chosen: Signal<Local, Bits<N_ARBITER_INPUTS>>,
}

impl Default for InputArbiter {
    fn default() -> Self {
        let inputs = |range: std::ops::Range<usize>| {
            Constant::new(range.fold(0u64, |m, i| m | 1 << i).into())
        };
        Self {
            clock: Default::default(),
            reset: Default::default(),
            request: std::array::from_fn(|_| Default::default()),
            advance: Default::default(),
            grant_valid: Default::default(),
            grant: Default::default(),
            grant_one_hot: Default::default(),
            link_mask: Default::default(),
            local_mask: Default::default(),
            port_number: std::array::from_fn(|i| Constant::new((i as u64).into())),
            input_bit: std::array::from_fn(|i| Constant::new((1u64 << i).into())),
            link_inputs: inputs(0..N_LINK_INPUTS),
            local_inputs: inputs(N_LINK_INPUTS..N_ARBITER_INPUTS),
            no_inputs: Constant::new(0.into()),
            requests: Default::default(),
            link_candidates: Default::default(),
            local_candidates: Default::default(),
            candidates: Default::default(),
            inputs_below: std::array::from_fn(|i| inputs(0..i)),
            chosen: Default::default(),
            chosen_port: Default::default(),
            after_chosen: Default::default(),
        }
    }
}

impl Logic for InputArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, link_mask, local_mask);
        self.requests.next = self.no_inputs.val();
        for i in 0..N_ARBITER_INPUTS {
            if self.request[i].val() {
                self.requests.next = self.requests.val() | self.input_bit[i].val();
            }
        }
        self.link_candidates.next = self.requests.val() & self.link_inputs.val();
        if (self.requests.val() & self.link_mask.q.val()).any() {
            self.link_candidates.next = self.requests.val() & self.link_mask.q.val();
        }
        self.local_candidates.next = self.requests.val() & self.local_inputs.val();
        if (self.requests.val() & self.local_mask.q.val()).any() {
            self.local_candidates.next = self.requests.val() & self.local_mask.q.val();
        }
        // Links first.
        self.candidates.next = self.local_candidates.val();
        if (self.requests.val() & self.link_inputs.val()).any() {
            self.candidates.next = self.link_candidates.val();
        }
        // The lowest candidate.
        self.chosen.next = self.no_inputs.val();
        self.chosen_port.next = self.port_number[0].val();
        for i in 0..N_ARBITER_INPUTS {
            if self.candidates.val().get_bit(i)
                & !(self.candidates.val() & self.inputs_below[i].val()).any()
            {
                self.chosen.next = self.chosen.val() | self.input_bit[i].val();
                self.chosen_port.next = self.chosen_port.val() | self.port_number[i].val();
            }
        }
        // The inputs above the grant: the pointer's next mask.
        self.after_chosen.next = self.no_inputs.val();
        for i in 1..N_ARBITER_INPUTS {
            if (self.chosen.val() & self.inputs_below[i].val()).any() {
                self.after_chosen.next = self.after_chosen.val() | self.input_bit[i].val();
            }
        }
        self.grant_valid.next = self.requests.val().any();
        self.grant.next = self.chosen_port.val();
        self.grant_one_hot.next = self.chosen.val();
        if self.advance.val() & self.requests.val().any() {
            if (self.chosen.val() & self.link_inputs.val()).any() {
                self.link_mask.d.next = self.after_chosen.val() & self.link_inputs.val();
            } else {
                self.local_mask.d.next = self.after_chosen.val();
            }
        }
        if self.reset.val() {
            self.link_mask.d.next = self.link_inputs.val();
            self.local_mask.d.next = self.local_inputs.val();
        }
    }
}
