//! The host side of a network on the machine: plan the graph, build its machine graph, map
//! and load it, then stream batches through the feeder and read results back (the batch loss
//! live through the gatherer, outputs from the loss core's recording, weights from the cores'
//! memory).
//!
//! Training data is written once into the SDRAM of every chip that holds a feeder
//! ([`OnMachine::load_training_set`], its host-link cost reported on its own as a
//! [`DataLoad`]); a batch of it then passes only sample indices ([`OnMachine::train_resident`]).
//! Batches of other data are streamed: the host writes them into the feeders' batch buffers.
//!
//! A batch runs until the machine is quiet. If the feeder has not seen every sample finished
//! by then (or the batch's machine-time limit passes), the watchdog names every core that holds
//! a partly filled sample slot or an unfinished gradient reduction and what it is missing,
//! instead of waiting for ever.

use super::arith::{is_fused, Arith, Fixed, F32};
use super::cores::block::{BlockCore, BlockWiring};
use super::cores::feeder::{FedSample, Feeder, FeederWiring};
use super::cores::loss::{LossCore, LossOut, LossWiring};
use super::cores::tile::{DeltaSource, TileCore, TileShape, TileTerm, TileWiring};
use super::cores::{Operand, Params, Reducer, Trainable, TreePlace, Violation, START_BATCH};
use super::layout::{Layout, OutKind, Replication, Role, Spread};
use super::pacing::{reduction_periods, Capacities};
use super::plan::{plan, Group, Plan, PlanConfig, PlanError, TermKind, Tile};
use super::ports::{BatchShare, Mode, PortKind};
use crate::graph::{Graph, NodeId};
use crate::model::{LayerWeights, ModelSpec, Weights};
use crate::ops::ParamShapes;
use crate::ops::{Correlation, PoolWindows};
use spinn_runtime::{
    load, Application, EngineKind, HostFlow, LivePacketGatherer, LoadError, Machine, MachineConfig,
    MachineReport, StopReason,
};
use spinn_toolchain::{map, GraphError, MapConfig, MapError, Mapping, VertexId};
use std::ops::Range;
use std::sync::Arc;
use thiserror::Error;

/// Samples a batch may have beyond the model's batch size (evaluation and prediction), as the
/// loss core's SDRAM recording region holds their outputs.
pub const RECORDED_SAMPLES: usize = 1024;

/// Where and how the network runs.
#[derive(Debug, Clone)]
pub struct MachineOptions {
    pub topology: spinn_arch::Machine,
    pub plan: PlanConfig,
    pub machine: MachineConfig,
    pub spread: Spread,
    /// Machine time (router cycles) one batch may take before the watchdog stops it.
    pub batch_limit_cycles: u64,
    /// Times a batch that stalled after losing packets is run (the first run included) on a
    /// freshly loaded machine before the stall is reported ([`BATCH_ATTEMPTS`]).
    pub batch_attempts: u32,
    /// Receiver cycles per packet the senders' pacing assumes.
    pub receive_cycles: u64,
    /// Copies of the network, each taking a share of every batch.
    pub replicas: Replicas,
    /// Children per node of a gradient reduction's tree (1, the default: a chain, which
    /// measured fastest and dump-free on SpiN-5: each link carries one stream per slice,
    /// where a wider tree's streams converge on the links near its root).
    pub reduction_fan_in: u32,
    /// Core cycles a reduction's receiver spends on each packet (interrupt entry, the RXKEY
    /// read, the dispatch from its inbox and the add: 30 + 20 + 12 + 4 with the ARM968 costs),
    /// for the pacing of the reductions ([`super::pacing`]).
    pub reduction_receive_cycles: u64,
    /// The share of each link's and core's capacity the reductions may fill together
    /// ([`super::pacing`]).
    pub reduction_utilisation: f64,
}

/// How many copies of the network a machine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicas {
    Count(u32),
    /// As many as the machine's free cores hold, at most one per sample of a batch and no
    /// more than give the same largest share ([`auto_replicas`]), fewer if the routing tables
    /// of that many do not fit.
    Auto,
}

impl MachineOptions {
    /// A SpiNN-5 board with SpiNNaker's router settings and re-injection, four sample slots,
    /// and ten machine-seconds per batch before the watchdog fires.
    pub fn spinn5() -> MachineOptions {
        MachineOptions::on(spinn_arch::Machine::spinn5())
    }

    pub fn on(topology: spinn_arch::Machine) -> MachineOptions {
        MachineOptions {
            topology,
            plan: PlanConfig::SPINNAKER1,
            machine: MachineConfig::spinnaker(),
            spread: Spread::Packed,
            batch_limit_cycles: 10 * 133_333_333,
            batch_attempts: BATCH_ATTEMPTS,
            receive_cycles: 64,
            replicas: Replicas::Count(1),
            reduction_fan_in: 1,
            reduction_receive_cycles: 66,
            reduction_utilisation: 0.75,
        }
    }
}

/// A core the watchdog found waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub vertex: String,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MachineError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Map(#[from] MapError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the model trains in {model} but the machine was built for {machine}")]
    NumericMode {
        model: &'static str,
        machine: &'static str,
    },
    #[error("{what}: expected {expected} values per sample, got {got} (sample {sample})")]
    Shape {
        what: &'static str,
        sample: usize,
        expected: usize,
        got: usize,
    },
    #[error("a batch needs at least one sample")]
    EmptyBatch,
    #[error("no training set is on the machine: load one before training on it by index")]
    NoTrainingSet,
    #[error("sample {index} is beyond the {samples} samples of the training set on the machine")]
    SampleIndex { index: usize, samples: usize },
    #[error(transparent)]
    Memory(#[from] spinn_runtime::MemoryError),
    #[error(
        "a batch of {samples} samples is more than the {capacity} the loss core's recording \
         holds; split it"
    )]
    BatchTooLarge { samples: usize, capacity: usize },
    #[error("{}", stall_message(.finished, .samples, .reason, .waiting, .losses, *.attempts))]
    Stalled {
        samples: usize,
        finished: usize,
        reason: StopReason,
        waiting: Vec<Waiting>,
        /// The fabric's losses so far (over every attempt), which usually explain a stall.
        losses: PacketLosses,
        /// Attempts the batch had (each after the last lost packets).
        attempts: u32,
    },
    #[error("the network's outputs are not numbers from sample {sample} of the batch on")]
    NonFinite { sample: usize },
    #[error(
        "{what} of layer {layer}: {array}[{index}] = {value} is beyond the s16.15 bound \
         ±{bound} of fixed-point training (docs/numerics.md)"
    )]
    BeyondFixedBound {
        what: &'static str,
        layer: String,
        array: &'static str,
        index: usize,
        value: f32,
        bound: f64,
    },
    /// A core's run-time range check found an accumulation operand beyond the bound.
    #[error(
        "layer {layer}: {array}[{index}] = {value} {} is beyond the s16.15 bound ±{bound} of \
         fixed-point training (docs/numerics.md)",
        match .sample { Some(s) => format!("in sample {s} of the batch"), None => "after the batch's update".to_string() }
    )]
    OutOfRange {
        layer: String,
        /// `inputs`, `delta_z`, `kernel` or `bias`.
        array: &'static str,
        /// The flat index in the layer's tensor (channels-last) or Keras-layout array.
        index: usize,
        value: f32,
        /// The sample's position in the batch (`None`: the update's result).
        sample: Option<u32>,
        bound: f64,
    },
}

/// What the fabric lost or delayed by the time the watchdog fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketLosses {
    pub dumped: u64,
    pub reinjected: u64,
    pub dropped: u64,
    /// Discarded by a router for bad parity (corrupted on a link).
    pub parity_errors: u64,
    pub send_failures: u64,
    pub queue_overflows: u64,
}

fn stall_message(
    finished: &usize,
    samples: &usize,
    reason: &StopReason,
    waiting: &[Waiting],
    losses: &PacketLosses,
    attempts: u32,
) -> String {
    let why = match reason {
        StopReason::Quiescent => "the machine went quiet",
        StopReason::TimeLimit => "the batch's machine-time limit passed",
        StopReason::HostRequest => "the host stopped it",
    };
    let attempts = match attempts {
        0 | 1 => String::new(),
        n => format!(" on attempt {n}, every earlier one having lost packets"),
    };
    let mut s = format!(
        "watchdog: the batch stalled{attempts} with {finished} of {samples} samples finished ({why}; \
         {} packets dumped, {} re-injected, {} dropped, {} discarded for bad parity, {} send \
         failures, {} events lost to full queues so far)",
        losses.dumped,
        losses.reinjected,
        losses.dropped,
        losses.parity_errors,
        losses.send_failures,
        losses.queue_overflows
    );
    if waiting.is_empty() {
        s.push_str("; no core holds a partly received sample");
    }
    for w in waiting {
        s.push_str(&format!(
            "; {} waits for {}",
            w.vertex,
            w.missing.join(", ")
        ));
    }
    s
}

/// One weighted layer's parameters in the machine's numeric mode, Keras layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters<V> {
    pub name: String,
    /// Row-major over the layer's Keras kernel shape.
    pub kernel: Vec<V>,
    pub bias: Vec<V>,
}

/// What one batch gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome<V> {
    /// The batch's mean loss before the update (`None` when predicting).
    pub loss: Option<f64>,
    /// The output activations of each sample, in order.
    pub outputs: Vec<Vec<V>>,
}

/// What a read-back takes from the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Values,
    Velocities,
}

/// A model planned and mapped onto a machine, not loaded: what `spinn route` reports.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub plan: Plan,
    pub layout: Layout,
    pub mapping: Mapping,
}

/// Plans `spec`, builds its machine graph and maps it onto `options.topology` (placements,
/// keys, routes, minimised and checked tables), without loading programs.
pub fn map_model(
    spec: &ModelSpec,
    options: &MachineOptions,
    sum_keys: u32,
) -> Result<Mapped, MachineError> {
    let plan = plan(spec, &options.plan)?;
    let record_capacity = spec.optimizer().batch_size().max(RECORDED_SAMPLES);
    let build = |replicas: u32| -> Result<Mapped, MachineError> {
        let layout = Layout::new(
            spec,
            &plan,
            (sum_keys, record_capacity as u32),
            (&options.topology, &options.spread),
            Replication {
                replicas,
                fan_in: options.reduction_fan_in.max(1),
            },
        )?;
        let mapping = map(&options.topology, &layout.graph, MapConfig::SPINNAKER1)?;
        Ok(Mapped {
            plan: plan.clone(),
            layout,
            mapping,
        })
    };
    match options.replicas {
        Replicas::Count(n) => build(n.max(1)),
        Replicas::Auto => {
            let mut replicas = auto_replicas(spec, &plan, &options.topology);
            loop {
                match build(replicas) {
                    // Fewer copies when that many do not route or place.
                    Err(MachineError::Map(_)) if replicas > 1 => {
                        replicas = (replicas * 7 / 8).min(replicas - 1).max(1)
                    }
                    other => return other,
                }
            }
        }
    }
}

/// The copies `Replicas::Auto` takes for `spec` cut as `plan`: as many as the machine's free
/// cores hold, at most one per sample of a batch, and then the fewest that still give no copy
/// a larger share (a batch's time is its largest share's: 86 copies with shares of 3 are as
/// fast as 95, with fewer members in every reduction). Measured on SpiN-5 (digits MLP, batch
/// 256): machine time per sample falls all the way to the board's 86 copies (docs/dnn.md).
pub fn auto_replicas(spec: &ModelSpec, plan: &Plan, topology: &spinn_arch::Machine) -> u32 {
    let per_replica = super::layout::replica_vertices(plan);
    let free: usize = topology
        .chips()
        .map(|chip| super::layout::application_cores(topology, chip))
        .sum();
    // One core is the gatherer's.
    let batch = spec.optimizer().batch_size().max(1);
    let most = (free.saturating_sub(1) / per_replica).clamp(1, batch);
    batch.div_ceil(batch.div_ceil(most)) as u32
}

/// [`map_model`] with the keys for sums that the model's numeric mode uses: the mapping a
/// network of `spec` is loaded with.
pub fn map_spec(spec: &ModelSpec, options: &MachineOptions) -> Result<Mapped, MachineError> {
    match spec.numeric() {
        crate::model::NumericMode::F32 => map_model(spec, options, F32::SUM_KEYS),
        crate::model::NumericMode::Fixed => map_model(spec, options, Fixed::SUM_KEYS),
    }
}

/// A network loaded on the machine, in numeric mode `A` (which must be the model's).
pub struct OnMachine<A: Arith> {
    spec: ModelSpec,
    plan: Plan,
    layout: Layout,
    mapping: Mapping,
    machine: Machine,
    names: Vec<String>,
    batch_limit_cycles: u64,
    /// Samples the loss core can record per batch.
    record_capacity: usize,
    /// What the network was loaded with, to load it again for a batch's retry.
    options: MachineOptions,
    /// What earlier machines of this network did before a retry replaced them.
    retired: Option<Retired>,
    retries: Retries,
    /// The training set in the feeder chips' SDRAM, and what writing it cost.
    resident: Option<(Arc<[FedSample]>, DataLoad)>,
    _mode: std::marker::PhantomData<A>,
}

/// A training set written into the SDRAM of every chip that holds a feeder: once per chip,
/// whatever the number of feeders on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataLoad {
    pub samples: usize,
    /// One chip's copy: every sample's inputs and labels, a word each.
    pub bytes_per_chip: u64,
    pub chips: usize,
    /// Host time the writes take over the host link (the cost table's rate and SDP
    /// framing), one chip after another: not machine time of any batch.
    pub host_link_seconds: f64,
}

/// A batch as the feeders take it: samples in SDRAM and the batch's order of them.
#[derive(Debug, Clone)]
struct FedBatch {
    set: Arc<[FedSample]>,
    order: Vec<u32>,
}

impl FedBatch {
    /// A batch the host streams: its samples, in order.
    fn streamed(samples: Vec<FedSample>) -> FedBatch {
        let order = (0..samples.len() as u32).collect();
        FedBatch {
            set: Arc::from(samples),
            order,
        }
    }
}

/// What the host writes into a feeder chip's SDRAM for a training set.
const TRAINING_SET: &str = "training set";

/// Batches run again on a freshly loaded machine because the fabric lost packets of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retries {
    /// Attempts that stalled on lost packets and were run again.
    pub batches: u64,
    /// Machine time those attempts took (router cycles), included in the report's total.
    pub cycles: u64,
    /// Packets those attempts lost (dropped after a dump, or discarded for bad parity; in the
    /// report's `dropped` and `parity_errors`): the losses that were recovered.
    pub packets_lost: u64,
}

/// Totals of the machines a retry replaced.
#[derive(Debug, Clone)]
struct Retired {
    report: MachineReport,
    chip_loads: Vec<spinn_model::ChipLoad>,
    link_loads: Option<Vec<spinn_model::LinkLoad>>,
}

/// The cores' parameters and velocities between batches.
#[derive(Clone)]
struct HeldState<A: Arith> {
    weights: Weights,
    velocities: Option<Weights>,
    parameters: Vec<Parameters<A::Value>>,
    exact_velocities: Option<Vec<Parameters<A::Value>>>,
}

/// Attempts a batch gets in all: one, and a retry after each stall that lost packets.
pub const BATCH_ATTEMPTS: u32 = 8;

/// The transient-fault seed of a batch's `attempt`-th retry: a fresh draw of where faults
/// strike (the same draw would lose the same packets again), still fixed by the run's seed.
fn retry_seed(seed: u64, attempt: u32) -> u64 {
    seed ^ u64::from(attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A term's kernel slice (if held on the tile) and bias positions in the tile's parameters.
type TermParameters = (Option<Range<usize>>, Option<Range<usize>>);

/// Where a tile's parameters sit in its parameter vector: per term, its kernel slice (held
/// here) and its bias.
fn tile_parameter_layout(graph: &Graph, group: &Group, tile: &Tile) -> Vec<TermParameters> {
    let filters = tile.pre.channels.len();
    let mut at = 0;
    group
        .terms
        .iter()
        .map(|term| {
            let Some(node) = term.weighted else {
                return (None, None);
            };
            let kernel = (term.kind == TermKind::Inline).then(|| {
                let p = params_of(graph, node);
                let len = p.window[0] * p.window[1] * p.inputs * filters;
                at += len;
                at - len..at
            });
            at += filters;
            (kernel, Some(at - filters..at))
        })
        .collect()
}

fn params_of(graph: &Graph, node: NodeId) -> ParamShapes {
    graph
        .parameters(node)
        .expect("invariant: weighted nodes have parameters")
}

/// `kernel[:, :, channels, filters]` of a Keras-layout kernel, as `[i][j][ch][f]`.
fn kernel_slice(
    p: &ParamShapes,
    kernel: &[f32],
    channels: &Range<usize>,
    filters: &Range<usize>,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(p.window[0] * p.window[1] * channels.len() * filters.len());
    for tap in 0..p.window[0] * p.window[1] {
        for ch in channels.clone() {
            let base = (tap * p.inputs + ch) * p.outputs;
            out.extend_from_slice(&kernel[base + filters.start..base + filters.end]);
        }
    }
    out
}

/// The Keras-layout index of element `k` of a [`kernel_slice`] over `channels` × `filters`.
fn keras_index(
    p: &ParamShapes,
    channels: &Range<usize>,
    filters: &Range<usize>,
    k: usize,
) -> usize {
    let (f, rest) = (k % filters.len(), k / filters.len());
    let (ch, tap) = (rest % channels.len(), rest / channels.len());
    (tap * p.inputs + channels.start + ch) * p.outputs + filters.start + f
}

/// The inverse of [`kernel_slice`]: writes a core's slice back into the Keras-layout kernel.
fn place_slice<V: Copy>(
    p: &ParamShapes,
    kernel: &mut [V],
    slice: &[V],
    channels: &Range<usize>,
    filters: &Range<usize>,
) {
    let mut k = 0;
    for tap in 0..p.window[0] * p.window[1] {
        for ch in channels.clone() {
            let base = (tap * p.inputs + ch) * p.outputs;
            kernel[base + filters.start..base + filters.end]
                .copy_from_slice(&slice[k..k + filters.len()]);
            k += filters.len();
        }
    }
}

/// A network's starting point checked against the machine's arithmetic `A`: the model's
/// numeric mode is `A`'s, and in s16.15 no weight or velocity lies beyond the format's range.
pub(crate) fn check_start<A: Arith>(
    spec: &ModelSpec,
    weights: &Weights,
    velocities: Option<&Weights>,
) -> Result<(), MachineError> {
    if spec.numeric() != A::MODE {
        return Err(MachineError::NumericMode {
            model: spec.numeric().name(),
            machine: A::MODE.name(),
        });
    }
    if spec.numeric() == crate::model::NumericMode::Fixed {
        // s16.15 would saturate such a value silently; the numeric contract refuses it.
        let bound = super::arith::from_fixed(crate::model::FIXED_MAX_ABS);
        let given = [("weights", Some(weights)), ("velocities", velocities)];
        for (what, values) in given {
            if let Some((layer, array, index, value)) =
                values.and_then(|w| crate::model::first_beyond(w, bound))
            {
                return Err(MachineError::BeyondFixedBound {
                    what,
                    layer,
                    array,
                    index,
                    value,
                    bound,
                });
            }
        }
    }
    Ok(())
}

/// A batch of `samples` checked against the `capacity` of the loss core's recording.
fn check_batch_size(samples: usize, capacity: usize) -> Result<(), MachineError> {
    if samples == 0 {
        return Err(MachineError::EmptyBatch);
    }
    if samples > capacity {
        return Err(MachineError::BatchTooLarge { samples, capacity });
    }
    Ok(())
}

/// The training set on the machine, for a batch of its samples `indices` checked against it
/// and against the loss core's recording `capacity`.
pub(crate) fn resident_batch<'a>(
    resident: &'a Option<(Arc<[FedSample]>, DataLoad)>,
    indices: &[usize],
    capacity: usize,
) -> Result<&'a Arc<[FedSample]>, MachineError> {
    let (set, _) = resident.as_ref().ok_or(MachineError::NoTrainingSet)?;
    check_batch_size(indices.len(), capacity)?;
    if let Some(&index) = indices.iter().find(|&&i| i >= set.len()) {
        return Err(MachineError::SampleIndex {
            index,
            samples: set.len(),
        });
    }
    Ok(set)
}

/// A batch's inputs and labels checked against `spec` (shape, count within `capacity`) and
/// turned into the words the feeder streams.
pub(crate) fn fed_samples<A: Arith>(
    spec: &ModelSpec,
    capacity: usize,
    x: &[&[f32]],
    y: Option<&[&[f32]]>,
) -> Result<Vec<FedSample>, MachineError> {
    check_batch_size(x.len(), capacity)?;
    let word = |v: &f32| A::to_word(A::from_f32(*v));
    let mut samples = Vec::with_capacity(x.len());
    for (i, input) in x.iter().enumerate() {
        if input.len() != spec.inputs() {
            return Err(MachineError::Shape {
                what: "inputs",
                sample: i,
                expected: spec.inputs(),
                got: input.len(),
            });
        }
        let labels = match y {
            None => None,
            Some(y) => {
                let label = y.get(i).copied().unwrap_or(&[]);
                if label.len() != spec.outputs() {
                    return Err(MachineError::Shape {
                        what: "labels",
                        sample: i,
                        expected: spec.outputs(),
                        got: label.len(),
                    });
                }
                Some(label.iter().map(word).collect())
            }
        };
        samples.push(FedSample {
            x: input.iter().map(word).collect(),
            y: labels,
        });
    }
    Ok(samples)
}

impl<A: Arith> OnMachine<A> {
    /// Plans `spec`, builds its graph, maps it and loads it with `weights`.
    pub fn new(
        spec: &ModelSpec,
        weights: &Weights,
        options: &MachineOptions,
    ) -> Result<OnMachine<A>, MachineError> {
        OnMachine::resume(spec, weights, None, options)
    }

    /// As [`OnMachine::new`], with the optimiser's momentum velocities of a checkpoint
    /// (`None`: zero, as at the start).
    pub fn resume(
        spec: &ModelSpec,
        weights: &Weights,
        velocities: Option<&Weights>,
        options: &MachineOptions,
    ) -> Result<OnMachine<A>, MachineError> {
        check_start::<A>(spec, weights, velocities)?;
        let Mapped {
            plan,
            layout,
            mapping,
        } = map_model(spec, options, A::SUM_KEYS)?;
        let record_capacity = layout.record_capacity as usize;
        let names = layout
            .graph
            .vertices()
            .map(|(_, v)| v.name.clone())
            .collect();
        let machine = load_programs::<A>(
            spec,
            (weights, velocities),
            (&plan, &layout, &mapping),
            options,
        )?;
        Ok(OnMachine {
            spec: spec.clone(),
            plan,
            layout,
            mapping,
            machine,
            names,
            batch_limit_cycles: options.batch_limit_cycles,
            record_capacity,
            options: options.clone(),
            retired: None,
            retries: Retries::default(),
            resident: None,
            _mode: std::marker::PhantomData,
        })
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Copies of the network on the machine.
    pub fn replicas(&self) -> usize {
        self.layout.replicas.len()
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The machine's totals so far, over every machine a retry loaded.
    pub fn report(&self) -> MachineReport {
        let now = self.machine.report();
        match &self.retired {
            None => now,
            Some(retired) => retired.report.followed_by(&now),
        }
    }

    /// The batches retried after lost packets, and their machine time.
    pub fn retries(&self) -> Retries {
        self.retries
    }

    /// Every router's load so far, in the machine's chip order.
    pub fn chip_loads(&self) -> Vec<spinn_model::ChipLoad> {
        let mut loads = self.machine.chip_loads();
        if let Some(retired) = &self.retired {
            for (load, old) in loads.iter_mut().zip(&retired.chip_loads) {
                load.routed += old.routed;
                load.dumped += old.dumped;
                load.dropped += old.dropped;
            }
        }
        loads
    }

    /// Every link's busy cycles so far.
    pub fn link_loads(&self) -> Option<Vec<spinn_model::LinkLoad>> {
        let mut loads = self.machine.link_loads()?;
        if let Some(old) = self.retired.as_ref().and_then(|r| r.link_loads.as_ref()) {
            for (load, old) in loads.iter_mut().zip(old) {
                load.busy_cycles += old.busy_cycles;
            }
        }
        Some(loads)
    }

    fn name(&self, v: VertexId) -> &str {
        &self.names[v.index()]
    }

    fn samples(&self, x: &[&[f32]], y: Option<&[&[f32]]>) -> Result<Vec<FedSample>, MachineError> {
        fed_samples::<A>(&self.spec, self.record_capacity, x, y)
    }

    /// Runs a batch, and runs it again on a freshly loaded machine (the parameters and
    /// velocities it started from, a fresh draw of transient faults, senders paced at half
    /// the rate of the attempt before) whenever it stalls having lost packets, up to
    /// `batch_attempts` attempts ([`BATCH_ATTEMPTS`] by default). The cores update only once a batch is complete, so a
    /// retried batch trains from the same state on the same samples; after it, the machine is
    /// loaded again at the normal pace.
    fn run_batch_retrying(
        &mut self,
        mode: Mode,
        batch: FedBatch,
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        // Only training changes what the cores hold: a stalled evaluation is run again from
        // what they hold after it.
        let start = (mode == Mode::Train).then(|| self.held_state());
        let mut attempt = 0;
        loop {
            let before = self.machine.report();
            let result = self.run_batch(mode, &batch);
            let after = self.machine.report();
            let lost = after.packets_lost() + after.send_failures + after.queue_overflows
                > before.packets_lost() + before.send_failures + before.queue_overflows;
            match result {
                Err(MachineError::Stalled { .. })
                    if lost && attempt + 1 < self.options.batch_attempts =>
                {
                    attempt += 1;
                    let state = start
                        .as_ref()
                        .map_or_else(|| self.held_state(), Clone::clone);
                    if !self.reload(&state, self.attempt_options(attempt, true))? {
                        return result;
                    }
                    self.retries.batches += 1;
                    self.retries.cycles += after.cycles - before.cycles;
                    self.retries.packets_lost += after.packets_lost() - before.packets_lost();
                }
                Err(MachineError::Stalled {
                    samples,
                    finished,
                    reason,
                    waiting,
                    losses,
                    ..
                }) => {
                    return Err(MachineError::Stalled {
                        samples,
                        finished,
                        reason,
                        waiting,
                        losses,
                        attempts: attempt + 1,
                    })
                }
                Ok(outcome) if attempt > 0 => {
                    let now = self.held_state();
                    self.reload(&now, self.attempt_options(attempt, false))?;
                    return Ok(outcome);
                }
                other => return other,
            }
        }
    }

    /// The load options of a batch's `attempt` (0: the first): transient faults reseeded,
    /// and, if `backed_off`, senders paced `2^attempt` times slower.
    fn attempt_options(&self, attempt: u32, backed_off: bool) -> MachineOptions {
        let mut options = self.options.clone();
        if let Some(faults) = options.machine.transient_faults.as_mut() {
            faults.seed = retry_seed(faults.seed, attempt);
        }
        if backed_off {
            // From at least one cycle, so that unpaced senders back off too.
            options.receive_cycles = options.receive_cycles.max(1) << attempt.min(16);
        }
        options
    }

    /// What the cores hold now, as weights to load (exact in f32, and in s16.15 below 512 in
    /// magnitude, as the bound keeps parameters) and exactly.
    fn held_state(&self) -> HeldState<A> {
        // One read of the cores each, converted, rather than a read per form.
        let parameters = self.parameters();
        let exact_velocities = self.velocities();
        HeldState {
            weights: self.as_weights(parameters.clone()),
            velocities: exact_velocities.clone().map(|v| self.as_weights(v)),
            parameters,
            exact_velocities,
        }
    }

    /// Replaces the machine by a freshly loaded one holding `state`; `false` (and nothing
    /// replaced) if the load would not hold it exactly (a velocity beyond 512 in s16.15).
    fn reload(
        &mut self,
        state: &HeldState<A>,
        options: MachineOptions,
    ) -> Result<bool, MachineError> {
        // The plan, the machine graph and the mapping stay: only the programs are loaded
        // again, with the state and the attempt's pacing and fault seed.
        let mut fresh = load_programs::<A>(
            &self.spec,
            (&state.weights, state.velocities.as_ref()),
            (&self.plan, &self.layout, &self.mapping),
            &options,
        )?;
        // A program reload leaves SDRAM as it was on a real board; in the model the fresh
        // machine's budgets are charged with the training set again, at no host-link cost.
        if let Some((_, load)) = &self.resident {
            write_training_set(
                &mut fresh,
                feeder_names(&self.layout, &self.names),
                load.samples,
                load.bytes_per_chip,
            )?;
        }
        let retired = Retired {
            report: self.report(),
            chip_loads: self.chip_loads(),
            link_loads: self.link_loads(),
        };
        let old = std::mem::replace(&mut self.machine, fresh);
        if self.parameters() != state.parameters || self.velocities() != state.exact_velocities {
            self.machine = old;
            return Ok(false);
        }
        self.retired = Some(retired);
        Ok(true)
    }

    /// Streams one batch through the machine in `mode`, each replica taking its share, and
    /// waits for it.
    fn run_batch(
        &mut self,
        mode: Mode,
        batch: &FedBatch,
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let n = batch.order.len();
        let shares = BatchShare::split(n as u32, self.layout.replicas.len() as u32);
        let mut rest = batch.order.iter().copied();
        for (replica, share) in self.layout.replicas.iter().zip(&shares) {
            let feeder = &self.names[replica.feeder.index()];
            let mine: Vec<u32> = rest.by_ref().take(share.share as usize).collect();
            self.machine
                .app_mut::<Feeder>(feeder)
                .expect("invariant: the feeder vertex runs a Feeder")
                .load(mode, batch.set.clone(), mine, n as u32);
            self.machine.raise_user_event(feeder, START_BATCH, 0);
        }
        let mut words: [Option<u32>; 2] = [None, None];
        let last = self
            .layout
            .replicas
            .last()
            .expect("invariant: at least one replica")
            .loss;
        let results = self
            .mapping
            .keys
            .get(self.layout.out_port_partition(last, OutKind::Results))
            .expect("invariant: the results partition has keys")
            .base;
        let reason = self.machine.run_with_host(self.batch_limit_cycles, |p| {
            if let Some(i) = p.key.checked_sub(results).filter(|&i| i < 2) {
                words[i as usize] = p.payload;
            }
            HostFlow::Continue
        });
        let mut finished = 0;
        let mut outputs = Vec::with_capacity(n);
        let mut first_sample = 0;
        let mut non_finite = None;
        for (replica, share) in self.layout.replicas.iter().zip(&shares) {
            finished += self
                .machine
                .app::<Feeder>(&self.names[replica.feeder.index()])
                .expect("invariant: the feeder vertex runs a Feeder")
                .finished();
            let loss_core = self
                .machine
                .app_mut::<LossCore<A>>(&self.names[replica.loss.index()])
                .expect("invariant: the loss vertex runs a LossCore");
            let recorded = loss_core.take_recorded();
            if let Some(k) = loss_core.non_finite() {
                non_finite.get_or_insert(first_sample + k);
            }
            if recorded.len() != share.share as usize {
                // A replica that did not finish: the outputs after it would be misplaced.
                finished = finished.min(first_sample);
            }
            outputs.extend(recorded);
            first_sample += share.share as usize;
        }
        if let Some(sample) = non_finite {
            return Err(MachineError::NonFinite { sample });
        }
        if let Some(error) = self.take_violations(&shares) {
            return Err(error);
        }
        let loss_arrived = mode == Mode::Predict || words.iter().all(Option::is_some);
        if finished != n || outputs.len() != n || !loss_arrived || self.update_pending() {
            let r = self.report();
            return Err(MachineError::Stalled {
                samples: n,
                finished,
                reason,
                waiting: self.waiting(),
                losses: PacketLosses {
                    dumped: r.dumped,
                    reinjected: r.reinjected,
                    dropped: r.dropped,
                    parity_errors: r.parity_errors,
                    send_failures: r.send_failures,
                    queue_overflows: r.queue_overflows,
                },
                attempts: 1,
            });
        }
        let loss = match words {
            [Some(lo), Some(hi)] => Some(f64::from_bits(u64::from(lo) | u64::from(hi) << 32)),
            _ => None,
        };
        Ok(BatchOutcome { loss, outputs })
    }

    /// Reads and clears every core's range-check record after a batch: the violation the
    /// machine met first (ties: the first core in graph order), named by layer and index.
    fn take_violations(&mut self, shares: &[BatchShare]) -> Option<MachineError> {
        let mut first: Option<(u64, MachineError)> = None;
        for i in 0..self.layout.roles.len() {
            let role = self.layout.roles[i];
            let replica = self.layout.replica_of[i] as usize;
            let first_sample: u32 = shares[..replica].iter().map(|s| s.share).sum();
            let vertex = &self.names[i];
            let found = match role {
                Role::Tile { .. } => self
                    .machine
                    .app_mut::<TileCore<A>>(vertex)
                    .and_then(TileCore::take_violation),
                Role::Block { .. } => self
                    .machine
                    .app_mut::<BlockCore<A>>(vertex)
                    .and_then(BlockCore::take_violation),
                _ => None,
            };
            let Some(mut violation) = found else { continue };
            // The core counts the samples of its replica's share.
            violation.sample = violation.sample.map(|k| first_sample + k);
            let order = violation.at_cycle;
            if first.as_ref().is_none_or(|(o, _)| order < *o) {
                first = Some((order, self.name_violation(role, &violation)));
            }
        }
        first.map(|(_, error)| error)
    }

    /// A core's violation as the layer, array and index it is in.
    fn name_violation(&self, role: Role, violation: &Violation) -> MachineError {
        let graph = self.spec.graph();
        let name = |node: NodeId| graph.node(node).name.clone();
        let (group, tile, channels, term) = match role {
            Role::Tile { group, tile } => (group, tile, None, None),
            Role::Block {
                group,
                tile,
                term,
                channels,
            } => (group, tile, Some(channels), Some(term)),
            _ => unreachable!("invariant: only tiles and blocks check ranges"),
        };
        let group = &self.plan.groups[group];
        let tile = &group.tiles()[tile];
        let term_channels = |term: usize| match (&group.terms[term].kind, channels) {
            (TermKind::Blocked { channel_groups }, Some(c)) => channel_groups[c].clone(),
            _ => 0..group.terms[term].input_grid.channels,
        };
        let k = violation.index;
        let (layer, array, index) = match (violation.operand, term) {
            (Operand::Inputs { term: t }, block_term) => {
                let t = block_term.unwrap_or(t);
                let input = group
                    .input_box(t, &tile.pre)
                    .with_channels(term_channels(t));
                let flat = input.indices(group.terms[t].input_grid)[k] as usize;
                let layer = group.terms[t].weighted.map_or(group.name.clone(), name);
                (layer, "inputs", flat)
            }
            (Operand::DeltaZ, _) => (
                group.name.clone(),
                "delta_z",
                tile.pre.indices(group.pre_grid)[k] as usize,
            ),
            (Operand::Parameters, Some(t)) => {
                let node = group.terms[t]
                    .weighted
                    .expect("invariant: blocked terms are weighted");
                let p = params_of(graph, node);
                let at = keras_index(&p, &term_channels(t), &tile.pre.channels, k);
                (name(node), "kernel", at)
            }
            (Operand::Parameters, None) => {
                let filters = &tile.pre.channels;
                let layout = tile_parameter_layout(graph, group, tile);
                let (t, (kernel, bias)) = layout
                    .iter()
                    .enumerate()
                    .find(|(_, (kernel, bias))| {
                        kernel.as_ref().is_some_and(|r| r.contains(&k))
                            || bias.as_ref().is_some_and(|r| r.contains(&k))
                    })
                    .expect("invariant: every parameter belongs to a term");
                let node = group.terms[t]
                    .weighted
                    .expect("invariant: terms with parameters are weighted");
                let p = params_of(graph, node);
                match kernel.as_ref().filter(|r| r.contains(&k)) {
                    Some(r) => (
                        name(node),
                        "kernel",
                        keras_index(&p, &(0..p.inputs), filters, k - r.start),
                    ),
                    None => {
                        let start = bias.as_ref().expect("invariant: found in the bias").start;
                        (name(node), "bias", filters.start + k - start)
                    }
                }
            }
        };
        MachineError::OutOfRange {
            layer,
            array,
            index,
            value: violation.value,
            sample: violation.sample,
            bound: super::arith::from_fixed(crate::model::FIXED_MAX_ABS),
        }
    }

    /// Whether some core still waits for a gradient reduction to finish its update.
    fn update_pending(&self) -> bool {
        self.layout.roles.iter().enumerate().any(|(i, role)| {
            let vertex = &self.names[i];
            match role {
                Role::Tile { .. } => self
                    .machine
                    .app::<TileCore<A>>(vertex)
                    .is_some_and(TileCore::update_pending),
                Role::Block { .. } => self
                    .machine
                    .app::<BlockCore<A>>(vertex)
                    .is_some_and(BlockCore::update_pending),
                _ => false,
            }
        })
    }

    /// Every core holding a partly received sample or an unfinished reduction, and what it
    /// is missing.
    pub fn waiting(&self) -> Vec<Waiting> {
        let mut all = Vec::new();
        for (i, role) in self.layout.roles.iter().enumerate() {
            let vertex = &self.names[i];
            let missing = match role {
                Role::Feeder => self.machine.app::<Feeder>(vertex).map(Feeder::waiting),
                Role::Gatherer => None,
                Role::Loss => self.machine.app::<LossCore<A>>(vertex).map(|c| c.waiting()),
                Role::Tile { .. } => self.machine.app::<TileCore<A>>(vertex).map(|c| c.waiting()),
                Role::Block { .. } => self
                    .machine
                    .app::<BlockCore<A>>(vertex)
                    .map(|c| c.waiting()),
            };
            if let Some(missing) = missing.filter(|m| !m.is_empty()) {
                all.push(Waiting {
                    vertex: vertex.clone(),
                    missing,
                });
            }
        }
        all
    }

    /// One SGD step on the batch `(x, y)`; returns its mean loss before the update and the
    /// outputs it was computed from.
    pub fn train_batch(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let samples = self.samples(x, Some(y))?;
        self.run_batch_retrying(Mode::Train, FedBatch::streamed(samples))
    }

    /// Writes the training set `(x, y)` into the SDRAM of every chip that holds a feeder,
    /// once per chip, replacing the one written before; returns what the writes cost. The
    /// samples are checked as a batch's are, without the batch-size limit (a set that fails
    /// the check leaves the one before in place). A set larger than a chip's SDRAM is a
    /// [`MachineError::Memory`] and leaves no training set on the machine.
    pub fn load_training_set(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<DataLoad, MachineError> {
        let set: Arc<[FedSample]> =
            Arc::from(fed_samples::<A>(&self.spec, usize::MAX, x, Some(y))?);
        let bytes_per_chip = set.len() as u64 * self.plan.memory.sample_bytes;
        let load = write_training_set(
            &mut self.machine,
            feeder_names(&self.layout, &self.names),
            set.len(),
            bytes_per_chip,
        )
        .inspect_err(|_| self.resident = None)?;
        self.resident = Some((set, load));
        Ok(load)
    }

    /// What writing the training set on the machine cost, if one is there.
    pub fn data_load(&self) -> Option<DataLoad> {
        self.resident.as_ref().map(|(_, load)| *load)
    }

    /// One SGD step on the samples `indices` of the training set on the machine (in batch
    /// order): the same step as [`OnMachine::train_batch`] on those samples, with only the
    /// indices passed to the feeders.
    pub fn train_resident(
        &mut self,
        indices: &[usize],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let set = resident_batch(&self.resident, indices, self.record_capacity)?;
        let batch = FedBatch {
            set: set.clone(),
            order: indices.iter().map(|&i| i as u32).collect(),
        };
        self.run_batch_retrying(Mode::Train, batch)
    }

    /// The mean loss and outputs of `(x, y)` without training.
    pub fn evaluate_batch(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let samples = self.samples(x, Some(y))?;
        self.run_batch_retrying(Mode::Evaluate, FedBatch::streamed(samples))
    }

    /// The outputs for `x`.
    pub fn predict_batch(&mut self, x: &[&[f32]]) -> Result<Vec<Vec<A::Value>>, MachineError> {
        let samples = self.samples(x, None)?;
        Ok(self
            .run_batch_retrying(Mode::Predict, FedBatch::streamed(samples))?
            .outputs)
    }

    /// Every weighted layer's kernel (Keras layout) and bias as the cores hold them (the host
    /// reading the first replica's first spatial copy's DTCM: every copy holds the same).
    pub fn parameters(&self) -> Vec<Parameters<A::Value>> {
        self.gather(Held::Values)
            .expect("invariant: every core holds its parameters")
    }

    /// The optimiser's state: every weighted layer's momentum velocities, laid out as its
    /// parameters (`None` without momentum).
    pub fn velocities(&self) -> Option<Vec<Parameters<A::Value>>> {
        self.gather(Held::Velocities)
    }

    /// The velocities as `f32`, named and shaped as the weights (for a checkpoint).
    pub fn velocity_weights(&self) -> Option<Weights> {
        self.velocities().map(|v| self.as_weights(v))
    }

    /// What the first spatial copy of each layer's cores holds, assembled in Keras layout
    /// (the host reading their DTCM).
    fn gather(&self, held: Held) -> Option<Vec<Parameters<A::Value>>> {
        let graph = self.spec.graph();
        fn tile_values<A: Arith>(core: &TileCore<A>, held: Held) -> Option<&[A::Value]> {
            match held {
                Held::Values => Some(core.parameters()),
                Held::Velocities => core.velocities(),
            }
        }
        fn block_values<A: Arith>(core: &BlockCore<A>, held: Held) -> Option<&[A::Value]> {
            match held {
                Held::Values => Some(core.weights()),
                Held::Velocities => core.velocities(),
            }
        }
        graph
            .weighted()
            .into_iter()
            .map(|(node, p)| {
                let mut kernel = vec![A::Value::default(); p.kernel_len()];
                let mut bias = vec![A::Value::default(); p.outputs];
                let g = self
                    .plan
                    .group_of(node)
                    .expect("invariant: every weighted node is in a group");
                let group = &self.plan.groups[g];
                let term = group
                    .terms
                    .iter()
                    .position(|t| t.weighted == Some(node))
                    .expect("invariant: a weighted node is a term of its group");
                for (t, tile) in group.tiles().iter().enumerate() {
                    if tile.spatial != 0 {
                        continue;
                    }
                    let filters = &tile.out.channels;
                    let core = self
                        .machine
                        .app::<TileCore<A>>(self.name(self.layout.first().tiles[g][t]))
                        .expect("invariant: tile vertices run TileCores");
                    let values = tile_values(core, held)?;
                    let (kernel_at, bias_at) =
                        tile_parameter_layout(graph, group, tile)[term].clone();
                    let bias_at = bias_at.expect("invariant: weighted terms hold a bias");
                    bias[filters.clone()].copy_from_slice(&values[bias_at]);
                    match (&group.terms[term].kind, kernel_at) {
                        (TermKind::Inline, Some(at)) => {
                            place_slice(&p, &mut kernel, &values[at], &(0..p.inputs), filters)
                        }
                        (TermKind::Blocked { channel_groups }, _) => {
                            for (c, channels) in channel_groups.iter().enumerate() {
                                let block = self
                                    .machine
                                    .app::<BlockCore<A>>(
                                        self.name(self.layout.first().blocks[g][t][term][c]),
                                    )
                                    .expect("invariant: block vertices run BlockCores");
                                place_slice(
                                    &p,
                                    &mut kernel,
                                    block_values(block, held)?,
                                    channels,
                                    filters,
                                );
                            }
                        }
                        _ => unreachable!("invariant: inline terms hold their kernel"),
                    }
                }
                Some(Parameters {
                    name: graph.node(node).name.clone(),
                    kernel,
                    bias,
                })
            })
            .collect()
    }

    /// The weights as `f32` (exact from s16.15 for |w| < 256).
    pub fn weights(&self) -> Weights {
        self.as_weights(self.parameters())
    }

    fn as_weights(&self, parameters: Vec<Parameters<A::Value>>) -> Weights {
        let shapes = self.spec.weight_shapes();
        Weights {
            layers: parameters
                .into_iter()
                .zip(shapes)
                .map(|(p, (name, kernel_shape, _))| LayerWeights {
                    name,
                    kernel_shape,
                    kernel: p.kernel.into_iter().map(A::to_f32).collect(),
                    bias: p.bias.into_iter().map(A::to_f32).collect(),
                })
                .collect(),
        }
    }

    /// The core that has spent the most machine time in handlers and callbacks, and those
    /// router cycles (counted on the machine loaded now: a retried batch's fresh load starts
    /// the count again). Its share of the machine time says how close the mapping runs to
    /// its slowest core's pace.
    pub fn busiest_core(&self) -> Option<(String, u64)> {
        self.machine.busiest_of(&self.names)
    }

    /// Packets the DNN cores received on keys they do not listen to (0 when the tables are
    /// right).
    pub fn stray_packets(&self) -> u64 {
        let mut stray = 0;
        for (i, role) in self.layout.roles.iter().enumerate() {
            let vertex = &self.names[i];
            stray += match role {
                Role::Feeder => self
                    .machine
                    .app::<Feeder>(vertex)
                    .map(Feeder::stray_packets),
                Role::Gatherer => None,
                Role::Loss => self
                    .machine
                    .app::<LossCore<A>>(vertex)
                    .map(|c| c.stray_packets()),
                Role::Tile { .. } => self
                    .machine
                    .app::<TileCore<A>>(vertex)
                    .map(|c| c.stray_packets()),
                Role::Block { .. } => self
                    .machine
                    .app::<BlockCore<A>>(vertex)
                    .map(|c| c.stray_packets()),
            }
            .unwrap_or(0);
        }
        stray
    }
}

/// A machine of `mapped` with every vertex's program loaded, holding `state` (weights and
/// momentum velocities).
/// Writes a training set of `bytes` into the SDRAM of every chip that holds one of the
/// layout's feeders (once per chip); returns how many chips the host wrote.
/// The vertex names of every replica's feeder, from the machine graph's `names`.
fn feeder_names<'a>(layout: &'a Layout, names: &'a [String]) -> impl Iterator<Item = &'a str> {
    layout
        .replicas
        .iter()
        .map(|replica| names[replica.feeder.index()].as_str())
}

/// Writes a training set of `samples`, `bytes_per_chip` bytes, into the SDRAM of every chip
/// that holds one of the vertices `feeders`, once per chip; returns what the writes cost over
/// the host link. On failure no chip keeps part of the set.
pub(crate) fn write_training_set<'a>(
    machine: &mut Machine,
    feeders: impl IntoIterator<Item = &'a str>,
    samples: usize,
    bytes_per_chip: u64,
) -> Result<DataLoad, MachineError> {
    let chips: std::collections::BTreeSet<usize> = feeders
        .into_iter()
        .map(|feeder| {
            machine
                .chip_of(feeder)
                .expect("invariant: every feeder is on the machine")
        })
        .collect();
    for &chip in &chips {
        if let Err(error) = machine.write_host_data(chip, TRAINING_SET, bytes_per_chip) {
            for &written in chips.iter().take_while(|&&c| c != chip) {
                machine.free_host_data(written);
            }
            return Err(error.into());
        }
    }
    let costs = &machine.config().costs;
    Ok(DataLoad {
        samples,
        bytes_per_chip,
        chips: chips.len(),
        host_link_seconds: chips.len() as f64 * costs.host_write_seconds(bytes_per_chip),
    })
}

fn load_programs<A: Arith>(
    spec: &ModelSpec,
    (weights, velocities): (&Weights, Option<&Weights>),
    (plan, layout, mapping): (&Plan, &Layout, &Mapping),
    options: &MachineOptions,
) -> Result<Machine, MachineError> {
    let apps = build_apps::<A>(spec, weights, velocities, plan, layout, mapping, options);
    Ok(load(
        &options.topology,
        &layout.graph,
        mapping,
        apps,
        options.machine.clone(),
        EngineKind::Fast,
    )?)
}

/// The program of every vertex, wired with the allocated keys.
fn build_apps<A: Arith>(
    spec: &ModelSpec,
    weights: &Weights,
    velocities: Option<&Weights>,
    plan: &Plan,
    layout: &Layout,
    mapping: &Mapping,
    options: &MachineOptions,
) -> Vec<Box<dyn Application>> {
    let graph = spec.graph();
    let keys = &mapping.keys;
    let costs = &options.machine.costs;
    let gap = |v: VertexId| layout.send_gap(v, options.receive_cycles, costs.packet_send_cycles);
    let hyper = A::hyper(spec);
    let momentum = spec.optimizer().momentum().is_some();
    let slots = layout.slots;
    let memory = &plan.memory;
    let output_activation = graph.node(graph.output()).op.activation();
    let tiles: Vec<Vec<Tile>> = plan.groups.iter().map(Group::tiles).collect();
    let layer = |node: NodeId| {
        weights
            .layer(&graph.node(node).name)
            .expect("invariant: the weights cover every weighted layer")
    };
    let to_values = |v: Vec<f32>| v.into_iter().map(A::from_f32).collect::<Vec<_>>();
    // A checkpoint's velocities, if the optimiser has momentum (zero otherwise).
    let velocity = |node: NodeId| {
        velocities.filter(|_| momentum).map(|v| {
            v.layer(&graph.node(node).name)
                .expect("invariant: the velocities cover every weighted layer")
        })
    };
    let params = |values: Vec<f32>, held_velocity: Option<Vec<f32>>| match (momentum, held_velocity)
    {
        (true, Some(v)) => Params::with_velocity(to_values(values), Some(to_values(v))),
        _ => Params::new(to_values(values), momentum),
    };
    // Every reduction's streams keep the period at which all of them together stay within
    // the links' and the cores' capacity (`pacing`; the trees are rebuilt only for that).
    let periods = if layout.reductions.is_empty() {
        Vec::new()
    } else {
        reduction_periods(
            layout,
            &mapping.trees(),
            &mapping.placements,
            &Capacities {
                link_transit: u64::from(options.machine.link_timing.transit(true)),
                receive: options.reduction_receive_cycles,
                send: costs.packet_send_cycles,
                clocks: (costs.cpu_hz, costs.router_hz),
                utilisation: options.reduction_utilisation,
            },
        )
    };
    let reducer = |v: VertexId| {
        layout.membership(v).map(|(reduction, position)| {
            // A packet's period is its send, the delay loop after it and the packets the copy
            // takes meanwhile (their interrupts preempt the loop, stretching it): one from
            // each child and, below the root, one of the total.
            let period = periods[layout.reduction_index(v).expect("invariant: a member")];
            let children = reduction.children(position);
            let taken = u64::from(children) + u64::from(position > 0);
            let gap = period.saturating_sub(
                costs.packet_send_cycles + taken * options.reduction_receive_cycles,
            );
            Reducer::new(
                TreePlace { position, children },
                reduction.width,
                layout.out_port(v, OutKind::GradientShare, keys),
                layout.out_port(v, OutKind::GradientTotal, keys),
                gap,
            )
        })
    };
    let credits = |v: VertexId| layout.out_port(v, OutKind::Credits, keys).map(|p| p.base);
    // Every replica has the same crediting cores as the first.
    let n_crediting = layout
        .roles
        .iter()
        .enumerate()
        .filter(|&(i, role)| {
            layout.replica_of[i] == 0
                && *role != Role::Loss
                && layout
                    .out_port(VertexId(i as u32), OutKind::Credits, keys)
                    .is_some()
        })
        .count() as u32;
    layout
        .roles
        .iter()
        .enumerate()
        .map(|(i, &role)| {
            let v = VertexId(i as u32);
            let ins = layout.in_ports(v, keys);
            let carried_in = ins.iter().any(|p| p.kind == PortKind::LossCarry);
            let app: Box<dyn Application> = match role {
                Role::Gatherer => Box::new(LivePacketGatherer::new()),
                Role::Feeder => Box::new(Feeder::new(
                    slots,
                    FeederWiring {
                        ins,
                        inputs: layout.out_ports(v, OutKind::Values, 0, keys),
                        labels: layout
                            .out_port(v, OutKind::Labels, keys)
                            .expect("invariant: the feeder sends labels"),
                        control: layout
                            .out_port(v, OutKind::Control, keys)
                            .expect("invariant: the feeder sends control")
                            .base,
                        training_credits: n_crediting,
                        gap: gap(v),
                    },
                    memory.feeder(),
                    memory.feeder_batch_buffer(u64::from(layout.record_capacity)),
                )),
                Role::Loss => Box::new(LossCore::<A>::new(
                    spec.outputs() as u32,
                    slots,
                    output_activation,
                    spec.loss(),
                    layout.record_capacity,
                    LossWiring {
                        carried_in,
                        ins,
                        deltas: layout.out_ports(v, OutKind::Deltas, 0, keys),
                        credits: credits(v).expect("invariant: the loss core credits"),
                        loss_out: match layout.out_port(v, OutKind::Results, keys) {
                            Some(results) => LossOut::Results(results.base),
                            None => LossOut::Carry(
                                layout
                                    .out_port(v, OutKind::LossCarry, keys)
                                    .expect("invariant: a loss core reports or carries on")
                                    .base,
                            ),
                        },
                        gap: gap(v),
                    },
                    memory.loss(spec.outputs() as u64),
                )),
                Role::Tile { group: g, tile: t } => {
                    let group = &plan.groups[g];
                    let tile = &tiles[g][t];
                    let filters = &tile.pre.channels;
                    let mut values = Vec::new();
                    let mut held_velocity = Vec::new();
                    let mut terms = Vec::new();
                    let mut input_lens = Vec::new();
                    let at = tile_parameter_layout(graph, group, tile);
                    for (term_index, term) in group.terms.iter().enumerate() {
                        let input = group.input_box(term_index, &tile.pre);
                        input_lens.push(match term.kind {
                            TermKind::Blocked { .. } => 0,
                            _ => input.len() as u32,
                        });
                        let (kernel_at, bias_at) = at[term_index].clone();
                        if let Some(node) = term.weighted {
                            let p = params_of(graph, node);
                            let w = layer(node);
                            if kernel_at.is_some() {
                                values.extend(kernel_slice(&p, &w.kernel, &(0..p.inputs), filters));
                            }
                            values.extend_from_slice(&w.bias[filters.clone()]);
                            if let Some(v) = velocity(node) {
                                if kernel_at.is_some() {
                                    held_velocity.extend(kernel_slice(
                                        &p,
                                        &v.kernel,
                                        &(0..p.inputs),
                                        filters,
                                    ));
                                }
                                held_velocity.extend_from_slice(&v.bias[filters.clone()]);
                            }
                            let bias = bias_at.expect("invariant: weighted terms hold a bias");
                            terms.push(match &term.kind {
                                TermKind::Inline => TileTerm::Inline {
                                    kernel: Correlation::new(
                                        &term.axes,
                                        p.window,
                                        &tile.pre,
                                        &input,
                                        filters.len(),
                                    ),
                                    weights: kernel_at
                                        .expect("invariant: inline terms hold a kernel"),
                                    bias,
                                    sends_delta: term.sends_delta,
                                },
                                _ => TileTerm::Blocked { bias },
                            });
                        } else {
                            terms.push(TileTerm::Identity {
                                sends_delta: term.sends_delta,
                            });
                        }
                    }
                    let shape = TileShape {
                        slots,
                        pre: tile.pre.len() as u32,
                        outputs: tile.out.len() as u32,
                        filters: filters.len() as u32,
                        activation: group.activation,
                        pool: group
                            .pool
                            .map(|p| PoolWindows::new(p.kind, &p.axes, &tile.out, &tile.pre)),
                        through: group.through,
                        source: if group.is_output {
                            DeltaSource::Loss {
                                fused: is_fused(output_activation, spec.loss()),
                            }
                        } else {
                            DeltaSource::Readers
                        },
                        input_lens,
                        delta_buffers: memory
                            .delta_buffers(graph.consumers(group.output).len() as u64)
                            as u32,
                        dtcm: memory.tile(&group.tile_size(graph, &tile.out, &tile.pre)),
                    };
                    let wiring = TileWiring {
                        outputs: layout.out_ports(v, OutKind::Values, 0, keys),
                        contributions: (0..group.terms.len() as u32)
                            .map(|t| layout.out_ports(v, OutKind::Contributions, t, keys))
                            .collect(),
                        deltas: (0..group.terms.len() as u32)
                            .map(|t| layout.out_ports(v, OutKind::Deltas, t, keys).pop())
                            .collect(),
                        credits: credits(v),
                        gap: gap(v),
                        ins,
                    };
                    Box::new(TileCore::<A>::new(
                        shape,
                        terms,
                        Trainable::new(
                            params(values, velocities.is_some().then_some(held_velocity)),
                            hyper,
                            reducer(v),
                            slots,
                        ),
                        wiring,
                    ))
                }
                Role::Block {
                    group: g,
                    tile: t,
                    term,
                    channels: c,
                } => {
                    let group = &plan.groups[g];
                    let tile = &tiles[g][t];
                    let term_plan = &group.terms[term];
                    let TermKind::Blocked { channel_groups } = &term_plan.kind else {
                        unreachable!("invariant: blocks belong to blocked terms");
                    };
                    let channels = &channel_groups[c];
                    let node = term_plan
                        .weighted
                        .expect("invariant: blocked terms are weighted");
                    let p = params_of(graph, node);
                    let input = group
                        .input_box(term, &tile.pre)
                        .with_channels(channels.clone());
                    let filters = &tile.pre.channels;
                    let kernel = Correlation::new(
                        &term_plan.axes,
                        p.window,
                        &tile.pre,
                        &input,
                        filters.len(),
                    );
                    let size = group.block_size(graph, term, &tile.pre, channels);
                    Box::new(BlockCore::<A>::new(
                        slots,
                        kernel,
                        input.len() as u32,
                        tile.pre.len() as u32,
                        Trainable::new(
                            params(
                                kernel_slice(&p, &layer(node).kernel, channels, filters),
                                velocity(node)
                                    .map(|v| kernel_slice(&p, &v.kernel, channels, filters)),
                            ),
                            hyper,
                            reducer(v),
                            slots,
                        ),
                        BlockWiring {
                            partials: layout
                                .out_port(v, OutKind::Partials, keys)
                                .expect("invariant: blocks send partial sums"),
                            contributions: layout.out_ports(v, OutKind::Contributions, 0, keys),
                            credits: credits(v),
                            gap: gap(v),
                            ins,
                        },
                        memory.block(&size),
                    ))
                }
            };
            app
        })
        .collect()
}
