//! Builds golden networks from the DNN library's model description (`spinn_dl::ModelSpec` and
//! its `Weights`), so the reference and the machine start from the same model: the same layers,
//! loss, optimiser and initial weights (converted to s16.15 with `to_fixed` in fixed mode).

use super::fixed::FixedLimits;
use super::model::{Activation, Dense, Loss, Sgd};
use super::s16_15::to_fixed;
use super::{F32Network, FixedNetwork, GoldenError};
use ndarray::{Array1, Array2};
use spinn_dl::{ModelSpec, Optimizer, Weights};

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
    match spec.optimizer() {
        Optimizer::Sgd {
            learning_rate,
            momentum,
            ..
        } => Sgd {
            learning_rate,
            momentum,
        },
    }
}

fn dense_f32(spec: &ModelSpec, weights: &Weights) -> Vec<Dense<f32>> {
    spec.layers()
        .iter()
        .zip(&weights.layers)
        .map(|(layer, w)| Dense {
            kernel: Array2::from_shape_vec((w.inputs, w.units), w.kernel.clone())
                .expect("invariant: a layer's kernel holds inputs × units weights"),
            bias: Array1::from(w.bias.clone()),
            activation: activation(layer.activation),
        })
        .collect()
}

/// The model in the golden reference's f32 mode.
pub fn f32_network(spec: &ModelSpec, weights: &Weights) -> Result<F32Network, GoldenError> {
    F32Network::new(dense_f32(spec, weights), loss(spec.loss()), sgd(spec), ())
}

/// The model in the golden reference's s16.15 mode, weights rounded with `to_fixed`.
pub fn fixed_network(
    spec: &ModelSpec,
    weights: &Weights,
    limits: FixedLimits,
) -> Result<FixedNetwork, GoldenError> {
    let layers = dense_f32(spec, weights)
        .iter()
        .map(|d| d.map(|w| to_fixed(f64::from(w))))
        .collect();
    FixedNetwork::new(layers, loss(spec.loss()), sgd(spec), limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_model_converts_with_its_initial_weights() {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        let net = f32_network(&spec, &weights).expect("a valid model");
        let shapes: Vec<_> = net.layers().iter().map(|d| d.kernel.dim()).collect();
        assert_eq!(shapes, [(64, 128), (128, 10)]);
        assert_eq!(
            net.layers()[0].kernel[[3, 7]],
            weights.layers[0].kernel_at(3, 7)
        );
        assert_eq!(net.layers()[1].activation, Activation::Softmax);
        assert_eq!(net.loss_function(), Loss::CategoricalCrossEntropy);
        assert_eq!(net.sgd().learning_rate, 0.1);

        let limits = FixedLimits { max_abs: 1 << 24 };
        let fixed = fixed_network(&spec, &weights, limits).expect("a valid model");
        let w = weights.layers[1].kernel_at(127, 9);
        assert_eq!(fixed.layers()[1].kernel[[127, 9]], to_fixed(f64::from(w)));
        assert!(fixed.layers()[0].bias.iter().all(|&b| b == 0));
    }
}
