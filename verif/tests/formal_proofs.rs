//! Formal proofs of the 16-entry router's properties (`verif/formal/router_props.sv`,
//! `docs/hardware.md` "Formal properties"), each at its stated depth, and the mutants that must
//! fail them. Needs Yosys and its ABC (Debian's `yosys`); skipped without them unless
//! `SPINN_REQUIRE_TOOLS=1`.
//!
//! Depths are cycles from power-up, cycle 0 being the reset cycle; a proof to depth N covers
//! every run of N cycles, from any power-up state, with any table contents and configuration
//! writes the assumptions allow.

use spinn_verif::formal::{self, Check, Depth, Engine, Mutant, Outcome, Property, Target, Witness};
use spinn_verif::tools;
use std::path::{Path, PathBuf};

/// The tools, or `None` after a skip line.
fn tools_for(test: &str) -> Option<(PathBuf, PathBuf)> {
    let mut found = formal::TOOLS.iter().map(|&t| tools::require(t, test));
    let yosys = found.next().flatten()?;
    let abc = found.next().flatten()?;
    Some((yosys, abc))
}

fn run(check: Check, yosys: &Path, abc: &Path) -> Outcome {
    let outcome = formal::run(&check, yosys, abc);
    eprintln!("{check:?}: {outcome}");
    outcome
}

/// `check` must be proved to `depth`.
fn prove(test: &str, property: Property, engine: Engine, depth: Depth) {
    let Some((yosys, abc)) = tools_for(test) else {
        return;
    };
    let check = Check::new(Target::Property(property), engine);
    match run(check, &yosys, &abc) {
        Outcome::Proved { depth: d, .. } => assert_eq!(d, depth, "{test}"),
        other => panic!("{test}: {} not proved: {other}", property.name()),
    }
}

/// `mutant` must fail `property` within `frames` cycles, with one of the assertions labelled
/// `labels` among those failing.
fn refute(test: &str, mutant: Mutant, property: Property, frames: u32, labels: &[&str]) {
    let Some((yosys, abc)) = tools_for(test) else {
        return;
    };
    let check = Check::new(Target::Property(property), Engine::Bmc { frames }).on(mutant);
    match run(check, &yosys, &abc) {
        Outcome::Counterexample { failed, .. } => assert!(
            failed
                .iter()
                .any(|f| labels.iter().any(|l| f.starts_with(&format!("{l} ")))),
            "{test}: mutant {} fails {} but not at {labels:?}: {failed:?}",
            mutant.name(),
            property.name()
        ),
        other => panic!(
            "{test}: mutant {} passes {}: {other}",
            mutant.name(),
            property.name()
        ),
    }
}

// ---------------------------------------------------------------- the real router

/// V1, V2: unbounded, by 8-induction (its base case: BMC for 8 cycles).
#[test]
fn valid_and_packet_are_held_until_taken_for_every_depth() {
    prove(
        "valid_and_packet_are_held_until_taken_for_every_depth",
        Property::ValidHeld,
        Engine::Induction { frames: 8 },
        Depth::Unbounded,
    );
}

#[test]
fn packets_are_conserved() {
    prove(
        "packets_are_conserved",
        Property::Conservation,
        Engine::Bmc { frames: 18 },
        Depth::Bounded(18),
    );
}

#[test]
fn waits_bound_emergency_routes_and_dumps() {
    prove(
        "waits_bound_emergency_routes_and_dumps",
        Property::WaitBounds,
        Engine::Bmc { frames: 40 },
        Depth::Bounded(40),
    );
}

#[test]
fn counters_count_every_packet_once() {
    prove(
        "counters_count_every_packet_once",
        Property::Counters,
        Engine::Bmc { frames: 26 },
        Depth::Bounded(26),
    );
}

/// The watched-packet assumptions are not vacuous: each interesting case is reachable.
#[test]
fn the_assumptions_reach_every_case() {
    let test = "the_assumptions_reach_every_case";
    let Some((yosys, abc)) = tools_for(test) else {
        return;
    };
    for witness in Witness::ALL {
        let check = Check::new(Target::Witness(witness), Engine::Bmc { frames: 10 });
        match run(check, &yosys, &abc) {
            Outcome::Counterexample { failed, .. } => assert!(
                failed
                    .iter()
                    .any(|f| f.starts_with(&format!("{} ", witness.label()))),
                "{test}: {witness:?} reached, but through another assertion: {failed:?}"
            ),
            other => panic!("{test}: {witness:?} is not reachable in 10 cycles: {other}"),
        }
    }
}

// ---------------------------------------------------------------- the mutants

#[test]
fn a_router_that_loses_a_dumped_packet_fails_conservation() {
    refute(
        "a_router_that_loses_a_dumped_packet_fails_conservation",
        Mutant::DumpNotReported,
        Property::Conservation,
        10,
        &["C5"],
    );
}

#[test]
fn a_router_that_resends_from_the_stage_fails_conservation() {
    refute(
        "a_router_that_resends_from_the_stage_fails_conservation",
        Mutant::StageResends,
        Property::Conservation,
        10,
        &["C1", "C2"],
    );
}

#[test]
fn a_router_that_resends_an_early_packet_fails_conservation() {
    refute(
        "a_router_that_resends_an_early_packet_fails_conservation",
        Mutant::EarlyResends,
        Property::Conservation,
        10,
        &["C2"],
    );
}

#[test]
fn a_router_that_misses_fr_packets_fails_the_counters() {
    refute(
        "a_router_that_misses_fr_packets_fails_the_counters",
        Mutant::FrNotCounted,
        Property::Counters,
        10,
        &["K2", "K3"],
    );
}

#[test]
fn a_router_that_redecides_a_waiting_packet_drops_valid() {
    refute(
        "a_router_that_redecides_a_waiting_packet_drops_valid",
        Mutant::DecisionNotHeld,
        Property::ValidHeld,
        10,
        &["V1"],
    );
}

#[test]
fn a_router_that_waits_a_cycle_too_long_fails_the_wait_bounds() {
    refute(
        "a_router_that_waits_a_cycle_too_long_fails_the_wait_bounds",
        Mutant::WaitOneLonger,
        Property::WaitBounds,
        10,
        &["W2", "W3"],
    );
}
