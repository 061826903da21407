//! Verilog export and the co-simulation testbench.
//!
//! [`crate::config::verilog`] exports a router; [`testbench`] wraps it in a self-checking-free
//! Icarus testbench that reads one input vector per cycle and writes one output vector per
//! cycle, in the order of `RouterInputs::signals` and `RouterOutputs::signals`, exactly as
//! [`crate::stepper::Stepper::cycle`] steps the rust-hdl model. Comparing the two output files
//! line by line is the co-simulation.

use crate::drive::{PortValue, RouterInputs, RouterOutputs};

/// The exported top module's name.
pub const TOP_MODULE: &str = "spinn_router";

/// The Verilator lint waivers for every design this crate exports (`hdl/rtl/lint/waivers.vlt`,
/// each waiver justified there): `verilator --lint-only -Wall waivers.vlt design.v` reports
/// no warning.
pub const LINT_WAIVERS: &str = include_str!("../lint/waivers.vlt");

/// Renames rust-hdl's `module top(` to [`TOP_MODULE`]; sub-modules keep their `top$…` names.
pub fn rename_top(verilog: &str) -> String {
    verilog.replacen("module top(", &format!("module {TOP_MODULE}("), 1)
}

/// One vector as a binary string, first signal most significant (Verilog `{a, b, …}` order).
pub fn vector_line(signals: &[PortValue]) -> String {
    let mut line = String::new();
    for sig in signals {
        for bit in (0..sig.width).rev() {
            line.push(if sig.value >> bit & 1 == 1 { '1' } else { '0' });
        }
    }
    line
}

pub fn input_line(inputs: &RouterInputs) -> String {
    vector_line(&inputs.signals())
}

pub fn output_line(outputs: &RouterOutputs) -> String {
    vector_line(&outputs.signals())
}

/// Splits a router output line back into named fields, for readable mismatch reports.
pub fn decode_output_line(line: &str) -> Vec<(String, String)> {
    decode_line(line, &RouterOutputs::default().signals())
}

/// Splits a vector line back into the named fields of `signals`.
pub fn decode_line(line: &str, signals: &[PortValue]) -> Vec<(String, String)> {
    let mut res = Vec::new();
    let mut pos = 0;
    for sig in signals.iter().cloned() {
        let bits = line.get(pos..pos + sig.width).unwrap_or("");
        pos += sig.width;
        let value = u128::from_str_radix(bits, 2)
            .map(|v| format!("0x{v:x}"))
            .unwrap_or_else(|_| bits.to_string());
        res.push((sig.name, value));
    }
    res
}

fn concat(signals: &[PortValue]) -> String {
    signals
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

fn width(signals: &[PortValue]) -> usize {
    signals.iter().map(|s| s.width).sum()
}

/// An Icarus Verilog testbench for [`TOP_MODULE`] that applies `n_cycles` input vectors from
/// `stimulus_path` (one binary line per cycle) and writes the sampled outputs to `trace_path`.
pub fn testbench(n_cycles: usize, stimulus_path: &str, trace_path: &str) -> String {
    let inputs = RouterInputs::default().signals();
    let outputs = RouterOutputs::default().signals();
    testbench_for(
        TOP_MODULE,
        &inputs,
        &outputs,
        n_cycles,
        stimulus_path,
        trace_path,
    )
}

/// The same testbench for any top module with a `clock` input and these other ports, in the
/// order their vectors are written.
pub fn testbench_for(
    top: &str,
    inputs: &[PortValue],
    outputs: &[PortValue],
    n_cycles: usize,
    stimulus_path: &str,
    trace_path: &str,
) -> String {
    let mut tb = String::new();
    tb.push_str(&format!("module {top}_tb;\n    reg clock = 0;\n"));
    for sig in inputs {
        tb.push_str(&format!("    reg [{}:0] {};\n", sig.width - 1, sig.name));
    }
    for sig in outputs {
        tb.push_str(&format!("    wire [{}:0] {};\n", sig.width - 1, sig.name));
    }
    let ports: Vec<String> = std::iter::once("clock".to_string())
        .chain(inputs.iter().chain(outputs).map(|s| s.name.clone()))
        .map(|n| format!(".{n}({n})"))
        .collect();
    tb.push_str(&format!("    {top} dut({});\n", ports.join(", ")));
    tb.push_str(&format!(
        "    reg [{}:0] stimulus [0:{}];\n    integer cycle, trace;\n",
        width(inputs) - 1,
        n_cycles.max(1) - 1
    ));
    tb.push_str(&format!(
        "    initial begin\n        $readmemb(\"{stimulus_path}\", stimulus);\n        trace = $fopen(\"{trace_path}\", \"w\");\n"
    ));
    tb.push_str(&format!(
        "        for (cycle = 0; cycle < {n_cycles}; cycle = cycle + 1) begin\n            {{{}}} = stimulus[cycle];\n            #1;\n            $fwrite(trace, \"%b\\n\", {{{}}});\n            clock = 1;\n            #1;\n            clock = 0;\n            #1;\n        end\n        $fclose(trace);\n        $finish;\n    end\nendmodule\n",
        concat(inputs),
        concat(outputs)
    ));
    tb
}

/// The top module of [`fpga_wrapper`].
pub const FPGA_TOP_MODULE: &str = "spinn_router_fpga";

/// A pin-limited top for place and route. The router has thousands of port bits, more than any
/// FPGA package has pins, so this wrapper keeps its logic intact with five pins: a serial input
/// shifts into a 72-bit staging register that drives every input port (each port sees a
/// different rotation of it, so the input multiplexers cannot be optimised away), and every
/// output bit is XOR-folded into a registered 8-bit signature (so no output logic is pruned).
pub fn fpga_wrapper() -> String {
    let inputs = RouterInputs::default().signals();
    let outputs = RouterOutputs::default().signals();
    let mut v = format!(
        "module {FPGA_TOP_MODULE}(input wire clock, input wire reset, input wire serial_in, output reg [7:0] signature);\n    reg [71:0] staging = 72'h0;\n    always @(posedge clock) staging <= {{staging[70:0], serial_in}};\n"
    );
    let mut rotation = 0;
    for sig in &inputs {
        rotation = (rotation + 7) % 72;
        let rotated = format!(
            "{{staging[{}:0], staging[71:{}]}}",
            71 - rotation,
            72 - rotation.max(1)
        );
        let source = if rotation == 0 {
            "staging".to_string()
        } else {
            rotated
        };
        if sig.name == "reset" {
            continue;
        }
        v.push_str(&format!(
            "    wire [{}:0] {} = {source};\n",
            sig.width - 1,
            sig.name
        ));
    }
    let mut fold: Vec<Vec<String>> = vec![Vec::new(); 8];
    let mut bit = 0;
    for sig in &outputs {
        v.push_str(&format!("    wire [{}:0] {};\n", sig.width - 1, sig.name));
        for b in 0..sig.width {
            fold[bit % 8].push(format!("{}[{b}]", sig.name));
            bit += 1;
        }
    }
    let ports: Vec<String> = std::iter::once("clock".to_string())
        .chain(inputs.iter().chain(&outputs).map(|s| s.name.clone()))
        .map(|n| format!(".{n}({n})"))
        .collect();
    v.push_str(&format!(
        "    {TOP_MODULE} router({});\n    always @(posedge clock) begin\n",
        ports.join(", ")
    ));
    for (i, bits) in fold.iter().enumerate() {
        v.push_str(&format!(
            "        signature[{i}] <= {};\n",
            bits.join(" ^ ")
        ));
    }
    v.push_str("    end\nendmodule\n");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_msb_first_in_signal_order() {
        let signals = vec![
            PortValue {
                name: "a".into(),
                width: 2,
                value: 0b10,
            },
            PortValue {
                name: "b".into(),
                width: 3,
                value: 0b011,
            },
        ];
        assert_eq!(vector_line(&signals), "10011");
        let line = output_line(&RouterOutputs {
            reinject_ready: true,
            ..RouterOutputs::default()
        });
        let fields = decode_output_line(&line);
        assert!(fields.contains(&("reinject_ready".to_string(), "0x1".to_string())));
        assert!(fields.contains(&("count$11".to_string(), "0x0".to_string())));
    }
}
