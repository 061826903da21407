//! Faults on the command line (issue 14): training around dead chips, links and cores, and
//! through transient hand-over failures and link errors (whose lost packets stall a batch,
//! which is then run again), ends with the same weights, byte for byte, as a run on the whole machine, in both
//! numeric modes, with the faults and retries in the report.

use spinn_e2e::{scratch, spinn};

/// `spinn train --epochs 1` in `numeric` with `extra` flags; the weights file's bytes and the
/// report. The plan is the fewest-cores cut in every run: the cut is what the weights are
/// compared across (in f32 another cut adds a block's partial sums in another order), and
/// `--plan fastest` times its trials on the machine as built, so dead cores can move it.
fn train(dir: &std::path::Path, name: &str, numeric: &str, extra: &[&str]) -> (Vec<u8>, String) {
    let weights = dir.join(format!("{name}-{numeric}.npz"));
    let mut args = vec![
        "train",
        "--epochs",
        "1",
        "--numeric",
        numeric,
        "--no-golden",
        "--no-progress",
        "--plan",
        "fewest-cores",
        "--weights-out",
        weights.to_str().expect("a UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    let report = spinn(&args).unwrap_or_else(|e| panic!("{name} {numeric}: {e}"));
    let bytes = std::fs::read(&weights).expect("the weights were written");
    (bytes, report)
}

/// The report's line that starts with `prefix`.
fn line_of<'a>(report: &'a str, prefix: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {report}"))
}

#[test]
fn permanent_and_transient_faults_leave_the_trained_weights_identical() {
    let dir = scratch("faults");
    for numeric in ["f32", "fixed"] {
        let (clean, _) = train(&dir, "clean", numeric, &[]);

        let (random, report) = train(
            &dir,
            "random",
            numeric,
            &["--random-faults", "8", "--fault-seed", "1"],
        );
        assert!(
            random == clean,
            "{numeric}: random faults changed the weights"
        );
        let faults = line_of(&report, "faults: ");
        assert_eq!(faults.matches("; ").count(), 7, "eight faults: {faults}");

        // The host chip's application cores dead but two (the feeder's and the gatherer's):
        // the model's other cores move off it, so its packets cross links they did not use.
        let cores: Vec<String> = (1..=15).map(|p| format!("0,0,{p}")).collect();
        let mut flags = Vec::new();
        for core in &cores {
            flags.extend(["--dead-core", core.as_str()]);
        }
        flags.extend(["--dead-link", "1,1,E", "--dead-chip", "2,2"]);
        let (moved, _) = train(&dir, "moved", numeric, &flags);
        assert!(moved == clean, "{numeric}: dead cores changed the weights");

        // Off the host chip the model's packets cross links, where one in 10,000 is corrupted:
        // the next router discards it for its parity, the batch stalls and is run again.
        flags.extend(["--link-error-rate", "0.0001"]);
        let (corrupted, report) = train(&dir, "corrupted", numeric, &flags);
        assert!(
            corrupted == clean,
            "{numeric}: link errors changed the weights"
        );
        let line = line_of(&report, "link errors:");
        let corrupted: u64 = line
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count in {line}"));
        assert!(corrupted > 0, "{line}");
        assert!(
            line.ends_with(&format!("{corrupted} discarded for bad parity")),
            "{line}"
        );
        assert!(line_of(&report, "retries:").contains(" were run again"));

        // At 2 % of hand-overs failing, some dumps find the dump registers still full and
        // their packets are lost; each batch that loses one stalls and is run again.
        let (dropped, report) = train(&dir, "dropped", numeric, &["--drop-rate", "0.02"]);
        assert!(
            dropped == clean,
            "{numeric}: transient drops changed the weights"
        );
        let line = line_of(&report, "transient faults:");
        let count = |line: &str, word: usize| -> u64 {
            line.split_whitespace()
                .nth(word)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a count in {line}"))
        };
        assert!(
            count(line, 2) > 20_000,
            "about 28,000 hand-overs fail at 0.02: {line}"
        );
        let lost = count(line, line.split_whitespace().count() - 2);
        assert!(lost > 0, "{line}");
        let retries = line_of(&report, "retries:");
        assert!(count(retries, 1) > 0, "{retries}");
        assert_eq!(
            count(retries, 5),
            lost,
            "every lost packet recovered: {retries}"
        );
    }
}

#[test]
fn faults_that_cannot_apply_are_refused_by_name() {
    let err = spinn(&["train", "--dead-chip", "9,9"]).unwrap_err();
    assert!(err.starts_with("dead chip (9, 9): "), "{err}");
    let err = spinn(&["traffic", "--dead-link", "0,0,W"]).unwrap_err();
    assert!(err.starts_with("dead link (0, 0) W: "), "{err}");
    let err = spinn(&[
        "life",
        "--engine",
        "rtl",
        "--machine",
        "spinn3",
        "--dead-chip",
        "1,1",
    ])
    .unwrap_err();
    assert!(err.contains("faults need --engine fast"), "{err}");
    let err = spinn(&["train", "--drop-rate", "2"]).unwrap_err();
    assert!(
        err.contains("--drop-rate") && err.contains("[0, 1]"),
        "{err}"
    );
    let err = spinn(&["traffic", "--link-error-rate", "-0.5"]).unwrap_err();
    assert!(
        err.contains("--link-error-rate") && err.contains("[0, 1]"),
        "{err}"
    );
}

#[test]
fn traffic_and_life_report_their_faults() {
    let out = spinn(&[
        "traffic",
        "--cycles",
        "2000",
        "--no-progress",
        "--dead-chip",
        "3,3",
        "--drop-rate",
        "0.01",
    ])
    .expect("traffic runs");
    assert!(out.contains("faults    chip (3, 3)"), "{out}");
    let out = spinn(&[
        "life",
        "--generations",
        "2",
        "--tiles",
        "6x6",
        "--no-progress",
        "--dead-link",
        "2,2,N",
        "--drop-rate",
        "0.001",
    ])
    .expect("life runs");
    assert!(out.contains("faults: link (2, 2) N"), "{out}");
    assert!(out.contains("matches the host"), "{out}");
}
