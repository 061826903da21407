//! Driving the standalone block-RAM TCAM table ([`TcamTable`]) by hand, and exporting it.
//!
//! Sizes are const generics, so only the builds in [`TCAM_SIZES`] exist. [`simulate_tcam`] steps
//! one with [`Stepper`] (inputs applied with the clock low, outputs sampled as the rising edge
//! sees them); [`tcam_verilog`] exports it with top module [`TCAM_TOP_MODULE`], and
//! [`tcam_fpga_wrapper`] registers its ports for place and route.

use crate::config::ConfigError;
use crate::drive::PortValue;
use crate::router::TcamTable;
use crate::stepper::Stepper;
use rust_hdl::prelude::*;

/// The exported table's top module.
pub const TCAM_TOP_MODULE: &str = "spinn_tcam_table";
/// The top module of [`tcam_fpga_wrapper`].
pub const TCAM_FPGA_TOP_MODULE: &str = "spinn_tcam_table_fpga";
/// Table sizes built (64 entries per bank).
pub const TCAM_SIZES: [usize; 2] = [128, 1024];

/// One cycle's inputs of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcamInputs {
    pub reset: bool,
    pub write_enable: bool,
    pub write_index: u16,
    pub write_key: u32,
    pub write_mask: u32,
    pub write_route: u32,
    pub lookup_valid: bool,
    pub lookup_key: u32,
}

/// One cycle's outputs, as the rising edge sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcamOutputs {
    pub write_ready: bool,
    pub lookup_ready: bool,
    pub result_valid: bool,
    pub hit: bool,
    pub index: u16,
    pub route: u32,
}

fn port(name: &str, width: usize, value: u128) -> PortValue {
    PortValue {
        name: name.to_string(),
        width,
        value,
    }
}

impl TcamInputs {
    /// The input ports (clock excepted) in vector order, named as in the Verilog.
    pub fn signals(&self) -> Vec<PortValue> {
        vec![
            port("reset", 1, self.reset as u128),
            port("write_enable", 1, self.write_enable as u128),
            port("write_index", 16, self.write_index.into()),
            port("write_key", 32, self.write_key.into()),
            port("write_mask", 32, self.write_mask.into()),
            port("write_route", 24, self.write_route.into()),
            port("lookup_valid", 1, self.lookup_valid as u128),
            port("lookup_key", 32, self.lookup_key.into()),
        ]
    }
}

impl TcamOutputs {
    /// The output ports in vector order, named as in the Verilog.
    pub fn signals(&self) -> Vec<PortValue> {
        vec![
            port("write_ready", 1, self.write_ready as u128),
            port("lookup_ready", 1, self.lookup_ready as u128),
            port("result_valid", 1, self.result_valid as u128),
            port("hit", 1, self.hit as u128),
            port("index", 16, self.index.into()),
            port("route", 24, self.route.into()),
        ]
    }
}

/// A hand-stepped table of any built size.
pub trait TcamDriver {
    /// Entries the table holds.
    fn entries(&self) -> usize;
    /// One clock cycle with these inputs.
    fn cycle(&mut self, inputs: &TcamInputs) -> TcamOutputs;
}

struct RtlTcam<const BANKS: usize, const INDEX_BITS: usize> {
    stepper: Stepper<TcamTable<BANKS, INDEX_BITS>>,
}

impl<const BANKS: usize, const INDEX_BITS: usize> TcamDriver for RtlTcam<BANKS, INDEX_BITS> {
    fn entries(&self) -> usize {
        TcamTable::<BANKS, INDEX_BITS>::ENTRIES
    }

    fn cycle(&mut self, inputs: &TcamInputs) -> TcamOutputs {
        let i = *inputs;
        self.stepper.cycle(
            |t| {
                t.reset.next = i.reset;
                t.write_enable.next = i.write_enable;
                t.write_index.next = u64::from(i.write_index).into();
                t.write_key.next = u64::from(i.write_key).into();
                t.write_mask.next = u64::from(i.write_mask).into();
                t.write_route.next = u64::from(i.write_route & 0xff_ffff).into();
                t.lookup_valid.next = i.lookup_valid;
                t.lookup_key.next = u64::from(i.lookup_key).into();
            },
            |t| TcamOutputs {
                write_ready: t.write_ready.val(),
                lookup_ready: t.lookup_ready.val(),
                result_valid: t.result_valid.val(),
                hit: t.hit.val(),
                index: t.index.val().index() as u16,
                route: t.route.val().index() as u32,
            },
            |t, high| t.clock.next = Clock { clk: high },
        )
    }
}

fn unsupported(entries: usize) -> ConfigError {
    ConfigError::Unsupported {
        what: "TCAM table entries",
        got: entries,
        supported: TCAM_SIZES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A hand-stepped table of `entries` entries (one of [`TCAM_SIZES`]).
pub fn simulate_tcam(entries: usize) -> Result<Box<dyn TcamDriver>, ConfigError> {
    Ok(match entries {
        128 => Box::new(RtlTcam::<2, 7> {
            stepper: Stepper::new(Box::default()),
        }),
        1024 => Box::new(RtlTcam::<16, 10> {
            stepper: Stepper::new(Box::default()),
        }),
        got => return Err(unsupported(got)),
    })
}

fn export<B: Block>(table: &mut B) -> String {
    table.connect_all();
    generate_verilog(table).replacen("module top(", &format!("module {TCAM_TOP_MODULE}("), 1)
}

/// The Verilog of a table of `entries` entries, top module [`TCAM_TOP_MODULE`].
pub fn tcam_verilog(entries: usize) -> Result<String, ConfigError> {
    Ok(match entries {
        128 => export(&mut *Box::<TcamTable<2, 7>>::default()),
        1024 => export(&mut *Box::<TcamTable<16, 10>>::default()),
        got => return Err(unsupported(got)),
    })
}

/// A top for place and route: every input and output of [`TCAM_TOP_MODULE`] passes through a
/// register at the pins, so that nextpnr's clock constraint covers the table's own paths
/// (pin to first register and last register to pin would otherwise be unconstrained or
/// dominate). The table's 185 port bits fit the CABGA381 package's pins.
pub fn tcam_fpga_wrapper() -> String {
    let inputs = TcamInputs::default().signals();
    let outputs = TcamOutputs::default().signals();
    let mut ports = vec!["input wire clock".to_string()];
    let mut body = String::new();
    let mut connect = vec![".clock(clock)".to_string()];
    let mut latch = String::new();
    for sig in &inputs {
        ports.push(format!("input wire [{}:0] pin_{}", sig.width - 1, sig.name));
        body.push_str(&format!("    reg [{}:0] {};\n", sig.width - 1, sig.name));
        latch.push_str(&format!("        {0} <= pin_{0};\n", sig.name));
        connect.push(format!(".{0}({0})", sig.name));
    }
    for sig in &outputs {
        ports.push(format!("output reg [{}:0] pin_{}", sig.width - 1, sig.name));
        body.push_str(&format!("    wire [{}:0] {};\n", sig.width - 1, sig.name));
        latch.push_str(&format!("        pin_{0} <= {0};\n", sig.name));
        connect.push(format!(".{0}({0})", sig.name));
    }
    format!(
        "module {TCAM_FPGA_TOP_MODULE}({});\n{body}    {TCAM_TOP_MODULE} table_core({});\n    always @(posedge clock) begin\n{latch}    end\nendmodule\n",
        ports.join(", "),
        connect.join(", ")
    )
}
