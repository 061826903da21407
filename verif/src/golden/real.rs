//! The small float trait that lets the float reference be written once and run as `f32` (the
//! machine's float mode) or `f64` (for finite-difference gradient checks, and for the fixed
//! mode's transcendental functions).

use std::fmt::{Debug, Display};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// An IEEE binary float with the handful of operations the reference needs.
///
/// Every method maps to the `std` method of the same name, so `f32` results are the host
/// libm's `f32` results.
pub trait Real:
    Copy
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// 0.0.
    const ZERO: Self;
    /// 1.0.
    const ONE: Self;
    /// 2.0.
    const TWO: Self;
    /// The type's name, used in error messages.
    const NAME: &'static str;

    /// Nearest representable value (`as` conversion).
    fn from_f64(v: f64) -> Self;
    /// Exact widening (or identity) to `f64`.
    fn to_f64(self) -> f64;
    /// `n` converted with `as` (exact for the layer widths and batch sizes used here, < 2^24).
    fn from_usize(n: usize) -> Self;
    /// e^self.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Neither NaN nor ±∞.
    fn is_finite(self) -> bool;
}

macro_rules! impl_real {
    ($t:ty, $name:literal) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const TWO: Self = 2.0;
            const NAME: &'static str = $name;

            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_real!(f32, "f32");
impl_real!(f64, "f64");
