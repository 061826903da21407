//! Training on the simulated machine side by side with the golden reference: the same model,
//! initial weights, data and batch order on both, the machine's weights compared with the
//! reference's after every batch (bit for bit in fixed point; `max |m − g| / max(1, |g|)` in
//! `f32`), and the host time of each measured separately.
//!
//! This is what `spinn train` and the training benchmark run; the equality tests use it too.

use crate::golden::from_spec::{f32_network, fixed_network};
use crate::golden::s16_15::to_fixed;
use crate::golden::{FixedLimits, GoldenError, Network, Numeric};
use ndarray::Array2;
use spinn_dl::machine::{self, Arith, MachineError, MachineOptions, OnMachine};
use spinn_dl::{shuffled_indices, Dataset, ModelSpec, NumericMode, Optimizer, Weights};
use spinn_runtime::MachineReport;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The tolerance of the `f32` comparison (issue 5: within 1e−5 after one epoch).
pub const F32_TOLERANCE: f64 = 1e-5;

/// The bound the fixed-point reference's overflow proof uses (512.0).
pub const FIXED_LIMITS: FixedLimits = FixedLimits { max_abs: 1 << 24 };

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainingRun<'a> {
    pub spec: &'a ModelSpec,
    /// The initial weights.
    pub weights: Weights,
    pub train: &'a Dataset,
    pub test: &'a Dataset,
    pub epochs: usize,
    pub options: MachineOptions,
    /// Train the golden reference alongside and compare after every batch.
    pub golden: bool,
}

/// How the machine compared with the reference so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoldenCheck {
    pub batches_compared: usize,
    /// Every weight, bias and batch loss equal bit for bit after every batch compared.
    pub exact: bool,
    /// The largest `|m − g| / max(1, |g|)` over every weight and bias after any batch.
    pub worst_relative: f64,
}

impl GoldenCheck {
    /// Whether the run meets the equality criterion of its numeric mode.
    pub fn matches(&self, numeric: NumericMode) -> bool {
        match numeric {
            NumericMode::Fixed => self.exact,
            NumericMode::F32 => self.worst_relative <= F32_TOLERANCE,
        }
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSummary {
    /// From 1.
    pub epoch: usize,
    /// The mean of the batch losses, weighted by batch size.
    pub loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
    pub golden: Option<GoldenCheck>,
}

/// What the caller is told as the run goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Batch {
        epoch: usize,
        batch: usize,
        batches: usize,
        loss: f64,
    },
    Epoch(EpochSummary),
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct TrainingReport {
    pub epochs: Vec<EpochSummary>,
    pub machine: MachineReport,
    /// Machine time spent on training batches (not on evaluation).
    pub training_machine_seconds: f64,
    pub samples_trained: usize,
    /// Host time spent in the machine's training batches, and in the reference's.
    pub machine_host: Duration,
    pub golden_host: Duration,
    pub golden: Option<GoldenCheck>,
    pub weights: Weights,
    /// Packets that reached a DNN core on a key it does not listen to.
    pub stray_packets: u64,
}

impl TrainingReport {
    pub fn final_epoch(&self) -> Option<&EpochSummary> {
        self.epochs.last()
    }

    /// Training samples per second of machine time.
    pub fn machine_samples_per_second(&self) -> f64 {
        self.samples_trained as f64 / self.training_machine_seconds.max(f64::MIN_POSITIVE)
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainingError {
    #[error("on the machine: {0}")]
    Machine(#[from] MachineError),
    #[error("in the golden reference: {0}")]
    Golden(#[from] GoldenError),
    #[error("data set {what} has {got} features per sample, the model takes {expected}")]
    Features {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("data set {what} has {got} classes, the model has {expected} outputs")]
    Classes {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("data set {what} is empty")]
    Empty { what: &'static str },
}

/// A machine mode with its reference mode.
trait Pairing {
    type Machine: Arith;
    type Golden: Numeric<Value = <Self::Machine as Arith>::Value>;
    fn golden(spec: &ModelSpec, weights: &Weights) -> Result<Network<Self::Golden>, GoldenError>;
    /// A data value as the reference takes it.
    fn value(v: f32) -> <Self::Machine as Arith>::Value;
}

struct FloatPairing;

impl Pairing for FloatPairing {
    type Machine = machine::F32;
    type Golden = crate::golden::F32;
    fn golden(spec: &ModelSpec, weights: &Weights) -> Result<Network<Self::Golden>, GoldenError> {
        f32_network(spec, weights)
    }
    fn value(v: f32) -> f32 {
        v
    }
}

struct FixedPairing;

impl Pairing for FixedPairing {
    type Machine = machine::Fixed;
    type Golden = crate::golden::Fixed;
    fn golden(spec: &ModelSpec, weights: &Weights) -> Result<Network<Self::Golden>, GoldenError> {
        fixed_network(spec, weights, FIXED_LIMITS)
    }
    fn value(v: f32) -> i32 {
        to_fixed(f64::from(v))
    }
}

/// Trains `run.spec` on the machine (and the reference, if asked), calling `progress` after
/// every batch and epoch.
pub fn train(
    run: &TrainingRun<'_>,
    progress: impl FnMut(Progress),
) -> Result<TrainingReport, TrainingError> {
    for (what, data) in [("train", run.train), ("test", run.test)] {
        if data.n_features != run.spec.inputs() {
            return Err(TrainingError::Features {
                what,
                got: data.n_features,
                expected: run.spec.inputs(),
            });
        }
        if data.n_classes != run.spec.outputs() {
            return Err(TrainingError::Classes {
                what,
                got: data.n_classes,
                expected: run.spec.outputs(),
            });
        }
        if data.n_samples() == 0 {
            return Err(TrainingError::Empty { what });
        }
    }
    match run.spec.numeric() {
        NumericMode::F32 => train_in::<FloatPairing>(run, progress),
        NumericMode::Fixed => train_in::<FixedPairing>(run, progress),
    }
}

fn one_hot(data: &Dataset, i: usize) -> Vec<f32> {
    let mut y = vec![0.0; data.n_classes];
    y[data.labels[i] as usize] = 1.0;
    y
}

fn argmax<A: Arith>(outputs: &[A::Value]) -> usize {
    let mut best = 0;
    for (j, &v) in outputs.iter().enumerate() {
        if A::to_f32(v) > A::to_f32(outputs[best]) {
            best = j;
        }
    }
    best
}

/// Samples whose largest output is their label.
fn hits<A: Arith>(outputs: &[Vec<A::Value>], data: &Dataset, indices: &[usize]) -> usize {
    outputs
        .iter()
        .zip(indices)
        .filter(|(o, &i)| argmax::<A>(o) == data.labels[i] as usize)
        .count()
}

fn batch_size(spec: &ModelSpec) -> usize {
    match spec.optimizer() {
        Optimizer::Sgd { batch_size, .. } => batch_size,
    }
}

/// The test set's mean loss and accuracy, evaluated on the machine.
fn evaluate<A: Arith>(
    on: &mut OnMachine<A>,
    data: &Dataset,
    batch: usize,
) -> Result<(f64, f64), TrainingError> {
    let indices: Vec<usize> = (0..data.n_samples()).collect();
    let (mut loss, mut correct) = (0.0, 0);
    for chunk in indices.chunks(batch) {
        let x: Vec<&[f32]> = chunk.iter().map(|&i| data.sample(i)).collect();
        let ys: Vec<Vec<f32>> = chunk.iter().map(|&i| one_hot(data, i)).collect();
        let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
        let out = on.evaluate_batch(&x, &y)?;
        loss += out.loss.unwrap_or(f64::NAN) * chunk.len() as f64;
        correct += hits::<A>(&out.outputs, data, chunk);
    }
    let n = data.n_samples() as f64;
    Ok((loss / n, correct as f64 / n))
}

fn train_in<P: Pairing>(
    run: &TrainingRun<'_>,
    mut progress: impl FnMut(Progress),
) -> Result<TrainingReport, TrainingError> {
    let spec = run.spec;
    let batch = batch_size(spec);
    let mut on = OnMachine::<P::Machine>::new(spec, &run.weights, &run.options)?;
    let mut golden = if run.golden {
        Some(P::golden(spec, &run.weights)?)
    } else {
        None
    };
    let mut check = GoldenCheck {
        batches_compared: 0,
        exact: true,
        worst_relative: 0.0,
    };
    let (mut machine_host, mut golden_host) = (Duration::ZERO, Duration::ZERO);
    let mut training_cycles = 0u64;
    let mut epochs = Vec::new();
    let data = run.train;
    let n = data.n_samples();
    for epoch in 1..=run.epochs {
        let order = shuffled_indices(n, spec.seed().wrapping_add(epoch as u64));
        let batches = n.div_ceil(batch);
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        for (b, chunk) in order.chunks(batch).enumerate() {
            let x: Vec<&[f32]> = chunk.iter().map(|&i| data.sample(i)).collect();
            let ys: Vec<Vec<f32>> = chunk.iter().map(|&i| one_hot(data, i)).collect();
            let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
            let cycles_before = on.report().cycles;
            let started = Instant::now();
            let out = on.train_batch(&x, &y)?;
            machine_host += started.elapsed();
            training_cycles += on.report().cycles - cycles_before;
            let loss = out.loss.unwrap_or(f64::NAN);
            loss_sum += loss * chunk.len() as f64;
            correct += hits::<P::Machine>(&out.outputs, data, chunk);
            if let Some(golden) = golden.as_mut() {
                let gx =
                    Array2::from_shape_fn((chunk.len(), spec.inputs()), |(r, c)| P::value(x[r][c]));
                let gy = Array2::from_shape_fn((chunk.len(), spec.outputs()), |(r, c)| {
                    P::value(y[r][c])
                });
                let started = Instant::now();
                let golden_loss = golden.train_batch(gx.view(), gy.view())?;
                golden_host += started.elapsed();
                compare::<P>(&on, golden, golden_loss, loss, &mut check);
            }
            progress(Progress::Batch {
                epoch,
                batch: b + 1,
                batches,
                loss,
            });
        }
        let (test_loss, test_accuracy) = evaluate(&mut on, run.test, batch)?;
        let summary = EpochSummary {
            epoch,
            loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            test_loss,
            test_accuracy,
            golden: golden.is_some().then_some(check),
        };
        progress(Progress::Epoch(summary.clone()));
        epochs.push(summary);
    }
    let machine = on.report();
    let seconds_per_cycle = machine.seconds / machine.cycles.max(1) as f64;
    Ok(TrainingReport {
        epochs,
        training_machine_seconds: training_cycles as f64 * seconds_per_cycle,
        samples_trained: n * run.epochs,
        machine,
        machine_host,
        golden_host,
        golden: golden.is_some().then_some(check),
        weights: on.weights(),
        stray_packets: on.stray_packets(),
    })
}

/// Compares every parameter and the batch loss with the reference's.
fn compare<P: Pairing>(
    on: &OnMachine<P::Machine>,
    golden: &Network<P::Golden>,
    golden_loss: f64,
    machine_loss: f64,
    check: &mut GoldenCheck,
) {
    check.batches_compared += 1;
    check.exact &= golden_loss.to_bits() == machine_loss.to_bits();
    let f = |v: V<P>| f64::from(<P::Machine as Arith>::to_f32(v));
    type V<P> = <<P as Pairing>::Machine as Arith>::Value;
    for (p, g) in on.parameters().iter().zip(golden.layers()) {
        let machine = p.kernel.iter().chain(&p.bias);
        let reference = g.kernel.iter().chain(g.bias.iter());
        for (&m, &g) in machine.zip(reference) {
            if m != g {
                check.exact = false;
                let relative = (f(m) - f(g)).abs() / f(g).abs().max(1.0);
                check.worst_relative = check.worst_relative.max(relative);
            }
        }
    }
}
