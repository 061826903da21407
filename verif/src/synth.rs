//! Yosys synthesis and nextpnr place-and-route reports for an exported router.

use crate::tools::{Tool, NEXTPNR_ECP5, NEXTPNR_ICE40, YOSYS};
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

    /// The nextpnr build that places this family.
    pub fn nextpnr(self) -> Tool {
        match self {
            Family::Ice40 => NEXTPNR_ICE40,
            Family::Ecp5 => NEXTPNR_ECP5,
        }
    }

    /// The device [`place_and_route`] targets, as a report names it.
    pub fn device(self) -> &'static str {
        match self {
            Family::Ice40 => "HX8K ct256",
            Family::Ecp5 => "ECP5-85 (LFE5U-85F-6, CABGA381)",
        }
    }

    /// nextpnr's device, package and clock-target arguments. The iCE40 target of 12 MHz is the
    /// HX8K boards' oscillator; the ECP5 target is the design brief's 133 MHz, and
    /// `--timing-allow-fail` keeps nextpnr from treating a miss as an error, since the point of
    /// the run is to measure by how much the router misses.
    fn device_args(self) -> &'static [&'static str] {
        match self {
            Family::Ice40 => &["--hx8k", "--package", "ct256", "--freq", "12"],
            Family::Ecp5 => &[
                "--85k",
                "--speed",
                "6",
                "--package",
                "CABGA381",
                "--freq",
                "133",
                "--timing-allow-fail",
            ],
        }
    }

    /// The nextpnr bel types counted as logic cells and as block RAM in its utilisation table.
    /// An ECP5 slice holds two LUT4s and two flip-flops as separate bels, so its logic cells
    /// are the LUT bels (`TRELLIS_COMB`); an iCE40 logic cell is one LUT4 and flip-flop.
    fn bels(self) -> (&'static str, &'static str) {
        match self {
            Family::Ice40 => ("ICESTORM_LC", "ICESTORM_RAM"),
            Family::Ecp5 => ("TRELLIS_COMB", "DP16KD"),
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

/// nextpnr results on [`Family::device`].
#[derive(Debug, Clone)]
pub struct PnrReport {
    pub family: Family,
    pub fmax_mhz: f64,
    /// The start and end cells of the clock's critical path, and its logic levels.
    pub critical_path: Option<CriticalPath>,
    pub logic_cells_used: u64,
    pub logic_cells_total: u64,
    pub block_rams_used: u64,
    pub block_rams_total: u64,
    /// Every bel type of nextpnr's utilisation table: (used, available).
    pub utilisation: BTreeMap<String, (u64, u64)>,
    pub seconds: f64,
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

/// nextpnr's "Device utilisation" table: `  NAME:  used/  total  pct%` lines. nextpnr prints
/// it after packing and again after placement; the later figures overwrite the earlier.
fn utilisation(text: &str) -> BTreeMap<String, (u64, u64)> {
    let mut table = BTreeMap::new();
    for line in text.lines() {
        let Some((name, rest)) = line.trim_start_matches("Info:").trim().split_once(':') else {
            continue;
        };
        let Some((used, total)) = rest.split_once('/') else {
            continue;
        };
        let total = total.split_whitespace().next().unwrap_or_default();
        if let (Ok(used), Ok(total), false) = (
            used.trim().parse::<u64>(),
            total.parse::<u64>(),
            name.contains(char::is_whitespace),
        ) {
            table.insert(name.to_string(), (used, total));
        }
    }
    table
}

/// Places and routes a netlist that [`synthesize`] wrote for `family` on [`Family::device`]
/// with nextpnr seed `seed`, and reads the clock's Fmax and the utilisation.
pub fn place_and_route(json: &Path, family: Family, seed: u64) -> Result<PnrReport, SynthError> {
    let tool = family.nextpnr().command;
    // The netlist goes by a name relative to nextpnr's working directory: the WebAssembly
    // build (YoWASP) sees the host's files through mounts and mounts a private directory over
    // the host's temp dir, where scratch netlists live, so an absolute path there is not found.
    let (dir, name) = match (json.parent(), json.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => (dir, name),
        _ => (Path::new("."), json.as_os_str()),
    };
    let started = std::time::Instant::now();
    let out = Command::new(tool)
        .current_dir(dir)
        .args(family.device_args())
        .arg("--json")
        .arg(name)
        .args(["--seed", &seed.to_string()])
        .output()
        .map_err(|source| SynthError::Io { tool, source })?;
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(SynthError::Failed {
            tool,
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
            tool,
            what: "maximum frequency",
        })?;
    let utilisation = utilisation(&text);
    let (lc_bel, ram_bel) = family.bels();
    let (logic_cells_used, logic_cells_total) =
        *utilisation.get(lc_bel).ok_or(SynthError::NoReport {
            tool,
            what: "logic-cell utilisation",
        })?;
    let (block_rams_used, block_rams_total) = utilisation.get(ram_bel).copied().unwrap_or((0, 0));
    Ok(PnrReport {
        family,
        fmax_mhz,
        critical_path: critical_path(&text),
        logic_cells_used,
        logic_cells_total,
        block_rams_used,
        block_rams_total,
        utilisation,
        seconds: started.elapsed().as_secs_f64(),
    })
}
