//! `Flatten` (Keras `Flatten`): a tensor as a flat vector, in row-major order over `(rows,
//! cols, channels)`. Every tensor's elements are already keyed in that order
//! ([`crate::shape`]), so on the machine a flatten is a view: its consumers read its input's
//! producers directly and no core or packet is spent on it.

use super::{OpFault, Operation};
use crate::shape::Shape;

/// Reshapes its input to `(n,)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flatten;

impl Operation for Flatten {
    fn kind(&self) -> &'static str {
        "flatten"
    }

    fn validate(&self) -> Result<(), OpFault> {
        Ok(())
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        Ok(Shape::flat(inputs[0].len()))
    }
}
