//! `spinn train` on graphs end to end: the shipped model files, the digits CNN to its
//! documented accuracy, data from IDX files, and one-line errors for bad models and data.

use spinn_e2e::{scratch, spinn};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn model(name: &str) -> String {
    root()
        .join("models")
        .join(name)
        .to_str()
        .expect("a UTF-8 path")
        .to_string()
}

/// The percentage after `what` on the report's line that starts with `line`.
fn percent(report: &str, line: &str, what: &str) -> f64 {
    let text = report
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or_else(|| panic!("no line {line:?} in\n{report}"));
    let at = text
        .find(what)
        .unwrap_or_else(|| panic!("no {what:?} in {text}"))
        + what.len();
    text[at..]
        .split('%')
        .next()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no number after {what:?} in {text}"))
}

/// The digits CNN reaches its documented accuracy on a SpiN-5 board, equal to the golden
/// reference bit for bit, with no packet dropped (issue 11's second criterion).
#[test]
fn the_digits_cnn_trains_to_97_percent_equal_to_the_reference() {
    let report = spinn(&[
        "train",
        "--model",
        &model("digits-cnn.toml"),
        "--no-progress",
    ])
    .expect("train");
    for expected in [
        "model: (8, 8, 1) -> conv2d (8, 8, 8) relu -> max_pooling2d (4, 4, 8) -> conv2d_1 (4, 4, 16) relu",
        "machine: SpiNN-5 board",
        "epoch  15: ",
        ", 0 dropped, 0 dumped, 0 re-injected",
        "matches golden:     yes, bit-exact (675 batches",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }
    let accuracy = percent(&report, "test accuracy:", "test accuracy:");
    assert!(accuracy >= 97.0, "{accuracy} % in\n{report}");
}

/// Every shipped model parses, fits a SpiN-5 board and trains a batch with the reference.
#[test]
fn every_shipped_model_maps_onto_a_board() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("models"))
        .expect("the models directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .to_string()
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "digits-cnn.toml",
            "digits-mlp.toml",
            "mnist-cnn.toml",
            "mnist-resnet.toml"
        ]
    );
    for name in names {
        let file = spinn_dl::ModelFile::read(&root().join("models").join(&name))
            .unwrap_or_else(|e| panic!("{e}"));
        let plan = spinn_dl::machine::plan(&file.spec, &spinn_dl::machine::PlanConfig::SPINNAKER1)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.fits(file.spec.graph()), "{name}");
        assert!(
            plan.n_cores() + 3 <= spinn_arch::Machine::spinn5().chips().count() * 17,
            "{name}"
        );
    }
}

/// Writes `images` (each `rows × cols` bytes) and their labels as IDX files.
fn idx(dir: &Path, rows: usize, cols: usize, images: &[Vec<u8>], labels: &[u8]) -> String {
    let mut image_bytes = vec![0, 0, 8, 3];
    for n in [images.len(), rows, cols] {
        image_bytes.extend((n as u32).to_be_bytes());
    }
    for image in images {
        image_bytes.extend(image);
    }
    let mut label_bytes = vec![0, 0, 8, 1];
    label_bytes.extend((labels.len() as u32).to_be_bytes());
    label_bytes.extend(labels);
    let (i, l) = (dir.join("images.idx"), dir.join("labels.idx"));
    std::fs::write(&i, image_bytes).expect("write images");
    std::fs::write(&l, label_bytes).expect("write labels");
    format!("idx:{},{}", i.display(), l.display())
}

/// IDX files train the default model when their images have its 64 inputs; wrong files are
/// one-line errors naming the file.
#[test]
fn idx_data_trains_and_bad_data_is_named() {
    let dir = scratch("networks-idx");
    let images: Vec<Vec<u8>> = (0..40u8)
        .map(|i| {
            (0..64u8)
                .map(|p| p.wrapping_mul(i).wrapping_add(i))
                .collect()
        })
        .collect();
    let labels: Vec<u8> = (0..40u8).map(|i| i % 10).collect();
    let data = idx(&dir, 8, 8, &images, &labels);
    let report = spinn(&["train", "--data", &data, "--epochs", "1", "--no-progress"])
        .expect("train on IDX files");
    assert!(
        report.contains("32 training and 8 test samples"),
        "{report}"
    );
    assert!(report.contains("matches golden:     yes"), "{report}");

    let bad = scratch("networks-idx-bad");
    let wrong = idx(&bad, 8, 8, &images, &labels[..39]);
    let err = spinn(&["train", "--data", &wrong, "--no-progress"]).expect_err("count mismatch");
    assert!(
        format!("{err:#}").contains("has 40 images but")
            && format!("{err:#}").contains("39 labels"),
        "{err:#}"
    );
    std::fs::write(bad.join("images.idx"), [0u8, 0, 8, 1, 0, 0, 0, 0]).expect("write");
    let err = spinn(&["train", "--data", &wrong, "--no-progress"]).expect_err("wrong magic");
    assert!(format!("{err:#}").contains("wrong magic number"), "{err:#}");
    std::fs::write(bad.join("images.idx"), [0u8, 0, 8, 3, 0, 0, 0, 9]).expect("write");
    let err = spinn(&["train", "--data", &wrong, "--no-progress"]).expect_err("truncated");
    assert!(format!("{err:#}").contains("truncated"), "{err:#}");
    let err = spinn(&["train", "--data", "cifar", "--no-progress"]).expect_err("unknown set");
    assert!(
        format!("{err:#}").contains("unknown data set \"cifar\""),
        "{err:#}"
    );
    // MNIST's 784 values per image into the digits CNN's (8, 8, 1) input.
    let err = spinn(&[
        "train",
        "--model",
        &model("digits-cnn.toml"),
        "--data",
        "mnist",
        "--no-progress",
    ])
    .expect_err("shape mismatch");
    assert!(
        format!("{err:#}").contains("samples of 784 values, the model's input (8, 8, 1) takes 64"),
        "{err:#}"
    );
}

/// A bad graph in a model file is one line naming the file, line, key and layer.
#[test]
fn bad_graphs_are_named() {
    let dir = scratch("networks-bad-graph");
    let text = std::fs::read_to_string(root().join("models/mnist-resnet.toml"))
        .expect("the model")
        .replace(
            "inputs = [\"pool\", \"b1_conv2\"]",
            "inputs = [\"pool\", \"b1_conv9\"]",
        );
    let path = dir.join("broken.toml");
    std::fs::write(&path, text).expect("write");
    let err = spinn(&[
        "train",
        "--model",
        path.to_str().expect("UTF-8"),
        "--data",
        "mnist",
        "--no-progress",
    ])
    .expect_err("unknown input");
    let message = format!("{err:#}");
    assert!(message.contains("broken.toml:"), "{message}");
    assert!(
        message.contains("input \"b1_conv9\" is neither the input nor an earlier layer"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}
