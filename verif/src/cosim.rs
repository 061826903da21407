//! Co-simulation: the same stimulus through the rust-hdl router (stepped by hand) and through
//! its exported Verilog in Icarus Verilog; the sampled outputs must be identical every cycle.

use crate::tools::{IVERILOG, VVP};
use spinn_arch::N_COUNTERS;
use spinn_rtl::config::{self, RouterConfig};
use spinn_rtl::verilog::{decode_line, input_line, output_line, testbench_for};
use spinn_rtl::{RouterInputs, RouterOutputs};
use std::path::Path;
use std::process::Command;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CosimError {
    #[error("{0}")]
    Config(#[from] spinn_rtl::ConfigError),
    #[error("writing the co-simulation files: {0}")]
    Io(#[from] std::io::Error),
    #[error("`{tool}` failed ({status}): {stderr}")]
    Tool {
        tool: String,
        status: String,
        stderr: String,
    },
    #[error("the Verilog trace has {verilog} cycles, the rust-hdl trace {rust}")]
    Length { verilog: usize, rust: usize },
    #[error("cycle {cycle}: Verilog differs from rust-hdl in {}", .fields.iter().map(|(n, v, r)| format!("{n} (verilog {v}, rust-hdl {r})")).collect::<Vec<_>>().join(", "))]
    Mismatch {
        cycle: usize,
        fields: Vec<(String, String, String)>,
    },
}

/// What a successful co-simulation ran.
#[derive(Debug, Clone)]
pub struct CosimReport {
    pub cycles: usize,
    /// Counter increments over the whole run (resets included), in `spinn_arch::Counter`
    /// order: what the stimulus exercised.
    pub events: [u64; N_COUNTERS],
    pub verilog_seconds: f64,
    pub rust_seconds: f64,
}

fn run(tool: &str, args: &[&str], dir: &Path) -> Result<(), CosimError> {
    let out = Command::new(tool).args(args).current_dir(dir).output()?;
    if !out.status.success() {
        return Err(CosimError::Tool {
            tool: tool.to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string()
                + &String::from_utf8_lossy(&out.stdout),
        });
    }
    Ok(())
}

/// Runs `stimulus` through both simulators in `dir` and compares them cycle by cycle.
pub fn cosimulate(
    config: &RouterConfig,
    stimulus: &[RouterInputs],
    dir: &Path,
) -> Result<CosimReport, CosimError> {
    let started = std::time::Instant::now();
    let mut rtl = config::simulate(config)?;
    let mut events = [0u64; N_COUNTERS];
    let mut previous = RouterOutputs::default().count;
    let mut rust_lines = Vec::with_capacity(stimulus.len());
    for inputs in stimulus {
        let outputs = rtl.cycle(inputs);
        for (k, (now, before)) in outputs.count.iter().zip(previous).enumerate() {
            // A counter only goes down when reset clears it.
            events[k] += u64::from(if *now >= before { now - before } else { *now });
        }
        previous = outputs.count;
        rust_lines.push(output_line(&outputs));
    }
    let rust_seconds = started.elapsed().as_secs_f64();
    let device = Device {
        verilog: config::verilog(config)?,
        top: spinn_rtl::verilog::TOP_MODULE,
        inputs: RouterInputs::default().signals(),
        outputs: RouterOutputs::default().signals(),
    };
    let input_lines: Vec<String> = stimulus.iter().map(input_line).collect();
    let verilog_seconds = run_verilog(&device, &input_lines, &rust_lines, dir)?;
    Ok(CosimReport {
        cycles: stimulus.len(),
        events,
        verilog_seconds,
        rust_seconds,
    })
}

/// An exported design and the ports its vectors list.
pub struct Device {
    pub verilog: String,
    pub top: &'static str,
    pub inputs: Vec<spinn_rtl::drive::PortValue>,
    pub outputs: Vec<spinn_rtl::drive::PortValue>,
}

/// Simulates `device` in Icarus on `input_lines` and compares its outputs with `expected`, line
/// by line; returns Icarus's time (compile included).
pub fn run_verilog(
    device: &Device,
    input_lines: &[String],
    expected: &[String],
    dir: &Path,
) -> Result<f64, CosimError> {
    std::fs::write(dir.join("design.v"), &device.verilog)?;
    let tb = testbench_for(
        device.top,
        &device.inputs,
        &device.outputs,
        input_lines.len(),
        "stimulus.txt",
        "trace.txt",
    );
    std::fs::write(dir.join("tb.v"), tb)?;
    std::fs::write(dir.join("stimulus.txt"), input_lines.join("\n") + "\n")?;
    let started = std::time::Instant::now();
    run(
        IVERILOG.command,
        &["-g2005", "-o", "sim", "tb.v", "design.v"],
        dir,
    )?;
    run(VVP.command, &["-n", "sim"], dir)?;
    let verilog_seconds = started.elapsed().as_secs_f64();
    let trace = std::fs::read_to_string(dir.join("trace.txt"))?;
    let verilog_lines: Vec<&str> = trace.lines().collect();
    if verilog_lines.len() != expected.len() {
        return Err(CosimError::Length {
            verilog: verilog_lines.len(),
            rust: expected.len(),
        });
    }
    for (cycle, (v, r)) in verilog_lines.iter().zip(expected).enumerate() {
        if *v != r {
            let fields = decode_line(v, &device.outputs)
                .into_iter()
                .zip(decode_line(r, &device.outputs))
                .filter(|(a, b)| a.1 != b.1)
                .map(|(a, b)| (a.0, a.1, b.1))
                .collect();
            return Err(CosimError::Mismatch { cycle, fields });
        }
    }
    Ok(verilog_seconds)
}
