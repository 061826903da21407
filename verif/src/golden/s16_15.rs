//! The s16.15 fixed-point format and its rounding helpers (`docs/numerics.md` §Fixed).
//!
//! A value `v` is stored as the `i32` `round(v × 2^15)`: 16 integer bits, 15 fraction bits and a
//! sign, so the range is [−65536, 65536 − 2^−15] with a resolution of 2^−15 ≈ 3.05e−5.
//! Products of two s16.15 values are Q30 (`value × 2^30`) and are kept in `i64` until one
//! explicit rounding step brings them back to Q15.
//! These helpers are the only places the fixed mode rounds or saturates, so the machine can
//! reproduce each step bit for bit.

/// An s16.15 fixed-point number: the `i32` holding `value × 2^15`.
pub type S16_15 = i32;

/// A Q30 accumulator: the `i64` holding `value × 2^30`, the exact product of two [`S16_15`].
pub type Q30 = i64;

/// Number of fraction bits in [`S16_15`].
pub const FRAC_BITS: u32 = 15;

/// 1.0 in [`S16_15`].
pub const ONE: S16_15 = 1 << FRAC_BITS;

/// Shifts right by `s` bits, rounding to nearest with halves rounded up (towards +∞):
/// `(v + 2^(s−1)) >> s` with an arithmetic shift.
///
/// So 1.5 → 2, −1.5 → −1, −2.5 → −2 (in units of `2^s`).
/// The sum is formed in `i128`, so `v` near `i64::MAX` cannot overflow; wherever the `i64`
/// formula does not overflow the result is the same.
///
/// # Panics
/// If `s` is not in `1..=62` (a caller bug: every shift in this crate is 15 or 30).
pub fn round_shift(v: i64, s: u32) -> i64 {
    assert!(
        (1..=62).contains(&s),
        "invariant: round_shift needs 1 <= s <= 62, got {s}"
    );
    // The result of shifting right by at least one bit always fits back in i64.
    round_shift_wide(i128::from(v), s) as i64
}

/// [`round_shift`] on an `i128`, for the softmax Jacobian product whose operands are Q45.
pub(crate) fn round_shift_wide(v: i128, s: u32) -> i128 {
    debug_assert!((1..=126).contains(&s), "shift {s} out of range");
    (v + (1i128 << (s - 1))) >> s
}

/// Clamps an `i64` into the `i32` range (saturation, never wrap-around).
pub fn sat32(v: i64) -> S16_15 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Clamps an `i128` into the `i32` range.
pub(crate) fn sat32_wide(v: i128) -> S16_15 {
    v.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
}

/// `a / b` rounded to nearest, halves rounded away from zero: 5/2 → 3, −5/2 → −3, 7/3 → 2.
///
/// # Panics
/// If `b <= 0` (a caller bug: every divisor in this crate is a layer width or a batch size
/// times a power of two).
pub fn round_div(a: i128, b: i128) -> i128 {
    assert!(
        b > 0,
        "invariant: round_div needs a positive divisor, got {b}"
    );
    let magnitude = a.unsigned_abs();
    let divisor = b.unsigned_abs();
    let (quotient, remainder) = (magnitude / divisor, magnitude % divisor);
    // remainder < divisor <= i128::MAX, so doubling it cannot overflow u128.
    let rounded = if 2 * remainder >= divisor {
        quotient + 1
    } else {
        quotient
    };
    // |a / b| <= |a|, so the rounded magnitude fits back in i128 except for i128::MIN / 1,
    // which no caller produces (products here are far below 2^100).
    let rounded = i128::try_from(rounded).expect("invariant: |a / b| fits in i128");
    if a < 0 {
        -rounded
    } else {
        rounded
    }
}

/// The s16.15 product: `sat32(round_shift(a × b, 15))`, with the product exact in `i64`.
pub fn mul(a: S16_15, b: S16_15) -> S16_15 {
    sat32(round_shift(i64::from(a) * i64::from(b), FRAC_BITS))
}

/// Converts a real number to s16.15: `(x × 32768).round()` (Rust `round`: halves away from
/// zero), saturated to the `i32` range; NaN converts to 0 (Rust's `as` semantics).
pub fn to_fixed(x: f64) -> S16_15 {
    (x * f64::from(ONE)).round() as i32
}

/// The real value an s16.15 number stands for (exact: every `i32 / 2^15` is an `f64`).
pub fn from_fixed(q: S16_15) -> f64 {
    f64::from(q) / f64::from(ONE)
}
