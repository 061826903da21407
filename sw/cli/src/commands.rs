//! The commands' bodies: file IO and reports around the library calls.

use anyhow::Context;
use spinn_rtl::config;
use spinn_rtl::RouterConfig;
use spinn_verif::scenario::contention_scenario;
use spinn_verif::synth::{place_and_route, synthesize, Family};
use spinn_verif::tools::{self, YOSYS};
use std::io::{BufWriter, Write};
use std::path::Path;

fn create_parent(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
    }
    Ok(())
}

/// Checks before any work starts that `path` can be written (creating its directory), so a
/// long run is not lost at the end; a file created for the check is removed again.
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("{} is not writable", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
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
        config,
        verilog.lines().count(),
        spinn_rtl::verilog::TOP_MODULE
    )?;
    Ok(())
}

/// The most traffic cycles `spinn waveform` simulates: its VCD grows by a few hundred bytes a
/// cycle.
pub const MAX_WAVEFORM_CYCLES: u64 = 100_000;

/// The largest VCD a command writes.
pub const MAX_VCD_BYTES: u64 = 256 << 20;

/// Where the failure of a [`GuardedSink`] is kept for the command to report.
type SinkFailure = std::rc::Rc<std::cell::RefCell<Option<String>>>;

/// A VCD file that never fails the simulator writing into it (rust-hdl's VCD writer panics on
/// a write error): the first error, or going past `limit` bytes, is kept and every later write
/// is dropped; the command reports it after the run.
struct GuardedSink {
    file: BufWriter<std::fs::File>,
    written: u64,
    limit: u64,
    failure: SinkFailure,
}

impl GuardedSink {
    /// `file`, writing at most [`MAX_VCD_BYTES`]; a failure is kept in `failure`.
    fn new(file: std::fs::File, failure: &SinkFailure) -> GuardedSink {
        GuardedSink {
            file: BufWriter::new(file),
            written: 0,
            limit: MAX_VCD_BYTES,
            failure: failure.clone(),
        }
    }

    fn fail(&mut self, why: String) {
        self.failure.borrow_mut().get_or_insert(why);
    }
}

impl Write for GuardedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failure.borrow().is_some() {
            return Ok(buf.len());
        }
        if self.written + buf.len() as u64 > self.limit {
            self.fail(format!(
                "the VCD would pass the {} MiB limit",
                self.limit >> 20
            ));
            return Ok(buf.len());
        }
        match self.file.write_all(buf) {
            Ok(()) => self.written += buf.len() as u64,
            Err(err) => self.fail(err.to_string()),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failure.borrow().is_none() {
            if let Err(err) = self.file.flush() {
                self.fail(err.to_string());
            }
        }
        Ok(())
    }
}

impl Drop for GuardedSink {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

pub fn waveform(
    config: &RouterConfig,
    cycles: u64,
    path: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if cycles > MAX_WAVEFORM_CYCLES {
        anyhow::bail!(
            "--cycles {cycles} is more than the {MAX_WAVEFORM_CYCLES} a waveform simulates \
             (its VCD grows with every cycle)"
        );
    }
    create_parent(path)?;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut rtl = config::simulate(config)?;
    let failure = SinkFailure::default();
    rtl.trace_to(Box::new(GuardedSink::new(file, &failure)));
    let log = contention_scenario(&mut *rtl, cycles);
    rtl.finish_trace();
    if let Some(why) = failure.borrow_mut().take() {
        anyhow::bail!("writing the waveform to {}: {why}", path.display());
    }
    writeln!(out, "router: {}", config)?;
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
    seed: u64,
    progress: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let status = |what: &str| {
        if progress {
            eprintln!("{what}");
        }
    };
    if tools::find(YOSYS).is_none() {
        anyhow::bail!("`yosys` is not installed; install the Debian package `yosys`");
    }
    let nextpnr = family.nextpnr();
    if pnr && tools::find(nextpnr).is_none() {
        anyhow::bail!(
            "`{}` is not installed; {}",
            nextpnr.command,
            nextpnr.install_hint()
        );
    }
    let dir = tools::scratch_dir("synth").context("creating a scratch directory")?;
    let verilog = dir.join("router.v");
    std::fs::write(&verilog, config::verilog(config)?).context("writing the Verilog")?;
    status(&format!("synthesising {config} with yosys ({family:?})..."));
    let report = synthesize(&verilog, spinn_rtl::verilog::TOP_MODULE, family, None)?;
    writeln!(out, "router: {}", config)?;
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
            family,
            Some(&json),
        )?;
        status(&format!(
            "placing and routing on {} with {} (a minute or more)...",
            family.device(),
            nextpnr.command
        ));
        let pnr = place_and_route(&json, family, seed)?;
        writeln!(
            out,
            "{} {}, in the 5-pin wrapper ({} LUT4, {} flip-flops, {} block RAM), seed {seed}: {}/{} logic cells, {}/{} block RAM, Fmax {:.1} MHz ({:.0} s)",
            nextpnr.command,
            family.device(),
            wrapped_report.luts(),
            wrapped_report.flip_flops(),
            wrapped_report.block_rams(),
            pnr.logic_cells_used,
            pnr.logic_cells_total,
            pnr.block_rams_used,
            pnr.block_rams_total,
            pnr.fmax_mhz,
            pnr.seconds
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

/// Parses `spinn3`, `spinn5`, `WxH`, `boards:N` or `boards-nowrap:N`.
pub fn parse_machine(text: &str) -> anyhow::Result<(spinn_arch::Machine, String)> {
    use spinn_arch::{Machine, Wrap};
    let machine = match text {
        "spinn3" => return Ok((Machine::spinn3(), "SpiNN-3 board".to_string())),
        "spinn5" => return Ok((Machine::spinn5(), "SpiNN-5 board".to_string())),
        _ => text,
    };
    if let Some(boards) = machine.strip_prefix("boards-nowrap:") {
        let n: usize = boards
            .parse()
            .with_context(|| format!("`{boards}` in --machine {text} is not a number of boards"))?;
        let m =
            Machine::multi_board_without_wrap(n).with_context(|| format!("--machine {text}"))?;
        let name = format!(
            "{n} boards without wrap-around, {}x{} box",
            m.width(),
            m.height()
        );
        return Ok((m, name));
    }
    if let Some(boards) = machine.strip_prefix("boards:") {
        let n: usize = boards
            .parse()
            .with_context(|| format!("`{boards}` in --machine {text} is not a number of boards"))?;
        let m = Machine::multi_board(n).with_context(|| format!("--machine {text}"))?;
        let name = format!("{n} boards, {}x{} torus", m.width(), m.height());
        return Ok((m, name));
    }
    let (w, h) = machine
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
        .with_context(|| {
            format!("--machine {text}: expected spinn3, spinn5, WxH (e.g. 8x8), boards:N or boards-nowrap:N")
        })?;
    let m = Machine::torus(w, h, Wrap::BOTH).with_context(|| format!("--machine {text}"))?;
    Ok((m, format!("{w}x{h} torus")))
}

/// Where and what `spinn traffic --vcd` traces.
pub struct TraceArgs {
    pub path: std::path::PathBuf,
    pub chips: Vec<usize>,
    pub window: std::ops::Range<u64>,
}

pub fn traffic(
    machine: &crate::faults::Faulted,
    cfg: &spinn_model::traffic::TrafficConfig,
    json: bool,
    trace: Option<TraceArgs>,
    out_dir: Option<&Path>,
    progress: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let machine_text = machine.machine;
    let (machine, name, faults) = machine.resolve()?;
    let out_dir = out_dir.map(crate::report::OutDir::prepare).transpose()?;
    let trace_path = trace.as_ref().map(|t| t.path.clone());
    let trace_failure = SinkFailure::default();
    let trace = match trace {
        Some(t) => {
            create_parent(&t.path)?;
            let file = std::fs::File::create(&t.path)
                .with_context(|| format!("creating {}", t.path.display()))?;
            Some(spinn_model::traffic::TrafficTrace {
                writer: Box::new(GuardedSink::new(file, &trace_failure)),
                chips: t.chips,
                window: t.window,
            })
        }
        None => None,
    };
    let mut bar = crate::progress::Bar::new(progress);
    let r = spinn_model::traffic::run_traffic_with_progress(
        &machine,
        cfg,
        trace,
        &mut |done, total| bar.draw("traffic", done, total, "cycles", ""),
    );
    bar.clear();
    let r = r?;
    if let Some(why) = trace_failure.borrow_mut().take() {
        let path = trace_path.as_ref().expect("invariant: only a trace fails");
        anyhow::bail!("writing the waveform to {}: {why}", path.display());
    }
    let pattern = cfg.pattern.to_string();
    let ns_per_traversal = r.host_seconds * 1e9 / r.router_traversals.max(1) as f64;
    let report = serde_json::json!({
        "machine": name,
        "chips": r.chips,
        "pattern": pattern,
        "rate": cfg.rate,
        "cycles": cfg.cycles,
        "seed": cfg.seed,
        "injected": r.injected,
        "expected_deliveries": r.expected_deliveries,
        "delivered": r.delivered,
        "offered_load": r.offered_load,
        "accepted_load": r.accepted_load,
        "mean_latency_cycles": r.mean_latency,
        "p99_latency_cycles": r.p99_latency,
        "dropped": r.dropped,
        "emergency_routed": r.emergency_routed,
        "queued_at_end": r.backlog.queued(),
        "in_flight_at_end": r.backlog.in_flight(),
        "mean_link_utilisation": r.mean_link_utilisation,
        "max_link_utilisation": r.max_link_utilisation,
        "router_cycles": r.router_cycles,
        "router_traversals": r.router_traversals,
        "host_seconds": r.host_seconds,
        "faults": faults.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    let mut written = Vec::new();
    if let Some(dir) = &out_dir {
        let layout = crate::report::layout_of(machine_text);
        written.push(dir.write(
            "router-load.png",
            &crate::report::router_load_png(&name, &r.chip_loads, layout),
        )?);
        written.push(dir.write(
            "links.png",
            &crate::report::links_png(&name, &r.link_loads, r.cycles, layout),
        )?);
        let mut full = report.clone();
        full["command"] = "traffic".into();
        full["router_load"] = crate::report::chip_loads_json(&r.chip_loads);
        full["links"] = crate::report::link_loads_json(&r.link_loads, r.cycles);
        written.push(dir.write_json("report.json", &full)?);
    }
    if json {
        writeln!(out, "{report}")?;
        return Ok(());
    }
    let us = |cycles: f64| cycles / 133.0;
    writeln!(out, "machine   {name}: {} chips; {pattern} traffic at {} packets/chip/cycle for {} cycles (seed {})", r.chips, cfg.rate, cfg.cycles, cfg.seed)?;
    if !faults.is_empty() {
        writeln!(out, "faults    {}", crate::faults::describe(&faults))?;
    }
    writeln!(
        out,
        "offered   {:.4} packets/chip/cycle ({} packets)",
        r.offered_load, r.injected
    )?;
    writeln!(
        out,
        "accepted  {:.4} packets/chip/cycle ({} delivered of {} expected)",
        r.accepted_load, r.delivered, r.expected_deliveries
    )?;
    writeln!(
        out,
        "latency   mean {:.1} cycles ({:.2} µs), p99 {} cycles ({:.2} µs) at 133 MHz",
        r.mean_latency,
        us(r.mean_latency),
        r.p99_latency,
        us(r.p99_latency as f64)
    )?;
    writeln!(
        out,
        "drops     {} packets dumped (no monitor re-injects them here)",
        r.dropped
    )?;
    writeln!(
        out,
        "emergency {} packets routed round a blocked link",
        r.emergency_routed
    )?;
    writeln!(
        out,
        "backlog   {} packets still queued at the cores, {} in flight (routers, links) at the end",
        r.backlog.queued(),
        r.backlog.in_flight()
    )?;
    writeln!(
        out,
        "links     mean utilisation {:.1} %, busiest {:.1} %",
        100.0 * r.mean_link_utilisation,
        100.0 * r.max_link_utilisation
    )?;
    let per_traversal = match r.router_traversals {
        0 => "no traversals".to_string(),
        _ => format!("{ns_per_traversal:.1} ns per traversal"),
    };
    writeln!(
        out,
        "host      {:.2} s: {} router cycles, {} router traversals ({per_traversal})",
        r.host_seconds, r.router_cycles, r.router_traversals
    )?;
    if let Some(path) = trace_path {
        writeln!(
            out,
            "wrote {} (open it with `gtkwave {}` or `surfer {}`)",
            path.display(),
            path.display(),
            path.display()
        )?;
    }
    for path in &written {
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}

/// `spinn life`: the game of life on the machine, checked against the host.
pub fn life(
    machine: &crate::faults::Faulted,
    config: &spinn_runtime::apps::life::LifeConfig,
    rtl: bool,
    reinjection: bool,
    progress: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if rtl {
        crate::faults::refuse_on_rtl(machine.faults)?;
    }
    let (topology, name, faults) = machine.resolve()?;
    if progress {
        eprintln!(
            "running {} generations of life on {name}...",
            config.generations
        );
    }
    let engine = if rtl {
        if topology != spinn_arch::Machine::spinn3() {
            anyhow::bail!("--engine rtl runs only on --machine spinn3 (the RTL fabric built)");
        }
        spinn_runtime::EngineKind::Rtl(spinn_rtl::config::FabricKind::Spinn3)
    } else {
        spinn_runtime::EngineKind::Fast
    };
    let machine_config = spinn_runtime::MachineConfig {
        reinjection,
        transient_faults: machine.faults.transient(),
        ..spinn_runtime::MachineConfig::spinnaker()
    };
    let started = std::time::Instant::now();
    let res = spinn_runtime::apps::run_life(&topology, config, machine_config, engine)
        .context("running the game of life")?;
    let host = started.elapsed();
    let r = &res.report;
    writeln!(
        out,
        "game of life on {name}: {}x{} cells in {} tiles of {}x{}, {} generations",
        config.width(),
        config.height(),
        res.n_tiles,
        config.tile_width,
        config.tile_height,
        config.generations
    )?;
    if !faults.is_empty() {
        writeln!(out, "faults: {}", crate::faults::describe(&faults))?;
    }
    writeln!(
        out,
        "result: {} (generations completed {} of {}, {} cells alive, stop: {:?})",
        if res.matches {
            "matches the host"
        } else {
            "DIFFERS from the host"
        },
        res.generations_done,
        config.generations,
        res.alive,
        res.stop
    )?;
    writeln!(
        out,
        "machine time: {:.3} ms ({} router cycles); host time {:.2} s",
        r.seconds * 1e3,
        r.cycles,
        host.as_secs_f64()
    )?;
    writeln!(
        out,
        "cores used: {}; largest routing table: {} entries; peak DTCM {} bytes",
        r.cores_used, r.largest_table, r.peak_dtcm_bytes
    )?;
    writeln!(
        out,
        "packets: {} sent, {} delivered, {} router traversals, {} link hops",
        r.packets_sent, r.delivered, r.router_traversals, r.link_hops
    )?;
    writeln!(
        out,
        "congestion: {} emergency routed, {} dumped, {} re-injected, {} dropped \
         ({} dump overflows, {} re-injection queue full, {} undeliverable)",
        r.emergency_routed,
        r.dumped,
        r.reinjected,
        r.dropped,
        r.dump_overflows,
        r.monitor.queue_full,
        r.monitor.undeliverable
    )?;
    writeln!(
        out,
        "cores: {} events lost to full queues, {} send failures; energy {:.4} J",
        r.queue_overflows, r.send_failures, r.energy_joules
    )?;
    if !res.matches && res.stop == spinn_runtime::StopReason::TimeLimit {
        anyhow::bail!(
            "the run reached its limit of {:.3} s of machine time after {} of {} generations \
             (a smaller --gap or fewer --generations finish within it)",
            r.seconds,
            res.generations_done,
            config.generations
        );
    }
    if !res.matches {
        anyhow::bail!(
            "the machine's grid differs from the host's after {} of {} generations ({} packets \
             dropped)",
            res.generations_done,
            config.generations,
            r.dropped
        );
    }
    Ok(())
}
