//! The golden forward and backward of each graph operation, one module each
//! (`docs/numerics.md` §Graphs), the twins of `spinn_dl::ops`:
//!
//! | module | operations | forward | contribution to the input's `δ` |
//! |---|---|---|---|
//! | [`conv`] | Conv1D, Conv2D | weighted sum over the real taps, then the bias | `k·δz` at every real tap (transposed correlation) |
//! | [`dense`] | Dense | the 1 × 1 window of [`conv`] over one position | `Σ_j W_ij·δz_j` |
//! | [`pool`] | max, average and global average pooling | maximum, or mean over the real elements | `δy` to the first maximum, or `δy / n` to each real element |
//! | [`add`] | Add | `x_1 + x_2 + …` | `δz` to every input |
//! | [`flatten`] | Flatten | the same flat values | `δ` of the same flat index |
//!
//! Every function works on one sample's tensors as flat, row-major slices
//! (`(r·cols + c)·channels + ch`), with strides computed once per window, so the inner loops
//! index nothing but slices.
//! Contributions are *added* to an output slice of [`Numeric::Grad`] that starts at
//! [`Numeric::grad_zero`]: a consumer's contribution array is complete when its function
//! returns, and the graph engine sums the arrays of all consumers before finishing the
//! tensor's `δ` once.
//! The modes ([`Numeric`]) decide how each step rounds; these functions decide what is summed
//! and in which order, the float order of `docs/numerics.md` §Float (Graphs).

pub mod add;
pub mod conv;
pub mod dense;
pub mod flatten;
pub mod pool;

pub use conv::{TransposedKernel, Window};
pub use pool::PoolWindow;

use super::numeric::Numeric;
use spinn_dl::ops::Axis;
use std::ops::Range;

/// The real (unpadded) taps of one output position along one axis: taps `tap..tap + len`
/// read input positions `position..position + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub tap: usize,
    pub position: usize,
    pub len: usize,
}

/// A window axis with every output position's real taps, and every tap's outputs, found
/// once from [`Axis::position`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taps {
    axis: Axis,
    spans: Vec<Span>,
    /// Per tap, the outputs for which it reads a real position (a contiguous range).
    outputs_of_tap: Vec<Range<usize>>,
}

impl Taps {
    /// The real taps of every output of `axis`.
    ///
    /// # Panics
    /// If some output reads only padding, which no Keras window does (the padding before the
    /// input is less than half the window, and every window starts before the input's end).
    pub fn new(axis: Axis) -> Taps {
        let spans = (0..axis.output)
            .map(|o| {
                let mut real =
                    (0..axis.size).filter_map(|tap| axis.position(o, tap).map(|p| (tap, p)));
                let (tap, position) = real
                    .next()
                    .expect("invariant: every Keras window has at least one real tap");
                // Positions grow with the tap, so the real taps are one contiguous run.
                let len = 1 + real.count();
                debug_assert_eq!(axis.position(o, tap + len - 1), Some(position + len - 1));
                Span { tap, position, len }
            })
            .collect();
        let outputs_of_tap = (0..axis.size)
            .map(|tap| {
                // Positions grow with the output, so the outputs reading a real position are
                // one contiguous run.
                let mut real = (0..axis.output).filter(|&o| axis.position(o, tap).is_some());
                match real.next() {
                    Some(first) => first..first + 1 + real.count(),
                    None => 0..0,
                }
            })
            .collect();
        Taps {
            axis,
            spans,
            outputs_of_tap,
        }
    }

    pub fn axis(&self) -> &Axis {
        &self.axis
    }

    /// Output positions.
    pub fn outputs(&self) -> usize {
        self.spans.len()
    }

    /// The real taps of output `o`.
    pub fn span(&self, o: usize) -> Span {
        self.spans[o]
    }

    /// The outputs whose tap `tap` reads a real input position, `position(o, tap) =
    /// o·stride + tap − before`.
    pub fn outputs_of_tap(&self, tap: usize) -> Range<usize> {
        self.outputs_of_tap[tap].clone()
    }

    /// The largest number of outputs that read one input position.
    pub fn max_readers(&self) -> usize {
        let mut readers = vec![0usize; self.axis.input];
        for span in &self.spans {
            for count in &mut readers[span.position..span.position + span.len] {
                *count += 1;
            }
        }
        readers.into_iter().max().unwrap_or(0)
    }
}

/// One contiguous run of a window's real taps at one output position: the input elements
/// `x..x + len` (one window row's real columns, every channel), read against kernel rows
/// `k..k + len` (each row one input element's weights to every output channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub x: usize,
    pub k: usize,
    pub len: usize,
}

/// The runs of output position `(r, c)`, window row by window row (so taps in row-major
/// window order, channels innermost), for an input of `channels` channels.
pub(crate) fn runs<'a>(
    rows: &'a Taps,
    cols: &'a Taps,
    channels: usize,
    r: usize,
    c: usize,
) -> impl Iterator<Item = Run> + 'a {
    let row = rows.span(r);
    let col = cols.span(c);
    let (in_cols, kw) = (cols.axis.input, cols.axis.size);
    (0..row.len).map(move |d| Run {
        x: ((row.position + d) * in_cols + col.position) * channels,
        k: ((row.tap + d) * kw + col.tap) * channels,
        len: col.len * channels,
    })
}

/// Adds `lift(δ)` of every element to the same element of `out`: an add's, a flatten's
/// contribution.
pub(crate) fn lift_into<M: Numeric>(delta: &[M::Value], out: &mut [M::Grad]) {
    debug_assert_eq!(delta.len(), out.len());
    for (sum, &d) in out.iter_mut().zip(delta) {
        *sum = M::grad_add(*sum, M::lift(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_dl::ops::Padding;

    #[test]
    fn taps_skip_the_padding_and_count_readers() {
        // 5 positions, window 3, stride 2, same: 1 before, 1 after.
        let taps = Taps::new(Axis::new(5, 3, 2, Padding::Same).expect("fits"));
        let spans: Vec<(usize, usize, usize)> = (0..taps.outputs())
            .map(|o| {
                let s = taps.span(o);
                (s.tap, s.position, s.len)
            })
            .collect();
        assert_eq!(spans, [(1, 0, 2), (0, 1, 3), (0, 3, 2)]);
        // Position 1 is read by outputs 0 and 1, position 3 by outputs 1 and 2.
        assert_eq!(taps.max_readers(), 2);
        // Tap 0 is padding for output 0; tap 2 for output 2.
        let per_tap: Vec<Range<usize>> = (0..3).map(|t| taps.outputs_of_tap(t)).collect();
        assert_eq!(per_tap, [1..3, 0..3, 0..2]);
        let whole = Taps::new(Axis::whole(7));
        assert_eq!((whole.outputs(), whole.span(0).len), (1, 7));
        assert_eq!(whole.max_readers(), 1);
    }

    #[test]
    fn runs_walk_window_rows_with_channels_innermost() {
        // A 4 × 4 × 2 input, 3 × 3 window, stride 1, same: output (0, 0) reads rows 0..2 and
        // columns 0..2 through taps 1..3 in both directions.
        let axis = Axis::new(4, 3, 1, Padding::Same).expect("fits");
        let (rows, cols) = (Taps::new(axis), Taps::new(axis));
        let got: Vec<Run> = runs(&rows, &cols, 2, 0, 0).collect();
        assert_eq!(
            got,
            [
                Run {
                    x: 0,
                    k: (3 + 1) * 2,
                    len: 4
                },
                Run {
                    x: 4 * 2,
                    k: (2 * 3 + 1) * 2,
                    len: 4
                }
            ]
        );
    }
}
