//! `spinn-model`: the fast model of the SpiNNaker router, its links and fabrics of them.
//!
//! The model is cycle-accurate against the RTL (`spinn-rtl`): for the same configuration and the
//! same traffic, per-port delivery logs, dump logs and counters are identical cycle for cycle,
//! which `spinn-verif` checks. It is native Rust and event-driven, so it is the engine every
//! real workload uses. It does not depend on rust-hdl.

pub mod calendar;
pub mod fabric;
pub mod link;
pub mod rng;
pub mod router;
pub mod trace;
pub mod traffic;

pub use fabric::{
    Backlog, ChipLoad, CoreEndpoints, Delivery, DumpEvent, EndpointEvent, Fabric, FabricStats,
    LinkLoad, TransientFaults,
};
pub use link::{Link, LinkTiming, TimingError};
pub use router::{
    DumpRegisters, Offer, P2pRoutes, Router, RouterSetup, Sent, Step, REINJECT_INPUT,
};
