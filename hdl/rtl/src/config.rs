//! Choosing a router build at run time. Sizes are const generics in the blocks, so only the
//! builds listed here exist; asking for another is an error that lists them.

use crate::drive::{RouterDriver, RtlRouter};
use crate::router::{BankedMulticastRouter, MulticastRouter, RouterParams};
use rust_hdl::prelude::*;
use std::fmt;
use thiserror::Error;

/// Which multicast table the router is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Parallel register table.
    Register { entries: usize },
    /// Block-RAM table: `banks` banks of `2^depth_bits` entries.
    Banked { banks: usize, depth_bits: usize },
}

impl TableKind {
    pub fn entries(self) -> usize {
        match self {
            TableKind::Register { entries } => entries,
            TableKind::Banked { banks, depth_bits } => banks << depth_bits,
        }
    }
}

/// A complete router build. There is no default: every field is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterConfig {
    pub table: TableKind,
    /// P2P table entries, a power of four (64 covers 8×8 chips).
    pub p2p_entries: usize,
    pub params: RouterParams,
}

impl RouterConfig {
    /// A register-table router with a 64-entry P2P table and clockwise detours.
    pub fn register(entries: usize) -> RouterConfig {
        RouterConfig {
            table: TableKind::Register { entries },
            p2p_entries: 64,
            params: RouterParams::CLOCKWISE,
        }
    }

    /// The block-RAM router for `entries` entries (one of the built sizes) with the most banks
    /// built for that size (the fastest lookup); P2P and detours as [`RouterConfig::register`].
    pub fn banked(entries: usize) -> Result<RouterConfig, ConfigError> {
        let banks = BANKED_SHAPES
            .iter()
            .filter(|&&(b, d)| b << d == entries)
            .map(|&(b, _)| b)
            .max()
            .ok_or(ConfigError::Unsupported {
                what: "banked table entries",
                got: entries,
                supported: banked_sizes(),
            })?;
        RouterConfig::banked_with(entries, banks)
    }

    /// The block-RAM router for `entries` entries in `banks` banks. Fewer, deeper banks use
    /// block RAM better (an iCE40 RAM is 256 words deep) but scan longer.
    pub fn banked_with(entries: usize, banks: usize) -> Result<RouterConfig, ConfigError> {
        let (banks, depth_bits) = BANKED_SHAPES
            .iter()
            .copied()
            .find(|&(b, d)| b << d == entries && b == banks)
            .ok_or_else(|| ConfigError::UnsupportedShape {
                entries,
                banks,
                supported: BANKED_SHAPES
                    .iter()
                    .map(|&(b, d)| format!("{b} × {}", 1 << d))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(RouterConfig {
            table: TableKind::Banked { banks, depth_bits },
            p2p_entries: 64,
            params: RouterParams::CLOCKWISE,
        })
    }
}

impl fmt::Display for RouterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.table {
            TableKind::Register { entries } => write!(f, "register table, {entries} entries")?,
            TableKind::Banked { banks, depth_bits } => write!(
                f,
                "banked table, {} entries ({banks} banks × {})",
                banks << depth_bits,
                1 << depth_bits
            )?,
        }
        write!(f, ", P2P table {} entries", self.p2p_entries)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("no banked table of {entries} entries in {banks} banks: this build has {supported} (banks × depth)")]
    UnsupportedShape {
        entries: usize,
        banks: usize,
        supported: String,
    },
    #[error("unsupported {what} {got}: this build has {supported}")]
    Unsupported {
        what: &'static str,
        got: usize,
        supported: String,
    },
}

/// Register-table sizes built.
pub const REGISTER_SIZES: [usize; 4] = [16, 32, 64, 128];
/// Banked shapes built: (banks, depth bits).
pub const BANKED_SHAPES: [(usize, usize); 4] = [(4, 4), (8, 5), (16, 6), (4, 8)];
/// P2P table sizes built.
pub const P2P_SIZES: [usize; 2] = [64, 256];

fn list(sizes: impl Iterator<Item = usize>) -> String {
    sizes.map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

fn banked_sizes() -> String {
    let mut sizes: Vec<usize> = BANKED_SHAPES.iter().map(|&(b, d)| b << d).collect();
    sizes.sort();
    sizes.dedup();
    list(sizes.into_iter())
}

/// Calls `$body` with `$router` bound to a freshly built router of `$config`.
macro_rules! with_router {
    ($config:expr, |$router:ident| $body:expr) => {{
        let config: &RouterConfig = $config;
        let params = config.params;
        macro_rules! p2p {
            ($make:ident) => {
                match config.p2p_entries {
                    64 => $make!(64),
                    256 => $make!(256),
                    got => Err(ConfigError::Unsupported {
                        what: "P2P table entries",
                        got,
                        supported: list(P2P_SIZES.into_iter()),
                    }),
                }
            };
        }
        match config.table {
            TableKind::Register { entries } => {
                macro_rules! reg {
                    ($p:literal) => {
                        match entries {
                            16 => {
                                let $router = MulticastRouter::<16, $p>::new(params);
                                Ok($body)
                            }
                            32 => {
                                let $router = MulticastRouter::<32, $p>::new(params);
                                Ok($body)
                            }
                            64 => {
                                let $router = MulticastRouter::<64, $p>::new(params);
                                Ok($body)
                            }
                            128 => {
                                let $router = MulticastRouter::<128, $p>::new(params);
                                Ok($body)
                            }
                            got => Err(ConfigError::Unsupported {
                                what: "register table entries",
                                got,
                                supported: list(REGISTER_SIZES.into_iter()),
                            }),
                        }
                    };
                }
                p2p!(reg)
            }
            TableKind::Banked { banks, depth_bits } => {
                macro_rules! banked {
                    ($p:literal) => {
                        match (banks, depth_bits) {
                            (4, 4) => {
                                let $router = BankedMulticastRouter::<4, 4, $p>::new(params);
                                Ok($body)
                            }
                            (8, 5) => {
                                let $router = BankedMulticastRouter::<8, 5, $p>::new(params);
                                Ok($body)
                            }
                            (16, 6) => {
                                let $router = BankedMulticastRouter::<16, 6, $p>::new(params);
                                Ok($body)
                            }
                            (4, 8) => {
                                let $router = BankedMulticastRouter::<4, 8, $p>::new(params);
                                Ok($body)
                            }
                            _ => Err(ConfigError::Unsupported {
                                what: "banked table entries",
                                got: banks << depth_bits,
                                supported: banked_sizes(),
                            }),
                        }
                    };
                }
                p2p!(banked)
            }
        }
    }};
}

/// A hand-stepped simulation of the router `config` describes.
pub fn simulate(config: &RouterConfig) -> Result<Box<dyn RouterDriver>, ConfigError> {
    with_router!(config, |router| Box::new(RtlRouter::new(router))
        as Box<dyn RouterDriver>)
}

/// The Verilog of the router `config` describes, top module `spinn_router`.
pub fn verilog(config: &RouterConfig) -> Result<String, ConfigError> {
    with_router!(config, |router| {
        let mut router = router;
        router.connect_all();
        crate::verilog::rename_top(&generate_verilog(&router))
    })
}
