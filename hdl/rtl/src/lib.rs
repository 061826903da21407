//! `spinn-rtl`: the SpiNNaker multicast router as rust-hdl hardware.
//!
//! The blocks simulate cycle by cycle (stepped by hand through [`drive`], which is about 100×
//! faster than rust-hdl's threaded `Simulation`), write VCD waveforms and export to Verilog
//! ([`verilog`]). Bit layouts come from `spinn-arch`; this crate does not know about any
//! software model of the router.

pub mod config;
pub mod drive;
pub mod fabric;
pub mod router;
pub mod stepper;
pub mod tcam_drive;
pub mod verilog;

pub use config::{ConfigError, RouterConfig, TableKind};
pub use drive::{ConfigTarget, RouterDriver, RouterInputs, RouterOutputs, RouterPorts, RtlRouter};
pub use router::{BankedMulticastRouter, MulticastRouter, RouterParams};
