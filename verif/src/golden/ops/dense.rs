//! Dense: a weighted node whose window is 1 × 1 over a single position, so its forward
//! pass, contribution and gradients are [`Window`]'s (`docs/numerics.md` §Graphs: for a
//! 1 × 1 window the taps run in increasing input index, and one input's contribution sums
//! the units in increasing order, the dense rules of §Structure).
//! The sequential [`Network`](crate::golden::Network) uses the same window for its batch
//! gradients; its forward and backward products go through the mode's
//! [`Numeric::dense_forward`](crate::golden::Numeric::dense_forward) and
//! [`Numeric::dense_backward`](crate::golden::Numeric::dense_backward), which the tests hold
//! equal to this window.

use super::Window;
use spinn_dl::ops::{Axis, Dense};
use spinn_dl::Shape;

impl Window {
    /// The window of a dense layer from `inputs` inputs to `units` units.
    pub fn dense_of(inputs: usize, units: usize) -> Window {
        Window::new(Axis::whole(1), Axis::whole(1), inputs, units)
    }

    /// The window of `dense` over a flat input of shape `input`.
    pub fn dense(dense: &Dense, input: &Shape) -> Window {
        Window::dense_of(input.len(), dense.units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{Fixed, Numeric, F32};
    use ndarray::{Array1, Array2};

    #[test]
    fn the_window_is_the_dense_layer_of_the_numeric_modes() {
        let (inputs, units) = (5, 3);
        let window = Window::dense_of(inputs, units);
        assert_eq!(
            (window.taps(), window.readers(), window.positions()),
            (5, 3, 1)
        );
        let kernel: Vec<f32> = (0..inputs * units)
            .map(|k| ((k * 7919) % 13) as f32 / 7.0 - 0.9)
            .collect();
        let bias = [0.25f32, -0.5, 0.125];
        let x: Vec<f32> = (0..inputs).map(|i| (i as f32).sin() * 3.3).collect();
        let dz = [0.3f32, -1.7, 2.1];
        let kernel_2d = Array2::from_shape_vec((inputs, units), kernel.clone()).expect("shape");

        let mut z = [0.0f32; 3];
        window.forward::<F32>(&kernel, &bias, &x, &mut z);
        let expected = F32::dense_forward(
            kernel_2d.view(),
            Array1::from(bias.to_vec()).view(),
            Array1::from(x.clone()).view(),
        );
        assert_eq!(z.to_vec(), expected.to_vec());
        let mut back = vec![0.0f32; inputs];
        window.input_contribution::<F32>(&window.transpose(&kernel), &dz, &mut back);
        let expected = F32::dense_backward(kernel_2d.view(), Array1::from(dz.to_vec()).view());
        assert_eq!(back, expected.to_vec());

        let q =
            |v: &[f32]| -> Vec<i32> { v.iter().map(|&v| (v * 32768.0).round() as i32).collect() };
        let (kq, bq, xq, dq) = (q(&kernel), q(&bias), q(&x), q(&dz));
        let kernel_q = Array2::from_shape_vec((inputs, units), kq.clone()).expect("shape");
        let mut z = [0i32; 3];
        window.forward::<Fixed>(&kq, &bq, &xq, &mut z);
        let expected = Fixed::dense_forward(
            kernel_q.view(),
            Array1::from(bq).view(),
            Array1::from(xq).view(),
        );
        assert_eq!(z.to_vec(), expected.to_vec());
        let mut back = vec![0i64; inputs];
        window.input_contribution::<Fixed>(&window.transpose(&kq), &dq, &mut back);
        let finished: Vec<i32> = back.into_iter().map(Fixed::finish_delta).collect();
        let expected = Fixed::dense_backward(kernel_q.view(), Array1::from(dq).view());
        assert_eq!(finished, expected.to_vec());
    }
}
