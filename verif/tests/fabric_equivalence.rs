//! The fast fabric model equals the RTL fabric cycle for cycle: per-port delivery logs, dump
//! logs and counters, over random scenarios on the 2×2 and 3×3 tori and SpiNN-3 (at least 200 per
//! run in all), with multicast tables, P2P, NN and FR traffic, parity errors, back-pressure that
//! forces emergency routes and dumps, and dead links. `PROPTEST_CASES` raises the counts.

use proptest::prelude::*;
use spinn_rtl::config::FabricKind;
use spinn_verif::fabric_equivalence::{compare, model_fabric, run_model, run_rtl, FabricScenario};
use spinn_verif::strategies::{arb_fabric_scenario, cases};

fn check(s: &FabricScenario) -> Result<(), TestCaseError> {
    let model = run_model(s);
    let rtl = run_rtl(s);
    if let Some(diff) = compare(&model, &rtl) {
        return Err(TestCaseError::fail(format!(
            "{diff}\nmodel dumps {:x?}\nrtl dumps {:x?}",
            model.dumps, rtl.dumps
        )));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(80), ..ProptestConfig::default() })]
    #[test]
    fn model_equals_rtl_on_a_2x2_torus(s in arb_fabric_scenario(FabricKind::Torus2x2)) {
        check(&s)?;
    }

    #[test]
    fn model_equals_rtl_on_spinn3(s in arb_fabric_scenario(FabricKind::Spinn3)) {
        check(&s)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(40), ..ProptestConfig::default() })]
    #[test]
    fn model_equals_rtl_on_a_3x3_torus(s in arb_fabric_scenario(FabricKind::Torus3x3)) {
        check(&s)?;
    }
}

/// The fast model with frozen routers asleep equals it with every router stepped every cycle,
/// cycle for cycle, on more and longer scenarios than the RTL can afford (sleeping is an
/// optimisation and must change nothing).
fn check_sleeping(mut s: FabricScenario) -> Result<(), TestCaseError> {
    s.cycles = 1_000;
    let mut awake = model_fabric(&s);
    awake.set_sleeping(false);
    let mut asleep = model_fabric(&s);
    for end in (50..=s.cycles).step_by(50) {
        awake.run_until(end);
        asleep.run_until(end);
        prop_assert_eq!(awake.deliveries(), asleep.deliveries(), "by cycle {}", end);
        prop_assert_eq!(awake.dumps(), asleep.dumps(), "by cycle {}", end);
        for chip in 0..awake.machine().n_chips() {
            prop_assert_eq!(
                awake.counters(chip),
                asleep.counters(chip),
                "chip {} by cycle {}",
                chip,
                end
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(150), ..ProptestConfig::default() })]
    #[test]
    fn sleeping_routers_change_nothing_on_a_3x3_torus(s in arb_fabric_scenario(FabricKind::Torus3x3)) {
        check_sleeping(s)?;
    }

    #[test]
    fn sleeping_routers_change_nothing_on_spinn3(s in arb_fabric_scenario(FabricKind::Spinn3)) {
        check_sleeping(s)?;
    }
}

/// Out-of-range configuration writes on the RTL fabric: every table padded to the RTL's size
/// with cleared entries and followed by a copy of each entry with another route (where a
/// wrapped write would land on the entry itself) and an entry matching every key, and P2P
/// writes just past the table, at the largest index the port carries and past it. Both engines
/// route exactly as without them.
#[test]
fn out_of_range_table_writes_change_nothing_on_either_fabric() {
    use proptest::strategy::ValueTree;
    use spinn_arch::{McEntry, P2pRoute, RouteSet};
    use spinn_rtl::config::{FABRIC_P2P_ENTRIES, FABRIC_TABLE_ENTRIES};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for (kind, n) in [(FabricKind::Torus2x2, 12), (FabricKind::Spinn3, 6)] {
        for _ in 0..n {
            let s = arb_fabric_scenario(kind)
                .new_tree(&mut runner)
                .expect("a scenario")
                .current();
            let mut stray = s.clone();
            for (table, p2p) in stray.tables.iter_mut().zip(&mut stray.p2p) {
                let copies: Vec<McEntry> = table
                    .iter()
                    .map(|e| {
                        McEntry::new(e.key(), e.mask(), RouteSet::from_bits(!e.route().bits()))
                            .expect("invariant: the entry's own key and mask")
                    })
                    .collect();
                table.resize(FABRIC_TABLE_ENTRIES, McEntry::CLEARED);
                table.extend(copies);
                // And one that would catch every packet the table misses.
                table.push(
                    McEntry::new(0, 0, RouteSet::from_bits(0x3f)).expect("invariant: a zero key"),
                );
                let past: Vec<(usize, P2pRoute)> = p2p
                    .iter()
                    .map(|&(i, r)| (FABRIC_P2P_ENTRIES + i, P2pRoute::from_code(r.code() ^ 1)))
                    .collect();
                p2p.extend(past);
                p2p.extend([(0xffff, P2pRoute::Monitor), (1 << 16, P2pRoute::Monitor)]);
            }
            let want = run_model(&s);
            let model = run_model(&stray);
            let rtl = run_rtl(&stray);
            assert_eq!(compare(&model, &want), None, "{kind:?}: model");
            if let Some(diff) = compare(&rtl, &want) {
                panic!("{kind:?}: the RTL with out-of-range writes differs: {diff}\n{s:?}");
            }
        }
    }
}
