//! Benchmark: how fast the rust-hdl router simulates when stepped by hand, in clock cycles per
//! second of host time, for the register table at 16 and 64 entries and the banked table at
//! 64 and 1024, idle and under random traffic with back-pressure (the co-simulation stimulus).
//!
//! Run with `cargo run --release -p spinn-rtl --example rtl_speed`. It measures in one run and
//! prints the ratios between configurations; it asserts nothing.

use spinn_rtl::config::{self, RouterConfig};
use spinn_rtl::{RouterDriver, RouterInputs};
use std::time::Instant;

/// A small deterministic traffic pattern: every input offers a packet every few cycles and
/// every output is ready most of the time.
fn traffic(cycle: u64) -> RouterInputs {
    let mut inputs = RouterInputs::idle();
    let mix = |n: u64| n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    for l in 0..6 {
        inputs.link_in_valid[l] = mix(cycle * 31 + l as u64) % 4 == 0;
        inputs.link_in_packet[l] = spinn_arch::Packet::mc(mix(cycle + l as u64) as u32).to_bus();
        inputs.link_out_ready[l] = mix(cycle * 7 + l as u64) % 8 != 0;
    }
    for c in 0..18 {
        inputs.core_in_valid[c] = mix(cycle * 13 + c as u64) % 16 == 0;
        inputs.core_in_packet[c] =
            spinn_arch::Packet::mc(mix(cycle * 3 + c as u64) as u32).to_bus();
    }
    inputs
}

fn measure(rtl: &mut dyn RouterDriver, loaded: bool, seconds: f64) -> f64 {
    let started = Instant::now();
    let mut cycles = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        for _ in 0..200 {
            let inputs = if loaded {
                traffic(cycles)
            } else {
                RouterInputs::idle()
            };
            rtl.cycle(&inputs);
            cycles += 1;
        }
    }
    cycles as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let configs = [
        ("register 16", RouterConfig::register(16)),
        ("register 64", RouterConfig::register(64)),
        ("banked 64", RouterConfig::banked(64).expect("a built size")),
        (
            "banked 1024",
            RouterConfig::banked(1024).expect("a built size"),
        ),
    ];
    println!("rust-hdl router stepped by hand (release build), cycles per second of host time");
    println!("{:<14} {:>12} {:>12}", "table", "idle", "traffic");
    let mut baseline = None;
    for (name, config) in configs {
        let mut rtl = config::simulate(&config).expect("a built size");
        rtl.reset();
        let idle = measure(&mut *rtl, false, 1.0);
        let loaded = measure(&mut *rtl, true, 1.0);
        let base = *baseline.get_or_insert(loaded);
        println!(
            "{name:<14} {idle:>12.0} {loaded:>12.0}   ({:.2}× register 16 under traffic)",
            loaded / base
        );
    }
}
