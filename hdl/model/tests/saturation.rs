//! Uniform P2P traffic on the 8×8 torus past saturation must saturate, not collapse, and below
//! it nothing may be dumped (issue 17, item 2; `docs/fabric.md`, saturation).
//!
//! With the flat round-robin arbiter, every input (6 links, 17 busy cores) had an equal turn
//! at the router's one pipeline, so once neighbouring routers' full registers formed cycles
//! of waits (released only by the wait1 timeout and a dump), the injected packets took three
//! quarters of every released slot, the network never drained, and the torus stayed
//! deadlocked with every router dumping at the timeout rate (0.0003 accepted at 0.02 packets
//! per chip per cycle). With links served first it saturated at 0.0123, but the pairwise
//! deadlocks remained (a packet behind a blocked one waited for it), dumping packets from
//! 0.0075 up. These runs, about a second in all in release mode, fail on either of those
//! routers and guard against their return.

use spinn_arch::{Machine, RouterControl, Wrap};
use spinn_model::traffic::{run_traffic, Pattern, TrafficConfig};
use spinn_model::LinkTiming;

fn uniform(rate: f64, cycles: u64, seed: u64) -> (f64, u64) {
    let machine = Machine::torus(8, 8, Wrap::BOTH).expect("8x8 torus");
    let cfg = TrafficConfig {
        pattern: Pattern::Uniform,
        rate,
        cycles,
        seed,
        timing: LinkTiming::SPINNAKER,
        control: RouterControl::SCAMP_BOOT,
        faults: None,
    };
    let r = run_traffic(&machine, &cfg).expect("traffic runs");
    (r.accepted_load, r.dropped)
}

#[test]
fn past_saturation_the_accepted_load_stays_near_its_peak() {
    // The peak is about 0.024 packets/chip/cycle; 0.4 of it is 0.0096.
    for seed in 1..=3 {
        let (accepted, dropped) = uniform(0.02, 200_000, seed);
        assert!(
            accepted >= 0.019,
            "seed {seed}, offered 0.02: accepted {accepted:.5} ({dropped} dumped)"
        );
        for rate in [0.03, 0.05] {
            let (accepted, dropped) = uniform(rate, 200_000, seed);
            assert!(
                accepted >= 0.01,
                "seed {seed}, offered {rate}: accepted {accepted:.5} packets/chip/cycle \
                 ({dropped} dumped): the network collapsed"
            );
        }
    }
}

#[test]
fn below_saturation_nothing_is_dumped() {
    for seed in 1..=3 {
        for rate in [0.01, 0.0125] {
            let (accepted, dropped) = uniform(rate, 200_000, seed);
            assert_eq!(
                dropped, 0,
                "seed {seed}, offered {rate}: accepted {accepted:.5}"
            );
        }
    }
}
