//! `Add` (Keras `Add`): the element-wise sum of two or more tensors of one shape, for residual
//! connections, with an optional activation on the sum (Keras would follow it with an
//! `Activation` layer). In the backward pass every input receives the sum's `δ`.
//!
//! On the machine an add is computed by the core that owns each tile of its output; an input
//! produced by a convolution or dense layer with no activation and no other consumer is
//! folded into that core (its kernel is one more term of the sum), which saves sending that
//! input's values and `δ` across the fabric ([`crate::machine::plan`]).

use super::{Activation, Arity, OpFault, Operation};
use crate::shape::Shape;

/// The element-wise sum of the inputs, then `activation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Add {
    pub activation: Activation,
}

impl Operation for Add {
    fn kind(&self) -> &'static str {
        "add"
    }

    fn arity(&self) -> Arity {
        Arity::AtLeastTwo
    }

    fn validate(&self) -> Result<(), OpFault> {
        Ok(())
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        let first = inputs[0];
        if let Some(other) = inputs.iter().find(|s| **s != first) {
            let shapes: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
            return Err(OpFault::new(
                "inputs",
                format!(
                    "add needs inputs of one shape, got {} ({first} and {other} differ)",
                    shapes.join(", ")
                ),
            ));
        }
        Ok(first.clone())
    }

    fn activation(&self) -> Activation {
        self.activation
    }
}
