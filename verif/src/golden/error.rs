//! Errors of the golden DL reference: bad shapes and parameters, bad hyper-parameters,
//! non-finite floats and fixed-point values outside the range the overflow proof covers; each
//! names the layer (for graphs, node index − 1) and the tensor.

use std::fmt;

/// Which tensor of a layer an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tensor {
    /// The layer's input batch `x` (for layer 0, the network input).
    Input,
    /// The label batch `y` (compared with the last layer's activations).
    Label,
    /// The weight matrix `W`, shape (inputs, units) (a convolution's kernel in its Keras
    /// shape).
    Kernel,
    /// The bias vector `b`, shape (units,) (one per filter).
    Bias,
    /// The pre-activation `z = x·W + b`.
    PreActivation,
    /// The activation `a = f(z)`.
    Activation,
    /// The loss gradient with respect to the activation, `δa = ∂L/∂a`.
    ActivationDelta,
    /// The loss gradient with respect to the pre-activation, `δz = ∂L/∂z`.
    PreActivationDelta,
    /// The batch gradient of the kernel.
    KernelGradient,
    /// The batch gradient of the bias.
    BiasGradient,
    /// The momentum velocity of the kernel.
    KernelVelocity,
    /// The momentum velocity of the bias.
    BiasVelocity,
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Tensor::Input => "input x",
            Tensor::Label => "label y",
            Tensor::Kernel => "kernel W",
            Tensor::Bias => "bias b",
            Tensor::PreActivation => "pre-activation z",
            Tensor::Activation => "activation a",
            Tensor::ActivationDelta => "activation delta δa",
            Tensor::PreActivationDelta => "pre-activation delta δz",
            Tensor::KernelGradient => "kernel gradient",
            Tensor::BiasGradient => "bias gradient",
            Tensor::KernelVelocity => "kernel velocity",
            Tensor::BiasVelocity => "bias velocity",
        };
        f.write_str(name)
    }
}

/// Everything the golden reference can reject.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GoldenError {
    /// A network needs at least one layer.
    #[error("network has no layers")]
    NoLayers,

    /// A layer with zero inputs or zero units.
    #[error("layer {layer}: kernel shape {kernel:?} has no inputs or no units")]
    EmptyLayer {
        layer: usize,
        kernel: (usize, usize),
    },

    /// The bias must have one entry per unit (kernel column).
    #[error("layer {layer}: bias length {bias} does not match kernel shape {kernel:?} (one bias per unit)")]
    BiasShape {
        layer: usize,
        kernel: (usize, usize),
        bias: usize,
    },

    /// A layer's input width must equal the previous layer's unit count.
    #[error("layer {layer}: kernel shape {kernel:?} takes {} inputs but the previous layer has {previous_units} units", .kernel.0)]
    LayerChain {
        layer: usize,
        kernel: (usize, usize),
        previous_units: usize,
    },

    /// A batch with no samples.
    #[error("batch is empty")]
    EmptyBatch,

    /// The input batch must be (batch, inputs of layer 0).
    #[error(
        "input batch shape {got:?} does not fit layer 0, which takes {expected_features} inputs"
    )]
    InputShape {
        got: (usize, usize),
        expected_features: usize,
    },

    /// The label batch must have the last layer's output shape.
    #[error("label batch shape {got:?} does not match layer {layer}'s output shape {expected:?}")]
    LabelShape {
        layer: usize,
        got: (usize, usize),
        expected: (usize, usize),
    },

    /// A NaN or infinity in a float tensor.
    #[error("layer {layer}: {tensor} is not finite ({value}) at index {index:?} in {mode}")]
    NonFinite {
        layer: usize,
        tensor: Tensor,
        index: Vec<usize>,
        value: f64,
        mode: &'static str,
    },

    /// The learning rate must be finite and positive (and stay so in the mode's format).
    #[error("learning rate {value} is not a finite positive number in {mode}")]
    InvalidLearningRate { value: f64, mode: &'static str },

    /// The momentum must lie in [0, 1).
    #[error("momentum {value} is outside [0, 1)")]
    InvalidMomentum { value: f64 },

    /// The learning rate rounds to zero, or overflows, as an s16.15 constant.
    #[error("learning rate {value} rounds to {q15} in s16.15 (needs 1..=2147483647)")]
    FixedLearningRate { value: f64, q15: i64 },

    /// The declared fixed-point magnitude bound must cover 1.0.
    #[error("fixed-point bound {max_abs} is below one ({one}); sigmoid, softmax and one-hot labels reach 1.0")]
    FixedBoundTooSmall { max_abs: i32, one: i32 },

    /// A layer's i64 accumulation could overflow under the declared bound.
    #[error("layer {layer}: {pass} accumulation of {terms} products could reach {worst_case}, beyond i64::MAX")]
    FixedLayerOverflow {
        layer: usize,
        pass: &'static str,
        terms: usize,
        worst_case: i128,
    },

    /// The i64 batch-gradient accumulation could overflow for this batch size.
    #[error(
        "batch of {batch} samples: the i64 gradient sum could reach {worst_case}, beyond i64::MAX"
    )]
    FixedBatchOverflow { batch: usize, worst_case: i128 },

    /// The i64 kernel-gradient sum of one layer could overflow for this batch size: a
    /// convolution's sum has `batch × output positions` terms per kernel element.
    #[error("layer {layer}: the i64 gradient sum of {batch} samples × {positions} output positions could reach {worst_case}, beyond i64::MAX")]
    FixedGradientOverflow {
        layer: usize,
        batch: usize,
        positions: usize,
        worst_case: i128,
    },

    /// A graph needs one parameter set per weighted node (dense or convolution).
    #[error("graph has {expected} weighted layers but {got} parameter sets were given")]
    ParamCount { expected: usize, got: usize },

    /// Parameter sets come in graph order and carry their node's name.
    #[error("layer {layer} is \"{expected}\" but its parameters are named \"{got}\"")]
    ParamName {
        layer: usize,
        expected: String,
        got: String,
    },

    /// A kernel or bias with the wrong number of elements for its node.
    #[error("layer {layer} (\"{name}\"): {tensor} has {got} elements, expected {expected}")]
    ParamLength {
        layer: usize,
        name: String,
        tensor: Tensor,
        expected: usize,
        got: usize,
    },

    /// A kernel whose Keras shape is not the one its node needs.
    #[error(
        "layer {layer} (\"{name}\"): kernel shape {got:?} does not match the layer's {expected:?}"
    )]
    KernelShape {
        layer: usize,
        name: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },

    /// The dense [`Network`](super::Network) holds only a chain of dense layers on a flat
    /// input; other graphs need a [`GraphNetwork`](super::GraphNetwork).
    #[error("layer {layer} (\"{name}\", {kind}) is not part of a chain of dense layers; use a graph network")]
    NotDenseChain {
        layer: usize,
        name: String,
        kind: &'static str,
    },

    /// A fixed-point value outside the declared bound that the overflow proof relies on.
    #[error("layer {layer}: {tensor} value {value} at index {index:?} exceeds the declared s16.15 bound ±{max_abs}")]
    FixedOutOfRange {
        layer: usize,
        tensor: Tensor,
        index: Vec<usize>,
        value: i64,
        max_abs: i32,
    },
}
