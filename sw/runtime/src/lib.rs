//! The core runtime and the machine (`spec/hardware.md` §6–7): applications written as Rust
//! types with spin1-style callbacks run on the cores of a simulated SpiNNaker machine, charged
//! ARM968 cycles from a cost table and bounded by DTCM and SDRAM budgets, over the fast
//! cycle-accurate fabric model, with a monitor per chip that re-injects dumped packets and host
//! I/O cores that carry packets in and out.
//!
//! Start at [`Machine`]: it loads routing tables and programs, then runs the fabric and the cores
//! as one discrete-event simulation in router cycles.

pub mod app;
pub mod apps;
pub mod cost;
pub mod engine;
pub mod event;
pub mod host;
pub mod load;
pub mod machine;
pub mod memory;
pub mod rtl_engine;

pub use app::{Application, Context, CoreLocation, Outbox};
pub use cost::{CostTable, Op};
pub use engine::{Engine, FastEngine};
pub use event::{Callbacks, Event, Priority, Timer};
pub use host::{HostSource, LivePacketGatherer};
pub use load::{load, EngineKind};
pub use machine::{
    CoreProgram, CoreStats, HostFlow, HostPacket, LoadError, Machine, MachineConfig, MachineReport,
    MonitorStats, StopReason,
};
pub use memory::{MemoryError, Region, DTCM_BYTES, SDRAM_BYTES};
pub use rtl_engine::{RtlEngine, RTL_TABLE_ENTRIES};
