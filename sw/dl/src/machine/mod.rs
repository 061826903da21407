//! Networks on the simulated machine (DESIGN.md, "Deep learning on it"): the graph cut into
//! groups of tile cores and block cores ([`plan`]), the machine graph of their partitions and
//! keys ([`layout`], [`ports`]), the arithmetic the cores apply ([`arith`]; each operation's kernel is in its module, [`crate::ops`]) and
//! the memory they hold ([`memory`]), the plan chosen for speed ([`choose`]), how fast the gradient reductions may go ([`pacing`]),
//! the core programs ([`cores`]) and the host side
//! ([`session`]: [`OnMachine`] maps, loads, trains, evaluates, predicts, reads weights back
//! and reports stalls through the watchdog); [`spidnn`], the thesis prototype's mapping (one
//! neuron per core) as a baseline on the same machine; [`roofline`], the rates compute, core
//! ingress and the links allow, against which a run is read.

pub mod arith;
pub mod choose;
pub mod cores;
pub mod layout;
pub mod memory;
pub mod pacing;
pub mod plan;
pub mod ports;
pub mod roofline;
pub mod session;
pub mod spidnn;

pub use arith::{is_fused, Arith, Fixed, F32};
pub use choose::{PlanGoal, Trial};
pub use layout::{Layout, Replication, Spread};
pub use plan::{plan, Plan, PlanConfig, PlanError};
pub use ports::Mode;
pub use roofline::Roofline;
pub use session::{
    map_model, map_spec, BatchOutcome, DataLoad, MachineError, MachineOptions, Mapped, OnMachine,
    PacketLosses, Parameters, Replicas, Retries, Waiting, BATCH_ATTEMPTS,
};
pub use spidnn::{SpidnnError, SpidnnNetwork};
