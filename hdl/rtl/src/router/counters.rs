//! `DiagnosticCounters`: the router's 32-bit event counters (`spec/hardware.md` §2.7), one per
//! `spinn_arch::Counter`, incremented by a strobe vector and cleared by reset.

use rust_hdl::prelude::*;
use spinn_arch::N_COUNTERS;

#[derive(LogicBlock)]
pub struct DiagnosticCounters {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub increment: Signal<In, Bits<N_COUNTERS>>,
    pub count: [Signal<Out, Bits<32>>; N_COUNTERS],
    value: [DFF<Bits<32>>; N_COUNTERS],
}

impl Default for DiagnosticCounters {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            increment: Default::default(),
            count: std::array::from_fn(|_| Default::default()),
            value: std::array::from_fn(|_| Default::default()),
        }
    }
}

impl Logic for DiagnosticCounters {
    #[hdl_gen]
    fn update(&mut self) {
        for c in 0..N_COUNTERS {
            self.value[c].clock.next = self.clock.val();
            self.value[c].d.next = self.value[c].q.val();
            if self.increment.val().get_bit(c) {
                self.value[c].d.next = self.value[c].q.val() + 1;
            }
            if self.reset.val() {
                self.value[c].d.next = 0.into();
            }
            self.count[c].next = self.value[c].q.val();
        }
    }
}
