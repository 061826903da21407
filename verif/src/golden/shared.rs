//! Structure-level steps shared by the sequential [`Network`](super::Network) and the
//! [`GraphNetwork`](super::GraphNetwork) (`docs/numerics.md` §Structure): the output layer's
//! `(δa, δz)` rule, activations over a batch, the label and value checks around every layer,
//! and one layer's SGD update with its velocity, checked before it is committed.
//!
//! Both networks call these, so a rule stated once in the numerics document is written once
//! here; what differs between them (the order of layers, the per-operation arithmetic) stays
//! in `network.rs`, `graph.rs` and [`super::ops`].

use super::error::{GoldenError, Tensor};
use super::model::{Activation, Loss};
use super::numeric::Numeric;
use ndarray::{
    Array1, Array2, ArrayView, ArrayView1, ArrayView2, ArrayViewMut, ArrayViewMut1, Dimension, Zip,
};

/// The output layer's `δa` (`None` for a fused pair) and `δz` for a batch, sample by sample:
/// the two fused pairs go straight to `δz`; every other pair takes `δa` from the loss and
/// passes it back through the activation.
pub(crate) fn output_deltas<M: Numeric>(
    activation: Activation,
    loss: Loss,
    z: ArrayView2<'_, M::Value>,
    a: ArrayView2<'_, M::Value>,
    y: ArrayView2<'_, M::Value>,
) -> (Option<Array2<M::Value>>, Array2<M::Value>) {
    let mut delta_z = Array2::from_elem(z.dim(), M::zero());
    let fused = match (activation, loss) {
        (Activation::Softmax, Loss::CategoricalCrossEntropy) => {
            Some(M::softmax_cce_delta as Fused<M>)
        }
        (Activation::Sigmoid, Loss::BinaryCrossEntropy) => Some(M::sigmoid_bce_delta as Fused<M>),
        _ => None,
    };
    if let Some(rule) = fused {
        for (sample, mut row) in delta_z.rows_mut().into_iter().enumerate() {
            row.assign(&rule(a.row(sample), y.row(sample)));
        }
        return (None, delta_z);
    }
    let mut delta_a = Array2::from_elem(z.dim(), M::zero());
    for sample in 0..z.nrows() {
        let (z, a, y) = (z.row(sample), a.row(sample), y.row(sample));
        let delta_a_sample = M::loss_gradient(loss, a, y);
        delta_z.row_mut(sample).assign(&M::activation_backward(
            activation,
            z,
            a,
            delta_a_sample.view(),
        ));
        delta_a.row_mut(sample).assign(&delta_a_sample);
    }
    (Some(delta_a), delta_z)
}

/// A fused output rule: `δz` of one sample from its `a` and `y`.
type Fused<M> = for<'a> fn(
    ArrayView1<'a, <M as Numeric>::Value>,
    ArrayView1<'a, <M as Numeric>::Value>,
) -> Array1<<M as Numeric>::Value>;

/// `a = f(z)` for a batch, sample by sample (softmax is over one sample's units).
pub(crate) fn activate_batch<M: Numeric>(
    activation: Activation,
    z: ArrayView2<'_, M::Value>,
) -> Array2<M::Value> {
    if activation == Activation::Identity {
        return z.to_owned();
    }
    let mut a = Array2::from_elem(z.dim(), M::zero());
    for (mut a_row, z_row) in a.rows_mut().into_iter().zip(z.rows()) {
        a_row.assign(&M::activate(activation, z_row));
    }
    a
}

/// `δz = f'(z)·δa` for a batch, sample by sample.
pub(crate) fn activation_backward_batch<M: Numeric>(
    activation: Activation,
    z: ArrayView2<'_, M::Value>,
    a: ArrayView2<'_, M::Value>,
    delta_a: ArrayView2<'_, M::Value>,
) -> Array2<M::Value> {
    if activation == Activation::Identity {
        return delta_a.to_owned();
    }
    let mut delta_z = Array2::from_elem(z.dim(), M::zero());
    for (sample, mut row) in delta_z.rows_mut().into_iter().enumerate() {
        row.assign(&M::activation_backward(
            activation,
            z.row(sample),
            a.row(sample),
            delta_a.row(sample),
        ));
    }
    delta_z
}

/// Checks that the labels have the output's shape `expected` and the mode's limits; `layer`
/// is the output layer.
pub(crate) fn check_labels<M: Numeric>(
    constants: &M::Constants,
    layer: usize,
    expected: (usize, usize),
    y: ArrayView2<'_, M::Value>,
) -> Result<(), GoldenError> {
    if y.dim() != expected {
        return Err(GoldenError::LabelShape {
            layer,
            got: y.dim(),
            expected,
        });
    }
    M::check_values(constants, layer, Tensor::Label, y)
}

/// Checks one layer's forward values `z` and `a`.
pub(crate) fn check_forward<M: Numeric>(
    constants: &M::Constants,
    layer: usize,
    z: ArrayView2<'_, M::Value>,
    a: ArrayView2<'_, M::Value>,
) -> Result<(), GoldenError> {
    M::check_values(constants, layer, Tensor::PreActivation, z)?;
    M::check_values(constants, layer, Tensor::Activation, a)
}

/// Checks one layer's backward values: `δa` where it exists (not for a fused output), `δz`
/// where the layer has an activation step.
pub(crate) fn check_backward<M: Numeric>(
    constants: &M::Constants,
    layer: usize,
    delta_a: Option<ArrayView2<'_, M::Value>>,
    delta_z: Option<ArrayView2<'_, M::Value>>,
) -> Result<(), GoldenError> {
    if let Some(delta_a) = delta_a {
        M::check_values(constants, layer, Tensor::ActivationDelta, delta_a)?;
    }
    if let Some(delta_z) = delta_z {
        M::check_values(constants, layer, Tensor::PreActivationDelta, delta_z)?;
    }
    Ok(())
}

/// Checks one layer's kernel and bias.
pub(crate) fn check_params<M: Numeric, D: Dimension>(
    constants: &M::Constants,
    layer: usize,
    kernel: ArrayView<'_, M::Value, D>,
    bias: ArrayView1<'_, M::Value>,
) -> Result<(), GoldenError> {
    M::check_values(constants, layer, Tensor::Kernel, kernel)?;
    M::check_values(constants, layer, Tensor::Bias, bias)
}

/// Checks one layer's batch gradients.
pub(crate) fn check_gradients<M: Numeric, D: Dimension>(
    layer: usize,
    kernel: ArrayView<'_, M::Grad, D>,
    bias: ArrayView1<'_, M::Grad>,
) -> Result<(), GoldenError> {
    M::check_gradients(layer, Tensor::KernelGradient, kernel)?;
    M::check_gradients(layer, Tensor::BiasGradient, bias)
}

/// A layer's kernel (of dimension `D`) and bias, or their velocities, as mutable views.
pub(crate) struct LayerMut<'a, V, D: Dimension> {
    pub kernel: ArrayViewMut<'a, V, D>,
    pub bias: ArrayViewMut1<'a, V>,
}

/// A layer's batch gradients, shaped like its [`LayerMut`].
pub(crate) struct LayerGradient<'a, G, D: Dimension> {
    pub kernel: ArrayView<'a, G, D>,
    pub bias: ArrayView1<'a, G>,
}

/// Updates every parameter of one array from its batch gradient (and velocity).
fn update_all<M: Numeric, D: Dimension>(
    constants: &M::Constants,
    batch: usize,
    params: ArrayViewMut<'_, M::Value, D>,
    velocity: Option<ArrayViewMut<'_, M::Value, D>>,
    gradient: ArrayView<'_, M::Grad, D>,
) {
    match velocity {
        None => Zip::from(params)
            .and(gradient)
            .for_each(|w, &g| *w = M::update(constants, *w, None, g, batch)),
        Some(velocity) => Zip::from(params)
            .and(velocity)
            .and(gradient)
            .for_each(|w, v, &g| *w = M::update(constants, *w, Some(v), g, batch)),
    }
}

/// One layer's SGD step (`docs/numerics.md`, SGD): every weight and bias from its batch
/// gradient, with the velocity when the optimiser has momentum, then the new values'
/// checks. The caller updates copies and commits them only when every layer passed.
pub(crate) fn sgd_step<M: Numeric, D: Dimension>(
    constants: &M::Constants,
    layer: usize,
    batch: usize,
    params: LayerMut<'_, M::Value, D>,
    velocity: Option<LayerMut<'_, M::Value, D>>,
    gradient: LayerGradient<'_, M::Grad, D>,
) -> Result<(), GoldenError> {
    let LayerMut {
        mut kernel,
        mut bias,
    } = params;
    match velocity {
        None => {
            update_all::<M, D>(constants, batch, kernel.view_mut(), None, gradient.kernel);
            update_all::<M, _>(constants, batch, bias.view_mut(), None, gradient.bias);
            check_params::<M, D>(constants, layer, kernel.view(), bias.view())
        }
        Some(LayerMut {
            kernel: mut kernel_velocity,
            bias: mut bias_velocity,
        }) => {
            let (kv, bv) = (kernel_velocity.view_mut(), bias_velocity.view_mut());
            update_all::<M, D>(
                constants,
                batch,
                kernel.view_mut(),
                Some(kv),
                gradient.kernel,
            );
            update_all::<M, _>(constants, batch, bias.view_mut(), Some(bv), gradient.bias);
            check_params::<M, D>(constants, layer, kernel.view(), bias.view())?;
            M::check_values(
                constants,
                layer,
                Tensor::KernelVelocity,
                kernel_velocity.view(),
            )?;
            M::check_values(constants, layer, Tensor::BiasVelocity, bias_velocity.view())
        }
    }
}
