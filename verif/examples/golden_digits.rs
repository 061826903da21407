//! The golden reference training the default digits model (Dense 64-128-10, relu, softmax with
//! cross-entropy, SGD lr 0.1, batch 32) on the embedded digits set, in f32 and in s16.15: test
//! accuracy per epoch and host seconds per epoch, the baseline the machine's training is held
//! to (issue 5: equal results, at most 20× the host time).
//!
//! Run with `cargo run --release -p spinn-verif --example golden_digits [epochs]`.

use ndarray::{Array2, ArrayView2};
use spinn_dl::{digits, shuffled_indices, Dataset, ModelSpec};
use spinn_verif::golden::from_spec::{f32_network, fixed_network};
use spinn_verif::golden::s16_15::{to_fixed, ONE};
use spinn_verif::golden::{FixedLimits, Network, Numeric};
use std::time::Instant;

fn matrices<V: Clone>(
    data: &Dataset,
    order: &[usize],
    value: impl Fn(f32) -> V,
    one: V,
    zero: V,
) -> (Array2<V>, Array2<V>) {
    let x = Array2::from_shape_fn((order.len(), data.n_features), |(r, c)| {
        value(data.sample(order[r])[c])
    });
    let y = Array2::from_shape_fn((order.len(), data.n_classes), |(r, c)| {
        if data.labels[order[r]] as usize == c {
            one.clone()
        } else {
            zero.clone()
        }
    });
    (x, y)
}

fn accuracy<M: Numeric>(net: &Network<M>, x: ArrayView2<'_, M::Value>, labels: &[u8]) -> f64
where
    M::Value: PartialOrd + Copy,
{
    let p = net.predict(x).expect("the test set fits the model");
    let hits = p
        .rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, &label)| {
            let best = (0..row.len())
                .max_by(|&a, &b| row[a].partial_cmp(&row[b]).expect("no NaN"))
                .expect("ten outputs");
            best == label as usize
        })
        .count();
    hits as f64 / labels.len() as f64
}

/// How a numeric mode encodes the data set.
struct Encoding<V, F: Fn(f32) -> V + Copy> {
    value: F,
    one: V,
    zero: V,
}

/// The data, the schedule and the batch size.
struct Run<'a> {
    train: &'a Dataset,
    test: &'a Dataset,
    epochs: usize,
    batch: usize,
}

fn train<M: Numeric, F: Fn(f32) -> M::Value + Copy>(
    name: &str,
    mut net: Network<M>,
    run: &Run,
    encoding: Encoding<M::Value, F>,
) where
    M::Value: PartialOrd + Copy,
{
    let Run {
        train,
        test,
        epochs,
        batch,
    } = *run;
    let Encoding { value, one, zero } = encoding;
    let all: Vec<usize> = (0..test.n_samples()).collect();
    let (test_x, _) = matrices(test, &all, value, one, zero);
    let mut total = 0.0;
    for epoch in 0..epochs {
        let started = Instant::now();
        let order = shuffled_indices(train.n_samples(), 1000 + epoch as u64);
        let mut loss = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(batch) {
            let (x, y) = matrices(train, chunk, value, one, zero);
            loss += net.train_batch(x.view(), y.view()).expect("training step");
            batches += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        total += seconds;
        let acc = accuracy(&net, test_x.view(), &test.labels);
        println!(
            "{name:>5} epoch {:>3}: loss {:.4}, test accuracy {:.2} %, {:.3} s",
            epoch + 1,
            loss / batches as f64,
            100.0 * acc,
            seconds
        );
    }
    println!(
        "{name:>5}: {:.3} host s per epoch on average",
        total / epochs as f64
    );
}

fn main() {
    let epochs = std::env::args()
        .nth(1)
        .and_then(|e| e.parse().ok())
        .unwrap_or(20);
    let spec = ModelSpec::digits_default();
    let weights = spec.init_weights();
    let data = digits().expect("the embedded digits set");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let batch = spec.optimizer().batch_size();
    println!(
        "digits: {} training and {} test samples; batch {batch}",
        train_set.n_samples(),
        test_set.n_samples()
    );
    let run = Run {
        train: &train_set,
        test: &test_set,
        epochs,
        batch,
    };
    let net = f32_network(&spec, &weights).expect("a valid model");
    let floats = Encoding {
        value: |v| v,
        one: 1.0,
        zero: 0.0,
    };
    train("f32", net, &run, floats);
    let limits = FixedLimits { max_abs: 1 << 24 };
    let net = fixed_network(&spec, &weights, limits).expect("a valid model");
    let fixed = Encoding {
        value: |v| to_fixed(f64::from(v)),
        one: ONE,
        zero: 0,
    };
    train("fixed", net, &run, fixed);
}
