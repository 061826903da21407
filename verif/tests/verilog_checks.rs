//! The exported Verilog of the router: Verilator lint with no warning under the shipped
//! waivers (which still catch rust-hdl's known miscompilations), Icarus
//! co-simulation against the rust-hdl model cycle for cycle, and Yosys synthesis with cell
//! counts. Each test runs when its tool is installed; `SPINN_REQUIRE_TOOLS=1` makes a missing
//! tool a failure.

use spinn_arch::{Counter, LinkDir, P2pRoute, Packet, RouteSet};
use spinn_rtl::config::FabricKind;
use spinn_rtl::config::{self, RouterConfig};
use spinn_rtl::verilog::vector_line;
use spinn_rtl::{ConfigTarget, RouterInputs, TableKind};
use spinn_verif::cosim::{cosimulate, run_verilog, Device};
use spinn_verif::fabric_equivalence::{run_model, run_rtl_recorded, FabricScenario};
use spinn_verif::lint::lint_file;
use spinn_verif::stimulus::{random_stimulus, StimulusConfig};
use spinn_verif::strategies::arb_fabric_scenario;
use spinn_verif::synth::{place_and_route, synthesize, Family};
use spinn_verif::tools::{self, scratch_dir, IVERILOG, NEXTPNR_ECP5, VERILATOR, YOSYS};

fn configs() -> Vec<(&'static str, RouterConfig)> {
    vec![
        ("register16", RouterConfig::register(16)),
        ("register64", RouterConfig::register(64)),
        (
            "banked64",
            RouterConfig::banked(64).expect("invariant: a built size"),
        ),
        (
            "banked1024",
            RouterConfig::banked(1024).expect("invariant: a built size"),
        ),
    ]
}

#[test]
fn exported_verilog_lints_with_no_warning_under_the_shipped_waivers() {
    if tools::require(VERILATOR, "lint").is_none() {
        return;
    }
    for (name, config) in configs() {
        let dir = scratch_dir(&format!("lint-{name}")).expect("scratch dir");
        let path = dir.join(format!("{name}.v"));
        std::fs::write(&path, config::verilog(&config).expect("export")).expect("write");
        let report = lint_file(&path).expect("verilator runs");
        assert!(
            report.is_clean(),
            "{name}: {} lint warnings:\n{}",
            report.findings.len(),
            report.findings.join("\n")
        );
        eprintln!("{name}: lint clean, no warning");
    }
}

/// The waivers must not hide the two shapes in which rust-hdl's Verilog differs from its
/// simulation (`../shared/spec/rust-hdl.md`): an unparenthesised comparison inside a bitwise
/// operator, and an inversion inside a widening cast.
#[test]
fn the_waivers_still_catch_rust_hdl_miscompilations() {
    if tools::require(VERILATOR, "lint of the known pitfalls").is_none() {
        return;
    }
    let pitfalls = "module pitfalls(input wire [31:0] key, input wire [31:0] mask, \
                    input wire [31:0] want, output wire [31:0] hit, output wire [87:0] wide);\n\
                    assign hit = key & mask == want;\n\
                    assign wide = ((~key) & 88'hffffffff);\n\
                    endmodule\n";
    let dir = scratch_dir("lint-pitfalls").expect("scratch dir");
    let path = dir.join("pitfalls.v");
    std::fs::write(&path, pitfalls).expect("write");
    let report = lint_file(&path).expect("verilator runs");
    let has = |shape: &str| report.findings.iter().any(|f| f.contains(shape));
    assert!(
        has("RHS's EQ generates 1 bits"),
        "the precedence bug passes the waivers: {:?}",
        report.findings
    );
    assert!(
        has("Operator NOT expects 88 bits"),
        "an inverted widening cast passes the waivers: {:?}",
        report.findings
    );
}

fn cosim(name: &str, config: RouterConfig, cycles: usize, seed: u64) {
    if tools::require(IVERILOG, &format!("cosim {name}")).is_none() {
        return;
    }
    let stimulus = random_stimulus(StimulusConfig {
        cycles,
        seed,
        table_entries: config.table.entries(),
        p2p_entries: config.p2p_entries,
    });
    let dir = scratch_dir(&format!("cosim-{name}")).expect("scratch dir");
    let report = cosimulate(&config, &stimulus, &dir)
        .unwrap_or_else(|e| panic!("{name} (seed {seed}): {e}"));
    let count = |c: Counter| report.events[c.index()];
    eprintln!(
        "{name}: {} cycles identical (rust-hdl {:.2} s, icarus {:.2} s); events {:?}",
        report.cycles, report.rust_seconds, report.verilog_seconds, report.events
    );
    // The stimulus must have exercised the paths that matter, or equality proves little.
    for c in [
        Counter::ExternalMc,
        Counter::EmergencyRouted,
        Counter::DumpedMc,
        Counter::DumpOverflow,
        Counter::ParityError,
    ] {
        assert!(
            count(c) > 0,
            "{name} (seed {seed}): the stimulus never caused {}",
            c.name()
        );
    }
}

#[test]
fn verilog_matches_rust_hdl_register16() {
    cosim("register16", RouterConfig::register(16), 3000, 1);
}

#[test]
fn verilog_matches_rust_hdl_register64() {
    cosim("register64", RouterConfig::register(64), 2000, 2);
}

#[test]
fn verilog_matches_rust_hdl_banked64() {
    cosim(
        "banked64",
        RouterConfig::banked(64).expect("invariant: a built size"),
        3000,
        3,
    );
}

/// Directed stimulus for out-of-range configuration writes: live MC and P2P entries wherever a
/// wrapped write would land (`index mod size`), probes of every live entry and of every stray
/// key, the stray writes (MC entries whose keys the probes carry, P2P codes), then the same
/// probes again. Returns the stimulus and the number of stray MC writes.
fn stray_write_stimulus(config: &RouterConfig) -> (Vec<RouterInputs>, usize) {
    let (size, p2p_size) = (config.table.entries(), config.p2p_entries);
    let settle = match config.table {
        TableKind::Register { .. } => 4,
        TableKind::Banked { depth_bits, .. } => (1 << depth_bits) + 8,
    };
    let strays = |n: usize| [n, n + 1, n + n / 2, 0x8000, 0xffff];
    let live = |n: usize| {
        let mut at: Vec<usize> = strays(n).iter().map(|i| i % n).collect();
        at.sort();
        at.dedup();
        at
    };
    let live_key = |i: usize| 0x1000_0000 | i as u32;
    let stray_key = |i: usize| 0x2000_0000 | i as u32;
    let coord_bits = p2p_size.trailing_zeros() / 2;
    let chip_at = |i: usize| ((i >> coord_bits) << 8 | i & ((1 << coord_bits) - 1)) as u16;
    let mut res = vec![RouterInputs {
        reset: true,
        ..RouterInputs::idle()
    }];
    let write = |target: ConfigTarget, idx: usize, key: u32, data: u32| {
        RouterInputs::config_write(target, idx as u16, key, u32::MAX, data)
    };
    for i in live(size) {
        let route = RouteSet::link(LinkDir::N).bits();
        res.push(write(ConfigTarget::McEntry, i, live_key(i), route));
    }
    for i in live(p2p_size) {
        let code = P2pRoute::Link(LinkDir::N).code() as u32;
        res.push(write(ConfigTarget::P2pEntry, i, 0, code));
    }
    let mut probes: Vec<(Option<LinkDir>, usize, Packet)> = Vec::new();
    for i in live(size) {
        probes.push((None, 1, Packet::mc(live_key(i))));
    }
    for i in strays(size) {
        probes.push((Some(LinkDir::W), 0, Packet::mc(stray_key(i))));
        probes.push((None, 2, Packet::mc(stray_key(i))));
    }
    for i in live(p2p_size) {
        probes.push((None, 1, Packet::p2p(0, chip_at(i), 0)));
    }
    let probe_all = |res: &mut Vec<RouterInputs>| {
        for &(link, core, pkt) in &probes {
            let mut inputs = RouterInputs::idle();
            match link {
                Some(l) => {
                    inputs.link_in_valid[l.index()] = true;
                    inputs.link_in_packet[l.index()] = pkt.to_bus();
                }
                None => {
                    inputs.core_in_valid[core] = true;
                    inputs.core_in_packet[core] = pkt.to_bus();
                }
            }
            res.push(inputs);
            res.extend(std::iter::repeat_n(RouterInputs::idle(), settle));
        }
    };
    probe_all(&mut res);
    for i in strays(size) {
        let route = RouteSet::link(LinkDir::S).bits() | 1 << (6 + 5);
        res.push(write(ConfigTarget::McEntry, i, stray_key(i), route));
    }
    for i in strays(p2p_size) {
        let code = P2pRoute::Link(LinkDir::S).code() as u32;
        res.push(write(ConfigTarget::P2pEntry, i, 0, code));
    }
    probe_all(&mut res);
    (res, strays(size).len())
}

#[test]
fn verilog_ignores_out_of_range_table_writes() {
    if tools::require(IVERILOG, "cosim of out-of-range table writes").is_none() {
        return;
    }
    for (name, config) in configs() {
        let config = RouterConfig {
            p2p_entries: if name == "register64" { 256 } else { 64 },
            ..config
        };
        let (stimulus, n_strays) = stray_write_stimulus(&config);
        let dir = scratch_dir(&format!("cosim-strays-{name}")).expect("scratch dir");
        let report = cosimulate(&config, &stimulus, &dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let count = |c: Counter| report.events[c.index()];
        eprintln!(
            "{name}: {} cycles of out-of-range writes identical (icarus {:.2} s); events {:?}",
            report.cycles, report.verilog_seconds, report.events
        );
        // Both rounds of probes, before and after the stray writes: every stray key is
        // default-routed from a link and unroutable from a core, and nothing else is.
        assert_eq!(count(Counter::DefaultRouted), 2 * n_strays as u64, "{name}");
        assert_eq!(count(Counter::Unroutable), 2 * n_strays as u64, "{name}");
        assert_eq!(count(Counter::ExternalMc), 2 * n_strays as u64, "{name}");
    }
}

#[test]
fn router_synthesizes_with_yosys() {
    if tools::require(YOSYS, "synthesis").is_none() {
        return;
    }
    for (name, config, family) in [
        ("register16", RouterConfig::register(16), Family::Ice40),
        (
            "banked1024",
            RouterConfig::banked(1024).expect("invariant: a built size"),
            Family::Ecp5,
        ),
    ] {
        let dir = scratch_dir(&format!("synth-{name}")).expect("scratch dir");
        let path = dir.join("router.v");
        std::fs::write(&path, config::verilog(&config).expect("export")).expect("write");
        let report =
            synthesize(&path, spinn_rtl::verilog::TOP_MODULE, family, None).expect("yosys");
        eprintln!(
            "{name} ({family:?}): {} LUT4, {} FF, {} BRAM in {:.0} s",
            report.luts(),
            report.flip_flops(),
            report.block_rams(),
            report.seconds
        );
        assert!(
            report.luts() > 500 && report.flip_flops() > 500,
            "{name}: implausibly small: {:?}",
            report.cells
        );
        if name.starts_with("banked") {
            assert!(
                report.block_rams() > 0,
                "{name}: the table did not map to block RAM: {:?}",
                report.cells
            );
        }
    }
}

/// The 16-entry router, inside the pin-limited wrapper, places and routes on an ECP5-85 with
/// nextpnr-ecp5 and reports a clock and its cells.
#[test]
fn router_places_and_routes_on_ecp5() {
    if tools::require(YOSYS, "ecp5 place and route").is_none()
        || tools::require(NEXTPNR_ECP5, "ecp5 place and route").is_none()
    {
        return;
    }
    let dir = scratch_dir("pnr-ecp5").expect("scratch dir");
    let path = dir.join("router_fpga.v");
    let config = RouterConfig::register(16);
    let text = config::verilog(&config).expect("export") + &spinn_rtl::verilog::fpga_wrapper();
    std::fs::write(&path, text).expect("write");
    let json = dir.join("router_fpga.json");
    let synth = synthesize(
        &path,
        spinn_rtl::verilog::FPGA_TOP_MODULE,
        Family::Ecp5,
        Some(&json),
    )
    .expect("yosys");
    let pnr = place_and_route(&json, Family::Ecp5, 1).expect("nextpnr-ecp5");
    eprintln!(
        "register16 on ECP5-85: {} LUT4, {} FF in {:.0} s; {}/{} logic cells, Fmax {:.1} MHz in {:.0} s",
        synth.luts(),
        synth.flip_flops(),
        synth.seconds,
        pnr.logic_cells_used,
        pnr.logic_cells_total,
        pnr.fmax_mhz,
        pnr.seconds
    );
    assert!(pnr.fmax_mhz > 0.0, "no clock: {pnr:?}");
    assert!(
        pnr.logic_cells_used > 500 && pnr.logic_cells_total > pnr.logic_cells_used,
        "implausible utilisation: {:?}",
        pnr.utilisation
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A seeded scenario for `kind` that exercises emergency routes and dumps on the model.
fn busy_fabric_scenario(kind: FabricKind) -> FabricScenario {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..200)
        .map(|_| {
            arb_fabric_scenario(kind)
                .new_tree(&mut runner)
                .expect("a scenario")
                .current()
        })
        .find(|s| {
            let m = run_model(s);
            m.dumps.len() >= 2
                && m.counters
                    .iter()
                    .map(|c| c[Counter::EmergencyRouted.index()])
                    .sum::<u32>()
                    > 0
                && m.deliveries.len() > 20
        })
        .expect("a busy scenario among 200")
}

#[test]
fn fabric_verilog_lints_and_matches_rust_hdl() {
    let lint = tools::require(VERILATOR, "fabric lint").is_some();
    let cosim = tools::require(IVERILOG, "fabric cosim").is_some();
    for kind in FabricKind::ALL {
        let scenario = busy_fabric_scenario(kind);
        let config = scenario.config;
        let dir = scratch_dir(&format!("fabric-{}", kind.name())).expect("scratch dir");
        let verilog = config::fabric_verilog(&config);
        if lint {
            let path = dir.join("fabric.v");
            std::fs::write(&path, &verilog).expect("write");
            let report = lint_file(&path).expect("verilator runs");
            assert!(
                report.is_clean(),
                "{}: lint warnings:\n{}",
                kind.name(),
                report.findings.join("\n")
            );
        }
        if cosim {
            let run = run_rtl_recorded(&scenario);
            let device = Device {
                verilog,
                top: "spinn_fabric",
                inputs: run.inputs[0].signals(),
                outputs: run.outputs[0].signals(),
            };
            let lines = |v: Vec<Vec<spinn_rtl::drive::PortValue>>| -> Vec<String> {
                v.iter().map(|s| vector_line(s)).collect()
            };
            let input_lines = lines(run.inputs.iter().map(|i| i.signals()).collect());
            let output_lines = lines(run.outputs.iter().map(|o| o.signals()).collect());
            let seconds = run_verilog(&device, &input_lines, &output_lines, &dir)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            eprintln!(
                "fabric {}: {} cycles identical in Icarus ({seconds:.1} s), {} deliveries, {} dumps",
                kind.name(),
                input_lines.len(),
                run.trace.deliveries.len(),
                run.trace.dumps.len()
            );
        }
    }
}
