//! The example applications, mapped by the toolchain and run on SpiNN-3 and SpiNN-5, with their
//! results checked against the host: Conway's game of life across the board and a ring
//! pipeline fed and drained by the host.

use spinn_arch::Machine as Topology;
use spinn_rtl::config::FabricKind;
use spinn_runtime::apps::life::LifeConfig;
use spinn_runtime::apps::ring::RingConfig;
use spinn_runtime::apps::{run_life, run_ring};
use spinn_runtime::{EngineKind, MachineConfig, StopReason};

fn life(tiles_x: usize, tiles_y: usize, generations: u32) -> LifeConfig {
    LifeConfig {
        tiles_x,
        tiles_y,
        tile_width: 4,
        tile_height: 4,
        generations,
        seed: 2020,
        send_gap_cycles: 2_000,
    }
}

#[test]
fn life_across_spinn3_matches_the_host() {
    let config = life(8, 8, 30);
    let out = run_life(
        &Topology::spinn3(),
        &config,
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect("runs");
    assert_eq!(out.stop, StopReason::Quiescent);
    assert!(out.matches, "{out:?}");
    assert!(out.alive > 0);
    assert_eq!(out.report.dropped, 0);
    assert_eq!(out.stray_packets, 0);
}

#[test]
fn life_across_spinn5_matches_the_host() {
    // 768 tiles: 16 on every chip of the board.
    let config = LifeConfig {
        send_gap_cycles: 8_000,
        ..life(24, 32, 8)
    };
    let out = run_life(
        &Topology::spinn5(),
        &config,
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect("runs");
    assert_eq!(out.stop, StopReason::Quiescent);
    assert!(out.matches, "{out:?}");
    assert_eq!(out.report.cores_used, 768);
    assert_eq!(
        (out.report.dumped, out.report.dropped),
        (0, 0),
        "paced: no dumps"
    );
}

/// Sending four times as fast overloads the board: routers hold bursts past wait1 and wait2 and
/// dump thousands of packets (4,166 since issue 17's router changes, more than 10,000 before). The monitors re-inject every one and the result is still
/// right; without re-injection the same run loses them, stalls and says so.
#[test]
fn overloaded_life_is_saved_by_reinjection_and_reports_its_losses_without_it() {
    let config = LifeConfig {
        send_gap_cycles: 2_000,
        ..life(24, 32, 3)
    };
    let out = run_life(
        &Topology::spinn5(),
        &config,
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect("runs");
    let r = out.report;
    assert!(out.matches, "{out:?}");
    assert!(r.dumped > 2_000, "{r:?}");
    assert_eq!(r.reinjected, r.dumped);
    assert_eq!((r.dropped, r.dump_overflows), (0, 0));
    assert_eq!(r.monitor.queued, r.dumped);

    let config_without = MachineConfig {
        reinjection: false,
        ..MachineConfig::spinnaker()
    };
    let out = run_life(
        &Topology::spinn5(),
        &config,
        config_without,
        EngineKind::Fast,
    )
    .expect("runs");
    let r = out.report;
    assert_eq!(
        out.stop,
        StopReason::Quiescent,
        "it ends instead of hanging"
    );
    assert!(!out.matches);
    assert!(out.generations_done < 3);
    assert!(r.dropped > 1_000, "{r:?}");
    assert_eq!(r.dropped, r.dumped);
    assert_eq!(r.reinjected, 0);
    // Every packet a core sent is delivered to all its targets or counted in a dump: 8
    // receiving tiles per packet.
    assert!(r.delivered < 8 * r.packets_sent);
}

#[test]
fn the_ring_returns_every_token_with_its_sum_on_spinn3_and_spinn5() {
    for topology in [Topology::spinn3(), Topology::spinn5()] {
        let config = RingConfig {
            stages: 40,
            tokens: 100,
            laps: 3,
        };
        let out = run_ring(
            &topology,
            &config,
            MachineConfig::spinnaker(),
            EngineKind::Fast,
        )
        .expect("runs");
        assert_eq!(out.stop, StopReason::HostRequest);
        assert_eq!((out.returned, out.correct, out.duplicates), (100, 100, 0));
        assert_eq!(out.stray_packets, 0);
    }
}

#[test]
fn the_ring_runs_identically_on_the_rtl_fabric() {
    let config = RingConfig {
        stages: 6,
        tokens: 20,
        laps: 2,
    };
    let topology = Topology::spinn3();
    let fast = run_ring(
        &topology,
        &config,
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect("runs");
    let rtl = run_ring(
        &topology,
        &config,
        MachineConfig::spinnaker(),
        EngineKind::Rtl(FabricKind::Spinn3),
    )
    .expect("runs");
    assert_eq!((rtl.returned, rtl.correct), (20, 20));
    assert_eq!(fast.report.cycles, rtl.report.cycles);
    assert_eq!(fast.report.delivered, rtl.report.delivered);
}

#[test]
fn bad_configurations_are_named() {
    let err = run_life(
        &Topology::spinn3(),
        &life(2, 8, 1),
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect_err("too narrow");
    assert_eq!(err.to_string(), "tiles across must be at least 3, got 2");
    let err = run_life(
        &Topology::spinn3(),
        &life(10, 10, 1),
        MachineConfig::spinnaker(),
        EngineKind::Fast,
    )
    .expect_err("too many tiles");
    assert_eq!(
        err.to_string(),
        "the tiles must be at most one per application core of the machine, got 10x10 tiles \
         for 68 application cores"
    );
}
