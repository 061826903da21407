//! Flatten: a view (`docs/numerics.md` §Graphs). Every tensor is already in flat row-major
//! order `(r·cols + c)·channels + ch`, so the forward pass copies the values and the backward
//! pass gives each element the `δ` of the same flat index ([`Numeric::lift`]).

use crate::golden::numeric::Numeric;

/// `y = x`.
pub fn forward<V: Copy>(x: &[V], y: &mut [V]) {
    y.copy_from_slice(x);
}

/// Adds the contribution of `δ` (the flattened tensor's) into `out`, element for element.
pub fn contribution<M: Numeric>(delta: &[M::Value], out: &mut [M::Grad]) {
    super::lift_into::<M>(delta, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{Fixed, F64};

    #[test]
    fn copies_forward_and_lifts_backward() {
        let mut y = [0; 3];
        forward(&[4, 5, 6], &mut y);
        assert_eq!(y, [4, 5, 6]);
        let mut out = [1.0, 0.0];
        contribution::<F64>(&[0.5, -2.0], &mut out);
        assert_eq!(out, [1.5, -2.0]);
        let mut out = [0, 0];
        contribution::<Fixed>(&[-1, 3], &mut out);
        assert_eq!(out, [-(1 << 15), 3 << 15]);
    }
}
