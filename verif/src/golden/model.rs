//! The network description shared by every numeric mode: activations, losses, the SGD
//! optimiser's hyper-parameters, and the Keras-layout dense layer.

use super::error::GoldenError;
use ndarray::{Array1, Array2};

/// An element-wise (or, for softmax, per-sample) activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `a = z`.
    Identity,
    /// `a = max(0, z)`; its derivative is taken as 0 at `z = 0` (as TensorFlow does).
    Relu,
    /// `a = 1 / (1 + e^−z)`.
    Sigmoid,
    /// `a = tanh(z)`.
    Tanh,
    /// `a_j = e^(z_j − max z) / Σ_k e^(z_k − max z)` over one sample's units.
    Softmax,
}

/// A loss function, reduced Keras-style: mean over the batch of a per-sample value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Per sample: the mean over output units of `(a − y)²`.
    MeanSquaredError,
    /// Per sample: `−Σ_j y_j log(clip(a_j))` (a sum over units, not a mean).
    CategoricalCrossEntropy,
    /// Per sample: `−mean_j(y log(clip(a)) + (1 − y) log(1 − clip(a)))`.
    BinaryCrossEntropy,
}

/// Plain SGD, optionally with Keras-style momentum (`v ← μ·v − lr·g; w ← w + v`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// Learning rate; must be finite and positive.
    pub learning_rate: f64,
    /// Momentum `μ` in [0, 1), or `None` for plain `w ← w − lr·g`.
    pub momentum: Option<f64>,
}

impl Sgd {
    /// Checks the mode-independent constraints shared by every numeric mode.
    pub(crate) fn validate(&self, mode: &'static str) -> Result<(), GoldenError> {
        if !self.learning_rate.is_finite() || self.learning_rate <= 0.0 {
            return Err(GoldenError::InvalidLearningRate {
                value: self.learning_rate,
                mode,
            });
        }
        if let Some(momentum) = self.momentum {
            // `contains` is false for NaN, so this also rejects non-finite momenta.
            if !(0.0..1.0).contains(&momentum) {
                return Err(GoldenError::InvalidMomentum { value: momentum });
            }
        }
        Ok(())
    }
}

/// A fully connected layer in Keras layout: `z = x·W + b` with `W` of shape (inputs, units).
///
/// The fields are plain data; [`Network::new`](super::Network::new) checks that the shapes
/// agree and names the offending layer if they do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<A> {
    /// `W[i, j]` connects input `i` to unit `j`.
    pub kernel: Array2<A>,
    /// One bias per unit.
    pub bias: Array1<A>,
    /// Applied to `z` to give the layer's output.
    pub activation: Activation,
}

impl<A: Clone> Dense<A> {
    /// Number of inputs (kernel rows).
    pub fn n_inputs(&self) -> usize {
        self.kernel.nrows()
    }

    /// Number of units (kernel columns).
    pub fn n_units(&self) -> usize {
        self.kernel.ncols()
    }

    /// The same layer with every weight and bias converted by `f`, e.g.
    /// `layer.map(|w| to_fixed(f64::from(w)))` to start a fixed-point network from f32 weights.
    pub fn map<B>(&self, f: impl Fn(A) -> B) -> Dense<B> {
        Dense {
            kernel: self.kernel.mapv(&f),
            bias: self.bias.mapv(&f),
            activation: self.activation,
        }
    }
}
