//! Add: the element-wise sum of two or more tensors of one shape (`docs/numerics.md`
//! §Graphs). Forward `z = x_1 + x_2 + …` left to right from the first input, as
//! [`Numeric::widen`]ed terms finished by [`Numeric::narrow`] (`sat32` of the `i64` sum in
//! fixed point); backward, every input receives `δz` as a contribution ([`Numeric::lift`]),
//! and a tensor listed twice receives it twice.

use crate::golden::numeric::Numeric;

/// `z = Σ_k x_k` element by element, over `inputs` in the order the layer lists them; the
/// slices may hold one sample or a whole batch.
///
/// # Panics
/// If `inputs` is empty (an add has at least two inputs).
pub fn forward<M: Numeric>(inputs: &[&[M::Value]], z: &mut [M::Value]) {
    let (first, rest) = inputs
        .split_first()
        .expect("invariant: an add has at least two inputs");
    let mut sums: Vec<M::Grad> = first.iter().map(|&v| M::widen(v)).collect();
    for input in rest {
        debug_assert_eq!(input.len(), sums.len());
        for (sum, &v) in sums.iter_mut().zip(*input) {
            *sum = M::grad_add(*sum, M::widen(v));
        }
    }
    for (out, sum) in z.iter_mut().zip(sums) {
        *out = M::narrow(sum);
    }
}

/// Adds the contribution of `δz` to one input (once per time the layer lists it) into `out`.
pub fn contribution<M: Numeric>(delta_z: &[M::Value], out: &mut [M::Grad]) {
    super::lift_into::<M>(delta_z, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{Fixed, F32};

    #[test]
    fn sums_left_to_right_and_saturates() {
        // f32: (1e8 + −1e8) + 1 = 1, whereas 1e8 + (−1e8 + 1) would be 0.
        let mut z = [0.0f32];
        forward::<F32>(&[&[1e8], &[-1e8], &[1.0]], &mut z);
        assert_eq!(z, [1.0]);
        let mut z = [0; 2];
        forward::<Fixed>(&[&[i32::MAX, -3], &[i32::MAX, 1]], &mut z);
        assert_eq!(z, [i32::MAX, -2]);
        let mut out = [5i64];
        contribution::<Fixed>(&[2], &mut out);
        assert_eq!(out, [5 + (2 << 15)]);
    }
}
