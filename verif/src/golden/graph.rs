//! The graph network: training a `spinn_dl::Graph` of named nodes (dense, convolution,
//! pooling, flatten, add) written once over a [`Numeric`] mode (`docs/numerics.md` §Graphs),
//! with every node's per-sample values kept for node-by-node comparison against the machine.
//!
//! * Forward, node by node in graph order: each node's `z` from its inputs' `a` by its
//!   operation ([`super::ops`]), then `a = f(z)` for nodes with an activation (dense,
//!   convolution, add); pooling and flatten have `a = z`.
//! * Backward, node by node in reverse graph order: a node's output `δ` is finished once from
//!   the contributions of all its consumers ([`Numeric::finish_delta`] of `0 + c_1 + c_2 + …`
//!   over the consumers in graph order, each `c_k` one consumer's complete contribution
//!   array), or taken from the loss for the output node (`shared.rs`, as the dense
//!   network's output layer); then `δz = f'(z)·δ`, the node's gradients, and its
//!   contributions to its inputs. The network input's `δ` is never computed.
//! * The update is the dense network's, layer by layer (`shared.rs`), on copies that are
//!   committed only when every new value passed its check.
//!
//! Layers are numbered as `spinn_dl::GraphError` numbers them: node index − 1.

use super::error::{GoldenError, Tensor};
use super::from_spec::activation as golden_activation;
use super::model::{Activation, Loss, Sgd};
use super::numeric::{Accumulation, Numeric, Term};
use super::ops::{add, flatten, PoolWindow, Window};
use super::shared::{self, LayerGradient, LayerMut};
use ndarray::{Array2, ArrayView, ArrayView1, ArrayView2, ArrayViewMut, ArrayViewMut1, IxDyn};
use spinn_dl::ops::{Op, PoolKind};
use spinn_dl::{Graph, NodeId};

/// One weighted node's parameters (or velocities, or batch gradients): the node's name, its
/// kernel flat in Keras layout (element `(i, j, ch, f)` at `((i·kw + j)·in + ch)·out + f`; a
/// dense kernel `(inputs, units)` is a 1 × 1 window) and one bias per output channel.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeParams<V> {
    pub name: String,
    pub kernel: Vec<V>,
    pub bias: Vec<V>,
}

/// One node's forward values for a batch, one row per sample in flat order.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeForward<M: Numeric> {
    /// The operation's result before the activation (pooling, flatten and the input: the
    /// output itself).
    pub z: Array2<M::Value>,
    /// The node's output `a = f(z)`.
    pub a: Array2<M::Value>,
}

/// One node's backward values for a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeBackward<M: Numeric> {
    /// The finished `δ` of the node's output `a`; `None` for the network input (never
    /// computed) and for an output node whose loss gradient is fused into `δz`.
    pub delta: Option<Array2<M::Value>>,
    /// `δz = f'(z)·δ` for nodes with an activation step (dense, convolution, add).
    pub delta_z: Option<Array2<M::Value>>,
}

/// Everything one forward and backward pass over a batch computed, before any update.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphPass<M: Numeric> {
    /// Per node in graph order; the input node's `z` and `a` are the batch itself.
    pub forward: Vec<NodeForward<M>>,
    /// Per node in graph order.
    pub backward: Vec<NodeBackward<M>>,
    /// Per weighted node in graph order, the batch gradients as
    /// [`Numeric::finish_gradient`] leaves them (the mean in float modes, the exact Q30 sum in
    /// fixed point).
    pub gradients: Vec<NodeParams<M::Grad>>,
    /// The batch's mean loss.
    pub loss: f64,
}

/// What a node computes, with its geometry worked out once.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Input,
    Weighted {
        window: Window,
        /// The node's position among the weighted nodes.
        param: usize,
        activation: Activation,
    },
    Add {
        activation: Activation,
    },
    MaxPool(PoolWindow),
    AveragePool(PoolWindow),
    Flatten,
}

impl Step {
    /// The step of node `id`; `params` counts the weighted nodes before it.
    fn new(graph: &Graph, id: NodeId, params: &mut usize) -> Step {
        let node = graph.node(id);
        let input = || &graph.node(node.inputs[0]).shape;
        let mut weighted = |window: Window, activation: spinn_dl::Activation| {
            *params += 1;
            Step::Weighted {
                window,
                param: *params - 1,
                activation: golden_activation(activation),
            }
        };
        match &node.op {
            Op::Input => Step::Input,
            Op::Dense(dense) => weighted(Window::dense(dense, input()), dense.activation),
            Op::Conv(conv) => weighted(Window::conv(conv, input()), conv.activation),
            Op::Pool(pool) => match pool.kind {
                PoolKind::Max => Step::MaxPool(PoolWindow::pool(pool, input())),
                PoolKind::Average => Step::AveragePool(PoolWindow::pool(pool, input())),
            },
            Op::GlobalPool(pool) => Step::AveragePool(PoolWindow::global(pool, input())),
            Op::Flatten(_) => Step::Flatten,
            Op::Add(add) => Step::Add {
                activation: golden_activation(add.activation),
            },
        }
    }

    /// The activation of nodes that have an activation step.
    fn activation(&self) -> Option<Activation> {
        match self {
            Step::Weighted { activation, .. } | Step::Add { activation } => Some(*activation),
            Step::Input | Step::MaxPool(_) | Step::AveragePool(_) | Step::Flatten => None,
        }
    }

    /// How many terms this node adds to one element of an input's `δ` sum, and their bound.
    fn contribution_terms(&self) -> Option<(usize, Term)> {
        match self {
            Step::Input => None,
            Step::Weighted { window, .. } => Some((window.readers(), Term::Product)),
            Step::Add { .. } => Some((1, Term::Shifted)),
            Step::MaxPool(window) | Step::AveragePool(window) => {
                Some((window.readers(), Term::WideShifted))
            }
            Step::Flatten => Some((1, Term::WideShifted)),
        }
    }
}

/// A network graph with its parameters, a loss and an SGD optimiser, in mode `M`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNetwork<M: Numeric> {
    graph: Graph,
    steps: Vec<Step>,
    /// The weighted nodes in graph order, one per parameter set.
    weighted: Vec<NodeId>,
    /// Each weighted node's Keras kernel shape.
    kernel_shapes: Vec<Vec<usize>>,
    params: Vec<NodeParams<M::Value>>,
    loss: Loss,
    sgd: Sgd,
    constants: M::Constants,
    /// Shaped like `params` when the optimiser has momentum, all zero at construction.
    velocities: Option<Vec<NodeParams<M::Value>>>,
}

/// A kernel as an array of its Keras shape (so errors name Keras indices).
fn kernel_view<'a, V>(shape: &[usize], kernel: &'a [V]) -> ArrayView<'a, V, IxDyn> {
    ArrayView::from_shape(IxDyn(shape), kernel)
        .expect("invariant: kernel lengths are checked against their shapes at construction")
}

/// A node's parameters as the mutable views the SGD step takes.
fn layer_mut<'a, V>(shape: &[usize], params: &'a mut NodeParams<V>) -> LayerMut<'a, V, IxDyn> {
    LayerMut {
        kernel: ArrayViewMut::from_shape(IxDyn(shape), &mut params.kernel[..])
            .expect("invariant: kernel lengths are checked against their shapes at construction"),
        bias: ArrayViewMut1::from(&mut params.bias[..]),
    }
}

/// The flat values of an array built in standard layout (every array of a pass is).
fn flat<V>(array: &Array2<V>) -> &[V] {
    array
        .as_slice()
        .expect("invariant: the engine builds every array in standard layout")
}

/// `batch` per-sample contributions of `in_len` elements each, from `δ` (`out_len` per
/// sample), computed by `each(sample, δ of the sample, contribution of the sample)`.
fn per_sample<M: Numeric>(
    batch: usize,
    in_len: usize,
    delta: &[M::Value],
    mut each: impl FnMut(usize, &[M::Value], &mut [M::Grad]),
) -> Vec<M::Grad> {
    let mut contribution = vec![M::grad_zero(); batch * in_len];
    let out_len = delta.len() / batch;
    for (sample, (d, c)) in delta
        .chunks_exact(out_len)
        .zip(contribution.chunks_exact_mut(in_len))
        .enumerate()
    {
        each(sample, d, c);
    }
    contribution
}

/// A tensor's `δ` from its consumers' contribution arrays: `0 + c_1 + c_2 + …` over the
/// consumers in graph order, then [`Numeric::finish_delta`] once per element.
fn finish_delta<M: Numeric>(
    mut contributions: Vec<(usize, Vec<M::Grad>)>,
    dim: (usize, usize),
) -> Array2<M::Value> {
    // The backward pass meets consumers last first; float sums depend on the order.
    contributions.sort_by_key(|(consumer, _)| *consumer);
    let mut sums = vec![M::grad_zero(); dim.0 * dim.1];
    for (_, contribution) in &contributions {
        for (sum, &c) in sums.iter_mut().zip(contribution) {
            *sum = M::grad_add(*sum, c);
        }
    }
    Array2::from_shape_vec(dim, sums.into_iter().map(M::finish_delta).collect())
        .expect("invariant: one sum per element of the tensor")
}

/// Checks that `params` has one entry per weighted node of `graph`, in graph order, named
/// after it, with as many kernel and bias elements as the node's parameters have.
pub(crate) fn check_node_params<V>(
    graph: &Graph,
    params: &[NodeParams<V>],
) -> Result<(), GoldenError> {
    let weighted = graph.weighted();
    if params.len() != weighted.len() {
        return Err(GoldenError::ParamCount {
            expected: weighted.len(),
            got: params.len(),
        });
    }
    for ((id, shapes), p) in weighted.iter().zip(params) {
        let (layer, name) = (id.index() - 1, &graph.node(*id).name);
        if &p.name != name {
            return Err(GoldenError::ParamName {
                layer,
                expected: name.clone(),
                got: p.name.clone(),
            });
        }
        for (tensor, expected, got) in [
            (Tensor::Kernel, shapes.kernel_len(), p.kernel.len()),
            (Tensor::Bias, shapes.outputs, p.bias.len()),
        ] {
            if expected != got {
                return Err(GoldenError::ParamLength {
                    layer,
                    name: name.clone(),
                    tensor,
                    expected,
                    got,
                });
            }
        }
    }
    Ok(())
}

/// Every integer accumulation of the graph, for the mode's overflow check: per weighted node
/// the forward and its own backward sums, the output's softmax sum, and every tensor's `δ`
/// sum over all its consumers.
fn accumulations(graph: &Graph, steps: &[Step]) -> Vec<Accumulation> {
    let output = graph.output().index();
    let mut sums = Vec::new();
    for (i, step) in steps.iter().enumerate().skip(1) {
        if let Step::Weighted { window, .. } = step {
            sums.push(Accumulation::forward(i - 1, window.taps()));
            sums.push(Accumulation::backward(i - 1, window.readers()));
        }
        if i == output && step.activation() == Some(Activation::Softmax) {
            sums.push(Accumulation::softmax(
                i - 1,
                graph.node(NodeId(i)).shape.len(),
            ));
        }
    }
    for i in 1..steps.len() {
        let terms: Vec<(usize, Term)> = graph
            .consumers(NodeId(i))
            .iter()
            .flat_map(|consumer| {
                let uses = graph
                    .node(*consumer)
                    .inputs
                    .iter()
                    .filter(|input| input.index() == i)
                    .count();
                std::iter::repeat_n(steps[consumer.index()].contribution_terms(), uses).flatten()
            })
            .collect();
        if !terms.is_empty() {
            sums.push(Accumulation {
                layer: i - 1,
                pass: "delta",
                terms,
                bias: false,
            });
        }
    }
    sums
}

impl<M: Numeric> GraphNetwork<M> {
    /// Builds a network on `graph` with one parameter set per weighted node in graph order,
    /// checking the parameters' names and lengths, the hyper-parameters, the mode's limits
    /// (the fixed overflow bound of every accumulation) and the initial values.
    pub fn new(
        graph: &Graph,
        params: Vec<NodeParams<M::Value>>,
        loss: Loss,
        sgd: Sgd,
        config: M::Config,
    ) -> Result<Self, GoldenError> {
        check_node_params(graph, &params)?;
        let mut n_params = 0;
        let steps: Vec<Step> = (0..graph.nodes().len())
            .map(|i| Step::new(graph, NodeId(i), &mut n_params))
            .collect();
        let constants = M::constants(&sgd, &config, &accumulations(graph, &steps))?;
        let (weighted, kernel_shapes): (Vec<NodeId>, Vec<Vec<usize>>) = graph
            .weighted()
            .into_iter()
            .map(|(id, s)| (id, s.kernel))
            .unzip();
        for ((id, shape), p) in weighted.iter().zip(&kernel_shapes).zip(&params) {
            shared::check_params::<M, _>(
                &constants,
                id.index() - 1,
                kernel_view(shape, &p.kernel),
                ArrayView1::from(&p.bias[..]),
            )?;
        }
        let velocities = sgd.momentum.map(|_| {
            params
                .iter()
                .map(|p| NodeParams {
                    name: p.name.clone(),
                    kernel: vec![M::zero(); p.kernel.len()],
                    bias: vec![M::zero(); p.bias.len()],
                })
                .collect()
        });
        Ok(GraphNetwork {
            graph: graph.clone(),
            steps,
            weighted,
            kernel_shapes,
            params,
            loss,
            sgd,
            constants,
            velocities,
        })
    }

    /// The network continuing from a checkpoint's momentum velocities (shaped and named as
    /// the parameters); an error if the optimiser has no momentum or a shape differs.
    pub fn with_velocities(
        mut self,
        velocities: Vec<NodeParams<M::Value>>,
    ) -> Result<Self, GoldenError> {
        let Some(current) = &self.velocities else {
            return Err(GoldenError::ParamCount {
                expected: 0,
                got: velocities.len(),
            });
        };
        if velocities.len() != current.len() {
            return Err(GoldenError::ParamCount {
                expected: current.len(),
                got: velocities.len(),
            });
        }
        for (layer, (v, c)) in velocities.iter().zip(current).enumerate() {
            if v.name != c.name {
                return Err(GoldenError::ParamName {
                    layer,
                    expected: c.name.clone(),
                    got: v.name.clone(),
                });
            }
            for (tensor, got, expected) in [
                (Tensor::KernelVelocity, v.kernel.len(), c.kernel.len()),
                (Tensor::BiasVelocity, v.bias.len(), c.bias.len()),
            ] {
                if got != expected {
                    return Err(GoldenError::ParamLength {
                        layer,
                        name: v.name.clone(),
                        tensor,
                        expected,
                        got,
                    });
                }
            }
        }
        self.velocities = Some(velocities);
        Ok(self)
    }

    /// The graph the network trains.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The weighted nodes' current parameters, in graph order.
    pub fn params(&self) -> &[NodeParams<M::Value>] {
        &self.params
    }

    /// The momentum velocities, shaped and named like [`GraphNetwork::params`], or `None`
    /// without momentum.
    pub fn velocities(&self) -> Option<&[NodeParams<M::Value>]> {
        self.velocities.as_deref()
    }

    /// The loss function.
    pub fn loss_function(&self) -> Loss {
        self.loss
    }

    /// The optimiser's hyper-parameters as given.
    pub fn sgd(&self) -> &Sgd {
        &self.sgd
    }

    /// The optimiser's constants as the mode uses them (e.g. `lr` in s16.15).
    pub fn constants(&self) -> &M::Constants {
        &self.constants
    }

    /// The output activations for a batch `x` of shape (batch, input elements in flat order).
    pub fn predict(&self, x: ArrayView2<'_, M::Value>) -> Result<Array2<M::Value>, GoldenError> {
        let mut forward = self.forward(x)?;
        let last = forward
            .pop()
            .expect("invariant: a graph has an output node");
        Ok(last.a)
    }

    /// The mean loss of the batch `(x, y)`.
    pub fn loss(
        &self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<f64, GoldenError> {
        let forward = self.forward(x)?;
        let output = &forward[self.graph.output().index()];
        self.check_labels(output.a.dim(), y)?;
        Ok(M::batch_loss(self.loss, output.a.view(), y))
    }

    /// Every node's `z` and `a` for the batch `x`, in graph order.
    pub fn forward(&self, x: ArrayView2<'_, M::Value>) -> Result<Vec<NodeForward<M>>, GoldenError> {
        let expected_features = self.graph.input().shape.len();
        if x.ncols() != expected_features {
            return Err(GoldenError::InputShape {
                got: x.dim(),
                expected_features,
            });
        }
        if x.nrows() == 0 {
            return Err(GoldenError::EmptyBatch);
        }
        let batch = x.nrows();
        M::check_values(&self.constants, 0, Tensor::Input, x)?;
        let x = x.as_standard_layout().into_owned();
        let mut res = Vec::with_capacity(self.steps.len());
        res.push(NodeForward { z: x.clone(), a: x });
        for (i, node) in self.graph.nodes().iter().enumerate().skip(1) {
            let layer = i - 1;
            let input = &res[node.inputs[0].index()].a;
            let mut z = Array2::from_elem((batch, node.shape.len()), M::zero());
            let zs = z
                .as_slice_mut()
                .expect("invariant: a new array is in standard layout");
            match &self.steps[i] {
                Step::Input => unreachable!("invariant: only node 0 is the input"),
                Step::Weighted { window, param, .. } => {
                    if node.inputs[0].index() != 0 {
                        M::check_values(&self.constants, layer, Tensor::Input, input.view())?;
                    }
                    let p = &self.params[*param];
                    let samples = flat(input).chunks_exact(window.input_len());
                    for (xs, zs) in samples.zip(zs.chunks_exact_mut(window.output_len())) {
                        window.forward::<M>(&p.kernel, &p.bias, xs, zs);
                    }
                }
                Step::Add { .. } => {
                    let inputs: Vec<&[M::Value]> = node
                        .inputs
                        .iter()
                        .map(|id| flat(&res[id.index()].a))
                        .collect();
                    add::forward::<M>(&inputs, zs);
                }
                Step::MaxPool(window) => {
                    let samples = flat(input).chunks_exact(window.input_len());
                    for (xs, ys) in samples.zip(zs.chunks_exact_mut(window.output_len())) {
                        window.max_forward::<M>(xs, ys);
                    }
                }
                Step::AveragePool(window) => {
                    let mut sums = vec![M::grad_zero(); window.channels()];
                    let samples = flat(input).chunks_exact(window.input_len());
                    for (xs, ys) in samples.zip(zs.chunks_exact_mut(window.output_len())) {
                        window.average_forward::<M>(xs, ys, &mut sums);
                    }
                }
                Step::Flatten => flatten::forward(flat(input), zs),
            }
            let a = match self.steps[i].activation() {
                Some(activation) => shared::activate_batch::<M>(activation, z.view()),
                None => z.clone(),
            };
            shared::check_forward::<M>(&self.constants, layer, z.view(), a.view())?;
            res.push(NodeForward { z, a });
        }
        Ok(res)
    }

    /// The full forward and backward pass for the batch `(x, y)`, without updating anything.
    pub fn forward_backward(
        &self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<GraphPass<M>, GoldenError> {
        let forward = self.forward(x)?;
        let output = &forward[self.graph.output().index()];
        self.check_labels(output.a.dim(), y)?;
        let batch = x.nrows();
        for (i, step) in self.steps.iter().enumerate() {
            if let Step::Weighted { window, .. } = step {
                M::check_gradient_sum(&self.constants, i - 1, batch, window.positions())?;
            }
        }
        let loss = M::batch_loss(self.loss, output.a.view(), y);
        self.backward(forward, y, loss)
    }

    /// The pass completed from the forward values, the labels and the batch loss: every
    /// node's `δ` and `δz` and every weighted node's batch gradients.
    fn backward(
        &self,
        forward: Vec<NodeForward<M>>,
        y: ArrayView2<'_, M::Value>,
        loss: f64,
    ) -> Result<GraphPass<M>, GoldenError> {
        let nodes = self.graph.nodes();
        let output = self.graph.output().index();
        let batch = y.nrows();
        // The contribution arrays each tensor has received, one per consumer, until it is
        // finished; the network input (node 0) receives none.
        let mut pending: Vec<Vec<(usize, Vec<M::Grad>)>> = vec![Vec::new(); nodes.len()];
        let mut backward: Vec<NodeBackward<M>> = (0..nodes.len())
            .map(|_| NodeBackward {
                delta: None,
                delta_z: None,
            })
            .collect();
        let mut gradients: Vec<Option<NodeParams<M::Grad>>> = vec![None; self.params.len()];
        for i in (1..nodes.len()).rev() {
            let (node, step, values, layer) = (&nodes[i], &self.steps[i], &forward[i], i - 1);
            let activation = step.activation();
            let (delta, delta_z) = if i == output {
                let (delta_a, delta_z) = shared::output_deltas::<M>(
                    activation.unwrap_or(Activation::Identity),
                    self.loss,
                    values.z.view(),
                    values.a.view(),
                    y,
                );
                (delta_a, activation.map(|_| delta_z))
            } else {
                let delta = finish_delta::<M>(std::mem::take(&mut pending[i]), values.a.dim());
                let delta_z = activation.map(|activation| {
                    shared::activation_backward_batch::<M>(
                        activation,
                        values.z.view(),
                        values.a.view(),
                        delta.view(),
                    )
                });
                (Some(delta), delta_z)
            };
            shared::check_backward::<M>(
                &self.constants,
                layer,
                delta.as_ref().map(|d| d.view()),
                delta_z.as_ref().map(|d| d.view()),
            )?;
            // What the node's inputs receive their contributions from: δz after an activation
            // step, the output δ itself otherwise.
            let upstream = flat(delta_z.as_ref().or(delta.as_ref()).expect(
                "invariant: only an activation step is ever fused with the loss, so a node \
                 without one has a δ",
            ));
            let input = node.inputs[0].index();
            let input_x = flat(&forward[input].a);
            // The network input's δ is never computed.
            let receives = |id: usize| id != 0;
            match step {
                Step::Input => unreachable!("invariant: only node 0 is the input"),
                Step::Weighted { window, param, .. } => {
                    let (kernel, bias) = window.batch_gradient::<M>(input_x, upstream, batch);
                    shared::check_gradients::<M, _>(
                        layer,
                        kernel_view(&self.kernel_shapes[*param], &kernel),
                        ArrayView1::from(&bias[..]),
                    )?;
                    gradients[*param] = Some(NodeParams {
                        name: node.name.clone(),
                        kernel,
                        bias,
                    });
                    if receives(input) {
                        let k = window.transpose(&self.params[*param].kernel);
                        let c = per_sample::<M>(batch, window.input_len(), upstream, |_, d, c| {
                            window.input_contribution::<M>(&k, d, c)
                        });
                        pending[input].push((i, c));
                    }
                }
                Step::Add { .. } => {
                    // One array per distinct input: a tensor listed twice receives δz twice
                    // in the same consumer's array.
                    let mut own: Vec<(usize, Vec<M::Grad>)> = Vec::new();
                    for id in node
                        .inputs
                        .iter()
                        .map(|id| id.index())
                        .filter(|&id| receives(id))
                    {
                        let k = match own.iter().position(|(t, _)| *t == id) {
                            Some(k) => k,
                            None => {
                                own.push((id, vec![M::grad_zero(); upstream.len()]));
                                own.len() - 1
                            }
                        };
                        add::contribution::<M>(upstream, &mut own[k].1);
                    }
                    for (id, c) in own {
                        pending[id].push((i, c));
                    }
                }
                Step::MaxPool(window) if receives(input) => {
                    let n_in = window.input_len();
                    let c = per_sample::<M>(batch, n_in, upstream, |s, d, c| {
                        window.max_backward::<M>(&input_x[s * n_in..(s + 1) * n_in], d, c)
                    });
                    pending[input].push((i, c));
                }
                Step::AveragePool(window) if receives(input) => {
                    let mut shares = vec![M::grad_zero(); window.channels()];
                    let c = per_sample::<M>(batch, window.input_len(), upstream, |_, d, c| {
                        window.average_backward::<M>(d, c, &mut shares)
                    });
                    pending[input].push((i, c));
                }
                Step::Flatten if receives(input) => {
                    let mut c = vec![M::grad_zero(); upstream.len()];
                    flatten::contribution::<M>(upstream, &mut c);
                    pending[input].push((i, c));
                }
                Step::MaxPool(_) | Step::AveragePool(_) | Step::Flatten => {}
            }
            backward[i] = NodeBackward { delta, delta_z };
        }
        let gradients = gradients
            .into_iter()
            .map(|g| g.expect("invariant: the backward pass visits every weighted node"))
            .collect();
        Ok(GraphPass {
            forward,
            backward,
            gradients,
            loss,
        })
    }

    /// One SGD step on the batch `(x, y)`; returns the mean loss before the update.
    /// On error the network is left unchanged.
    pub fn train_batch(
        &mut self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<f64, GoldenError> {
        Ok(self.train_batch_traced(x, y)?.loss)
    }

    /// As [`GraphNetwork::train_batch`], also returning the pass the update was computed from.
    pub fn train_batch_traced(
        &mut self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<GraphPass<M>, GoldenError> {
        let pass = self.forward_backward(x, y)?;
        let batch = x.nrows();
        // Update copies and commit only once every new value has passed its check.
        let mut params = self.params.clone();
        let mut velocities = self.velocities.clone();
        for (k, (p, gradient)) in params.iter_mut().zip(&pass.gradients).enumerate() {
            let shape = &self.kernel_shapes[k];
            let velocity = velocities.as_mut().map(|all| layer_mut(shape, &mut all[k]));
            shared::sgd_step::<M, _>(
                &self.constants,
                self.weighted[k].index() - 1,
                batch,
                layer_mut(shape, p),
                velocity,
                LayerGradient {
                    kernel: kernel_view(shape, &gradient.kernel),
                    bias: ArrayView1::from(&gradient.bias[..]),
                },
            )?;
        }
        self.params = params;
        self.velocities = velocities;
        Ok(pass)
    }

    fn check_labels(
        &self,
        expected: (usize, usize),
        y: ArrayView2<'_, M::Value>,
    ) -> Result<(), GoldenError> {
        let layer = self.graph.output().index() - 1;
        shared::check_labels::<M>(&self.constants, layer, expected, y)
    }
}
