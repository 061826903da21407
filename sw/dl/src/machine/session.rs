//! The host side of a network on the machine: build the graph from a plan, map and load it,
//! then stream batches through the feeder and read results back (the batch loss live through
//! the gatherer, outputs from the loss core's recording, weights from the cores' memory).
//!
//! A batch runs until the machine is quiet. If the feeder has not seen every sample finished
//! by then (or the batch's machine-time limit passes), the watchdog names every core that holds
//! a partly filled sample slot and what it is missing, instead of waiting for ever.

use super::arith::{is_fused, Arith};
use super::cores::{
    AccumulatorCore, AccumulatorWiring, BlockCore, BlockWiring, DeltaSource, FedSample, Feeder,
    FeederWiring, LossCore, LossWiring, START_BATCH,
};
use super::layout::{Layout, OutKind, Role, Spread};
use super::ports::Mode;
use crate::model::{LayerWeights, ModelSpec, Optimizer, Weights};
use crate::plan::{plan, Plan, PlanConfig, PlanError};
use spinn_runtime::{
    load, Application, EngineKind, HostFlow, LivePacketGatherer, LoadError, Machine, MachineConfig,
    MachineReport, StopReason,
};
use spinn_toolchain::{map, GraphError, MapConfig, MapError, Mapping, VertexId};
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
    /// Receiver cycles per packet the senders' pacing assumes.
    pub receive_cycles: u64,
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
            receive_cycles: 64,
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
    #[error("{what}: expected {expected} values per sample, got {got} (sample {sample})")]
    Shape {
        what: &'static str,
        sample: usize,
        expected: usize,
        got: usize,
    },
    #[error("a batch needs at least one sample")]
    EmptyBatch,
    #[error(
        "a batch of {samples} samples is more than the {capacity} the loss core's recording \
         holds; split it"
    )]
    BatchTooLarge { samples: usize, capacity: usize },
    #[error("{}", stall_message(.finished, .samples, .reason, .waiting))]
    Stalled {
        samples: usize,
        finished: usize,
        reason: StopReason,
        waiting: Vec<Waiting>,
    },
    #[error("the network's outputs are not numbers from sample {sample} of the batch on")]
    NonFinite { sample: usize },
}

fn stall_message(
    finished: &usize,
    samples: &usize,
    reason: &StopReason,
    waiting: &[Waiting],
) -> String {
    let why = match reason {
        StopReason::Quiescent => "the machine went quiet",
        StopReason::TimeLimit => "the batch's machine-time limit passed",
        StopReason::HostRequest => "the host stopped it",
    };
    let mut s = format!(
        "watchdog: the batch stalled with {finished} of {samples} samples finished ({why})"
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

/// One layer's parameters in the machine's numeric mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters<V> {
    /// Row-major, inputs × units (Keras layout).
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

/// A network loaded on the machine, in numeric mode `A`.
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
    _mode: std::marker::PhantomData<A>,
}

impl<A: Arith> OnMachine<A> {
    /// Plans `spec`, builds its graph, maps it and loads it with `weights`.
    pub fn new(
        spec: &ModelSpec,
        weights: &Weights,
        options: &MachineOptions,
    ) -> Result<OnMachine<A>, MachineError> {
        let plan = plan(spec, &options.plan)?;
        let batch_size = match spec.optimizer() {
            Optimizer::Sgd { batch_size, .. } => batch_size,
        };
        let record_capacity = batch_size.max(RECORDED_SAMPLES);
        let layout = Layout::new(
            spec,
            &plan,
            &options.plan,
            A::SUM_KEYS,
            record_capacity as u32,
            &options.spread,
        )?;
        let mapping = map(&options.topology, &layout.graph, MapConfig::SPINNAKER1)?;
        let apps = build_apps::<A>(spec, weights, &plan, &layout, &mapping, options);
        let names = layout
            .graph
            .vertices()
            .map(|(_, v)| v.name.clone())
            .collect();
        let machine = load(
            &options.topology,
            &layout.graph,
            &mapping,
            apps,
            options.machine.clone(),
            EngineKind::Fast,
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
            _mode: std::marker::PhantomData,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    pub fn report(&self) -> MachineReport {
        self.machine.report()
    }

    fn name(&self, v: VertexId) -> &str {
        &self.names[v.index()]
    }

    fn samples(&self, x: &[&[f32]], y: Option<&[&[f32]]>) -> Result<Vec<FedSample>, MachineError> {
        if x.is_empty() {
            return Err(MachineError::EmptyBatch);
        }
        if x.len() > self.record_capacity {
            return Err(MachineError::BatchTooLarge {
                samples: x.len(),
                capacity: self.record_capacity,
            });
        }
        let word = |v: &f32| A::to_word(A::from_f32(*v));
        let mut samples = Vec::with_capacity(x.len());
        for (i, input) in x.iter().enumerate() {
            if input.len() != self.spec.inputs() {
                return Err(MachineError::Shape {
                    what: "inputs",
                    sample: i,
                    expected: self.spec.inputs(),
                    got: input.len(),
                });
            }
            let labels = match y {
                None => None,
                Some(y) => {
                    let label = y.get(i).copied().unwrap_or(&[]);
                    if label.len() != self.spec.outputs() {
                        return Err(MachineError::Shape {
                            what: "labels",
                            sample: i,
                            expected: self.spec.outputs(),
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

    /// Streams one batch through the machine in `mode` and waits for it.
    fn run_batch(
        &mut self,
        mode: Mode,
        samples: Vec<FedSample>,
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let n = samples.len();
        let feeder = self.names[self.layout.feeder.index()].clone();
        self.machine
            .app_mut::<Feeder>(&feeder)
            .expect("invariant: the feeder vertex runs a Feeder")
            .load(mode, samples);
        self.machine.raise_user_event(&feeder, START_BATCH, 0);
        let mut words: [Option<u32>; 2] = [None, None];
        let loss = self.names[self.layout.loss.index()].clone();
        let results = self
            .mapping
            .keys
            .get(
                self.layout
                    .out_port_partition(self.layout.loss, OutKind::Results),
            )
            .expect("invariant: the results partition has keys")
            .base;
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
        let loss_core = self
            .machine
            .app_mut::<LossCore<A>>(&loss)
            .expect("invariant: the loss vertex runs a LossCore");
        let outputs = loss_core.take_recorded();
        if let Some(sample) = loss_core.non_finite() {
            return Err(MachineError::NonFinite { sample });
        }
        let loss_arrived = mode == Mode::Predict || words.iter().all(Option::is_some);
        if finished != n || outputs.len() != n || !loss_arrived {
            return Err(MachineError::Stalled {
                samples: n,
                finished,
                reason,
                waiting: self.waiting(),
            });
        }
        let loss = match words {
            [Some(lo), Some(hi)] => Some(f64::from_bits(u64::from(lo) | u64::from(hi) << 32)),
            _ => None,
        };
        Ok(BatchOutcome { loss, outputs })
    }

    /// Every core holding a partly received sample, and what it is missing.
    pub fn waiting(&self) -> Vec<Waiting> {
        let mut all = Vec::new();
        for (i, role) in self.layout.roles.iter().enumerate() {
            let vertex = &self.names[i];
            let missing = match role {
                Role::Feeder => self.machine.app::<Feeder>(vertex).map(Feeder::waiting),
                Role::Gatherer => None,
                Role::Loss => self.machine.app::<LossCore<A>>(vertex).map(|c| c.waiting()),
                Role::Block { .. } => self
                    .machine
                    .app::<BlockCore<A>>(vertex)
                    .map(|c| c.waiting()),
                Role::Accumulator { .. } => self
                    .machine
                    .app::<AccumulatorCore<A>>(vertex)
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
        self.run_batch(Mode::Train, samples)
    }

    /// The mean loss and outputs of `(x, y)` without training.
    pub fn evaluate_batch(
        &mut self,
        x: &[&[f32]],
        y: &[&[f32]],
    ) -> Result<BatchOutcome<A::Value>, MachineError> {
        let samples = self.samples(x, Some(y))?;
        self.run_batch(Mode::Evaluate, samples)
    }

    /// The outputs for `x`.
    pub fn predict_batch(&mut self, x: &[&[f32]]) -> Result<Vec<Vec<A::Value>>, MachineError> {
        let samples = self.samples(x, None)?;
        Ok(self.run_batch(Mode::Predict, samples)?.outputs)
    }

    /// Every layer's kernel (row-major, inputs × units) and bias as the cores hold them
    /// (the host reading each core's DTCM).
    pub fn parameters(&self) -> Vec<Parameters<A::Value>> {
        self.plan
            .layers
            .iter()
            .zip(&self.layout.layers)
            .map(|(lp, cores)| {
                let mut kernel = vec![A::Value::default(); lp.inputs * lp.units];
                let mut bias = vec![A::Value::default(); lp.units];
                for (r, rows) in lp.row_blocks.iter().enumerate() {
                    for (c, cols) in lp.column_blocks.iter().enumerate() {
                        let block = self
                            .machine
                            .app::<BlockCore<A>>(self.name(cores.blocks[r][c]))
                            .expect("invariant: block vertices run BlockCores");
                        let w = block.weights();
                        for (i, row) in rows.clone().enumerate() {
                            for (j, col) in cols.clone().enumerate() {
                                kernel[row * lp.units + col] = w[i * cols.len() + j];
                            }
                        }
                    }
                }
                for (c, cols) in lp.column_blocks.iter().enumerate() {
                    let acc = self
                        .machine
                        .app::<AccumulatorCore<A>>(self.name(cores.accumulators[c]))
                        .expect("invariant: accumulator vertices run AccumulatorCores");
                    bias[cols.clone()].copy_from_slice(acc.bias());
                }
                Parameters { kernel, bias }
            })
            .collect()
    }

    /// The weights as `f32` (exact from s16.15 for |w| < 256).
    pub fn weights(&self) -> Weights {
        Weights {
            layers: self
                .parameters()
                .into_iter()
                .zip(&self.plan.layers)
                .map(|(p, lp)| LayerWeights {
                    inputs: lp.inputs,
                    units: lp.units,
                    kernel: p.kernel.into_iter().map(A::to_f32).collect(),
                    bias: p.bias.into_iter().map(A::to_f32).collect(),
                })
                .collect(),
        }
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
                Role::Block { .. } => self
                    .machine
                    .app::<BlockCore<A>>(vertex)
                    .map(|c| c.stray_packets()),
                Role::Accumulator { .. } => self
                    .machine
                    .app::<AccumulatorCore<A>>(vertex)
                    .map(|c| c.stray_packets()),
            }
            .unwrap_or(0);
        }
        stray
    }
}

/// The program of every vertex, wired with the allocated keys.
fn build_apps<A: Arith>(
    spec: &ModelSpec,
    weights: &Weights,
    plan: &Plan,
    layout: &Layout,
    mapping: &Mapping,
    options: &MachineOptions,
) -> Vec<Box<dyn Application>> {
    let keys = &mapping.keys;
    let costs = &options.machine.costs;
    let gap = |v: VertexId| layout.send_gap(v, options.receive_cycles, costs.packet_send_cycles);
    let (hyper, momentum) = (A::hyper(spec), has_momentum(spec));
    let slots = layout.slots;
    let n_layers = plan.layers.len();
    layout
        .roles
        .iter()
        .enumerate()
        .map(|(i, &role)| {
            let v = VertexId(i as u32);
            let ins = layout.in_ports(v, keys);
            let app: Box<dyn Application> = match role {
                Role::Gatherer => Box::new(LivePacketGatherer::new()),
                Role::Feeder => Box::new(Feeder::new(
                    slots,
                    FeederWiring {
                        ins,
                        inputs: layout.out_ports(v, OutKind::Inputs, keys),
                        labels: layout.out_port(v, OutKind::Labels, keys),
                        control: layout.out_port(v, OutKind::Control, keys).base,
                        training_credits: plan.layers[0].row_blocks.len() as u32
                            * plan.layers[0].column_blocks.len() as u32,
                        gap: gap(v),
                    },
                )),
                Role::Loss => {
                    let last = &spec.layers()[n_layers - 1];
                    Box::new(LossCore::<A>::new(
                        spec.outputs() as u32,
                        slots,
                        last.activation,
                        spec.loss(),
                        layout.record_capacity,
                        LossWiring {
                            ins,
                            deltas: layout.out_ports(v, OutKind::Deltas, keys),
                            credits: layout.out_port(v, OutKind::Credits, keys).base,
                            results: layout.out_port(v, OutKind::Results, keys).base,
                            gap: gap(v),
                        },
                    ))
                }
                Role::Block { layer, row, col } => {
                    let lp = &plan.layers[layer];
                    let (rows, cols) = (&lp.row_blocks[row], &lp.column_blocks[col]);
                    let lw = &weights.layers[layer];
                    let w = rows
                        .clone()
                        .flat_map(|i| cols.clone().map(move |j| (i, j)))
                        .map(|(i, j)| A::from_f32(lw.kernel_at(i, j)))
                        .collect();
                    Box::new(BlockCore::<A>::new(
                        rows.len() as u32,
                        cols.len() as u32,
                        slots,
                        w,
                        momentum,
                        hyper,
                        BlockWiring {
                            ins,
                            partials: layout.out_port(v, OutKind::Partials, keys),
                            backward: layout.out_ports(v, OutKind::Backward, keys),
                            credits: (layer == 0)
                                .then(|| layout.out_port(v, OutKind::Credits, keys).base),
                            gap: gap(v),
                        },
                    ))
                }
                Role::Accumulator { layer, col } => {
                    let lp = &plan.layers[layer];
                    let cols = lp.column_blocks[col].clone();
                    let dense = &spec.layers()[layer];
                    let source = if layer + 1 == n_layers {
                        DeltaSource::Loss {
                            fused: is_fused(dense.activation, spec.loss()),
                        }
                    } else {
                        DeltaSource::NextLayer
                    };
                    let bias = weights.layers[layer].bias[cols]
                        .iter()
                        .map(|&b| A::from_f32(b))
                        .collect();
                    Box::new(AccumulatorCore::<A>::new(
                        slots,
                        dense.activation,
                        source,
                        bias,
                        momentum,
                        hyper,
                        lp.row_blocks.len() as u32,
                        AccumulatorWiring {
                            ins,
                            activations: layout.out_ports(v, OutKind::Activations, keys),
                            deltas: layout.out_port(v, OutKind::Deltas, keys),
                            gap: gap(v),
                        },
                    ))
                }
            };
            app
        })
        .collect()
}

fn has_momentum(spec: &ModelSpec) -> bool {
    match spec.optimizer() {
        Optimizer::Sgd { momentum, .. } => momentum.is_some(),
    }
}
