//! The model description: a sequential stack of dense layers with a loss, an SGD optimiser, a
//! numeric mode and a seed, built with [`ModelSpec::builder`] (or read from a model file, see
//! [`crate::model_file`]) and validated once, when it is built.
//!
//! A [`ModelSpec`] says *what* to train, not how the machine computes it; it is independent of
//! the simulated machine.
//! [`ModelSpec::init_weights`] gives the deterministic initial [`Weights`] for its seed.
//!
//! Architecture invariant: a `ModelSpec` that exists is valid (every check below passed), so
//! code that maps it onto the machine never re-checks units, activations or hyper-parameters.

use spinn_model::rng::SplitMix64;

/// An element-wise (or, for softmax, per-sample) activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `a = z`.
    Identity,
    /// `a = max(0, z)`.
    Relu,
    /// `a = 1 / (1 + e^−z)`.
    Sigmoid,
    /// `a = tanh(z)`.
    Tanh,
    /// `a_j = e^(z_j) / Σ_k e^(z_k)` over one sample's units; only allowed on the last layer.
    Softmax,
}

impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: [Activation; 5] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
    ];

    /// The name used in model files (Keras' name, except `identity` for Keras' `linear`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }

    /// The activation with this model-file name; `linear` (Keras' name) also means
    /// [`Activation::Identity`].
    pub fn from_name(name: &str) -> Option<Activation> {
        if name == "linear" {
            return Some(Activation::Identity);
        }
        Activation::ALL.into_iter().find(|it| it.name() == name)
    }
}

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
}

/// One fully connected layer: `a = activation(x·W + b)` with `W` of shape (inputs, units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DenseSpec {
    /// Output width; at least 1.
    pub units: usize,
    /// Applied to `z = x·W + b`.
    pub activation: Activation,
}

/// The most weights and biases a model may have in total: 2^28 (1 GiB of `f32`), far beyond
/// what a machine of a few boards holds, and low enough that [`ModelSpec::init_weights`] can
/// always allocate them.
pub const MAX_PARAMETERS: usize = 1 << 28;

/// Fraction bits of the s16.15 format, used to check that a fixed-point learning rate is
/// representable.
const FIXED_FRAC_BITS: u32 = 15;

/// A validated sequential model: input width, dense layers, loss, optimiser, numeric mode and
/// the seed of its initial weights.
///
/// Built by [`ModelSpec::builder`] or [`ModelSpec::new`], which check every field; the fields
/// are therefore private and read through getters.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    inputs: usize,
    layers: Vec<DenseSpec>,
    loss: Loss,
    optimizer: Optimizer,
    numeric: NumericMode,
    seed: u64,
}

/// Why a model description is invalid; each variant names the layer (0-based, input to
/// output) or hyper-parameter at fault and its value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The input width must be at least 1.
    #[error("model has zero inputs")]
    ZeroInputs,

    /// A model needs at least one layer.
    #[error("model has no layers")]
    NoLayers,

    /// A layer must have at least one unit.
    #[error("layer {layer} has zero units")]
    ZeroUnits { layer: usize },

    /// Softmax normalises the network's output, so only the last layer may use it.
    #[error(
        "layer {layer} uses softmax but is not the last layer (the model has {n_layers} layers)"
    )]
    SoftmaxNotLast { layer: usize, n_layers: usize },

    /// A softmax over one unit is the constant 1 and learns nothing.
    #[error("layer {layer} uses softmax over {units} unit, which is constant; softmax needs at least 2 units")]
    SoftmaxSingleUnit { layer: usize, units: usize },

    /// The model is larger than [`MAX_PARAMETERS`].
    #[error(
        "layer {layer} ({inputs} inputs × {units} units) takes the model past {limit} parameters"
    )]
    TooManyParameters {
        layer: usize,
        inputs: usize,
        units: usize,
        limit: usize,
    },

    /// The learning rate must be finite and positive.
    #[error("learning rate {value} is not a finite positive number")]
    InvalidLearningRate { value: f64 },

    /// In fixed point the learning rate becomes an s16.15 constant, which must be at least one
    /// step (2^−15) and fit in 32 bits.
    #[error("learning rate {value} rounds to {q15} as an s16.15 constant (needs 1..=2147483647)")]
    FixedLearningRate { value: f64, q15: i64 },

    /// Momentum must lie in [0, 1).
    #[error("momentum {value} is outside [0, 1)")]
    InvalidMomentum { value: f64 },

    /// A batch needs at least one sample.
    #[error("batch size is zero")]
    ZeroBatchSize,

    /// Binary cross-entropy scores every output unit independently; a softmax output couples
    /// them, which is almost always a mistake for categorical cross-entropy.
    #[error("binary cross-entropy with a softmax output (layer {layer}); use categorical_crossentropy, or sigmoid outputs")]
    BinaryCrossEntropyWithSoftmax { layer: usize },

    /// Categorical cross-entropy needs a distribution over at least two classes.
    #[error("categorical cross-entropy needs at least 2 output units, but the last layer (layer {layer}) has {units}")]
    CategoricalCrossEntropyTooFewOutputs { layer: usize, units: usize },

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
    /// Checks every field and returns the model, or the first problem found (layers are checked
    /// input to output, then the optimiser, then the loss against the output layer).
    pub fn new(
        inputs: usize,
        layers: Vec<DenseSpec>,
        loss: Loss,
        optimizer: Optimizer,
        numeric: NumericMode,
        seed: u64,
    ) -> Result<ModelSpec, ModelError> {
        if inputs == 0 {
            return Err(ModelError::ZeroInputs);
        }
        let Some(last) = layers.last() else {
            return Err(ModelError::NoLayers);
        };
        let n_layers = layers.len();
        let mut previous = inputs;
        let mut n_parameters = 0usize;
        for (layer, dense) in layers.iter().enumerate() {
            if dense.units == 0 {
                return Err(ModelError::ZeroUnits { layer });
            }
            if dense.activation == Activation::Softmax {
                if layer + 1 != n_layers {
                    return Err(ModelError::SoftmaxNotLast { layer, n_layers });
                }
                if dense.units < 2 {
                    return Err(ModelError::SoftmaxSingleUnit {
                        layer,
                        units: dense.units,
                    });
                }
            }
            // Checked so that absurd sizes from a model file are an error, not an overflow or
            // an allocation failure in `init_weights`.
            n_parameters = previous
                .checked_mul(dense.units)
                .and_then(|it| it.checked_add(dense.units))
                .and_then(|it| it.checked_add(n_parameters))
                .filter(|&it| it <= MAX_PARAMETERS)
                .ok_or(ModelError::TooManyParameters {
                    layer,
                    inputs: previous,
                    units: dense.units,
                    limit: MAX_PARAMETERS,
                })?;
            previous = dense.units;
        }
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
                if let Some(value) = momentum {
                    // `contains` is false for NaN, so this also rejects non-finite momenta.
                    if !(0.0..1.0).contains(&value) {
                        return Err(ModelError::InvalidMomentum { value });
                    }
                }
                if batch_size == 0 {
                    return Err(ModelError::ZeroBatchSize);
                }
            }
        }
        let last_layer = n_layers - 1;
        match loss {
            Loss::BinaryCrossEntropy if last.activation == Activation::Softmax => {
                return Err(ModelError::BinaryCrossEntropyWithSoftmax { layer: last_layer });
            }
            Loss::CategoricalCrossEntropy if last.units < 2 => {
                return Err(ModelError::CategoricalCrossEntropyTooFewOutputs {
                    layer: last_layer,
                    units: last.units,
                });
            }
            _ => {}
        }
        Ok(ModelSpec {
            inputs,
            layers,
            loss,
            optimizer,
            numeric,
            seed,
        })
    }

    /// The same model in `numeric` mode, checked again (fixed point limits the learning rate).
    pub fn with_numeric(&self, numeric: NumericMode) -> Result<ModelSpec, ModelError> {
        ModelSpec::new(
            self.inputs,
            self.layers.clone(),
            self.loss,
            self.optimizer,
            numeric,
            self.seed,
        )
    }

    /// Starts a model taking `inputs` features; add layers with [`ModelBuilder::dense`].
    pub fn builder(inputs: usize) -> ModelBuilder {
        ModelBuilder {
            inputs,
            layers: Vec::new(),
            loss: None,
            sgd: None,
            momentum: None,
            numeric: None,
            seed: None,
        }
    }

    /// The default network for the 8×8 digits set: Dense 64→128 relu → 10 softmax, categorical
    /// cross-entropy, SGD with learning rate 0.1, batch 32 and no momentum, `f32`, seed 1.
    pub fn digits_default() -> ModelSpec {
        ModelSpec::builder(64)
            .dense(128, Activation::Relu)
            .dense(10, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 32)
            .numeric(NumericMode::F32)
            .seed(1)
            .build()
            .expect("invariant: the digits preset is a valid model")
    }

    /// Input width (features per sample).
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The layers, input to output.
    pub fn layers(&self) -> &[DenseSpec] {
        &self.layers
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

    /// Output width (the last layer's units).
    pub fn outputs(&self) -> usize {
        self.layers
            .last()
            .expect("invariant: a validated model has at least one layer")
            .units
    }

    /// Each layer's kernel shape `(inputs, units)`, input to output.
    pub fn kernel_shapes(&self) -> Vec<(usize, usize)> {
        let mut previous = self.inputs;
        self.layers
            .iter()
            .map(|dense| {
                let shape = (previous, dense.units);
                previous = dense.units;
                shape
            })
            .collect()
    }

    /// The initial weights: Glorot-uniform kernels (as Keras' default `glorot_uniform`) and
    /// zero biases, the same for the same seed on every platform.
    ///
    /// The draw, which other implementations can reproduce exactly: one
    /// [`SplitMix64`] seeded with [`ModelSpec::seed`] is consumed layer by layer, input to
    /// output, each kernel in row-major order (`W[0,0], W[0,1], …`); each weight is
    /// `((2·u − 1)·limit) as f32` computed in `f64`, where `u` is [`SplitMix64::unit`] and
    /// `limit = sqrt(6 / (inputs + units))`, so weights lie in `[−limit, limit)`.
    pub fn init_weights(&self) -> Weights {
        let mut rng = SplitMix64::new(self.seed);
        let layers = self
            .kernel_shapes()
            .into_iter()
            .map(|(inputs, units)| {
                let limit = (6.0 / (inputs + units) as f64).sqrt();
                let kernel = (0..inputs * units)
                    .map(|_| ((2.0 * rng.unit() - 1.0) * limit) as f32)
                    .collect();
                LayerWeights {
                    kernel,
                    bias: vec![0.0; units],
                    inputs,
                    units,
                }
            })
            .collect();
        Weights { layers }
    }
}

/// Collects a model's fields; [`ModelBuilder::build`] validates them into a [`ModelSpec`].
///
/// Loss, optimiser, numeric mode and seed have no defaults: leaving one out is an error, so a
/// model always says how it trains.
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the model"]
pub struct ModelBuilder {
    inputs: usize,
    layers: Vec<DenseSpec>,
    loss: Option<Loss>,
    sgd: Option<(f64, usize)>,
    momentum: Option<f64>,
    numeric: Option<NumericMode>,
    seed: Option<u64>,
}

impl ModelBuilder {
    /// Appends a dense layer of `units` outputs.
    pub fn dense(mut self, units: usize, activation: Activation) -> ModelBuilder {
        self.layers.push(DenseSpec { units, activation });
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

    /// Validates the model (see [`ModelSpec::new`]).
    pub fn build(self) -> Result<ModelSpec, ModelError> {
        let loss = self.loss.ok_or(ModelError::MissingLoss)?;
        let (learning_rate, batch_size) = self.sgd.ok_or(ModelError::MissingOptimizer)?;
        let numeric = self.numeric.ok_or(ModelError::MissingNumeric)?;
        let seed = self.seed.ok_or(ModelError::MissingSeed)?;
        let optimizer = Optimizer::Sgd {
            learning_rate,
            momentum: self.momentum,
            batch_size,
        };
        ModelSpec::new(self.inputs, self.layers, loss, optimizer, numeric, seed)
    }
}

/// A model's weights, in Keras layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// One entry per layer, input to output.
    pub layers: Vec<LayerWeights>,
}

/// One dense layer's weights: `kernel.len() == inputs * units`, `bias.len() == units`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// `W[i, j]` (input `i` to unit `j`) at index `i * units + j`.
    pub kernel: Vec<f32>,
    /// One bias per unit.
    pub bias: Vec<f32>,
    /// Kernel rows.
    pub inputs: usize,
    /// Kernel columns.
    pub units: usize,
}

impl LayerWeights {
    /// `W[input, unit]`.
    ///
    /// # Panics
    /// If either index is out of range.
    pub fn kernel_at(&self, input: usize, unit: usize) -> f32 {
        assert!(
            input < self.inputs && unit < self.units,
            "kernel index ({input}, {unit}) outside shape ({}, {})",
            self.inputs,
            self.units
        );
        self.kernel[input * self.units + unit]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            spec.layers(),
            &[
                DenseSpec {
                    units: 128,
                    activation: Activation::Relu
                },
                DenseSpec {
                    units: 10,
                    activation: Activation::Softmax
                },
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
        assert_eq!(spec.kernel_shapes(), vec![(64, 128), (128, 10)]);
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
    }

    /// One row per check: the builder, the expected error and its message.
    #[test]
    fn invalid_models_name_the_layer_and_value() {
        let cases: Vec<(ModelBuilder, ModelError, &str)> = vec![
            (
                ModelSpec::builder(0)
                    .dense(2, Activation::Relu)
                    .loss(Loss::MeanSquaredError)
                    .sgd(0.1, 1)
                    .numeric(NumericMode::F32)
                    .seed(1),
                ModelError::ZeroInputs,
                "model has zero inputs",
            ),
            (base(), ModelError::NoLayers, "model has no layers"),
            (
                base().dense(3, Activation::Relu).dense(0, Activation::Relu),
                ModelError::ZeroUnits { layer: 1 },
                "layer 1 has zero units",
            ),
            (
                base()
                    .dense(3, Activation::Softmax)
                    .dense(2, Activation::Sigmoid),
                ModelError::SoftmaxNotLast {
                    layer: 0,
                    n_layers: 2,
                },
                "layer 0 uses softmax but is not the last layer (the model has 2 layers)",
            ),
            (
                base().dense(1, Activation::Softmax),
                ModelError::SoftmaxSingleUnit { layer: 0, units: 1 },
                "layer 0 uses softmax over 1 unit, which is constant; softmax needs at least 2 units",
            ),
            (
                base().dense(1 << 20, Activation::Relu).dense(1 << 10, Activation::Relu),
                ModelError::TooManyParameters {
                    layer: 1,
                    inputs: 1 << 20,
                    units: 1 << 10,
                    limit: MAX_PARAMETERS,
                },
                "layer 1 (1048576 inputs × 1024 units) takes the model past 268435456 parameters",
            ),
            (
                base().dense(usize::MAX, Activation::Relu),
                ModelError::TooManyParameters {
                    layer: 0,
                    inputs: 4,
                    units: usize::MAX,
                    limit: MAX_PARAMETERS,
                },
                "layer 0 (4 inputs × 18446744073709551615 units) takes the model past 268435456 parameters",
            ),
            (
                base().dense(2, Activation::Relu).sgd(-0.5, 8),
                ModelError::InvalidLearningRate { value: -0.5 },
                "learning rate -0.5 is not a finite positive number",
            ),
            (
                base().dense(2, Activation::Relu).sgd(f64::INFINITY, 8),
                ModelError::InvalidLearningRate {
                    value: f64::INFINITY,
                },
                "learning rate inf is not a finite positive number",
            ),
            (
                base()
                    .dense(2, Activation::Relu)
                    .sgd(1e-6, 8)
                    .numeric(NumericMode::Fixed),
                ModelError::FixedLearningRate {
                    value: 1e-6,
                    q15: 0,
                },
                "learning rate 0.000001 rounds to 0 as an s16.15 constant (needs 1..=2147483647)",
            ),
            (
                base().dense(2, Activation::Relu).momentum(1.0),
                ModelError::InvalidMomentum { value: 1.0 },
                "momentum 1 is outside [0, 1)",
            ),
            (
                base().dense(2, Activation::Relu).momentum(-0.1),
                ModelError::InvalidMomentum { value: -0.1 },
                "momentum -0.1 is outside [0, 1)",
            ),
            (
                base().dense(2, Activation::Relu).sgd(0.1, 0),
                ModelError::ZeroBatchSize,
                "batch size is zero",
            ),
            (
                base()
                    .dense(2, Activation::Softmax)
                    .loss(Loss::BinaryCrossEntropy),
                ModelError::BinaryCrossEntropyWithSoftmax { layer: 0 },
                "binary cross-entropy with a softmax output (layer 0); use categorical_crossentropy, or sigmoid outputs",
            ),
            (
                base()
                    .dense(5, Activation::Relu)
                    .dense(1, Activation::Sigmoid)
                    .loss(Loss::CategoricalCrossEntropy),
                ModelError::CategoricalCrossEntropyTooFewOutputs { layer: 1, units: 1 },
                "categorical cross-entropy needs at least 2 output units, but the last layer (layer 1) has 1",
            ),
        ];
        for (builder, error, message) in cases {
            let got = builder.build().expect_err("model must be rejected");
            assert_eq!(got, error);
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
    fn init_weights_are_glorot_uniform_and_deterministic() {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        assert_eq!(weights, spec.init_weights());
        assert_eq!(weights.layers.len(), 2);
        for (layer, (inputs, units)) in weights.layers.iter().zip(spec.kernel_shapes()) {
            assert_eq!((layer.inputs, layer.units), (inputs, units));
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
                    assert_eq!(weights.layers[layer].kernel_at(i, j), expected);
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
}
