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
    let err = spinn(&["synth", "--family", "ecp5", "--pnr"]).unwrap_err();
    assert_eq!(
        err,
        "--pnr places on an iCE40 HX8K; use it with --family ice40"
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
