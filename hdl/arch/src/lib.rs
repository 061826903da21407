//! `spinn-arch`: the SpiNNaker bit layouts and architectural vocabulary, defined once.
//!
//! Every other crate (the rust-hdl router, the verification references, the CLI) takes packet
//! formats, routing-entry layout, router register layouts, link directions and machine
//! topologies from here.
//! This crate depends on no other workspace crate and knows nothing about rust-hdl.
//! Sources for every layout are in `../shared/spec/hardware.md` §1–5.

pub mod entry;
pub mod geom;
pub mod packet;
pub mod registers;
pub mod route;
pub mod topology;

pub use entry::{EntryError, McEntry, McTable};
pub use geom::{CoreId, LinkDir, CORES_PER_CHIP, DTCM_BYTES, LINKS_PER_CHIP, SDRAM_BYTES};
pub use packet::{Emergency, Packet, PacketError, PacketType};
pub use registers::{
    p2p_index, Counter, DumpHeader, DumpStatus, EmergencyRotation, P2pRoute, RouterControl,
    WaitTime, DEFAULT_P2P_COORD_BITS, N_COUNTERS,
};
pub use route::{InputPort, OutputPort, RouteSet, N_INPUT_PORTS, N_OUTPUT_PORTS};
pub use topology::{ChipCoord, Machine, TopologyError, Wrap, MAX_AXIS_CHIPS};
