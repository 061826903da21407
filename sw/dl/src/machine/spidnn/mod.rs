//! The thesis prototype's mapping as a baseline (SpiDNN, Fassbender 2020;
//! `dnn-prior-art.md` §1): one neuron per core, one sample on the machine at a time
//! (ping-pong), each neuron's activation multicast to every neuron of the next layer, softmax
//! through a partition among the output neurons, and errors sent backward by "multicast each
//! error" (§1.6, design 3). It runs on the same machine model, toolchain and runtime as the
//! project's own mapping ([`super::session`]) with the project's arithmetic ([`Arith`]), so
//! training equals the golden reference exactly as the project's mapping does and a
//! comparison of the two measures the mapping alone.
//!
//! What differs from the thesis, on purpose: cores are event driven (no 5 ms timer: work
//! starts when a neuron's last packet arrives, and sends of one layer are spaced by a phase
//! per neuron instead of timer offsets); one feeder core on the Ethernet chip streams the
//! samples instead of one injector core per input feature, and its labels go to the loss core;
//! the first layer's "pong" is a credit per neuron to the feeder; and the numeric defects the
//! thesis's code has (diagonal softmax gradient, BCE sign, the update scaled by K·B) are not
//! reproduced.

pub mod neuron;

use super::arith::Arith;
use super::cores::feeder::{FedSample, Feeder, FeederWiring};
use super::cores::loss::{LossCore, LossOut, LossWiring};
use super::cores::{Operand, Params, Trainable, Violation, START_BATCH};
use super::memory::{Dtcm, MemoryModel};
use super::ports::{InPort, InPorts, Mode, OutPort, PortKind};
use super::session::{
    check_start, resident_batch, write_training_set, BatchOutcome, DataLoad, MachineError,
    MachineOptions, PacketLosses, Parameters, Waiting, RECORDED_SAMPLES,
};
use crate::graph::NodeId;
use crate::model::{LayerWeights, ModelSpec, Weights};
use crate::ops::{Activation, Op};
use neuron::{NeuronCore, NeuronShape, NeuronWiring, OutputDelta, STREAM_INPUTS, STREAM_SIBLINGS};
use spinn_arch::{ChipCoord, CoreId, CORES_PER_CHIP};
use spinn_runtime::{
    load, Application, EngineKind, HostFlow, LivePacketGatherer, Machine, MachineReport,
};
use spinn_toolchain::{
    map, MachineGraph, MapConfig, Mapping, Partition, PartitionId, Resources, Vertex, VertexId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use thiserror::Error;

/// Why the baseline cannot map a model (or what went wrong mapping it).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SpidnnError {
    #[error(
        "the spidnn mapping takes sequential dense models only: layer \"{layer}\" is a {kind}"
    )]
    UnsupportedLayer { layer: String, kind: &'static str },
    #[error(
        "the spidnn mapping takes sequential models only: layer \"{layer}\" does not read the \
         layer before it"
    )]
    NotSequential { layer: String },
    #[error(
        "the spidnn mapping puts a softmax only on the output layer, not on layer \"{layer}\""
    )]
    HiddenSoftmax { layer: String },
    #[error("the spidnn mapping needs at least one dense layer")]
    NoDenseLayer,
    #[error(
        "the spidnn mapping needs one core per neuron: {neurons} neurons and {host} feeder, \
         loss and gatherer cores are {needed} cores, but the machine has {available} \
         application cores"
    )]
    TooManyNeurons {
        neurons: usize,
        host: usize,
        needed: usize,
        available: usize,
    },
    #[error(
        "the spidnn mapping holds a neuron of layer \"{layer}\" on one core: {needed} bytes, \
         more than the {budget} bytes of DTCM a core has for data"
    )]
    NeuronTooLarge {
        layer: String,
        needed: u64,
        budget: u64,
    },
    #[error(transparent)]
    Machine(#[from] MachineError),
}

/// One dense layer as the baseline maps it.
#[derive(Debug, Clone)]
struct Layer {
    name: String,
    inputs: usize,
    units: usize,
    activation: Activation,
}

/// The dense layers of a sequential model, or why it is not one.
fn dense_layers(spec: &ModelSpec) -> Result<Vec<Layer>, SpidnnError> {
    let graph = spec.graph();
    let mut layers = Vec::new();
    let mut width = spec.inputs();
    for (k, node) in graph.nodes().iter().enumerate().skip(1) {
        if node.inputs != [NodeId(k - 1)] {
            return Err(SpidnnError::NotSequential {
                layer: node.name.clone(),
            });
        }
        match &node.op {
            Op::Dense(dense) => {
                layers.push(Layer {
                    name: node.name.clone(),
                    inputs: width,
                    units: dense.units,
                    activation: dense.activation,
                });
                width = dense.units;
            }
            // A view: the feeder sends the input in flat order, and a dense output is flat.
            Op::Flatten(_) => {}
            other => {
                return Err(SpidnnError::UnsupportedLayer {
                    layer: node.name.clone(),
                    kind: other.kind(),
                })
            }
        }
    }
    if layers.is_empty() {
        return Err(SpidnnError::NoDenseLayer);
    }
    let last = layers.len() - 1;
    if let Some(hidden) = layers[..last]
        .iter()
        .find(|l| l.activation == Activation::Softmax)
    {
        return Err(SpidnnError::HiddenSoftmax {
            layer: hidden.name.clone(),
        });
    }
    Ok(layers)
}

/// A neuron's DTCM: its kernel column and bias (value, gradient sum and velocity each), its
/// inputs, the softmax's pre-activations and the error products it keeps (one per successor,
/// so that `f32` adds them in the reference's order).
fn neuron_dtcm(memory: &MemoryModel, layer: &Layer, successors: usize) -> Dtcm {
    let per_parameter = 4 + memory.sum + if memory.momentum { 4 } else { 0 };
    let mut items = vec![
        (
            "kernel column and bias",
            (layer.inputs as u64 + 1) * per_parameter,
        ),
        ("inputs", layer.inputs as u64 * 4),
        ("activations", 4 * layer.units as u64),
    ];
    if successors > 0 {
        items.push(("error products", successors as u64 * memory.sum));
    }
    if layer.activation == Activation::Softmax {
        items.push(("softmax pre-activations", layer.units as u64 * 4));
    }
    Dtcm { items }
}

/// Live application cores of a machine (core 0 of each chip is its monitor).
fn application_cores(topology: &spinn_arch::Machine) -> usize {
    topology
        .chips()
        .map(|chip| {
            (1..CORES_PER_CHIP)
                .filter_map(CoreId::new)
                .filter(|&core| topology.core_alive(chip, core))
                .count()
        })
        .sum()
}

/// A receiving port before keys are allocated.
#[derive(Debug, Clone)]
struct InSpec {
    partition: PartitionId,
    kind: PortKind,
    stream: u32,
    width: u32,
    words: u32,
    dst: Option<Arc<[u32]>>,
}

/// A sending port before keys are allocated.
#[derive(Debug, Clone)]
struct OutSpec {
    partition: PartitionId,
    width: u32,
    words: u32,
    src: Option<Arc<[u32]>>,
}

impl OutSpec {
    fn port(&self, mapping: &Mapping) -> OutPort {
        OutPort {
            base: key_base(mapping, self.partition),
            width: self.width,
            words: self.words,
            src: self.src.clone(),
        }
    }
}

fn key_base(mapping: &Mapping, partition: PartitionId) -> u32 {
    mapping
        .keys
        .get(partition)
        .expect("invariant: every partition has keys")
        .base
}

/// A receiver of a partition: the vertex, what the packets are to it, and where element `k`
/// goes in its buffer.
struct Target {
    vertex: VertexId,
    kind: PortKind,
    stream: u32,
    dst: Option<Arc<[u32]>>,
}

impl Target {
    fn plain(vertex: VertexId, kind: PortKind, stream: u32) -> Target {
        Target {
            vertex,
            kind,
            stream,
            dst: None,
        }
    }

    /// A receiver that puts the partition's single element at `index`.
    fn at(vertex: VertexId, kind: PortKind, stream: u32, index: u32) -> Target {
        Target {
            vertex,
            kind,
            stream,
            dst: Some(Arc::from(vec![index])),
        }
    }
}

/// The machine graph with every vertex's ports, built partition by partition.
#[derive(Default)]
struct Builder {
    graph: MachineGraph,
    ins: Vec<Vec<InSpec>>,
    /// Per vertex, its sending partitions: (kind the receivers see, width, targets).
    sends: Vec<Vec<(PortKind, u32, Vec<VertexId>)>>,
    /// Per vertex, per (kind, stream) it receives (the kind as its discriminant), the vertices sending it such packets.
    senders: Vec<BTreeMap<(u32, u32), BTreeSet<VertexId>>>,
}

impl Builder {
    fn vertex(&mut self, name: String, dtcm: u64, sdram: u64, chip: Option<ChipCoord>) -> VertexId {
        self.ins.push(Vec::new());
        self.sends.push(Vec::new());
        self.senders.push(BTreeMap::new());
        self.graph.add_vertex(Vertex {
            name,
            resources: Resources {
                dtcm_bytes: dtcm.min(u64::from(u32::MAX)) as u32,
                sdram_bytes: sdram,
            },
            chip,
        })
    }

    /// A partition of `width` elements of `words` keys each (one sample slot) from `source`.
    fn link(
        &mut self,
        source: VertexId,
        name: String,
        (width, words): (u32, u32),
        src: Option<Arc<[u32]>>,
        targets: Vec<Target>,
    ) -> Result<OutSpec, MachineError> {
        let partition = self.graph.add_partition(Partition {
            source,
            name,
            n_keys: width * words,
            targets: targets.iter().map(|t| t.vertex).collect(),
        })?;
        let kind = targets.first().map_or(PortKind::Values, |t| t.kind);
        self.sends[source.index()].push((kind, width, targets.iter().map(|t| t.vertex).collect()));
        for t in targets {
            if t.kind != PortKind::Control {
                self.senders[t.vertex.index()]
                    .entry((t.kind as u32, t.stream))
                    .or_default()
                    .insert(source);
            }
            self.ins[t.vertex.index()].push(InSpec {
                partition,
                kind: t.kind,
                stream: t.stream,
                width,
                words,
                dst: t.dst,
            });
        }
        Ok(OutSpec {
            partition,
            width,
            words,
            src,
        })
    }

    fn in_ports(&self, v: VertexId, mapping: &Mapping) -> InPorts {
        InPorts::new(
            self.ins[v.index()]
                .iter()
                .map(|s| {
                    let block = mapping
                        .keys
                        .get(s.partition)
                        .expect("invariant: every partition has keys");
                    InPort {
                        base: block.base,
                        n_keys: block.n_keys,
                        kind: s.kind,
                        stream: s.stream,
                        width: s.width,
                        words: s.words,
                        dst: s.dst.clone(),
                    }
                })
                .collect(),
        )
    }

    /// Core cycles a sender waits between packets: enough for its busiest receiver to take
    /// the packets of every core sending it the same kind of packet at the same time. A
    /// sender of one packet per phase waits nothing (its phase spaces it from its layer).
    fn gap(&self, v: VertexId, receive_cycles: u64, send_cycles: u64) -> u64 {
        let sends = &self.sends[v.index()];
        let busiest = sends
            .iter()
            .filter(|(kind, width, _)| {
                *kind != PortKind::Control
                    && (*width > 1 || sends.iter().filter(|(k, _, _)| k == kind).count() > 1)
            })
            .flat_map(|(kind, _, targets)| {
                targets.iter().map(move |t| {
                    self.senders[t.index()]
                        .iter()
                        .filter(|((k, _), _)| *k == *kind as u32)
                        .map(|(_, s)| s.len() as u64)
                        .max()
                        .unwrap_or(1)
                })
            })
            .max();
        busiest.map_or(0, |b| (b * receive_cycles).saturating_sub(send_cycles))
    }
}

/// Where each neuron's ports are.
struct NeuronPorts {
    forward: OutSpec,
    siblings: Option<OutSpec>,
    errors: Option<OutSpec>,
    credits: Option<OutSpec>,
}

/// The machine graph of the baseline and its ports.
struct Layout {
    builder: Builder,
    feeder: VertexId,
    gatherer: VertexId,
    loss: VertexId,
    neurons: Vec<Vec<VertexId>>,
    ports: Vec<Vec<NeuronPorts>>,
    control: OutSpec,
    inputs: OutSpec,
    labels: OutSpec,
    deltas: Vec<OutSpec>,
    loss_credits: OutSpec,
    results: OutSpec,
    first_layer_credits: u32,
}

impl Layout {
    fn new<A: Arith>(
        spec: &ModelSpec,
        layers: &[Layer],
        memory: &MemoryModel,
        record_capacity: u32,
    ) -> Result<Layout, MachineError> {
        let mut b = Builder::default();
        let ethernet = Some(ChipCoord::new(0, 0));
        let outputs = spec.outputs() as u32;
        let feeder = b.vertex(
            "spidnn/feeder".into(),
            memory.feeder().total(),
            memory.feeder_batch_buffer(u64::from(record_capacity)),
            ethernet,
        );
        let gatherer = b.vertex("spidnn/gatherer".into(), 1024, 0, ethernet);
        let loss = b.vertex(
            "spidnn/loss".into(),
            memory.loss(u64::from(outputs)).total(),
            u64::from(record_capacity) * 4 * u64::from(outputs),
            None,
        );
        let neurons: Vec<Vec<VertexId>> = layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let successors = layers.get(l + 1).map_or(0, |next| next.units);
                let dtcm = neuron_dtcm(memory, layer, successors).total();
                (0..layer.units)
                    .map(|j| b.vertex(format!("spidnn/{}/n{j}", layer.name), dtcm, 0, None))
                    .collect()
            })
            .collect();
        let all_neurons: Vec<VertexId> = neurons.iter().flatten().copied().collect();
        let control = b.link(
            feeder,
            "control".into(),
            (Mode::COUNT, 1),
            None,
            std::iter::once(loss)
                .chain(all_neurons.iter().copied())
                .map(|v| Target::plain(v, PortKind::Control, 0))
                .collect(),
        )?;
        let inputs = b.link(
            feeder,
            "inputs".into(),
            (spec.inputs() as u32, 1),
            None,
            neurons[0]
                .iter()
                .map(|&v| Target::plain(v, PortKind::Values, STREAM_INPUTS))
                .collect(),
        )?;
        let labels = b.link(
            feeder,
            "labels".into(),
            (outputs, 1),
            None,
            vec![Target::plain(loss, PortKind::Labels, 0)],
        )?;
        let last = layers.len() - 1;
        let mut ports = Vec::new();
        for (l, layer) in layers.iter().enumerate() {
            let mut layer_ports = Vec::new();
            for (j, &v) in neurons[l].iter().enumerate() {
                let j = j as u32;
                let forward_targets = if l == last {
                    vec![Target::at(loss, PortKind::Values, 0, j)]
                } else {
                    neurons[l + 1]
                        .iter()
                        .map(|&t| Target::at(t, PortKind::Values, STREAM_INPUTS, j))
                        .collect()
                };
                let forward = b.link(v, "forward".into(), (1, 1), None, forward_targets)?;
                let siblings = if layer.activation == Activation::Softmax && layer.units > 1 {
                    let others = neurons[l]
                        .iter()
                        .filter(|&&t| t != v)
                        .map(|&t| Target::at(t, PortKind::Values, STREAM_SIBLINGS, j))
                        .collect();
                    Some(b.link(v, "softmax".into(), (1, 1), None, others)?)
                } else {
                    None
                };
                // Each product is multicast to the whole layer below; the receivers keep
                // theirs by its element, and know the sender by the stream.
                let errors = if l > 0 {
                    let below = &neurons[l - 1];
                    Some(
                        b.link(
                            v,
                            "errors".into(),
                            (below.len() as u32, A::SUM_KEYS),
                            None,
                            below
                                .iter()
                                .map(|&t| Target::plain(t, PortKind::Contributions, j))
                                .collect(),
                        )?,
                    )
                } else {
                    None
                };
                let credits = if l == 0 {
                    Some(b.link(
                        v,
                        "credits".into(),
                        (1, 1),
                        None,
                        vec![Target::plain(feeder, PortKind::Credits, 0)],
                    )?)
                } else {
                    None
                };
                layer_ports.push(NeuronPorts {
                    forward,
                    siblings,
                    errors,
                    credits,
                });
            }
            ports.push(layer_ports);
        }
        // The loss core's δ: one partition per output neuron, as the thesis has it, or every
        // output's δa to every output neuron when a softmax's Jacobian needs them all.
        let output = &layers[last];
        let all_deltas = output.activation == Activation::Softmax
            && !super::arith::is_fused(output.activation, spec.loss())
            && output.units > 1;
        let deltas = if all_deltas {
            vec![b.link(
                loss,
                "deltas".into(),
                (outputs, 1),
                None,
                neurons[last]
                    .iter()
                    .map(|&t| Target::plain(t, PortKind::Deltas, 0))
                    .collect(),
            )?]
        } else {
            neurons[last]
                .iter()
                .enumerate()
                .map(|(j, &t)| {
                    b.link(
                        loss,
                        format!("delta{j}"),
                        (1, 1),
                        Some(Arc::from(vec![j as u32])),
                        vec![Target::plain(t, PortKind::Deltas, 0)],
                    )
                })
                .collect::<Result<_, _>>()?
        };
        let loss_credits = b.link(
            loss,
            "credits".into(),
            (1, 1),
            None,
            vec![Target::plain(feeder, PortKind::Credits, 0)],
        )?;
        let results = b.link(
            loss,
            "results".into(),
            (2, 1),
            None,
            vec![Target::plain(gatherer, PortKind::Values, 0)],
        )?;
        Ok(Layout {
            builder: b,
            feeder,
            gatherer,
            loss,
            first_layer_credits: neurons[0].len() as u32,
            neurons,
            ports,
            control,
            inputs,
            labels,
            deltas,
            loss_credits,
            results,
        })
    }
}

/// A network mapped the thesis prototype's way and loaded on the machine, in numeric mode `A`
/// (which must be the model's).
pub struct SpidnnNetwork<A: Arith> {
    spec: ModelSpec,
    layers: Vec<Layer>,
    layout: Layout,
    mapping: Mapping,
    machine: Machine,
    names: Vec<String>,
    batch_limit_cycles: u64,
    record_capacity: usize,
    /// Bytes one sample takes in SDRAM, its inputs and labels (the memory model's).
    sample_bytes: u64,
    /// The training set in the feeder chip's SDRAM, and what writing it cost.
    resident: Option<(Arc<[FedSample]>, DataLoad)>,
    _mode: std::marker::PhantomData<A>,
}

impl<A: Arith> SpidnnNetwork<A> {
    /// Checks that the baseline can map `spec`, builds its machine graph (one core per
    /// neuron), maps it and loads it with `weights`.
    pub fn new(
        spec: &ModelSpec,
        weights: &Weights,
        options: &MachineOptions,
    ) -> Result<SpidnnNetwork<A>, SpidnnError> {
        SpidnnNetwork::resume(spec, weights, None, options)
    }

    /// As [`SpidnnNetwork::new`], with the optimiser's momentum velocities of a checkpoint
    /// (`None`: zero, as at the start), so training continues exactly where it stopped.
    pub fn resume(
        spec: &ModelSpec,
        weights: &Weights,
        velocities: Option<&Weights>,
        options: &MachineOptions,
    ) -> Result<SpidnnNetwork<A>, SpidnnError> {
        check_start::<A>(spec, weights, velocities)?;
        let layers = dense_layers(spec)?;
        let neurons: usize = layers.iter().map(|l| l.units).sum();
        let available = application_cores(&options.topology);
        if neurons + 3 > available {
            return Err(SpidnnError::TooManyNeurons {
                neurons,
                host: 3,
                needed: neurons + 3,
                available,
            });
        }
        let memory = MemoryModel::new(spec, 1);
        for (l, layer) in layers.iter().enumerate() {
            let successors = layers.get(l + 1).map_or(0, |next| next.units);
            let needed = neuron_dtcm(&memory, layer, successors).total();
            if needed > options.plan.dtcm_bytes {
                return Err(SpidnnError::NeuronTooLarge {
                    layer: layer.name.clone(),
                    needed,
                    budget: options.plan.dtcm_bytes,
                });
            }
        }
        let record_capacity = spec.optimizer().batch_size().max(RECORDED_SAMPLES);
        let layout = Layout::new::<A>(spec, &layers, &memory, record_capacity as u32)?;
        let mapping = map(
            &options.topology,
            &layout.builder.graph,
            MapConfig::SPINNAKER1,
        )
        .map_err(MachineError::from)?;
        let names = layout
            .builder
            .graph
            .vertices()
            .map(|(_, v)| v.name.clone())
            .collect();
        let apps = build_apps::<A>(
            spec,
            (weights, velocities),
            &layers,
            &layout,
            &mapping,
            &memory,
            options,
        );
        let machine = load(
            &options.topology,
            &layout.builder.graph,
            &mapping,
            apps,
            options.machine.clone(),
            EngineKind::Fast,
        )
        .map_err(MachineError::from)?;
        Ok(SpidnnNetwork {
            spec: spec.clone(),
            layers,
            layout,
            mapping,
            machine,
            names,
            batch_limit_cycles: options.batch_limit_cycles,
            record_capacity,
            sample_bytes: memory.sample_bytes,
            resident: None,
            _mode: std::marker::PhantomData,
        })
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The machine graph (one vertex per neuron, the feeder, the loss core and the gatherer).
    pub fn graph(&self) -> &MachineGraph {
        &self.layout.builder.graph
    }

    /// The machine's totals so far.
    pub fn report(&self) -> MachineReport {
        self.machine.report()
    }

    /// Every router's load so far, in the machine's chip order.
    pub fn chip_loads(&self) -> Vec<spinn_model::ChipLoad> {
        self.machine.chip_loads()
    }

    /// Every link's busy cycles so far (the fast model keeps them).
    pub fn link_loads(&self) -> Option<Vec<spinn_model::LinkLoad>> {
        self.machine.link_loads()
    }

    /// The core that has spent the most machine time in handlers and callbacks, and those
    /// router cycles (ties: the first vertex name), as [`super::OnMachine::busiest_core`].
    pub fn busiest_core(&self) -> Option<(String, u64)> {
        self.machine.busiest_of(&self.names)
    }

    /// Writes the training set `(x, y)` into the SDRAM of the feeder's chip, replacing the
    /// one written before; returns what the write cost. The samples are checked as a batch's
    /// are, without the batch-size limit. A set larger than the chip's SDRAM is a
    /// [`MachineError::Memory`] and leaves no training set on the machine.
    pub fn load_training_set(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<DataLoad, MachineError> {
        let set: Arc<[FedSample]> = Arc::from(super::session::fed_samples::<A>(
            &self.spec,
            usize::MAX,
            x,
            Some(y),
        )?);
        let bytes_per_chip = set.len() as u64 * self.sample_bytes;
        let feeder = self.names[self.layout.feeder.index()].as_str();
        let load = write_training_set(&mut self.machine, [feeder], set.len(), bytes_per_chip)
            .inspect_err(|_| self.resident = None)?;
        self.resident = Some((set, load));
        Ok(load)
    }

    /// What writing the training set on the machine cost, if one is there.
    pub fn data_load(&self) -> Option<DataLoad> {
        self.resident.as_ref().map(|(_, load)| *load)
    }

    /// One SGD step on the samples `indices` of the training set on the machine (in batch
    /// order): the same step as [`SpidnnNetwork::train_batch`] on those samples, with only
    /// the indices passed to the feeder.
    pub fn train_resident(
        &mut self,
        indices: &[usize],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let set = resident_batch(&self.resident, indices, self.record_capacity)?;
        let set = set.clone();
        self.run_batch(
            Mode::Train,
            set,
            indices.iter().map(|&i| i as u32).collect(),
        )
    }

    /// One SGD step on the batch `(x, y)`; returns its mean loss before the update and the
    /// outputs it was computed from.
    pub fn train_batch(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let samples = self.samples(x, Some(y))?;
        self.run_streamed(Mode::Train, samples)
    }

    /// The mean loss and outputs of `(x, y)` without training.
    pub fn evaluate_batch(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let samples = self.samples(x, Some(y))?;
        self.run_streamed(Mode::Evaluate, samples)
    }

    /// The outputs for `x`.
    pub fn predict_batch(&mut self, x: &[&[f32]]) -> Result<Vec<Vec<A::Value>>, MachineError> {
        let samples = self.samples(x, None)?;
        Ok(self.run_streamed(Mode::Predict, samples)?.outputs)
    }

    /// Every dense layer's kernel (Keras layout) and bias as the neurons hold them.
    pub fn parameters(&self) -> Vec<Parameters<A::Value>> {
        self.gather(|core| Some(core.parameters()))
            .expect("invariant: every neuron holds its parameters")
    }

    /// Every dense layer's momentum velocities, laid out as its parameters (`None` without
    /// momentum).
    pub fn velocities(&self) -> Option<Vec<Parameters<A::Value>>> {
        self.gather(NeuronCore::velocities)
    }

    /// The velocities as `f32`, named and shaped as the weights (for a checkpoint).
    pub fn velocity_weights(&self) -> Option<Weights> {
        self.velocities().map(|v| self.as_weights(v))
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

    /// Packets the cores received on keys they do not listen to (0 when the tables are
    /// right).
    pub fn stray_packets(&self) -> u64 {
        let mut stray = self
            .machine
            .app::<Feeder>(self.name(self.layout.feeder))
            .map_or(0, Feeder::stray_packets);
        stray += self
            .machine
            .app::<LossCore<A>>(self.name(self.layout.loss))
            .map_or(0, |c| c.stray_packets());
        stray += self.neuron_cores().map(|c| c.stray_packets()).sum::<u64>();
        stray
    }

    /// Error packets the neurons received for another neuron of their layer and dropped:
    /// the traffic "multicast each error" spends.
    pub fn discarded_packets(&self) -> u64 {
        self.neuron_cores().map(|c| c.discarded_packets()).sum()
    }

    /// Every core holding a partly received sample, and what it is missing.
    pub fn waiting(&self) -> Vec<Waiting> {
        let mut all = Vec::new();
        let mut push = |vertex: VertexId, missing: Vec<String>| {
            if !missing.is_empty() {
                all.push(Waiting {
                    vertex: self.name(vertex).to_string(),
                    missing,
                });
            }
        };
        if let Some(f) = self.machine.app::<Feeder>(self.name(self.layout.feeder)) {
            push(self.layout.feeder, f.waiting());
        }
        if let Some(c) = self.machine.app::<LossCore<A>>(self.name(self.layout.loss)) {
            push(self.layout.loss, c.waiting());
        }
        for &v in self.layout.neurons.iter().flatten() {
            if let Some(c) = self.machine.app::<NeuronCore<A>>(self.name(v)) {
                push(v, c.waiting());
            }
        }
        all
    }

    fn name(&self, v: VertexId) -> &str {
        &self.names[v.index()]
    }

    fn neuron_cores(&self) -> impl Iterator<Item = &NeuronCore<A>> + '_ {
        self.layout
            .neurons
            .iter()
            .flatten()
            .filter_map(|&v| self.machine.app::<NeuronCore<A>>(self.name(v)))
    }

    /// Per layer, what `held` takes from each neuron, assembled in Keras layout.
    fn gather<'a>(
        &'a self,
        held: impl Fn(&'a NeuronCore<A>) -> Option<&'a [A::Value]>,
    ) -> Option<Vec<Parameters<A::Value>>> {
        self.layers
            .iter()
            .zip(&self.layout.neurons)
            .map(|(layer, vertices)| {
                let (n, m) = (layer.inputs, layer.units);
                let mut kernel = vec![A::Value::default(); n * m];
                let mut bias = vec![A::Value::default(); m];
                for (j, &v) in vertices.iter().enumerate() {
                    let core = self
                        .machine
                        .app::<NeuronCore<A>>(self.name(v))
                        .expect("invariant: neuron vertices run NeuronCores");
                    let values = held(core)?;
                    for i in 0..n {
                        kernel[i * m + j] = values[i];
                    }
                    bias[j] = values[n];
                }
                Some(Parameters {
                    name: layer.name.clone(),
                    kernel,
                    bias,
                })
            })
            .collect()
    }

    fn samples(&self, x: &[&[f32]], y: Option<&[&[f32]]>) -> Result<Vec<FedSample>, MachineError> {
        super::session::fed_samples::<A>(&self.spec, self.record_capacity, x, y)
    }

    /// A batch the host streams: its samples, in order.
    fn run_streamed(
        &mut self,
        mode: Mode,
        samples: Vec<FedSample>,
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let order = (0..samples.len() as u32).collect();
        self.run_batch(mode, Arc::from(samples), order)
    }

    /// Runs the samples `order` of `set` through the machine in `mode`, one sample at a
    /// time, and waits for them. (The project's mapping runs a batch that lost packets again;
    /// the baseline, like the thesis, stalls: the watchdog then names what each core waits
    /// for.)
    fn run_batch(
        &mut self,
        mode: Mode,
        set: Arc<[FedSample]>,
        order: Vec<u32>,
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let n = order.len();
        let feeder = self.name(self.layout.feeder).to_string();
        self.machine
            .app_mut::<Feeder>(&feeder)
            .expect("invariant: the feeder vertex runs a Feeder")
            .load(mode, set, order, n as u32);
        self.machine.raise_user_event(&feeder, START_BATCH, 0);
        let results = key_base(&self.mapping, self.layout.results.partition);
        let mut words: [Option<u32>; 2] = [None, None];
        let reason = self.machine.run_with_host(self.batch_limit_cycles, |p| {
            if let Some(i) = p.key.checked_sub(results).filter(|&i| i < 2) {
                words[i as usize] = p.payload;
            }
            HostFlow::Continue
        });
        let finished = self
            .machine
            .app::<Feeder>(&feeder)
            .expect("invariant: the feeder vertex runs a Feeder")
            .finished();
        let loss_name = self.name(self.layout.loss).to_string();
        let loss_core = self
            .machine
            .app_mut::<LossCore<A>>(&loss_name)
            .expect("invariant: the loss vertex runs a LossCore");
        let outputs = loss_core.take_recorded();
        if let Some(sample) = loss_core.non_finite() {
            return Err(MachineError::NonFinite { sample });
        }
        if let Some(error) = self.take_violations() {
            return Err(error);
        }
        let loss_arrived = mode == Mode::Predict || words.iter().all(Option::is_some);
        if finished != n || outputs.len() != n || !loss_arrived {
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

    /// Reads and clears every neuron's range-check record after a batch: the violation the
    /// machine met first (ties: the first neuron in layer order), named by layer and index.
    fn take_violations(&mut self) -> Option<MachineError> {
        let mut first: Option<(u64, MachineError)> = None;
        for (l, vertices) in self.layout.neurons.iter().enumerate() {
            for (j, &v) in vertices.iter().enumerate() {
                let name = &self.names[v.index()];
                let Some(violation) = self
                    .machine
                    .app_mut::<NeuronCore<A>>(name)
                    .and_then(NeuronCore::take_violation)
                else {
                    continue;
                };
                if first.as_ref().is_none_or(|(o, _)| violation.at_cycle < *o) {
                    let error = name_violation(&self.layers[l], j, &violation);
                    first = Some((violation.at_cycle, error));
                }
            }
        }
        first.map(|(_, error)| error)
    }
}

/// Neuron `j`'s violation as the layer, array and index it is in.
fn name_violation(layer: &Layer, j: usize, violation: &Violation) -> MachineError {
    let k = violation.index;
    let (array, index) = match violation.operand {
        Operand::Inputs { .. } => ("inputs", k),
        Operand::DeltaZ => ("delta_z", j),
        Operand::Parameters if k < layer.inputs => ("kernel", k * layer.units + j),
        Operand::Parameters => ("bias", j),
    };
    MachineError::OutOfRange {
        layer: layer.name.clone(),
        array,
        index,
        value: violation.value,
        sample: violation.sample,
        bound: super::arith::from_fixed(crate::model::FIXED_MAX_ABS),
    }
}

/// The program of every vertex, wired with the allocated keys.
fn build_apps<A: Arith>(
    spec: &ModelSpec,
    (weights, velocities): (&Weights, Option<&Weights>),
    layers: &[Layer],
    layout: &Layout,
    mapping: &Mapping,
    memory: &MemoryModel,
    options: &MachineOptions,
) -> Vec<Box<dyn Application>> {
    let b = &layout.builder;
    let receive = options.receive_cycles;
    let send = options.machine.costs.packet_send_cycles;
    let hyper = A::hyper(spec);
    let momentum = spec.optimizer().momentum().is_some();
    let last = layers.len() - 1;
    let fused = super::arith::is_fused(layers[last].activation, spec.loss());
    let mut apps: Vec<Option<Box<dyn Application>>> =
        (0..b.graph.n_vertices()).map(|_| None).collect();
    apps[layout.feeder.index()] = Some(Box::new(Feeder::new(
        1,
        FeederWiring {
            ins: b.in_ports(layout.feeder, mapping),
            inputs: vec![layout.inputs.port(mapping)],
            labels: layout.labels.port(mapping),
            control: layout.control.port(mapping).base,
            training_credits: layout.first_layer_credits,
            gap: b.gap(layout.feeder, receive, send),
        },
        memory.feeder(),
        memory.feeder_batch_buffer(spec.optimizer().batch_size().max(RECORDED_SAMPLES) as u64),
    )));
    apps[layout.gatherer.index()] = Some(Box::new(LivePacketGatherer::new()));
    apps[layout.loss.index()] = Some(Box::new(LossCore::<A>::new(
        spec.outputs() as u32,
        1,
        layers[last].activation,
        spec.loss(),
        spec.optimizer().batch_size().max(RECORDED_SAMPLES) as u32,
        LossWiring {
            ins: b.in_ports(layout.loss, mapping),
            deltas: layout.deltas.iter().map(|d| d.port(mapping)).collect(),
            credits: layout.loss_credits.port(mapping).base,
            loss_out: LossOut::Results(layout.results.port(mapping).base),
            carried_in: false,
            gap: b.gap(layout.loss, receive, send),
        },
        memory.loss(spec.outputs() as u64),
    )));
    for (l, layer) in layers.iter().enumerate() {
        let w = weights
            .layer(&layer.name)
            .expect("invariant: the weights cover every dense layer");
        let successors = layers.get(l + 1).map_or(0, |next| next.units);
        let delta = match (l == last, fused, layer.activation) {
            (false, _, _) => OutputDelta::Errors,
            (true, true, _) => OutputDelta::Fused,
            (true, false, Activation::Softmax) if layer.units > 1 => OutputDelta::All,
            (true, false, _) => OutputDelta::Own,
        };
        let dtcm = neuron_dtcm(memory, layer, successors);
        for (j, &v) in layout.neurons[l].iter().enumerate() {
            let (n, m) = (layer.inputs, layer.units);
            let column = |kernel: &[f32], bias: &[f32]| {
                (0..n)
                    .map(|i| kernel[i * m + j])
                    .chain(std::iter::once(bias[j]))
                    .map(A::from_f32)
                    .collect::<Vec<_>>()
            };
            // A checkpoint's velocities continue its momentum; without them (or without
            // momentum) they start at zero as the reference's do.
            let velocity = velocities
                .filter(|_| momentum)
                .and_then(|v| v.layer(&layer.name))
                .map(|v| column(&v.kernel, &v.bias));
            let params = match velocity {
                Some(velocity) => {
                    Params::<A>::with_velocity(column(&w.kernel, &w.bias), Some(velocity))
                }
                None => Params::<A>::new(column(&w.kernel, &w.bias), momentum),
            };
            let ports = &layout.ports[l][j];
            let shape = NeuronShape {
                index: j as u32,
                units: m as u32,
                inputs: n as u32,
                successors: successors as u32,
                activation: layer.activation,
                delta,
                phase: j as u64 * receive,
                dtcm: dtcm.clone(),
            };
            let wiring = NeuronWiring {
                ins: b.in_ports(v, mapping),
                forward: ports.forward.port(mapping),
                siblings: ports.siblings.as_ref().map(|p| p.port(mapping)),
                errors: ports.errors.as_ref().map(|p| p.port(mapping)),
                credits: ports.credits.as_ref().map(|p| p.port(mapping).base),
                gap: b.gap(v, receive, send),
            };
            apps[v.index()] = Some(Box::new(NeuronCore::<A>::new(
                shape,
                Trainable::new(params, hyper, None, 1),
                wiring,
            )));
        }
    }
    apps.into_iter()
        .map(|app| app.expect("invariant: every vertex has a program"))
        .collect()
}
