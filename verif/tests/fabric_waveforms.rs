//! The fast model's VCD uses the RTL fabric's signal names, and its registered signals (valids,
//! packets, counters, dump status, link registers) hold the same values as the RTL's VCD cycle
//! for cycle, on a scenario with emergency routes and dumps.

use proptest::strategy::{Strategy, ValueTree};
use spinn_rtl::config::FabricKind;
use spinn_verif::fabric_equivalence::{
    run_model, run_model_traced, run_rtl_traced, FabricScenario, TraceRequest,
};
use spinn_verif::strategies::arb_fabric_scenario;
use std::collections::BTreeMap;
use std::io::BufReader;

/// Every variable of a VCD by hierarchical name, with its changes (time, value).
fn read_vcd(path: &std::path::Path) -> BTreeMap<String, Vec<(u64, u128)>> {
    let mut parser = vcd::Parser::new(BufReader::new(
        std::fs::File::open(path).expect("the VCD exists"),
    ));
    let header = parser.parse_header().expect("a VCD header");
    let mut names = BTreeMap::new();
    fn walk(items: &[vcd::ScopeItem], prefix: &str, names: &mut BTreeMap<vcd::IdCode, String>) {
        for item in items {
            match item {
                vcd::ScopeItem::Var(v) => {
                    names.insert(v.code, format!("{prefix}{}", v.reference));
                }
                vcd::ScopeItem::Scope(s) => {
                    walk(&s.items, &format!("{prefix}{}.", s.identifier), names)
                }
                _ => {}
            }
        }
    }
    walk(&header.items, "", &mut names);
    let mut changes: BTreeMap<String, Vec<(u64, u128)>> = BTreeMap::new();
    let mut time = 0;
    let bits = |v: &vcd::Vector| {
        v.iter()
            .fold(0u128, |acc, b| acc << 1 | (b == vcd::Value::V1) as u128)
    };
    for command in parser {
        let (code, value) = match command.expect("well-formed VCD") {
            vcd::Command::Timestamp(t) => {
                time = t;
                continue;
            }
            vcd::Command::ChangeScalar(code, v) => (code, (v == vcd::Value::V1) as u128),
            vcd::Command::ChangeVector(code, v) => (code, bits(&v)),
            _ => continue,
        };
        if let Some(name) = names.get(&code) {
            changes.entry(name.clone()).or_default().push((time, value));
        }
    }
    changes
}

/// The value a signal holds at `time`.
fn at(changes: &[(u64, u128)], time: u64) -> Option<u128> {
    changes
        .iter()
        .take_while(|(t, _)| *t <= time)
        .last()
        .map(|(_, v)| *v)
}

fn busy_scenario() -> FabricScenario {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..100)
        .map(|_| {
            arb_fabric_scenario(FabricKind::Torus2x2)
                .new_tree(&mut runner)
                .expect("a scenario")
                .current()
        })
        .find(|s| {
            let m = run_model(s);
            m.dumps.iter().any(|d| d.1 == 0)
                && m.deliveries.iter().filter(|d| d.1 == 0).count() > 10
        })
        .expect("a scenario with traffic and a dump on chip 0")
}

#[test]
fn the_fast_model_vcd_matches_the_rtl_vcd() {
    let scenario = busy_scenario();
    let dir = std::env::temp_dir().join(format!("spinn-waves-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let (model_path, rtl_path) = (dir.join("model.vcd"), dir.join("rtl.vcd"));
    let request = TraceRequest {
        writer: Box::new(std::io::BufWriter::new(
            std::fs::File::create(&model_path).expect("create"),
        )),
        chips: vec![0],
        window: 0..scenario.cycles,
    };
    run_model_traced(&scenario, Some(request)).expect("model trace written");
    let rtl_writer = Box::new(std::io::BufWriter::new(
        std::fs::File::create(&rtl_path).expect("create"),
    ));
    let run = run_rtl_traced(&scenario, Some(rtl_writer));
    let offset = (run.inputs.len() as u64 - scenario.cycles - 1) * 10;
    let (model, rtl) = (read_vcd(&model_path), read_vcd(&rtl_path));

    let registered: Vec<&String> = model
        .keys()
        .filter(|n| !n.contains("ready") && !n.contains("in_valid"))
        .collect();
    assert!(
        registered.len() > 40,
        "{} registered signals traced",
        registered.len()
    );
    let mut compared = 0;
    let changes: usize = registered.iter().map(|n| model[*n].len()).sum();
    for name in registered {
        let rtl_changes = rtl
            .get(name)
            .unwrap_or_else(|| panic!("the RTL VCD has no {name}"));
        for cycle in 0..scenario.cycles {
            let (m, r) = (
                at(&model[name], cycle * 10 + 2),
                at(rtl_changes, offset + cycle * 10 + 2),
            );
            assert_eq!(m, r, "{name} in cycle {cycle}");
            compared += 1;
        }
    }
    // The signals must actually move, or equality proves little.
    assert!(
        changes > 200,
        "the compared signals changed only {changes} times"
    );
    assert!(compared > 10_000);
}
