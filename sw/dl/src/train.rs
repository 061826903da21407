//! The training loop: [`fit`] trains a [`Network`] on the machine epoch by epoch, in seeded
//! shuffled batches, evaluating on a test set after each epoch; [`evaluate`] and [`predict`]
//! run a data set forward. An [`Observer`] is called after every batch and every epoch: the
//! command line's progress bar is one, the golden reference's comparison (in `verif`) another.
//!
//! Batches: epoch `e` (from 1) visits the training samples in the order
//! [`shuffled_indices`]`(n, seed + e)` in chunks of the optimiser's batch size (the last one
//! may be shorter), so two runs with the same seed see the same batches. The training set is
//! written once into the SDRAM of the chips that hold the feeders before the first batch
//! ([`FitReport::data_load`] says what that cost); each batch then passes only its samples'
//! indices.

use crate::data::{shuffled_indices, Dataset};
use crate::machine::{
    Arith, BatchOutcome, DataLoad, Fixed, MachineError, MachineOptions, OnMachine, Parameters,
    Retries, Roofline, SpidnnError, SpidnnNetwork, F32,
};
use crate::model::{ModelSpec, NumericMode, Weights};
use spinn_runtime::MachineReport;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How a network is cut into cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingKind {
    /// The project's mapping ([`OnMachine`]): each layer's weights cut into blocks sized to a
    /// core's memory, with tile cores that sum their partials, several samples in flight and
    /// replicas.
    Blocks,
    /// The thesis prototype's mapping as a baseline ([`SpidnnNetwork`]): one neuron per core,
    /// one sample at a time, every error multicast to the whole layer below.
    Spidnn,
}

impl MappingKind {
    pub const ALL: [MappingKind; 2] = [MappingKind::Blocks, MappingKind::Spidnn];

    /// The name the command line and the reports use.
    pub fn name(self) -> &'static str {
        match self {
            MappingKind::Blocks => "blocks",
            MappingKind::Spidnn => "spidnn",
        }
    }
}

/// A network on the machine in its model's numeric mode, mapped the project's way or the
/// baseline's: every method works for each, so one training loop drives both.
pub enum Network {
    F32(OnMachine<F32>),
    Fixed(OnMachine<Fixed>),
    SpidnnF32(SpidnnNetwork<F32>),
    SpidnnFixed(SpidnnNetwork<Fixed>),
}

/// A layer's parameters in the machine's numeric mode.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterValues {
    F32(Vec<Parameters<f32>>),
    /// s16.15, as `value × 2^15`.
    Fixed(Vec<Parameters<i32>>),
}

/// Applies `$body` to the network whatever its mode and mapping, with `$on` bound to the
/// `OnMachine` or `SpidnnNetwork` (whose methods of one name share a signature) and `$a` to
/// its arithmetic.
macro_rules! on_any {
    ($network:expr, $on:ident, $a:ident => $body:expr) => {
        match $network {
            Network::F32($on) => {
                type $a = F32;
                $body
            }
            Network::Fixed($on) => {
                type $a = Fixed;
                $body
            }
            Network::SpidnnF32($on) => {
                type $a = F32;
                $body
            }
            Network::SpidnnFixed($on) => {
                type $a = Fixed;
                $body
            }
        }
    };
    ($network:expr, $on:ident => $body:expr) => {
        on_any!($network, $on, _A => $body)
    };
}

/// One batch's result with the outputs as `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub loss: Option<f64>,
    pub outputs: Vec<Vec<f32>>,
}

fn to_f32<A: Arith>(outcome: BatchOutcome<A::Value>) -> Outcome {
    Outcome {
        loss: outcome.loss,
        outputs: outcome
            .outputs
            .into_iter()
            .map(|o| o.into_iter().map(A::to_f32).collect())
            .collect(),
    }
}

impl Network {
    /// Plans, maps and loads `spec` with `weights`, in the model's numeric mode.
    pub fn new(
        spec: &ModelSpec,
        weights: &Weights,
        options: &MachineOptions,
    ) -> Result<Network, MachineError> {
        Network::resume(spec, weights, None, options)
    }

    /// As [`Network::new`], with a checkpoint's momentum velocities (named and shaped as the
    /// weights), so training continues exactly where it stopped.
    pub fn resume(
        spec: &ModelSpec,
        weights: &Weights,
        velocities: Option<&Weights>,
        options: &MachineOptions,
    ) -> Result<Network, MachineError> {
        Ok(match spec.numeric() {
            NumericMode::F32 => {
                Network::F32(OnMachine::resume(spec, weights, velocities, options)?)
            }
            NumericMode::Fixed => {
                Network::Fixed(OnMachine::resume(spec, weights, velocities, options)?)
            }
        })
    }

    /// As [`Network::resume`], mapped the thesis prototype's way (one neuron per core), or
    /// the error saying why the baseline cannot map `spec`.
    pub fn spidnn(
        spec: &ModelSpec,
        weights: &Weights,
        velocities: Option<&Weights>,
        options: &MachineOptions,
    ) -> Result<Network, SpidnnError> {
        Ok(match spec.numeric() {
            NumericMode::F32 => {
                Network::SpidnnF32(SpidnnNetwork::resume(spec, weights, velocities, options)?)
            }
            NumericMode::Fixed => {
                Network::SpidnnFixed(SpidnnNetwork::resume(spec, weights, velocities, options)?)
            }
        })
    }

    /// The options of the candidate plan that trains the batch `(x, y)` fastest, with every
    /// candidate's trial ([`crate::machine::choose`]; the project's mapping only: the
    /// baseline has one cut).
    pub fn fastest(
        spec: &ModelSpec,
        (weights, velocities): (&Weights, Option<&Weights>),
        options: &MachineOptions,
        batch: (&[&[f32]], &[&[f32]]),
    ) -> Result<(MachineOptions, Vec<crate::machine::Trial>), MachineError> {
        let start = (weights, velocities);
        match spec.numeric() {
            NumericMode::F32 => crate::machine::choose::fastest::<F32>(spec, start, options, batch),
            NumericMode::Fixed => {
                crate::machine::choose::fastest::<Fixed>(spec, start, options, batch)
            }
        }
    }

    /// [`Network::fastest`] timed on the first training batch of `train` in data order (not
    /// shuffled), so that a run and its resumption choose the same plan: what `spinn train`
    /// does under `--plan fastest`, its default.
    pub fn fastest_on_first_batch(
        spec: &ModelSpec,
        start: (&Weights, Option<&Weights>),
        options: &MachineOptions,
        train: &Dataset,
    ) -> Result<(MachineOptions, Vec<crate::machine::Trial>), MachineError> {
        let first: Vec<usize> = (0..spec.optimizer().batch_size().min(train.n_samples())).collect();
        let labels = one_hot(train, &first);
        let x: Vec<&[f32]> = first.iter().map(|&i| train.sample(i)).collect();
        let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
        Network::fastest(spec, start, options, (&x, &y))
    }

    /// Which mapping the network runs.
    pub fn mapping_kind(&self) -> MappingKind {
        match self {
            Network::F32(_) | Network::Fixed(_) => MappingKind::Blocks,
            Network::SpidnnF32(_) | Network::SpidnnFixed(_) => MappingKind::Spidnn,
        }
    }

    /// The optimiser's state: the momentum velocities as `f32`, named and shaped as the
    /// weights (`None` without momentum).
    pub fn velocities(&self) -> Option<Weights> {
        on_any!(self, on => on.velocity_weights())
    }

    pub fn spec(&self) -> &ModelSpec {
        on_any!(self, on => on.spec())
    }

    /// Copies of the network on the machine, each taking a share of every batch (the
    /// baseline runs one).
    pub fn replicas(&self) -> usize {
        match self {
            Network::F32(on) => on.replicas(),
            Network::Fixed(on) => on.replicas(),
            Network::SpidnnF32(_) | Network::SpidnnFixed(_) => 1,
        }
    }

    pub fn report(&self) -> MachineReport {
        on_any!(self, on => on.report())
    }

    /// The batches run again after the fabric lost packets of theirs. The baseline never
    /// runs a batch again (a lost packet stalls it, as in the thesis), so it has none.
    pub fn retries(&self) -> Retries {
        match self {
            Network::F32(on) => on.retries(),
            Network::Fixed(on) => on.retries(),
            Network::SpidnnF32(_) | Network::SpidnnFixed(_) => Retries::default(),
        }
    }

    /// Every router's load so far, in the machine's chip order.
    pub fn chip_loads(&self) -> Vec<spinn_model::ChipLoad> {
        on_any!(self, on => on.chip_loads())
    }

    /// Every link's busy cycles so far.
    pub fn link_loads(&self) -> Option<Vec<spinn_model::LinkLoad>> {
        on_any!(self, on => on.link_loads())
    }

    /// How the graph was cut into groups, tiles and blocks (`None` for the baseline, which
    /// puts one neuron on each core and has no plan).
    pub fn plan(&self) -> Option<&crate::machine::Plan> {
        match self {
            Network::F32(on) => Some(on.plan()),
            Network::Fixed(on) => Some(on.plan()),
            Network::SpidnnF32(_) | Network::SpidnnFixed(_) => None,
        }
    }

    pub fn mapping(&self) -> &spinn_toolchain::Mapping {
        on_any!(self, on => on.mapping())
    }

    pub fn stray_packets(&self) -> u64 {
        on_any!(self, on => on.stray_packets())
    }

    /// The weights as `f32` (exact from s16.15 for |w| < 256).
    pub fn weights(&self) -> Weights {
        on_any!(self, on => on.weights())
    }

    /// The parameters exactly as the cores hold them.
    pub fn parameters(&self) -> ParameterValues {
        match self {
            Network::F32(on) => ParameterValues::F32(on.parameters()),
            Network::Fixed(on) => ParameterValues::Fixed(on.parameters()),
            Network::SpidnnF32(on) => ParameterValues::F32(on.parameters()),
            Network::SpidnnFixed(on) => ParameterValues::Fixed(on.parameters()),
        }
    }

    pub fn train_batch(&mut self, x: &[&[f32]], y: &[&[f32]]) -> Result<Outcome, MachineError> {
        Ok(on_any!(self, on, A => to_f32::<A>(on.train_batch(x, y)?)))
    }

    /// Writes the training set into the feeder chips' SDRAM (see
    /// [`OnMachine::load_training_set`] and [`SpidnnNetwork::load_training_set`]).
    pub fn load_training_set(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<DataLoad, MachineError> {
        on_any!(self, on => on.load_training_set(x, y))
    }

    /// The busiest core and its busy router cycles (see [`OnMachine::busiest_core`]).
    pub fn busiest_core(&self) -> Option<(String, u64)> {
        on_any!(self, on => on.busiest_core())
    }

    /// What writing the training set on the machine cost, if one is there.
    pub fn data_load(&self) -> Option<DataLoad> {
        on_any!(self, on => on.data_load())
    }

    /// One SGD step on samples `indices` of the training set on the machine.
    pub fn train_resident(&mut self, indices: &[usize]) -> Result<Outcome, MachineError> {
        Ok(on_any!(self, on, A => to_f32::<A>(on.train_resident(indices)?)))
    }

    pub fn evaluate_batch(&mut self, x: &[&[f32]], y: &[&[f32]]) -> Result<Outcome, MachineError> {
        Ok(on_any!(self, on, A => to_f32::<A>(on.evaluate_batch(x, y)?)))
    }

    pub fn predict_batch(&mut self, x: &[&[f32]]) -> Result<Vec<Vec<f32>>, MachineError> {
        Ok(on_any!(self, on, A => on
            .predict_batch(x)?
            .into_iter()
            .map(|o| o.into_iter().map(<A as Arith>::to_f32).collect())
            .collect()))
    }
}

/// A batch just trained, as an observer sees it.
#[derive(Debug, Clone, Copy)]
pub struct BatchRecord<'a> {
    /// From 1.
    pub epoch: usize,
    /// From 1.
    pub batch: usize,
    pub batches: usize,
    /// The training samples of the batch, in order.
    pub indices: &'a [usize],
    pub x: &'a [&'a [f32]],
    /// One-hot labels.
    pub y: &'a [&'a [f32]],
    /// The machine's mean loss of the batch (before the update).
    pub loss: f64,
    /// Machine time the batch took, in router cycles.
    pub cycles: u64,
}

/// A data set's loss and accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
    /// `confusion[label][predicted]` sample counts.
    pub confusion: Vec<Vec<usize>>,
    /// Machine time the evaluation took, in router cycles.
    pub cycles: u64,
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSummary {
    /// From 1.
    pub epoch: usize,
    /// The mean of the batch losses, weighted by batch size.
    pub loss: f64,
    pub train_accuracy: f64,
    pub test: Option<Evaluation>,
}

/// What an observer can say: stop the run, naming why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct Stop(pub String);

/// Called after every batch and every epoch of [`fit`].
pub trait Observer {
    /// After a training batch; an `Err` stops training with that reason.
    fn batch(&mut self, network: &Network, record: &BatchRecord<'_>) -> Result<(), Stop>;

    /// After an epoch (and its evaluation).
    fn epoch(&mut self, network: &Network, summary: &EpochSummary) {
        let _ = (network, summary);
    }
}

/// An observer that does nothing.
pub struct Silent;

impl Observer for Silent {
    fn batch(&mut self, _network: &Network, _record: &BatchRecord<'_>) -> Result<(), Stop> {
        Ok(())
    }
}

/// Several observers, called in order.
impl Observer for Vec<&mut dyn Observer> {
    fn batch(&mut self, network: &Network, record: &BatchRecord<'_>) -> Result<(), Stop> {
        for o in self.iter_mut() {
            o.batch(network, record)?;
        }
        Ok(())
    }

    fn epoch(&mut self, network: &Network, summary: &EpochSummary) {
        for o in self.iter_mut() {
            o.epoch(network, summary);
        }
    }
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct FitReport {
    pub epochs: Vec<EpochSummary>,
    pub machine: MachineReport,
    /// Machine time spent on training batches (not on evaluation), in seconds.
    pub training_machine_seconds: f64,
    /// Packets delivered to cores and link hops in the training batches (not in evaluation).
    pub training_deliveries: u64,
    pub training_link_hops: u64,
    pub samples_trained: usize,
    /// Host time spent in the machine's training batches.
    pub machine_host: Duration,
    pub weights: Weights,
    /// Packets that reached a DNN core on a key it does not listen to.
    pub stray_packets: u64,
    /// Batches (training and evaluation) run again after lost packets, over the run.
    pub retries: Retries,
    /// Writing the training set into the feeder chips' SDRAM, once before the first batch
    /// (`None`: it did not fit a chip's SDRAM, and each batch was streamed instead).
    pub data_load: Option<DataLoad>,
}

impl FitReport {
    pub fn final_epoch(&self) -> Option<&EpochSummary> {
        self.epochs.last()
    }

    /// Training samples per second of machine time.
    pub fn machine_samples_per_second(&self) -> f64 {
        self.samples_trained as f64 / self.training_machine_seconds.max(f64::MIN_POSITIVE)
    }

    /// The roofline of `spec` on `topology` with `machine`'s costs and link timing, at the
    /// traffic this run's training batches moved per sample.
    pub fn roofline(
        &self,
        spec: &ModelSpec,
        topology: &spinn_arch::Machine,
        machine: &spinn_runtime::MachineConfig,
    ) -> Roofline {
        let per_sample = |n: u64| n as f64 / self.samples_trained.max(1) as f64;
        Roofline::new(
            spec,
            topology,
            machine,
            (
                per_sample(self.training_deliveries),
                per_sample(self.training_link_hops),
            ),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FitError {
    #[error("on the machine: {0}")]
    Machine(#[from] MachineError),
    /// The loss or the outputs stopped being numbers (a learning rate too large, say).
    #[error("training diverged at epoch {epoch}, batch {batch}: {detail}")]
    Diverged {
        epoch: usize,
        batch: usize,
        detail: String,
    },
    /// A core's range check found a fixed-point value beyond the declared bound (weights
    /// running away, or data or a model too large for s16.15).
    #[error("training left the s16.15 range at epoch {epoch}, batch {batch}: {error}")]
    OutOfRange {
        epoch: usize,
        batch: usize,
        error: MachineError,
    },
    #[error("stopped after epoch {epoch}, batch {batch}: {reason}")]
    Stopped {
        epoch: usize,
        batch: usize,
        reason: Stop,
    },
    #[error(
        "data set {what} has samples of {got} values, the model's input {shape} takes {expected}"
    )]
    Features {
        what: &'static str,
        got: usize,
        expected: usize,
        shape: String,
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

/// Checks that `data` fits the model: as many values per sample as its input (any shape with
/// that many elements, since the flat order is the same), one class per output.
pub fn check_data(spec: &ModelSpec, what: &'static str, data: &Dataset) -> Result<(), FitError> {
    if data.n_features != spec.inputs() {
        return Err(FitError::Features {
            what,
            got: data.n_features,
            expected: spec.inputs(),
            shape: spec.input_shape().to_string(),
        });
    }
    if data.n_classes != spec.outputs() {
        return Err(FitError::Classes {
            what,
            got: data.n_classes,
            expected: spec.outputs(),
        });
    }
    if data.n_samples() == 0 {
        return Err(FitError::Empty { what });
    }
    Ok(())
}

/// The one-hot label rows of `indices`.
pub fn one_hot(data: &Dataset, indices: &[usize]) -> Vec<Vec<f32>> {
    indices
        .iter()
        .map(|&i| {
            let mut y = vec![0.0; data.n_classes];
            y[data.labels[i] as usize] = 1.0;
            y
        })
        .collect()
}

/// The index of the largest output (the first, on ties).
pub fn argmax(outputs: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in outputs.iter().enumerate() {
        if v > outputs[best] {
            best = j;
        }
    }
    best
}

/// The test set's (or any labelled set's) mean loss, accuracy and confusion matrix, in
/// batches of the optimiser's batch size.
pub fn evaluate(network: &mut Network, data: &Dataset) -> Result<Evaluation, FitError> {
    evaluate_with_progress(network, data, &mut |_, _| {})
}

/// [`evaluate`], calling `progress(samples done, samples)` after every batch.
pub fn evaluate_with_progress(
    network: &mut Network,
    data: &Dataset,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Evaluation, FitError> {
    check_data(network.spec(), "evaluated", data)?;
    let batch = network.spec().optimizer().batch_size();
    let classes = data.n_classes;
    let mut confusion = vec![vec![0; classes]; classes];
    let indices: Vec<usize> = (0..data.n_samples()).collect();
    let before = network.report().cycles;
    let (mut loss, mut correct) = (0.0, 0);
    for chunk in indices.chunks(batch) {
        let x: Vec<&[f32]> = chunk.iter().map(|&i| data.sample(i)).collect();
        let ys = one_hot(data, chunk);
        let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
        let out = network.evaluate_batch(&x, &y)?;
        loss += out.loss.unwrap_or(f64::NAN) * chunk.len() as f64;
        for (o, &i) in out.outputs.iter().zip(chunk) {
            let (label, predicted) = (data.labels[i] as usize, argmax(o));
            confusion[label][predicted] += 1;
            correct += usize::from(label == predicted);
        }
        progress(chunk.last().map_or(0, |&i| i + 1), data.n_samples());
    }
    let n = data.n_samples() as f64;
    Ok(Evaluation {
        loss: loss / n,
        accuracy: correct as f64 / n,
        confusion,
        cycles: network.report().cycles - before,
    })
}

/// Every sample's outputs (class probabilities for a softmax model), in order.
pub fn predict(network: &mut Network, data: &Dataset) -> Result<Vec<Vec<f32>>, FitError> {
    if data.n_features != network.spec().inputs() {
        return Err(FitError::Features {
            what: "predicted",
            got: data.n_features,
            expected: network.spec().inputs(),
            shape: network.spec().input_shape().to_string(),
        });
    }
    let batch = network.spec().optimizer().batch_size();
    let mut outputs = Vec::with_capacity(data.n_samples());
    let indices: Vec<usize> = (0..data.n_samples()).collect();
    for chunk in indices.chunks(batch) {
        let x: Vec<&[f32]> = chunk.iter().map(|&i| data.sample(i)).collect();
        outputs.extend(network.predict_batch(&x)?);
    }
    Ok(outputs)
}

/// A batch loss this many times the run's first (or 1, if that is larger: a run resumed from
/// trained weights starts low and its batch losses vary far more than its first) is taken as
/// divergence: training lowers the loss, and a loss that has grown this far (cross-entropy
/// clips, so it stays finite) means the weights are running away.
pub const DIVERGED_LOSS_FACTOR: f64 = 3.0;

/// Trains `network` for `epochs` epochs on `train`, evaluating on `test` after each, calling
/// `observer` after every batch and epoch.
pub fn fit(
    network: &mut Network,
    train: &Dataset,
    test: Option<&Dataset>,
    epochs: usize,
    observer: &mut dyn Observer,
) -> Result<FitReport, FitError> {
    fit_epochs(network, train, test, 1..=epochs, observer)
}

/// As [`fit`] for epochs `epochs` only (numbered from 1): a run resumed from a checkpoint
/// taken after epoch `k` continues with `k + 1..=n` and sees the batches an uninterrupted run
/// would.
pub fn fit_epochs(
    network: &mut Network,
    train: &Dataset,
    test: Option<&Dataset>,
    epochs: std::ops::RangeInclusive<usize>,
    observer: &mut dyn Observer,
) -> Result<FitReport, FitError> {
    let spec = network.spec().clone();
    check_data(&spec, "train", train)?;
    if let Some(test) = test {
        check_data(&spec, "test", test)?;
    }
    let batch = spec.optimizer().batch_size();
    let n = train.n_samples();
    // The training set goes into the feeder chips' SDRAM once; each batch then names its
    // samples by index. A set larger than a chip's SDRAM (4 bytes a value) is streamed batch
    // by batch instead, as the host would have to.
    let data_load = {
        let all: Vec<usize> = (0..n).collect();
        let ys = one_hot(train, &all);
        let x: Vec<&[f32]> = all.iter().map(|&i| train.sample(i)).collect();
        let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
        match network.load_training_set(&x, &y) {
            Ok(load) => Some(load),
            Err(MachineError::Memory(_)) => None,
            Err(error) => return Err(error.into()),
        }
    };
    let mut machine_host = Duration::ZERO;
    let mut training_cycles = 0u64;
    let (mut training_deliveries, mut training_link_hops) = (0u64, 0u64);
    let mut summaries = Vec::new();
    let n_epochs = epochs.clone().count();
    // The first batch's loss of this call: the yardstick for divergence.
    let mut first_loss: Option<f64> = None;
    for epoch in epochs {
        let order = shuffled_indices(n, spec.seed().wrapping_add(epoch as u64));
        let batches = n.div_ceil(batch);
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        for (b, chunk) in order.chunks(batch).enumerate() {
            let x: Vec<&[f32]> = chunk.iter().map(|&i| train.sample(i)).collect();
            let ys = one_hot(train, chunk);
            let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
            let before = network.report();
            let started = Instant::now();
            let diverged = |detail: String| FitError::Diverged {
                epoch,
                batch: b + 1,
                detail,
            };
            let trained = match data_load {
                Some(_) => network.train_resident(chunk),
                None => network.train_batch(&x, &y),
            };
            let out = match trained {
                Err(MachineError::NonFinite { sample }) => {
                    return Err(diverged(format!(
                        "the machine's outputs are not numbers from sample {sample} of the batch on"
                    )))
                }
                Err(error @ MachineError::OutOfRange { .. }) => {
                    return Err(FitError::OutOfRange {
                        epoch,
                        batch: b + 1,
                        error,
                    })
                }
                other => other?,
            };
            if let Some(loss) = out.loss {
                let first = *first_loss.get_or_insert(loss);
                if !loss.is_finite() {
                    return Err(diverged(format!("the machine's loss is {loss}")));
                }
                if loss > DIVERGED_LOSS_FACTOR * first.max(1.0) {
                    return Err(diverged(format!(
                        "the machine's batch loss {loss:.4} is more than {DIVERGED_LOSS_FACTOR} \
                         times the first batch's {first:.4} or 1, whichever is larger (is the \
                         learning rate too large?)"
                    )));
                }
            }
            machine_host += started.elapsed();
            let after = network.report();
            let cycles = after.cycles - before.cycles;
            training_cycles += cycles;
            training_deliveries += after.delivered - before.delivered;
            training_link_hops += after.link_hops - before.link_hops;
            let loss = out.loss.unwrap_or(f64::NAN);
            loss_sum += loss * chunk.len() as f64;
            correct += out
                .outputs
                .iter()
                .zip(chunk)
                .filter(|(o, &i)| argmax(o) == train.labels[i] as usize)
                .count();
            let record = BatchRecord {
                epoch,
                batch: b + 1,
                batches,
                indices: chunk,
                x: &x,
                y: &y,
                loss,
                cycles,
            };
            observer
                .batch(network, &record)
                .map_err(|reason| FitError::Stopped {
                    epoch,
                    batch: b + 1,
                    reason,
                })?;
        }
        let test = match test {
            Some(test) => Some(evaluate(network, test)?),
            None => None,
        };
        let summary = EpochSummary {
            epoch,
            loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            test,
        };
        observer.epoch(network, &summary);
        summaries.push(summary);
    }
    let machine = network.report();
    let seconds_per_cycle = machine.seconds / machine.cycles.max(1) as f64;
    Ok(FitReport {
        epochs: summaries,
        training_machine_seconds: training_cycles as f64 * seconds_per_cycle,
        training_deliveries,
        training_link_hops,
        samples_trained: n * n_epochs,
        machine,
        machine_host,
        weights: network.weights(),
        stray_packets: network.stray_packets(),
        retries: network.retries(),
        data_load,
    })
}
