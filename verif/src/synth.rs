//! Yosys synthesis and nextpnr place-and-route reports for an exported router.

use crate::tools::{NEXTPNR_ICE40, YOSYS};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use thiserror::Error;

/// The FPGA family to synthesise for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Lattice iCE40 (`synth_ice40`): small tables.
    Ice40,
    /// Lattice ECP5 (`synth_ecp5`): large tables.
    Ecp5,
}

impl Family {
    fn script(self) -> &'static str {
        match self {
            Family::Ice40 => "synth_ice40",
            Family::Ecp5 => "synth_ecp5",
        }
    }
}

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("running {tool}: {source}")]
    Io {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("{tool} failed: {tail}")]
    Failed { tool: &'static str, tail: String },
    #[error("{tool} printed no {what}")]
    NoReport {
        tool: &'static str,
        what: &'static str,
    },
}

/// Cell counts of a synthesised design.
#[derive(Debug, Clone)]
pub struct SynthReport {
    pub family: Family,
    pub cells: BTreeMap<String, u64>,
    pub seconds: f64,
}

impl SynthReport {
    fn sum(&self, pred: impl Fn(&str) -> bool) -> u64 {
        self.cells
            .iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, v)| v)
            .sum()
    }

    /// 4-input look-up tables (SB_LUT4 or LUT4).
    pub fn luts(&self) -> u64 {
        self.sum(|k| k == "SB_LUT4" || k == "LUT4")
    }

    /// Flip-flops of every flavour.
    pub fn flip_flops(&self) -> u64 {
        self.sum(|k| k.starts_with("SB_DFF") || k == "TRELLIS_FF")
    }

    /// Block RAMs (SB_RAM40_4K or DP16KD).
    pub fn block_rams(&self) -> u64 {
        self.sum(|k| k.starts_with("SB_RAM40") || k == "DP16KD")
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Synthesises `verilog` (top `top`) for `family`; with `json`, also writes the netlist there
/// for place and route.
pub fn synthesize(
    verilog: &Path,
    top: &str,
    family: Family,
    json: Option<&Path>,
) -> Result<SynthReport, SynthError> {
    let write_json = json
        .map(|p| format!(" -json {}", p.display()))
        .unwrap_or_default();
    let script = format!(
        "read_verilog {}; {} -top {top}{write_json}; stat",
        verilog.display(),
        family.script()
    );
    let started = std::time::Instant::now();
    let out = Command::new(YOSYS.command)
        .arg("-p")
        .arg(&script)
        .output()
        .map_err(|source| SynthError::Io {
            tool: "yosys",
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(SynthError::Failed {
            tool: "yosys",
            tail: tail(&(text + &String::from_utf8_lossy(&out.stderr))),
        });
    }
    // The last `stat` block is the top level: "     SB_LUT4   1234" lines after "Number of cells".
    let stat = text
        .rsplit_once("Number of cells:")
        .ok_or(SynthError::NoReport {
            tool: "yosys",
            what: "cell statistics",
        })?
        .1;
    let mut cells = BTreeMap::new();
    for line in stat.lines().skip(1) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(name), Some(count), None)
                if name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase() || c == '$') =>
            {
                if let Ok(n) = count.parse() {
                    cells.insert(name.to_string(), n);
                }
            }
            (None, ..) if !cells.is_empty() => break,
            _ => {}
        }
    }
    if cells.is_empty() {
        return Err(SynthError::NoReport {
            tool: "yosys",
            what: "cell counts",
        });
    }
    Ok(SynthReport {
        family,
        cells,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// nextpnr-ice40 results on an HX8K (ct256 package).
#[derive(Debug, Clone)]
pub struct PnrReport {
    pub fmax_mhz: f64,
    /// The start and end cells of the clock's critical path, and its logic levels.
    pub critical_path: Option<CriticalPath>,
    pub logic_cells_used: u64,
    pub logic_cells_total: u64,
}

/// Where nextpnr's critical path starts and ends.
#[derive(Debug, Clone)]
pub struct CriticalPath {
    pub source: String,
    pub sink: String,
    pub cells: usize,
}

fn critical_path(text: &str) -> Option<CriticalPath> {
    let start = text.find("Critical path report for clock")?;
    let report = &text[start..];
    let end = report.find("\n\n").unwrap_or(report.len());
    let cell_of = |line: &str| line.split_whitespace().last().map(str::to_string);
    let mut source = None;
    let mut sink = None;
    let mut cells = 0;
    for line in report[..end].lines() {
        if line.contains(" Source ") {
            cells += 1;
            if source.is_none() {
                source = cell_of(line);
            }
        }
        if line.contains(" Sink ") {
            sink = cell_of(line);
        }
    }
    Some(CriticalPath {
        source: source?,
        sink: sink?,
        cells,
    })
}

/// Places and routes a `synth_ice40` netlist on an iCE40 HX8K and reads the clock's Fmax.
pub fn place_and_route_ice40(json: &Path) -> Result<PnrReport, SynthError> {
    let out = Command::new(NEXTPNR_ICE40.command)
        .args(["--hx8k", "--package", "ct256", "--json"])
        .arg(json)
        .args(["--freq", "12", "--seed", "1"])
        .output()
        .map_err(|source| SynthError::Io {
            tool: "nextpnr-ice40",
            source,
        })?;
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(SynthError::Failed {
            tool: "nextpnr-ice40",
            tail: tail(&text),
        });
    }
    let fmax_mhz = text
        .lines()
        .filter_map(|l| l.split_once("Max frequency for clock"))
        .filter_map(|(_, rest)| {
            rest.split_once("': ")?
                .1
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .next_back()
        .ok_or(SynthError::NoReport {
            tool: "nextpnr-ice40",
            what: "maximum frequency",
        })?;
    let (used, total) = text
        .lines()
        .filter_map(|l| l.split_once("ICESTORM_LC:"))
        .filter_map(|(_, rest)| {
            let (used, total) = rest.split_once('/')?;
            Some((
                used.trim().parse().ok()?,
                total.split_whitespace().next()?.parse().ok()?,
            ))
        })
        .next_back()
        .ok_or(SynthError::NoReport {
            tool: "nextpnr-ice40",
            what: "logic-cell utilisation",
        })?;
    Ok(PnrReport {
        fmax_mhz,
        critical_path: critical_path(&text),
        logic_cells_used: used,
        logic_cells_total: total,
    })
}
