//! `spinn-verif`: golden references and the harnesses that hold the hardware to them.
//!
//! * [`reference`](mod@reference): a plain-Rust routing decision, written for clarity, against which the RTL
//!   router is fuzzed.
//! * [`strategies`]: proptest strategies (tables, packets, routing cases), defined once.
//! * [`stimulus`]: seeded random cycle-by-cycle stimulus for co-simulation.
//! * [`tools`], [`lint`], [`cosim`], [`synth`]: Verilator lint with a documented allow-list,
//!   rust-hdl against Icarus Verilog cycle for cycle, and Yosys synthesis reports.
//! * [`formal`]: formal proofs of the 16-entry router's properties (the wrapper in
//!   `verif/formal/`, Yosys to AIGER, ABC's BMC and PDR), and the mutants that must fail them.
//! * [`tcam`]: the cycle-level reference of the standalone block-RAM TCAM table, and its
//!   stimulus.
//! * [`golden`]: the ndarray reference for training dense networks (f32 and s16.15).
//! * [`training`]: the machine training a network side by side with the golden reference,
//!   compared after every batch (what `spinn train` and the training benchmark run).

pub mod bench;
pub mod cosim;
pub mod fabric_equivalence;
pub mod formal;
pub mod golden;
pub mod lint;
pub mod reference;

pub mod scenario;
pub mod stimulus;
pub mod strategies;
pub mod synth;
pub mod tcam;
pub mod tools;
pub mod training;
