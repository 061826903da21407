//! End-to-end tests of `map`: errors that name what is wrong, an impossible table, a table that
//! only ordered covering can fit, and determinism.

use spinn_arch::{ChipCoord, Machine, Wrap};
use spinn_toolchain::{
    map, MachineGraph, MapConfig, MapError, MinimiseError, Partition, PlaceError, Resources,
    Vertex, VertexId,
};

fn c(x: u16, y: u16) -> ChipCoord {
    ChipCoord::new(x, y)
}

fn vertex(name: &str, chip: Option<ChipCoord>) -> Vertex {
    Vertex {
        name: name.to_string(),
        resources: Resources {
            dtcm_bytes: 4096,
            sdram_bytes: 1 << 20,
        },
        chip,
    }
}

/// A source on (0, 0) of a 2x1 mesh and 17 sinks filling (1, 0), with one single-key partition
/// per entry of `targets`, each sent to the sinks whose bits are set.
fn fan_graph(targets: impl Iterator<Item = u32>) -> MachineGraph {
    let mut graph = MachineGraph::new();
    let src = graph.add_vertex(vertex("src", Some(c(0, 0))));
    let sinks: Vec<VertexId> = (0..17)
        .map(|i| graph.add_vertex(vertex(&format!("sink{i}"), Some(c(1, 0)))))
        .collect();
    for (i, bits) in targets.enumerate() {
        graph
            .add_partition(Partition {
                source: src,
                name: format!("p{i}"),
                n_keys: 1,
                targets: (0..17)
                    .filter(|b| bits >> b & 1 == 1)
                    .map(|b| sinks[b])
                    .collect(),
            })
            .expect("valid partition");
    }
    graph
}

#[test]
fn unmergeable_routes_through_one_chip_give_table_too_large_naming_it() {
    // 1100 partitions to 1100 different sets of cores on (1, 0): every entry there has its own
    // route, so nothing merges. On (0, 0) they all go east and merge into one entry.
    let machine = Machine::torus(2, 1, Wrap::NONE).unwrap();
    let graph = fan_graph(1..=1100);
    let err = map(&machine, &graph, MapConfig::SPINNAKER1).unwrap_err();
    assert_eq!(
        err,
        MapError::Minimise(MinimiseError::TableTooLarge {
            chip: c(1, 0),
            n_entries: 1100,
            capacity: 1023
        })
    );
    assert_eq!(
        err.to_string(),
        "the routing table of chip (1, 0) cannot be minimised below \
         1100 entries, more than its capacity of 1023"
    );
}

#[test]
fn ordered_covering_fits_a_table_default_removal_cannot() {
    // 1100 partitions cycling over 17 single-core routes: 17 routes, so ordered covering can
    // merge (1, 0) well below 1023 entries, and the checker proves every key still arrives.
    let machine = Machine::torus(2, 1, Wrap::NONE).unwrap();
    let graph = fan_graph((0..1100).map(|i| 1 << (i % 17)));
    let mapping = map(&machine, &graph, MapConfig::SPINNAKER1).expect("fits after covering");
    let sizes = mapping.table_sizes();
    assert_eq!(sizes[&c(0, 0)], (1100, 1));
    let (before, after) = sizes[&c(1, 0)];
    assert_eq!(before, 1100);
    // Covering stops as soon as the table fits rather than merging all it could.
    assert!((1000..=1023).contains(&after), "{after} entries");
    assert_eq!(mapping.check.n_partitions, 1100);
}

#[test]
fn placement_errors_come_through_map_by_name() {
    let machine = Machine::spinn3();
    let mut graph = MachineGraph::new();
    for i in 0..69 {
        graph.add_vertex(vertex(&format!("v{i}"), None));
    }
    let err = map(&machine, &graph, MapConfig::SPINNAKER1).unwrap_err();
    assert_eq!(
        err,
        MapError::Place(PlaceError::GraphDoesNotFit {
            n_vertices: 69,
            n_cores_free: 68
        })
    );
    assert_eq!(
        err.to_string(),
        "the graph has 69 vertices but the machine has only 68 free \
         application cores"
    );

    let mut graph = MachineGraph::new();
    graph.add_vertex(vertex("io", Some(c(5, 5))));
    assert_eq!(
        map(&machine, &graph, MapConfig::SPINNAKER1)
            .unwrap_err()
            .to_string(),
        "vertex io is constrained to chip (5, 5), which is not a live chip"
    );
}

#[test]
fn an_unreachable_target_names_the_partition_and_chips() {
    // The only link of a 2x1 mesh is dead, so the sinks on (1, 0) cannot be reached.
    let machine = Machine::torus(2, 1, Wrap::NONE)
        .unwrap()
        .with_dead_link(c(0, 0), spinn_arch::LinkDir::E)
        .unwrap();
    let graph = fan_graph(std::iter::once(1));
    assert_eq!(
        map(&machine, &graph, MapConfig::SPINNAKER1)
            .unwrap_err()
            .to_string(),
        "partition src/p0: no path over live links from chip (0, 0) to chip (1, 0)"
    );
}

#[test]
fn mapping_is_deterministic() {
    let machine = Machine::spinn5();
    let mut graph = MachineGraph::new();
    let ids: Vec<VertexId> = (0..100)
        .map(|i| graph.add_vertex(vertex(&format!("v{i}"), None)))
        .collect();
    for (i, &id) in ids.iter().enumerate() {
        graph
            .add_partition(Partition {
                source: id,
                name: "out".to_string(),
                n_keys: 1 + (i as u32 * 37) % 200,
                targets: (1..6).map(|k| ids[(i * 7 + k * 13) % 100]).collect(),
            })
            .expect("valid partition");
    }
    let first = map(&machine, &graph, MapConfig::SPINNAKER1).expect("maps");
    let second = map(&machine, &graph, MapConfig::SPINNAKER1).expect("maps");
    assert_eq!(first, second);
}
