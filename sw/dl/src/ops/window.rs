//! Sliding windows over one spatial axis, shared by convolution and pooling: Keras' output
//! sizes and padding split (`../shared/spec/conv-conventions.md` §2).
//!
//! * `valid`: no padding; `out = floor((n − k) / s) + 1`, and the window must fit (`k ≤ n`).
//! * `same`: `out = ceil(n / s)`; the total padding `max((out − 1)·s + k − n, 0)` is split with
//!   `floor(total / 2)` before and the rest after.
//!
//! Output position `o` reads input positions `o·s − before .. o·s − before + k`; positions
//! outside `0..n` are padding.

use std::ops::Range;

/// Keras' `padding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Padding {
    Valid,
    Same,
}

impl Padding {
    pub const ALL: [Padding; 2] = [Padding::Valid, Padding::Same];

    pub fn name(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
        }
    }

    pub fn from_name(name: &str) -> Option<Padding> {
        Padding::ALL.into_iter().find(|it| it.name() == name)
    }
}

/// A window of `size` sliding with `stride` over an axis of `input` positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Axis {
    pub input: usize,
    pub size: usize,
    pub stride: usize,
    /// Padding positions before position 0.
    pub before: usize,
    pub output: usize,
}

impl Axis {
    /// The axis, or why the window does not fit (`size` and `stride` must be at least 1).
    pub fn new(input: usize, size: usize, stride: usize, padding: Padding) -> Result<Axis, String> {
        if size == 0 || stride == 0 {
            return Err(format!(
                "window {size} with stride {stride}: both must be at least 1"
            ));
        }
        match padding {
            Padding::Valid => {
                if size > input {
                    return Err(format!(
                        "a window of {size} does not fit {input} input positions with valid padding"
                    ));
                }
                Ok(Axis {
                    input,
                    size,
                    stride,
                    before: 0,
                    output: (input - size) / stride + 1,
                })
            }
            Padding::Same => {
                let output = input.div_ceil(stride);
                let total = ((output - 1) * stride + size).saturating_sub(input);
                Ok(Axis {
                    input,
                    size,
                    stride,
                    before: total / 2,
                    output,
                })
            }
        }
    }

    /// The whole axis as one window (global pooling).
    pub fn whole(input: usize) -> Axis {
        Axis {
            input,
            size: input,
            stride: input,
            before: 0,
            output: 1,
        }
    }

    /// The input position under tap `tap` of output `o`, or `None` in the padding.
    pub fn position(&self, o: usize, tap: usize) -> Option<usize> {
        (o * self.stride + tap)
            .checked_sub(self.before)
            .filter(|&p| p < self.input)
    }

    /// The input positions (padding excluded) that outputs `outputs` read.
    pub fn receptive(&self, outputs: Range<usize>) -> Range<usize> {
        if outputs.is_empty() {
            return 0..0;
        }
        let first = (outputs.start * self.stride).saturating_sub(self.before);
        let last = ((outputs.end - 1) * self.stride + self.size)
            .saturating_sub(self.before)
            .min(self.input);
        first.min(last)..last
    }

    /// Whether windows never share an input position (stride at least the size).
    pub fn disjoint(&self) -> bool {
        self.stride >= self.size
    }
}

/// For each output position of a box, the window taps that fall inside the input box: the
/// tap's index in the window and the input position's index in the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Taps {
    /// `starts[p]..starts[p + 1]` index `taps` for output position `p`.
    starts: Vec<u32>,
    pub(crate) taps: Vec<(u32, u32)>,
}

impl Taps {
    pub(crate) fn new(
        axes: &[Axis; 2],
        window: [usize; 2],
        outputs: &crate::machine::plan::GridBox,
        inputs: &crate::machine::plan::GridBox,
    ) -> Taps {
        let mut starts = vec![0];
        let mut taps = Vec::new();
        let in_cols = inputs.cols.len();
        for r in outputs.rows.clone() {
            for c in outputs.cols.clone() {
                for i in 0..window[0] {
                    let Some(ir) = axes[0].position(r, i) else {
                        continue;
                    };
                    for j in 0..window[1] {
                        let Some(ic) = axes[1].position(c, j) else {
                            continue;
                        };
                        debug_assert!(inputs.rows.contains(&ir) && inputs.cols.contains(&ic));
                        let local = (ir - inputs.rows.start) * in_cols + (ic - inputs.cols.start);
                        taps.push(((i * window[1] + j) as u32, local as u32));
                    }
                }
                starts.push(taps.len() as u32);
            }
        }
        Taps { starts, taps }
    }

    pub(crate) fn of(&self, p: usize) -> &[(u32, u32)] {
        &self.taps[self.starts[p] as usize..self.starts[p + 1] as usize]
    }

    pub(crate) fn positions(&self) -> usize {
        self.starts.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_splits_as_keras_does() {
        // conv-conventions §2: 6×6 input, 3×3 kernel, stride 2 → 3×3, padding 0 before and 1
        // after; 5×5 input → 3×3, 1 before and 1 after.
        let six = Axis::new(6, 3, 2, Padding::Same).expect("fits");
        assert_eq!((six.output, six.before), (3, 0));
        let five = Axis::new(5, 3, 2, Padding::Same).expect("fits");
        assert_eq!((five.output, five.before), (3, 1));
        // Even totals are symmetric: 28 with a 3-window, stride 1: total 2, 1 before.
        let same = Axis::new(28, 3, 1, Padding::Same).expect("fits");
        assert_eq!((same.output, same.before), (28, 1));
        assert_eq!(same.position(0, 0), None);
        assert_eq!(same.position(0, 1), Some(0));
        assert_eq!(same.position(27, 2), None);
        // A 1×1 window with stride 2 needs no padding.
        let pointwise = Axis::new(14, 1, 2, Padding::Same).expect("fits");
        assert_eq!((pointwise.output, pointwise.before), (7, 0));
    }

    #[test]
    fn valid_padding_sizes_and_receptive_fields() {
        let axis = Axis::new(8, 3, 2, Padding::Valid).expect("fits");
        assert_eq!(axis.output, 3);
        assert_eq!(axis.receptive(0..1), 0..3);
        assert_eq!(axis.receptive(1..3), 2..7);
        assert!(Axis::new(2, 3, 1, Padding::Valid).is_err());
        assert!(Axis::new(4, 0, 1, Padding::Same).is_err());
        let same = Axis::new(7, 3, 1, Padding::Same).expect("fits");
        assert_eq!(same.receptive(0..2), 0..3);
        assert_eq!(same.receptive(5..7), 4..7);
        assert!(Axis::new(6, 2, 2, Padding::Valid).expect("fits").disjoint());
        assert!(!Axis::new(6, 3, 2, Padding::Valid).expect("fits").disjoint());
    }
}
