//! Property tests of the whole pipeline over random graphs on random, damaged machines.
//!
//! * `map` either succeeds or fails with exactly the error the inputs call for; on success the
//!   placements, key blocks and trees are valid, the unminimised tables pass the checker too,
//!   and the minimised tables route every original key as the unminimised ones do (checked both
//!   symbolically and key by key).
//! * Ordered covering to any target, and disjoint merging, on the generated tables of random
//!   mappings, keep every key's route, and the minimised tables still pass the checker.
//! * The fused stages `map` runs (`route_tables`, `kept_tables`, `minimise_kept`) give exactly
//!   the trees, tables and errors of `route`, `build_tables` and `minimise`.
//! * On tables broken at random, the symbolic checker agrees with a naive per-key simulation of
//!   the routers.
//!
//! Case counts come from `PROPTEST_CASES` (proptest's default otherwise).

use proptest::prelude::*;
use spinn_arch::{ChipCoord, CoreId, InputPort, LinkDir, Machine, McEntry, OutputPort, RouteSet};
use spinn_toolchain::minimise::disjoint_merge;
use spinn_toolchain::{
    allocate_keys, build_tables, check, check_equivalent, map, minimise, minimise_kept,
    minimise_table, place, route, route_tables, CheckError, MachineGraph, MapConfig, MapError,
    Mapping, MinimiseConfig, MinimiseError, PlaceError, RouteConfig, RoutingEntry, RoutingTables,
    SDRAM_BYTES,
};
use std::collections::{BTreeMap, BTreeSet};

mod strategies {
    use super::*;
    use spinn_arch::Wrap;
    use spinn_toolchain::{Partition, Resources, Vertex, VertexId};

    /// Whether every live chip reaches every other over live links.
    pub fn connected(machine: &Machine) -> bool {
        let Some(first) = machine.chips().next() else {
            return false;
        };
        let mut seen = BTreeSet::from([first]);
        let mut stack = vec![first];
        while let Some(chip) = stack.pop() {
            for (_, far) in machine.links(chip) {
                if seen.insert(far) {
                    stack.push(far);
                }
            }
        }
        seen.len() == machine.n_chips()
    }

    /// A small torus or mesh, a SpiNN-3 or a SpiNN-5 board, with up to eight dead links, one
    /// dead chip and six dead cores, keeping only the damage that leaves it connected.
    pub fn arb_machine() -> impl Strategy<Value = Machine> {
        let base = prop_oneof![
            (1u16..=5, 1u16..=5, any::<bool>(), any::<bool>()).prop_map(|(w, h, hw, vw)| {
                let wrap = Wrap {
                    horizontal: hw,
                    vertical: vw,
                };
                Machine::torus(w, h, wrap).expect("small tori are valid")
            }),
            Just(Machine::spinn3()),
            Just(Machine::spinn5()),
        ];
        (
            base,
            prop::collection::vec((any::<u32>(), 0usize..6), 0..=8),
            prop::option::of(any::<u32>()),
            prop::collection::vec((any::<u32>(), 1usize..18), 0..=6),
        )
            .prop_map(|(mut machine, dead_links, dead_chip, dead_cores)| {
                for (idx, link) in dead_links {
                    let chip = machine.chip_at(idx as usize % machine.n_chips());
                    if let Ok(next) = machine.clone().with_dead_link(chip, LinkDir::ALL[link]) {
                        if connected(&next) {
                            machine = next;
                        }
                    }
                }
                if let Some(idx) = dead_chip.filter(|_| machine.n_chips() > 1) {
                    let chip = machine.chip_at(idx as usize % machine.n_chips());
                    let next = machine.clone().with_dead_chip(chip).expect("chip is live");
                    if connected(&next) {
                        machine = next;
                    }
                }
                for (idx, core) in dead_cores {
                    let chip = machine.chip_at(idx as usize % machine.n_chips());
                    let core = CoreId::new(core).expect("core below 18");
                    machine = machine.with_dead_core(chip, core).expect("chip is live");
                }
                machine
            })
    }

    /// 1–60 vertices and up to two partitions per vertex on average, each of 1–300 keys to 1–8
    /// targets; vertex 0 is sometimes constrained to chip (0, 0).
    pub fn arb_graph() -> impl Strategy<Value = MachineGraph> {
        (1usize..=60)
            .prop_flat_map(|n| {
                let n32 = n as u32;
                let partition = (0..n32, 1u32..=300, prop::collection::vec(0..n32, 1..=8));
                (
                    prop::collection::vec((0u32..=8192, 0u64..=(4 << 20)), n),
                    prop::collection::vec(partition, 0..=2 * n),
                    any::<bool>(),
                )
            })
            .prop_map(|(resources, partitions, constrain_first)| {
                let mut graph = MachineGraph::new();
                for (i, (dtcm_bytes, sdram_bytes)) in resources.into_iter().enumerate() {
                    graph.add_vertex(Vertex {
                        name: format!("v{i}"),
                        resources: Resources {
                            dtcm_bytes,
                            sdram_bytes,
                        },
                        chip: (i == 0 && constrain_first).then_some(ChipCoord::new(0, 0)),
                    });
                }
                for (i, (source, n_keys, targets)) in partitions.into_iter().enumerate() {
                    graph
                        .add_partition(Partition {
                            source: VertexId(source),
                            name: format!("p{i}"),
                            n_keys,
                            targets: targets.into_iter().map(VertexId).collect(),
                        })
                        .expect("generated partitions are valid");
                }
                graph
            })
    }

    /// NER radius 0, 1, 2 or 20; mostly the real table capacity, sometimes a tiny one so that
    /// ordered covering has to work (and may fail).
    pub fn arb_config() -> impl Strategy<Value = MapConfig> {
        (
            prop_oneof![Just(0u32), Just(1), Just(2), Just(20)],
            prop_oneof![Just(1023usize), 1usize..40],
        )
            .prop_map(|(ner_radius, table_capacity)| MapConfig {
                ner_radius,
                table_capacity,
            })
    }

    /// A way to break one entry of one table.
    #[derive(Debug, Clone, Copy)]
    pub enum Breakage {
        Remove,
        FlipRouteBit(usize),
        SwapWith(usize),
        FlipMaskBit(u32),
    }

    pub fn arb_breakage() -> impl Strategy<Value = (usize, usize, Breakage)> {
        (
            any::<usize>(),
            any::<usize>(),
            prop_oneof![
                Just(Breakage::Remove),
                (0usize..24).prop_map(Breakage::FlipRouteBit),
                any::<usize>().prop_map(Breakage::SwapWith),
                (0u32..32).prop_map(Breakage::FlipMaskBit),
            ],
        )
    }
}

use strategies::{arb_breakage, arb_config, arb_graph, arb_machine, Breakage};

fn n_free_cores(machine: &Machine) -> usize {
    machine
        .chips()
        .map(|chip| {
            (1..18)
                .filter(|&i| machine.core_alive(chip, CoreId::new(i).expect("core below 18")))
                .count()
        })
        .sum()
}

/// The route of `key` arriving from `source` at a router holding `table`: the first match,
/// else straight on from a link, else `None` (dropped).
fn route_of(table: &[McEntry], key: u32, source: InputPort) -> Option<RouteSet> {
    match (table.iter().find(|e| e.matches(key)), source) {
        (Some(e), _) => Some(e.route()),
        (None, InputPort::Link(link)) => Some(RouteSet::link(link.opposite())),
        (None, InputPort::Core(_)) => None,
    }
}

/// Follows every key of every partition one at a time: true iff each reaches exactly its
/// target cores, no chip twice, over live links only, never dropped.
fn naive_delivers_exactly(
    machine: &Machine,
    graph: &MachineGraph,
    mapping: &Mapping,
    tables: &RoutingTables,
) -> bool {
    for (id, partition) in graph.partitions() {
        let block = mapping.keys.get(id).expect("allocated");
        let source = mapping.placements.get(partition.source).expect("placed");
        let targets: BTreeSet<(ChipCoord, CoreId)> = partition
            .targets
            .iter()
            .map(|&t| {
                let p = mapping.placements.get(t).expect("placed");
                (p.chip, p.core)
            })
            .collect();
        for key in block.base..=block.last_key() {
            let mut delivered = BTreeSet::new();
            let mut visited = BTreeSet::new();
            let mut pending = vec![(source.chip, InputPort::Core(source.core))];
            while let Some((chip, from)) = pending.pop() {
                if !visited.insert(chip) {
                    return false;
                }
                let Some(route) = route_of(tables.entries(chip), key, from) else {
                    return false;
                };
                for port in route.iter() {
                    match port {
                        OutputPort::Link(link) => match machine.neighbour(chip, link) {
                            Some(far) => pending.push((far, InputPort::Link(link.opposite()))),
                            None => return false,
                        },
                        OutputPort::Core(core) => {
                            delivered.insert((chip, core));
                        }
                    }
                }
            }
            if delivered != targets {
                return false;
            }
        }
    }
    true
}

fn as_loadable(table: &[RoutingEntry]) -> Vec<McEntry> {
    table.iter().map(RoutingEntry::to_mc_entry).collect()
}

fn verify_mapping(machine: &Machine, graph: &MachineGraph, cfg: MapConfig, mapping: &Mapping) {
    // Placements: live application cores, each used once, within every budget.
    let mut used = BTreeSet::new();
    let mut sdram: BTreeMap<ChipCoord, u64> = BTreeMap::new();
    for (id, p) in mapping.placements.iter() {
        assert_ne!(p.core, CoreId::MONITOR);
        assert!(machine.core_alive(p.chip, p.core), "{id:?} on a dead core");
        assert!(used.insert((p.chip, p.core)), "core used twice");
        *sdram.entry(p.chip).or_default() += graph.vertex(id).resources.sdram_bytes;
        if let Some(chip) = graph.vertex(id).chip {
            assert_eq!(p.chip, chip, "constraint broken");
        }
    }
    assert!(sdram.values().all(|&s| s <= SDRAM_BYTES));

    // Key blocks: aligned, big enough, disjoint.
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    for (id, block) in mapping.keys.iter() {
        let size = block.block_size();
        assert!(size.is_power_of_two() && size >= u64::from(block.n_keys));
        assert_eq!(u64::from(block.base) % size, 0);
        assert_eq!(block.n_keys, graph.partition(id).n_keys);
        blocks.push((u64::from(block.base), u64::from(block.base) + size));
    }
    blocks.sort_unstable();
    assert!(
        blocks.windows(2).all(|w| w[0].1 <= w[1].0),
        "key blocks overlap"
    );

    // Trees.
    let trees = mapping.trees();
    for ((_, partition), tree) in graph.partitions().zip(&trees) {
        let mut sinks: BTreeMap<ChipCoord, RouteSet> = BTreeMap::new();
        for &t in &partition.targets {
            let p = mapping.placements.get(t).expect("placed");
            let cores = sinks.entry(p.chip).or_default();
            *cores = cores.with(OutputPort::Core(p.core));
        }
        let source = mapping
            .placements
            .get(partition.source)
            .expect("placed")
            .chip;
        assert_eq!(tree.root(), source);
        assert_eq!(tree.violation(machine, &sinks), None);
    }

    // The unminimised tables are right as they stand.
    let original_tables = mapping.unminimised();
    let unminimised = RoutingTables {
        chips: original_tables
            .chips
            .iter()
            .map(|(chip, table)| (*chip, as_loadable(table)))
            .collect(),
    };
    check(
        machine,
        graph,
        &mapping.placements,
        &mapping.keys,
        &unminimised,
    )
    .unwrap_or_else(|e| panic!("unminimised tables: {e}"));

    // Minimised tables fit and route every original key as before: symbolically, and key by
    // key over each original entry's block.
    for (&chip, original) in &original_tables.chips {
        let minimised = mapping.tables.entries(chip);
        assert!(minimised.len() <= cfg.table_capacity);
        check_equivalent(chip, original, minimised).unwrap_or_else(|e| panic!("{e}"));
        for entry in original {
            let first = entry.key;
            let last = entry.key | !entry.mask;
            for key in first..=last {
                assert_eq!(
                    route_of(minimised, key, entry.source),
                    Some(entry.route),
                    "chip {chip} key {key:#x}"
                );
            }
        }
    }
}

/// The unminimised table of `chip`, rebuilt stage by stage.
fn unminimised_table(
    machine: &Machine,
    graph: &MachineGraph,
    cfg: MapConfig,
    chip: ChipCoord,
) -> Vec<RoutingEntry> {
    let placements = place(machine, graph).expect("placed before");
    let keys = allocate_keys(graph).expect("allocated before");
    let trees = route(
        machine,
        graph,
        &placements,
        RouteConfig {
            ner_radius: cfg.ner_radius,
        },
    )
    .expect("routed before");
    build_tables(graph, &placements, &keys, &trees)
        .chips
        .remove(&chip)
        .unwrap_or_default()
}

proptest! {
    #[test]
    fn the_fused_stages_give_what_the_stage_functions_give(
        machine in arb_machine(),
        graph in arb_graph(),
        cfg in arb_config(),
    ) {
        let (Ok(placements), Ok(keys)) = (place(&machine, &graph), allocate_keys(&graph)) else {
            return Ok(());
        };
        let route_cfg = RouteConfig { ner_radius: cfg.ner_radius };
        let minimise_cfg = MinimiseConfig { table_capacity: cfg.table_capacity };
        let trees = route(&machine, &graph, &placements, route_cfg);
        let routed = route_tables(&machine, &graph, &placements, &keys, route_cfg);
        let (trees, mut routed) = match (trees, routed) {
            (Ok(trees), Ok(routed)) => (trees, routed),
            (trees, routed) => {
                prop_assert_eq!(trees.err(), routed.err());
                return Ok(());
            }
        };
        prop_assert_eq!(&routed.trees.to_trees(), &trees);
        prop_assert_eq!(routed.trees.n_hops(), trees.iter().map(|t| t.n_hops()).sum::<usize>());
        let unminimised = build_tables(&graph, &placements, &keys, &trees);
        prop_assert_eq!(&routed.trees.unminimised(&keys), &unminimised);
        let sizes: Vec<(ChipCoord, usize)> =
            unminimised.chips.iter().map(|(c, t)| (*c, t.len())).collect();
        prop_assert_eq!(routed.unminimised_sizes().collect::<Vec<_>>(), sizes);
        let kept = routed.kept_tables();
        prop_assert_eq!(
            minimise_kept(&kept, &routed.trees, &keys, minimise_cfg),
            minimise(&unminimised, minimise_cfg)
        );
    }

    #[test]
    fn disjoint_merging_keeps_every_route(
        machine in arb_machine(),
        graph in arb_graph(),
    ) {
        let Ok(mapping) = map(&machine, &graph, MapConfig::SPINNAKER1) else {
            return Ok(());
        };
        let mut tables = mapping.tables.clone();
        for (&chip, original) in &mapping.unminimised().chips {
            let merged = disjoint_merge(original).expect("generated blocks are aligned and disjoint");
            prop_assert!(merged.len() <= original.len());
            check_equivalent(chip, original, &merged).map_err(|e| TestCaseError::fail(e.to_string()))?;
            tables.chips.insert(chip, merged);
        }
        check(&machine, &graph, &mapping.placements, &mapping.keys, &tables)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(naive_delivers_exactly(&machine, &graph, &mapping, &tables));
    }

    #[test]
    fn map_succeeds_with_valid_results_or_fails_for_the_right_reason(
        machine in arb_machine(),
        graph in arb_graph(),
        cfg in arb_config(),
    ) {
        let origin = ChipCoord::new(0, 0);
        let constrained = graph.vertex(spinn_toolchain::VertexId(0)).chip.is_some();
        match map(&machine, &graph, cfg) {
            Ok(mapping) => verify_mapping(&machine, &graph, cfg, &mapping),
            Err(MapError::Place(PlaceError::GraphDoesNotFit { n_vertices, n_cores_free })) => {
                prop_assert_eq!(n_vertices, graph.n_vertices());
                prop_assert_eq!(n_cores_free, n_free_cores(&machine));
                prop_assert!(n_vertices > n_cores_free);
            }
            Err(MapError::Place(PlaceError::ConstrainedChipDead { chip, .. })) => {
                prop_assert!(constrained && chip == origin && !machine.contains(origin));
            }
            Err(MapError::Place(PlaceError::ConstrainedChipFull { chip, .. })) => {
                let free = (1..18).any(|i| machine.core_alive(origin, CoreId::new(i).expect("core")));
                prop_assert!(constrained && chip == origin && !free);
            }
            Err(MapError::Minimise(MinimiseError::TableTooLarge { chip, n_entries, capacity })) => {
                prop_assert_eq!(capacity, cfg.table_capacity);
                prop_assert!(n_entries > capacity);
                prop_assert!(unminimised_table(&machine, &graph, cfg, chip).len() >= n_entries);
            }
            Err(other) => prop_assert!(false, "unexpected error: {}", other),
        }
    }

    #[test]
    fn the_checker_agrees_with_a_key_by_key_simulation_on_broken_tables(
        machine in arb_machine(),
        graph in arb_graph(),
        (chip_pick, entry_pick, breakage) in arb_breakage(),
    ) {
        let Ok(mapping) = map(&machine, &graph, MapConfig::SPINNAKER1) else {
            // Graphs too big for the machine are covered by the property above.
            return Ok(());
        };
        let mut tables = mapping.tables.clone();
        let chips: Vec<ChipCoord> = tables.chips.keys().copied().collect();
        if chips.is_empty() {
            return Ok(());
        }
        let table = tables
            .chips
            .get_mut(&chips[chip_pick % chips.len()])
            .expect("listed chip");
        let idx = entry_pick % table.len();
        let e = table[idx];
        match breakage {
            Breakage::Remove => {
                table.remove(idx);
            }
            Breakage::FlipRouteBit(bit) => {
                let route = RouteSet::from_bits(e.route().bits() ^ (1 << bit));
                table[idx] = McEntry::new(e.key(), e.mask(), route).expect("same key and mask");
            }
            Breakage::SwapWith(other) => {
                let len = table.len();
                table.swap(idx, other % len);
            }
            Breakage::FlipMaskBit(bit) => {
                let mask = e.mask() ^ (1 << bit);
                table[idx] = McEntry::new(e.key() & mask, mask, e.route()).expect("key inside mask");
            }
        }
        let symbolic = check(&machine, &graph, &mapping.placements, &mapping.keys, &tables);
        let naive = naive_delivers_exactly(&machine, &graph, &mapping, &tables);
        prop_assert_eq!(symbolic.is_ok(), naive, "checker said {:?}", symbolic.err().map(|e: CheckError| e.to_string()));
    }

    #[test]
    fn ordered_covering_to_any_target_keeps_every_route(
        machine in arb_machine(),
        graph in arb_graph(),
        shrink_percent in 10usize..100,
    ) {
        let Ok(mapping) = map(&machine, &graph, MapConfig::SPINNAKER1) else {
            return Ok(());
        };
        let mut tables = mapping.tables.clone();
        for (&chip, original) in &mapping.unminimised().chips {
            let target = (original.len() * shrink_percent / 100).max(1);
            match minimise_table(original, target) {
                Ok(minimised) => {
                    prop_assert!(minimised.len() <= target);
                    check_equivalent(chip, original, &minimised).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    tables.chips.insert(chip, minimised);
                }
                Err(best) => prop_assert!(best > target),
            }
        }
        check(&machine, &graph, &mapping.placements, &mapping.keys, &tables)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(naive_delivers_exactly(&machine, &graph, &mapping, &tables));
    }
}
