//! `spinn eval` and `spinn predict`: trained weights run forward on the machine over a data
//! set, split as `train` splits it, so `eval` of the weights `train` wrote gives the test
//! accuracy `train` reported.

use crate::report::OutDir;
use crate::setup::{ModelChoice, Split};
use anyhow::Context;
use serde_json::json;
use spinn_dl::machine::MachineOptions;
use spinn_dl::train::{argmax, evaluate_with_progress, predict, MappingKind, Network};
use spinn_dl::{DataSource, Dataset};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// What `eval` and `predict` were asked for.
#[derive(Debug, Clone)]
pub struct ForwardArgs {
    pub model: ModelChoice,
    pub data: DataSource,
    pub test_fraction: f64,
    pub weights_in: PathBuf,
    pub split: Split,
    /// Only the first this many samples of the split.
    pub samples: Option<usize>,
    /// The project's mapping or the SpiDNN baseline.
    pub mapping: MappingKind,
    pub progress: bool,
}

/// The network loaded with the weights, and the samples to run.
struct Loaded {
    network: Network,
    samples: Dataset,
    machine_name: String,
    machine_text: String,
}

fn load(args: &ForwardArgs) -> anyhow::Result<Loaded> {
    let resolved = args.model.resolve()?;
    let weights = crate::setup::weights(&resolved.spec, Some(&args.weights_in))?;
    let data = crate::setup::load_data(&args.data, args.test_fraction, resolved.spec.seed())?;
    let mut samples = data.samples(args.split);
    if let Some(n) = args.samples {
        if n == 0 {
            anyhow::bail!("--samples must be at least 1");
        }
        let n = n.min(samples.n_samples());
        samples = samples.subset(&(0..n).collect::<Vec<_>>());
    }
    spinn_dl::train::check_data(&resolved.spec, split_name(args.split), &samples)?;
    let options = MachineOptions::on(resolved.topology.clone());
    let network = match args.mapping {
        MappingKind::Blocks => Network::new(&resolved.spec, &weights, &options)
            .context("mapping the model onto the machine")?,
        MappingKind::Spidnn => Network::spidnn(&resolved.spec, &weights, None, &options)
            .context("mapping the model onto the machine")?,
    };
    Ok(Loaded {
        network,
        samples,
        machine_name: resolved.machine_name,
        machine_text: resolved.machine_text,
    })
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Test => "test",
        Split::Train => "train",
        Split::All => "all",
    }
}

pub fn eval(
    args: &ForwardArgs,
    json_out: bool,
    out_dir: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let out_dir = out_dir.map(OutDir::prepare).transpose()?;
    let Loaded {
        mut network,
        samples,
        machine_name,
        machine_text,
    } = load(args)?;
    let mut bar = crate::progress::Bar::new(args.progress);
    let e = evaluate_with_progress(&mut network, &samples, &mut |done, total| {
        bar.draw("eval", done as u64, total as u64, "samples", "")
    })
    .context("evaluating on the machine")?;
    bar.clear();
    let r = network.report();
    let chip_loads = network.chip_loads();
    let report = json!({
        "command": "eval",
        "model": crate::train::describe(network.spec()),
        "weights": args.weights_in.display().to_string(),
        "data": args.data.to_string(),
        "split": split_name(args.split),
        "samples": samples.n_samples(),
        "loss": e.loss,
        "accuracy": e.accuracy,
        "confusion": e.confusion,
        "machine": machine_name,
        "mapping": args.mapping.name(),
        "machine_seconds": r.seconds,
        "router_cycles": r.cycles,
        "host_seconds": started.elapsed().as_secs_f64(),
        "packets": crate::report::packets_json(&r),
        "retries": crate::report::retries_json(&network.retries(), &r),
        "cores_used": r.cores_used,
        "energy_joules": r.energy_joules,
        "router_load": crate::report::chip_loads_json(&chip_loads),
    });
    let mut written = Vec::new();
    if let Some(dir) = &out_dir {
        written.push(dir.write(
            "router-load.png",
            &crate::report::router_load_png(
                &machine_name,
                &chip_loads,
                crate::report::layout_of(&machine_text),
            ),
        )?);
        written.push(dir.write_json("report.json", &report)?);
    }
    if json_out {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "eval: {} {} samples of {} on {machine_name}, weights {}",
            samples.n_samples(),
            split_name(args.split),
            args.data,
            args.weights_in.display()
        )?;
        writeln!(
            out,
            "loss {:.4}, accuracy {:.2}% ({} of {})",
            e.loss,
            100.0 * e.accuracy,
            e.confusion
                .iter()
                .enumerate()
                .map(|(i, row)| row[i])
                .sum::<usize>(),
            samples.n_samples()
        )?;
        writeln!(out, "confusion (rows: label, columns: predicted):")?;
        let width = e
            .confusion
            .iter()
            .flatten()
            .max()
            .map_or(1, |m| m.to_string().len())
            .max(2);
        write!(out, "{:>5}", "")?;
        for p in 0..e.confusion.len() {
            write!(out, " {p:>width$}")?;
        }
        writeln!(out)?;
        for (label, row) in e.confusion.iter().enumerate() {
            write!(out, "{label:>5}")?;
            for n in row {
                write!(out, " {n:>width$}")?;
            }
            writeln!(out)?;
        }
        writeln!(
            out,
            "machine time {:.3} s ({} router cycles), {} packets delivered, {} dropped, energy {:.3} J",
            r.seconds, r.cycles, r.delivered, r.dropped, r.energy_joules
        )?;
        for path in &written {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    crate::report::check_recovered(&r, &network.retries())?;
    Ok(())
}

pub fn predict_csv(
    args: &ForwardArgs,
    csv: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(path) = csv {
        crate::commands::check_writable(path)?;
    }
    let Loaded {
        mut network,
        samples,
        ..
    } = load(args)?;
    let outputs = predict(&mut network, &samples).context("predicting on the machine")?;
    let mut text = String::from("sample,label,predicted");
    let n_classes = outputs.first().map_or(0, Vec::len);
    for c in 0..n_classes {
        text.push_str(&format!(",p{c}"));
    }
    text.push('\n');
    let mut correct = 0;
    for (i, probabilities) in outputs.iter().enumerate() {
        let predicted = argmax(probabilities);
        correct += (predicted == samples.labels[i] as usize) as usize;
        text.push_str(&format!("{i},{},{predicted}", samples.labels[i]));
        for p in probabilities {
            text.push_str(&format!(",{p}"));
        }
        text.push('\n');
    }
    match csv {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                out,
                "wrote {} ({} samples, {} predicted correctly)",
                path.display(),
                outputs.len(),
                correct
            )?;
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
