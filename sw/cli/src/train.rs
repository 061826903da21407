//! `spinn train`: a network trained on the simulated machine by the library's training loop,
//! with the golden reference beside it (an observer from `verif`), a progress bar, per-epoch
//! figures and a final report.

use anyhow::Context;
use spinn_dl::machine::MachineOptions;
use spinn_dl::train::{fit, BatchRecord, EpochSummary, Network, Observer, Stop};
use spinn_dl::{load_npz, save_npz, DataSource, ModelFile, ModelSpec, NumericMode, Op};
use spinn_verif::training::GoldenObserver;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What `spinn train` was asked for.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    pub model: Option<PathBuf>,
    pub data: DataSource,
    /// `None`: the model file's `epochs`, or 15.
    pub epochs: Option<usize>,
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub numeric: Option<NumericMode>,
    /// `None`: the model file's machine, or SpiNN-5.
    pub machine: Option<String>,
    pub seed: Option<u64>,
    pub weights_in: Option<PathBuf>,
    pub weights_out: Option<PathBuf>,
    /// Fraction of the data held out for testing.
    pub test_fraction: f64,
    pub golden: bool,
    pub progress: bool,
}

/// Epochs when neither the command line nor the model file says.
const DEFAULT_EPOCHS: usize = 15;

/// The model file's (or the default) spec with the command line's overrides, and the machine
/// and epochs the file names.
fn model(args: &TrainArgs) -> anyhow::Result<(ModelSpec, Option<String>, Option<usize>)> {
    let (base, machine, epochs) = match &args.model {
        Some(path) => {
            let file = ModelFile::read(path)?;
            (file.spec, file.machine, file.epochs)
        }
        None => (ModelSpec::digits_default(), None, None),
    };
    let spec = base
        .with_training(
            base.optimizer().with(args.learning_rate, args.batch_size),
            args.numeric.unwrap_or(base.numeric()),
            args.seed.unwrap_or(base.seed()),
        )
        .context("the model with the command line's settings")?;
    Ok((spec, machine, epochs))
}

/// One line per model: each layer's name, output shape and activation, inputs named where a
/// layer does not take the one before it.
pub fn describe(spec: &ModelSpec) -> String {
    let graph = spec.graph();
    let mut parts = vec![graph.input().shape.to_string()];
    for (i, node) in graph.nodes().iter().enumerate().skip(1) {
        let mut part = node.name.clone();
        if node.inputs.len() != 1 || node.inputs[0].index() + 1 != i {
            let names: Vec<&str> = node
                .inputs
                .iter()
                .map(|n| graph.node(*n).name.as_str())
                .collect();
            part.push_str(&format!("({})", names.join(", ")));
        }
        part.push_str(&format!(" {}", node.shape));
        let activation = node.op.activation();
        if !matches!(node.op, Op::Flatten(_) | Op::Pool(_) | Op::GlobalPool(_)) {
            part.push_str(&format!(" {}", activation.name()));
        }
        parts.push(part);
    }
    parts.join(" -> ")
}

/// What the user sees as the run goes: the golden comparison (if asked for) after every
/// batch, the progress bar, and a line per epoch.
struct Console<'a> {
    out: &'a mut dyn Write,
    epochs: usize,
    bar: bool,
    numeric: NumericMode,
    golden: Option<GoldenObserver>,
}

impl Observer for Console<'_> {
    fn batch(&mut self, network: &Network, r: &BatchRecord<'_>) -> Result<(), Stop> {
        if let Some(golden) = self.golden.as_mut() {
            golden.batch(network, r)?;
        }
        if self.bar {
            let width = 30;
            let done = r.batch * width / r.batches;
            let mut stderr = std::io::stderr();
            let _ = write!(
                stderr,
                "\repoch {}/{} [{}{}] batch {}/{} loss {:.4}  ",
                r.epoch,
                self.epochs,
                "#".repeat(done),
                ".".repeat(width - done),
                r.batch,
                r.batches,
                r.loss
            );
            let _ = stderr.flush();
        }
        Ok(())
    }

    fn epoch(&mut self, _network: &Network, e: &EpochSummary) {
        if self.bar {
            let _ = write!(std::io::stderr(), "\r{:70}\r", "");
        }
        let golden = match self.golden.as_ref().map(GoldenObserver::check) {
            None => String::new(),
            Some(g) if self.numeric == NumericMode::Fixed => format!(
                ", golden: {}",
                if g.exact { "bit-exact" } else { "DIFFERS" }
            ),
            Some(g) => format!(", golden: max rel diff {:.1e}", g.worst_relative),
        };
        let (test_loss, test_accuracy) = e
            .test
            .as_ref()
            .map_or((f64::NAN, f64::NAN), |t| (t.loss, t.accuracy));
        let _ = writeln!(
            self.out,
            "epoch {:>3}: loss {:.4}, train accuracy {:.2}%, test loss {:.4}, test accuracy {:.2}%{golden}",
            e.epoch,
            e.loss,
            100.0 * e.train_accuracy,
            test_loss,
            100.0 * test_accuracy
        );
    }
}

pub fn run(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let (spec, file_machine, file_epochs) = model(args)?;
    let epochs = args.epochs.or(file_epochs).unwrap_or(DEFAULT_EPOCHS);
    let machine_text = args
        .machine
        .clone()
        .or(file_machine)
        .unwrap_or_else(|| "spinn5".to_string());
    let (topology, machine_name) = crate::commands::parse_machine(&machine_text)?;
    if let Some(path) = &args.weights_out {
        crate::commands::check_writable(path)?;
    }
    let weights = match &args.weights_in {
        Some(path) => load_npz(path, &spec)
            .with_context(|| format!("initial weights from {}", path.display()))?,
        None => spec.init_weights(),
    };
    let data = args
        .data
        .load()
        .with_context(|| format!("the data set {}", args.data))?;
    let (train_set, test_set) = data
        .split(args.test_fraction, spec.seed())
        .with_context(|| format!("splitting {} into training and test sets", args.data))?;
    spinn_dl::train::check_data(&spec, "train", &train_set)?;
    let optimizer = spec.optimizer();
    // In fixed point the rates become s16.15 constants: say what is really used.
    let quantised = |v: f64| match spec.numeric() {
        NumericMode::Fixed => NumericMode::Fixed.quantised(v),
        NumericMode::F32 => v,
    };
    writeln!(out, "model: {}", describe(&spec))?;
    writeln!(
        out,
        "training: {} loss, SGD lr {}{} batch {}{}, {}, seed {}",
        spec.loss().name(),
        optimizer.learning_rate(),
        if quantised(optimizer.learning_rate()) != optimizer.learning_rate() {
            format!(" (used as {})", quantised(optimizer.learning_rate()))
        } else {
            String::new()
        },
        optimizer.batch_size(),
        optimizer.momentum().map_or(String::new(), |m| {
            if quantised(m) == m {
                format!(" momentum {m}")
            } else {
                format!(" momentum {m} (used as {})", quantised(m))
            }
        }),
        spec.numeric().name(),
        spec.seed()
    )?;
    writeln!(
        out,
        "data: {}, {} training and {} test samples; machine: {machine_name}",
        args.data,
        train_set.n_samples(),
        test_set.n_samples()
    )?;
    let mut network = Network::new(&spec, &weights, &MachineOptions::on(topology))
        .context("mapping the model onto the machine")?;
    let golden = if args.golden {
        Some(GoldenObserver::new(&spec, &weights).context("the golden reference")?)
    } else {
        None
    };
    let mut console = Console {
        out: &mut *out,
        epochs,
        bar: args.progress,
        numeric: spec.numeric(),
        golden,
    };
    let report = fit(
        &mut network,
        &train_set,
        Some(&test_set),
        epochs,
        &mut console,
    )
    .context("training")?;
    let golden = console.golden;
    if let Some(path) = &args.weights_out {
        save_npz(path, &report.weights)
            .with_context(|| format!("writing the trained weights to {}", path.display()))?;
        writeln!(out, "weights written to {}", path.display())?;
    }
    let r = &report.machine;
    let host = started.elapsed().as_secs_f64();
    let golden_host = golden.as_ref().map_or(Duration::ZERO, GoldenObserver::host);
    writeln!(out, "--- report")?;
    writeln!(
        out,
        "test accuracy:      {}",
        report.final_epoch().and_then(|e| e.test.as_ref()).map_or(
            "n/a (no epochs)".into(),
            |t| format!("{:.2}%", 100.0 * t.accuracy)
        )
    )?;
    writeln!(
        out,
        "machine time:       {:.3} s simulated ({:.3} s training, {} router cycles)",
        r.seconds, report.training_machine_seconds, r.cycles
    )?;
    writeln!(
        out,
        "machine speed:      {:.0} training samples/s",
        report.machine_samples_per_second()
    )?;
    writeln!(
        out,
        "host time:          {host:.2} s ({:.2} s in machine training batches, {:.2} s in the golden reference)",
        report.machine_host.as_secs_f64(),
        golden_host.as_secs_f64()
    )?;
    writeln!(
        out,
        "packets:            {} sent, {} delivered, {} dropped, {} dumped, {} re-injected",
        r.packets_sent, r.delivered, r.dropped, r.dumped, r.reinjected
    )?;
    writeln!(
        out,
        "routing:            largest table {} entries after minimisation",
        r.largest_table
    )?;
    writeln!(
        out,
        "cores:              {} used, peak DTCM {} of 65536 bytes",
        r.cores_used, r.peak_dtcm_bytes
    )?;
    writeln!(out, "energy:             {:.3} J", r.energy_joules)?;
    let check = golden.as_ref().map(GoldenObserver::check);
    let verdict = match (check, spec.numeric()) {
        (None, _) => "not compared (--no-golden)".to_string(),
        (Some(g), NumericMode::Fixed) => format!(
            "{} ({} batches, every weight and loss compared after each)",
            if g.exact { "yes, bit-exact" } else { "NO" },
            g.batches_compared
        ),
        (Some(g), NumericMode::F32) => format!(
            "{} (max |machine - golden| / max(1, |golden|) = {:.2e} over {} batches, tolerance 1e-5)",
            if g.matches(NumericMode::F32) { "yes" } else { "NO" },
            g.worst_relative,
            g.batches_compared
        ),
    };
    writeln!(out, "matches golden:     {verdict}")?;
    if r.dropped > 0 {
        anyhow::bail!("{} packets were dropped", r.dropped);
    }
    if report.stray_packets > 0 {
        anyhow::bail!(
            "{} packets reached a core on a key it does not listen to",
            report.stray_packets
        );
    }
    if let Some(g) = check {
        if !g.matches(spec.numeric()) {
            anyhow::bail!("the machine's training differs from the golden reference");
        }
    }
    Ok(())
}
