//! Every routing decision of the hand-stepped RTL router equals the plain-Rust reference, over
//! random tables (overlapping entries, don't-care masks, cleared entries), P2P tables, fixed
//! routes and packets of every type from every input, default routes and re-injection
//! included, each table also written out of range (which the RTL ignores and the reference
//! refuses). `PROPTEST_CASES` raises the case count (at least 1,000 for the 16-entry router).

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use spinn_arch::{
    Counter, EmergencyRotation, InputPort, McEntry, OutputPort, P2pRoute, Packet, RouteSet,
    RouterControl, LINKS_PER_CHIP, N_COUNTERS,
};
use spinn_rtl::config::{self, RouterConfig};
use spinn_rtl::{RouterInputs, RouterOutputs};
use spinn_verif::reference::{decide, decide_reinjected, Decision, RouterState};
use spinn_verif::strategies::{arb_routing_case, cases, RoutingCase};
use std::collections::BTreeMap;

/// The copies a cycle's outputs carry.
fn copies(out: &RouterOutputs) -> BTreeMap<OutputPort, Packet> {
    OutputPort::all()
        .filter_map(|p| Some((p, Packet::from_bus(out.offered(p)?))))
        .collect()
}

fn counter_delta(before: &[u32; N_COUNTERS], after: &[u32; N_COUNTERS]) -> Vec<Counter> {
    let mut res = Vec::new();
    for c in Counter::ALL {
        for _ in 0..after[c.index()].wrapping_sub(before[c.index()]) {
            res.push(c);
        }
    }
    res
}

/// Loads the case into the RTL router and the reference, offers each packet alone and
/// compares where it went, when, and what it counted.
fn check(
    config: &RouterConfig,
    case: &RoutingCase,
    latency: u64,
    window: u64,
) -> Result<(), TestCaseError> {
    let mut rtl = config::simulate(config).expect("invariant: a built configuration");
    let mut state = RouterState::after_reset(
        config.table.entries(),
        config.p2p_entries,
        EmergencyRotation::Clockwise,
    );
    rtl.reset();
    for (idx, entry) in case.entries.iter().enumerate() {
        if let Some(entry) = entry {
            rtl.write_entry(idx, *entry);
            state
                .table
                .set(idx, *entry)
                .expect("invariant: the case fits the table");
        }
    }
    for (idx, route) in &case.p2p {
        rtl.set_p2p(*idx, *route);
        state.p2p[*idx] = *route;
    }
    // Out-of-range writes, which every table build ignores as the reference's tables refuse
    // them: a copy of each entry with another route where a wrapped write would land on it
    // (`index mod size`), and P2P codes likewise.
    let size = config.table.entries();
    for (idx, entry) in case.entries.iter().enumerate() {
        if let Some(entry) = entry {
            let other = RouteSet::from_bits(!entry.route().bits());
            let stray = McEntry::new(entry.key(), entry.mask(), other)
                .expect("invariant: the entry's own key and mask");
            for at in [size + idx, 0xffff - (size - 1 - idx)] {
                rtl.write_entry(at, stray);
                prop_assert!(state.table.set(at, stray).is_err());
            }
        }
    }
    for (idx, route) in &case.p2p {
        let other = P2pRoute::from_code(route.code() ^ 1);
        let at = config.p2p_entries + idx;
        rtl.set_p2p(at, other);
        prop_assert!(state.p2p.get(at).is_none());
    }
    rtl.set_fixed_route(case.fixed_route);
    state.fixed_route = case.fixed_route;
    let control = RouterControl {
        monitor: case.monitor,
        ..RouterControl::SCAMP_BOOT
    };
    rtl.set_control(control);
    state.control = control;

    for offer in &case.offers {
        let expected: Decision = if offer.via_reinject {
            decide_reinjected(&state, offer.packet, offer.source, offer.reinject_route)
        } else {
            decide(&state, offer.packet, offer.source)
        };
        let before = rtl.cycle(&RouterInputs::idle()).count;
        let mut inputs = RouterInputs::idle();
        let accepted_by = |out: &RouterOutputs| match (offer.via_reinject, offer.source) {
            (true, _) => out.reinject_ready,
            (false, InputPort::Link(l)) => out.link_in_ready[l.index()],
            (false, InputPort::Core(c)) => out.core_in_ready[c.index()],
        };
        if offer.via_reinject {
            inputs.reinject_valid = true;
            inputs.reinject_packet = offer.packet.to_bus();
            inputs.reinject_source = offer.source.index() as u8;
            inputs.reinject_route = offer.reinject_route.bits();
        } else {
            match offer.source {
                InputPort::Link(l) => {
                    inputs.link_in_valid[l.index()] = true;
                    inputs.link_in_packet[l.index()] = offer.packet.to_bus();
                }
                InputPort::Core(c) => {
                    inputs.core_in_valid[c.index()] = true;
                    inputs.core_in_packet[c.index()] = offer.packet.to_bus();
                }
            }
        }
        let first = rtl.cycle(&inputs);
        prop_assert!(
            accepted_by(&first),
            "{offer:?} was not accepted by an idle router"
        );
        let mut seen = BTreeMap::new();
        let mut seen_at = None;
        let mut last = first;
        for after in 1..=window {
            last = rtl.cycle(&RouterInputs::idle());
            let got = copies(&last);
            if !got.is_empty() {
                prop_assert!(
                    seen.is_empty(),
                    "{offer:?}: copies in two cycles with every output ready"
                );
                seen = got;
                seen_at = Some(after);
            }
        }
        prop_assert_eq!(
            &seen,
            &expected.copies,
            "{:?}: outputs differ from the reference",
            offer
        );
        if let Some(at) = seen_at {
            if latency > 0 {
                prop_assert_eq!(at, latency, "{:?}: latency", offer);
            }
        }
        prop_assert_eq!(
            counter_delta(&before, &last.count),
            expected.counters.clone(),
            "{:?}: counters",
            offer
        );
        prop_assert!(
            last.link_out_valid.iter().take(LINKS_PER_CHIP).all(|v| !v) && last.output_stage_empty
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), ..ProptestConfig::default() })]
    #[test]
    fn register_router_16_decides_like_the_reference(case in arb_routing_case(16, 64)) {
        check(&RouterConfig::register(16), &case, 2, 4)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(100), ..ProptestConfig::default() })]
    #[test]
    fn register_router_64_decides_like_the_reference(case in arb_routing_case(64, 256)) {
        let config = RouterConfig { p2p_entries: 256, ..RouterConfig::register(64) };
        check(&config, &case, 2, 4)?;
    }

    #[test]
    fn banked_router_64_decides_like_the_reference(case in arb_routing_case(64, 64)) {
        // 4 banks of 16: an MC lookup takes up to 17 cycles more than the register table.
        check(&RouterConfig::banked(64).expect("invariant: a built size"), &case, 0, 24)?;
    }
}
