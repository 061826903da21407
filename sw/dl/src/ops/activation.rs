//! Activation functions: applied element by element to a node's pre-activation `z` (softmax,
//! over one sample's whole output vector).

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
    /// `a_j = e^(z_j) / Σ_k e^(z_k)` over one sample's outputs; only allowed on the last
    /// layer.
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
