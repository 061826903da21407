//! `InputArbiter`: fair round-robin choice among the router's input ports
//! (`spec/hardware.md` §2.4 step 1; the policy itself is a model choice).
//!
//! Ports:
//! * `request[i]` (in): input `i` holds a packet this cycle.
//! * `advance` (in): the granted packet was taken this cycle; the pointer moves past it.
//! * `grant_valid`, `grant` (out): combinational; the first requesting input at or after the
//!   pointer, wrapping round to the lowest-numbered request.
//!
//! Latency: combinational grant, pointer registered. Reset puts the pointer at input 0.
//! Inputs 0–5 are links, 6–23 cores, 24 the monitor's re-injection port.

use rust_hdl::prelude::*;

/// Number of arbitrated inputs: 6 links, 18 cores and the re-injection port.
pub const N_ARBITER_INPUTS: usize = 25;

#[derive(LogicBlock)]
pub struct InputArbiter {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub request: [Signal<In, Bit>; N_ARBITER_INPUTS],
    pub advance: Signal<In, Bit>,
    pub grant_valid: Signal<Out, Bit>,
    pub grant: Signal<Out, Bits<5>>,
    pointer: DFF<Bits<5>>,
    port_number: [Constant<Bits<5>>; N_ARBITER_INPUTS],
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
            pointer: Default::default(),
            port_number: std::array::from_fn(|i| Constant::new((i as u64).into())),
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
        dff_setup!(self, clock, pointer);
        self.found.next = false;
        self.found_port.next = self.port_number[0].val();
        // Pass 1: the first request at or after the pointer.
        for i in 0..N_ARBITER_INPUTS {
            if !self.found.val()
                & self.request[i].val()
                & (self.pointer.q.val() <= self.port_number[i].val())
            {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        // Pass 2: wrap round to the lowest-numbered request.
        for i in 0..N_ARBITER_INPUTS {
            if !self.found.val() & self.request[i].val() {
                self.found.next = true;
                self.found_port.next = self.port_number[i].val();
            }
        }
        self.grant_valid.next = self.found.val();
        self.grant.next = self.found_port.val();
        if self.advance.val() & self.found.val() {
            if self.found_port.val() == self.last_port.val() {
                self.pointer.d.next = self.port_number[0].val();
            } else {
                self.pointer.d.next = self.found_port.val() + self.port_step.val();
            }
        }
        if self.reset.val() {
            self.pointer.d.next = self.port_number[0].val();
        }
    }
}
