//! `spinn train`: a dense network trained on the simulated machine, side by side with the
//! golden reference, with a progress bar, per-epoch figures and a final report.

use anyhow::Context;
use spinn_dl::machine::MachineOptions;
use spinn_dl::{digits, load_npz, read_model_file, save_npz, ModelSpec, NumericMode, Optimizer};
use spinn_verif::training::{train, Progress, TrainingRun};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// What `spinn train` was asked for.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    pub model: Option<PathBuf>,
    pub epochs: usize,
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub numeric: Option<NumericMode>,
    pub machine: String,
    pub seed: Option<u64>,
    pub weights_in: Option<PathBuf>,
    pub weights_out: Option<PathBuf>,
    /// Fraction of the digits held out for testing.
    pub test_fraction: f64,
    pub golden: bool,
    pub progress: bool,
}

/// The model file's (or the default) spec with the command line's overrides.
fn model(args: &TrainArgs) -> anyhow::Result<ModelSpec> {
    let base = match &args.model {
        Some(path) => read_model_file(path)?,
        None => ModelSpec::digits_default(),
    };
    let Optimizer::Sgd {
        learning_rate,
        batch_size,
        momentum,
    } = base.optimizer();
    let spec = ModelSpec::new(
        base.inputs(),
        base.layers().to_vec(),
        base.loss(),
        Optimizer::Sgd {
            learning_rate: args.learning_rate.unwrap_or(learning_rate),
            batch_size: args.batch_size.unwrap_or(batch_size),
            momentum,
        },
        args.numeric.unwrap_or(base.numeric()),
        args.seed.unwrap_or(base.seed()),
    )
    .context("the model with the command line's settings")?;
    Ok(spec)
}

pub fn run(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let spec = model(args)?;
    let (topology, machine_name) = crate::commands::parse_machine(&args.machine)?;
    let weights = match &args.weights_in {
        Some(path) => load_npz(path, &spec)
            .with_context(|| format!("initial weights from {}", path.display()))?,
        None => spec.init_weights(),
    };
    let data = digits().context("the embedded digits data set")?;
    let (train_set, test_set) = data
        .split(args.test_fraction, spec.seed())
        .context("splitting the digits into training and test sets")?;
    let Optimizer::Sgd {
        learning_rate,
        batch_size,
        momentum,
    } = spec.optimizer();
    let shape: Vec<String> = std::iter::once(spec.inputs().to_string())
        .chain(
            spec.layers()
                .iter()
                .map(|l| format!("{} {}", l.units, l.activation.name())),
        )
        .collect();
    writeln!(
        out,
        "model: dense {}, {} loss, SGD lr {learning_rate} batch {batch_size}{}, {}, seed {}",
        shape.join(" -> "),
        spec.loss().name(),
        momentum.map_or(String::new(), |m| format!(" momentum {m}")),
        spec.numeric().name(),
        spec.seed()
    )?;
    writeln!(
        out,
        "data: digits, {} training and {} test samples; machine: {machine_name}",
        train_set.n_samples(),
        test_set.n_samples()
    )?;
    let run = TrainingRun {
        spec: &spec,
        weights,
        train: &train_set,
        test: &test_set,
        epochs: args.epochs,
        options: MachineOptions::on(topology),
        golden: args.golden,
    };
    let mut lines: Vec<String> = Vec::new();
    let mut stderr = std::io::stderr();
    let report = train(&run, |p| match p {
        Progress::Batch {
            epoch,
            batch,
            batches,
            loss,
        } => {
            if args.progress {
                let width = 30;
                let done = batch * width / batches;
                let _ = write!(
                    stderr,
                    "\repoch {epoch}/{} [{}{}] batch {batch}/{batches} loss {loss:.4}  ",
                    args.epochs,
                    "#".repeat(done),
                    ".".repeat(width - done)
                );
                let _ = stderr.flush();
            }
        }
        Progress::Epoch(e) => {
            if args.progress {
                let _ = write!(stderr, "\r{:70}\r", "");
            }
            let golden = match e.golden {
                None => String::new(),
                Some(g) if spec.numeric() == NumericMode::Fixed => format!(
                    ", golden: {}",
                    if g.exact { "bit-exact" } else { "DIFFERS" }
                ),
                Some(g) => format!(", golden: max rel diff {:.1e}", g.worst_relative),
            };
            lines.push(format!(
                "epoch {:>3}: loss {:.4}, train accuracy {:.2}%, test loss {:.4}, test accuracy {:.2}%{golden}",
                e.epoch,
                e.loss,
                100.0 * e.train_accuracy,
                e.test_loss,
                100.0 * e.test_accuracy
            ));
            let _ = writeln!(out, "{}", lines.last().expect("just pushed"));
        }
    })
    .context("training")?;
    if let Some(path) = &args.weights_out {
        save_npz(path, &report.weights)
            .with_context(|| format!("writing the trained weights to {}", path.display()))?;
        writeln!(out, "weights written to {}", path.display())?;
    }
    let r = &report.machine;
    let host = started.elapsed().as_secs_f64();
    let last = report.final_epoch();
    writeln!(out, "--- report")?;
    writeln!(
        out,
        "test accuracy:      {}",
        last.map_or("n/a (no epochs)".into(), |e| format!(
            "{:.2}%",
            100.0 * e.test_accuracy
        ))
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
        report.golden_host.as_secs_f64()
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
    let verdict = match (report.golden, spec.numeric()) {
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
    if let Some(g) = report.golden {
        if !g.matches(spec.numeric()) {
            anyhow::bail!("the machine's training differs from the golden reference");
        }
    }
    Ok(())
}
