//! The `spinn` command line end to end: Verilog export, the waveform scenario and its VCD, and
//! clear errors for bad input.

use spinn_e2e::{scratch, spinn};
use std::collections::BTreeSet;

#[test]
fn export_verilog_writes_the_requested_router() {
    let dir = scratch("export");
    let path = dir.join("router.v");
    let report = spinn(&[
        "export-verilog",
        "--entries",
        "64",
        "--out",
        path.to_str().unwrap(),
    ])
    .expect("export");
    assert!(report.contains("register table, 64 entries"), "{report}");
    let verilog = std::fs::read_to_string(&path).expect("the file exists");
    assert!(verilog.contains("module spinn_router("));
    // One key/mask/route register set per entry.
    assert_eq!(verilog.matches("module top$mc_table$mask$").count(), 64);

    let banked = dir.join("banked.v");
    spinn(&[
        "export-verilog",
        "--table",
        "banked",
        "--entries",
        "1024",
        "--out",
        banked.to_str().unwrap(),
    ])
    .expect("export");
    let verilog = std::fs::read_to_string(&banked).expect("the file exists");
    assert_eq!(
        verilog.matches("reg[87:0] mem[63:0];").count(),
        16,
        "16 banks of 64 words"
    );
}

#[test]
fn bad_sizes_are_refused_with_the_sizes_that_exist() {
    let err = spinn(&["export-verilog", "--entries", "17"]).unwrap_err();
    assert_eq!(
        err,
        "unsupported register table entries 17: this build has 16, 32, 64, 128"
    );
    let err = spinn(&["export-verilog", "--table", "banked", "--entries", "100"]).unwrap_err();
    assert_eq!(
        err,
        "unsupported banked table entries 100: this build has 64, 256, 1024"
    );
    let err = spinn(&[
        "export-verilog",
        "--table",
        "banked",
        "--entries",
        "1024",
        "--banks",
        "5",
    ])
    .unwrap_err();
    assert_eq!(err, "no banked table of 1024 entries in 5 banks: this build has 4 × 16, 8 × 32, 16 × 64, 4 × 256 (banks × depth)");
    let err = spinn(&["export-verilog", "--banks", "4"]).unwrap_err();
    assert_eq!(err, "--banks applies to --table banked only");
    let err = spinn(&["waveform", "--p2p-entries", "100"]).unwrap_err();
    assert_eq!(
        err,
        "unsupported P2P table entries 100: this build has 64, 256"
    );
    let err = spinn(&["export-verilog", "--entries", "lots"]).unwrap_err();
    assert!(
        err.contains("invalid value 'lots' for '--entries <ENTRIES>'"),
        "{err}"
    );
    let err = spinn(&["synth", "--seed", "3"]).unwrap_err();
    assert_eq!(
        err,
        "the following required arguments were not provided: --pnr"
    );
}

#[test]
fn an_unwritable_output_is_named() {
    let dir = scratch("unwritable");
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a directory").expect("write");
    let target = blocker.join("router.v");
    let err = spinn(&["export-verilog", "--out", target.to_str().unwrap()]).unwrap_err();
    assert!(
        err.starts_with(&format!("creating directory {}", blocker.display())),
        "{err}"
    );
}

#[test]
fn the_waveform_scenario_shows_wait1_emergency_dump_and_reinjection() {
    let dir = scratch("waveform");
    let path = dir.join("router.vcd");
    let report = spinn(&["waveform", "--out", path.to_str().unwrap()]).expect("waveform");
    for event in [
        "wait1 expired: emergency route",
        "wait2 expired: packet dumped",
        "monitor re-injects",
        "(ER FirstHop)",
    ] {
        assert!(report.contains(event), "missing `{event}` in:\n{report}");
    }
    assert!(
        report.contains("dumped_mc=3") && report.contains("emergency_routed=5"),
        "{report}"
    );

    // The VCD parses and holds the router's ports and internal state.
    let file = std::io::BufReader::new(std::fs::File::open(&path).expect("the VCD exists"));
    let mut parser = vcd::Parser::new(file);
    let header = parser.parse_header().expect("a VCD header");
    let mut names = BTreeSet::new();
    fn collect(items: &[vcd::ScopeItem], prefix: &str, names: &mut BTreeSet<String>) {
        for item in items {
            match item {
                vcd::ScopeItem::Var(v) => {
                    names.insert(format!("{prefix}{}", v.reference));
                }
                vcd::ScopeItem::Scope(s) => {
                    collect(&s.items, &format!("{prefix}{}.", s.identifier), names)
                }
                _ => {}
            }
        }
    }
    collect(&header.items, "", &mut names);
    for signal in [
        "uut.clock",
        "uut.link_out_valid$0",
        "uut.link_out_packet$5",
        "uut.dump_interrupt",
        "uut.dump_status",
        "uut.stage.pending.q",
        "uut.stage.in_wait2.q",
        "uut.stage.wait_count.q",
        "uut.arbiter.grant",
    ] {
        assert!(names.contains(signal), "the VCD lacks {signal}");
    }
    let id = header
        .find_var(&["uut", "dump_interrupt"])
        .expect("dump_interrupt")
        .code;
    let mut raised = false;
    let mut timestamps = 0;
    for command in parser {
        match command.expect("a well-formed VCD command") {
            vcd::Command::ChangeScalar(code, vcd::Value::V1) if code == id => raised = true,
            vcd::Command::Timestamp(_) => timestamps += 1,
            _ => {}
        }
    }
    assert!(raised, "dump_interrupt never rose in the trace");
    assert!(
        timestamps > 150,
        "{timestamps} timestamps: two per cycle expected"
    );
}

#[test]
fn traffic_reports_load_latency_and_link_use() {
    let json = spinn(&[
        "traffic",
        "--machine",
        "4x4",
        "--rate",
        "0.005",
        "--cycles",
        "4000",
        "--json",
    ])
    .expect("traffic");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let field = |name: &str| -> f64 {
        report[name]
            .as_f64()
            .unwrap_or_else(|| panic!("no {name} in {json}"))
    };
    assert_eq!(field("chips"), 16.0);
    let (injected, delivered) = (field("injected"), field("delivered"));
    assert!(injected > 200.0, "{json}");
    // Below saturation nearly everything arrives, in about a hop's transit per hop.
    assert!(
        delivered >= injected * 0.95 && delivered <= injected,
        "{json}"
    );
    assert!(
        field("mean_latency_cycles") > 35.0 && field("mean_latency_cycles") < 200.0,
        "{json}"
    );
    assert_eq!(field("dropped"), 0.0);
    assert!(field("mean_link_utilisation") > 0.0);
    // What has not arrived is still on its way.
    assert_eq!(
        field("injected") - field("delivered"),
        field("queued_at_end") + field("in_flight_at_end"),
        "{json}"
    );

    let text = spinn(&[
        "traffic",
        "--machine",
        "spinn5",
        "--pattern",
        "multicast",
        "--rate",
        "0.002",
        "--cycles",
        "3000",
    ])
    .expect("traffic");
    assert!(
        text.contains("SpiNN-5 board: 48 chips; multicast (fanout 4) traffic"),
        "{text}"
    );
}

#[test]
fn traffic_refuses_bad_input_by_name() {
    for (args, expected) in [
        (vec!["--rate", "2"], "the injection rate must be in (0, 1] packets per chip per cycle, got 2"),
        (vec!["--rate", "-1"], "the injection rate must be in (0, 1] packets per chip per cycle, got -1"),
        (vec!["--machine", "1x1"], "uniform traffic needs at least 2 chips"),
        (vec!["--machine", "0x4"], "--machine 0x4: a machine needs at least one chip in each dimension, got 0x4"),
        (vec!["--machine", "foo"], "--machine foo: expected spinn3, spinn5, WxH (e.g. 8x8), boards:N or boards-nowrap:N"),
        (vec!["--machine", "4x4", "--vcd", "/dev/null", "--trace-chips", "99"], "cannot trace chip 99: the machine has chips 0 to 15"),
        (vec!["--machine", "2x2", "--pattern", "multicast", "--fanout", "5"], "multicast fanout 5: a packet needs 1 to 3 destination chips (the other chips)"),
        (vec!["--machine", "2x2", "--fanout", "2"], "--fanout 2: a fanout applies to --pattern multicast only"),
        (vec!["--cycles", "1000000000000"], "1000000000000 cycles at 0.005 packets/chip/cycle on 48 chips would inject about 2.400e11 packets, more than the 250000000 a run measures"),
        (vec!["--wait1", "0x1ff"], "invalid value '0x1ff' for '--wait1 <WAIT1>': `0x1ff` is not a byte (0-255, or 0x00-0xff)"),
    ] {
        let mut argv = vec!["traffic"];
        argv.extend(args);
        let err = spinn(&argv).unwrap_err();
        assert!(err.starts_with(expected), "{argv:?}: {err}");
    }
}

#[test]
fn traffic_writes_a_waveform_of_the_traced_chips() {
    let dir = scratch("traffic-vcd");
    let path = dir.join("fabric.vcd");
    spinn(&[
        "traffic",
        "--machine",
        "3x3",
        "--rate",
        "0.02",
        "--cycles",
        "2000",
        "--vcd",
        path.to_str().unwrap(),
        "--trace-chips",
        "0,4",
        "--trace-cycles",
        "100..600",
    ])
    .expect("traffic");
    let mut parser = vcd::Parser::new(std::io::BufReader::new(
        std::fs::File::open(&path).expect("the VCD exists"),
    ));
    let header = parser.parse_header().expect("a VCD header");
    assert!(header
        .find_var(&["uut", "chip_4", "link_out_valid$0"])
        .is_some());
    assert!(header.find_var(&["uut", "chip_0", "count$1"]).is_some());
    assert!(
        header
            .find_var(&["uut", "chip_1", "output_stage_empty"])
            .is_none(),
        "chip 1 was not traced"
    );
    let times: Vec<u64> = parser
        .filter_map(|c| match c.expect("well-formed") {
            vcd::Command::Timestamp(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(times.first(), Some(&1000), "the window starts at cycle 100");
    assert!(
        times.iter().all(|t| *t <= 6000),
        "nothing after the window ends at cycle 600"
    );
}

#[test]
fn life_runs_on_the_machine_and_reports_what_it_cost() {
    let report = spinn(&[
        "life",
        "--machine",
        "spinn3",
        "--tiles",
        "6x6",
        "--generations",
        "4",
    ])
    .expect("life");
    assert!(
        report.contains("result: matches the host (generations completed 4 of 4"),
        "{report}"
    );
    assert!(report.contains("cores used: 36;"), "{report}");
    assert!(report.contains("0 dropped"), "{report}");
    assert!(report.contains("machine time: "), "{report}");

    // Without re-injection an overloaded board loses packets; the command says so and fails.
    let err = spinn(&[
        "life",
        "--machine",
        "spinn5",
        "--generations",
        "2",
        "--gap",
        "0",
        "--no-reinjection",
    ])
    .expect_err("loses packets");
    assert!(
        err.to_string()
            .contains("differs from the host's after 0 of 2 generations"),
        "{err}"
    );
}

#[test]
fn life_refuses_bad_input_by_name() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["life", "--tiles", "2x5"],
            "tiles across must be at least 3, got 2",
        ),
        (&["life", "--tiles", "5"], "`5` is not a size AxB"),
        (
            &["life", "--machine", "spinn5", "--engine", "rtl"],
            "--engine rtl runs only on --machine spinn3",
        ),
        (
            &["life", "--machine", "spinn3", "--tiles", "10x10"],
            "got 10x10 tiles for 68 application cores",
        ),
        (
            &[
                "life",
                "--tiles",
                "18446744073709551615x18446744073709551615",
            ],
            "the tiles must be at most one per application core of the machine",
        ),
        (
            &["life", "--tiles", "100000x100000"],
            "got 100000x100000 tiles for 816 application cores",
        ),
        (
            &["life", "--tile-size", "18446744073709551615x2"],
            "a tile must be at most 16384 cells",
        ),
        (
            &["life", "--gap", "18446744073709551615"],
            "the send gap must be at most 1000000000 core cycles",
        ),
    ];
    for (args, message) in cases {
        let err = spinn(args).expect_err("bad input");
        assert!(format!("{err:#}").contains(message), "{args:?}: {err:#}");
    }
}

/// The default plan is the fastest of the cuts timed on the first batch, and says so; in
/// s16.15 it trains bit for bit as the fewest-cores cut (every partial sum is exact).
#[test]
fn train_chooses_the_fastest_plan_by_default() {
    let one_epoch = [
        "train",
        "--numeric",
        "fixed",
        "--epochs",
        "1",
        "--no-progress",
    ];
    let fastest = spinn(&one_epoch).expect("train");
    let fewest = spinn(&[&one_epoch[..], &["--plan", "fewest-cores"]].concat()).expect("train");
    let plan = fastest
        .lines()
        .find(|l| l.starts_with("plan: fastest of "))
        .unwrap_or_else(|| panic!("no plan line in\n{fastest}"));
    assert!(plan.contains("for the fewest-cores cut)"), "{plan}");
    assert!(!fewest.contains("plan: fastest"), "{fewest}");
    let epoch = |report: &str| {
        report
            .lines()
            .find(|l| l.starts_with("epoch   1:"))
            .map(str::to_string)
    };
    assert_eq!(epoch(&fastest), epoch(&fewest));
    let speed = |report: &str| -> f64 {
        let line = report
            .lines()
            .find(|l| l.starts_with("machine speed:"))
            .expect("a speed line");
        line.split_whitespace()
            .nth(2)
            .expect("a figure")
            .parse()
            .expect("a number")
    };
    assert!(speed(&fastest) > speed(&fewest), "{fastest}\n{fewest}");
}

#[test]
fn train_matches_the_golden_reference_and_reports_what_it_cost() {
    let dir = scratch("train");
    let weights = dir.join("trained.npz");
    let weights_arg = weights.to_str().expect("a UTF-8 path");
    let report = spinn(&[
        "train",
        "--numeric",
        "fixed",
        "--epochs",
        "1",
        "--no-progress",
        "--plan",
        "fewest-cores",
        "--weights-out",
        weights_arg,
    ])
    .expect("train");
    for expected in [
        "model: (64,) -> dense (128,) relu -> dense_1 (10,) softmax",
        "training: categorical_crossentropy loss, SGD lr 0.1 (used as 0.100006103515625) batch 32, fixed, seed 1",
        "data: digits, 1438 training and 359 test samples; machine: SpiNN-5 board",
        "epoch   1: loss ",
        "golden: bit-exact",
        "test accuracy:      ",
        "machine speed:      ",
        " dropped, ",
        "largest table ",
        "cores:              8 used, peak DTCM 56832 of 65536 bytes",
        "matches golden:     yes, bit-exact (45 batches",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }
    assert!(report.contains(", 0 dropped, "), "{report}");
    assert!(weights.exists(), "the weights were written");

    // The trained weights come back in, on another machine, in f32, with other settings.
    let again = spinn(&[
        "train",
        "--weights-in",
        weights_arg,
        "--machine",
        "spinn3",
        "--numeric",
        "f32",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--learning-rate",
        "0.05",
        "--no-progress",
    ])
    .expect("train from the trained weights");
    assert!(again.contains("SGD lr 0.05 batch 64, f32"), "{again}");
    assert!(again.contains("machine: SpiNN-3 board"), "{again}");
    assert!(again.contains("matches golden:     yes (max"), "{again}");
    let accuracy = |text: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with("epoch   1:"))
            .expect("an epoch line");
        let at = line.find("train accuracy ").expect("train accuracy") + 15;
        line[at..]
            .split('%')
            .next()
            .expect("a value")
            .parse()
            .expect("a number")
    };
    assert!(
        accuracy(&again) > accuracy(&report),
        "starting from trained weights trains better than from scratch"
    );
}

#[test]
fn train_refuses_bad_input_by_name() {
    let dir = scratch("train-bad");
    let model = dir.join("model.toml");
    std::fs::write(
        &model,
        "inputs = 64\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\n\n[[layers]]\ndense = 10\nactivation = \"softmaxx\"\n",
    )
    .expect("write the model");
    let wrong_inputs = dir.join("wrong.toml");
    std::fs::write(
        &wrong_inputs,
        "inputs = 10\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n",
    )
    .expect("write the model");
    let not_npz = dir.join("weights.npz");
    std::fs::write(&not_npz, b"not a zip").expect("write");
    let path = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    let missing = path(&dir.join("missing.toml"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--model".into(), missing.clone()], "missing.toml"),
        (vec!["--model".into(), path(&model)], "softmaxx"),
        (
            vec!["--model".into(), path(&wrong_inputs)],
            "data set train has samples of 64 values, the model's input (10,) takes 10",
        ),
        (vec!["--batch-size".into(), "0".into()], "batch"),
        (vec!["--learning-rate=-1".into()], "learning rate"),
        (vec!["--weights-in".into(), path(&not_npz)], "weights.npz"),
        (vec!["--machine".into(), "0x3".into()], "0x3"),
        (vec!["--test-fraction".into(), "1.5".into()], "1.5"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["train".to_string(), "--no-progress".into()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = spinn(&args).expect_err("bad input");
        assert!(format!("{err:#}").contains(message), "{args:?}: {err:#}");
    }
}
