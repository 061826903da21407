//! The machine graph the toolchain maps: vertices (one per application core) and outgoing edge
//! partitions (one multicast key space each, sent by one vertex to a set of target vertices).
//!
//! This is the hypergraph of `spec/mapping.md` §1: a partition is a net with one source and many
//! sinks, and it gets one key block (§3) and one routing tree (§5).
//! The graph validates each partition as it is added, so later stages can index by id freely.

use crate::error::GraphError;
use spinn_arch::ChipCoord;
use std::collections::BTreeSet;
use std::fmt;

/// The largest number of keys one partition may ask for: its block must be an aligned power of
/// two inside the 32-bit key space, and a block of 2^32 would leave no room for anything else.
pub const MAX_KEYS_PER_PARTITION: u32 = 1 << 31;

/// A vertex of a [`MachineGraph`], numbered in insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VertexId(pub u32);

impl VertexId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for VertexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// An outgoing edge partition of a [`MachineGraph`], numbered in insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId(pub u32);

impl PartitionId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// What one vertex needs from the core it runs on and from its chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// Data TCM of the core; every core has its own.
    pub dtcm_bytes: u32,
    /// SDRAM, shared by all cores of a chip.
    pub sdram_bytes: u64,
}

/// One vertex: a program instance that will occupy one application core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vertex {
    pub name: String,
    pub resources: Resources,
    /// A placement constraint: the vertex must run on this chip (host I/O vertices sit on the
    /// Ethernet chip (0, 0), for example).
    pub chip: Option<ChipCoord>,
}

/// An outgoing edge partition: `n_keys` consecutive keys sent by `source` to every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub source: VertexId,
    /// Unique among the partitions of one source.
    pub name: String,
    pub n_keys: u32,
    /// The receivers; a vertex may target itself. [`MachineGraph::add_partition`] sorts and
    /// deduplicates them.
    pub targets: Vec<VertexId>,
}

/// Vertices and partitions, each addressed by the id returned when it was added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineGraph {
    vertices: Vec<Vertex>,
    partitions: Vec<Partition>,
    /// (source, partition name) pairs already used, to reject duplicates.
    names: BTreeSet<(VertexId, String)>,
}

impl MachineGraph {
    pub fn new() -> MachineGraph {
        MachineGraph::default()
    }

    pub fn add_vertex(&mut self, vertex: Vertex) -> VertexId {
        let id = VertexId(
            u32::try_from(self.vertices.len()).expect("invariant: fewer than 2^32 vertices"),
        );
        self.vertices.push(vertex);
        id
    }

    /// Adds a partition after checking that its vertices exist, it has at least one target and
    /// its key count is in `1..=2^31`; its targets are sorted and deduplicated.
    pub fn add_partition(&mut self, mut partition: Partition) -> Result<PartitionId, GraphError> {
        let source = self.vertices.get(partition.source.index()).ok_or_else(|| {
            GraphError::UnknownSource {
                partition: partition.name.clone(),
                vertex: partition.source,
            }
        })?;
        let label = format!("{}/{}", source.name, partition.name);
        if let Some(&bad) = partition
            .targets
            .iter()
            .find(|t| t.index() >= self.vertices.len())
        {
            return Err(GraphError::UnknownTarget {
                partition: label,
                vertex: bad,
            });
        }
        if partition.targets.is_empty() {
            return Err(GraphError::NoTargets { partition: label });
        }
        if partition.n_keys == 0 {
            return Err(GraphError::NoKeys { partition: label });
        }
        if partition.n_keys > MAX_KEYS_PER_PARTITION {
            return Err(GraphError::TooManyKeys {
                partition: label,
                n_keys: partition.n_keys,
                max: MAX_KEYS_PER_PARTITION,
            });
        }
        if !self
            .names
            .insert((partition.source, partition.name.clone()))
        {
            return Err(GraphError::DuplicatePartition { partition: label });
        }
        partition.targets.sort_unstable();
        partition.targets.dedup();
        let id = PartitionId(
            u32::try_from(self.partitions.len()).expect("invariant: fewer than 2^32 partitions"),
        );
        self.partitions.push(partition);
        Ok(id)
    }

    pub fn n_vertices(&self) -> usize {
        self.vertices.len()
    }

    pub fn n_partitions(&self) -> usize {
        self.partitions.len()
    }

    /// The vertex with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this graph's [`MachineGraph::add_vertex`].
    pub fn vertex(&self, id: VertexId) -> &Vertex {
        &self.vertices[id.index()]
    }

    /// The partition with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this graph's [`MachineGraph::add_partition`].
    pub fn partition(&self, id: PartitionId) -> &Partition {
        &self.partitions[id.index()]
    }

    /// The vertices in id order.
    pub fn vertices(&self) -> impl ExactSizeIterator<Item = (VertexId, &Vertex)> + '_ {
        self.vertices
            .iter()
            .enumerate()
            .map(|(i, v)| (VertexId(i as u32), v))
    }

    /// The partitions in id order.
    pub fn partitions(&self) -> impl ExactSizeIterator<Item = (PartitionId, &Partition)> + '_ {
        self.partitions
            .iter()
            .enumerate()
            .map(|(i, p)| (PartitionId(i as u32), p))
    }

    /// The name errors use for a partition: `source vertex name/partition name`.
    pub fn partition_label(&self, id: PartitionId) -> String {
        let partition = self.partition(id);
        format!("{}/{}", self.vertex(partition.source).name, partition.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vertex(name: &str) -> Vertex {
        Vertex {
            name: name.to_string(),
            resources: Resources {
                dtcm_bytes: 0,
                sdram_bytes: 0,
            },
            chip: None,
        }
    }

    fn partition(source: u32, name: &str, n_keys: u32, targets: &[u32]) -> Partition {
        Partition {
            source: VertexId(source),
            name: name.to_string(),
            n_keys,
            targets: targets.iter().map(|&t| VertexId(t)).collect(),
        }
    }

    #[test]
    fn ids_count_up_and_targets_are_sorted_and_deduplicated() {
        let mut graph = MachineGraph::new();
        assert_eq!(graph.add_vertex(vertex("a")), VertexId(0));
        assert_eq!(graph.add_vertex(vertex("b")), VertexId(1));
        let id = graph
            .add_partition(partition(0, "spikes", 10, &[1, 0, 1]))
            .expect("valid partition");
        assert_eq!(id, PartitionId(0));
        assert_eq!(
            graph.partition(id).targets,
            vec![VertexId(0), VertexId(1)],
            "a vertex may target itself, once"
        );
        assert_eq!(graph.partition_label(id), "a/spikes");
        assert_eq!(
            graph.add_partition(partition(1, "spikes", 1, &[0])),
            Ok(PartitionId(1)),
            "names only need to be unique per source"
        );
        assert_eq!(graph.n_partitions(), 2);
    }

    #[test]
    fn invalid_partitions_are_rejected_by_name() {
        let mut graph = MachineGraph::new();
        graph.add_vertex(vertex("a"));
        assert_eq!(
            graph.add_partition(partition(3, "x", 1, &[0])),
            Err(GraphError::UnknownSource {
                partition: "x".to_string(),
                vertex: VertexId(3)
            })
        );
        let err = graph
            .add_partition(partition(0, "x", 1, &[0, 7]))
            .unwrap_err();
        assert_eq!(err.to_string(), "partition a/x targets unknown vertex v7");
        assert_eq!(
            graph.add_partition(partition(0, "x", 0, &[0])),
            Err(GraphError::NoKeys {
                partition: "a/x".to_string()
            })
        );
        assert_eq!(
            graph.add_partition(partition(0, "x", (1 << 31) + 1, &[0])),
            Err(GraphError::TooManyKeys {
                partition: "a/x".to_string(),
                n_keys: (1 << 31) + 1,
                max: 1 << 31
            })
        );
        assert_eq!(
            graph.add_partition(partition(0, "x", 1, &[])),
            Err(GraphError::NoTargets {
                partition: "a/x".to_string()
            })
        );
        assert_eq!(
            graph.add_partition(partition(0, "x", 1 << 31, &[0])),
            Ok(PartitionId(0))
        );
        assert_eq!(
            graph
                .add_partition(partition(0, "x", 1, &[0]))
                .unwrap_err()
                .to_string(),
            "partition a/x is defined twice"
        );
    }
}
