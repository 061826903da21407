//! The golden graph reference training a small residual convolutional network on MNIST
//! (8,000 training and 2,000 test images of 28 × 28, split with seed 1, shuffled per epoch) in
//! f32 and in s16.15: loss, test accuracy and host time per epoch, and the host time per
//! sample of one training step (forward, backward and update), the baseline the machine's
//! graph training is compared with.
//!
//! The model (about 0.46 M multiply-accumulates per sample forward): conv2d 8 3×3 same relu →
//! max_pooling2d 2 → conv2d 8 3×3 same relu → conv2d 8 3×3 same → add with the pool, relu →
//! conv2d 16 3×3 stride 2 same relu → conv2d 16 3×3 same, plus a 1×1 stride-2 shortcut conv2d
//! 16 of the first add → add, relu → global_average_pooling2d → dense 10 softmax; categorical
//! cross-entropy, SGD lr 0.05 with momentum 0.9, batch 32, seed 1.
//!
//! Run with `cargo run --release -p spinn-verif --example golden_mnist [epochs] [images] [labels]`;
//! the IDX files default to the MNIST subset in `../shared/data`.

use ndarray::{Array2, ArrayView2};
use spinn_dl::ops::{Add, Conv, Dense, Dims, GlobalPool, Padding, Pool, PoolKind};
use spinn_dl::{read_idx, shuffled_indices, Activation, Dataset, Loss, ModelSpec, NumericMode};
use spinn_dl::{Op, Shape};
use spinn_verif::golden::from_spec::{f32_graph, fixed_graph};
use spinn_verif::golden::s16_15::to_fixed;
use spinn_verif::golden::{FixedLimits, GraphNetwork, Numeric};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const BATCH: usize = 32;

/// The residual model of the module doc.
fn model() -> ModelSpec {
    let conv = |filters, kernel: usize, stride: usize, activation| {
        Op::Conv(Conv::conv2d(
            filters,
            [kernel, kernel],
            [stride, stride],
            Padding::Same,
            activation,
        ))
    };
    let add = |activation| Op::Add(Add { activation });
    ModelSpec::builder_for(Shape::new(vec![28, 28, 1]))
        .named("c1", conv(8, 3, 1, Activation::Relu), &[])
        .named("pool", Op::Pool(Pool::new_2d(PoolKind::Max, [2, 2])), &[])
        .named("c2", conv(8, 3, 1, Activation::Relu), &[])
        .named("c3", conv(8, 3, 1, Activation::Identity), &[])
        .named("add1", add(Activation::Relu), &["pool", "c3"])
        .named("c4", conv(16, 3, 2, Activation::Relu), &[])
        .named("c5", conv(16, 3, 1, Activation::Identity), &[])
        .named("short", conv(16, 1, 2, Activation::Identity), &["add1"])
        .named("add2", add(Activation::Relu), &["c5", "short"])
        .named("gap", Op::GlobalPool(GlobalPool { dims: Dims::Two }), &[])
        .named(
            "out",
            Op::Dense(Dense {
                units: 10,
                activation: Activation::Softmax,
            }),
            &[],
        )
        .loss(Loss::CategoricalCrossEntropy)
        .sgd(0.05, BATCH)
        .momentum(0.9)
        .numeric(NumericMode::F32)
        .seed(1)
        .build()
        .expect("invariant: the example model is valid")
}

/// The rows `order` of a data set as (inputs, one-hot labels) in a mode's values.
fn matrices<V: Copy>(
    data: &Dataset,
    order: &[usize],
    value: impl Fn(f32) -> V,
) -> (Array2<V>, Array2<V>) {
    let x = Array2::from_shape_fn((order.len(), data.n_features), |(r, c)| {
        value(data.sample(order[r])[c])
    });
    let y = Array2::from_shape_fn((order.len(), data.n_classes), |(r, c)| {
        value(if usize::from(data.labels[order[r]]) == c {
            1.0
        } else {
            0.0
        })
    });
    (x, y)
}

/// The fraction of `x`'s rows whose largest output is the label.
fn accuracy<M: Numeric>(net: &GraphNetwork<M>, x: ArrayView2<'_, M::Value>, labels: &[u8]) -> f64 {
    let mut hits = 0;
    for (chunk, labels) in x
        .axis_chunks_iter(ndarray::Axis(0), 500)
        .zip(labels.chunks(500))
    {
        let p = net.predict(chunk).expect("the test set fits the model");
        for (row, &label) in p.rows().into_iter().zip(labels) {
            let best = (0..row.len())
                .reduce(|a, b| if row[b] > row[a] { b } else { a })
                .expect("ten outputs");
            hits += usize::from(best == usize::from(label));
        }
    }
    hits as f64 / labels.len() as f64
}

/// Trains `net` for `epochs` and prints each epoch; returns the host time spent in
/// `train_batch` and the samples it trained on.
fn run<M: Numeric>(
    name: &str,
    mut net: GraphNetwork<M>,
    train: &Dataset,
    test: &Dataset,
    epochs: usize,
    value: impl Fn(f32) -> M::Value + Copy,
) -> (Duration, usize) {
    let all: Vec<usize> = (0..test.n_samples()).collect();
    let (test_x, _) = matrices(test, &all, value);
    let (mut trained, mut samples) = (Duration::ZERO, 0);
    for epoch in 1..=epochs {
        let order = shuffled_indices(train.n_samples(), epoch as u64);
        let (mut loss_sum, mut batches) = (0.0, 0);
        let epoch_start = Instant::now();
        let mut epoch_trained = Duration::ZERO;
        for batch in order.chunks(BATCH) {
            let (x, y) = matrices(train, batch, value);
            let start = Instant::now();
            loss_sum += net.train_batch(x.view(), y.view()).expect("a valid batch");
            epoch_trained += start.elapsed();
            batches += 1;
            samples += batch.len();
        }
        trained += epoch_trained;
        let acc = accuracy(&net, test_x.view(), &test.labels);
        println!(
            "{name:>6} epoch {epoch}: mean loss {:.4}, test accuracy {:.2} %, {:.1} s ({:.1} s training, {:.0} µs per sample)",
            loss_sum / batches as f64,
            100.0 * acc,
            epoch_start.elapsed().as_secs_f64(),
            epoch_trained.as_secs_f64(),
            epoch_trained.as_secs_f64() * 1e6 / train.n_samples() as f64,
        );
    }
    (trained, samples)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let epochs: usize = args
        .next()
        .map(|a| a.parse().expect("epochs is a number"))
        .unwrap_or(1);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let images = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("mnist10k-images-idx3-ubyte.gz"));
    let labels = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("mnist10k-labels-idx1-ubyte.gz"));
    let data = match read_idx(&images, &labels) {
        Ok(data) => data,
        Err(err) => {
            eprintln!("golden_mnist: {err}");
            std::process::exit(1);
        }
    };
    let (train, test) = data.split(0.2, 1).expect("10,000 samples split");
    println!(
        "MNIST: {} training and {} test images; batch {BATCH}",
        train.n_samples(),
        test.n_samples()
    );
    let spec = model();
    let weights = spec.init_weights();
    let limits = FixedLimits { max_abs: 1 << 24 };
    let float = f32_graph(&spec, &weights).expect("the model converts");
    let fixed = fixed_graph(&spec, &weights, limits).expect("the model converts");
    for (name, (time, samples)) in [
        ("f32", run("f32", float, &train, &test, epochs, |v| v)),
        (
            "s16.15",
            run("s16.15", fixed, &train, &test, epochs, |v| {
                to_fixed(f64::from(v))
            }),
        ),
    ] {
        println!(
            "{name:>6}: {:.0} µs per sample per training step (forward, backward, update; batch {BATCH})",
            time.as_secs_f64() * 1e6 / samples as f64
        );
    }
}
