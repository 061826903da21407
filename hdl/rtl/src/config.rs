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

/// The RTL fabrics built (`crate::fabric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FabricKind {
    Torus2x2,
    Torus3x3,
    Spinn3,
}

impl FabricKind {
    pub const ALL: [FabricKind; 3] = [
        FabricKind::Torus2x2,
        FabricKind::Torus3x3,
        FabricKind::Spinn3,
    ];

    /// The topology the fabric was generated from.
    pub fn machine(self) -> spinn_arch::Machine {
        match self {
            FabricKind::Torus2x2 => spinn_arch::Machine::torus(2, 2, spinn_arch::Wrap::BOTH),
            FabricKind::Torus3x3 => spinn_arch::Machine::torus(3, 3, spinn_arch::Wrap::BOTH),
            FabricKind::Spinn3 => Ok(spinn_arch::Machine::spinn3()),
        }
        .expect("invariant: the built fabrics are valid machines")
    }

    pub fn name(self) -> &'static str {
        match self {
            FabricKind::Torus2x2 => "2x2",
            FabricKind::Torus3x3 => "3x3",
            FabricKind::Spinn3 => "spinn3",
        }
    }
}

/// Multicast entries of every router in the built RTL fabrics (`build.rs` instantiates
/// `MulticastRouter<16, 64>`): a write at a higher index is ignored.
pub const FABRIC_TABLE_ENTRIES: usize = 16;
/// P2P entries of every router in the built RTL fabrics (8 × 8 chips).
pub const FABRIC_P2P_ENTRIES: usize = 1 << (2 * spinn_arch::DEFAULT_P2P_COORD_BITS);

/// A built RTL fabric: routers with [`FABRIC_TABLE_ENTRIES`]-entry register tables and
/// [`FABRIC_P2P_ENTRIES`]-entry P2P tables, links taking `short_transit`/`long_transit` cycles
/// for 40/72-bit packets (at least 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FabricConfig {
    pub kind: FabricKind,
    pub params: RouterParams,
    pub short_transit: u32,
    pub long_transit: u32,
}

macro_rules! with_fabric {
    ($config:expr, |$fabric:ident| $body:expr) => {{
        let c: &FabricConfig = $config;
        match c.kind {
            FabricKind::Torus2x2 => {
                let $fabric = Box::new(crate::fabric::Fabric2x2::new(
                    c.params,
                    c.short_transit,
                    c.long_transit,
                ));
                $body
            }
            FabricKind::Torus3x3 => {
                let $fabric = Box::new(crate::fabric::Fabric3x3::new(
                    c.params,
                    c.short_transit,
                    c.long_transit,
                ));
                $body
            }
            FabricKind::Spinn3 => {
                let $fabric = Box::new(crate::fabric::FabricSpinn3::new(
                    c.params,
                    c.short_transit,
                    c.long_transit,
                ));
                $body
            }
        }
    }};
}

/// A hand-stepped simulation of an RTL fabric.
pub fn simulate_fabric(config: &FabricConfig) -> Box<dyn crate::fabric::FabricDriver> {
    with_fabric!(
        config,
        |fabric| Box::new(crate::fabric::RtlFabric::new(fabric))
            as Box<dyn crate::fabric::FabricDriver>
    )
}

/// The Verilog of an RTL fabric, top module `spinn_fabric`.
pub fn fabric_verilog(config: &FabricConfig) -> String {
    with_fabric!(config, |fabric| {
        let mut fabric = fabric;
        fabric.connect_all();
        generate_verilog(&*fabric).replacen("module top(", "module spinn_fabric(", 1)
    })
}

/// The shape (chips, links, edges) of a built fabric.
pub fn fabric_shape(kind: FabricKind) -> crate::fabric::FabricShape {
    use crate::fabric::FabricPorts;
    match kind {
        FabricKind::Torus2x2 => crate::fabric::Fabric2x2::shape(),
        FabricKind::Torus3x3 => crate::fabric::Fabric3x3::shape(),
        FabricKind::Spinn3 => crate::fabric::FabricSpinn3::shape(),
    }
}
