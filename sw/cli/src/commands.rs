//! The commands' bodies: file IO and reports around the library calls.

use anyhow::Context;
use spinn_rtl::config;
use spinn_rtl::RouterConfig;
use spinn_verif::scenario::contention_scenario;
use spinn_verif::synth::{place_and_route_ice40, synthesize, Family};
use spinn_verif::tools::{self, NEXTPNR_ICE40, YOSYS};
use std::io::{BufWriter, Write};
use std::path::Path;

fn create_parent(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
    }
    Ok(())
}

pub fn export_verilog(
    config: &RouterConfig,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let verilog = config::verilog(config)?;
    create_parent(path)?;
    std::fs::write(path, &verilog).with_context(|| format!("writing {}", path.display()))?;
    writeln!(
        out,
        "wrote {} ({}; {} lines, top module {})",
        path.display(),
        super::describe(config),
        verilog.lines().count(),
        spinn_rtl::verilog::TOP_MODULE
    )?;
    Ok(())
}

pub fn waveform(
    config: &RouterConfig,
    cycles: u64,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    create_parent(path)?;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut rtl = config::simulate(config)?;
    rtl.trace_to(Box::new(BufWriter::new(file)));
    let log = contention_scenario(&mut *rtl, cycles);
    rtl.finish_trace();
    writeln!(out, "router: {}", super::describe(config))?;
    for event in &log.events {
        writeln!(out, "cycle {:>4}: {}", event.cycle, event.what)?;
    }
    let counters: Vec<String> = spinn_arch::Counter::ALL
        .iter()
        .map(|c| format!("{}={}", c.name(), log.counters[c.index()]))
        .collect();
    writeln!(out, "counters: {}", counters.join(" "))?;
    writeln!(
        out,
        "wrote {} ({} cycles; open it with `gtkwave {}` or `surfer {}`)",
        path.display(),
        rtl.cycles(),
        path.display(),
        path.display()
    )?;
    Ok(())
}

pub fn synth(
    config: &RouterConfig,
    family: Family,
    pnr: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if tools::find(YOSYS).is_none() {
        anyhow::bail!("`yosys` is not installed; install the Debian package `yosys`");
    }
    if pnr && tools::find(NEXTPNR_ICE40).is_none() {
        anyhow::bail!(
            "`nextpnr-ice40` is not installed; install the Debian package `nextpnr-ice40`"
        );
    }
    let dir = tools::scratch_dir("synth").context("creating a scratch directory")?;
    let verilog = dir.join("router.v");
    std::fs::write(&verilog, config::verilog(config)?).context("writing the Verilog")?;
    let report = synthesize(&verilog, spinn_rtl::verilog::TOP_MODULE, family, None)?;
    writeln!(out, "router: {}", super::describe(config))?;
    writeln!(
        out,
        "yosys ({}), {:?}: {:.1} s",
        tools::version(YOSYS),
        family,
        report.seconds
    )?;
    writeln!(
        out,
        "  LUT4 {}  flip-flops {}  block RAM {}",
        report.luts(),
        report.flip_flops(),
        report.block_rams()
    )?;
    for (cell, n) in &report.cells {
        writeln!(out, "  {cell:<16} {n}")?;
    }
    if pnr {
        // The router's ports outnumber any package's pins: place it inside the pin-limited
        // wrapper, which adds a 72-bit staging register and an 8-bit output signature.
        let wrapped = dir.join("router_fpga.v");
        let text = config::verilog(config)? + &spinn_rtl::verilog::fpga_wrapper();
        std::fs::write(&wrapped, text).context("writing the FPGA wrapper")?;
        let json = dir.join("router_fpga.json");
        let wrapped_report = synthesize(
            &wrapped,
            spinn_rtl::verilog::FPGA_TOP_MODULE,
            Family::Ice40,
            Some(&json),
        )?;
        let pnr = place_and_route_ice40(&json)?;
        writeln!(
            out,
            "nextpnr-ice40 HX8K ct256, in the 5-pin wrapper ({} LUT4, {} flip-flops): {}/{} logic cells, Fmax {:.1} MHz",
            wrapped_report.luts(),
            wrapped_report.flip_flops(),
            pnr.logic_cells_used,
            pnr.logic_cells_total,
            pnr.fmax_mhz
        )?;
        if let Some(path) = &pnr.critical_path {
            writeln!(
                out,
                "  critical path: {} → {} ({} cells)",
                path.source, path.sink, path.cells
            )?;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
