//! The golden reference beside the machine: [`GoldenObserver`] is an observer of the library's
//! training loop ([`spinn_dl::train::fit`]) that trains the golden graph network on the same
//! batches from the same initial weights and compares every weight, bias and batch loss with
//! the machine's after every batch (bit for bit in fixed point; `max |m − g| / max(1, |g|)` in
//! `f32`), timing the reference's host time on its own.
//!
//! [`train`] composes the two (what `spinn train`, the equality tests and the training
//! benchmark run).

use crate::golden::from_spec::{f32_graph, fixed_graph, node_params};
use crate::golden::s16_15::to_fixed;
use crate::golden::{Fixed, FixedLimits, GoldenError, GraphNetwork, NodeParams, Numeric, F32};
use ndarray::Array2;
use spinn_dl::machine::{MachineError, MachineOptions, Parameters};
use spinn_dl::train::{
    fit, BatchRecord, FitError, FitReport, Network, Observer, ParameterValues, Stop,
};
use spinn_dl::{Dataset, ModelSpec, NumericMode, Weights};
use std::time::{Duration, Instant};
use thiserror::Error;

/// The tolerance of the `f32` comparison (issue 5: within 1e−5 after one epoch).
pub const F32_TOLERANCE: f64 = 1e-5;

/// The bound the fixed-point reference's overflow proof uses (512.0).
pub const FIXED_LIMITS: FixedLimits = FixedLimits {
    max_abs: spinn_dl::FIXED_MAX_ABS,
};

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

/// The golden network in the model's numeric mode.
enum Golden {
    F32(GraphNetwork<F32>),
    Fixed(GraphNetwork<Fixed>),
}

/// Trains the golden reference beside the machine and compares after every batch.
pub struct GoldenObserver {
    golden: Golden,
    check: GoldenCheck,
    host: Duration,
    inputs: usize,
    outputs: usize,
}

impl GoldenObserver {
    /// The reference for `spec` starting from `weights` (rounded to s16.15 in fixed point).
    pub fn new(spec: &ModelSpec, weights: &Weights) -> Result<GoldenObserver, GoldenError> {
        GoldenObserver::resume(spec, weights, None)
    }

    /// As [`GoldenObserver::new`], continuing from a checkpoint's momentum velocities.
    pub fn resume(
        spec: &ModelSpec,
        weights: &Weights,
        velocities: Option<&Weights>,
    ) -> Result<GoldenObserver, GoldenError> {
        let golden = match spec.numeric() {
            NumericMode::F32 => {
                let mut g = f32_graph(spec, weights)?;
                if let Some(v) = velocities {
                    g = g.with_velocities(node_params(spec, v)?)?;
                }
                Golden::F32(g)
            }
            NumericMode::Fixed => {
                let mut g = fixed_graph(spec, weights, FIXED_LIMITS)?;
                if let Some(v) = velocities {
                    let v = node_params(spec, v)?
                        .into_iter()
                        .map(|p| NodeParams {
                            name: p.name,
                            kernel: p.kernel.iter().map(|&w| to_fixed(f64::from(w))).collect(),
                            bias: p.bias.iter().map(|&w| to_fixed(f64::from(w))).collect(),
                        })
                        .collect();
                    g = g.with_velocities(v)?;
                }
                Golden::Fixed(g)
            }
        };
        Ok(GoldenObserver {
            golden,
            check: GoldenCheck {
                batches_compared: 0,
                exact: true,
                worst_relative: 0.0,
            },
            host: Duration::ZERO,
            inputs: spec.inputs(),
            outputs: spec.outputs(),
        })
    }

    pub fn check(&self) -> GoldenCheck {
        self.check
    }

    /// Host time spent in the reference's training.
    pub fn host(&self) -> Duration {
        self.host
    }

    fn train<M: Numeric>(
        golden: &mut GraphNetwork<M>,
        record: &BatchRecord<'_>,
        (inputs, outputs): (usize, usize),
        value: impl Fn(f32) -> M::Value,
    ) -> Result<f64, GoldenError> {
        let n = record.x.len();
        let gx = Array2::from_shape_fn((n, inputs), |(r, c)| value(record.x[r][c]));
        let gy = Array2::from_shape_fn((n, outputs), |(r, c)| value(record.y[r][c]));
        golden.train_batch(gx.view(), gy.view())
    }
}

/// Compares every parameter with the reference's: exact equality, and the worst relative
/// difference.
fn compare<V: Copy + PartialEq>(
    machine: &[Parameters<V>],
    golden: &[NodeParams<V>],
    to_f64: impl Fn(V) -> f64,
    check: &mut GoldenCheck,
) {
    for (m, g) in machine.iter().zip(golden) {
        let machine_values = m.kernel.iter().chain(&m.bias);
        let golden_values = g.kernel.iter().chain(&g.bias);
        for (&m, &g) in machine_values.zip(golden_values) {
            if m != g {
                check.exact = false;
                let relative = (to_f64(m) - to_f64(g)).abs() / to_f64(g).abs().max(1.0);
                check.worst_relative = check.worst_relative.max(relative);
            }
        }
    }
}

impl Observer for GoldenObserver {
    fn batch(&mut self, network: &Network, record: &BatchRecord<'_>) -> Result<(), Stop> {
        let shape = (self.inputs, self.outputs);
        let started = Instant::now();
        let loss = match &mut self.golden {
            Golden::F32(g) => Self::train(g, record, shape, |v| v),
            Golden::Fixed(g) => Self::train(g, record, shape, |v| to_fixed(f64::from(v))),
        };
        self.host += started.elapsed();
        let loss = loss.map_err(|e| Stop(format!("the golden reference: {e}")))?;
        if !loss.is_finite() {
            return Err(Stop(format!(
                "training diverged: the golden reference's loss is {loss}"
            )));
        }
        self.check.batches_compared += 1;
        self.check.exact &= loss.to_bits() == record.loss.to_bits();
        match (network.parameters(), &self.golden) {
            (ParameterValues::F32(m), Golden::F32(g)) => {
                compare(&m, g.params(), f64::from, &mut self.check)
            }
            (ParameterValues::Fixed(m), Golden::Fixed(g)) => {
                compare(&m, g.params(), |v| f64::from(v) / 32768.0, &mut self.check)
            }
            _ => {
                return Err(Stop(
                    "the machine and the reference train in different modes".into(),
                ))
            }
        }
        Ok(())
    }
}

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

/// The whole run, with the comparison.
#[derive(Debug, Clone)]
pub struct TrainingReport {
    pub fit: FitReport,
    pub golden: Option<GoldenCheck>,
    /// Host time spent in the reference's training.
    pub golden_host: Duration,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainingError {
    #[error("on the machine: {0}")]
    Machine(#[from] MachineError),
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error("in the golden reference: {0}")]
    Golden(#[from] GoldenError),
}

/// Trains `run.spec` on the machine (and the reference, if asked) with `progress` observing
/// the run after the golden comparison.
pub fn train(
    run: &TrainingRun<'_>,
    progress: &mut dyn Observer,
) -> Result<TrainingReport, TrainingError> {
    let mut network = Network::new(run.spec, &run.weights, &run.options)?;
    let mut golden = if run.golden {
        Some(GoldenObserver::new(run.spec, &run.weights)?)
    } else {
        None
    };
    let fit = {
        let mut observers: Vec<&mut dyn Observer> = Vec::new();
        if let Some(g) = golden.as_mut() {
            observers.push(g);
        }
        observers.push(progress);
        fit(
            &mut network,
            run.train,
            Some(run.test),
            run.epochs,
            &mut observers,
        )?
    };
    Ok(TrainingReport {
        fit,
        golden: golden.as_ref().map(GoldenObserver::check),
        golden_host: golden.as_ref().map_or(Duration::ZERO, GoldenObserver::host),
    })
}
