//! The `spinn` binary as a user runs it: every `--help` example as printed, the files `--out`
//! writes, `eval` and `predict` agreeing with `train`, a resumed run equal to an uninterrupted
//! one, `route` on every chip, and bad input ending in one line on stderr and a non-zero exit.

use spinn_verif::tools::{require, YOSYS};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory holding a copy of the project's `models/`, as a clone's root would.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spinn-binary-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let models = dir.join("models");
    std::fs::create_dir_all(&models).expect("creating a scratch directory");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    for entry in std::fs::read_dir(&shipped).expect("the shipped models") {
        let path = entry.expect("a model").path();
        std::fs::copy(&path, models.join(path.file_name().expect("a file name")))
            .expect("copying a model");
    }
    dir
}

fn spinn(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spinn"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running spinn")
}

/// Runs `args`, which must succeed; returns standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = spinn(dir, args);
    assert!(
        out.status.success(),
        "spinn {}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Width, height and RGB pixels of a PNG file.
fn png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a bounded image")];
    let frame = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(frame.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(frame.buffer_size());
    (frame.width, frame.height, buf)
}

#[test]
fn every_help_example_runs_as_printed() {
    let dir = workdir("examples");
    let with_yosys = require(YOSYS, "every_help_example_runs_as_printed (synth)").is_some();
    for (command, examples) in spinn_cli::help_examples() {
        assert!(
            !examples.is_empty(),
            "`spinn {command} --help` has no example"
        );
        let help = ok(&dir, &[&command, "--help"]);
        for example in examples {
            assert!(help.contains(&example), "{command} --help lacks {example}");
            if command == "synth" && !with_yosys {
                continue;
            }
            // The examples are plain words: no quoting to undo.
            let args: Vec<&str> = example.split_whitespace().collect();
            if args.contains(&"--pnr")
                && spinn_verif::tools::find(spinn_verif::tools::NEXTPNR_ICE40).is_none()
            {
                eprintln!("SKIP `spinn {example}`: nextpnr-ice40 is not installed");
                continue;
            }
            ok(&dir, &args);
        }
    }
}

#[test]
fn train_out_writes_the_report_and_plots() {
    let dir = workdir("out");
    let text = ok(
        &dir,
        &["train", "--epochs", "1", "--no-progress", "--out", "run"],
    );
    let run = dir.join("run");
    for file in [
        "report.json",
        "loss.png",
        "accuracy.png",
        "router-load.png",
        "links.png",
        "weights.npz",
    ] {
        assert!(run.join(file).is_file(), "{file} written");
        assert!(
            text.contains(&format!("wrote run/{file}")),
            "{file} named in\n{text}"
        );
    }
    let report = json(&std::fs::read_to_string(run.join("report.json")).expect("report.json"));
    assert_eq!(report["command"], "train");
    assert_eq!(report["per_epoch"].as_array().expect("epochs").len(), 1);
    assert!(report["test_accuracy"].as_f64().expect("accuracy") > 0.5);
    assert_eq!(report["packets"]["dropped"], 0);
    assert_eq!(report["golden"]["matches"], true);
    // The training set went once into the feeder's chip: the digits' training split, 64
    // inputs and 10 labels a word each.
    let load = &report["data_load"];
    let samples = report["training_samples"]
        .as_u64()
        .expect("training samples");
    assert_eq!(load["samples"].as_u64(), Some(samples));
    assert_eq!(load["bytes_per_chip"].as_u64(), Some(samples * 4 * 74));
    assert_eq!(load["chips"], 1);
    assert!(load["host_link_seconds"].as_f64().expect("seconds") > 0.0);
    assert!(text.contains("data on machine:"), "{text}");
    // The busiest core's share of the machine time and the roofline reached.
    let performance = &report["performance"];
    let share = performance["busiest_core"]["share_of_machine_time"]
        .as_f64()
        .expect("a busiest core");
    assert!(share > 0.0 && share <= 1.0, "{performance}");
    let fraction = performance["fraction_of_lowest_roof"]
        .as_f64()
        .expect("a fraction");
    assert!(fraction > 0.0 && fraction < 1.0, "{performance}");
    assert!(performance["roofline_samples_per_second"]["compute"].as_f64() > Some(0.0));
    assert!(
        text.contains("busiest core:") && text.contains("roofline:"),
        "{text}"
    );
    for (file, size) in [
        ("loss.png", (800, 500)),
        ("accuracy.png", (800, 500)),
        ("links.png", (800, 700)),
    ] {
        let (w, h, _) = png(&run.join(file));
        assert_eq!((w, h), size, "{file}");
    }
    // The heatmap: one cell per chip of the board, each drawn (not background) at its centre,
    // in each of the three panels (routed, dumped, dropped).
    let loads = report["router_load"].as_array().expect("per-chip loads");
    assert_eq!(loads.len(), 48, "one entry per SpiNN-5 chip");
    let chips: Vec<(u32, u32)> = loads
        .iter()
        .map(|l| {
            (
                l["x"].as_u64().expect("x") as u32,
                l["y"].as_u64().expect("y") as u32,
            )
        })
        .collect();
    let (w, h, pixels) = png(&run.join("router-load.png"));
    assert_eq!((w, h), (1200, 480));
    let background = &pixels[0..3];
    for panel in 0..3 {
        let centres = spinn_plot::heatmap_cell_centres(
            &chips,
            spinn_plot::ChipLayout::Hexagonal,
            3,
            panel,
            w,
            h,
        );
        let distinct: std::collections::BTreeSet<_> = centres.iter().collect();
        assert_eq!(distinct.len(), 48, "48 distinct cells in panel {panel}");
        for &(x, y) in &centres {
            let at = 3 * (y as usize * w as usize + x as usize);
            assert_ne!(
                &pixels[at..at + 3],
                background,
                "chip cell at ({x}, {y}) drawn"
            );
        }
    }
    // The routed panel shades busier routers differently.
    let routed: Vec<u64> = loads
        .iter()
        .map(|l| l["routed"].as_u64().expect("routed"))
        .collect();
    assert!(routed.iter().any(|&r| r > 0));
}

#[test]
fn eval_and_predict_agree_with_train() {
    let dir = workdir("eval");
    let trained = json(&ok(
        &dir,
        &[
            "train",
            "--epochs",
            "2",
            "--no-progress",
            "--json",
            "--weights-out",
            "w.npz",
        ],
    ));
    let eval = json(&ok(
        &dir,
        &["eval", "--weights-in", "w.npz", "--json", "--no-progress"],
    ));
    assert_eq!(
        eval["accuracy"], trained["test_accuracy"],
        "eval gives train's test accuracy"
    );
    assert_eq!(eval["samples"], trained["test_samples"]);
    let confusion = eval["confusion"].as_array().expect("confusion");
    let total: u64 = confusion
        .iter()
        .flat_map(|r| {
            r.as_array()
                .expect("a row")
                .iter()
                .map(|n| n.as_u64().expect("a count"))
        })
        .sum();
    assert_eq!(Some(total), eval["samples"].as_u64());
    let csv = ok(&dir, &["predict", "--weights-in", "w.npz", "--no-progress"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("sample,label,predicted,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(Some(rows.len() as u64), eval["samples"].as_u64());
    let correct = rows.iter().filter(|r| r[1] == r[2]).count();
    let accuracy = correct as f64 / rows.len() as f64;
    assert_eq!(
        Some(accuracy),
        eval["accuracy"].as_f64(),
        "predict agrees with eval"
    );
    for r in &rows {
        let p: f64 = r[3..]
            .iter()
            .map(|v| v.parse::<f64>().expect("a probability"))
            .sum();
        assert!((p - 1.0).abs() < 1e-3, "probabilities sum to 1: {r:?}");
    }
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let dir = workdir("resume");
    for numeric in ["fixed", "f32"] {
        let full = format!("full-{numeric}.npz");
        let resumed = format!("resumed-{numeric}.npz");
        let out = format!("ckpt-{numeric}");
        ok(
            &dir,
            &[
                "train",
                "--numeric",
                numeric,
                "--epochs",
                "3",
                "--no-progress",
                "--weights-out",
                &full,
            ],
        );
        ok(
            &dir,
            &[
                "train",
                "--numeric",
                numeric,
                "--epochs",
                "3",
                "--no-progress",
                "--checkpoint-every",
                "2",
                "--out",
                &out,
            ],
        );
        let checkpoint = format!("{out}/checkpoint-epoch-2.ckpt");
        assert!(dir.join(&checkpoint).is_file(), "checkpoint after epoch 2");
        assert!(
            dir.join(format!("{out}/checkpoint-epoch-3.ckpt")).is_file(),
            "and after the last"
        );
        let text = ok(
            &dir,
            &[
                "train",
                "--resume",
                &checkpoint,
                "--no-progress",
                "--weights-out",
                &resumed,
            ],
        );
        assert!(text.contains("resumed after epoch 2 of 3"), "{text}");
        assert!(
            text.contains("epoch   3:") && !text.contains("epoch   2:"),
            "{text}"
        );
        let a = std::fs::read(dir.join(&full)).expect("full run");
        let b = std::fs::read(dir.join(&resumed)).expect("resumed run");
        assert!(
            a == b,
            "{numeric}: the resumed run's weights equal the uninterrupted run's, byte for byte"
        );
    }
}

#[test]
fn train_mapping_spidnn_matches_the_golden_reference_and_the_project_mapping() {
    let dir = workdir("spidnn");
    // A tenth of the digits to train on keeps the baseline's run to a few seconds.
    let few = [
        "--numeric",
        "fixed",
        "--epochs",
        "1",
        "--test-fraction",
        "0.9",
        "--no-progress",
    ];
    let run = |mapping: &str, weights: &str| {
        let mut args = vec![
            "train",
            "--mapping",
            mapping,
            "--json",
            "--weights-out",
            weights,
        ];
        args.extend(few);
        json(&ok(&dir, &args))
    };
    let baseline = run("spidnn", "spidnn.npz");
    assert_eq!(baseline["mapping"], "spidnn");
    assert_eq!(baseline["golden"]["matches"], true);
    assert_eq!(baseline["golden"]["bit_exact"], true);
    // 180 training samples in batches of 32.
    assert_eq!(baseline["golden"]["batches_compared"], 6);
    assert_eq!(baseline["packets"]["dropped"], 0);
    assert_eq!(baseline["packets"]["dumped"], 0);
    // One core per neuron (128 + 10), the feeder, the loss core and the gatherer.
    assert_eq!(baseline["cores_used"], 141);
    assert_eq!(baseline["plan"]["cut"], "one neuron per core");
    assert_eq!(baseline["plan"]["goal"], serde_json::Value::Null);
    assert_eq!(baseline["plan"]["slots"], 1);
    assert_eq!(baseline["retries"]["batches"], 0);
    assert_eq!(
        baseline["data_load"]["samples"],
        baseline["training_samples"]
    );
    assert_eq!(baseline["data_load"]["chips"], 1);
    let busiest = &baseline["performance"]["busiest_core"]["vertex"];
    assert!(
        busiest.as_str().is_some_and(|v| v.starts_with("spidnn/")),
        "{busiest}"
    );
    assert_eq!(
        baseline["router_load"].as_array().map(Vec::len),
        Some(48),
        "one entry per SpiNN-5 chip"
    );
    assert!(baseline["links"].as_array().is_some_and(|l| !l.is_empty()));
    let blocks = run("blocks", "blocks.npz");
    assert_eq!(blocks["mapping"], "blocks");
    assert_eq!(blocks["per_epoch"], baseline["per_epoch"]);
    let a = std::fs::read(dir.join("spidnn.npz")).expect("the baseline's weights");
    let b = std::fs::read(dir.join("blocks.npz")).expect("the project's weights");
    assert!(
        a == b,
        "in s16.15 both mappings train to the same weights, byte for byte"
    );
    // The baseline evaluates the weights to the test accuracy its training reported.
    let eval = json(&ok(
        &dir,
        &[
            "eval",
            "--mapping",
            "spidnn",
            "--numeric",
            "fixed",
            "--test-fraction",
            "0.9",
            "--weights-in",
            "spidnn.npz",
            "--json",
            "--no-progress",
        ],
    ));
    assert_eq!(eval["mapping"], "spidnn");
    assert_eq!(eval["accuracy"], baseline["test_accuracy"]);
    let text = ok(&dir, &{
        let mut args = vec!["train", "--mapping", "spidnn"];
        args.extend(few);
        args
    });
    assert!(text.contains("plan: one neuron per core"), "{text}");
    assert!(
        text.contains("matches golden:     yes, bit-exact"),
        "{text}"
    );
}

#[test]
fn route_lists_every_chip() {
    let dir = workdir("route");
    let report = json(&ok(&dir, &["route", "--json"]));
    let chips = report["per_chip"].as_array().expect("per chip");
    assert_eq!(chips.len(), 48);
    let sum = |field: &str| -> u64 { chips.iter().map(|c| c[field].as_u64().expect(field)).sum() };
    assert_eq!(
        Some(sum("table_entries_after_minimisation")),
        report["table_entries_after_minimisation"].as_u64()
    );
    assert!(sum("table_entries_before_minimisation") >= sum("table_entries_after_minimisation"));
    let cores: usize = chips
        .iter()
        .map(|c| c["cores"].as_array().expect("cores").len())
        .sum();
    assert_eq!(Some(cores as u64), report["cores_used"].as_u64());
    assert_eq!(report["cores_used"], 8);
    let text = ok(&dir, &["route"]);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(" -> ") && l.starts_with("  ("))
            .count(),
        48,
        "{text}"
    );
}

#[test]
fn bad_input_is_one_line_on_stderr_and_a_failure() {
    let dir = workdir("bad");
    std::fs::write(
        dir.join("bad.toml"),
        "version = 2\n[[layers]]\nname = \"d\"\ndense = 10\nactivation = \"softmaxx\"\n",
    )
    .expect("write");
    std::fs::write(dir.join("images.idx"), [0u8, 0, 8, 4, 0, 0, 0, 0]).expect("write");
    std::fs::write(dir.join("labels.idx"), [0u8, 0, 8, 1, 0, 0, 0, 0]).expect("write");
    // Weights beyond the s16.15 bound (512.0), which fixed point would saturate silently.
    let spec = spinn_dl::ModelSpec::digits_default();
    let mut weights = spec.init_weights();
    weights.layers[1].kernel[7] = 1e6;
    spinn_dl::save_npz(&dir.join("huge.npz"), &weights).expect("write");
    let cnn = spinn_dl::ModelFile::read(&dir.join("models/digits-cnn.toml"))
        .expect("the shipped CNN")
        .spec;
    spinn_dl::save_npz(&dir.join("cnn.npz"), &cnn.init_weights()).expect("write");
    let cases: [(&[&str], &str); 19] = [
        (&["train", "--model", "bad.toml"], "bad.toml"),
        (&["train", "--model", "missing.toml"], "missing.toml"),
        (
            &["train", "--data", "idx:missing-images.gz,missing-labels.gz"],
            "missing-images.gz",
        ),
        (
            &["train", "--data", "idx:images.idx,labels.idx"],
            "wrong magic number 0x00000804",
        ),
        (&["train", "--machine", "0x0"], "0x0"),
        (&["train", "--machine", "boards:0"], "--machine boards:0: "),
        (&["train", "--epochs", "-1"], "`-1` is negative"),
        (&["traffic", "--rate", "-0.5", "--no-progress"], "-0.5"),
        (
            &["train", "--numeric", "fixed", "--weights-in", "huge.npz"],
            "kernel[7] = 1000000 is beyond the s16.15 bound ±512",
        ),
        (
            &["train", "--learning-rate", "30", "--no-progress"],
            "training diverged at epoch 1, batch ",
        ),
        (&["train", "--epochs", "0"], "--epochs 0 trains nothing"),
        (
            &["train", "--mapping", "spidnn", "--replicas", "2"],
            "--replicas 2 does not apply to --mapping spidnn",
        ),
        (
            &["train", "--mapping", "spidnn", "--plan", "fewest-cores"],
            "--plan fewest-cores does not apply to --mapping spidnn",
        ),
        (
            &[
                "train",
                "--mapping",
                "spidnn",
                "--model",
                "models/digits-cnn.toml",
            ],
            "the spidnn mapping takes sequential dense models only: layer \"conv2d\" is a conv2d",
        ),
        (
            &[
                "eval",
                "--mapping",
                "spidnn",
                "--model",
                "models/digits-cnn.toml",
                "--weights-in",
                "cnn.npz",
            ],
            "the spidnn mapping takes sequential dense models only: layer \"conv2d\" is a conv2d",
        ),
        (
            &["train", "--mapping", "neurons"],
            "`neurons` is not a mapping",
        ),
        (
            &["train", "--resume", "huge.npz"],
            "this is not a checkpoint written by --checkpoint-every",
        ),
        (
            &["waveform", "--out", "/dev/full"],
            "No space left on device",
        ),
        (
            &["waveform", "--cycles", "1000000000"],
            "--cycles 1000000000 is more than the 100000",
        ),
    ];
    for (args, expected) in cases {
        let out = spinn(&dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} fails");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: one line on stderr, got\n{stderr}"
        );
        assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            lines[0].contains(expected),
            "{args:?}: {expected:?} not in {stderr}"
        );
        // No cause printed twice ("No such file or directory (os error 2): No such file...").
        let parts: Vec<&str> = lines[0].split(": ").collect();
        for (i, p) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(p) || p.len() < 8,
                "{args:?}: repeated {p:?} in {stderr}"
            );
        }
    }
}
