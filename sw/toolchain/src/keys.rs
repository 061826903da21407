//! Key allocation: one aligned power-of-two block of the 32-bit key space per partition
//! (`spec/mapping.md` §3).
//!
//! A partition of `n_keys` keys gets a block of the next power of two at a base that is a
//! multiple of the block size, so one (key, mask) entry covers it and a receiver recovers the
//! key's index as `key - base`.
//! Blocks are handed out largest first, each straight after the previous one: when sizes never
//! grow, every base is automatically a multiple of its own size, so the blocks pack with no
//! gaps and never overlap.

use crate::error::KeyError;
use crate::graph::{MachineGraph, PartitionId};

/// The number of keys in the 32-bit key space.
const KEY_SPACE: u64 = 1 << 32;

/// The keys of one partition: `base..base + n_keys`, inside the aligned block `(base, mask)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyBlock {
    pub base: u32,
    /// `!(block_size - 1)`: the key bits every key of the block shares.
    pub mask: u32,
    pub n_keys: u32,
}

impl KeyBlock {
    /// The number of keys the aligned block spans (at least `n_keys`).
    pub fn block_size(self) -> u64 {
        u64::from(!self.mask) + 1
    }

    /// Whether `key` is one of the partition's keys (not merely inside its block).
    pub fn contains(self, key: u32) -> bool {
        key >= self.base && u64::from(key - self.base) < u64::from(self.n_keys)
    }

    /// The highest key the partition sends.
    pub fn last_key(self) -> u32 {
        self.base + (self.n_keys - 1)
    }
}

/// The key block of every partition, indexed by partition id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAllocation {
    blocks: Vec<KeyBlock>,
}

impl KeyAllocation {
    /// An allocation from a list indexed by partition id (for callers that choose keys by hand).
    pub fn from_vec(blocks: Vec<KeyBlock>) -> KeyAllocation {
        KeyAllocation { blocks }
    }

    pub fn get(&self, partition: PartitionId) -> Option<KeyBlock> {
        self.blocks.get(partition.index()).copied()
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Every partition's block, in partition id order.
    pub fn iter(&self) -> impl Iterator<Item = (PartitionId, KeyBlock)> + '_ {
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (PartitionId(i as u32), *b))
    }
}

/// Gives every partition of `graph` its own aligned key block, or says which one does not fit.
pub fn allocate_keys(graph: &MachineGraph) -> Result<KeyAllocation, KeyError> {
    let mut by_size: Vec<(u64, PartitionId)> = graph
        .partitions()
        .map(|(id, p)| (u64::from(p.n_keys).next_power_of_two(), id))
        .collect();
    // Largest first; ids break ties so the result is deterministic.
    by_size.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut blocks = vec![
        KeyBlock {
            base: 0,
            mask: 0,
            n_keys: 0
        };
        graph.n_partitions()
    ];
    let mut next: u64 = 0;
    for (block_size, id) in by_size {
        if next + block_size > KEY_SPACE {
            return Err(KeyError::KeySpaceExhausted {
                partition: graph.partition_label(id),
                block_size,
                n_free: KEY_SPACE - next,
            });
        }
        debug_assert_eq!(
            next % block_size,
            0,
            "sizes never grow, so bases stay aligned"
        );
        blocks[id.index()] = KeyBlock {
            base: u32::try_from(next).expect("invariant: next + block_size <= 2^32"),
            mask: !u32::try_from(block_size - 1).expect("invariant: block_size <= 2^31"),
            n_keys: graph.partition(id).n_keys,
        };
        next += block_size;
    }
    Ok(KeyAllocation { blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Partition, Resources, Vertex, VertexId};

    fn graph_with_key_counts(counts: &[u32]) -> MachineGraph {
        let mut graph = MachineGraph::new();
        let v = graph.add_vertex(Vertex {
            name: "src".to_string(),
            resources: Resources {
                dtcm_bytes: 0,
                sdram_bytes: 0,
            },
            chip: None,
        });
        for (i, &n_keys) in counts.iter().enumerate() {
            graph
                .add_partition(Partition {
                    source: v,
                    name: format!("p{i}"),
                    n_keys,
                    targets: vec![VertexId(0)],
                })
                .expect("valid partition");
        }
        graph
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_packed_largest_first() {
        let keys = allocate_keys(&graph_with_key_counts(&[3, 300, 1, 64, 65])).expect("fits");
        let got: Vec<(u32, u32, u32)> = keys
            .iter()
            .map(|(_, b)| (b.base, b.mask, b.n_keys))
            .collect();
        assert_eq!(
            got,
            vec![
                (704, 0xffff_fffc, 3),
                (0, 0xffff_fe00, 300),
                (708, 0xffff_ffff, 1),
                (640, 0xffff_ffc0, 64),
                (512, 0xffff_ff80, 65),
            ]
        );
        let block = keys.get(PartitionId(1)).expect("allocated");
        assert_eq!(block.block_size(), 512);
        assert!(block.contains(299));
        assert!(!block.contains(300), "inside the block but not a key");
        assert_eq!(block.last_key(), 299);
    }

    #[test]
    fn the_whole_key_space_can_be_used_but_not_more() {
        let keys = allocate_keys(&graph_with_key_counts(&[1 << 31, 1 << 31])).expect("fits");
        assert_eq!(keys.get(PartitionId(1)).map(|b| b.base), Some(1 << 31));
        let err = allocate_keys(&graph_with_key_counts(&[1 << 31, 1 << 31, 1])).unwrap_err();
        assert_eq!(
            err,
            KeyError::KeySpaceExhausted {
                partition: "src/p2".to_string(),
                block_size: 1,
                n_free: 0
            }
        );
    }
}
