//! Stepping a router by hand: typed input and output vectors, one call per clock cycle.
//!
//! One [`RouterDriver::cycle`] call steps the router through `crate::stepper::Stepper`: it
//! drives the inputs, samples the outputs the rising edge sees (so a port transfers in this
//! cycle exactly when its sampled valid and ready are both high), then clocks the design.
//!
//! The Verilog testbench of `verilog::testbench` follows the same order, and both serialise
//! inputs and outputs through [`RouterInputs::signals`] and [`RouterOutputs::signals`], so
//! traces from the two simulators compare line by line.

use crate::router::{BankedMulticastRouter, MulticastRouter};
use crate::stepper::Stepper;
use rust_hdl::prelude::*;
use spinn_arch::{
    McEntry, McTable, OutputPort, P2pRoute, RouteSet, RouterControl, CORES_PER_CHIP,
    LINKS_PER_CHIP, N_COUNTERS,
};
use std::io::Write;

/// Configuration targets of the `cfg_target` port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigTarget {
    McEntry = 0,
    Control = 1,
    P2pEntry = 2,
    FixedRoute = 3,
    DumpClear = 4,
}

/// Every input of the router for one cycle. Packets are in 72-bit bus form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterInputs {
    pub reset: bool,
    pub link_in_valid: [bool; LINKS_PER_CHIP],
    pub link_in_packet: [u128; LINKS_PER_CHIP],
    pub core_in_valid: [bool; CORES_PER_CHIP],
    pub core_in_packet: [u128; CORES_PER_CHIP],
    pub reinject_valid: bool,
    pub reinject_packet: u128,
    pub reinject_source: u8,
    /// Outputs for a re-injected packet; zero means "look it up again".
    pub reinject_route: u32,
    pub link_out_ready: [bool; LINKS_PER_CHIP],
    pub core_out_ready: [bool; CORES_PER_CHIP],
    pub cfg_write: bool,
    pub cfg_target: u8,
    pub cfg_index: u16,
    pub cfg_key: u32,
    pub cfg_mask: u32,
    pub cfg_data: u32,
}

/// Every output of the router in one cycle, sampled before the rising edge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterOutputs {
    pub link_in_ready: [bool; LINKS_PER_CHIP],
    pub core_in_ready: [bool; CORES_PER_CHIP],
    pub reinject_ready: bool,
    pub link_out_valid: [bool; LINKS_PER_CHIP],
    pub link_out_packet: [u128; LINKS_PER_CHIP],
    pub core_out_valid: [bool; CORES_PER_CHIP],
    pub core_out_packet: u128,
    pub dump_header: u16,
    pub dump_key: u32,
    pub dump_payload: u32,
    pub dump_outputs: u32,
    pub dump_status: u32,
    pub dump_interrupt: bool,
    pub count: [u32; N_COUNTERS],
    pub output_stage_empty: bool,
}

/// One port's value, named as in the exported Verilog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortValue {
    pub name: String,
    pub width: usize,
    pub value: u128,
}

fn scalar(out: &mut Vec<PortValue>, name: &str, width: usize, value: u128) {
    out.push(PortValue {
        name: name.to_string(),
        width,
        value,
    });
}

fn array<T: Copy + Into<u128>>(out: &mut Vec<PortValue>, name: &str, width: usize, values: &[T]) {
    for (i, v) in values.iter().enumerate() {
        out.push(PortValue {
            name: format!("{name}${i}"),
            width,
            value: (*v).into(),
        });
    }
}

impl RouterInputs {
    /// All inputs but the clock, in a fixed order.
    pub fn signals(&self) -> Vec<PortValue> {
        let mut out = Vec::new();
        scalar(&mut out, "reset", 1, self.reset as u128);
        array(&mut out, "link_in_valid", 1, &self.link_in_valid);
        array(&mut out, "link_in_packet", 72, &self.link_in_packet);
        array(&mut out, "core_in_valid", 1, &self.core_in_valid);
        array(&mut out, "core_in_packet", 72, &self.core_in_packet);
        scalar(&mut out, "reinject_valid", 1, self.reinject_valid as u128);
        scalar(&mut out, "reinject_packet", 72, self.reinject_packet);
        scalar(&mut out, "reinject_source", 5, self.reinject_source as u128);
        scalar(&mut out, "reinject_route", 24, self.reinject_route as u128);
        array(&mut out, "link_out_ready", 1, &self.link_out_ready);
        array(&mut out, "core_out_ready", 1, &self.core_out_ready);
        scalar(&mut out, "cfg_write", 1, self.cfg_write as u128);
        scalar(&mut out, "cfg_target", 3, self.cfg_target as u128);
        scalar(&mut out, "cfg_index", 16, self.cfg_index as u128);
        scalar(&mut out, "cfg_key", 32, self.cfg_key as u128);
        scalar(&mut out, "cfg_mask", 32, self.cfg_mask as u128);
        scalar(&mut out, "cfg_data", 32, self.cfg_data as u128);
        out
    }

    /// An idle cycle carrying one configuration write.
    pub fn config_write(
        target: ConfigTarget,
        index: u16,
        key: u32,
        mask: u32,
        data: u32,
    ) -> RouterInputs {
        RouterInputs {
            cfg_write: true,
            cfg_target: target as u8,
            cfg_index: index,
            cfg_key: key,
            cfg_mask: mask,
            cfg_data: data,
            ..RouterInputs::idle()
        }
    }

    /// All outputs ready, nothing offered: the idle cycle.
    pub fn idle() -> RouterInputs {
        RouterInputs {
            link_out_ready: [true; LINKS_PER_CHIP],
            core_out_ready: [true; CORES_PER_CHIP],
            ..RouterInputs::default()
        }
    }
}

impl RouterOutputs {
    /// The packet (bus form) `port` offers this cycle, if it is valid.
    pub fn offered(&self, port: OutputPort) -> Option<u128> {
        match port {
            OutputPort::Link(l) => {
                self.link_out_valid[l.index()].then_some(self.link_out_packet[l.index()])
            }
            OutputPort::Core(c) => self.core_out_valid[c.index()].then_some(self.core_out_packet),
        }
    }

    /// All outputs, in a fixed order.
    pub fn signals(&self) -> Vec<PortValue> {
        let mut out = Vec::new();
        array(&mut out, "link_in_ready", 1, &self.link_in_ready);
        array(&mut out, "core_in_ready", 1, &self.core_in_ready);
        scalar(&mut out, "reinject_ready", 1, self.reinject_ready as u128);
        array(&mut out, "link_out_valid", 1, &self.link_out_valid);
        array(&mut out, "link_out_packet", 72, &self.link_out_packet);
        array(&mut out, "core_out_valid", 1, &self.core_out_valid);
        scalar(&mut out, "core_out_packet", 72, self.core_out_packet);
        scalar(&mut out, "dump_header", 16, self.dump_header as u128);
        scalar(&mut out, "dump_key", 32, self.dump_key as u128);
        scalar(&mut out, "dump_payload", 32, self.dump_payload as u128);
        scalar(&mut out, "dump_outputs", 24, self.dump_outputs as u128);
        scalar(&mut out, "dump_status", 32, self.dump_status as u128);
        scalar(&mut out, "dump_interrupt", 1, self.dump_interrupt as u128);
        array(&mut out, "count", 32, &self.count);
        scalar(
            &mut out,
            "output_stage_empty",
            1,
            self.output_stage_empty as u128,
        );
        out
    }
}

/// A router block whose ports can be driven from [`RouterInputs`] and read into
/// [`RouterOutputs`]. Implemented by both table variants.
pub trait RouterPorts: Block {
    fn apply(&mut self, inputs: &RouterInputs);
    fn sample(&self) -> RouterOutputs;
    fn set_clock(&mut self, high: bool);
}

/// A `u128` as an N-bit rust-hdl value (N may exceed 64).
pub(crate) fn bus<const N: usize>(value: u128) -> Bits<N> {
    let mut res = Bits::<N>::default();
    for i in 0..N {
        if value >> i & 1 == 1 {
            res = res.replace_bit(i, true);
        }
    }
    res
}

macro_rules! impl_router_ports {
    ($ty:ident < $(const $g:ident : usize),* >) => {
        impl<$(const $g: usize),*> RouterPorts for $ty<$($g),*> {
            fn apply(&mut self, inputs: &RouterInputs) {
                self.reset.next = inputs.reset;
                for l in 0..LINKS_PER_CHIP {
                    self.link_in_valid[l].next = inputs.link_in_valid[l];
                    self.link_in_packet[l].next = bus(inputs.link_in_packet[l]);
                    self.link_out_ready[l].next = inputs.link_out_ready[l];
                }
                for c in 0..CORES_PER_CHIP {
                    self.core_in_valid[c].next = inputs.core_in_valid[c];
                    self.core_in_packet[c].next = bus(inputs.core_in_packet[c]);
                    self.core_out_ready[c].next = inputs.core_out_ready[c];
                }
                self.reinject_valid.next = inputs.reinject_valid;
                self.reinject_packet.next = bus(inputs.reinject_packet);
                self.reinject_source.next = (inputs.reinject_source as u64).into();
                self.reinject_route.next = (inputs.reinject_route as u64).into();
                self.cfg_write.next = inputs.cfg_write;
                self.cfg_target.next = (inputs.cfg_target as u64).into();
                self.cfg_index.next = (inputs.cfg_index as u64).into();
                self.cfg_key.next = (inputs.cfg_key as u64).into();
                self.cfg_mask.next = (inputs.cfg_mask as u64).into();
                self.cfg_data.next = (inputs.cfg_data as u64).into();
            }

            fn sample(&self) -> RouterOutputs {
                RouterOutputs {
                    link_in_ready: std::array::from_fn(|l| self.link_in_ready[l].val()),
                    core_in_ready: std::array::from_fn(|c| self.core_in_ready[c].val()),
                    reinject_ready: self.reinject_ready.val(),
                    link_out_valid: std::array::from_fn(|l| self.link_out_valid[l].val()),
                    link_out_packet: std::array::from_fn(|l| self.link_out_packet[l].val().to_u128()),
                    core_out_valid: std::array::from_fn(|c| self.core_out_valid[c].val()),
                    core_out_packet: self.core_out_packet.val().to_u128(),
                    dump_header: self.dump_header.val().to_u16(),
                    dump_key: self.dump_key.val().to_u32(),
                    dump_payload: self.dump_payload.val().to_u32(),
                    dump_outputs: self.dump_outputs.val().to_u32(),
                    dump_status: self.dump_status.val().to_u32(),
                    dump_interrupt: self.dump_interrupt.val(),
                    count: std::array::from_fn(|k| self.count[k].val().to_u32()),
                    output_stage_empty: self.output_stage_empty.val(),
                }
            }

            fn set_clock(&mut self, high: bool) {
                self.clock.next = Clock { clk: high };
            }
        }
    };
}
impl_router_ports!(MulticastRouter<const ENTRIES: usize, const P2P_ENTRIES: usize>);
impl_router_ports!(BankedMulticastRouter<const BANKS: usize, const DEPTH_BITS: usize, const P2P_ENTRIES: usize>);

/// A router stepped by hand, cycle by cycle.
pub struct RtlRouter<R: RouterPorts> {
    stepper: Stepper<R>,
}

impl<R: RouterPorts> RtlRouter<R> {
    pub fn new(uut: R) -> RtlRouter<R> {
        RtlRouter {
            stepper: Stepper::new(Box::new(uut)),
        }
    }

    pub fn block(&self) -> &R {
        self.stepper.block()
    }
}

/// Anything that steps a router cycle by cycle. The configuration helpers are built on
/// [`RouterDriver::cycle`], one configuration write per cycle.
pub trait RouterDriver {
    /// One clock cycle: returns the outputs the rising edge saw.
    fn cycle(&mut self, inputs: &RouterInputs) -> RouterOutputs;

    /// Writes a VCD of every following half cycle (timestamps in ns of a 10 ns clock). The
    /// trace holds every signal of the design, so keep traced runs short.
    fn trace_to(&mut self, writer: Box<dyn Write>);

    /// Flushes and stops the VCD trace.
    fn finish_trace(&mut self);

    /// Cycles stepped so far.
    fn cycles(&self) -> u64;

    /// A cycle with reset high and nothing offered.
    fn reset(&mut self) -> RouterOutputs {
        self.cycle(&RouterInputs {
            reset: true,
            ..RouterInputs::idle()
        })
    }

    /// One configuration write, with no traffic.
    fn configure(&mut self, target: ConfigTarget, index: u16, key: u32, mask: u32, data: u32) {
        self.cycle(&RouterInputs::config_write(target, index, key, mask, data));
    }

    fn write_entry(&mut self, index: usize, entry: McEntry) {
        let index = u16::try_from(index).expect("invariant: table indices fit 16 bits");
        self.configure(
            ConfigTarget::McEntry,
            index,
            entry.key(),
            entry.mask(),
            entry.route().bits(),
        );
    }

    /// Writes every entry of `table` (one cycle each).
    fn load_table(&mut self, table: &McTable) {
        for (idx, entry) in table.entries().iter().enumerate() {
            self.write_entry(idx, *entry);
        }
    }

    fn set_control(&mut self, control: RouterControl) {
        self.configure(ConfigTarget::Control, 0, 0, 0, control.to_register());
    }

    fn set_p2p(&mut self, index: usize, route: P2pRoute) {
        let index = u16::try_from(index).expect("invariant: P2P indices fit 16 bits");
        self.configure(ConfigTarget::P2pEntry, index, 0, 0, route.code() as u32);
    }

    fn set_fixed_route(&mut self, route: RouteSet) {
        self.configure(ConfigTarget::FixedRoute, 0, 0, 0, route.bits());
    }

    fn clear_dump(&mut self) {
        self.configure(ConfigTarget::DumpClear, 0, 0, 0, 0);
    }
}

impl<R: RouterPorts> RouterDriver for RtlRouter<R> {
    fn cycle(&mut self, inputs: &RouterInputs) -> RouterOutputs {
        self.stepper.cycle(
            |r| r.apply(inputs),
            |r| r.sample(),
            |r, high| r.set_clock(high),
        )
    }

    fn trace_to(&mut self, writer: Box<dyn Write>) {
        self.stepper.trace_to(writer);
    }

    fn finish_trace(&mut self) {
        self.stepper.finish_trace();
    }

    fn cycles(&self) -> u64 {
        self.stepper.cycles()
    }
}
