//! The operations a network is built from, one module each. An operation's module owns
//! everything about it: its parameters and their checks, its shape rule, its trainable
//! parameters (Keras layout and initialisation fans), and how it is lowered onto the machine
//! (`pub(crate)` items used by [`crate::machine`]); its golden forward and backward live in
//! `verif::golden::ops`.
//!
//! | module | operations (Keras class) | model-file key | inputs |
//! |---|---|---|---|
//! | [`dense`] | `Dense` | `dense` | one, flat |
//! | [`conv`] | `Conv1D`, `Conv2D` | `conv1d`, `conv2d` | one, `(steps, ch)` / `(rows, cols, ch)` |
//! | [`pool`] | `MaxPooling1D/2D`, `AveragePooling1D/2D`, `GlobalAveragePooling1D/2D` | `max_pooling2d`, … | one |
//! | [`flatten`] | `Flatten` | `flatten` | one |
//! | [`add`] | `Add` | `add` | two or more, all the same shape |
//!
//! Adding an operation: write its module (a struct, its [`Operation`] impl and its lowering),
//! add a variant to [`Op`] and a line to [`Op::as_operation`], teach the model file its key,
//! and add its golden twin in `verif` (docs/dnn.md, "Adding an operation").

pub mod activation;
pub mod add;
pub mod conv;
pub mod dense;
pub mod flatten;
pub mod pool;
pub mod window;

pub use activation::Activation;
pub use add::Add;
pub use conv::{Conv, Correlation, Dims};
pub use dense::Dense;
pub use flatten::Flatten;
pub use pool::{GlobalPool, Pool, PoolKind, PoolWindows};
pub use window::{Axis, Padding};

use crate::shape::Shape;

/// What is wrong with an operation, for error messages: the model-file key at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFault {
    /// The key of the layer's table in a model file (`units`, `kernel_size`, `inputs`, …).
    pub field: &'static str,
    pub message: String,
}

impl OpFault {
    pub fn new(field: &'static str, message: impl Into<String>) -> OpFault {
        OpFault {
            field,
            message: message.into(),
        }
    }
}

/// How many inputs an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    One,
    AtLeastTwo,
}

/// An operation's trainable parameters: a kernel in Keras layout and one bias per output
/// channel.
///
/// Every kernel is `(window rows, window cols, inputs, outputs)` in flat (row-major) order,
/// whatever its Keras shape: a dense kernel `(inputs, units)` is a 1 × 1 window, a Conv1D
/// kernel `(kw, in, out)` a 1 × kw one. So element `(i, j, ch, f)` is at
/// `((i·kw + j)·inputs + ch)·outputs + f` for all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamShapes {
    /// The kernel's shape as Keras has it (and `.npz` files hold it).
    pub kernel: Vec<usize>,
    /// Window rows and columns.
    pub window: [usize; 2],
    /// Input channels (dense: inputs).
    pub inputs: usize,
    /// Output channels (dense: units); also the bias length.
    pub outputs: usize,
}

impl ParamShapes {
    /// Kernel elements.
    pub fn kernel_len(&self) -> usize {
        self.window[0] * self.window[1] * self.inputs * self.outputs
    }

    /// Glorot's fans, as Keras computes them: the receptive field times the input or output
    /// channels.
    pub fn fans(&self) -> (usize, usize) {
        let receptive = self.window[0] * self.window[1];
        (receptive * self.inputs, receptive * self.outputs)
    }
}

/// What every operation answers.
pub trait Operation {
    /// Keras' layer-name prefix (`conv2d`, `max_pooling2d`), which is also the operation's key
    /// in a model file and the stem of its automatic names (`conv2d`, `conv2d_1`, …).
    fn kind(&self) -> &'static str;

    fn arity(&self) -> Arity {
        Arity::One
    }

    /// Checks the operation's own settings (sizes at least 1, and so on).
    fn validate(&self) -> Result<(), OpFault>;

    /// The output shape for inputs of these shapes (their number already checked).
    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault>;

    /// The activation applied to the operation's result.
    fn activation(&self) -> Activation {
        Activation::Identity
    }

    /// The trainable parameters for inputs of these shapes, if the operation has any.
    fn parameters(&self, inputs: &[&Shape]) -> Option<ParamShapes> {
        let _ = inputs;
        None
    }
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The network's input (only the first node).
    Input,
    Dense(Dense),
    Conv(Conv),
    Pool(Pool),
    GlobalPool(GlobalPool),
    Flatten(Flatten),
    Add(Add),
}

impl Op {
    /// The operation behind the node (`None` for the input).
    pub fn as_operation(&self) -> Option<&dyn Operation> {
        match self {
            Op::Input => None,
            Op::Dense(op) => Some(op),
            Op::Conv(op) => Some(op),
            Op::Pool(op) => Some(op),
            Op::GlobalPool(op) => Some(op),
            Op::Flatten(op) => Some(op),
            Op::Add(op) => Some(op),
        }
    }

    /// The operation's kind (`"input"` for the input).
    pub fn kind(&self) -> &'static str {
        self.as_operation().map_or("input", |op| op.kind())
    }

    pub fn activation(&self) -> Activation {
        self.as_operation()
            .map_or(Activation::Identity, |op| op.activation())
    }
}

/// Checks that a size setting is at least 1.
pub(crate) fn at_least_one(
    field: &'static str,
    what: &str,
    values: &[usize],
) -> Result<(), OpFault> {
    if values.contains(&0) {
        return Err(OpFault::new(
            field,
            format!("{what} must be at least 1, got {values:?}"),
        ));
    }
    Ok(())
}
