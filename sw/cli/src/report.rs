//! What `--out DIR` writes: `report.json` and PNG plots (training curves, the routers' load on
//! the machine's layout, link utilisation), and the JSON shapes the reports share.

use anyhow::Context;
use serde_json::{json, Value};
use spinn_dl::machine::Retries;
use spinn_dl::train::EpochSummary;
use spinn_model::{ChipLoad, LinkLoad};
use spinn_plot::{ChipLayout, LinkLoad as PlotLink, Panel, Series};
use spinn_runtime::MachineReport;
use std::path::{Path, PathBuf};

/// Plot sizes in pixels.
const CURVE_SIZE: (u32, u32) = (800, 500);
const HEATMAP_SIZE: (u32, u32) = (1200, 480);
const LINK_MAP_SIZE: (u32, u32) = (800, 700);

/// A directory for a command's outputs, created and checked writable before any work starts.
pub struct OutDir {
    dir: PathBuf,
}

impl OutDir {
    pub fn prepare(dir: &Path) -> anyhow::Result<OutDir> {
        if dir.exists() && !dir.is_dir() {
            anyhow::bail!("--out {} is not a directory", dir.display());
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
        crate::commands::check_writable(&dir.join("report.json"))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` to `name` in the directory; returns the path written.
    pub fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    pub fn write_json(&self, name: &str, value: &Value) -> anyhow::Result<PathBuf> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.write(name, text.as_bytes())
    }
}

/// How a machine's chips are drawn, from the machine as `--machine` names it: boards
/// (`spinn3`, `spinn5`, `boards:N`, `boards-nowrap:N`) on their hexagonal lattice, plain tori
/// (`WxH`) as a grid.
pub fn layout_of(machine_text: &str) -> ChipLayout {
    if machine_text.starts_with("spinn") || machine_text.starts_with("boards") {
        ChipLayout::Hexagonal
    } else {
        ChipLayout::Grid
    }
}

fn coords(chips: impl Iterator<Item = spinn_arch::ChipCoord>) -> Vec<(u32, u32)> {
    chips.map(|c| (c.x as u32, c.y as u32)).collect()
}

/// Per chip: packets routed, dumped and dropped, as three panels on the machine's layout.
pub fn router_load_png(machine: &str, loads: &[ChipLoad], layout: ChipLayout) -> Vec<u8> {
    let chips = coords(loads.iter().map(|l| l.chip));
    let panel = |title: &str, value: fn(&ChipLoad) -> u64| Panel {
        title: title.to_string(),
        values: loads.iter().map(|l| value(l) as f64).collect(),
    };
    let panels = [
        panel("packets routed", |l| l.routed),
        panel("packets dumped", |l| l.dumped),
        panel("packets dropped", |l| l.dropped),
    ];
    spinn_plot::chip_heatmap(
        &format!("router load per chip: {machine}"),
        &chips,
        layout,
        &panels,
        HEATMAP_SIZE.0,
        HEATMAP_SIZE.1,
    )
}

/// Every link's utilisation (busy cycles over `cycles`) on the machine's layout.
pub fn links_png(machine: &str, loads: &[LinkLoad], cycles: u64, layout: ChipLayout) -> Vec<u8> {
    let mut chips: Vec<(u32, u32)> = coords(loads.iter().flat_map(|l| [l.from, l.to]));
    chips.sort_unstable();
    chips.dedup();
    let links: Vec<PlotLink> = loads
        .iter()
        .map(|l| PlotLink {
            from: (l.from.x as u32, l.from.y as u32),
            to: (l.to.x as u32, l.to.y as u32),
            utilisation: utilisation(l, cycles),
        })
        .collect();
    spinn_plot::link_map(
        &format!("link utilisation: {machine}"),
        &chips,
        layout,
        &links,
        LINK_MAP_SIZE.0,
        LINK_MAP_SIZE.1,
    )
}

fn utilisation(load: &LinkLoad, cycles: u64) -> f64 {
    load.busy_cycles as f64 / cycles.max(1) as f64
}

/// The training curves, one point per epoch.
pub struct Curves {
    pub loss: Vec<u8>,
    pub accuracy: Vec<u8>,
}

pub fn epoch_curves(epochs: &[EpochSummary]) -> Curves {
    let series = |name: &str, value: &dyn Fn(&EpochSummary) -> Option<f64>| Series {
        name: name.to_string(),
        points: epochs
            .iter()
            .filter_map(|e| Some((e.epoch as f64, value(e)?)))
            .collect(),
    };
    let loss = [
        series("training", &|e| Some(e.loss)),
        series("test", &|e| e.test.as_ref().map(|t| t.loss)),
    ];
    let accuracy = [
        series("training", &|e| Some(100.0 * e.train_accuracy)),
        series("test", &|e| e.test.as_ref().map(|t| 100.0 * t.accuracy)),
    ];
    Curves {
        loss: spinn_plot::line_chart(
            "loss per epoch",
            "epoch",
            "loss",
            &loss,
            CURVE_SIZE.0,
            CURVE_SIZE.1,
        ),
        accuracy: spinn_plot::line_chart(
            "accuracy per epoch",
            "epoch",
            "accuracy (%)",
            &accuracy,
            CURVE_SIZE.0,
            CURVE_SIZE.1,
        ),
    }
}

/// The batches run again after lost packets, with their machine time.
pub fn retries_json(retries: &Retries, r: &MachineReport) -> Value {
    json!({
        "batches": retries.batches,
        "router_cycles": retries.cycles,
        "machine_seconds": retry_seconds(retries, r),
        "packets_lost": retries.packets_lost,
    })
}

/// The retried attempts' machine time in seconds, at the run's own cycle rate.
pub fn retry_seconds(retries: &Retries, r: &MachineReport) -> f64 {
    retries.cycles as f64 * r.seconds / r.cycles.max(1) as f64
}

/// An error if the machine lost packets that no batch retry recovered (a lost packet stalls
/// its batch, which is then run again, so a finished run has none unless one slipped through).
pub fn check_recovered(r: &MachineReport, retries: &Retries) -> anyhow::Result<()> {
    let lost = r.packets_lost();
    if lost > retries.packets_lost {
        anyhow::bail!(
            "{lost} packets were lost ({} dropped, {} discarded for bad parity; {} of them \
             recovered by running their batch again)",
            r.dropped,
            r.parity_errors,
            retries.packets_lost
        );
    }
    Ok(())
}

pub fn packets_json(r: &MachineReport) -> Value {
    json!({
        "sent": r.packets_sent,
        "delivered": r.delivered,
        "router_traversals": r.router_traversals,
        "link_hops": r.link_hops,
        "emergency_routed": r.emergency_routed,
        "dumped": r.dumped,
        "reinjected": r.reinjected,
        "dropped": r.dropped,
        "dump_overflows": r.dump_overflows,
        "transient_drops": r.transient_drops,
        "link_errors": r.link_errors,
        "parity_errors": r.parity_errors,
        "send_failures": r.send_failures,
        "queue_overflows": r.queue_overflows,
    })
}

pub fn chip_loads_json(loads: &[ChipLoad]) -> Value {
    loads
        .iter()
        .map(|l| {
            json!({
                "x": l.chip.x, "y": l.chip.y,
                "routed": l.routed, "dumped": l.dumped, "dropped": l.dropped,
            })
        })
        .collect()
}

pub fn link_loads_json(loads: &[LinkLoad], cycles: u64) -> Value {
    loads
        .iter()
        .map(|l| {
            json!({
                "from": [l.from.x, l.from.y],
                "to": [l.to.x, l.to.y],
                "direction": format!("{:?}", l.dir),
                "busy_cycles": l.busy_cycles,
                "utilisation": utilisation(l, cycles),
            })
        })
        .collect()
}
