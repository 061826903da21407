//! `Dense` (Keras `Dense`): `a = f(x·W + b)` over a flat input, kernel `(inputs, units)`.
//!
//! On the machine a dense layer's kernel is cut into row blocks × column blocks that each fit
//! a core (block cores), and each column range of units has an accumulator core that sums the
//! blocks' partial products, adds the bias and applies the activation (DESIGN.md, "Deep
//! learning on it"); the cut is found by [`crate::machine::plan`].

use super::{at_least_one, Activation, OpFault, Operation, ParamShapes};
use crate::shape::Shape;

/// A fully connected layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dense {
    /// Output width; at least 1.
    pub units: usize,
    pub activation: Activation,
}

impl Operation for Dense {
    fn kind(&self) -> &'static str {
        "dense"
    }

    fn validate(&self) -> Result<(), OpFault> {
        at_least_one("units", "units", &[self.units])
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        let input = inputs[0];
        if input.rank() != 1 {
            return Err(OpFault::new(
                "inputs",
                format!("dense takes a flat vector, but its input has shape {input}; put a flatten layer before it"),
            ));
        }
        Ok(Shape::flat(self.units))
    }

    fn activation(&self) -> Activation {
        self.activation
    }

    fn parameters(&self, inputs: &[&Shape]) -> Option<ParamShapes> {
        let n = inputs[0].len();
        Some(ParamShapes {
            kernel: vec![n, self.units],
            window: [1, 1],
            inputs: n,
            outputs: self.units,
        })
    }
}
