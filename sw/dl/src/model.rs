//! The model description: a network [`Graph`] with a loss, an SGD optimiser, a numeric mode and
//! a seed, built with [`ModelSpec::builder`] (or read from a model file, see
//! [`crate::model_file`]) and validated once, when it is built.
//!
//! A [`ModelSpec`] says *what* to train, not how the machine computes it; it is independent of
//! the simulated machine.
//! [`ModelSpec::init_weights`] gives the deterministic initial [`Weights`] for its seed.
//!
//! Architecture invariant: a `ModelSpec` that exists is valid (every check below passed), so
//! code that maps it onto the machine never re-checks shapes, activations or hyper-parameters.

use crate::graph::{Graph, GraphError, LayerSpec, NodeId};
use crate::ops::{Activation, Dense, Op};
use crate::shape::Shape;
use spinn_model::rng::SplitMix64;

pub use crate::graph::MAX_PARAMETERS;

/// A loss function, reduced Keras-style (mean over the batch of a per-sample value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// Per sample: the mean over output units of `(a − y)²`.
    MeanSquaredError,
    /// Per sample: `−Σ_j y_j log(a_j)`; needs at least two output units.
    CategoricalCrossEntropy,
    /// Per sample: `−mean_j(y log(a) + (1 − y) log(1 − a))`; not with a softmax output.
    BinaryCrossEntropy,
}

impl Loss {
    /// Every loss, in declaration order.
    pub const ALL: [Loss; 3] = [
        Loss::MeanSquaredError,
        Loss::CategoricalCrossEntropy,
        Loss::BinaryCrossEntropy,
    ];

    /// The name used in model files (Keras' name).
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::CategoricalCrossEntropy => "categorical_crossentropy",
            Loss::BinaryCrossEntropy => "binary_crossentropy",
        }
    }

    /// The loss with this model-file name.
    pub fn from_name(name: &str) -> Option<Loss> {
        Loss::ALL.into_iter().find(|it| it.name() == name)
    }
}

/// How weights are updated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// Mini-batch SGD, the gradient being the mean over the batch (as Keras does), optionally
    /// with Keras-style momentum (`v ← μ·v − lr·g; w ← w + v`).
    Sgd {
        /// Finite and positive (and, in [`NumericMode::Fixed`], at least one s16.15 step).
        learning_rate: f64,
        /// `μ` in [0, 1), or `None` for plain `w ← w − lr·g`.
        momentum: Option<f64>,
        /// Samples per weight update; at least 1.
        batch_size: usize,
    },
}

impl Optimizer {
    /// The batch size, which every optimiser has.
    pub fn batch_size(&self) -> usize {
        match *self {
            Optimizer::Sgd { batch_size, .. } => batch_size,
        }
    }

    /// The learning rate as given.
    pub fn learning_rate(&self) -> f64 {
        match *self {
            Optimizer::Sgd { learning_rate, .. } => learning_rate,
        }
    }

    /// The momentum, if any.
    pub fn momentum(&self) -> Option<f64> {
        match *self {
            Optimizer::Sgd { momentum, .. } => momentum,
        }
    }

    /// The same optimiser with another learning rate or batch size (for command-line
    /// overrides); the model that uses it is checked again.
    pub fn with(&self, learning_rate: Option<f64>, batch_size: Option<usize>) -> Optimizer {
        match *self {
            Optimizer::Sgd {
                learning_rate: lr,
                momentum,
                batch_size: b,
            } => Optimizer::Sgd {
                learning_rate: learning_rate.unwrap_or(lr),
                momentum,
                batch_size: batch_size.unwrap_or(b),
            },
        }
    }
}

/// The arithmetic the machine trains in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumericMode {
    /// IEEE single precision (software float on the ARM968, with its cycle cost).
    F32,
    /// s16.15 fixed point: 32-bit signed, 15 fraction bits, exact 64-bit accumulation.
    Fixed,
}

impl NumericMode {
    /// Every mode, in declaration order.
    pub const ALL: [NumericMode; 2] = [NumericMode::F32, NumericMode::Fixed];

    /// The name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            NumericMode::F32 => "f32",
            NumericMode::Fixed => "fixed",
        }
    }

    /// The mode with this model-file name.
    pub fn from_name(name: &str) -> Option<NumericMode> {
        NumericMode::ALL.into_iter().find(|it| it.name() == name)
    }

    /// A hyper-parameter as the mode uses it: unchanged in f32 (which rounds it to `f32`
    /// once), rounded to the nearest s16.15 step in fixed point.
    pub fn quantised(self, value: f64) -> f64 {
        match self {
            NumericMode::F32 => f64::from(value as f32),
            NumericMode::Fixed => {
                let scale = f64::from(1u32 << FIXED_FRAC_BITS);
                (value * scale).round() / scale
            }
        }
    }
}

/// Fraction bits of the s16.15 format, used to check that a fixed-point learning rate is
/// representable.
const FIXED_FRAC_BITS: u32 = 15;

/// The declared magnitude bound `M` of fixed-point training (`docs/numerics.md` §Overflow
/// bound), as an s16.15 value: `1 << 24` is 512.0. Every layer input, weight, bias and `δz`
/// stays within `±M`, which is what makes every `i64` sum exact; the golden reference checks
/// it at run time and weights given to a fixed-point network are checked against it.
pub const FIXED_MAX_ABS: i32 = 1 << 24;

/// The largest batch a model may have: a kernel gradient sums `batch` products of two
/// s16.15 values of at most [`FIXED_MAX_ABS`] in an exact `i64`, so `batch · M² ≤ i64::MAX`
/// (docs/numerics.md, overflow bound). One limit serves both numeric modes, so a model file
/// means the same in either.
pub const MAX_BATCH_SIZE: usize = (i64::MAX as u64 / (FIXED_MAX_ABS as u64).pow(2)) as usize;

/// The first value of `weights` beyond `±bound` (as a real number): `(layer, array, index,
/// value)`.
pub fn first_beyond(weights: &Weights, bound: f64) -> Option<(String, &'static str, usize, f32)> {
    weights.layers.iter().find_map(|layer| {
        let beyond = |values: &[f32]| {
            values
                .iter()
                .position(|v| v.is_nan() || f64::from(v.abs()) > bound)
        };
        beyond(&layer.kernel)
            .map(|i| (layer.name.clone(), "kernel", i, layer.kernel[i]))
            .or_else(|| beyond(&layer.bias).map(|i| (layer.name.clone(), "bias", i, layer.bias[i])))
    })
}

/// A validated model: its graph, loss, optimiser, numeric mode and the seed of its initial
/// weights.
///
/// Built by [`ModelSpec::builder`] or [`ModelSpec::new`], which check every field; the fields
/// are therefore private and read through getters.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    graph: Graph,
    loss: Loss,
    optimizer: Optimizer,
    numeric: NumericMode,
    seed: u64,
}

/// A number as written (`0.1`, `-1`), unless that takes more than a few digits: `f64`'s
/// `Display` writes `1e-300` out as 300 zeros, and a model file may hold any number.
fn short_number(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 24 {
        plain
    } else {
        format!("{value:e}")
    }
}

/// Why a model description is invalid; each variant names the layer or hyper-parameter at
/// fault and its value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The graph: a layer's settings, shapes or connections.
    #[error(transparent)]
    Graph(#[from] GraphError),

    /// The learning rate must be finite and positive.
    #[error("learning rate {} is not a finite positive number", short_number(*.value))]
    InvalidLearningRate { value: f64 },

    /// In f32 the learning rate becomes an `f32`, which must stay finite and positive.
    #[error("learning rate {} is {as_f32} as an f32, the number format the machine trains in", short_number(*.value))]
    F32LearningRate { value: f64, as_f32: f32 },

    /// In fixed point the learning rate becomes an s16.15 constant, which must be at least one
    /// step (2^−15) and fit in 32 bits.
    #[error("learning rate {} rounds to {q15} as an s16.15 constant (needs 1..=2147483647)", short_number(*.value))]
    FixedLearningRate { value: f64, q15: i64 },

    /// Momentum must lie in [0, 1).
    #[error("momentum {} is outside [0, 1)", short_number(*.value))]
    InvalidMomentum { value: f64 },

    /// A batch needs at least one sample.
    #[error("batch size is zero")]
    ZeroBatchSize,

    /// A batch beyond [`MAX_BATCH_SIZE`] samples.
    #[error(
        "batch size {value} is more than {MAX_BATCH_SIZE}, the largest batch whose s16.15 \
         gradient sums are exact (docs/numerics.md, overflow bound)"
    )]
    BatchTooLarge { value: usize },

    /// Binary cross-entropy scores every output unit independently; a softmax output couples
    /// them, which is almost always a mistake for categorical cross-entropy.
    #[error("binary cross-entropy with a softmax output (layer \"{name}\"); use categorical_crossentropy, or sigmoid outputs")]
    BinaryCrossEntropyWithSoftmax { name: String },

    /// Categorical cross-entropy needs a distribution over at least two classes.
    #[error("categorical cross-entropy needs at least 2 outputs, but the last layer (\"{name}\") has {units}")]
    CategoricalCrossEntropyTooFewOutputs { name: String, units: usize },

    /// [`ModelBuilder::build`] was called without [`ModelBuilder::loss`].
    #[error("model has no loss (call .loss(..))")]
    MissingLoss,

    /// [`ModelBuilder::build`] was called without [`ModelBuilder::sgd`].
    #[error("model has no optimizer (call .sgd(learning_rate, batch_size))")]
    MissingOptimizer,

    /// [`ModelBuilder::build`] was called without [`ModelBuilder::numeric`].
    #[error("model has no numeric mode (call .numeric(..))")]
    MissingNumeric,

    /// [`ModelBuilder::build`] was called without [`ModelBuilder::seed`].
    #[error("model has no seed (call .seed(..))")]
    MissingSeed,
}

impl ModelSpec {
    /// Checks every field and returns the model, or the first problem found (the graph, then
    /// the optimiser, then the loss against the output layer).
    pub fn new(
        graph: Graph,
        loss: Loss,
        optimizer: Optimizer,
        numeric: NumericMode,
        seed: u64,
    ) -> Result<ModelSpec, ModelError> {
        match optimizer {
            Optimizer::Sgd {
                learning_rate,
                momentum,
                batch_size,
            } => {
                if !learning_rate.is_finite() || learning_rate <= 0.0 {
                    return Err(ModelError::InvalidLearningRate {
                        value: learning_rate,
                    });
                }
                // A rate below f32's smallest number would train nothing, silently.
                let as_f32 = learning_rate as f32;
                if numeric == NumericMode::F32 && !(as_f32.is_finite() && as_f32 > 0.0) {
                    return Err(ModelError::F32LearningRate {
                        value: learning_rate,
                        as_f32,
                    });
                }
                if numeric == NumericMode::Fixed {
                    let q15 = (learning_rate * f64::from(1u32 << FIXED_FRAC_BITS)).round();
                    if !(1.0..=f64::from(i32::MAX)).contains(&q15) {
                        return Err(ModelError::FixedLearningRate {
                            value: learning_rate,
                            // Saturating cast: the error only shows which side it fell off.
                            q15: q15 as i64,
                        });
                    }
                }
                if let Some(momentum) = momentum {
                    // `contains` is false for NaN, so NaN is rejected too.
                    if !(0.0..1.0).contains(&momentum) {
                        return Err(ModelError::InvalidMomentum { value: momentum });
                    }
                }
                if batch_size == 0 {
                    return Err(ModelError::ZeroBatchSize);
                }
                if batch_size > MAX_BATCH_SIZE {
                    return Err(ModelError::BatchTooLarge { value: batch_size });
                }
            }
        }
        let output = graph.node(graph.output());
        match loss {
            Loss::BinaryCrossEntropy if output.op.activation() == Activation::Softmax => {
                return Err(ModelError::BinaryCrossEntropyWithSoftmax {
                    name: output.name.clone(),
                });
            }
            Loss::CategoricalCrossEntropy if output.shape.len() < 2 => {
                return Err(ModelError::CategoricalCrossEntropyTooFewOutputs {
                    name: output.name.clone(),
                    units: output.shape.len(),
                });
            }
            _ => {}
        }
        Ok(ModelSpec {
            graph,
            loss,
            optimizer,
            numeric,
            seed,
        })
    }

    /// A sequential model on flat inputs of width `inputs`; add layers, then set the loss,
    /// optimiser, numeric mode and seed.
    pub fn builder(inputs: usize) -> ModelBuilder {
        ModelSpec::builder_for(Shape::flat(inputs))
    }

    /// A model on inputs of shape `input` (for example `(28, 28, 1)` images).
    pub fn builder_for(input: Shape) -> ModelBuilder {
        ModelBuilder {
            input,
            layers: Vec::new(),
            loss: None,
            sgd: None,
            momentum: None,
            numeric: None,
            seed: None,
        }
    }

    /// The default digits model: Dense 64 → 128 relu → 10 softmax, categorical cross-entropy,
    /// SGD with learning rate 0.1 and batch size 32, f32, seed 1.
    pub fn digits_default() -> ModelSpec {
        ModelSpec::builder(64)
            .dense(128, Activation::Relu)
            .dense(10, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 32)
            .numeric(NumericMode::F32)
            .seed(1)
            .build()
            .expect("invariant: the default model is valid")
    }

    /// The same model in another numeric mode, checked again (a learning rate below one
    /// s16.15 step is an error in fixed point).
    pub fn with_numeric(&self, numeric: NumericMode) -> Result<ModelSpec, ModelError> {
        ModelSpec::new(
            self.graph.clone(),
            self.loss,
            self.optimizer,
            numeric,
            self.seed,
        )
    }

    /// The same model with another optimiser, numeric mode or seed (command-line overrides),
    /// checked again.
    pub fn with_training(
        &self,
        optimizer: Optimizer,
        numeric: NumericMode,
        seed: u64,
    ) -> Result<ModelSpec, ModelError> {
        ModelSpec::new(self.graph.clone(), self.loss, optimizer, numeric, seed)
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// One sample's input shape.
    pub fn input_shape(&self) -> &Shape {
        &self.graph.input().shape
    }

    /// Input values per sample.
    pub fn inputs(&self) -> usize {
        self.input_shape().len()
    }

    /// Output width (the last layer's).
    pub fn outputs(&self) -> usize {
        self.graph.node(self.graph.output()).shape.len()
    }

    /// The loss applied to the last layer's output.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// The optimiser and its hyper-parameters.
    pub fn optimizer(&self) -> Optimizer {
        self.optimizer
    }

    /// The arithmetic the machine trains in.
    pub fn numeric(&self) -> NumericMode {
        self.numeric
    }

    /// The seed of [`ModelSpec::init_weights`].
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The initial weights: Glorot-uniform kernels (as Keras' default `glorot_uniform`) and
    /// zero biases, the same for the same seed on every platform.
    ///
    /// The draw, which other implementations can reproduce exactly: one [`SplitMix64`] seeded
    /// with [`ModelSpec::seed`] is consumed node by node in graph order, each kernel in
    /// row-major Keras layout (a dense kernel `W[0,0], W[0,1], …`); each weight is
    /// `((2·u − 1)·limit) as f32` computed in `f64`, where `u` is [`SplitMix64::unit`] and
    /// `limit = sqrt(6 / (fan_in + fan_out))` with Keras' fans (the window's size times the
    /// input or output channels), so weights lie in `[−limit, limit)`.
    pub fn init_weights(&self) -> Weights {
        let mut rng = SplitMix64::new(self.seed);
        let layers = self
            .graph
            .weighted()
            .into_iter()
            .map(|(id, params)| {
                let (fan_in, fan_out) = params.fans();
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
                let kernel = (0..params.kernel_len())
                    .map(|_| ((2.0 * rng.unit() - 1.0) * limit) as f32)
                    .collect();
                LayerWeights {
                    name: self.graph.node(id).name.clone(),
                    kernel_shape: params.kernel.clone(),
                    kernel,
                    bias: vec![0.0; params.outputs],
                }
            })
            .collect();
        Weights { layers }
    }

    /// Each weighted layer's name, kernel shape and bias length, in graph order.
    pub fn weight_shapes(&self) -> Vec<(String, Vec<usize>, usize)> {
        self.graph
            .weighted()
            .into_iter()
            .map(|(id, p)| (self.graph.node(id).name.clone(), p.kernel, p.outputs))
            .collect()
    }

    /// The weighted node called `name`'s position among the weighted nodes.
    pub fn weighted_index(&self, node: NodeId) -> Option<usize> {
        self.graph.weighted().iter().position(|(id, _)| *id == node)
    }
}

/// Collects a model's layers and training settings; [`ModelBuilder::build`] validates them
/// into a [`ModelSpec`].
///
/// Loss, optimiser, numeric mode and seed have no defaults: leaving one out is an error, so a
/// model always says how it trains.
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the model"]
pub struct ModelBuilder {
    input: Shape,
    layers: Vec<LayerSpec>,
    loss: Option<Loss>,
    sgd: Option<(f64, usize)>,
    momentum: Option<f64>,
    numeric: Option<NumericMode>,
    seed: Option<u64>,
}

impl ModelBuilder {
    /// Appends a dense layer of `units` outputs on the previous layer.
    pub fn dense(self, units: usize, activation: Activation) -> ModelBuilder {
        self.layer(Op::Dense(Dense { units, activation }))
    }

    /// Appends an unnamed layer on the previous layer's output.
    pub fn layer(mut self, op: Op) -> ModelBuilder {
        self.layers.push(LayerSpec::new(op));
        self
    }

    /// Appends a layer called `name` on the outputs of `inputs` (names of earlier layers or
    /// `input`; empty for the previous layer).
    pub fn named(mut self, name: &str, op: Op, inputs: &[&str]) -> ModelBuilder {
        self.layers.push(LayerSpec {
            name: Some(name.to_string()),
            op,
            inputs: (!inputs.is_empty()).then(|| inputs.iter().map(|s| s.to_string()).collect()),
        });
        self
    }

    /// Appends a layer as written.
    pub fn spec(mut self, layer: LayerSpec) -> ModelBuilder {
        self.layers.push(layer);
        self
    }

    /// Sets the loss.
    pub fn loss(mut self, loss: Loss) -> ModelBuilder {
        self.loss = Some(loss);
        self
    }

    /// Trains with mini-batch SGD; add momentum with [`ModelBuilder::momentum`].
    pub fn sgd(mut self, learning_rate: f64, batch_size: usize) -> ModelBuilder {
        self.sgd = Some((learning_rate, batch_size));
        self
    }

    /// Adds Keras-style momentum `μ` to the SGD optimiser.
    pub fn momentum(mut self, momentum: f64) -> ModelBuilder {
        self.momentum = Some(momentum);
        self
    }

    /// Sets the numeric mode.
    pub fn numeric(mut self, numeric: NumericMode) -> ModelBuilder {
        self.numeric = Some(numeric);
        self
    }

    /// Sets the seed of the initial weights.
    pub fn seed(mut self, seed: u64) -> ModelBuilder {
        self.seed = Some(seed);
        self
    }

    /// Validates the model (see [`Graph::new`] and [`ModelSpec::new`]).
    pub fn build(self) -> Result<ModelSpec, ModelError> {
        let graph = Graph::new(self.input, self.layers)?;
        let loss = self.loss.ok_or(ModelError::MissingLoss)?;
        let (learning_rate, batch_size) = self.sgd.ok_or(ModelError::MissingOptimizer)?;
        let numeric = self.numeric.ok_or(ModelError::MissingNumeric)?;
        let seed = self.seed.ok_or(ModelError::MissingSeed)?;
        let optimizer = Optimizer::Sgd {
            learning_rate,
            momentum: self.momentum,
            batch_size,
        };
        ModelSpec::new(graph, loss, optimizer, numeric, seed)
    }
}

/// A model's weights, in Keras layout: one entry per node with parameters, in graph order.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub layers: Vec<LayerWeights>,
}

/// One layer's kernel and bias.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// The layer's name (its arrays are `{name}/kernel` and `{name}/bias`).
    pub name: String,
    /// Keras' kernel shape: `(inputs, units)`, `(kw, in, out)` or `(kh, kw, in, out)`.
    pub kernel_shape: Vec<usize>,
    /// Row-major over `kernel_shape`.
    pub kernel: Vec<f32>,
    /// One per output channel.
    pub bias: Vec<f32>,
}

impl LayerWeights {
    /// The kernel element at `index` (one coordinate per kernel dimension).
    ///
    /// # Panics
    /// If `index` does not fit the kernel's shape.
    pub fn kernel_at(&self, index: &[usize]) -> f32 {
        assert!(
            index.len() == self.kernel_shape.len()
                && index.iter().zip(&self.kernel_shape).all(|(i, n)| i < n),
            "kernel index {index:?} outside shape {:?}",
            self.kernel_shape
        );
        let flat = index
            .iter()
            .zip(&self.kernel_shape)
            .fold(0, |acc, (i, n)| acc * n + i);
        self.kernel[flat]
    }
}

impl Weights {
    /// The layer called `name`.
    pub fn layer(&self, name: &str) -> Option<&LayerWeights> {
        self.layers.iter().find(|l| l.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Conv, Flatten, Padding};

    fn base() -> ModelBuilder {
        ModelSpec::builder(4)
            .loss(Loss::MeanSquaredError)
            .sgd(0.1, 8)
            .numeric(NumericMode::F32)
            .seed(7)
    }

    #[test]
    fn with_numeric_changes_only_the_mode_and_checks_it_again() {
        let fixed = ModelSpec::digits_default()
            .with_numeric(NumericMode::Fixed)
            .expect("the default model in fixed point");
        assert_eq!(fixed.numeric(), NumericMode::Fixed);
        assert_eq!(
            fixed.with_numeric(NumericMode::F32),
            Ok(ModelSpec::digits_default())
        );
        let slow = base()
            .dense(2, Activation::Relu)
            .sgd(1e-6, 8)
            .build()
            .expect("a tiny learning rate is fine in f32");
        assert_eq!(
            slow.with_numeric(NumericMode::Fixed),
            Err(ModelError::FixedLearningRate {
                value: 1e-6,
                q15: 0
            })
        );
    }

    #[test]
    fn digits_default_has_the_documented_fields() {
        let spec = ModelSpec::digits_default();
        assert_eq!(spec.inputs(), 64);
        let ops: Vec<Op> = spec.graph().nodes().iter().map(|n| n.op.clone()).collect();
        assert_eq!(
            ops,
            [
                Op::Input,
                Op::Dense(Dense {
                    units: 128,
                    activation: Activation::Relu
                }),
                Op::Dense(Dense {
                    units: 10,
                    activation: Activation::Softmax
                }),
            ]
        );
        assert_eq!(spec.loss(), Loss::CategoricalCrossEntropy);
        assert_eq!(
            spec.optimizer(),
            Optimizer::Sgd {
                learning_rate: 0.1,
                momentum: None,
                batch_size: 32
            }
        );
        assert_eq!(spec.numeric(), NumericMode::F32);
        assert_eq!(spec.seed(), 1);
        assert_eq!(spec.outputs(), 10);
        assert_eq!(
            spec.weight_shapes(),
            vec![
                ("dense".to_string(), vec![64, 128], 128),
                ("dense_1".to_string(), vec![128, 10], 10)
            ]
        );
    }

    #[test]
    fn builder_sets_momentum() {
        let spec = base()
            .dense(3, Activation::Tanh)
            .momentum(0.9)
            .build()
            .expect("valid model");
        assert_eq!(
            spec.optimizer(),
            Optimizer::Sgd {
                learning_rate: 0.1,
                momentum: Some(0.9),
                batch_size: 8
            }
        );
        assert_eq!(spec.optimizer().batch_size(), 8);
        assert_eq!(spec.optimizer().learning_rate(), 0.1);
        assert_eq!(spec.optimizer().momentum(), Some(0.9));
    }

    /// One row per check: the builder, the expected error and its message.
    #[test]
    fn invalid_models_name_the_layer_and_value() {
        let cases: Vec<(ModelBuilder, &str)> = vec![
            (
                ModelSpec::builder(0)
                    .dense(2, Activation::Relu)
                    .loss(Loss::MeanSquaredError)
                    .sgd(0.1, 1)
                    .numeric(NumericMode::F32)
                    .seed(1),
                "model input: shape (0,) has a zero dimension",
            ),
            (base(), "model has no layers"),
            (
                base().dense(3, Activation::Relu).dense(0, Activation::Relu),
                "layer 1 (\"dense_1\"): units must be at least 1, got [0]",
            ),
            (
                base()
                    .dense(3, Activation::Softmax)
                    .dense(2, Activation::Sigmoid),
                "layer 0 (\"dense\") uses softmax but is not the last layer",
            ),
            (
                base().dense(1, Activation::Softmax),
                "layer 0 (\"dense\") uses softmax over 1 unit, which is constant; softmax needs at least 2 units",
            ),
            (
                base().dense(1 << 20, Activation::Relu).dense(1 << 10, Activation::Relu),
                "layer 1 (\"dense_1\") takes the model past 268435456 parameters",
            ),
            (
                base().dense(2, Activation::Relu).sgd(-0.5, 8),
                "learning rate -0.5 is not a finite positive number",
            ),
            (
                base().dense(2, Activation::Relu).sgd(f64::INFINITY, 8),
                "learning rate inf is not a finite positive number",
            ),
            (
                base()
                    .dense(2, Activation::Relu)
                    .sgd(1e-6, 8)
                    .numeric(NumericMode::Fixed),
                "learning rate 0.000001 rounds to 0 as an s16.15 constant (needs 1..=2147483647)",
            ),
            (
                base().dense(2, Activation::Relu).momentum(1.0),
                "momentum 1 is outside [0, 1)",
            ),
            (
                base().dense(2, Activation::Relu).momentum(-0.1),
                "momentum -0.1 is outside [0, 1)",
            ),
            (
                base().dense(2, Activation::Relu).sgd(0.1, 0),
                "batch size is zero",
            ),
            (
                base()
                    .dense(2, Activation::Softmax)
                    .loss(Loss::BinaryCrossEntropy),
                "binary cross-entropy with a softmax output (layer \"dense\"); use categorical_crossentropy, or sigmoid outputs",
            ),
            (
                base()
                    .dense(5, Activation::Relu)
                    .dense(1, Activation::Sigmoid)
                    .loss(Loss::CategoricalCrossEntropy),
                "categorical cross-entropy needs at least 2 outputs, but the last layer (\"dense_1\") has 1",
            ),
        ];
        for (builder, message) in cases {
            let got = builder.build().expect_err("model must be rejected");
            assert_eq!(got.to_string(), message);
        }
    }

    #[test]
    fn nan_momentum_is_rejected() {
        let got = base()
            .dense(2, Activation::Relu)
            .momentum(f64::NAN)
            .build()
            .expect_err("NaN momentum must be rejected");
        assert!(matches!(got, ModelError::InvalidMomentum { value } if value.is_nan()));
    }

    #[test]
    fn builder_requires_every_training_field() {
        let layer = |b: ModelBuilder| b.dense(2, Activation::Relu);
        assert_eq!(
            layer(ModelSpec::builder(2)).build(),
            Err(ModelError::MissingLoss)
        );
        assert_eq!(
            layer(ModelSpec::builder(2).loss(Loss::MeanSquaredError)).build(),
            Err(ModelError::MissingOptimizer)
        );
        assert_eq!(
            layer(
                ModelSpec::builder(2)
                    .loss(Loss::MeanSquaredError)
                    .sgd(0.1, 1)
            )
            .build(),
            Err(ModelError::MissingNumeric)
        );
        assert_eq!(
            layer(
                ModelSpec::builder(2)
                    .loss(Loss::MeanSquaredError)
                    .sgd(0.1, 1)
                    .numeric(NumericMode::Fixed)
            )
            .build(),
            Err(ModelError::MissingSeed)
        );
    }

    #[test]
    fn names_round_trip() {
        for it in Activation::ALL {
            assert_eq!(Activation::from_name(it.name()), Some(it));
        }
        assert_eq!(Activation::from_name("linear"), Some(Activation::Identity));
        assert_eq!(Activation::from_name("relux"), None);
        for it in Loss::ALL {
            assert_eq!(Loss::from_name(it.name()), Some(it));
        }
        for it in NumericMode::ALL {
            assert_eq!(NumericMode::from_name(it.name()), Some(it));
        }
    }

    #[test]
    fn hyper_parameters_are_quantised_as_the_mode_uses_them() {
        assert_eq!(NumericMode::Fixed.quantised(0.00002), 1.0 / 32768.0);
        assert_eq!(NumericMode::Fixed.quantised(0.1), 3277.0 / 32768.0);
        assert_eq!(NumericMode::F32.quantised(0.1), f64::from(0.1f32));
    }

    #[test]
    fn init_weights_are_glorot_uniform_and_deterministic() {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        assert_eq!(weights, spec.init_weights());
        assert_eq!(weights.layers.len(), 2);
        for (layer, (name, shape, units)) in weights.layers.iter().zip(spec.weight_shapes()) {
            assert_eq!(layer.name, name);
            assert_eq!(layer.kernel_shape, shape);
            let (inputs, units) = (shape[0], units);
            assert_eq!(layer.kernel.len(), inputs * units);
            assert_eq!(layer.bias, vec![0.0; units]);
            let limit = (6.0 / (inputs + units) as f64).sqrt() as f32;
            assert!(layer.kernel.iter().all(|w| w.abs() <= limit));
            // A uniform draw over thousands of weights has a mean near zero and spreads
            // over most of the range; 0.05·limit is > 5 standard errors for 1280 draws.
            let mean =
                layer.kernel.iter().map(|&w| f64::from(w)).sum::<f64>() / layer.kernel.len() as f64;
            assert!(mean.abs() < 0.05 * f64::from(limit), "mean {mean}");
            let max = layer.kernel.iter().fold(0.0f32, |acc, w| acc.max(w.abs()));
            assert!(max > 0.95 * limit, "max |w| {max} vs limit {limit}");
        }
    }

    #[test]
    fn init_weights_follow_the_documented_draw() {
        let spec = base()
            .dense(3, Activation::Relu)
            .dense(2, Activation::Sigmoid)
            .build()
            .expect("valid model");
        let weights = spec.init_weights();
        let mut rng = SplitMix64::new(7);
        for (inputs, units, layer) in [(4, 3, 0), (3, 2, 1)] {
            let limit = (6.0f64 / (inputs + units) as f64).sqrt();
            for i in 0..inputs {
                for j in 0..units {
                    let expected = ((2.0 * rng.unit() - 1.0) * limit) as f32;
                    assert_eq!(weights.layers[layer].kernel_at(&[i, j]), expected);
                }
            }
        }
        let other = base()
            .dense(3, Activation::Relu)
            .dense(2, Activation::Sigmoid)
            .seed(8)
            .build()
            .expect("valid model")
            .init_weights();
        assert_ne!(weights, other);
    }

    #[test]
    fn conv_kernels_use_keras_fans_and_layout() {
        let spec = ModelSpec::builder_for(Shape::new(vec![6, 6, 2]))
            .layer(Op::Conv(Conv::conv2d(
                3,
                [3, 3],
                [1, 1],
                Padding::Valid,
                Activation::Relu,
            )))
            .layer(Op::Flatten(Flatten))
            .dense(2, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 4)
            .numeric(NumericMode::F32)
            .seed(3)
            .build()
            .expect("valid model");
        let weights = spec.init_weights();
        let conv = &weights.layers[0];
        assert_eq!(conv.name, "conv2d");
        assert_eq!(conv.kernel_shape, [3, 3, 2, 3]);
        // fan_in = 3·3·2, fan_out = 3·3·3.
        let limit = (6.0f64 / (18.0 + 27.0)).sqrt();
        let mut rng = SplitMix64::new(3);
        let first = ((2.0 * rng.unit() - 1.0) * limit) as f32;
        assert_eq!(conv.kernel_at(&[0, 0, 0, 0]), first);
        assert_eq!(weights.layers[1].kernel_shape, [4 * 4 * 3, 2]);
    }
}
