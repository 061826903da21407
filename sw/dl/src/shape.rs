//! Tensor shapes, channels-last as Keras has them: `(n,)` for a flat vector, `(steps,
//! channels)` for a 1-D signal, `(rows, cols, channels)` for an image.
//!
//! Every tensor is also a sequence of elements in row-major order over its dimensions (the
//! *flat index*): `(r·cols + c)·channels + ch` for an image. That order is Keras' `Flatten`
//! order, the order the host writes samples in, and the order in which the machine keys a
//! tensor's elements, so flattening a tensor moves no data.

use std::fmt;

/// A tensor's dimensions, one sample's worth (no batch axis).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape(Vec<usize>);

/// A tensor seen as an image: a flat vector `(n,)` is `1 × 1 × n`, a signal `(steps,
/// channels)` is `1 × steps × channels`. Flat indices are the same in both views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grid {
    pub rows: usize,
    pub cols: usize,
    pub channels: usize,
}

impl Grid {
    /// Elements: `rows · cols · channels`.
    pub fn len(&self) -> usize {
        self.rows * self.cols * self.channels
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The flat index of element `(row, col, channel)`.
    pub fn index(&self, row: usize, col: usize, channel: usize) -> usize {
        (row * self.cols + col) * self.channels + channel
    }
}

/// The most elements one tensor may have: 2^28, beyond what a few boards' memory holds, and
/// low enough that sizes computed from it never overflow.
pub const MAX_ELEMENTS: usize = 1 << 28;

impl Shape {
    /// A shape of these dimensions (not checked; see [`Shape::check`]).
    pub fn new(dims: Vec<usize>) -> Shape {
        Shape(dims)
    }

    /// A flat vector of `n` elements.
    pub fn flat(n: usize) -> Shape {
        Shape(vec![n])
    }

    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The number of elements (saturating, so that an absurd shape still compares as large).
    pub fn len(&self) -> usize {
        self.0
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why this shape cannot be a tensor's (rank 1 to 3, every dimension at least 1, at most
    /// [`MAX_ELEMENTS`] elements), or `None` if it can.
    pub fn check(&self) -> Option<String> {
        if !(1..=3).contains(&self.rank()) {
            // A model file can give a shape of any length; quote it clipped.
            return Some(format!(
                "shape {} has rank {}; tensors are (n,), (steps, channels) or (rows, cols, channels)",
                crate::data::clipped(&self.to_string(), crate::data::QUOTED_CHARS),
                self.rank()
            ));
        }
        if self.0.contains(&0) {
            return Some(format!("shape {self} has a zero dimension"));
        }
        if self.len() > MAX_ELEMENTS {
            return Some(format!(
                "shape {self} has more than {MAX_ELEMENTS} elements"
            ));
        }
        None
    }

    /// The tensor as an image (see [`Grid`]).
    ///
    /// # Panics
    /// If the rank is not 1, 2 or 3 (a checked shape always is).
    pub fn grid(&self) -> Grid {
        match *self.0.as_slice() {
            [n] => Grid {
                rows: 1,
                cols: 1,
                channels: n,
            },
            [steps, channels] => Grid {
                rows: 1,
                cols: steps,
                channels,
            },
            [rows, cols, channels] => Grid {
                rows,
                cols,
                channels,
            },
            _ => panic!("invariant: a checked shape has rank 1 to 3, not {self}"),
        }
    }

    /// The last dimension: units, or channels.
    pub fn channels(&self) -> usize {
        self.0.last().copied().unwrap_or(0)
    }
}

impl fmt::Display for Shape {
    /// As Python prints a tuple: `(64,)`, `(28, 28, 1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [n] => write!(f, "({n},)"),
            dims => {
                let parts: Vec<String> = dims.iter().map(usize::to_string).collect();
                write!(f, "({})", parts.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_as_python_tuples_and_view_as_images() {
        assert_eq!(Shape::flat(64).to_string(), "(64,)");
        assert_eq!(Shape::new(vec![28, 28, 1]).to_string(), "(28, 28, 1)");
        let signal = Shape::new(vec![10, 3]).grid();
        assert_eq!((signal.rows, signal.cols, signal.channels), (1, 10, 3));
        let image = Shape::new(vec![4, 5, 2]).grid();
        assert_eq!(image.index(1, 2, 1), (5 + 2) * 2 + 1);
        assert_eq!(Shape::flat(7).grid().index(0, 0, 6), 6);
    }

    #[test]
    fn bad_shapes_say_why() {
        assert!(Shape::new(vec![3, 0])
            .check()
            .expect("zero")
            .contains("zero dimension"));
        assert!(Shape::new(vec![])
            .check()
            .expect("rank 0")
            .contains("rank 0"));
        assert!(Shape::new(vec![1, 1, 1, 1])
            .check()
            .expect("rank 4")
            .contains("rank 4"));
        assert!(Shape::new(vec![1 << 20, 1 << 20])
            .check()
            .expect("huge")
            .contains("more than"));
        assert_eq!(Shape::new(vec![usize::MAX, 3]).len(), usize::MAX);
        assert_eq!(Shape::new(vec![8, 8, 1]).check(), None);
    }
}
