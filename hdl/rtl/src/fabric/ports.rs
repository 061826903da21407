//! Driving an RTL fabric by hand: typed per-cycle input and output vectors, one call per clock
//! cycle, in the same order of operations as `drive::RtlRouter` (inputs, settle, sample, edge).
//!
//! Port vectors are flattened as the generated fabric tops flatten them: core port `k` of chip
//! `i` is element `i * 18 + k`; counter `k` of chip `i` is element `i * 12 + k`; edge port `e` is
//! the `e`-th (chip, link) pair of [`FabricShape::edges`].

use crate::drive::PortValue;
use crate::stepper::Stepper;
use rust_hdl::prelude::*;
use spinn_arch::{LinkDir, CORES_PER_CHIP, N_COUNTERS};
use std::io::Write;

/// The shape of a generated fabric: its chips and its unconnected (edge) links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FabricShape {
    pub name: &'static str,
    pub n_chips: usize,
    /// (from chip, link, to chip) of every link, in the order of the `link_enable` port.
    pub links: Vec<(usize, LinkDir, usize)>,
    /// (chip index, link) of every link the topology lacks.
    pub edges: Vec<(usize, LinkDir)>,
}

/// Every input of a fabric for one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FabricInputs {
    pub reset: bool,
    pub cfg_write: Vec<bool>,
    pub cfg_target: u8,
    pub cfg_index: u16,
    pub cfg_key: u32,
    pub cfg_mask: u32,
    pub cfg_data: u32,
    pub core_in_valid: Vec<bool>,
    pub core_in_packet: Vec<u128>,
    pub core_out_ready: Vec<bool>,
    pub reinject_valid: Vec<bool>,
    pub reinject_packet: Vec<u128>,
    pub reinject_source: Vec<u8>,
    pub reinject_route: Vec<u32>,
    /// Low for a dead link.
    pub link_enable: Vec<bool>,
    pub edge_in_valid: Vec<bool>,
    pub edge_in_packet: Vec<u128>,
    pub edge_out_ready: Vec<bool>,
}

/// Every output of a fabric in one cycle, sampled before the rising edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FabricOutputs {
    pub core_in_ready: Vec<bool>,
    pub core_out_valid: Vec<bool>,
    pub core_out_packet: Vec<u128>,
    pub reinject_ready: Vec<bool>,
    pub dump_header: Vec<u16>,
    pub dump_key: Vec<u32>,
    pub dump_payload: Vec<u32>,
    pub dump_outputs: Vec<u32>,
    pub dump_status: Vec<u32>,
    pub dump_interrupt: Vec<bool>,
    pub count: Vec<u32>,
    pub output_stage_empty: Vec<bool>,
    pub edge_in_ready: Vec<bool>,
    pub edge_out_valid: Vec<bool>,
    pub edge_out_packet: Vec<u128>,
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

impl FabricInputs {
    /// No traffic, every sink ready, edge outputs not ready (nothing beyond the board's edge).
    pub fn idle(shape: &FabricShape) -> FabricInputs {
        let (n, cores, edges) = (
            shape.n_chips,
            shape.n_chips * CORES_PER_CHIP,
            shape.edges.len(),
        );
        FabricInputs {
            reset: false,
            cfg_write: vec![false; n],
            cfg_target: 0,
            cfg_index: 0,
            cfg_key: 0,
            cfg_mask: 0,
            cfg_data: 0,
            core_in_valid: vec![false; cores],
            core_in_packet: vec![0; cores],
            core_out_ready: vec![true; cores],
            reinject_valid: vec![false; n],
            reinject_packet: vec![0; n],
            reinject_source: vec![0; n],
            reinject_route: vec![0; n],
            link_enable: vec![true; shape.links.len()],
            edge_in_valid: vec![false; edges],
            edge_in_packet: vec![0; edges],
            edge_out_ready: vec![false; edges],
        }
    }

    /// All inputs but the clock, in a fixed order, named as in the exported Verilog.
    pub fn signals(&self) -> Vec<PortValue> {
        let mut out = vec![PortValue {
            name: "reset".into(),
            width: 1,
            value: self.reset as u128,
        }];
        array(&mut out, "cfg_write", 1, &self.cfg_write);
        for (name, width, value) in [
            ("cfg_target", 3, self.cfg_target as u128),
            ("cfg_index", 16, self.cfg_index as u128),
            ("cfg_key", 32, self.cfg_key as u128),
            ("cfg_mask", 32, self.cfg_mask as u128),
            ("cfg_data", 32, self.cfg_data as u128),
        ] {
            out.push(PortValue {
                name: name.into(),
                width,
                value,
            });
        }
        array(&mut out, "core_in_valid", 1, &self.core_in_valid);
        array(&mut out, "core_in_packet", 72, &self.core_in_packet);
        array(&mut out, "core_out_ready", 1, &self.core_out_ready);
        array(&mut out, "reinject_valid", 1, &self.reinject_valid);
        array(&mut out, "reinject_packet", 72, &self.reinject_packet);
        array(&mut out, "reinject_source", 5, &self.reinject_source);
        array(&mut out, "reinject_route", 24, &self.reinject_route);
        array(&mut out, "link_enable", 1, &self.link_enable);
        array(&mut out, "edge_in_valid", 1, &self.edge_in_valid);
        array(&mut out, "edge_in_packet", 72, &self.edge_in_packet);
        array(&mut out, "edge_out_ready", 1, &self.edge_out_ready);
        out
    }
}

impl FabricOutputs {
    /// All outputs, in a fixed order, named as in the exported Verilog.
    pub fn signals(&self) -> Vec<PortValue> {
        let mut out = Vec::new();
        array(&mut out, "core_in_ready", 1, &self.core_in_ready);
        array(&mut out, "core_out_valid", 1, &self.core_out_valid);
        array(&mut out, "core_out_packet", 72, &self.core_out_packet);
        array(&mut out, "reinject_ready", 1, &self.reinject_ready);
        array(&mut out, "dump_header", 16, &self.dump_header);
        array(&mut out, "dump_key", 32, &self.dump_key);
        array(&mut out, "dump_payload", 32, &self.dump_payload);
        array(&mut out, "dump_outputs", 24, &self.dump_outputs);
        array(&mut out, "dump_status", 32, &self.dump_status);
        array(&mut out, "dump_interrupt", 1, &self.dump_interrupt);
        array(&mut out, "count", 32, &self.count);
        array(&mut out, "output_stage_empty", 1, &self.output_stage_empty);
        array(&mut out, "edge_in_ready", 1, &self.edge_in_ready);
        array(&mut out, "edge_out_valid", 1, &self.edge_out_valid);
        array(&mut out, "edge_out_packet", 72, &self.edge_out_packet);
        out
    }

    /// Counter `k` of chip `chip`.
    pub fn counter(&self, chip: usize, k: usize) -> u32 {
        self.count[chip * N_COUNTERS + k]
    }
}

/// A generated fabric top whose ports can be driven from [`FabricInputs`].
pub trait FabricPorts: Block {
    fn shape() -> FabricShape;
    fn apply(&mut self, inputs: &FabricInputs);
    fn sample(&self) -> FabricOutputs;
    fn set_clock(&mut self, high: bool);
}

/// Anything that steps a fabric cycle by cycle.
pub trait FabricDriver {
    fn shape(&self) -> FabricShape;
    /// One clock cycle: returns the outputs the rising edge saw.
    fn cycle(&mut self, inputs: &FabricInputs) -> FabricOutputs;
    /// Writes a VCD of every following half cycle (10 ns clock).
    fn trace_to(&mut self, writer: Box<dyn Write>);
    fn finish_trace(&mut self);
    fn cycles(&self) -> u64;
    /// The outputs between cycles, without stepping: registered ones (dump registers, counters,
    /// `output_stage_empty`) are those the next cycle starts from; combinational ones still
    /// reflect the last cycle's inputs.
    fn registered(&self) -> FabricOutputs;
}

/// A fabric stepped by hand.
pub struct RtlFabric<F: FabricPorts> {
    stepper: Stepper<F>,
}

impl<F: FabricPorts> RtlFabric<F> {
    pub fn new(uut: Box<F>) -> RtlFabric<F> {
        RtlFabric {
            stepper: Stepper::new(uut),
        }
    }
}

impl<F: FabricPorts> FabricDriver for RtlFabric<F> {
    fn shape(&self) -> FabricShape {
        F::shape()
    }

    fn cycle(&mut self, inputs: &FabricInputs) -> FabricOutputs {
        self.stepper.cycle(
            |f| f.apply(inputs),
            |f| f.sample(),
            |f, high| f.set_clock(high),
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

    fn registered(&self) -> FabricOutputs {
        self.stepper.block().sample()
    }
}
