//! Bad input to every `spinn` command, as a table: wrong types, out-of-range and non-finite
//! numbers, missing, directory and device paths, malformed model files, `.npz` weights,
//! checkpoints and IDX data, huge sizes. Each case must fail at once (before any long
//! simulation) with the binary's exit code and one line naming what is wrong.

use spinn_dl::{Checkpoint, ModelFile, ModelSpec};
use spinn_e2e::{scratch, spinn_exit};
use std::path::Path;
use std::time::{Duration, Instant};

/// What one case may take: every error here comes before the work starts.
const QUICK: Duration = Duration::from_secs(5);

/// The binary exits 1 for every error, clap's usage errors included (`sw/cli/src/main.rs`).
const ERROR_EXIT: i32 = 1;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing a fixture");
    path.to_str().expect("a UTF-8 path").to_string()
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

const GOOD_V2: &str = "version = 2\ninput = [64]\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n";

#[test]
fn bad_input_to_every_command_fails_at_once_in_one_line() {
    let dir = scratch("bad-input");
    let d = |name: &str| dir.join(name).to_str().expect("UTF-8").to_string();

    // Model files.
    let model = |name: &str, text: &str| write(&dir, name, text.as_bytes());
    let syntax = model("syntax.toml", "version = 2\ninput = [64\n");
    let unknown_key = model(
        "unknown-key.toml",
        &GOOD_V2.replace("batch_size = 32", "batch_size = 32\nmomentun = 0.9"),
    );
    let relux = model("relux.toml", &GOOD_V2.replace("\"softmax\"", "\"relux\""));
    let version = model(
        "version.toml",
        &GOOD_V2.replace("version = 2", "version = 7"),
    );
    let negative_units = model(
        "neg-units.toml",
        &GOOD_V2.replace("dense = 10", "dense = -3"),
    );
    let zero_units = model(
        "zero-units.toml",
        &GOOD_V2.replace("dense = 10", "dense = 0"),
    );
    let huge_units = model(
        "huge-units.toml",
        &GOOD_V2.replace("dense = 10", "dense = 9223372036854775807"),
    );
    let huge_int = model(
        "huge-int.toml",
        &GOOD_V2.replace("seed = 1", "seed = 18446744073709551615"),
    );
    let nan_rate = model(
        "nan-rate.toml",
        &GOOD_V2.replace("learning_rate = 0.1", "learning_rate = nan"),
    );
    let tiny_rate = model(
        "tiny-rate.toml",
        &GOOD_V2.replace("learning_rate = 0.1", "learning_rate = 1e-300"),
    );
    let wrong_type = model(
        "wrong-type.toml",
        &GOOD_V2.replace("batch_size = 32", "batch_size = \"32\""),
    );
    let zero_epochs = model("zero-epochs.toml", &format!("epochs = 0\n{GOOD_V2}"));
    let rank4 = model(
        "rank4.toml",
        &GOOD_V2.replace("input = [64]", "input = [2, 2, 2, 8]"),
    );
    let newline_name = model(
        "newline-name.toml",
        &GOOD_V2.replace("dense = 10", "dense = 10\nname = \"a\\nb\""),
    );
    let long_line = model(
        "long-line.toml",
        &GOOD_V2.replace(
            "numeric = \"f32\"",
            &format!("numeric = \"{}\"", "f".repeat(100_000)),
        ),
    );
    let not_utf8 = write(&dir, "latin1.toml", b"seed = \"\xe9\"\n");
    let empty = model("empty.toml", "");
    let too_big = model("big.toml", &"#".repeat(2 << 20));

    // Weights for the default model, and broken ones.
    let spec = ModelSpec::digits_default();
    let weights = spinn_dl::write_npz(&spec.init_weights()).expect("weights");
    let good_npz = write(&dir, "good.npz", &weights);
    let truncated_npz = write(&dir, "truncated.npz", &weights[..weights.len() / 2]);
    let garbage_npz = write(&dir, "garbage.npz", b"PK\x03\x04 not really a zip");
    let mut flipped = weights.clone();
    // Inside the first entry's data: the stored entry fails its CRC.
    flipped[200] ^= 0xff;
    let flipped_npz = write(&dir, "flipped.npz", &flipped);
    let other_model = {
        let mut w = spec.init_weights();
        w.layers[0].name = "other".into();
        write(
            &dir,
            "other.npz",
            &spinn_dl::write_npz(&w).expect("weights"),
        )
    };
    let nan_npz = {
        let mut w = spec.init_weights();
        w.layers[1].kernel[3] = f32::NAN;
        write(&dir, "nan.npz", &spinn_dl::write_npz(&w).expect("weights"))
    };
    let wrong_shape_npz = {
        let mut w = spec.init_weights();
        w.layers[0].kernel_shape = vec![32, 256];
        w.layers[0].kernel.truncate(32 * 256);
        w.layers[0].bias = vec![0.0; 256];
        write(
            &dir,
            "shape.npz",
            &spinn_dl::write_npz(&w).expect("weights"),
        )
    };
    let empty_npz = write(&dir, "empty.npz", b"");

    // Checkpoints, and broken ones.
    let checkpoint = |epochs_done: usize, test_fraction: f64, data: &str| {
        Checkpoint {
            model: ModelFile {
                spec: spec.clone(),
                machine: Some("spinn5".into()),
                epochs: Some(2),
            },
            epochs_done,
            data: data.into(),
            test_fraction,
            weights: spec.init_weights(),
            velocities: None,
        }
        .to_bytes()
        .expect("a checkpoint")
    };
    let good_ckpt = checkpoint(1, 0.2, "digits");
    let ckpt_done = write(&dir, "done.ckpt", &checkpoint(5, 0.2, "digits"));
    let ckpt_fraction = write(&dir, "fraction.ckpt", &checkpoint(1, 1.5, "digits"));
    let ckpt_data = write(&dir, "data.ckpt", &checkpoint(1, 0.2, "cifar"));
    let ckpt_truncated = write(&dir, "truncated.ckpt", &good_ckpt[..good_ckpt.len() - 30]);

    // IDX files: 3 images of 2×2 and their labels, and broken ones.
    let images = idx(0x803, &[3, 2, 2], &[0; 12]);
    let labels = idx(0x801, &[3], &[1, 2, 3]);
    let good_images = write(&dir, "images.idx", &images);
    let good_labels = write(&dir, "labels.idx", &labels);
    let bad_magic = write(&dir, "magic.idx", &idx(0x804, &[3, 2, 2], &[0; 12]));
    let truncated_idx = write(&dir, "truncated.idx", &images[..20]);
    let header_only = write(&dir, "header.idx", &images[..6]);
    let trailing_idx = write(&dir, "trailing.idx", &[images.clone(), vec![0]].concat());
    let four_labels = write(&dir, "four.idx", &idx(0x801, &[4], &[1, 2, 3, 4]));
    let label_12 = write(&dir, "label12.idx", &idx(0x801, &[3], &[1, 12, 3]));
    let no_samples = write(&dir, "none.idx", &idx(0x803, &[0, 2, 2], &[]));
    let huge_dims = write(
        &dir,
        "huge.idx",
        &idx(0x803, &[u32::MAX, u32::MAX, u32::MAX], &[]),
    );
    let gzip_garbage = write(
        &dir,
        "garbage.idx.gz",
        b"\x1f\x8b\x08\x00garbage that does not inflate",
    );
    let gz = gzip(&images);
    let gzip_truncated = write(&dir, "truncated.idx.gz", &gz[..gz.len() / 2]);
    let idx_arg = |images: &str, labels: &str| format!("idx:{images},{labels}");

    let file = write(&dir, "a-file", b"x");
    let missing = d("missing.toml");
    let tmp = dir.to_str().expect("UTF-8").to_string();

    let cases: Vec<(Vec<String>, &str)> = vec![
        // Usage errors, which clap reports.
        (
            vec!["frobnicate".into()],
            "unrecognized subcommand 'frobnicate'",
        ),
        (
            vec!["train".into(), "--bogus".into()],
            "unexpected argument '--bogus'",
        ),
        (
            vec!["train".into(), "--epochs".into()],
            "a value is required for '--epochs <EPOCHS>'",
        ),
        (
            vec!["train".into(), "--epochs".into(), "abc".into()],
            "`abc` is not a whole number",
        ),
        (
            vec!["train".into(), "--epochs".into(), "-1".into()],
            "`-1` is negative",
        ),
        (
            vec![
                "train".into(),
                "--epochs".into(),
                "18446744073709551616".into(),
            ],
            "--epochs <EPOCHS>",
        ),
        (
            vec!["train".into(), "--batch-size".into(), "1.5".into()],
            "--batch-size <BATCH_SIZE>",
        ),
        (
            vec!["train".into(), "--seed".into(), "-1".into()],
            "--seed <SEED>",
        ),
        (
            vec!["train".into(), "--learning-rate".into(), "fast".into()],
            "--learning-rate <LEARNING_RATE>",
        ),
        (
            vec!["train".into(), "--numeric".into(), "f16".into()],
            "invalid value 'f16' for '--numeric <NUMERIC>'",
        ),
        (
            vec!["train".into(), "--data".into(), "cifar".into()],
            "unknown data set \"cifar\"",
        ),
        (
            vec!["train".into(), "--data".into(), "idx:only-one".into()],
            "idx: needs two comma-separated paths",
        ),
        (
            vec!["train".into(), "--data".into(), "idx:a,b,c".into()],
            "idx: needs two comma-separated paths",
        ),
        (
            vec![
                "train".into(),
                "--resume".into(),
                file.clone(),
                "--seed".into(),
                "2".into(),
            ],
            "cannot be used with",
        ),
        (
            vec![
                "eval".into(),
                "--split".into(),
                "middle".into(),
                "--weights-in".into(),
                good_npz.clone(),
            ],
            "--split <SPLIT>",
        ),
        (
            vec![
                "predict".into(),
                "--samples".into(),
                "-5".into(),
                "--weights-in".into(),
                good_npz.clone(),
            ],
            "`-5` is negative",
        ),
        (
            vec!["route".into(), "--numeric".into(), "double".into()],
            "--numeric <NUMERIC>",
        ),
        (
            vec!["traffic".into(), "--pattern".into(), "random".into()],
            "--pattern <PATTERN>",
        ),
        (
            vec!["traffic".into(), "--cycles".into(), "-1".into()],
            "--cycles <CYCLES>",
        ),
        (
            vec!["traffic".into(), "--wait1".into(), "256".into()],
            "`256` is not a byte",
        ),
        (
            vec!["traffic".into(), "--trace-cycles".into(), "9..3".into()],
            "`9..3` is not a cycle range",
        ),
        (
            vec!["traffic".into(), "--trace-chips".into(), "x".into()],
            "--trace-chips <TRACE_CHIPS>",
        ),
        (
            vec!["life".into(), "--generations".into(), "4294967296".into()],
            "--generations <GENERATIONS>",
        ),
        (
            vec!["life".into(), "--tiles".into(), "3by3".into()],
            "`3by3` is not a size AxB",
        ),
        (
            vec!["life".into(), "--engine".into(), "gpu".into()],
            "--engine <ENGINE>",
        ),
        (
            vec![
                "export-verilog".into(),
                "--entries".into(),
                "sixteen".into(),
            ],
            "--entries <ENTRIES>",
        ),
        (
            vec!["export-verilog".into(), "--table".into(), "hash".into()],
            "--table <TABLE>",
        ),
        (
            vec!["waveform".into(), "--cycles".into(), "1e3".into()],
            "--cycles <CYCLES>",
        ),
        (
            vec!["synth".into(), "--family".into(), "xilinx".into()],
            "--family <FAMILY>",
        ),
        (
            vec!["synth".into(), "--rotation".into(), "up".into()],
            "--rotation <ROTATION>",
        ),
        // Numbers out of range, zero, huge, non-finite.
        (
            vec!["train".into(), "--learning-rate".into(), "nan".into()],
            "learning rate NaN",
        ),
        (
            vec!["train".into(), "--learning-rate".into(), "inf".into()],
            "learning rate inf",
        ),
        (
            vec!["train".into(), "--learning-rate".into(), "-0.1".into()],
            "learning rate -0.1",
        ),
        (
            vec!["train".into(), "--learning-rate".into(), "1e-300".into()],
            "learning rate 1e-300 is 0 as an f32",
        ),
        (
            vec!["train".into(), "--learning-rate".into(), "1e300".into()],
            "learning rate 1e300 is inf as an f32",
        ),
        (
            vec!["train".into(), "--batch-size".into(), "0".into()],
            "batch size is zero",
        ),
        (
            vec![
                "train".into(),
                "--batch-size".into(),
                "18446744073709551615".into(),
            ],
            "--batch-size <BATCH_SIZE>': 18446744073709551615 samples: a batch takes 1 to 32767",
        ),
        (
            vec!["train".into(), "--epochs".into(), "0".into()],
            "--epochs 0 trains nothing",
        ),
        (
            vec!["train".into(), "--checkpoint-every".into(), "0".into()],
            "--checkpoint-every must be at least 1",
        ),
        (
            vec!["train".into(), "--test-fraction".into(), "nan".into()],
            "test fraction NaN",
        ),
        (
            vec!["train".into(), "--test-fraction".into(), "0".into()],
            "test fraction 0 is outside (0, 1)",
        ),
        (
            vec!["train".into(), "--test-fraction=-inf".into()],
            "test fraction -inf",
        ),
        (
            vec![
                "train".into(),
                "--numeric".into(),
                "fixed".into(),
                "--learning-rate".into(),
                "1e-9".into(),
            ],
            "rounds to 0 as an s16.15 constant",
        ),
        (
            vec![
                "predict".into(),
                "--samples".into(),
                "0".into(),
                "--weights-in".into(),
                good_npz.clone(),
            ],
            "--samples must be at least 1",
        ),
        (
            vec!["traffic".into(), "--rate".into(), "nan".into()],
            "got NaN",
        ),
        (
            vec!["traffic".into(), "--rate".into(), "inf".into()],
            "got inf",
        ),
        (vec!["traffic".into(), "--rate".into(), "0".into()], "got 0"),
        (
            vec![
                "traffic".into(),
                "--cycles".into(),
                "18446744073709551615".into(),
            ],
            "more than the 250000000 a run measures",
        ),
        (
            vec![
                "traffic".into(),
                "--pattern".into(),
                "multicast".into(),
                "--fanout".into(),
                "0".into(),
            ],
            "multicast fanout 0: a packet needs 1 to 47 destination chips",
        ),
        (
            vec![
                "traffic".into(),
                "--pattern".into(),
                "multicast".into(),
                "--fanout".into(),
                "18446744073709551615".into(),
            ],
            "multicast fanout 18446744073709551615",
        ),
        (
            vec!["life".into(), "--tiles".into(), "0x0".into()],
            "tiles across must be at least 3, got 0",
        ),
        (
            vec!["life".into(), "--tile-size".into(), "0x4".into()],
            "a tile must be at least 1x1 cells, got 0x4",
        ),
        (
            vec![
                "life".into(),
                "--tiles".into(),
                "18446744073709551615x18446744073709551615".into(),
            ],
            "at most one per application core",
        ),
        (
            vec!["life".into(), "--gap".into(), "18446744073709551615".into()],
            "the send gap must be at most",
        ),
        (
            vec!["export-verilog".into(), "--entries".into(), "0".into()],
            "unsupported register table entries 0",
        ),
        (
            vec![
                "export-verilog".into(),
                "--entries".into(),
                "18446744073709551615".into(),
            ],
            "entries 18446744073709551615",
        ),
        (
            vec!["export-verilog".into(), "--p2p-entries".into(), "0".into()],
            "unsupported P2P table entries 0",
        ),
        (
            vec![
                "export-verilog".into(),
                "--table".into(),
                "banked".into(),
                "--entries".into(),
                "1024".into(),
                "--banks".into(),
                "3".into(),
            ],
            "no banked table of 1024 entries in 3 banks",
        ),
        (
            vec![
                "waveform".into(),
                "--cycles".into(),
                "18446744073709551615".into(),
            ],
            "--cycles 18446744073709551615 is more than the 100000",
        ),
        (vec!["synth".into(), "--seed".into(), "2".into()], "--pnr"),
        // Machines.
        (
            vec!["route".into(), "--machine".into(), "0x0".into()],
            "--machine 0x0",
        ),
        (
            vec!["route".into(), "--machine".into(), "65536x2".into()],
            "--machine 65536x2",
        ),
        (
            vec![
                "route".into(),
                "--machine".into(),
                "boards:18446744073709551615".into(),
            ],
            "--machine boards:18446744073709551615",
        ),
        (
            vec!["traffic".into(), "--machine".into(), "300x300".into()],
            "exceeds the 256 chips per axis",
        ),
        (
            vec!["life".into(), "--machine".into(), "boards-nowrap:0".into()],
            "--machine boards-nowrap:0",
        ),
        (
            vec!["train".into(), "--machine".into(), "spinn9".into()],
            "--machine spinn9",
        ),
        // Paths: missing, a directory, devices, a pipe-like node.
        (
            vec!["train".into(), "--model".into(), missing.clone()],
            "missing.toml",
        ),
        (
            vec!["route".into(), "--model".into(), tmp.clone()],
            "not a regular file",
        ),
        (
            vec!["route".into(), "--model".into(), "/dev/zero".into()],
            "cannot read model file /dev/zero: not a regular file",
        ),
        (
            vec!["train".into(), "--model".into(), "/dev/urandom".into()],
            "cannot read model file /dev/urandom: not a regular file",
        ),
        (
            vec!["train".into(), "--weights-in".into(), "/dev/zero".into()],
            "cannot read /dev/zero: not a regular file",
        ),
        (
            vec!["eval".into()],
            "not provided: --weights-in <WEIGHTS_IN>",
        ),
        (
            vec!["predict".into()],
            "not provided: --weights-in <WEIGHTS_IN>",
        ),
        (
            vec!["train".into(), "--dead-chip".into(), "3".into()],
            "--dead-chip <X,Y>",
        ),
        (
            vec!["traffic".into(), "--dead-link".into(), "1,1,UP".into()],
            "DIR one of E, NE, N, W, SW, S",
        ),
        (
            vec!["life".into(), "--dead-core".into(), "1,1,18".into()],
            "a chip has cores 0-17",
        ),
        (
            vec!["train".into(), "--drop-rate".into(), "NaN".into()],
            "--drop-rate <R>",
        ),
        (
            vec!["traffic".into(), "--random-faults".into(), "-1".into()],
            "--random-faults <N>",
        ),
        (
            vec!["life".into(), "--dead-chip".into(), "40,40".into()],
            "dead chip (40, 40): chip (40, 40) is not a live chip",
        ),
        (
            vec!["traffic".into(), "--random-faults".into(), "100000".into()],
            "--random-faults 100000: no live chip, link or core is left",
        ),
        (
            vec!["eval".into(), "--weights-in".into(), "/dev/urandom".into()],
            "cannot read /dev/urandom: not a regular file",
        ),
        (
            vec!["predict".into(), "--weights-in".into(), tmp.clone()],
            "not a regular file",
        ),
        (
            vec!["eval".into(), "--weights-in".into(), d("missing.npz")],
            "missing.npz",
        ),
        (
            vec!["train".into(), "--resume".into(), "/dev/zero".into()],
            "checkpoint /dev/zero is not a regular file",
        ),
        (
            vec!["train".into(), "--resume".into(), d("missing.ckpt")],
            "missing.ckpt",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg("/dev/zero", &good_labels),
            ],
            "cannot read /dev/zero: not a regular file",
        ),
        (
            vec![
                "eval".into(),
                "--weights-in".into(),
                good_npz.clone(),
                "--data".into(),
                idx_arg(&good_images, &tmp),
            ],
            "not a regular file",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&d("missing-images"), &good_labels),
            ],
            "missing-images",
        ),
        (
            vec!["train".into(), "--out".into(), file.clone()],
            "is not a directory",
        ),
        (
            vec!["train".into(), "--weights-out".into(), tmp.clone()],
            "is not writable",
        ),
        (
            vec![
                "predict".into(),
                "--weights-in".into(),
                good_npz.clone(),
                "--csv".into(),
                tmp.clone(),
            ],
            "is not writable",
        ),
        (
            vec!["route".into(), "--out".into(), file.clone()],
            "is not a directory",
        ),
        (
            vec!["traffic".into(), "--out".into(), "/dev/null".into()],
            "--out /dev/null is not a directory",
        ),
        (
            vec!["traffic".into(), "--vcd".into(), tmp.clone()],
            "Is a directory",
        ),
        (
            vec!["export-verilog".into(), "--out".into(), tmp.clone()],
            "Is a directory",
        ),
        (
            vec!["export-verilog".into(), "--out".into(), "/dev/full".into()],
            "No space left on device",
        ),
        (
            vec!["waveform".into(), "--out".into(), tmp.clone()],
            "Is a directory",
        ),
        // Malformed model files.
        (
            vec!["route".into(), "--model".into(), syntax],
            "syntax.toml:3:1: invalid array",
        ),
        (
            vec!["route".into(), "--model".into(), unknown_key],
            "unknown field `momentun`",
        ),
        (
            vec!["route".into(), "--model".into(), relux],
            "unknown activation \"relux\"",
        ),
        (
            vec!["route".into(), "--model".into(), version],
            "model file version 7 is not supported",
        ),
        (
            vec!["train".into(), "--model".into(), negative_units],
            "neg-units.toml:",
        ),
        (
            vec!["train".into(), "--model".into(), zero_units],
            "layers[0].dense",
        ),
        (
            vec!["route".into(), "--model".into(), huge_units],
            "layers[0].dense",
        ),
        (
            vec!["route".into(), "--model".into(), huge_int],
            "huge-int.toml:3:",
        ),
        (
            vec!["train".into(), "--model".into(), nan_rate],
            "learning rate NaN",
        ),
        (
            vec!["train".into(), "--model".into(), tiny_rate],
            "optimizer.sgd.learning_rate: learning rate 1e-300 is 0 as an f32",
        ),
        (
            vec!["route".into(), "--model".into(), wrong_type],
            "batch_size",
        ),
        (
            vec!["train".into(), "--model".into(), zero_epochs],
            "epochs must be at least 1",
        ),
        (vec!["route".into(), "--model".into(), rank4], "has rank 4"),
        (
            vec!["route".into(), "--model".into(), newline_name],
            "control characters",
        ),
        (
            vec!["route".into(), "--model".into(), long_line],
            "unknown numeric mode",
        ),
        (
            vec!["route".into(), "--model".into(), not_utf8],
            "latin1.toml",
        ),
        (
            vec!["route".into(), "--model".into(), empty],
            "empty.toml:1:1: missing field",
        ),
        (
            vec!["route".into(), "--model".into(), too_big],
            "more than the 1048576 a model file may have",
        ),
        // Malformed weights.
        (
            vec!["eval".into(), "--weights-in".into(), truncated_npz],
            "not a .npz (zip) archive",
        ),
        (
            vec!["eval".into(), "--weights-in".into(), garbage_npz],
            "not a .npz (zip) archive",
        ),
        (
            vec!["eval".into(), "--weights-in".into(), empty_npz],
            "not a .npz (zip) archive",
        ),
        (
            vec!["predict".into(), "--weights-in".into(), flipped_npz],
            "dense/kernel.npy: cannot read zip entry",
        ),
        (
            vec!["train".into(), "--weights-in".into(), other_model],
            "the archive is for another model",
        ),
        (
            vec!["eval".into(), "--weights-in".into(), nan_npz],
            "dense_1/kernel: value NaN at flat index 3",
        ),
        (
            vec![
                "eval".into(),
                "--weights-in".into(),
                wrong_shape_npz.clone(),
            ],
            "dense/kernel: shape (32, 256) but the model needs (64, 128)",
        ),
        (
            vec!["train".into(), "--resume".into(), good_npz.clone()],
            "this is not a checkpoint written by --checkpoint-every",
        ),
        // Malformed checkpoints.
        (
            vec!["train".into(), "--resume".into(), ckpt_done],
            "epochs_done = 5",
        ),
        (
            vec!["train".into(), "--resume".into(), ckpt_fraction],
            "test_fraction = 1.5",
        ),
        (
            vec!["train".into(), "--resume".into(), ckpt_data],
            "unknown data set \"cifar\"",
        ),
        (
            vec!["train".into(), "--resume".into(), ckpt_truncated],
            "not a checkpoint",
        ),
        (
            vec!["train".into(), "--resume".into(), wrong_shape_npz],
            "this is not a checkpoint",
        ),
        // Malformed IDX data.
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&bad_magic, &good_labels),
            ],
            "wrong magic number 0x00000804, expected 0x00000803",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&good_labels, &good_images),
            ],
            "wrong magic number 0x00000801, expected 0x00000803",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&truncated_idx, &good_labels),
            ],
            "truncated, 20 bytes but the header needs 28",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&header_only, &good_labels),
            ],
            "truncated, 6 bytes but the header needs 16",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&trailing_idx, &good_labels),
            ],
            "1 bytes after the 28 bytes",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&good_images, &four_labels),
            ],
            "has 3 images but",
        ),
        (
            vec![
                "eval".into(),
                "--weights-in".into(),
                good_npz.clone(),
                "--data".into(),
                idx_arg(&good_images, &label_12),
            ],
            "label 12 of sample 1 is not below 10",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&no_samples, &good_labels),
            ],
            "no samples",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&huge_dims, &good_labels),
            ],
            "more than 1 GiB of data",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&gzip_garbage, &good_labels),
            ],
            "garbage.idx.gz: cannot decompress gzip data",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&gzip_truncated, &good_labels),
            ],
            "truncated.idx.gz: cannot decompress gzip data",
        ),
        (
            vec![
                "train".into(),
                "--data".into(),
                idx_arg(&good_images, &good_labels),
            ],
            "data set train has samples of 4 values",
        ),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut commands = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (args, expected) in &cases {
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        // The training and forward commands draw progress otherwise; the rest take no flag.
        if ["train", "eval", "predict", "traffic", "life"].contains(&argv[0]) {
            argv.push("--no-progress");
        }
        commands.insert(argv[0].to_string());
        let started = Instant::now();
        let (code, message) = spinn_exit(&argv);
        let took = started.elapsed();
        let shown = format!("spinn {}", argv.join(" "));
        if code != ERROR_EXIT {
            failures.push(format!(
                "{shown}: exit {code}, expected {ERROR_EXIT}: {message:.300}"
            ));
        } else if message.lines().count() != 1 {
            failures.push(format!("{shown}: not one line: {message:?}"));
        } else if !message.contains(expected) {
            failures.push(format!("{shown}: {expected:?} not in {message:?}"));
        } else if message.chars().count() > 600 {
            failures.push(format!(
                "{shown}: {} characters: {message:.300}",
                message.len()
            ));
        }
        if took > QUICK {
            failures.push(format!("{shown}: took {took:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Every subcommand `spinn --help` lists is covered.
    let (_, help) = spinn_exit(&["--help"]);
    for line in help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
    {
        let Some(name) = line.split_whitespace().next() else {
            break;
        };
        if name == "help" {
            continue;
        }
        assert!(
            commands.contains(name),
            "no bad-input case for `spinn {name}`"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
