//! The sequential dense network: forward pass, backward pass, batch gradients and SGD, written
//! once over a [`Numeric`] mode, with every per-sample intermediate kept for layer-by-layer
//! comparison against the machine.
//!
//! It is the simple dense reference the [`GraphNetwork`](super::GraphNetwork) is cross-checked
//! against: both share the structure-level steps of `shared.rs` and the batch-gradient
//! sums of the dense [`Window`], while the per-sample products here go through
//! [`Numeric::dense_forward`] and [`Numeric::dense_backward`].

use super::error::{GoldenError, Tensor};
use super::model::{Activation, Dense, Loss, Sgd};
use super::numeric::{Accumulation, Numeric};
use super::ops::Window;
use super::shared::{self, LayerGradient, LayerMut};
use ndarray::{Array1, Array2, ArrayView2};

/// A sequential stack of [`Dense`] layers with a loss and an SGD optimiser, in mode `M`.
#[derive(Debug, Clone, PartialEq)]
pub struct Network<M: Numeric> {
    layers: Vec<Dense<M::Value>>,
    loss: Loss,
    sgd: Sgd,
    constants: M::Constants,
    /// One velocity per layer when the optimiser has momentum, all zero at construction.
    velocities: Option<Vec<Velocity<M::Value>>>,
}

/// The momentum state of one layer, shaped like its kernel and bias.
#[derive(Debug, Clone, PartialEq)]
pub struct Velocity<A> {
    /// Shape (inputs, units).
    pub kernel: Array2<A>,
    /// Shape (units,).
    pub bias: Array1<A>,
}

/// One layer's forward values for a batch; every array has one row per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerForward<M: Numeric> {
    /// The layer's input `x`, shape (batch, inputs): the network input or the previous `a`.
    pub input: Array2<M::Value>,
    /// `z = x·W + b`, shape (batch, units).
    pub z: Array2<M::Value>,
    /// `a = f(z)`, shape (batch, units).
    pub a: Array2<M::Value>,
}

/// One layer's backward values for a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerBackward<M: Numeric> {
    /// `δa = ∂L/∂a`, shape (batch, units); `None` for an output layer whose loss gradient is
    /// fused into `δz` (softmax + categorical cross-entropy, sigmoid + binary cross-entropy).
    pub delta_a: Option<Array2<M::Value>>,
    /// `δz = ∂L/∂z` of each sample's own loss, shape (batch, units).
    pub delta_z: Array2<M::Value>,
    /// The batch kernel gradient, shape (inputs, units): the mean in float modes, the exact
    /// Q30 sum over samples in fixed point.
    pub kernel_gradient: Array2<M::Grad>,
    /// The batch bias gradient, shape (units,), in the same form as `kernel_gradient`.
    pub bias_gradient: Array1<M::Grad>,
}

/// Everything one forward and backward pass over a batch computed, before any update.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass<M: Numeric> {
    /// Per layer, input to output.
    pub forward: Vec<LayerForward<M>>,
    /// Per layer, input to output (computed output to input).
    pub backward: Vec<LayerBackward<M>>,
    /// The batch's mean loss.
    pub loss: f64,
}

impl<M: Numeric> Pass<M> {
    /// One sample's own gradient for one layer: `(x_i·δz_j, δz_j)` as the mode forms a single
    /// term (in fixed point, Q30 with the bias shifted left by 15).
    /// Summing these over the batch in sample order, then applying the mode's
    /// finishing step, gives [`LayerBackward::kernel_gradient`] and `bias_gradient`.
    ///
    /// # Panics
    /// If `layer` or `sample` is out of range.
    pub fn sample_gradient(
        &self,
        layer: usize,
        sample: usize,
    ) -> (Array2<M::Grad>, Array1<M::Grad>) {
        let input = self.forward[layer].input.row(sample);
        let delta_z = self.backward[layer].delta_z.row(sample);
        let kernel = Array2::from_shape_fn((input.len(), delta_z.len()), |(i, j)| {
            M::kernel_term(input[i], delta_z[j])
        });
        let bias = delta_z.mapv(M::bias_term);
        (kernel, bias)
    }
}

impl<M: Numeric> Network<M> {
    /// Builds a network, checking that the layers chain (each layer's inputs equal the
    /// previous layer's units), that each bias matches its kernel, the hyper-parameters, and
    /// the mode's limits on the initial weights.
    pub fn new(
        layers: Vec<Dense<M::Value>>,
        loss: Loss,
        sgd: Sgd,
        config: M::Config,
    ) -> Result<Self, GoldenError> {
        if layers.is_empty() {
            return Err(GoldenError::NoLayers);
        }
        let mut previous_units = None;
        for (layer, dense) in layers.iter().enumerate() {
            let kernel = dense.kernel.dim();
            if kernel.0 == 0 || kernel.1 == 0 {
                return Err(GoldenError::EmptyLayer { layer, kernel });
            }
            if dense.bias.len() != kernel.1 {
                return Err(GoldenError::BiasShape {
                    layer,
                    kernel,
                    bias: dense.bias.len(),
                });
            }
            if let Some(previous_units) = previous_units {
                if kernel.0 != previous_units {
                    return Err(GoldenError::LayerChain {
                        layer,
                        kernel,
                        previous_units,
                    });
                }
            }
            previous_units = Some(kernel.1);
        }
        let sums: Vec<Accumulation> = layers
            .iter()
            .enumerate()
            .flat_map(|(layer, dense)| {
                let mut sums = vec![
                    Accumulation::forward(layer, dense.n_inputs()),
                    Accumulation::backward(layer, dense.n_units()),
                ];
                if dense.activation == Activation::Softmax {
                    sums.push(Accumulation::softmax(layer, dense.n_units()));
                }
                sums
            })
            .collect();
        let constants = M::constants(&sgd, &config, &sums)?;
        for (layer, dense) in layers.iter().enumerate() {
            shared::check_params::<M, _>(
                &constants,
                layer,
                dense.kernel.view(),
                dense.bias.view(),
            )?;
        }
        let velocities = sgd.momentum.map(|_| {
            layers
                .iter()
                .map(|dense| Velocity {
                    kernel: Array2::from_elem(dense.kernel.dim(), M::zero()),
                    bias: Array1::from_elem(dense.bias.len(), M::zero()),
                })
                .collect()
        });
        Ok(Network {
            layers,
            loss,
            sgd,
            constants,
            velocities,
        })
    }

    /// The layers with their current weights, input to output.
    pub fn layers(&self) -> &[Dense<M::Value>] {
        &self.layers
    }

    /// The momentum velocities per layer, or `None` without momentum.
    pub fn velocities(&self) -> Option<&[Velocity<M::Value>]> {
        self.velocities.as_deref()
    }

    /// The loss function.
    pub fn loss_function(&self) -> Loss {
        self.loss
    }

    /// The optimiser's hyper-parameters as given.
    pub fn sgd(&self) -> &Sgd {
        &self.sgd
    }

    /// The optimiser's constants as the mode uses them (e.g. `lr` in s16.15).
    pub fn constants(&self) -> &M::Constants {
        &self.constants
    }

    /// The output activations for a batch `x` of shape (batch, inputs).
    pub fn predict(&self, x: ArrayView2<'_, M::Value>) -> Result<Array2<M::Value>, GoldenError> {
        let mut forward = self.forward(x)?;
        let last = forward
            .pop()
            .expect("invariant: the constructor rejects networks without layers");
        Ok(last.a)
    }

    /// The mean loss of the batch `(x, y)`.
    pub fn loss(
        &self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<f64, GoldenError> {
        let forward = self.forward(x)?;
        let last = forward
            .last()
            .expect("invariant: the constructor rejects networks without layers");
        self.check_labels(last.a.dim(), y)?;
        Ok(M::batch_loss(self.loss, last.a.view(), y))
    }

    /// Every layer's input, `z` and `a` for the batch `x`.
    pub fn forward(
        &self,
        x: ArrayView2<'_, M::Value>,
    ) -> Result<Vec<LayerForward<M>>, GoldenError> {
        let expected_features = self.layers[0].n_inputs();
        if x.ncols() != expected_features {
            return Err(GoldenError::InputShape {
                got: x.dim(),
                expected_features,
            });
        }
        if x.nrows() == 0 {
            return Err(GoldenError::EmptyBatch);
        }
        let batch = x.nrows();
        let mut res = Vec::with_capacity(self.layers.len());
        let mut input = x.to_owned();
        for (layer, dense) in self.layers.iter().enumerate() {
            M::check_values(&self.constants, layer, Tensor::Input, input.view())?;
            let mut z = Array2::from_elem((batch, dense.n_units()), M::zero());
            for sample in 0..batch {
                let z_sample =
                    M::dense_forward(dense.kernel.view(), dense.bias.view(), input.row(sample));
                z.row_mut(sample).assign(&z_sample);
            }
            let a = shared::activate_batch::<M>(dense.activation, z.view());
            shared::check_forward::<M>(&self.constants, layer, z.view(), a.view())?;
            let next_input = a.clone();
            res.push(LayerForward { input, z, a });
            input = next_input;
        }
        Ok(res)
    }

    /// The full forward and backward pass for the batch `(x, y)`, without updating anything.
    pub fn forward_backward(
        &self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<Pass<M>, GoldenError> {
        let forward = self.forward(x)?;
        let n_layers = self.layers.len();
        let output = &forward[n_layers - 1];
        self.check_labels(output.a.dim(), y)?;
        let batch = x.nrows();
        M::check_batch(&self.constants, batch)?;
        let loss = M::batch_loss(self.loss, output.a.view(), y);

        let mut backward_reversed = Vec::with_capacity(n_layers);
        // The δa handed down by the layer above; the output layer gets its δa from the loss.
        let mut delta_a_from_above: Option<Array2<M::Value>> = None;
        for layer in (0..n_layers).rev() {
            let dense = &self.layers[layer];
            let values = &forward[layer];
            let (delta_a, delta_z) = if layer == n_layers - 1 {
                shared::output_deltas::<M>(
                    dense.activation,
                    self.loss,
                    values.z.view(),
                    values.a.view(),
                    y,
                )
            } else {
                let delta_a = delta_a_from_above
                    .take()
                    .expect("invariant: every layer above the first hands down a δa");
                let delta_z = shared::activation_backward_batch::<M>(
                    dense.activation,
                    values.z.view(),
                    values.a.view(),
                    delta_a.view(),
                );
                (Some(delta_a), delta_z)
            };
            shared::check_backward::<M>(
                &self.constants,
                layer,
                delta_a.as_ref().map(|d| d.view()),
                Some(delta_z.view()),
            )?;

            let (kernel_gradient, bias_gradient) =
                batch_gradient::<M>(values.input.view(), delta_z.view());
            shared::check_gradients::<M, _>(layer, kernel_gradient.view(), bias_gradient.view())?;

            if layer > 0 {
                let mut below = Array2::from_elem(values.input.dim(), M::zero());
                for sample in 0..batch {
                    below
                        .row_mut(sample)
                        .assign(&M::dense_backward(dense.kernel.view(), delta_z.row(sample)));
                }
                delta_a_from_above = Some(below);
            }
            backward_reversed.push(LayerBackward {
                delta_a,
                delta_z,
                kernel_gradient,
                bias_gradient,
            });
        }
        backward_reversed.reverse();
        Ok(Pass {
            forward,
            backward: backward_reversed,
            loss,
        })
    }

    /// One SGD step on the batch `(x, y)`; returns the mean loss before the update.
    /// On error the network is left unchanged.
    pub fn train_batch(
        &mut self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<f64, GoldenError> {
        Ok(self.train_batch_traced(x, y)?.loss)
    }

    /// As [`Network::train_batch`], also returning the pass the update was computed from.
    pub fn train_batch_traced(
        &mut self,
        x: ArrayView2<'_, M::Value>,
        y: ArrayView2<'_, M::Value>,
    ) -> Result<Pass<M>, GoldenError> {
        let pass = self.forward_backward(x, y)?;
        let batch = x.nrows();
        // Update copies and commit only once every new value has passed its check.
        let mut layers = self.layers.clone();
        let mut velocities = self.velocities.clone();
        for (layer, (dense, gradient)) in layers.iter_mut().zip(&pass.backward).enumerate() {
            let velocity = velocities.as_mut().map(|all| {
                let velocity = &mut all[layer];
                LayerMut {
                    kernel: velocity.kernel.view_mut(),
                    bias: velocity.bias.view_mut(),
                }
            });
            shared::sgd_step::<M, _>(
                &self.constants,
                layer,
                batch,
                LayerMut {
                    kernel: dense.kernel.view_mut(),
                    bias: dense.bias.view_mut(),
                },
                velocity,
                LayerGradient {
                    kernel: gradient.kernel_gradient.view(),
                    bias: gradient.bias_gradient.view(),
                },
            )?;
        }
        self.layers = layers;
        self.velocities = velocities;
        Ok(pass)
    }

    fn check_labels(
        &self,
        expected: (usize, usize),
        y: ArrayView2<'_, M::Value>,
    ) -> Result<(), GoldenError> {
        shared::check_labels::<M>(&self.constants, self.layers.len() - 1, expected, y)
    }
}

/// The batch gradients of one layer: each entry summed over samples in order, then finished
/// by the mode (divided by the batch size in float modes), as the dense [`Window`] sums them.
fn batch_gradient<M: Numeric>(
    input: ArrayView2<'_, M::Value>,
    delta_z: ArrayView2<'_, M::Value>,
) -> (Array2<M::Grad>, Array1<M::Grad>) {
    let (batch, n_inputs) = input.dim();
    let n_units = delta_z.ncols();
    let window = Window::dense_of(n_inputs, n_units);
    let (input, delta_z) = (input.as_standard_layout(), delta_z.as_standard_layout());
    let (kernel, bias) = window.batch_gradient::<M>(
        input
            .as_slice()
            .expect("invariant: a standard-layout array is one slice"),
        delta_z
            .as_slice()
            .expect("invariant: a standard-layout array is one slice"),
        batch,
    );
    (
        Array2::from_shape_vec((n_inputs, n_units), kernel)
            .expect("invariant: the window's kernel has inputs × units gradients"),
        Array1::from(bias),
    )
}
