//! Networks on the simulated machine: each dense layer's weight matrix cut into blocks (see
//! [`crate::plan`]), one core per block and per column of units, a loss core, and a feeder that
//! streams samples in, several in flight at once (DESIGN.md, "Deep learning on it").
//!
//! * [`arith`]: what the cores compute, per numeric mode, after `docs/numerics.md`.
//! * [`ports`]: how packets are keyed (slot, element, word) and decoded.
//! * [`layout`]: the machine graph of a plan: vertices, partitions, and who indexes what.
//! * [`cores`]: the core programs (feeder, block, accumulator, loss).
//! * [`session`]: the host side: [`OnMachine`] maps, loads, trains, evaluates, predicts, reads
//!   weights back, and reports stalls through the watchdog.

pub mod arith;
pub mod cores;
pub mod layout;
pub mod ports;
pub mod session;

pub use arith::{is_fused, Arith, Fixed, F32};
pub use layout::{Layout, Spread};
pub use ports::Mode;
pub use session::{BatchOutcome, MachineError, MachineOptions, OnMachine, Parameters, Waiting};
