//! The errors of each toolchain stage, and [`MapError`], which wraps them for [`crate::map`].
//!
//! Every variant carries the facts a user needs to fix the input: partitions are named
//! `source vertex/partition`, vertices by name, chips by coordinate.

use crate::graph::VertexId;
use spinn_arch::{ChipCoord, CoreId, LinkDir, RouteSet};
use std::fmt;
use thiserror::Error;

/// A partition that cannot be added to a [`crate::MachineGraph`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphError {
    #[error("partition {partition} has unknown source vertex {vertex}")]
    UnknownSource { partition: String, vertex: VertexId },
    #[error("partition {partition} targets unknown vertex {vertex}")]
    UnknownTarget { partition: String, vertex: VertexId },
    #[error("partition {partition} has no targets")]
    NoTargets { partition: String },
    #[error("partition {partition} asks for no keys")]
    NoKeys { partition: String },
    #[error(
        "partition {partition} asks for {n_keys} keys, more than the {max} one block may hold"
    )]
    TooManyKeys {
        partition: String,
        n_keys: u32,
        max: u32,
    },
    #[error("partition {partition} is defined twice")]
    DuplicatePartition { partition: String },
}

/// The memory a vertex asks too much of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryRegion {
    /// A core's own data TCM.
    Dtcm,
    /// A chip's SDRAM, shared by its cores.
    Sdram,
}

impl fmt::Display for MemoryRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemoryRegion::Dtcm => "DTCM",
            MemoryRegion::Sdram => "SDRAM",
        })
    }
}

/// Why the graph cannot be placed on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlaceError {
    #[error(
        "the graph has {n_vertices} vertices but the machine has only {n_cores_free} free \
         application cores"
    )]
    GraphDoesNotFit {
        n_vertices: usize,
        n_cores_free: usize,
    },
    #[error(
        "vertex {vertex} needs {requested} bytes of {region} but at most {available} of \
         {capacity} are free anywhere it could go"
    )]
    OverBudget {
        vertex: String,
        region: MemoryRegion,
        requested: u64,
        available: u64,
        capacity: u64,
    },
    #[error("vertex {vertex} is constrained to chip {chip}, which is not a live chip")]
    ConstrainedChipDead { vertex: String, chip: ChipCoord },
    #[error("vertex {vertex} is constrained to chip {chip}, which has no room left for it")]
    ConstrainedChipFull { vertex: String, chip: ChipCoord },
}

/// Why keys cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error(
        "partition {partition} needs a block of {block_size} keys but only {n_free} of the \
         32-bit key space are left"
    )]
    KeySpaceExhausted {
        partition: String,
        block_size: u64,
        n_free: u64,
    },
}

/// Why a routing tree cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    #[error("partition {partition}: no path over live links from chip {from} to chip {to}")]
    Unreachable {
        partition: String,
        from: ChipCoord,
        to: ChipCoord,
    },
    #[error("vertex {vertex} has no placement")]
    Unplaced { vertex: String },
}

/// Why the routing tables cannot be made small enough.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MinimiseError {
    #[error(
        "the routing table of chip {chip} cannot be minimised below {n_entries} entries, more \
         than its capacity of {capacity}"
    )]
    TableTooLarge {
        chip: ChipCoord,
        n_entries: usize,
        capacity: usize,
    },
}

/// A way in which the routing tables do not deliver a partition's keys exactly to its targets,
/// or (for [`crate::check::check_equivalent`]) a minimised table routes a key differently.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    #[error(
        "partition {partition}: key 0x{key:08x} never reaches target {vertex} on chip {chip} \
         core {core}"
    )]
    MissedTarget {
        partition: String,
        key: u32,
        vertex: String,
        chip: ChipCoord,
        core: CoreId,
    },
    #[error("partition {partition}: key 0x{key:08x} reaches chip {chip} core {core}, which is not a target")]
    ExtraCore {
        partition: String,
        key: u32,
        chip: ChipCoord,
        core: CoreId,
    },
    #[error(
        "partition {partition}: key 0x{key:08x} reaches chip {chip} twice (a loop or paths that \
         meet)"
    )]
    Loop {
        partition: String,
        key: u32,
        chip: ChipCoord,
    },
    #[error(
        "partition {partition}: key 0x{key:08x} leaves chip {chip} through link {link}, which is \
         dead or absent"
    )]
    BadLink {
        partition: String,
        key: u32,
        chip: ChipCoord,
        link: LinkDir,
    },
    #[error(
        "partition {partition}: key 0x{key:08x} from a core of chip {chip} matches no entry \
         there and is dropped"
    )]
    Dropped {
        partition: String,
        key: u32,
        chip: ChipCoord,
    },
    #[error("partition {partition}: vertex {vertex} has no placement")]
    Unplaced { partition: String, vertex: String },
    #[error("partition {partition} has no key block")]
    NoKeyBlock { partition: String },
    #[error(
        "chip {chip}: key 0x{key:08x} is routed to {got} after minimisation but to {expected} \
         before"
    )]
    NotEquivalent {
        chip: ChipCoord,
        key: u32,
        expected: RouteSet,
        got: RouteSet,
    },
    #[error(
        "chip {chip}: key 0x{key:08x} is dropped after minimisation but routed to {expected} \
         before"
    )]
    DroppedAfterMinimisation {
        chip: ChipCoord,
        key: u32,
        expected: RouteSet,
    },
}

/// A failure of any stage of [`crate::map`]; each stage's error names what is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MapError {
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Minimise(#[from] MinimiseError),
    #[error(transparent)]
    Check(#[from] CheckError),
}
