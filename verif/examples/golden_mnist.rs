//! The golden graph reference alone, training a model file on the embedded MNIST subset
//! (8,000 training and 2,000 test images of 28 × 28, split with the model's seed, shuffled per
//! epoch as `spinn train` does): per epoch the training loss, the test accuracy and the host
//! time, then the host time per training sample. It is how the shipped MNIST models were
//! chosen (a reference epoch takes seconds where the machine's takes minutes), and the
//! baseline the machine's host time is compared with.
//!
//! Run with `cargo run --release -p spinn-verif --example golden_mnist [MODEL] [EPOCHS]`
//! (default: `models/mnist-resnet.toml` and the file's `epochs`).

use ndarray::Array2;
use spinn_dl::train::{argmax, one_hot};
use spinn_dl::{mnist, shuffled_indices, ModelFile, NumericMode};
use spinn_verif::golden::from_spec::{f32_graph, fixed_graph};
use spinn_verif::golden::s16_15::{from_fixed, to_fixed};
use spinn_verif::golden::{GraphNetwork, Numeric};
use spinn_verif::training::FIXED_LIMITS;
use std::path::Path;
use std::time::Instant;

fn run<M: Numeric>(
    mut golden: GraphNetwork<M>,
    file: &ModelFile,
    epochs: usize,
    value: impl Fn(f32) -> M::Value,
    real: impl Fn(M::Value) -> f32,
) {
    let spec = &file.spec;
    let (train, test) = mnist()
        .expect("the embedded MNIST subset")
        .split(0.2, spec.seed())
        .expect("a valid split");
    let batch = spec.optimizer().batch_size();
    let rows = |data: &spinn_dl::Dataset, indices: &[usize]| {
        let x = Array2::from_shape_fn((indices.len(), data.n_features), |(r, c)| {
            value(data.sample(indices[r])[c])
        });
        let labels = one_hot(data, indices);
        let y = Array2::from_shape_fn((indices.len(), data.n_classes), |(r, c)| {
            value(labels[r][c])
        });
        (x, y)
    };
    let started = Instant::now();
    let mut training = 0.0;
    for epoch in 1..=epochs {
        let order = shuffled_indices(train.n_samples(), spec.seed().wrapping_add(epoch as u64));
        let mut loss = 0.0;
        let epoch_started = Instant::now();
        for chunk in order.chunks(batch) {
            let (x, y) = rows(&train, chunk);
            loss += golden
                .train_batch(x.view(), y.view())
                .unwrap_or_else(|e| panic!("epoch {epoch}: {e}"))
                * chunk.len() as f64;
        }
        training += epoch_started.elapsed().as_secs_f64();
        let indices: Vec<usize> = (0..test.n_samples()).collect();
        let mut correct = 0;
        for chunk in indices.chunks(256) {
            let (x, _) = rows(&test, chunk);
            let outputs = golden.predict(x.view()).expect("a valid batch");
            for (row, &i) in outputs.rows().into_iter().zip(chunk) {
                let row: Vec<f32> = row.iter().map(|&v| real(v)).collect();
                correct += usize::from(argmax(&row) == test.labels[i] as usize);
            }
        }
        println!(
            "epoch {epoch:>2}: loss {:.4}, test accuracy {:.2}% ({:.1} s)",
            loss / train.n_samples() as f64,
            100.0 * correct as f64 / test.n_samples() as f64,
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "{}: {:.0} µs of host time per training sample (forward, backward and update)",
        spec.numeric().name(),
        1e6 * training / (epochs * train.n_samples()) as f64
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/mnist-resnet.toml".to_string());
    let file = ModelFile::read(&root.join(&model)).unwrap_or_else(|e| panic!("{e}"));
    let epochs = std::env::args()
        .nth(2)
        .map(|e| e.parse().expect("EPOCHS: a number"))
        .or(file.epochs)
        .unwrap_or(15);
    let weights = file.spec.init_weights();
    println!("{model}: {epochs} epochs on the golden reference");
    match file.spec.numeric() {
        NumericMode::F32 => run(
            f32_graph(&file.spec, &weights).expect("the reference takes the model"),
            &file,
            epochs,
            |v| v,
            |v| v,
        ),
        NumericMode::Fixed => run(
            fixed_graph(&file.spec, &weights, FIXED_LIMITS).expect("the reference takes the model"),
            &file,
            epochs,
            |v| to_fixed(f64::from(v)),
            |v| from_fixed(v) as f32,
        ),
    }
}
