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
//! * `grant_valid`, `grant` (out): combinational; the first requesting link at or after the link
//!   pointer, else the first requesting link; if no link requests, the first requesting local
//!   input at or after the local pointer, else the first requesting local input.
//!
//! Latency: combinational grant, pointers registered. Reset puts both pointers at input 0.
//! Inputs 0–5 are links, 6–23 cores, 24 the monitor's re-injection port.

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
    link_pointer: DFF<Bits<5>>,
    local_pointer: DFF<Bits<5>>,
    port_number: [Constant<Bits<5>>; N_ARBITER_INPUTS],
    last_link: Constant<Bits<5>>,
    last_port: Constant<Bits<5>>,
    // A width-exact one: rust-hdl emits the literal `1` 32 bits wide (a Verilator WIDTH warning).
    port_step: Constant<Bits<5>>,
    found: Signal<Local, Bit>,
    found_port: Signal<Local, Bits<5>>,
}

impl Default for InputArbiter {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            request: std::array::from_fn(|_| Default::default()),
            advance: Default::default(),
            grant_valid: Default::default(),
            grant: Default::default(),
            link_pointer: Default::default(),
            local_pointer: Default::default(),
            port_number: std::array::from_fn(|i| Constant::new((i as u64).into())),
            last_link: Constant::new(((N_LINK_INPUTS - 1) as u64).into()),
            last_port: Constant::new(((N_ARBITER_INPUTS - 1) as u64).into()),
            port_step: Constant::new(1.into()),
            found: Default::default(),
            found_port: Default::default(),
        }
    }
}

impl Logic for InputArbiter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, link_pointer, local_pointer);
        self.found.next = false;
        self.found_port.next = self.port_number[0].val();
        // Pass 1: the first link request at or after the link pointer.
        for i in 0..N_LINK_INPUTS {
            if !self.found.val()
                & self.request[i].val()
                & (self.link_pointer.q.val() <= self.port_number[i].val())
            {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        // Pass 2: wrap round to the lowest-numbered link request.
        for i in 0..N_LINK_INPUTS {
            if !self.found.val() & self.request[i].val() {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        // Pass 3: no link requests; the first local request at or after the local pointer.
        for i in N_LINK_INPUTS..N_ARBITER_INPUTS {
            if !self.found.val()
                & self.request[i].val()
                & (self.local_pointer.q.val() <= self.port_number[i].val())
            {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        // Pass 4: wrap round to the lowest-numbered local request.
        for i in N_LINK_INPUTS..N_ARBITER_INPUTS {
            if !self.found.val() & self.request[i].val() {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        self.grant_valid.next = self.found.val();
        self.grant.next = self.found_port.val();
        if self.advance.val() & self.found.val() {
            if self.found_port.val() <= self.last_link.val() {
                self.link_pointer.d.next = self.found_port.val() + self.port_step.val();
            } else if self.found_port.val() == self.last_port.val() {
                self.local_pointer.d.next = self.port_number[0].val();
            } else {
                self.local_pointer.d.next = self.found_port.val() + self.port_step.val();
            }
        }
        if self.reset.val() {
            self.link_pointer.d.next = self.port_number[0].val();
            self.local_pointer.d.next = self.port_number[0].val();
        }
    }
}
