//! Placement: which chip and core each vertex runs on (`spec/mapping.md` §4.2).
//!
//! This is Rig's sequential family with breadth-first orders on both sides: vertices are taken
//! in breadth-first order over the graph (starting from the vertices with a chip constraint,
//! then restarting at the lowest unvisited id for each further component), and chips are filled
//! in breadth-first order over the live links from (0, 0), which visits them ring by ring.
//! Both orders keep neighbours close: a vertex lands on the chip its predecessor filled, or on
//! the next chip out.
//! A vertex goes to the first chip, from the current one onwards (wrapping round), that has a
//! free application core (never the monitor core 0, never a dead core) and enough SDRAM left.
//! DTCM is per core, so it only has to fit one core.

use crate::error::{MemoryRegion, PlaceError};
use crate::graph::{MachineGraph, VertexId};
use spinn_arch::{ChipCoord, CoreId, Machine, CORES_PER_CHIP};
use std::collections::VecDeque;

pub use spinn_arch::{DTCM_BYTES, SDRAM_BYTES};

/// Where one vertex runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placement {
    pub chip: ChipCoord,
    pub core: CoreId,
}

/// The placement of every vertex of a graph, indexed by vertex id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placements {
    by_vertex: Vec<Placement>,
}

impl Placements {
    /// Placements from a list indexed by vertex id (for callers that place by hand).
    pub fn from_vec(by_vertex: Vec<Placement>) -> Placements {
        Placements { by_vertex }
    }

    pub fn get(&self, vertex: VertexId) -> Option<Placement> {
        self.by_vertex.get(vertex.index()).copied()
    }

    pub fn len(&self) -> usize {
        self.by_vertex.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_vertex.is_empty()
    }

    /// Every vertex's placement, in vertex id order.
    pub fn iter(&self) -> impl Iterator<Item = (VertexId, Placement)> + '_ {
        self.by_vertex
            .iter()
            .enumerate()
            .map(|(i, p)| (VertexId(i as u32), *p))
    }
}

/// What is still free on one chip.
#[derive(Debug, Clone)]
struct ChipRoom {
    chip: ChipCoord,
    /// Free live application cores, lowest first.
    free_cores: VecDeque<CoreId>,
    sdram_free: u64,
}

/// Places every vertex of `graph` on `machine`, or says why it cannot.
pub fn place(machine: &Machine, graph: &MachineGraph) -> Result<Placements, PlaceError> {
    let chip_order = chip_order(machine);
    let mut rooms: Vec<ChipRoom> = chip_order
        .iter()
        .map(|&chip| ChipRoom {
            chip,
            free_cores: (1..CORES_PER_CHIP)
                .map(|i| CoreId::new(i).expect("invariant: i < CORES_PER_CHIP"))
                .filter(|&core| machine.core_alive(chip, core))
                .collect(),
            sdram_free: SDRAM_BYTES,
        })
        .collect();
    // Position of each live chip in `rooms`, by the machine's dense chip index.
    let mut room_of_chip = vec![0; machine.n_chips()];
    for (pos, room) in rooms.iter().enumerate() {
        let dense = machine
            .chip_index(room.chip)
            .expect("invariant: the chip order holds live chips only");
        room_of_chip[dense] = pos;
    }

    let n_cores_free: usize = rooms.iter().map(|r| r.free_cores.len()).sum();
    if graph.n_vertices() > n_cores_free {
        return Err(PlaceError::GraphDoesNotFit {
            n_vertices: graph.n_vertices(),
            n_cores_free,
        });
    }

    let mut placed: Vec<Option<Placement>> = vec![None; graph.n_vertices()];
    let mut cursor = 0;
    for vertex_id in vertex_order(graph) {
        let vertex = graph.vertex(vertex_id);
        let needs = vertex.resources;
        if needs.dtcm_bytes > DTCM_BYTES {
            return Err(PlaceError::OverBudget {
                vertex: vertex.name.clone(),
                region: MemoryRegion::Dtcm,
                requested: needs.dtcm_bytes.into(),
                available: DTCM_BYTES.into(),
                capacity: DTCM_BYTES.into(),
            });
        }
        let fits =
            |room: &ChipRoom| !room.free_cores.is_empty() && room.sdram_free >= needs.sdram_bytes;
        let pos = match vertex.chip {
            Some(chip) => {
                let dense =
                    machine
                        .chip_index(chip)
                        .ok_or_else(|| PlaceError::ConstrainedChipDead {
                            vertex: vertex.name.clone(),
                            chip,
                        })?;
                let pos = room_of_chip[dense];
                if needs.sdram_bytes > SDRAM_BYTES {
                    return Err(over_sdram(&vertex.name, needs.sdram_bytes, &rooms));
                }
                if !fits(&rooms[pos]) {
                    return Err(PlaceError::ConstrainedChipFull {
                        vertex: vertex.name.clone(),
                        chip,
                    });
                }
                pos
            }
            None => {
                // Constrained vertices may have filled chips anywhere, so skip full chips here
                // rather than relying on the cursor alone.
                while cursor < rooms.len() && rooms[cursor].free_cores.is_empty() {
                    cursor += 1;
                }
                (cursor..rooms.len())
                    .chain(0..cursor)
                    .find(|&pos| fits(&rooms[pos]))
                    .ok_or_else(|| over_sdram(&vertex.name, needs.sdram_bytes, &rooms))?
            }
        };
        let room = &mut rooms[pos];
        let core = room
            .free_cores
            .pop_front()
            .expect("invariant: fits() saw a free core");
        room.sdram_free -= needs.sdram_bytes;
        placed[vertex_id.index()] = Some(Placement {
            chip: room.chip,
            core,
        });
    }
    Ok(Placements {
        by_vertex: placed
            .into_iter()
            .map(|p| p.expect("invariant: the vertex order lists every vertex once"))
            .collect(),
    })
}

/// The error for a vertex that fits no chip's SDRAM (while a core is free somewhere, which the
/// up-front core count guarantees).
fn over_sdram(vertex: &str, requested: u64, rooms: &[ChipRoom]) -> PlaceError {
    PlaceError::OverBudget {
        vertex: vertex.to_string(),
        region: MemoryRegion::Sdram,
        requested,
        available: rooms
            .iter()
            .filter(|r| !r.free_cores.is_empty())
            .map(|r| r.sdram_free)
            .max()
            .unwrap_or(0),
        capacity: SDRAM_BYTES,
    }
}

/// The live chips in breadth-first order over live links from (0, 0) (or the first live chip
/// if (0, 0) is dead), restarting at the lowest unvisited chip for each disconnected part.
pub fn chip_order(machine: &Machine) -> Vec<ChipCoord> {
    let mut seen = vec![false; machine.n_chips()];
    let mut order = Vec::with_capacity(machine.n_chips());
    let origin = ChipCoord::new(0, 0);
    let starts = machine
        .contains(origin)
        .then_some(origin)
        .into_iter()
        .chain(machine.chips());
    for start in starts {
        let start_idx = machine
            .chip_index(start)
            .expect("invariant: starts are live chips");
        if seen[start_idx] {
            continue;
        }
        seen[start_idx] = true;
        let mut queue = VecDeque::from([start]);
        while let Some(chip) = queue.pop_front() {
            order.push(chip);
            for (_, far) in machine.links(chip) {
                let far_idx = machine
                    .chip_index(far)
                    .expect("invariant: links reach live chips");
                if !seen[far_idx] {
                    seen[far_idx] = true;
                    queue.push_back(far);
                }
            }
        }
    }
    order
}

/// Vertices in breadth-first order over the undirected graph of partitions, seeded with the
/// chip-constrained vertices (in id order) and restarting at the lowest unvisited id.
pub fn vertex_order(graph: &MachineGraph) -> Vec<VertexId> {
    let n = graph.n_vertices();
    let mut neighbours: Vec<Vec<VertexId>> = vec![Vec::new(); n];
    for (_, partition) in graph.partitions() {
        for &target in &partition.targets {
            if target != partition.source {
                neighbours[partition.source.index()].push(target);
                neighbours[target.index()].push(partition.source);
            }
        }
    }
    for list in &mut neighbours {
        list.sort_unstable();
        list.dedup();
    }
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue = VecDeque::new();
    for (id, vertex) in graph.vertices() {
        if vertex.chip.is_some() {
            seen[id.index()] = true;
            queue.push_back(id);
        }
    }
    let mut next_start = 0;
    loop {
        while let Some(id) = queue.pop_front() {
            order.push(id);
            for &far in &neighbours[id.index()] {
                if !seen[far.index()] {
                    seen[far.index()] = true;
                    queue.push_back(far);
                }
            }
        }
        while next_start < n && seen[next_start] {
            next_start += 1;
        }
        if next_start == n {
            return order;
        }
        seen[next_start] = true;
        queue.push_back(VertexId(next_start as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Partition, Resources, Vertex};
    use spinn_arch::Wrap;

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    fn core(i: usize) -> CoreId {
        CoreId::new(i).expect("core index below 18")
    }

    fn vertex(name: &str, sdram_bytes: u64, chip: Option<ChipCoord>) -> Vertex {
        Vertex {
            name: name.to_string(),
            resources: Resources {
                dtcm_bytes: 1000,
                sdram_bytes,
            },
            chip,
        }
    }

    fn chain(n: usize) -> MachineGraph {
        let mut graph = MachineGraph::new();
        for i in 0..n {
            graph.add_vertex(vertex(&format!("v{i}"), 0, None));
        }
        for i in 1..n {
            graph
                .add_partition(Partition {
                    source: VertexId(i as u32 - 1),
                    name: "out".to_string(),
                    n_keys: 1,
                    targets: vec![VertexId(i as u32)],
                })
                .expect("valid partition");
        }
        graph
    }

    #[test]
    fn chips_are_ordered_ring_by_ring_from_the_origin() {
        let machine = Machine::torus(3, 3, Wrap::NONE).unwrap();
        assert_eq!(
            chip_order(&machine),
            vec![
                c(0, 0),
                c(1, 0),
                c(1, 1),
                c(0, 1),
                c(2, 0),
                c(2, 1),
                c(2, 2),
                c(1, 2),
                c(0, 2)
            ]
        );
    }

    #[test]
    fn vertices_fill_chips_in_order_skipping_the_monitor_and_dead_cores() {
        let machine = Machine::spinn3()
            .with_dead_core(c(0, 0), core(1))
            .unwrap()
            .with_dead_core(c(0, 0), core(17))
            .unwrap();
        let graph = chain(20);
        let placements = place(&machine, &graph).expect("20 vertices fit 67 cores");
        // (0, 0) has cores 2..=16 left: 15 vertices, then (1, 0) takes the rest from core 1.
        assert_eq!(
            placements.get(VertexId(0)),
            Some(Placement {
                chip: c(0, 0),
                core: core(2)
            })
        );
        assert_eq!(placements.get(VertexId(14)).map(|p| p.core), Some(core(16)));
        assert_eq!(
            placements.get(VertexId(15)),
            Some(Placement {
                chip: c(1, 0),
                core: core(1)
            })
        );
        for (_, p) in placements.iter() {
            assert_ne!(p.core, CoreId::MONITOR);
            assert!(machine.core_alive(p.chip, p.core));
        }
    }

    #[test]
    fn breadth_first_order_starts_at_constrained_vertices() {
        let mut graph = chain(4);
        graph.add_vertex(vertex("io", 0, Some(c(1, 1))));
        graph
            .add_partition(Partition {
                source: VertexId(4),
                name: "in".to_string(),
                n_keys: 1,
                targets: vec![VertexId(2)],
            })
            .expect("valid partition");
        assert_eq!(vertex_order(&graph), [4, 2, 1, 3, 0].map(VertexId).to_vec());
        let placements = place(&Machine::spinn3(), &graph).expect("fits");
        assert_eq!(
            placements.get(VertexId(4)),
            Some(Placement {
                chip: c(1, 1),
                core: core(1)
            })
        );
        assert_eq!(
            placements.get(VertexId(2)),
            Some(Placement {
                chip: c(0, 0),
                core: core(1)
            })
        );
    }

    #[test]
    fn sdram_overflow_moves_to_the_next_chip() {
        let mut graph = MachineGraph::new();
        graph.add_vertex(vertex("big", SDRAM_BYTES - 10, None));
        graph.add_vertex(vertex("small", 100, None));
        graph.add_vertex(vertex("tiny", 10, None));
        let placements = place(&Machine::spinn3(), &graph).expect("fits");
        let chips: Vec<ChipCoord> = placements.iter().map(|(_, p)| p.chip).collect();
        assert_eq!(chips, vec![c(0, 0), c(1, 0), c(0, 0)]);
    }

    #[test]
    fn placement_errors_name_the_vertex_and_the_numbers() {
        let machine = Machine::torus(1, 1, Wrap::NONE)
            .unwrap()
            .with_dead_core(c(0, 0), core(5))
            .unwrap();
        assert_eq!(
            place(&machine, &chain(17)),
            Err(PlaceError::GraphDoesNotFit {
                n_vertices: 17,
                n_cores_free: 16
            })
        );

        let mut graph = MachineGraph::new();
        graph.add_vertex(Vertex {
            name: "fat".to_string(),
            resources: Resources {
                dtcm_bytes: DTCM_BYTES + 1,
                sdram_bytes: 0,
            },
            chip: None,
        });
        let err = place(&machine, &graph).unwrap_err();
        assert_eq!(
            err,
            PlaceError::OverBudget {
                vertex: "fat".to_string(),
                region: MemoryRegion::Dtcm,
                requested: 65_537,
                available: 65_536,
                capacity: 65_536
            }
        );
        assert_eq!(
            err.to_string(),
            "vertex fat needs 65537 bytes of DTCM but at most 65536 of 65536 are free \
             anywhere it could go"
        );

        let mut graph = MachineGraph::new();
        graph.add_vertex(vertex("a", 100_000_000, None));
        graph.add_vertex(vertex("b", 30_000_000, None));
        assert_eq!(
            place(&machine, &graph),
            Err(PlaceError::OverBudget {
                vertex: "b".to_string(),
                region: MemoryRegion::Sdram,
                requested: 30_000_000,
                available: SDRAM_BYTES - 100_000_000,
                capacity: SDRAM_BYTES
            })
        );

        let mut graph = MachineGraph::new();
        graph.add_vertex(vertex("io", 0, Some(c(3, 3))));
        assert_eq!(
            place(&machine, &graph),
            Err(PlaceError::ConstrainedChipDead {
                vertex: "io".to_string(),
                chip: c(3, 3)
            })
        );

        let mut graph = MachineGraph::new();
        graph.add_vertex(vertex("a", SDRAM_BYTES, Some(c(0, 0))));
        graph.add_vertex(vertex("b", 1, Some(c(0, 0))));
        assert_eq!(
            place(&machine, &graph),
            Err(PlaceError::ConstrainedChipFull {
                vertex: "b".to_string(),
                chip: c(0, 0)
            })
        );
    }
}
