//! Builds golden networks from the DNN library's model description (`spinn_dl::ModelSpec` and
//! its `Weights`), so the reference and the machine start from the same model: the same graph,
//! loss, optimiser and initial weights (converted to s16.15 with `to_fixed` in fixed mode).
//!
//! * [`f32_graph`], [`fixed_graph`]: any graph, as a [`GraphNetwork`].
//! * [`f32_network`], [`fixed_network`]: a chain of dense layers on a flat input, as the
//!   sequential [`Network`](super::Network); any other graph is
//!   [`GoldenError::NotDenseChain`].
//!
//! The weights are checked against the graph ([`node_params`]): one entry per weighted node in
//! graph order, named after it, with its Keras kernel shape and as many elements as that
//! shape and the bias need; each error names the layer.

use super::fixed::FixedLimits;
use super::graph::{check_node_params, GraphNetwork, NodeParams};
use super::model::{Activation, Dense, Loss, Sgd};
use super::s16_15::to_fixed;
use super::{F32Network, Fixed, FixedNetwork, GoldenError, F32};
use ndarray::{Array1, Array2};
use spinn_dl::ops::Op;
use spinn_dl::{ModelSpec, NodeId, Weights};

/// The golden activation for a model file's.
pub fn activation(a: spinn_dl::Activation) -> Activation {
    match a {
        spinn_dl::Activation::Identity => Activation::Identity,
        spinn_dl::Activation::Relu => Activation::Relu,
        spinn_dl::Activation::Sigmoid => Activation::Sigmoid,
        spinn_dl::Activation::Tanh => Activation::Tanh,
        spinn_dl::Activation::Softmax => Activation::Softmax,
    }
}

/// The golden loss for a model file's.
pub fn loss(l: spinn_dl::Loss) -> Loss {
    match l {
        spinn_dl::Loss::MeanSquaredError => Loss::MeanSquaredError,
        spinn_dl::Loss::CategoricalCrossEntropy => Loss::CategoricalCrossEntropy,
        spinn_dl::Loss::BinaryCrossEntropy => Loss::BinaryCrossEntropy,
    }
}

fn sgd(spec: &ModelSpec) -> Sgd {
    Sgd {
        learning_rate: spec.optimizer().learning_rate(),
        momentum: spec.optimizer().momentum(),
    }
}

/// `weights` as the parameter sets of `spec`'s weighted nodes, in graph order, each checked
/// against its node: name, kernel and bias lengths, and Keras kernel shape.
pub fn node_params(
    spec: &ModelSpec,
    weights: &Weights,
) -> Result<Vec<NodeParams<f32>>, GoldenError> {
    let graph = spec.graph();
    let params: Vec<NodeParams<f32>> = weights
        .layers
        .iter()
        .map(|w| NodeParams {
            name: w.name.clone(),
            kernel: w.kernel.clone(),
            bias: w.bias.clone(),
        })
        .collect();
    check_node_params(graph, &params)?;
    for ((id, shapes), w) in graph.weighted().iter().zip(&weights.layers) {
        if w.kernel_shape != shapes.kernel {
            return Err(GoldenError::KernelShape {
                layer: id.index() - 1,
                name: w.name.clone(),
                expected: shapes.kernel.clone(),
                got: w.kernel_shape.clone(),
            });
        }
    }
    Ok(params)
}

/// Parameters rounded to s16.15 with `to_fixed`.
fn quantised(params: Vec<NodeParams<f32>>) -> Vec<NodeParams<i32>> {
    let q = |values: Vec<f32>| values.into_iter().map(|w| to_fixed(f64::from(w))).collect();
    params
        .into_iter()
        .map(|p| NodeParams {
            name: p.name,
            kernel: q(p.kernel),
            bias: q(p.bias),
        })
        .collect()
}

/// The model in the golden reference's f32 mode.
pub fn f32_graph(spec: &ModelSpec, weights: &Weights) -> Result<GraphNetwork<F32>, GoldenError> {
    let params = node_params(spec, weights)?;
    GraphNetwork::new(spec.graph(), params, loss(spec.loss()), sgd(spec), ())
}

/// The model in the golden reference's s16.15 mode, weights rounded with `to_fixed`.
pub fn fixed_graph(
    spec: &ModelSpec,
    weights: &Weights,
    limits: FixedLimits,
) -> Result<GraphNetwork<Fixed>, GoldenError> {
    let params = quantised(node_params(spec, weights)?);
    GraphNetwork::new(spec.graph(), params, loss(spec.loss()), sgd(spec), limits)
}

/// The dense layers of a model that is a chain of dense layers, with `weights`; any other node,
/// or a dense layer that does not take the one before it, is [`GoldenError::NotDenseChain`].
fn dense_layers(spec: &ModelSpec, weights: &Weights) -> Result<Vec<Dense<f32>>, GoldenError> {
    let graph = spec.graph();
    let mut activations = Vec::new();
    for (i, node) in graph.nodes().iter().enumerate().skip(1) {
        match &node.op {
            Op::Dense(dense) if node.inputs == [NodeId(i - 1)] => {
                activations.push(activation(dense.activation));
            }
            op => {
                return Err(GoldenError::NotDenseChain {
                    layer: i - 1,
                    name: node.name.clone(),
                    kind: op.kind(),
                })
            }
        }
    }
    let params = node_params(spec, weights)?;
    Ok(params
        .into_iter()
        .zip(graph.weighted())
        .zip(activations)
        .map(|((p, (_, shapes)), activation)| Dense {
            kernel: Array2::from_shape_vec((shapes.inputs, shapes.outputs), p.kernel)
                .expect("invariant: node_params checked the kernel's length"),
            bias: Array1::from(p.bias),
            activation,
        })
        .collect())
}

/// A dense-chain model in the golden reference's f32 mode, as the sequential network.
pub fn f32_network(spec: &ModelSpec, weights: &Weights) -> Result<F32Network, GoldenError> {
    F32Network::new(
        dense_layers(spec, weights)?,
        loss(spec.loss()),
        sgd(spec),
        (),
    )
}

/// A dense-chain model in the golden reference's s16.15 mode, weights rounded with
/// `to_fixed`, as the sequential network.
pub fn fixed_network(
    spec: &ModelSpec,
    weights: &Weights,
    limits: FixedLimits,
) -> Result<FixedNetwork, GoldenError> {
    let layers = dense_layers(spec, weights)?
        .iter()
        .map(|d| d.map(|w| to_fixed(f64::from(w))))
        .collect();
    FixedNetwork::new(layers, loss(spec.loss()), sgd(spec), limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_dl::ops::{Conv, Flatten, Padding};
    use spinn_dl::{NumericMode, Shape};

    #[test]
    fn the_default_model_converts_with_its_initial_weights() {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        let net = f32_network(&spec, &weights).expect("a valid model");
        let shapes: Vec<_> = net.layers().iter().map(|d| d.kernel.dim()).collect();
        assert_eq!(shapes, [(64, 128), (128, 10)]);
        assert_eq!(
            net.layers()[0].kernel[[3, 7]],
            weights.layers[0].kernel_at(&[3, 7])
        );
        assert_eq!(net.layers()[1].activation, Activation::Softmax);
        assert_eq!(net.loss_function(), Loss::CategoricalCrossEntropy);
        assert_eq!(net.sgd().learning_rate, 0.1);

        let limits = FixedLimits { max_abs: 1 << 24 };
        let fixed = fixed_network(&spec, &weights, limits).expect("a valid model");
        let w = weights.layers[1].kernel_at(&[127, 9]);
        assert_eq!(fixed.layers()[1].kernel[[127, 9]], to_fixed(f64::from(w)));
        assert!(fixed.layers()[0].bias.iter().all(|&b| b == 0));

        let graph = fixed_graph(&spec, &weights, limits).expect("a valid model");
        assert_eq!(graph.params()[1].name, "dense_1");
        assert_eq!(
            graph.params()[1].kernel[127 * 10 + 9],
            to_fixed(f64::from(w))
        );
    }

    fn conv_spec() -> ModelSpec {
        ModelSpec::builder_for(Shape::new(vec![6, 6, 2]))
            .layer(Op::Conv(Conv::conv2d(
                3,
                [3, 3],
                [1, 1],
                Padding::Valid,
                spinn_dl::Activation::Relu,
            )))
            .layer(Op::Flatten(Flatten))
            .dense(2, spinn_dl::Activation::Softmax)
            .loss(spinn_dl::Loss::CategoricalCrossEntropy)
            .sgd(0.1, 4)
            .numeric(NumericMode::F32)
            .seed(3)
            .build()
            .expect("valid model")
    }

    #[test]
    fn graphs_convert_and_only_dense_chains_become_networks() {
        let spec = conv_spec();
        let weights = spec.init_weights();
        let graph = f32_graph(&spec, &weights).expect("a valid model");
        assert_eq!(graph.params()[0].kernel, weights.layers[0].kernel);
        assert_eq!(
            f32_network(&spec, &weights),
            Err(GoldenError::NotDenseChain {
                layer: 0,
                name: "conv2d".into(),
                kind: "conv2d"
            })
        );

        let mut renamed = weights.clone();
        renamed.layers[1].name = "other".into();
        assert_eq!(
            f32_graph(&spec, &renamed).map(|_| ()),
            Err(GoldenError::ParamName {
                layer: 2,
                expected: "dense".into(),
                got: "other".into()
            })
        );
        let mut reshaped = weights.clone();
        reshaped.layers[0].kernel_shape = vec![9, 2, 3];
        assert_eq!(
            f32_graph(&spec, &reshaped).map(|_| ()),
            Err(GoldenError::KernelShape {
                layer: 0,
                name: "conv2d".into(),
                expected: vec![3, 3, 2, 3],
                got: vec![9, 2, 3]
            })
        );
        let mut short = weights.clone();
        short.layers[0].bias.pop();
        let err = f32_graph(&spec, &short)
            .map(|_| ())
            .expect_err("short bias");
        assert_eq!(
            err.to_string(),
            "layer 0 (\"conv2d\"): bias b has 2 elements, expected 3"
        );
        let mut missing = weights;
        missing.layers.pop();
        assert_eq!(
            f32_graph(&spec, &missing).map(|_| ()),
            Err(GoldenError::ParamCount {
                expected: 2,
                got: 1
            })
        );
    }
}
