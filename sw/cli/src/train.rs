//! `spinn train`: a network trained on the simulated machine by the library's training loop,
//! with the golden reference beside it (an observer from `verif`), a progress bar, per-epoch
//! figures and a final report.

use crate::report::OutDir;
use crate::setup::{quantised, ModelChoice, Resolved, DEFAULT_EPOCHS};
use anyhow::Context;
use serde_json::json;
use spinn_dl::machine::{MachineOptions, PlanGoal, Replicas};
use spinn_dl::train::{
    fit_epochs, BatchRecord, EpochSummary, MappingKind, Network, Observer, Stop,
};
use spinn_dl::{save_npz, Checkpoint, DataSource, ModelFile, ModelSpec, NumericMode, Op, Weights};
use spinn_verif::training::GoldenObserver;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What `spinn train` was asked for.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    pub model: ModelChoice,
    pub data: DataSource,
    /// `None`: the model file's `epochs` (or the checkpoint's), or 15.
    pub epochs: Option<usize>,
    pub weights_in: Option<PathBuf>,
    pub weights_out: Option<PathBuf>,
    /// Fraction of the data held out for testing.
    pub test_fraction: f64,
    pub golden: bool,
    pub progress: bool,
    /// Write `report.json`, the plots and the trained weights here.
    pub out: Option<PathBuf>,
    /// A per-batch CSV log.
    pub log: Option<PathBuf>,
    /// Write a checkpoint into `out` after every this many epochs.
    pub checkpoint_every: Option<usize>,
    /// Continue from this checkpoint.
    pub resume: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    pub json: bool,
    /// Dead chips, links and cores to train around.
    pub faults: crate::faults::FaultArgs,
    /// Copies of the network on the machine (`None`: not given, one).
    pub replicas: Option<Replicas>,
    /// How the layers are cut into cores (`None`: not given, the fastest).
    pub plan: Option<PlanGoal>,
    /// The project's mapping or the SpiDNN baseline.
    pub mapping: MappingKind,
}

/// `--replicas` as the command line takes it.
fn replicas_text(replicas: Replicas) -> String {
    match replicas {
        Replicas::Auto => "auto".to_string(),
        Replicas::Count(n) => n.to_string(),
    }
}

/// Refuses the options a mapping has no use for, naming both: the baseline runs one copy,
/// one neuron per core, so it has neither copies nor cuts to choose from. Options left at
/// their defaults are no conflict.
fn check_mapping_options(args: &TrainArgs) -> anyhow::Result<()> {
    if args.mapping != MappingKind::Spidnn {
        return Ok(());
    }
    if let Some(replicas) = args.replicas.filter(|&r| r != Replicas::Count(1)) {
        anyhow::bail!(
            "--replicas {} does not apply to --mapping spidnn, which runs one copy of the network (one neuron per core); drop --replicas or use --mapping blocks",
            replicas_text(replicas)
        );
    }
    if let Some(plan) = args.plan {
        anyhow::bail!(
            "--plan {} does not apply to --mapping spidnn, which has one cut (one neuron per core); drop --plan or use --mapping blocks",
            plan.name()
        );
    }
    Ok(())
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
    bar: crate::progress::Bar,
    numeric: NumericMode,
    golden: Option<GoldenObserver>,
}

impl Observer for Console<'_> {
    fn batch(&mut self, network: &Network, r: &BatchRecord<'_>) -> Result<(), Stop> {
        if let Some(golden) = self.golden.as_mut() {
            golden.batch(network, r)?;
        }
        self.bar.draw(
            &format!("epoch {}/{}", r.epoch, self.epochs),
            r.batch as u64,
            r.batches as u64,
            "batches",
            &format!("loss {:.4}", r.loss),
        );
        Ok(())
    }

    fn epoch(&mut self, _network: &Network, e: &EpochSummary) {
        self.bar.clear();
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

/// The run's start: the model, its settings and weights (from the command line, or from the
/// checkpoint being resumed), the epochs done and the epochs to reach.
struct Start {
    resolved: Resolved,
    data: DataSource,
    test_fraction: f64,
    weights: Weights,
    velocities: Option<Weights>,
    epochs_done: usize,
    epochs: usize,
}

fn start(args: &TrainArgs) -> anyhow::Result<Start> {
    let Some(path) = &args.resume else {
        if args.epochs == Some(0) {
            anyhow::bail!("--epochs 0 trains nothing; give at least 1");
        }
        let resolved = args.model.resolve()?;
        let weights = crate::setup::weights(&resolved.spec, args.weights_in.as_ref())?;
        let epochs = args
            .epochs
            .or(resolved.file_epochs)
            .unwrap_or(DEFAULT_EPOCHS);
        return Ok(Start {
            resolved,
            data: args.data.clone(),
            test_fraction: args.test_fraction,
            weights,
            velocities: None,
            epochs_done: 0,
            epochs,
        });
    };
    let checkpoint = Checkpoint::load(path)?;
    let data: DataSource = checkpoint
        .data
        .parse()
        .with_context(|| format!("the data set named in checkpoint {}", path.display()))?;
    let epochs = args
        .epochs
        .or(checkpoint.model.epochs)
        .unwrap_or(DEFAULT_EPOCHS);
    if epochs < checkpoint.epochs_done {
        anyhow::bail!(
            "--epochs {epochs} is fewer than the {} epochs checkpoint {} has done",
            checkpoint.epochs_done,
            path.display()
        );
    }
    // The checkpoint's model and settings, on the machine it names unless told otherwise.
    let choice = ModelChoice {
        machine: args.model.machine.clone(),
        ..ModelChoice::default()
    };
    Ok(Start {
        resolved: crate::setup::resolve_file(checkpoint.model, &choice)?,
        data,
        test_fraction: checkpoint.test_fraction,
        weights: checkpoint.weights,
        velocities: checkpoint.velocities,
        epochs_done: checkpoint.epochs_done,
        epochs,
    })
}

/// Writes a checkpoint after every `every` epochs (and after the last).
struct Checkpointer {
    dir: PathBuf,
    every: usize,
    last: usize,
    model: ModelFile,
    data: String,
    test_fraction: f64,
    written: Vec<PathBuf>,
    error: Option<anyhow::Error>,
}

impl Checkpointer {
    fn path(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("checkpoint-epoch-{epoch}.ckpt"))
    }
}

impl Observer for Checkpointer {
    fn batch(&mut self, _network: &Network, _record: &BatchRecord<'_>) -> Result<(), Stop> {
        Ok(())
    }

    fn epoch(&mut self, network: &Network, e: &EpochSummary) {
        if self.error.is_some() || !(e.epoch.is_multiple_of(self.every) || e.epoch == self.last) {
            return;
        }
        let checkpoint = Checkpoint {
            model: self.model.clone(),
            epochs_done: e.epoch,
            data: self.data.clone(),
            test_fraction: self.test_fraction,
            weights: network.weights(),
            velocities: network.velocities(),
        };
        let path = self.path(e.epoch);
        match checkpoint.save(&path) {
            Ok(()) => self.written.push(path),
            Err(err) => self.error = Some(err.into()),
        }
    }
}

/// The per-batch CSV of `--log`.
struct BatchLog {
    writer: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    cycles: u64,
    /// The machine's costs, which turn cycles into seconds.
    costs: spinn_runtime::CostTable,
    error: Option<std::io::Error>,
}

impl Observer for BatchLog {
    fn batch(&mut self, _network: &Network, r: &BatchRecord<'_>) -> Result<(), Stop> {
        self.cycles += r.cycles;
        if self.error.is_none() {
            if let Err(err) = writeln!(
                self.writer,
                "{},{},{},{:.9},{},{},{:.9}",
                r.epoch,
                r.batch,
                r.indices.len(),
                r.loss,
                r.cycles,
                self.cycles,
                self.costs.seconds(self.cycles)
            ) {
                self.error = Some(err);
            }
        }
        Ok(())
    }
}

pub fn run(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.checkpoint_every == Some(0) {
        anyhow::bail!("--checkpoint-every must be at least 1 epoch");
    }
    if args.checkpoint_every.is_some() && args.out.is_none() {
        anyhow::bail!("--checkpoint-every needs --out DIR to write the checkpoints into");
    }
    if args.resume.is_some() && args.weights_in.is_some() {
        anyhow::bail!("--resume takes the weights from the checkpoint; drop --weights-in");
    }
    check_mapping_options(args)?;
    let plan_goal = args.plan.unwrap_or(PlanGoal::Fastest);
    let Start {
        resolved,
        data: source,
        test_fraction,
        weights,
        velocities,
        epochs_done,
        epochs,
    } = start(args)?;
    let spec = resolved.spec.clone();
    // Every output is checked before the work starts, so a long run is not lost at its end.
    if let Some(path) = &args.weights_out {
        crate::commands::check_writable(path)?;
    }
    let out_dir = args.out.as_deref().map(OutDir::prepare).transpose()?;
    let (topology, faults) = args.faults.apply(resolved.topology.clone())?;
    let mut options = MachineOptions::on(topology);
    options.machine.transient_faults = args.faults.transient();
    options.replicas = args.replicas.unwrap_or(Replicas::Count(1));
    let mut log = match &args.log {
        Some(path) => {
            crate::commands::check_writable(path)?;
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            writeln!(
                writer,
                "epoch,batch,samples,loss,machine_cycles,total_machine_cycles,total_machine_seconds"
            )
            .with_context(|| format!("writing {}", path.display()))?;
            Some(BatchLog {
                writer,
                path: path.clone(),
                cycles: 0,
                costs: options.machine.costs.clone(),
                error: None,
            })
        }
        None => None,
    };
    let data = crate::setup::load_data(&source, test_fraction, spec.seed())?;
    spinn_dl::train::check_data(&spec, "train", &data.train)?;
    let optimizer = spec.optimizer();
    let used_rate = quantised(&spec, optimizer.learning_rate());
    let used_momentum = optimizer.momentum().map(|m| quantised(&spec, m));
    let mut text: Box<dyn Write> = if args.json {
        Box::new(std::io::sink())
    } else {
        Box::new(&mut *out)
    };
    writeln!(text, "model: {}", describe(&spec))?;
    writeln!(
        text,
        "training: {} loss, SGD lr {}{} batch {}{}, {}, seed {}",
        spec.loss().name(),
        optimizer.learning_rate(),
        if used_rate != optimizer.learning_rate() {
            format!(" (used as {used_rate})")
        } else {
            String::new()
        },
        optimizer.batch_size(),
        match (optimizer.momentum(), used_momentum) {
            (Some(m), Some(u)) if u != m => format!(" momentum {m} (used as {u})"),
            (Some(m), _) => format!(" momentum {m}"),
            (None, _) => String::new(),
        },
        spec.numeric().name(),
        spec.seed()
    )?;
    writeln!(
        text,
        "data: {source}, {} training and {} test samples; machine: {}",
        data.train.n_samples(),
        data.test.n_samples(),
        resolved.machine_name
    )?;
    if !faults.is_empty() {
        writeln!(text, "faults: {}", crate::faults::describe(&faults))?;
    }
    if epochs_done > 0 {
        writeln!(
            text,
            "resumed after epoch {epochs_done} of {epochs} from {}",
            args.resume.as_ref().expect("invariant: resumed").display()
        )?;
    }
    let (full_budget, full_slots) = (options.plan.dtcm_bytes, options.plan.slots);
    let trials = match (args.mapping, plan_goal) {
        // The baseline has one cut: nothing to choose.
        (MappingKind::Spidnn, _) | (MappingKind::Blocks, PlanGoal::FewestCores) => Vec::new(),
        (MappingKind::Blocks, PlanGoal::Fastest) => {
            let (chosen, trials) = Network::fastest_on_first_batch(
                &spec,
                (&weights, velocities.as_ref()),
                &options,
                &data.train,
            )
            .context("choosing the plan (timing its candidates on the first batch)")?;
            options = chosen;
            trials
        }
    };
    let mut network = match args.mapping {
        MappingKind::Blocks => Network::resume(&spec, &weights, velocities.as_ref(), &options)
            .context("mapping the model onto the machine")?,
        MappingKind::Spidnn => Network::spidnn(&spec, &weights, velocities.as_ref(), &options)
            .context("mapping the model onto the machine")?,
    };
    if args.mapping == MappingKind::Spidnn {
        writeln!(
            text,
            "plan: one neuron per core, one sample in flight (--mapping spidnn, the thesis prototype's baseline; --plan does not apply)"
        )?;
    }
    if let Some(best) = trials.iter().find(|t| t.timed(&options)) {
        // The first trial is the planner's own cut: the whole budget, the configured slots.
        let fewest = trials
            .first()
            .filter(|t| t.dtcm_bytes == full_budget && t.slots == full_slots);
        writeln!(
            text,
            "plan: fastest of {} trials on the first batch: DTCM budget {} bytes, {} samples in flight, {} on {} cores, {:.0} router cycles per sample{}",
            trials.len(),
            best.dtcm_bytes,
            best.slots,
            match best.replicas {
                1 => "1 copy".to_string(),
                n => format!("{n} copies"),
            },
            best.cores,
            best.cycles_per_sample(),
            match fewest {
                Some(fewest) if fewest != best => format!(
                    " ({:.0} for the fewest-cores cut)",
                    fewest.cycles_per_sample()
                ),
                _ => String::new(),
            },
        )?;
    }
    let golden = if args.golden {
        Some(
            GoldenObserver::resume(&spec, &weights, velocities.as_ref())
                .context("the golden reference")?,
        )
    } else {
        None
    };
    let mut checkpointer = match (&out_dir, args.checkpoint_every) {
        (Some(dir), Some(every)) => Some(Checkpointer {
            dir: dir.path().to_path_buf(),
            every,
            last: epochs,
            model: ModelFile {
                spec: spec.clone(),
                machine: Some(resolved.machine_text.clone()),
                epochs: Some(epochs),
            },
            data: source.to_string(),
            test_fraction,
            written: Vec::new(),
            error: None,
        }),
        _ => None,
    };
    let mut console = Console {
        out: &mut *text,
        epochs,
        bar: crate::progress::Bar::new(args.progress),
        numeric: spec.numeric(),
        golden,
    };
    let mut observers: Vec<&mut dyn Observer> = vec![&mut console];
    if let Some(c) = checkpointer.as_mut() {
        observers.push(c);
    }
    if let Some(l) = log.as_mut() {
        observers.push(l);
    }
    let report = fit_epochs(
        &mut network,
        &data.train,
        Some(&data.test),
        epochs_done + 1..=epochs,
        &mut observers,
    )
    .context("training")?;
    drop(observers);
    let golden = console.golden.take();
    drop(console);
    drop(text);
    let mut written = Vec::new();
    // The trained weights go out first: a log or checkpoint that failed to write must not
    // lose them.
    if let Some(path) = &args.weights_out {
        save_npz(path, &report.weights)
            .with_context(|| format!("writing the trained weights to {}", path.display()))?;
        written.push(path.clone());
    }
    if let Some(l) = log.as_mut() {
        let flushed = match l.error.take() {
            Some(err) => Err(err),
            None => l.writer.flush(),
        };
        flushed.with_context(|| format!("writing the batch log {}", l.path.display()))?;
        written.push(l.path.clone());
    }
    if let Some(c) = checkpointer.as_mut() {
        if let Some(err) = c.error.take() {
            return Err(err.context("writing a checkpoint"));
        }
        written.extend(c.written.iter().cloned());
    }
    let r = &report.machine;
    let host = started.elapsed().as_secs_f64();
    let golden_host = golden.as_ref().map_or(Duration::ZERO, GoldenObserver::host);
    let check = golden.as_ref().map(GoldenObserver::check);
    let test_accuracy = report
        .final_epoch()
        .and_then(|e| e.test.as_ref())
        .map(|t| t.accuracy);
    let chip_loads = network.chip_loads();
    let link_loads = network.link_loads();
    let layout = crate::report::layout_of(&resolved.machine_text);
    let golden_json = match check {
        None => serde_json::Value::Null,
        Some(g) => json!({
            "batches_compared": g.batches_compared,
            "bit_exact": g.exact,
            "max_relative_difference": g.worst_relative,
            "matches": g.matches(spec.numeric()),
        }),
    };
    // The trials, performance and data-load entries are built apart: more nesting in the
    // report's `json!` would pass serde_json's macro recursion limit.
    let trials_json: Vec<serde_json::Value> = trials
        .iter()
        .map(|t| {
            json!({
                "dtcm_budget_bytes": t.dtcm_bytes,
                "slots": t.slots,
                "replicas": t.replicas,
                "cores": t.cores,
                "router_cycles": t.cycles,
                "router_cycles_per_sample": t.cycles_per_sample(),
                "dumped": t.dumped,
            })
        })
        .collect();
    // The baseline's cut is not chosen (no goal) and holds one sample in flight; its
    // neurons are held to the same DTCM budget.
    let plan_json = match args.mapping {
        MappingKind::Blocks => json!({
            "goal": plan_goal.name(),
            "cut": "groups of tile and block cores",
            "dtcm_budget_bytes": options.plan.dtcm_bytes,
            "slots": options.plan.slots,
            "trials": trials_json,
        }),
        MappingKind::Spidnn => json!({
            "goal": null,
            "cut": "one neuron per core",
            "dtcm_budget_bytes": options.plan.dtcm_bytes,
            "slots": 1,
            "trials": trials_json,
        }),
    };
    let roof = report.roofline(&spec, &options.topology, &options.machine);
    let rate = report.machine_samples_per_second();
    let busiest = network.busiest_core();
    let busiest_share = |busy: u64| busy as f64 / r.cycles.max(1) as f64;
    let performance_json = json!({
        "roofline_samples_per_second": {
            "compute": roof.compute,
            "core_ingress": roof.ingress,
            "links": roof.links,
        },
        "fraction_of_lowest_roof": rate / roof.lowest(),
        "busiest_core": busiest.as_ref().map(|(vertex, busy)| json!({
            "vertex": vertex,
            "busy_router_cycles": busy,
            "share_of_machine_time": busiest_share(*busy),
        })),
    });
    let data_load_json = report.data_load.map(|load| {
        json!({
            "samples": load.samples,
            "bytes_per_chip": load.bytes_per_chip,
            "chips": load.chips,
            "host_link_seconds": load.host_link_seconds,
        })
    });
    let mut json_report = json!({
        "command": "train",
        "model": describe(&spec),
        "numeric": spec.numeric().name(),
        "loss": spec.loss().name(),
        "learning_rate": optimizer.learning_rate(),
        "learning_rate_used": used_rate,
        "momentum": optimizer.momentum(),
        "momentum_used": used_momentum,
        "batch_size": optimizer.batch_size(),
        "seed": spec.seed(),
        "data": source.to_string(),
        "training_samples": data.train.n_samples(),
        "test_samples": data.test.n_samples(),
        "machine": resolved.machine_name,
        "faults": faults.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "epochs": epochs,
        "resumed_after_epoch": epochs_done,
        "per_epoch": report.epochs.iter().map(|e| json!({
            "epoch": e.epoch,
            "loss": e.loss,
            "train_accuracy": e.train_accuracy,
            "test_loss": e.test.as_ref().map(|t| t.loss),
            "test_accuracy": e.test.as_ref().map(|t| t.accuracy),
        })).collect::<Vec<_>>(),
        "test_accuracy": test_accuracy,
        "machine_seconds": r.seconds,
        "training_machine_seconds": report.training_machine_seconds,
        "router_cycles": r.cycles,
        "machine_samples_per_second": report.machine_samples_per_second(),
        "host_seconds": host,
        "host_seconds_machine_batches": report.machine_host.as_secs_f64(),
        "host_seconds_golden": golden_host.as_secs_f64(),
        "packets": crate::report::packets_json(r),
        "retries": crate::report::retries_json(&report.retries, r),
        "largest_table": r.largest_table,
        "cores_used": r.cores_used,
        "mapping": args.mapping.name(),
        "plan": plan_json,
        "peak_dtcm_bytes": r.peak_dtcm_bytes,
        "energy_joules": r.energy_joules,
        "golden": golden_json,
        "router_load": crate::report::chip_loads_json(&chip_loads),
        "links": link_loads.as_deref().map(|l| crate::report::link_loads_json(l, r.cycles)),
    });
    json_report["data_load"] = json!(data_load_json);
    json_report["performance"] = performance_json;
    if let Some(dir) = &out_dir {
        let weights_path = dir.path().join("weights.npz");
        save_npz(&weights_path, &report.weights).with_context(|| {
            format!("writing the trained weights to {}", weights_path.display())
        })?;
        written.push(weights_path);
        let curves = crate::report::epoch_curves(&report.epochs);
        written.push(dir.write("loss.png", &curves.loss)?);
        written.push(dir.write("accuracy.png", &curves.accuracy)?);
        written.push(dir.write(
            "router-load.png",
            &crate::report::router_load_png(&resolved.machine_name, &chip_loads, layout),
        )?);
        if let Some(links) = &link_loads {
            written.push(dir.write(
                "links.png",
                &crate::report::links_png(&resolved.machine_name, links, r.cycles, layout),
            )?);
        }
        written.push(dir.write_json("report.json", &json_report)?);
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&json_report)?)?;
    } else {
        writeln!(out, "--- report")?;
        writeln!(
            out,
            "test accuracy:      {}",
            test_accuracy.map_or("n/a (no epochs)".into(), |a| format!("{:.2}%", 100.0 * a))
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
        match &report.data_load {
            Some(load) => writeln!(
                out,
                "data on machine:    {} samples ({} bytes) written once into the SDRAM of {} feeder chip(s), {:.3} s over the host link",
                load.samples, load.bytes_per_chip, load.chips, load.host_link_seconds
            )?,
            None => writeln!(
                out,
                "data on machine:    the training set does not fit a chip's SDRAM; each batch was streamed from the host"
            )?,
        }
        writeln!(
            out,
            "packets:            {} sent, {} delivered, {} dropped, {} dumped, {} re-injected",
            r.packets_sent, r.delivered, r.dropped, r.dumped, r.reinjected
        )?;
        if args.faults.drop_rate > 0.0 {
            writeln!(
                out,
                "transient faults:   {} hand-overs failed (drop rate {}), each dumped for the monitor to re-inject; {} lost",
                r.transient_drops, args.faults.drop_rate, r.dropped
            )?;
        }
        if args.faults.link_error_rate > 0.0 {
            writeln!(
                out,
                "link errors:        {} packets corrupted on links (error rate {}), {} discarded for bad parity",
                r.link_errors, args.faults.link_error_rate, r.parity_errors
            )?;
        }
        let retries = &report.retries;
        if retries.batches > 0 {
            writeln!(
                out,
                "retries:            {} batch attempts lost {} packets and were run again ({:.3} s of machine time)",
                retries.batches,
                retries.packets_lost,
                crate::report::retry_seconds(retries, r)
            )?;
        }
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
        if let Some((vertex, busy)) = &busiest {
            writeln!(
                out,
                "busiest core:       {vertex}, busy {:.1}% of machine time",
                100.0 * busiest_share(*busy)
            )?;
        }
        // A roof the run's traffic never touches (no link hops on one chip) is unbounded.
        let bound = |v: f64| {
            if v.is_finite() {
                format!("{v:.0}")
            } else {
                "unbounded".to_string()
            }
        };
        writeln!(
            out,
            "roofline:           compute {}, core ingress {}, links {} samples/s at this run's traffic; {:.1}% of the lowest reached",
            bound(roof.compute),
            bound(roof.ingress),
            bound(roof.links),
            100.0 * rate / roof.lowest()
        )?;
        writeln!(out, "energy:             {:.3} J", r.energy_joules)?;
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
        for path in &written {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    crate::report::check_recovered(r, &report.retries)?;
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
