//! `spinn-verif`: golden references and the harnesses that hold the hardware to them.
//!
//! * [`reference`](mod@reference): a plain-Rust routing decision, written for clarity, against which the RTL
//!   router is fuzzed.
//! * [`strategies`]: proptest strategies (tables, packets, routing cases), defined once.
//! * [`stimulus`]: seeded random cycle-by-cycle stimulus for co-simulation.
//! * [`tools`], [`lint`], [`cosim`], [`synth`]: Verilator lint with a documented allow-list,
//!   rust-hdl against Icarus Verilog cycle for cycle, and Yosys synthesis reports.

pub mod cosim;
pub mod fabric_equivalence;
pub mod golden;
pub mod lint;
pub mod reference;

pub mod scenario;
pub mod stimulus;
pub mod strategies;
pub mod synth;
pub mod tools;
