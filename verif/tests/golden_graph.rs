//! Tests of the golden graph network (`spinn_verif::golden::GraphNetwork`, definitions in
//! `docs/numerics.md` §Graphs): finite-difference gradient checks of every operation in `F64`,
//! hand-computed Keras conventions (same-padding split, max-pool ties, average pooling over
//! real elements, flatten order, cross-correlation), exact s16.15 steps (a convolution step, a
//! forked tensor's single rounding, average-pool halves), the dense graph against the dense
//! `Network` bit for bit, f32/fixed agreement, determinism and errors.

use ndarray::{array, Array2};
use spinn_dl::ops::{Add, Conv, Dense, Dims, Flatten, GlobalPool, Padding, Pool, PoolKind};
use spinn_dl::{Activation as Act, Graph, LayerSpec, ModelSpec, NumericMode, Op, Shape};
use spinn_model::rng::SplitMix64;
use spinn_verif::golden::from_spec::{f32_graph, fixed_graph};
use spinn_verif::golden::s16_15::{to_fixed, ONE};
use spinn_verif::golden::{
    Activation, Dense as GoldenDense, Fixed, FixedLimits, GoldenError, GraphNetwork, Loss, Network,
    NodeForward, NodeParams, Numeric, Sgd, Tensor, F32, F64,
};

/// A bound wide enough for every test network: 512.0.
const LIMITS: FixedLimits = FixedLimits { max_abs: 1 << 24 };

const PLAIN: Sgd = Sgd {
    learning_rate: 0.1,
    momentum: None,
};

const MSE: Loss = Loss::MeanSquaredError;
const CCE: Loss = Loss::CategoricalCrossEntropy;
const BCE: Loss = Loss::BinaryCrossEntropy;

// ---------------------------------------------------------------------------------------------
// Building graphs and data
// ---------------------------------------------------------------------------------------------

/// A layer called `name` on `inputs` (none: the layer before).
fn node(name: &str, op: Op, inputs: &[&str]) -> LayerSpec {
    LayerSpec {
        name: Some(name.to_string()),
        op,
        inputs: (!inputs.is_empty()).then(|| inputs.iter().map(|s| s.to_string()).collect()),
    }
}

fn build(input: &[usize], layers: Vec<LayerSpec>) -> Graph {
    Graph::new(Shape::new(input.to_vec()), layers).expect("test graph is valid")
}

/// One layer called `name`, then a flatten (so the output is a flat vector).
fn then_flatten(input: &[usize], name: &str, op: Op) -> Graph {
    build(
        input,
        vec![node(name, op, &[]), node("flat", flatten(), &[])],
    )
}

/// The parameters of a graph with one weighted node.
fn one_param<V>(name: &str, kernel: Vec<V>, bias: Vec<V>) -> Vec<NodeParams<V>> {
    vec![NodeParams {
        name: name.to_string(),
        kernel,
        bias,
    }]
}

fn conv2d(filters: usize, kernel: [usize; 2], strides: [usize; 2], padding: Padding, f: Act) -> Op {
    Op::Conv(Conv::conv2d(filters, kernel, strides, padding, f))
}

fn conv1d(filters: usize, kernel: usize, stride: usize, padding: Padding, f: Act) -> Op {
    Op::Conv(Conv::conv1d(filters, kernel, stride, padding, f))
}

fn pool2d(kind: PoolKind, size: [usize; 2], strides: [usize; 2], padding: Padding) -> Op {
    Op::Pool(Pool {
        kind,
        dims: Dims::Two,
        size,
        strides,
        padding,
    })
}

fn pool1d(kind: PoolKind, size: usize, stride: usize, padding: Padding) -> Op {
    Op::Pool(Pool {
        kind,
        dims: Dims::One,
        size: [1, size],
        strides: [1, stride],
        padding,
    })
}

fn dense(units: usize, activation: Act) -> Op {
    Op::Dense(Dense { units, activation })
}

fn add(activation: Act) -> Op {
    Op::Add(Add { activation })
}

fn gap(dims: Dims) -> Op {
    Op::GlobalPool(GlobalPool { dims })
}

fn flatten() -> Op {
    Op::Flatten(Flatten)
}

/// Seeded test data (the seed is in every failure message).
struct Data(SplitMix64);

impl Data {
    fn new(seed: u64) -> Data {
        Data(SplitMix64::new(seed))
    }

    /// Uniform in [−1, 1).
    fn signed(&mut self) -> f64 {
        2.0 * self.0.unit() - 1.0
    }

    fn matrix(&mut self, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |_| scale * self.signed())
    }

    fn labels(&mut self, loss: Loss, rows: usize, cols: usize) -> Array2<f64> {
        match loss {
            Loss::CategoricalCrossEntropy => {
                let mut y = Array2::zeros((rows, cols));
                for mut row in y.rows_mut() {
                    row[self.0.below(cols as u64) as usize] = 1.0;
                }
                y
            }
            // Soft targets inside (0, 1).
            Loss::BinaryCrossEntropy => self.matrix(rows, cols, 0.4).mapv(|v| v + 0.5),
            Loss::MeanSquaredError => self.matrix(rows, cols, 1.0),
        }
    }

    /// Parameters for every weighted node: kernels uniform with variance `gain² / taps`
    /// (so values stay of order one through the graph), small random biases.
    fn params(&mut self, graph: &Graph, gain: f64) -> Vec<NodeParams<f64>> {
        graph
            .weighted()
            .into_iter()
            .map(|(id, shapes)| {
                let taps = shapes.window[0] * shapes.window[1] * shapes.inputs;
                let scale = gain * (3.0 / taps as f64).sqrt();
                NodeParams {
                    name: graph.node(id).name.clone(),
                    kernel: (0..shapes.kernel_len())
                        .map(|_| scale * self.signed())
                        .collect(),
                    bias: (0..shapes.outputs).map(|_| 0.1 * self.signed()).collect(),
                }
            })
            .collect()
    }
}

/// A batch of inputs and labels, one row per sample.
type Batch<V> = (Array2<V>, Array2<V>);

fn map_params<A: Copy, B>(params: &[NodeParams<A>], f: impl Fn(A) -> B) -> Vec<NodeParams<B>> {
    params
        .iter()
        .map(|p| NodeParams {
            name: p.name.clone(),
            kernel: p.kernel.iter().map(|&v| f(v)).collect(),
            bias: p.bias.iter().map(|&v| f(v)).collect(),
        })
        .collect()
}

fn to_f32(params: &[NodeParams<f64>]) -> Vec<NodeParams<f32>> {
    map_params(params, |v| v as f32)
}

fn quantise_params(params: &[NodeParams<f32>]) -> Vec<NodeParams<i32>> {
    map_params(params, |v| to_fixed(f64::from(v)))
}

fn quantise(values: &Array2<f32>) -> Array2<i32> {
    values.mapv(|v| to_fixed(f64::from(v)))
}

fn net<M: Numeric>(
    graph: &Graph,
    params: Vec<NodeParams<M::Value>>,
    loss: Loss,
    sgd: Sgd,
    config: M::Config,
) -> GraphNetwork<M> {
    GraphNetwork::new(graph, params, loss, sgd, config).expect("test network is valid")
}

// ---------------------------------------------------------------------------------------------
// Gradients against finite differences
// ---------------------------------------------------------------------------------------------

/// The smallest |z| over all relu nodes: a finite difference across relu's kink at 0 would
/// measure a one-sided slope.
fn relu_margin(graph: &Graph, forward: &[NodeForward<F64>]) -> f64 {
    graph
        .nodes()
        .iter()
        .zip(forward)
        .filter(|(node, _)| node.op.activation() == Act::Relu)
        .flat_map(|(_, values)| values.z.iter().map(|z| z.abs()).collect::<Vec<_>>())
        .fold(f64::INFINITY, f64::min)
}

/// The smallest gap between a max-pooling window's largest and second-largest real element:
/// a finite difference across a tie would see the gradient switch elements.
fn max_pool_margin(graph: &Graph, forward: &[NodeForward<F64>]) -> f64 {
    let mut margin = f64::INFINITY;
    for node in graph.nodes() {
        let Op::Pool(pool) = &node.op else { continue };
        if pool.kind != PoolKind::Max {
            continue;
        }
        let input = &graph.node(node.inputs[0]).shape;
        let grid = input.grid();
        let [rows, cols] = pool.axes(input).expect("the pool fits its input");
        for sample in forward[node.inputs[0].index()].a.rows() {
            for (r, c, ch) in itertools(rows.output, cols.output, grid.channels) {
                let mut values: Vec<f64> = (0..rows.size)
                    .filter_map(|i| rows.position(r, i))
                    .flat_map(|p| {
                        (0..cols.size)
                            .filter_map(move |j| cols.position(c, j))
                            .map(move |q| (p, q))
                    })
                    .map(|(p, q)| sample[grid.index(p, q, ch)])
                    .collect();
                values.sort_by(|a, b| b.total_cmp(a));
                if values.len() > 1 {
                    margin = margin.min(values[0] - values[1]);
                }
            }
        }
    }
    margin
}

/// Every `(a, b, c)` below the three bounds, in row-major order.
fn itertools(a: usize, b: usize, c: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..a).flat_map(move |i| (0..b).flat_map(move |j| (0..c).map(move |k| (i, j, k))))
}

/// Compares every analytic kernel and bias gradient of every weighted node with a central
/// finite difference of the batch loss, all in `f64`; returns how many were checked.
fn check_against_finite_differences(
    graph: &Graph,
    params: &[NodeParams<f64>],
    loss: Loss,
    x: &Array2<f64>,
    y: &Array2<f64>,
    context: &str,
) -> usize {
    let network = net::<F64>(graph, params.to_vec(), loss, PLAIN, ());
    let pass = network
        .forward_backward(x.view(), y.view())
        .expect("forward and backward pass of a valid batch");
    // A parameter change of h = 1e-6 moves any value by well under 1e-5 in these O(1)
    // networks, so a relu z or a max-pool gap beyond 1e-4 is never crossed.
    assert!(
        relu_margin(graph, &pass.forward) > 1e-4,
        "{context}: test data puts a relu pre-activation within 1e-4 of its kink"
    );
    assert!(
        max_pool_margin(graph, &pass.forward) > 1e-4,
        "{context}: test data puts a max-pool runner-up within 1e-4 of the maximum"
    );
    let h = 1e-6;
    let loss_with = |params: Vec<NodeParams<f64>>| {
        net::<F64>(graph, params, loss, PLAIN, ())
            .loss(x.view(), y.view())
            .expect("loss of a valid batch")
    };
    let mut checked = 0;
    let mut compare = |analytic: f64, plus: Vec<NodeParams<f64>>, minus, what: String| {
        let numeric = (loss_with(plus) - loss_with(minus)) / (2.0 * h);
        let error = (numeric - analytic).abs() / (1.0 + analytic.abs());
        // Central differences err by h²·|L'''|/6 ≈ 1e-12 plus f64 cancellation
        // ≈ 1e-16·|L|/h ≈ 1e-10 for these O(1) losses; 1e-7 leaves a wide margin while any
        // wrong factor, missing term or misplaced tap is an O(1) relative error.
        assert!(
            error <= 1e-7,
            "{context}: {what}: analytic {analytic}, finite difference {numeric}"
        );
        checked += 1;
    };
    for (k, p) in params.iter().enumerate() {
        for e in 0..p.kernel.len() {
            let (mut plus, mut minus) = (params.to_vec(), params.to_vec());
            plus[k].kernel[e] += h;
            minus[k].kernel[e] -= h;
            let analytic = pass.gradients[k].kernel[e];
            compare(analytic, plus, minus, format!("{} kernel[{e}]", p.name));
        }
        for e in 0..p.bias.len() {
            let (mut plus, mut minus) = (params.to_vec(), params.to_vec());
            plus[k].bias[e] += h;
            minus[k].bias[e] -= h;
            let analytic = pass.gradients[k].bias[e];
            compare(analytic, plus, minus, format!("{} bias[{e}]", p.name));
        }
    }
    checked
}

/// Runs the finite-difference check on `graph` with seeded parameters and a batch of 3.
fn check_graph(name: &str, graph: &Graph, loss: Loss, seed: u64) {
    let mut data = Data::new(seed);
    let params = data.params(graph, 1.0);
    let n_in = graph.input().shape.len();
    let n_out = graph.node(graph.output()).shape.len();
    let x = data.matrix(3, n_in, 1.0);
    let y = data.labels(loss, 3, n_out);
    let context = format!("{name}, seed {seed:#x}");
    let checked = check_against_finite_differences(graph, &params, loss, &x, &y, &context);
    let expected: usize = params.iter().map(|p| p.kernel.len() + p.bias.len()).sum();
    assert_eq!(checked, expected, "{context}: every parameter is checked");
}

#[test]
fn conv2d_valid_and_same_strided_gradients_match_finite_differences() {
    let graph = build(
        &[5, 5, 2],
        vec![
            node(
                "c1",
                conv2d(3, [3, 3], [1, 1], Padding::Valid, Act::Tanh),
                &[],
            ),
            node(
                "c2",
                conv2d(2, [3, 3], [2, 2], Padding::Same, Act::Relu),
                &[],
            ),
            node("flat", flatten(), &[]),
            node("out", dense(3, Act::Softmax), &[]),
        ],
    );
    assert_eq!(
        graph.node(graph.find("c2").expect("c2")).shape.dims(),
        [2, 2, 2]
    );
    check_graph("conv2d", &graph, CCE, 0x6a0d_0001);
}

#[test]
fn pooling_2d_gradients_match_finite_differences() {
    // Valid stride-2 convolution, same stride-1 convolution, overlapping max pooling with
    // same padding (1 after), average pooling with same padding (windows of 4, 2 and 1 real
    // elements).
    let graph = build(
        &[6, 6, 1],
        vec![
            node(
                "c1",
                conv2d(2, [2, 2], [2, 2], Padding::Valid, Act::Relu),
                &[],
            ),
            node(
                "c2",
                conv2d(2, [3, 3], [1, 1], Padding::Same, Act::Identity),
                &[],
            ),
            node(
                "max",
                pool2d(PoolKind::Max, [2, 2], [1, 1], Padding::Same),
                &[],
            ),
            node(
                "avg",
                pool2d(PoolKind::Average, [2, 2], [2, 2], Padding::Same),
                &[],
            ),
            node("flat", flatten(), &[]),
            node("out", dense(2, Act::Sigmoid), &[]),
        ],
    );
    let shapes: Vec<String> = graph.nodes().iter().map(|n| n.shape.to_string()).collect();
    assert_eq!(
        shapes,
        [
            "(6, 6, 1)",
            "(3, 3, 2)",
            "(3, 3, 2)",
            "(3, 3, 2)",
            "(2, 2, 2)",
            "(8,)",
            "(2,)"
        ]
    );
    check_graph("pooling 2-D", &graph, BCE, 0x6a0d_0002);
}

#[test]
fn conv1d_and_pooling_1d_gradients_match_finite_differences() {
    let graph = build(
        &[9, 2],
        vec![
            node("c1", conv1d(3, 3, 1, Padding::Same, Act::Tanh), &[]),
            node("max", pool1d(PoolKind::Max, 3, 2, Padding::Same), &[]),
            node("c2", conv1d(2, 2, 2, Padding::Valid, Act::Relu), &[]),
            node("avg", pool1d(PoolKind::Average, 2, 1, Padding::Same), &[]),
            node("gap", gap(Dims::One), &[]),
            node("out", dense(2, Act::Identity), &[]),
        ],
    );
    let shapes: Vec<String> = graph.nodes().iter().map(|n| n.shape.to_string()).collect();
    assert_eq!(
        shapes,
        ["(9, 2)", "(9, 3)", "(5, 3)", "(2, 2)", "(2, 2)", "(2,)", "(2,)"]
    );
    check_graph("1-D", &graph, MSE, 0x6a0d_0003);
}

/// Two residual blocks: a fork into an identity add, then a strided block with a strided
/// 1 × 1 shortcut convolution on the first block's output, global average pooling and a
/// softmax.
fn residual_layers(f: usize, g: usize) -> Vec<LayerSpec> {
    let same = Padding::Same;
    vec![
        node("a", conv2d(f, [3, 3], [1, 1], same, Act::Relu), &[]),
        node("b", conv2d(f, [3, 3], [1, 1], same, Act::Identity), &[]),
        node("s", add(Act::Relu), &["a", "b"]),
        node("m", conv2d(g, [3, 3], [2, 2], same, Act::Relu), &["s"]),
        node("m2", conv2d(g, [3, 3], [1, 1], same, Act::Identity), &[]),
        node(
            "short",
            conv2d(g, [1, 1], [2, 2], same, Act::Identity),
            &["s"],
        ),
        node("t", add(Act::Relu), &["m2", "short"]),
        node("gap", gap(Dims::Two), &[]),
        node("out", dense(3, Act::Softmax), &[]),
    ]
}

#[test]
fn residual_graph_gradients_match_finite_differences() {
    let graph = build(&[6, 6, 2], residual_layers(3, 4));
    let s = graph.find("s").expect("s");
    assert_eq!(graph.consumers(s).len(), 2, "the add output forks");
    check_graph("residual", &graph, CCE, 0x6a0d_0006);
}

#[test]
fn a_tensor_with_three_consumers_and_a_repeated_add_input_matches_finite_differences() {
    let graph = build(
        &[4],
        vec![
            node("t", dense(3, Act::Tanh), &[]),
            node("u", dense(3, Act::Relu), &["t"]),
            node("v", dense(3, Act::Sigmoid), &["t"]),
            node("w", add(Act::Identity), &["t", "u", "v", "t"]),
            node("out", dense(2, Act::Softmax), &[]),
        ],
    );
    check_graph("forks", &graph, CCE, 0x6a0d_0005);
}

// ---------------------------------------------------------------------------------------------
// Keras conventions, computed by hand
// ---------------------------------------------------------------------------------------------

/// A single-filter 3 × 3, stride 2, same convolution on an `n × n` image whose pixel `(p, q)`
/// is `1 + p·n + q`, with a kernel that is 1 at tap `(i, j)` only: each output shows which
/// pixel that tap read (0 where it read padding).
fn probe_same_padding<M: Numeric>(
    n: usize,
    tap: (usize, usize),
    value: impl Fn(f64) -> M::Value,
    config: M::Config,
) -> Array2<M::Value> {
    let graph = build(
        &[n, n, 1],
        vec![
            node(
                "c",
                conv2d(1, [3, 3], [2, 2], Padding::Same, Act::Identity),
                &[],
            ),
            node("flat", flatten(), &[]),
        ],
    );
    let mut kernel = vec![value(0.0); 9];
    kernel[tap.0 * 3 + tap.1] = value(1.0);
    let params = vec![NodeParams {
        name: "c".into(),
        kernel,
        bias: vec![value(0.0)],
    }];
    let network = net::<M>(&graph, params, MSE, PLAIN, config);
    let x = Array2::from_shape_fn((1, n * n), |(_, k)| value(1.0 + k as f64));
    network.predict(x.view()).expect("valid batch")
}

#[test]
fn same_padding_splits_as_keras_does() {
    // 6 × 6, 3 × 3, stride 2: 3 × 3 output, padding 0 before and 1 after. Tap (0, 0) of
    // output (r, c) reads pixel (2r, 2c); tap (2, 2) reads (2r + 2, 2c + 2), padding for the
    // last row and column.
    let six_first = [1.0, 3.0, 5.0, 13.0, 15.0, 17.0, 25.0, 27.0, 29.0];
    let six_last = [15.0, 17.0, 0.0, 27.0, 29.0, 0.0, 0.0, 0.0, 0.0];
    // 5 × 5: padding 1 before and 1 after. Tap (0, 0) reads (2r − 1, 2c − 1); tap (2, 2)
    // reads (2r + 1, 2c + 1).
    let five_first = [0.0, 0.0, 0.0, 0.0, 7.0, 9.0, 0.0, 17.0, 19.0];
    let five_last = [7.0, 9.0, 0.0, 17.0, 19.0, 0.0, 0.0, 0.0, 0.0];
    for (n, tap, expected) in [
        (6, (0, 0), six_first),
        (6, (2, 2), six_last),
        (5, (0, 0), five_first),
        (5, (2, 2), five_last),
    ] {
        let got = probe_same_padding::<F32>(n, tap, |v| v as f32, ());
        assert_eq!(
            got.as_slice(),
            Some(&expected.map(|v| v as f32)[..]),
            "f32, {n}×{n}, tap {tap:?}"
        );
        let got = probe_same_padding::<Fixed>(n, tap, to_fixed, LIMITS);
        assert_eq!(
            got.as_slice(),
            Some(&expected.map(to_fixed)[..]),
            "fixed, {n}×{n}, tap {tap:?}"
        );
    }
}

/// The δ the identity 1 × 1 convolution in front of a pool receives, for inputs `x` (one row
/// per sample) and an MSE loss against zero: the pool's gradient routing made visible.
fn pool_delta<M: Numeric>(
    input: &[usize],
    pool: Op,
    x: Array2<M::Value>,
    one: M::Value,
    config: M::Config,
) -> (Array2<M::Value>, Array2<M::Value>, GraphNetwork<M>) {
    let graph = build(
        input,
        vec![
            node(
                "id",
                conv2d(1, [1, 1], [1, 1], Padding::Valid, Act::Identity),
                &[],
            ),
            node("pool", pool, &[]),
            node("flat", flatten(), &[]),
        ],
    );
    let params = one_param("id", vec![one], vec![M::zero()]);
    let network = net::<M>(&graph, params, MSE, PLAIN, config);
    let y = Array2::from_elem(
        (x.nrows(), graph.node(graph.output()).shape.len()),
        M::zero(),
    );
    let pass = network
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    let delta = pass.backward[1]
        .delta
        .clone()
        .expect("the convolution has a δ");
    let out = pass.forward[3].a.clone();
    (out, delta, network)
}

#[test]
fn max_pooling_ties_send_the_gradient_to_the_first_maximum() {
    // Sample 0: an all-equal 2 × 2 window; sample 1: a tie between elements 1 and 2.
    let x = array![[0.5f32, 0.5, 0.5, 0.5], [0.25, 0.75, 0.75, -0.5]];
    let pool = pool2d(PoolKind::Max, [2, 2], [2, 2], Padding::Valid);
    let (out, delta, _) = pool_delta::<F32>(&[2, 2, 1], pool.clone(), x.clone(), 1.0, ());
    assert_eq!(out, array![[0.5], [0.75]]);
    // MSE against 0 over one output: δ = 2·a, all of it to the top-left (sample 0) and to
    // the first of the tied pair, row-major (sample 1).
    assert_eq!(delta, array![[1.0, 0.0, 0.0, 0.0], [0.0, 1.5, 0.0, 0.0]]);
    let (out, delta, _) = pool_delta::<Fixed>(&[2, 2, 1], pool, quantise(&x), ONE, LIMITS);
    assert_eq!(out, array![[ONE / 2], [3 * ONE / 4]]);
    assert_eq!(delta, array![[ONE, 0, 0, 0], [0, 3 * ONE / 2, 0, 0]]);
}

#[test]
fn average_pooling_divides_by_the_real_elements() {
    // 3 × 3, window 2, stride 1, same: total padding 1, all after, so the windows of the last
    // row and column have 2 real elements and the corner's has 1.
    let pool = pool2d(PoolKind::Average, [2, 2], [1, 1], Padding::Same);
    let ones = Array2::from_elem((1, 9), 1.0f32);
    let (out, _, _) = pool_delta::<F32>(&[3, 3, 1], pool.clone(), ones.clone(), 1.0, ());
    assert_eq!(
        out,
        Array2::from_elem((1, 9), 1.0),
        "a window of ones averages to 1"
    );
    let (out, _, _) = pool_delta::<Fixed>(&[3, 3, 1], pool.clone(), quantise(&ones), ONE, LIMITS);
    assert_eq!(out, Array2::from_elem((1, 9), ONE));
    // Pixels 0..9: window (0, 0) averages {0, 1, 3, 4}, (0, 2) {2, 5}, (2, 2) {8}.
    let x = Array2::from_shape_fn((1, 9), |(_, k)| k as f32);
    let (out, delta, _) = pool_delta::<F32>(&[3, 3, 1], pool, x, 1.0, ());
    assert_eq!(out, array![[2.0, 3.0, 3.5, 5.0, 6.0, 6.5, 6.5, 7.5, 8.0]]);
    // MSE: δy = 2·y / 9; each real element receives δy / n from every window it is in.
    // Pixel 8 is in windows (1, 1), (1, 2), (2, 1), (2, 2) with 4, 2, 2 and 1 elements.
    let dy = out.mapv(|y| 2.0 * y / 9.0);
    let expected_8 = 0.0 + dy[[0, 4]] / 4.0 + dy[[0, 5]] / 2.0 + dy[[0, 7]] / 2.0 + dy[[0, 8]];
    assert_eq!(delta[[0, 8]], expected_8);
    // Pixel 0 is only in window (0, 0).
    assert_eq!(delta[[0, 0]], 0.0 + dy[[0, 0]] / 4.0);
}

#[test]
fn flatten_keeps_the_row_major_channels_last_order() {
    // A (2, 3, 2) image with pixel (r, c, ch) = 100r + 10c + ch at (r·3 + c)·2 + ch.
    let x = Array2::from_shape_fn((1, 12), |(_, k)| {
        let (r, c, ch) = (k / 6, (k / 2) % 3, k % 2);
        (100 * r + 10 * c + ch) as f32
    });
    let flat = build(&[2, 3, 2], vec![node("flat", flatten(), &[])]);
    let network = net::<F32>(&flat, vec![], MSE, PLAIN, ());
    assert_eq!(network.predict(x.view()).expect("valid"), x);
    // A 1 × 1 convolution that keeps channel 1, then flatten: output r·3 + c.
    let graph = then_flatten(
        &[2, 3, 2],
        "pick",
        conv2d(1, [1, 1], [1, 1], Padding::Valid, Act::Identity),
    );
    let params = one_param("pick", vec![0.0, 1.0], vec![0.0]);
    let network = net::<F32>(&graph, params, MSE, PLAIN, ());
    assert_eq!(
        network.predict(x.view()).expect("valid"),
        array![[1.0, 11.0, 21.0, 101.0, 111.0, 121.0]]
    );
}

#[test]
fn convolution_is_cross_correlation() {
    // Conv1D over [1, 2, 3] with kernel [1, 10, 100]: 1·1 + 2·10 + 3·100 (a flipped kernel
    // would give 123).
    let graph = then_flatten(&[3, 1], "c", conv1d(1, 3, 1, Padding::Valid, Act::Identity));
    let params = one_param("c", vec![1.0f32, 10.0, 100.0], vec![0.0]);
    let network = net::<F32>(&graph, params, MSE, PLAIN, ());
    assert_eq!(
        network
            .predict(array![[1.0, 2.0, 3.0]].view())
            .expect("valid"),
        array![[321.0]]
    );
    // Conv2D over [[1, 2], [3, 4]] with kernel [[1, 10], [100, 1000]].
    let graph = then_flatten(
        &[2, 2, 1],
        "c",
        conv2d(1, [2, 2], [1, 1], Padding::Valid, Act::Identity),
    );
    let params = one_param(
        "c",
        vec![1, 10, 100, 1000]
            .into_iter()
            .map(|v| v * ONE)
            .collect(),
        vec![0],
    );
    // 1000.0 is beyond LIMITS' 512.0; 2048.0 still bounds four taps' sum.
    let network = net::<Fixed>(&graph, params, MSE, PLAIN, FixedLimits { max_abs: 1 << 26 });
    let x = array![[1, 2, 3, 4]].mapv(|v| v * ONE);
    assert_eq!(
        network.predict(x.view()).expect("valid"),
        array![[4321 * ONE]]
    );
}

// ---------------------------------------------------------------------------------------------
// Fixed point, exact
// ---------------------------------------------------------------------------------------------

#[test]
fn hand_computed_fixed_conv_step_is_exact() {
    // Conv1D, kernel width 2, one filter, valid, identity, on x = [0.5, 0.25, −1]; flatten;
    // MSE against [0, 1]; lr 0.5; one sample.
    let graph = then_flatten(&[3, 1], "c", conv1d(1, 2, 1, Padding::Valid, Act::Identity));
    let params = one_param("c", vec![9830, -22938], vec![1000]);
    let sgd = Sgd {
        learning_rate: 0.5,
        momentum: None,
    };
    let mut network = net::<Fixed>(&graph, params, MSE, sgd, LIMITS);
    let x = array![[16384, 8192, -32768]];
    let y = array![[0, ONE]];
    let pass = network
        .train_batch_traced(x.view(), y.view())
        .expect("valid batch");
    // z0 = (16384·9830 − 8192·22938 + 1000·2^15) / 2^15 = 5914624 / 32768 = 180.5 → 181
    // z1 = (8192·9830 + 32768·22938 + 1000·2^15) / 2^15 = 864927744 / 32768 = 26395.5 → 26396
    // (round_shift: halves up).
    assert_eq!(pass.forward[1].z, array![[181, 26396]]);
    // δa = round_div(2·(a − y), 2) = a − y, through flatten (δ << 15, rounded back) unchanged.
    assert_eq!(pass.backward[2].delta, Some(array![[181, -6372]]));
    assert_eq!(pass.backward[1].delta_z, Some(array![[181, -6372]]));
    // G0 = 16384·181 + 8192·(−6372) = −49233920; G1 = 8192·181 + 32768·6372 = 210280448;
    // Gb = (181 − 6372)·2^15 = −202866688.
    assert_eq!(pass.gradients[0].kernel, [-49233920, 210280448]);
    assert_eq!(pass.gradients[0].bias, [-202866688]);
    // step = round_div(16384·G, 2^30) = G / 65536: −751.25 → −751, 3208.625 → 3209,
    // −3095.5 → −3096 (halves away from zero).
    assert_eq!(network.params()[0].kernel, [9830 + 751, -22938 - 3209]);
    assert_eq!(network.params()[0].bias, [1000 + 3096]);
    let expected_loss = ((181.0f64 / 32768.0).powi(2) + (6372.0f64 / 32768.0).powi(2)) / 2.0;
    assert_eq!(pass.loss, expected_loss);
}

/// `t` feeds one one-unit dense layer per weight (two or three), summed by an add: the graph
/// whose δ of `t` combines several consumers' contributions.
fn forked<M: Numeric>(
    weights: &[M::Value],
    zero: M::Value,
    one: M::Value,
    config: M::Config,
) -> GraphNetwork<M> {
    let names = ["a", "b", "c"];
    let mut layers = vec![node("t", dense(1, Act::Identity), &[])];
    for name in &names[..weights.len()] {
        layers.push(node(name, dense(1, Act::Identity), &["t"]));
    }
    layers.push(node("sum", add(Act::Identity), &names[..weights.len()]));
    let graph = build(&[1], layers);
    let mut params = one_param("t", vec![one], vec![zero]);
    for (name, &w) in names.iter().zip(weights) {
        params.push(NodeParams {
            name: name.to_string(),
            kernel: vec![w],
            bias: vec![zero],
        });
    }
    net::<M>(&graph, params, MSE, PLAIN, config)
}

#[test]
fn a_forked_fixed_delta_is_rounded_once_from_both_consumers() {
    // x = 0, so every z is 0; y = −0.25 gives δ = 2·(0 + 0.25) = 0.5 (16384) at the add, and
    // the same δz at a and b. With weights of one step (1) each consumer contributes
    // 1·16384 = 2^14 Q30, half a step: rounded once, 2^15 → 1; rounded separately, each
    // half would round up to 1, giving 2.
    let network = forked::<Fixed>(&[1, 1], 0, ONE, LIMITS);
    let pass = network
        .forward_backward(array![[0]].view(), array![[-ONE / 4]].view())
        .expect("valid batch");
    assert_eq!(pass.backward[2].delta_z, Some(array![[16384]]));
    assert_eq!(pass.backward[3].delta_z, Some(array![[16384]]));
    assert_eq!(pass.backward[1].delta, Some(array![[1]]));
    // Each half alone rounds (half up) to a whole step.
    assert_eq!(Fixed::finish_delta(1 << 14), 1);
    assert_eq!(
        Fixed::finish_delta(1 << 14) + Fixed::finish_delta(1 << 14),
        2
    );
}

#[test]
fn a_forked_f32_delta_sums_its_consumers_in_graph_order() {
    // δ at the add is 2·(0 − (−0.5)) = 1, so the consumers contribute their weights:
    // (0 + 1e8 + −1e8) + 1 = 1 in graph order, whereas the reverse order
    // (0 + 1 + −1e8) + 1e8 loses the 1 (f32 spacing at 1e8 is 8).
    let network = forked::<F32>(&[1e8, -1e8, 1.0], 0.0, 1.0, ());
    let pass = network
        .forward_backward(array![[0.0]].view(), array![[-0.5]].view())
        .expect("valid batch");
    assert_eq!(pass.backward[4].delta_z, Some(array![[1.0]]));
    assert_eq!(pass.backward[1].delta, Some(array![[1.0]]));
    assert_eq!((1.0f32 + -1e8) + 1e8, 0.0, "the other order would differ");
}

#[test]
fn fixed_average_pooling_rounds_halves_away_from_zero() {
    // Windows of two: sums 3, −3, 1, −1 halve to ±1.5 and ±0.5 steps.
    let graph = then_flatten(
        &[2, 1],
        "avg",
        pool1d(PoolKind::Average, 2, 2, Padding::Valid),
    );
    let network = net::<Fixed>(&graph, vec![], MSE, PLAIN, LIMITS);
    let x = array![[1, 2], [-1, -2], [1, 0], [-1, 0], [4, 2]];
    let got = network.predict(x.view()).expect("valid batch");
    // round_shift's halves-up rule would give −1 and 0 for the negative cases.
    assert_eq!(got, array![[2], [-2], [1], [-1], [3]]);
    // Backward: each of n real elements receives round_div(δy << 15, n); half-step
    // contributions appear only for n with 2^16 dividing it.
    assert_eq!(Fixed::average_contribution(1, 1 << 16), 1);
    assert_eq!(Fixed::average_contribution(-1, 1 << 16), -1);
    assert_eq!(Fixed::average_contribution(3, 1 << 17), 1);
    assert_eq!(Fixed::average_contribution(-3, 1 << 17), -1);
    assert_eq!(Fixed::average_contribution(1, 3), 10923);
    assert_eq!(Fixed::average(-3, 2), -2);
}

// ---------------------------------------------------------------------------------------------
// The dense graph is the dense network
// ---------------------------------------------------------------------------------------------

/// Trains a dense chain as a `Network` and as a `GraphNetwork` side by side for several
/// batches, asserting every loss, forward value, δ, gradient, weight and velocity equal.
fn assert_dense_graph_equals_network<M: Numeric>(
    layers: Vec<GoldenDense<M::Value>>,
    batches: &[Batch<M::Value>],
    loss: Loss,
    sgd: Sgd,
    config: M::Config,
    context: &str,
) {
    let to_dl = |a: Activation| match a {
        Activation::Identity => Act::Identity,
        Activation::Relu => Act::Relu,
        Activation::Sigmoid => Act::Sigmoid,
        Activation::Tanh => Act::Tanh,
        Activation::Softmax => Act::Softmax,
    };
    let graph = Graph::new(
        Shape::flat(layers[0].n_inputs()),
        layers
            .iter()
            .map(|d| LayerSpec::new(dense(d.n_units(), to_dl(d.activation))))
            .collect(),
    )
    .expect("a dense chain");
    let params: Vec<NodeParams<M::Value>> = graph
        .weighted()
        .iter()
        .zip(&layers)
        .map(|((id, _), d)| NodeParams {
            name: graph.node(*id).name.clone(),
            kernel: d.kernel.iter().copied().collect(),
            bias: d.bias.to_vec(),
        })
        .collect();
    let mut network = Network::<M>::new(layers, loss, sgd, config.clone()).expect("valid network");
    let mut graph_network = net::<M>(&graph, params, loss, sgd, config);
    for (b, (x, y)) in batches.iter().enumerate() {
        let context = format!("{context}, batch {b}");
        let expected = network
            .train_batch_traced(x.view(), y.view())
            .expect("valid batch");
        let got = graph_network
            .train_batch_traced(x.view(), y.view())
            .expect("valid batch");
        assert_eq!(got.loss, expected.loss, "{context}: loss");
        for (l, (f, bw)) in expected.forward.iter().zip(&expected.backward).enumerate() {
            let n = l + 1;
            assert_eq!(got.forward[n].z, f.z, "{context}: layer {l} z");
            assert_eq!(got.forward[n].a, f.a, "{context}: layer {l} a");
            assert_eq!(got.backward[n].delta, bw.delta_a, "{context}: layer {l} δa");
            assert_eq!(
                got.backward[n].delta_z.as_ref(),
                Some(&bw.delta_z),
                "{context}: layer {l} δz"
            );
            let kernel: Vec<M::Grad> = bw.kernel_gradient.iter().copied().collect();
            assert_eq!(
                got.gradients[l].kernel, kernel,
                "{context}: layer {l} kernel gradient"
            );
            assert_eq!(
                got.gradients[l].bias,
                bw.bias_gradient.to_vec(),
                "{context}: layer {l} bias gradient"
            );
        }
        for (l, (d, p)) in network
            .layers()
            .iter()
            .zip(graph_network.params())
            .enumerate()
        {
            let kernel: Vec<M::Value> = d.kernel.iter().copied().collect();
            assert_eq!(p.kernel, kernel, "{context}: layer {l} kernel");
            assert_eq!(p.bias, d.bias.to_vec(), "{context}: layer {l} bias");
        }
        match (network.velocities(), graph_network.velocities()) {
            (None, None) => {}
            (Some(expected), Some(got)) => {
                for (l, (v, g)) in expected.iter().zip(got).enumerate() {
                    let kernel: Vec<M::Value> = v.kernel.iter().copied().collect();
                    assert_eq!(g.kernel, kernel, "{context}: layer {l} kernel velocity");
                    assert_eq!(
                        g.bias,
                        v.bias.to_vec(),
                        "{context}: layer {l} bias velocity"
                    );
                }
            }
            _ => panic!("{context}: one network has momentum and the other not"),
        }
    }
}

#[test]
fn a_dense_graph_equals_the_dense_network_bit_for_bit() {
    let configs = [
        (Activation::Relu, Activation::Softmax, CCE),
        (Activation::Tanh, Activation::Sigmoid, BCE),
        (Activation::Sigmoid, Activation::Identity, MSE),
        (Activation::Relu, Activation::Softmax, MSE),
    ];
    let widths = [5, 7, 4, 3];
    for (c, (hidden, output, loss)) in configs.into_iter().enumerate() {
        let seed = 0xde05_0000 + c as u64;
        let mut data = Data::new(seed);
        let layers: Vec<GoldenDense<f32>> = widths
            .windows(2)
            .enumerate()
            .map(|(l, w)| GoldenDense {
                kernel: data.matrix(w[0], w[1], 0.8).mapv(|v| v as f32),
                bias: data.matrix(1, w[1], 0.2).row(0).mapv(|v| v as f32),
                activation: if l == widths.len() - 2 {
                    output
                } else {
                    hidden
                },
            })
            .collect();
        let batches: Vec<Batch<f32>> = (0..4)
            .map(|_| {
                let x = data.matrix(6, widths[0], 1.0).mapv(|v| v as f32);
                let y = data.labels(loss, 6, widths[3]).mapv(|v| v as f32);
                (x, y)
            })
            .collect();
        let fixed_layers: Vec<GoldenDense<i32>> = layers
            .iter()
            .map(|d| d.map(|w| to_fixed(f64::from(w))))
            .collect();
        let fixed_batches: Vec<Batch<i32>> = batches
            .iter()
            .map(|(x, y)| (quantise(x), quantise(y)))
            .collect();
        for momentum in [None, Some(0.9)] {
            let sgd = Sgd {
                learning_rate: 0.3,
                momentum,
            };
            let context =
                format!("seed {seed:#x}, {hidden:?}/{output:?}/{loss:?}, momentum {momentum:?}");
            assert_dense_graph_equals_network::<F32>(
                layers.clone(),
                &batches,
                loss,
                sgd,
                (),
                &format!("f32, {context}"),
            );
            assert_dense_graph_equals_network::<Fixed>(
                fixed_layers.clone(),
                &fixed_batches,
                loss,
                sgd,
                LIMITS,
                &format!("fixed, {context}"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Training runs
// ---------------------------------------------------------------------------------------------

/// A small residual convolutional model, its f32 parameters and eight batches of 8.
fn conv_case(seed: u64) -> (Graph, Vec<NodeParams<f32>>, Vec<Batch<f32>>) {
    let graph = build(
        &[6, 6, 1],
        vec![
            node(
                "c1",
                conv2d(4, [3, 3], [1, 1], Padding::Same, Act::Relu),
                &[],
            ),
            node(
                "pool",
                pool2d(PoolKind::Max, [2, 2], [2, 2], Padding::Valid),
                &[],
            ),
            node(
                "c2",
                conv2d(4, [3, 3], [1, 1], Padding::Same, Act::Identity),
                &[],
            ),
            node("sum", add(Act::Relu), &["pool", "c2"]),
            node(
                "avg",
                pool2d(PoolKind::Average, [2, 2], [1, 1], Padding::Same),
                &[],
            ),
            node("flat", flatten(), &[]),
            node("out", dense(3, Act::Softmax), &[]),
        ],
    );
    let mut data = Data::new(seed);
    let params = to_f32(&data.params(&graph, 1.0));
    let batches = (0..8)
        .map(|_| {
            let x = data.matrix(8, 36, 1.0).mapv(|v| v as f32);
            let y = data.labels(CCE, 8, 3).mapv(|v| v as f32);
            (x, y)
        })
        .collect();
    (graph, params, batches)
}

#[test]
fn f32_and_fixed_agree_on_a_short_conv_training_run() {
    let seed = 0xc0de_0001;
    let (graph, params, batches) = conv_case(seed);
    let sgd = Sgd {
        learning_rate: 0.2,
        momentum: Some(0.5),
    };
    let mut float = net::<F32>(&graph, params.clone(), CCE, sgd, ());
    let mut fixed = net::<Fixed>(&graph, quantise_params(&params), CCE, sgd, LIMITS);
    let mut first_loss = None;
    let mut last_loss = 0.0;
    for (b, (x, y)) in batches.iter().enumerate() {
        let float_loss = float.train_batch(x.view(), y.view()).expect("valid batch");
        let fixed_loss = fixed
            .train_batch(quantise(x).view(), quantise(y).view())
            .expect("valid batch");
        // s16.15 rounds every value to 3e-5 (and lr, μ to a step); over eight updates the
        // losses drift apart by at most 4e-5 here (weights by at most 3e-4), so 5e-4 and
        // 2e-3 leave a margin while flagging any rule that differs between the modes (those
        // move a loss by 1e-2 or more).
        assert!(
            (float_loss - fixed_loss).abs() < 5e-4,
            "seed {seed:#x}, batch {b}: f32 loss {float_loss}, fixed loss {fixed_loss}"
        );
        first_loss.get_or_insert(float_loss);
        last_loss = float_loss;
    }
    for (f, q) in float.params().iter().zip(fixed.params()) {
        for (&w, &v) in f
            .kernel
            .iter()
            .chain(&f.bias)
            .zip(q.kernel.iter().chain(&q.bias))
        {
            let diff = (f64::from(w) - f64::from(v) / f64::from(ONE)).abs();
            assert!(
                diff < 2e-3,
                "seed {seed:#x}, {}: f32 {w}, fixed {v}",
                f.name
            );
        }
    }
    let first_loss = first_loss.expect("eight batches");
    assert!(first_loss.is_finite() && last_loss.is_finite());
    assert_ne!(
        float.params(),
        params.as_slice(),
        "training moved the weights"
    );
}

#[test]
fn graph_training_is_deterministic_to_the_bit() {
    let (graph, params, batches) = conv_case(0xc0de_0002);
    let run = || {
        let mut float = net::<F32>(&graph, params.clone(), CCE, PLAIN, ());
        let mut fixed = net::<Fixed>(&graph, quantise_params(&params), CCE, PLAIN, LIMITS);
        let mut losses = Vec::new();
        for (x, y) in &batches {
            losses.push(float.train_batch(x.view(), y.view()).expect("valid batch"));
            losses.push(
                fixed
                    .train_batch(quantise(x).view(), quantise(y).view())
                    .expect("valid batch"),
            );
        }
        (float, fixed, losses)
    };
    let (float_a, fixed_a, losses_a) = run();
    let (float_b, fixed_b, losses_b) = run();
    assert_eq!(
        losses_a.iter().map(|l| l.to_bits()).collect::<Vec<_>>(),
        losses_b.iter().map(|l| l.to_bits()).collect::<Vec<_>>()
    );
    let bits = |n: &GraphNetwork<F32>| -> Vec<u32> {
        n.params()
            .iter()
            .flat_map(|p| p.kernel.iter().chain(&p.bias).map(|w| w.to_bits()))
            .collect()
    };
    assert_eq!(bits(&float_a), bits(&float_b));
    assert_eq!(fixed_a.params(), fixed_b.params());
    assert_ne!(
        fixed_a.params(),
        quantise_params(&params).as_slice(),
        "training moved the weights"
    );
}

#[test]
fn models_convert_from_the_spec_and_train_in_both_modes() {
    let spec = ModelSpec::builder_for(Shape::new(vec![8, 8, 1]))
        .named(
            "c",
            conv2d(4, [3, 3], [2, 2], Padding::Same, Act::Relu),
            &[],
        )
        .named("gap", gap(Dims::Two), &[])
        .named("out", dense(10, Act::Softmax), &[])
        .loss(spinn_dl::Loss::CategoricalCrossEntropy)
        .sgd(0.1, 4)
        .numeric(NumericMode::F32)
        .seed(9)
        .build()
        .expect("valid model");
    let weights = spec.init_weights();
    let mut float = f32_graph(&spec, &weights).expect("valid model");
    let mut fixed = fixed_graph(&spec, &weights, LIMITS).expect("valid model");
    assert_eq!(
        fixed.params()[0].kernel[5],
        to_fixed(f64::from(weights.layers[0].kernel[5]))
    );
    let mut data = Data::new(0x5bec);
    let x = data.matrix(4, 64, 1.0).mapv(|v| v as f32);
    let y = data.labels(CCE, 4, 10).mapv(|v| v as f32);
    let float_loss = float.train_batch(x.view(), y.view()).expect("valid batch");
    let fixed_loss = fixed
        .train_batch(quantise(&x).view(), quantise(&y).view())
        .expect("valid batch");
    // Ten classes at initialisation: the loss is near ln 10, and the modes agree to the
    // s16.15 resolution of the probabilities (a few 1e-5).
    assert!((float_loss - 10f64.ln()).abs() < 0.5, "{float_loss}");
    assert!(
        (float_loss - fixed_loss).abs() < 1e-3,
        "{float_loss} vs {fixed_loss}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn parameter_errors_name_the_layer() {
    let graph = build(
        &[4, 4, 1],
        vec![
            node(
                "c",
                conv2d(2, [3, 3], [1, 1], Padding::Valid, Act::Relu),
                &[],
            ),
            node("flat", flatten(), &[]),
            node("out", dense(2, Act::Softmax), &[]),
        ],
    );
    let params = to_f32(&Data::new(1).params(&graph, 1.0));
    let new = |params: Vec<NodeParams<f32>>| {
        GraphNetwork::<F32>::new(&graph, params, CCE, PLAIN, ()).map(|_| ())
    };
    assert_eq!(new(params.clone()), Ok(()));
    assert_eq!(
        new(params[..1].to_vec()),
        Err(GoldenError::ParamCount {
            expected: 2,
            got: 1
        })
    );
    let mut renamed = params.clone();
    renamed[1].name = "dense".into();
    let err = new(renamed).expect_err("a wrong name is rejected");
    assert_eq!(
        err.to_string(),
        "layer 2 is \"out\" but its parameters are named \"dense\""
    );
    let mut short = params.clone();
    short[0].kernel.pop();
    assert_eq!(
        new(short),
        Err(GoldenError::ParamLength {
            layer: 0,
            name: "c".into(),
            tensor: Tensor::Kernel,
            expected: 18,
            got: 17
        })
    );
    let mut nan = params.clone();
    nan[0].kernel[3 * 2 + 1] = f32::NAN;
    let err = new(nan).expect_err("NaN is rejected");
    // Kernel (3, 3, 1, 2): flat 7 is (1, 0, 0, 1).
    assert_eq!(
        err.to_string(),
        "layer 0: kernel W is not finite (NaN) at index [1, 0, 0, 1] in f32"
    );

    let network = net::<F32>(&graph, params, CCE, PLAIN, ());
    assert_eq!(
        network.predict(Array2::zeros((2, 15)).view()),
        Err(GoldenError::InputShape {
            got: (2, 15),
            expected_features: 16
        })
    );
    assert_eq!(
        network.predict(Array2::zeros((0, 16)).view()),
        Err(GoldenError::EmptyBatch)
    );
    assert_eq!(
        network.loss(Array2::zeros((2, 16)).view(), Array2::zeros((2, 3)).view()),
        Err(GoldenError::LabelShape {
            layer: 2,
            got: (2, 3),
            expected: (2, 2)
        })
    );
}

#[test]
fn a_failed_update_leaves_the_graph_network_unchanged() {
    let graph = then_flatten(&[3, 1], "c", conv1d(1, 2, 1, Padding::Valid, Act::Identity));
    let params = one_param("c", vec![1e38f32, 0.0], vec![0.0]);
    let sgd = Sgd {
        learning_rate: 1e30,
        momentum: Some(0.5),
    };
    let mut network = net::<F32>(&graph, params.clone(), MSE, sgd, ());
    let before = network.clone();
    let err = network
        .train_batch(array![[1.0, 0.0, 0.0]].view(), array![[0.0, 0.0]].view())
        .expect_err("the update overflows");
    assert!(
        matches!(
            err,
            GoldenError::NonFinite {
                layer: 0,
                tensor: Tensor::Kernel,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        network, before,
        "a failed update leaves the network unchanged"
    );
    assert_eq!(network.params(), params.as_slice());
}

#[test]
fn fixed_overflow_bounds_cover_windows_forks_and_batches() {
    let full = FixedLimits { max_abs: i32::MAX };
    // A 1-D convolution of two taps: 2·(2^31 − 1)² plus the bias overflows the forward sum.
    let conv = then_flatten(&[3, 1], "c", conv1d(1, 2, 1, Padding::Valid, Act::Identity));
    let conv_params = one_param("c", vec![ONE, ONE], vec![0]);
    let err = GraphNetwork::<Fixed>::new(&conv, conv_params.clone(), MSE, PLAIN, full)
        .expect_err("the forward sum can overflow");
    assert!(
        matches!(
            err,
            GoldenError::FixedLayerOverflow {
                layer: 0,
                pass: "forward",
                terms: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // A tensor with three one-unit dense consumers: each consumer alone fits (one product),
    // but the tensor's δ sums three products of up to (2^31 − 1)².
    let ones = |n: usize| vec![ONE; n];
    assert!(GraphNetwork::<Fixed>::new(
        forked::<Fixed>(&ones(2), 0, ONE, LIMITS).graph(),
        forked::<Fixed>(&ones(2), 0, ONE, LIMITS).params().to_vec(),
        MSE,
        PLAIN,
        full
    )
    .is_ok());
    let three = forked::<Fixed>(&ones(3), 0, ONE, LIMITS);
    let err = GraphNetwork::<Fixed>::new(three.graph(), three.params().to_vec(), MSE, PLAIN, full)
        .expect_err("the δ sum can overflow");
    assert!(
        matches!(
            err,
            GoldenError::FixedLayerOverflow {
                layer: 0,
                pass: "delta",
                terms: 3,
                ..
            }
        ),
        "{err:?}"
    );
    // M = 2^30: a convolution with 2 output positions sums 2 products per sample into each
    // kernel gradient, so 4 samples reach 8·2^60 = 2^63, one past i64::MAX.
    let wide = FixedLimits { max_abs: 1 << 30 };
    let network = net::<Fixed>(&conv, conv_params, MSE, PLAIN, wide);
    let ok = network.forward_backward(Array2::zeros((3, 3)).view(), Array2::zeros((3, 2)).view());
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(
        network
            .forward_backward(Array2::zeros((4, 3)).view(), Array2::zeros((4, 2)).view())
            .map(|_| ()),
        Err(GoldenError::FixedGradientOverflow {
            layer: 0,
            batch: 4,
            positions: 2,
            worst_case: 1 << 63
        })
    );
    // Values beyond the declared bound are reported with their Keras index.
    let graph = then_flatten(
        &[2, 2, 1],
        "c",
        conv2d(2, [2, 2], [1, 1], Padding::Valid, Act::Identity),
    );
    let mut kernel = vec![0; 8];
    kernel[5] = (1 << 24) + 1;
    let params = vec![NodeParams {
        name: "c".into(),
        kernel,
        bias: vec![0, 0],
    }];
    assert_eq!(
        GraphNetwork::<Fixed>::new(&graph, params, MSE, PLAIN, LIMITS).map(|_| ()),
        Err(GoldenError::FixedOutOfRange {
            layer: 0,
            tensor: Tensor::Kernel,
            index: vec![1, 0, 0, 1],
            value: (1 << 24) + 1,
            max_abs: 1 << 24
        })
    );
}
