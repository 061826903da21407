//! Loading a mapped application onto a machine: the toolchain's tables into the routers (checked
//! again on the way in), each vertex's program onto its placed core.

use crate::app::Application;
use crate::machine::{CoreProgram, LoadError, Machine, MachineConfig};
use spinn_rtl::config::FabricKind;
use spinn_toolchain::{check, MachineGraph, Mapping};

/// Which fabric engine carries the packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The fast cycle-accurate model: any machine.
    Fast,
    /// The rust-hdl RTL fabric: only the machines it was generated for, 16-entry tables.
    Rtl(FabricKind),
}

/// Loads `graph` as `mapping` placed it, with `apps[v]` the program of vertex `v`.
pub fn load(
    topology: &spinn_arch::Machine,
    graph: &MachineGraph,
    mapping: &Mapping,
    apps: Vec<Box<dyn Application>>,
    config: MachineConfig,
    engine: EngineKind,
) -> Result<Machine, LoadError> {
    if apps.len() != graph.n_vertices() {
        return Err(LoadError::ProgramCount {
            n_programs: apps.len(),
            n_vertices: graph.n_vertices(),
        });
    }
    // The checker runs on every load: the tables about to go into the routers must deliver
    // every key of every partition to exactly its targets.
    check(
        topology,
        graph,
        &mapping.placements,
        &mapping.keys,
        &mapping.tables,
    )?;
    let programs = graph
        .vertices()
        .zip(apps)
        .map(|((id, vertex), app)| {
            let placement = mapping
                .placements
                .get(id)
                .expect("invariant: a checked mapping places every vertex");
            CoreProgram {
                chip: placement.chip,
                core: placement.core,
                vertex: vertex.name.clone(),
                app,
            }
        })
        .collect();
    match engine {
        EngineKind::Fast => Machine::new(topology.clone(), &mapping.tables.chips, programs, config),
        EngineKind::Rtl(kind) => {
            if kind.machine() != *topology {
                return Err(LoadError::NoRtlFabric {
                    width: topology.width(),
                    height: topology.height(),
                });
            }
            Machine::on_rtl(kind, &mapping.tables.chips, programs, config)
        }
    }
}
