//! The multicast router, one rust-hdl block per file (`spec/hardware.md` §2–4).
//!
//! Data flows `InputArbiter` → lookup register → (`RegisterTable` or `BankedTable`,
//! `P2pTable`, `RouteDecision`) → `OutputStage` → outputs; `DiagnosticCounters` count events.
//! `router_top` wires them into [`MulticastRouter`] and [`BankedMulticastRouter`].
//! [`TcamTable`] (built from [`TcamBank`]s) is a third multicast table, one lookup per cycle,
//! exported standalone (`config::tcam_verilog`); no router top uses it yet.

mod arbiter;
mod banked_table;
mod counters;
mod output_stage;
mod p2p_table;
mod register_table;
mod route_decision;
mod router_top;
mod tcam_bank;
mod tcam_table;
mod wait_limit;

pub use arbiter::{InputArbiter, N_ARBITER_INPUTS};
pub use banked_table::BankedTable;
pub use counters::DiagnosticCounters;
pub use output_stage::OutputStage;
pub use p2p_table::P2pTable;
pub use register_table::RegisterTable;
pub use route_decision::RouteDecision;
pub use router_top::{BankedMulticastRouter, MulticastRouter, RouterParams};
pub use tcam_bank::{TcamBank, BANK_ENTRIES, CHUNKS, CHUNK_BITS};
pub use tcam_table::{TcamTable, TCAM_LOOKUP_LATENCY, TCAM_WRITE_CYCLES};
pub use wait_limit::WaitLimit;
