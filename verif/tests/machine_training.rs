//! Training on the simulated machine equals the golden reference.

use ndarray::{Array2, ArrayView2};
use spinn_dl::machine::{Fixed, MachineOptions, OnMachine, F32};
use spinn_dl::{digits, shuffled_indices, Dataset, ModelSpec, NumericMode};
use spinn_verif::golden::from_spec::{f32_network, fixed_network};
use spinn_verif::golden::s16_15::to_fixed;
use spinn_verif::golden::FixedLimits;
use std::time::Instant;

const LIMITS: FixedLimits = FixedLimits { max_abs: 1 << 24 };

fn one_hot(data: &Dataset, i: usize) -> Vec<f32> {
    let mut y = vec![0.0; data.n_classes];
    y[data.labels[i] as usize] = 1.0;
    y
}

#[test]
fn default_model_fixed_point_equals_the_reference_after_every_batch() {
    let data = digits().expect("embedded digits");
    let spec = ModelSpec::digits_default();
    let spec = ModelSpec::builder(spec.inputs())
        .dense(128, spinn_dl::Activation::Relu)
        .dense(10, spinn_dl::Activation::Softmax)
        .loss(spinn_dl::Loss::CategoricalCrossEntropy)
        .sgd(0.1, 32)
        .numeric(NumericMode::Fixed)
        .seed(1)
        .build()
        .unwrap();
    let weights = spec.init_weights();
    let mut golden = fixed_network(&spec, &weights, LIMITS).unwrap();
    let mut machine = OnMachine::<Fixed>::new(&spec, &weights, &MachineOptions::spinn5()).unwrap();
    let order = shuffled_indices(data.n_samples(), 7);
    let t = Instant::now();
    for batch in order.chunks(32).take(10) {
        let x: Vec<&[f32]> = batch.iter().map(|&i| data.sample(i)).collect();
        let ys: Vec<Vec<f32>> = batch.iter().map(|&i| one_hot(&data, i)).collect();
        let y: Vec<&[f32]> = ys.iter().map(|v| v.as_slice()).collect();
        let out = machine.train_batch(&x, &y).unwrap();
        let gx = Array2::from_shape_fn((batch.len(), 64), |(r, c)| to_fixed(f64::from(x[r][c])));
        let gy = Array2::from_shape_fn((batch.len(), 10), |(r, c)| to_fixed(f64::from(y[r][c])));
        let gl = golden.train_batch(gx.view(), gy.view()).unwrap();
        assert_eq!(out.loss, Some(gl));
        for (l, p) in machine.parameters().iter().enumerate() {
            let (k, b) = (&p.kernel, &p.bias);
            let g = &golden.layers()[l];
            assert_eq!(
                k.as_slice(),
                g.kernel.as_slice().unwrap(),
                "layer {l} kernel"
            );
            assert_eq!(b.as_slice(), g.bias.as_slice().unwrap(), "layer {l} bias");
        }
    }
    let r = machine.report();
    println!("{:?} host; {:#?}", t.elapsed(), r);
    let _ = (F32, f32_network, ArrayView2::<f32>::from_shape((0, 0), &[]));
}

#[test]
fn f32_quick() {
    let data = digits().expect("embedded digits");
    let spec = ModelSpec::digits_default();
    let weights = spec.init_weights();
    let mut golden = f32_network(&spec, &weights).unwrap();
    let mut machine = OnMachine::<F32>::new(&spec, &weights, &MachineOptions::spinn5()).unwrap();
    let order = shuffled_indices(data.n_samples(), 7);
    let t = Instant::now();
    for batch in order.chunks(32) {
        let x: Vec<&[f32]> = batch.iter().map(|&i| data.sample(i)).collect();
        let ys: Vec<Vec<f32>> = batch.iter().map(|&i| one_hot(&data, i)).collect();
        let y: Vec<&[f32]> = ys.iter().map(|v| v.as_slice()).collect();
        let out = machine.train_batch(&x, &y).unwrap();
        let gx = Array2::from_shape_fn((batch.len(), 64), |(r, c)| x[r][c]);
        let gy = Array2::from_shape_fn((batch.len(), 10), |(r, c)| y[r][c]);
        let gl = golden.train_batch(gx.view(), gy.view()).unwrap();
        let _ = (out.loss, gl);
    }
    let mut worst = 0.0f64;
    for (l, p) in machine.parameters().iter().enumerate() {
        let (k, b) = (&p.kernel, &p.bias);
        let g = &golden.layers()[l];
        for (m, g) in k.iter().chain(b).zip(g.kernel.iter().chain(&g.bias)) {
            worst = worst.max(f64::from((m - g).abs()) / f64::from(g.abs()).max(1.0));
        }
    }
    println!(
        "{:?} host; worst {worst:e}; {:?}",
        t.elapsed(),
        machine.report().seconds
    );
}
