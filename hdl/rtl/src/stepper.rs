//! Stepping a rust-hdl design by hand, one clock cycle per call, optionally writing a VCD.
//!
//! rust-hdl's threaded `Simulation` costs about 100 µs per cycle in thread hand-offs; settling
//! the design with `update_all`/`has_changed` ourselves is about 100× faster
//! (`spec/rust-hdl.md` §2.2). A cycle: drive the inputs with the clock low and settle; sample
//! the outputs (what the rising edge will see); raise the clock, settle, lower it, settle.
//! Both the router driver and the fabric driver are built on this.

use rust_hdl::core::vcd_probe::VCDProbe;
use rust_hdl::prelude::*;
use std::io::Write;

/// Settle passes allowed per half cycle. A router needs about a dozen, and a fabric about as
/// many because links register both directions; more means a combinational loop.
const MAX_SETTLE_PASSES: usize = 100;

/// A design stepped by hand. The design is boxed: a 3×3 fabric is about 800 KB, too much to
/// move around on a test thread's stack.
pub struct Stepper<B: Block> {
    uut: Box<B>,
    cycle: u64,
    vcd: Option<VCDProbe<Box<dyn Write>>>,
}

impl<B: Block> Stepper<B> {
    pub fn new(mut uut: Box<B>) -> Stepper<B> {
        uut.connect_all();
        let mut res = Stepper {
            uut,
            cycle: 0,
            vcd: None,
        };
        res.settle();
        res
    }

    pub fn block(&self) -> &B {
        &self.uut
    }

    fn settle(&mut self) {
        let settled = simulate(&mut *self.uut, MAX_SETTLE_PASSES);
        assert!(
            settled,
            "invariant: the design settles within {MAX_SETTLE_PASSES} passes"
        );
    }

    fn record(&mut self, time: u64) {
        if let Some(mut probe) = self.vcd.take() {
            let _ = probe.timestamp(time);
            self.vcd = Some(write_vcd_change(probe, &*self.uut));
        }
    }

    /// One clock cycle: `apply` drives the inputs, `sample` reads the outputs the rising edge
    /// sees, `set_clock` drives the clock input.
    pub fn cycle<O>(
        &mut self,
        apply: impl FnOnce(&mut B),
        sample: impl FnOnce(&B) -> O,
        set_clock: impl Fn(&mut B, bool),
    ) -> O {
        apply(&mut self.uut);
        self.settle();
        let outputs = sample(&self.uut);
        set_clock(&mut self.uut, true);
        self.settle();
        self.record(self.cycle * 10 + 5);
        set_clock(&mut self.uut, false);
        self.settle();
        self.cycle += 1;
        self.record(self.cycle * 10);
        outputs
    }

    /// Writes a VCD of every following half cycle (timestamps in ns of a 10 ns clock). The trace
    /// holds every signal of the design, so keep traced runs short.
    pub fn trace_to(&mut self, writer: Box<dyn Write>) {
        let mut probe = write_vcd_header(writer, &*self.uut);
        let _ = probe.timestamp(self.cycle * 10);
        self.vcd = Some(write_vcd_dump(probe, &*self.uut));
    }

    /// Flushes and stops the VCD trace.
    pub fn finish_trace(&mut self) {
        self.vcd = None;
    }

    /// Cycles stepped so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }
}
