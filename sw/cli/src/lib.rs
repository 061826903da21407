//! `spinn`: the command line of the SpiNNaker platform. The only crate that parses arguments,
//! reads or writes files and prints.
//!
//! Commands:
//! * `export-verilog`: the router as Verilog, ready for lint, simulation and synthesis.
//! * `waveform`: simulates the contention scenario on the RTL router and writes a VCD.
//! * `synth`: exports, synthesises with Yosys (and optionally places with nextpnr) and reports.
//! * `traffic`: synthetic traffic on the fast fabric model of a machine, with a load report.
//! * `life`: Conway's game of life across the machine's cores, checked against the host.
//! * `train`: a network trained on the simulated machine against the golden reference.

mod commands;
mod train;

use clap::{Parser, Subcommand, ValueEnum};
use spinn_rtl::{RouterConfig, RouterParams};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "spinn",
    version,
    about = "A SpiNNaker-class machine: router RTL, fabric and training"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which multicast table to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TableArg {
    /// Registers matched in parallel (16, 32, 64 or 128 entries; one packet per cycle).
    Register,
    /// Block RAM searched in banks (64, 256 or 1024 entries).
    Banked,
}

/// Direction of emergency detours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RotationArg {
    Clockwise,
    Anticlockwise,
}

/// Options that pick a router build.
#[derive(clap::Args, Debug, Clone)]
struct RouterArgs {
    /// Multicast table entries.
    #[arg(long, default_value_t = 16)]
    entries: usize,
    /// Table implementation.
    #[arg(long, value_enum, default_value_t = TableArg::Register)]
    table: TableArg,
    /// Banks of a banked table (default: the most built for the size; 1024 entries come as
    /// 16 × 64, fastest, or 4 × 256, which fits an iCE40's block RAM).
    #[arg(long)]
    banks: Option<usize>,
    /// P2P table entries (64 covers 8×8 chips, 256 covers 16×16).
    #[arg(long, default_value_t = 64)]
    p2p_entries: usize,
    /// Side of the triangle emergency detours take.
    #[arg(long, value_enum, default_value_t = RotationArg::Clockwise)]
    rotation: RotationArg,
}

impl RouterArgs {
    fn config(&self) -> anyhow::Result<RouterConfig> {
        let mut config = match self.table {
            TableArg::Register => RouterConfig::register(self.entries),
            TableArg::Banked => match self.banks {
                Some(banks) => RouterConfig::banked_with(self.entries, banks)?,
                None => RouterConfig::banked(self.entries)?,
            },
        };
        if self.banks.is_some() && self.table == TableArg::Register {
            anyhow::bail!("--banks applies to --table banked only");
        }
        config.p2p_entries = self.p2p_entries;
        config.params = RouterParams {
            rotate_clockwise: self.rotation == RotationArg::Clockwise,
        };
        // Building it checks that every size is one the binary contains.
        spinn_rtl::config::simulate(&config)?;
        Ok(config)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the router as Verilog (top module `spinn_router`).
    ExportVerilog {
        #[command(flatten)]
        router: RouterArgs,
        /// Output file.
        #[arg(long, default_value = "router.v")]
        out: PathBuf,
    },
    /// Simulate table load and contended traffic (wait1, emergency route, dump, re-injection)
    /// on the RTL router and write a VCD waveform.
    Waveform {
        #[command(flatten)]
        router: RouterArgs,
        /// Traffic cycles to simulate after the table load.
        #[arg(long, default_value_t = 90)]
        cycles: u64,
        /// Output VCD file.
        #[arg(long, default_value = "traces/router.vcd")]
        out: PathBuf,
    },
    /// Synthesise the router with Yosys and report cells; optionally place and route on an
    /// iCE40 HX8K with nextpnr and report Fmax.
    Synth {
        #[command(flatten)]
        router: RouterArgs,
        /// FPGA family: ice40 for small tables, ecp5 for large ones.
        #[arg(long, value_enum, default_value_t = FamilyArg::Ice40)]
        family: FamilyArg,
        /// Also run nextpnr-ice40 and report the maximum clock frequency.
        #[arg(long)]
        pnr: bool,
    },
    /// Run synthetic traffic on the fast fabric model and report offered and accepted load,
    /// latency, drops, emergency routes and link use.
    Traffic {
        /// `spinn3`, `spinn5`, `WxH` (a torus wrapped both ways), `boards:N` (N SpiNN-5 boards as
        /// whole triads, wrapped) or `boards-nowrap:N` (the same without wrap-around).
        #[arg(long, default_value = "spinn5")]
        machine: String,
        #[arg(long, value_enum, default_value_t = PatternArg::Uniform)]
        pattern: PatternArg,
        /// Packets injected per chip per cycle, in (0, 1].
        #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
        rate: f64,
        /// Router cycles to simulate (133 MHz).
        #[arg(long, default_value_t = 10_000)]
        cycles: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Destinations per multicast packet.
        #[arg(long, default_value_t = 4)]
        fanout: usize,
        /// wait1, as the 8-bit register value (0x40 = 240 cycles; 0xff = never).
        #[arg(long, default_value = "0x40", value_parser = parse_byte)]
        wait1: u8,
        /// wait2, as the 8-bit register value (0 = dump straight after the emergency attempt).
        #[arg(long, default_value = "0x00", value_parser = parse_byte)]
        wait2: u8,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Write a VCD of the traced chips (named as in the RTL fabric's VCD) to this file.
        #[arg(long)]
        vcd: Option<PathBuf>,
        /// Chips to trace, by index in the machine's order (x, then y), comma-separated.
        #[arg(long, default_value = "0", value_delimiter = ',')]
        trace_chips: Vec<usize>,
        /// Cycles to trace, `FROM..TO`.
        #[arg(long, default_value = "0..1000", value_parser = parse_window)]
        trace_cycles: std::ops::Range<u64>,
    },
    /// Run Conway's game of life across a machine, one tile of cells per core, mapped by the
    /// toolchain; check the result against the host and report machine time, packets, dumps,
    /// re-injections, losses and energy.
    Life {
        /// `spinn3`, `spinn5`, `WxH`, `boards:N` or `boards-nowrap:N` (see `traffic`).
        #[arg(long, default_value = "spinn5")]
        machine: String,
        /// Tiles across and down, `XxY` (each at least 3; one core each).
        #[arg(long, default_value = "24x32", value_parser = parse_pair)]
        tiles: (usize, usize),
        /// Cells per tile, `WxH`.
        #[arg(long, default_value = "4x4", value_parser = parse_pair)]
        tile_size: (usize, usize),
        #[arg(long, default_value_t = 10)]
        generations: u32,
        /// Core cycles each tile waits between two packets (0 bursts, and overloads routers).
        #[arg(long, default_value_t = 8000)]
        gap: u64,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Fabric engine: the fast model, or the RTL (SpiNN-3 only, 16-entry tables).
        #[arg(long, value_enum, default_value_t = EngineArg::Fast)]
        engine: EngineArg,
        /// Turn the monitors' re-injection of dumped packets off.
        #[arg(long)]
        no_reinjection: bool,
    },
    /// Train a network on the simulated machine (default: Dense 64-128-10, relu, softmax
    /// with cross-entropy, on the embedded digits, on a SpiNN-5 board), compared with the
    /// golden reference after every batch.
    Train {
        /// A TOML model file (default: the digits MLP; see docs/model-files.md and models/).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The data set: `digits` (embedded 8×8), `mnist` (the embedded 10,000-image subset)
        /// or `idx:IMAGES,LABELS` (IDX files, raw or gzip).
        #[arg(long, default_value = "digits")]
        data: spinn_dl::DataSource,
        /// Epochs to train (default: the model file's `epochs`, else 15).
        #[arg(long)]
        epochs: Option<usize>,
        /// Samples per batch (overrides the model's).
        #[arg(long)]
        batch_size: Option<usize>,
        /// SGD learning rate (overrides the model's).
        #[arg(long)]
        learning_rate: Option<f64>,
        /// Numeric mode (overrides the model's): f32 or fixed (s16.15).
        #[arg(long, value_enum)]
        numeric: Option<NumericArg>,
        /// `spinn3`, `spinn5`, `WxH`, `boards:N` or `boards-nowrap:N` (default: the model
        /// file's `machine`, else spinn5).
        #[arg(long)]
        machine: Option<String>,
        /// Seed of the initial weights, the train/test split and the batch order (overrides
        /// the model's).
        #[arg(long)]
        seed: Option<u64>,
        /// Initial weights from a Keras-layout `.npz` (`{layer}/kernel`, `{layer}/bias`).
        #[arg(long)]
        weights_in: Option<PathBuf>,
        /// Write the trained weights as a Keras-layout `.npz`.
        #[arg(long)]
        weights_out: Option<PathBuf>,
        /// Fraction of the data held out as the test set (seeded shuffle first).
        #[arg(long, default_value_t = 0.2)]
        test_fraction: f64,
        /// Do not train the golden reference alongside.
        #[arg(long)]
        no_golden: bool,
        /// Do not draw the progress bar (on standard error).
        #[arg(long)]
        no_progress: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NumericArg {
    F32,
    Fixed,
}

fn parse_pair(text: &str) -> Result<(usize, usize), String> {
    text.split_once('x')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(|| format!("`{text}` is not a size AxB"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Fast,
    Rtl,
}

fn parse_window(text: &str) -> Result<std::ops::Range<u64>, String> {
    let parsed = text
        .split_once("..")
        .and_then(|(a, b)| Some(a.parse().ok()?..b.parse().ok()?));
    parsed
        .filter(|r: &std::ops::Range<u64>| r.start < r.end)
        .ok_or_else(|| format!("`{text}` is not a cycle range FROM..TO with FROM < TO"))
}

fn parse_byte(text: &str) -> Result<u8, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a byte (0-255, or 0x00-0xff)"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PatternArg {
    /// Point-to-point packets to uniformly chosen chips.
    Uniform,
    /// Point-to-point packets, a quarter of them to the middle chip.
    Hotspot,
    /// Multicast packets down a tree to --fanout chips.
    Multicast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FamilyArg {
    Ice40,
    Ecp5,
}

/// Runs the command line `args` (program name first), writing reports to `out`.
pub fn run(args: Vec<String>, out: &mut dyn Write) -> anyhow::Result<()> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            write!(out, "{err}")?;
            return Ok(());
        }
        Err(err) => {
            let text = err.render().to_string();
            let text = text.trim_end();
            // The binary prefixes errors with "error: " itself.
            return Err(anyhow::anyhow!(text
                .strip_prefix("error: ")
                .unwrap_or(text)
                .to_string()));
        }
    };
    match cli.command {
        Command::ExportVerilog { router, out: path } => {
            commands::export_verilog(&router.config()?, &path, out)
        }
        Command::Waveform {
            router,
            cycles,
            out: path,
        } => commands::waveform(&router.config()?, cycles, &path, out),
        Command::Synth {
            router,
            family,
            pnr,
        } => {
            let config = router.config()?;
            if pnr && (family != FamilyArg::Ice40) {
                anyhow::bail!("--pnr places on an iCE40 HX8K; use it with --family ice40");
            }
            let family = match family {
                FamilyArg::Ice40 => spinn_verif::synth::Family::Ice40,
                FamilyArg::Ecp5 => spinn_verif::synth::Family::Ecp5,
            };
            commands::synth(&config, family, pnr, out)
        }
        Command::Traffic {
            machine,
            pattern,
            rate,
            cycles,
            seed,
            fanout,
            wait1,
            wait2,
            json,
            vcd,
            trace_chips,
            trace_cycles,
        } => {
            let pattern = match pattern {
                PatternArg::Uniform => spinn_model::traffic::Pattern::Uniform,
                PatternArg::Hotspot => spinn_model::traffic::Pattern::Hotspot,
                PatternArg::Multicast => spinn_model::traffic::Pattern::Multicast { fanout },
            };
            let control = spinn_arch::RouterControl {
                wait1: spinn_arch::WaitTime(wait1),
                wait2: spinn_arch::WaitTime(wait2),
                ..spinn_arch::RouterControl::SCAMP_BOOT
            };
            let cfg = spinn_model::traffic::TrafficConfig {
                pattern,
                rate,
                cycles,
                seed,
                timing: spinn_model::LinkTiming::SPINNAKER,
                control,
            };
            let trace = vcd.map(|path| commands::TraceArgs {
                path,
                chips: trace_chips,
                window: trace_cycles,
            });
            commands::traffic(&machine, &cfg, json, trace, out)
        }
        Command::Life {
            machine,
            tiles,
            tile_size,
            generations,
            gap,
            seed,
            engine,
            no_reinjection,
        } => {
            let config = spinn_runtime::apps::life::LifeConfig {
                tiles_x: tiles.0,
                tiles_y: tiles.1,
                tile_width: tile_size.0,
                tile_height: tile_size.1,
                generations,
                seed,
                send_gap_cycles: gap,
            };
            commands::life(
                &machine,
                &config,
                engine == EngineArg::Rtl,
                !no_reinjection,
                out,
            )
        }
        Command::Train {
            model,
            data,
            epochs,
            batch_size,
            learning_rate,
            numeric,
            machine,
            seed,
            weights_in,
            weights_out,
            test_fraction,
            no_golden,
            no_progress,
        } => train::run(
            &train::TrainArgs {
                model,
                data,
                epochs,
                batch_size,
                learning_rate,
                numeric: numeric.map(|n| match n {
                    NumericArg::F32 => spinn_dl::NumericMode::F32,
                    NumericArg::Fixed => spinn_dl::NumericMode::Fixed,
                }),
                machine,
                seed,
                weights_in,
                weights_out,
                test_fraction,
                golden: !no_golden,
                progress: !no_progress,
            },
            out,
        ),
    }
}
