//! Seeded random stimulus for co-simulation: a reset, a configuration burst, then traffic on
//! every input with back-pressure on the outputs long enough to expire wait1 and wait2, so that
//! emergency routing, dumps and dump overflows all happen. Occasional dump clears, table
//! rewrites, re-injections, control changes and a second reset are mixed in. Some MC and P2P
//! writes, in the burst and among the rewrites, have an index at or beyond the table's size:
//! every table build ignores them, and if one wrapped onto entry `index mod size` it would change
//! where traffic goes (the stray entries' keys come from the traffic's key pool).
//!
//! The stimulus is open-loop (it does not look at the router's ready signals): the Verilog and
//! the rust-hdl model see the same inputs whatever they do, which is what equivalence needs.

use spinn_arch::{
    CoreId, Emergency, McEntry, P2pRoute, Packet, RouteSet, RouterControl, WaitTime,
    CORES_PER_CHIP, LINKS_PER_CHIP, N_OUTPUT_PORTS,
};
use spinn_model::rng::SplitMix64;
use spinn_rtl::{ConfigTarget, RouterInputs};

/// Shape of a random stimulus.
#[derive(Debug, Clone, Copy)]
pub struct StimulusConfig {
    pub cycles: usize,
    pub seed: u64,
    pub table_entries: usize,
    pub p2p_entries: usize,
}

fn random_entry(rng: &mut SplitMix64, pool: &[u32; 4]) -> McEntry {
    let mask = match rng.below(4) {
        0 => u32::MAX,
        1 => u32::MAX << rng.below(12),
        2 => u32::MAX << (8 + rng.below(16)),
        _ => rng.next_u64() as u32 | 0xff00_0000,
    };
    let route = match rng.below(3) {
        0 => RouteSet::from_bits(1 << rng.below(N_OUTPUT_PORTS as u64)),
        1 => RouteSet::from_bits(rng.next_u64() as u32 & 0x3f),
        _ => RouteSet::from_bits(rng.next_u64() as u32),
    };
    McEntry::new(pool[rng.below(4) as usize] & mask, mask, route).expect("invariant: key is masked")
}

fn random_packet(rng: &mut SplitMix64, pool: &[u32; 4]) -> Packet {
    let er = [
        Emergency::Normal,
        Emergency::Normal,
        Emergency::Normal,
        Emergency::FirstHop,
        Emergency::LastHop,
        Emergency::FirstHopAlsoNormal,
    ][rng.below(6) as usize];
    let pkt = match rng.below(10) {
        0..=5 => Packet::mc(pool[rng.below(4) as usize] ^ rng.below(64) as u32).with_emergency(er),
        6 => Packet::fr(rng.next_u64() as u32).with_emergency(er),
        7 => Packet::p2p(
            rng.next_u64() as u16,
            rng.next_u64() as u16,
            rng.below(4) as u8,
        ),
        8 => Packet::nn(rng.below(8) as u8, rng.chance(50), rng.next_u64() as u32),
        _ => Packet::mc(rng.next_u64() as u32),
    };
    let pkt = if rng.chance(40) {
        pkt.with_payload(rng.next_u64() as u32)
    } else {
        pkt
    };
    if rng.chance(3) {
        pkt.with_parity_error()
    } else {
        pkt
    }
}

/// Indices that no table of `size` entries holds: just past the end, the largest index the
/// port carries, and one at random in between.
fn out_of_range_indices(rng: &mut SplitMix64, size: usize) -> [u16; 4] {
    let random = size as u64 + rng.below((1 << 16) - size as u64);
    [size, size + 1, 0xffff, random as usize]
        .map(|i| u16::try_from(i).expect("invariant: indices below 2^16"))
}

/// An index for a table rewrite: usually in range, one time in four out of it.
fn rewrite_index(rng: &mut SplitMix64, size: usize) -> u16 {
    if rng.chance(25) {
        out_of_range_indices(rng, size)[rng.below(4) as usize]
    } else {
        rng.below(size as u64) as u16
    }
}

/// Per-input state: the packet offered and for how many more cycles.
#[derive(Clone, Copy, Default)]
struct Source {
    packet: Option<u128>,
    hold: u64,
}

/// A control register with short waits, so expiries happen within a few dozen cycles.
fn short_waits(rng: &mut SplitMix64) -> RouterControl {
    RouterControl {
        wait1: WaitTime(rng.below(0x14) as u8),
        wait2: WaitTime(rng.below(0x12) as u8),
        monitor: CoreId::new(rng.below(CORES_PER_CHIP as u64) as usize).expect("invariant: < 18"),
        dump_interrupt_enable: rng.chance(70),
    }
}

pub fn random_stimulus(cfg: StimulusConfig) -> Vec<RouterInputs> {
    let mut rng = SplitMix64::new(cfg.seed);
    let pool: [u32; 4] = std::array::from_fn(|_| rng.next_u64() as u32);
    let mut res = vec![RouterInputs {
        reset: true,
        ..RouterInputs::idle()
    }];
    for idx in 0..cfg.table_entries.min(24) {
        let e = random_entry(&mut rng, &pool);
        res.push(RouterInputs::config_write(
            ConfigTarget::McEntry,
            idx as u16,
            e.key(),
            e.mask(),
            e.route().bits(),
        ));
    }
    for idx in out_of_range_indices(&mut rng, cfg.table_entries) {
        let e = random_entry(&mut rng, &pool);
        res.push(RouterInputs::config_write(
            ConfigTarget::McEntry,
            idx,
            e.key(),
            e.mask(),
            e.route().bits(),
        ));
    }
    for _ in 0..8 {
        let idx = rng.below(cfg.p2p_entries as u64) as u16;
        let code = P2pRoute::from_code(rng.below(8) as u8).code();
        res.push(RouterInputs::config_write(
            ConfigTarget::P2pEntry,
            idx,
            0,
            0,
            code as u32,
        ));
    }
    for idx in out_of_range_indices(&mut rng, cfg.p2p_entries) {
        let code = P2pRoute::from_code(rng.below(8) as u8).code();
        res.push(RouterInputs::config_write(
            ConfigTarget::P2pEntry,
            idx,
            0,
            0,
            code as u32,
        ));
    }
    res.push(RouterInputs::config_write(
        ConfigTarget::FixedRoute,
        0,
        0,
        0,
        rng.next_u64() as u32 & 0xff_ffff,
    ));
    res.push(RouterInputs::config_write(
        ConfigTarget::Control,
        0,
        0,
        0,
        short_waits(&mut rng).to_register(),
    ));

    let mut links = [Source::default(); LINKS_PER_CHIP];
    let mut cores = [Source::default(); CORES_PER_CHIP];
    let mut reinject = Source::default();
    let mut blocked_until = [0usize; N_OUTPUT_PORTS];
    let step = |src: &mut Source, rng: &mut SplitMix64, percent: u64| -> (bool, u128) {
        if src.hold == 0 {
            src.packet = rng
                .chance(percent)
                .then(|| random_packet(rng, &pool).to_bus());
            src.hold = 1 + rng.below(4);
        }
        src.hold -= 1;
        (src.packet.is_some(), src.packet.unwrap_or(0))
    };
    let mut reset_done = false;
    let mut reprogram = false;
    while res.len() < cfg.cycles {
        let now = res.len();
        let mut inputs = RouterInputs::idle();
        for (l, src) in links.iter_mut().enumerate() {
            (inputs.link_in_valid[l], inputs.link_in_packet[l]) = step(src, &mut rng, 30);
        }
        for (c, src) in cores.iter_mut().enumerate() {
            (inputs.core_in_valid[c], inputs.core_in_packet[c]) = step(src, &mut rng, 5);
        }
        (inputs.reinject_valid, inputs.reinject_packet) = step(&mut reinject, &mut rng, 3);
        inputs.reinject_source = rng.below(24) as u8;
        if rng.chance(50) {
            inputs.reinject_route = rng.next_u64() as u32 & 0xff_ffff;
        }
        for (port, until) in blocked_until.iter_mut().enumerate() {
            if *until <= now && rng.chance(2) {
                *until = now + rng.below(60) as usize;
            }
            let ready = *until <= now && rng.chance(85);
            if port < LINKS_PER_CHIP {
                inputs.link_out_ready[port] = ready;
            } else {
                inputs.core_out_ready[port - LINKS_PER_CHIP] = ready;
            }
        }
        match rng.below(1000) {
            0..=14 => {
                inputs.cfg_write = true;
                inputs.cfg_target = ConfigTarget::DumpClear as u8;
            }
            15..=17 => {
                let e = random_entry(&mut rng, &pool);
                inputs.cfg_write = true;
                inputs.cfg_target = ConfigTarget::McEntry as u8;
                inputs.cfg_index = rewrite_index(&mut rng, cfg.table_entries);
                (inputs.cfg_key, inputs.cfg_mask, inputs.cfg_data) =
                    (e.key(), e.mask(), e.route().bits());
            }
            18 => {
                inputs.cfg_write = true;
                inputs.cfg_target = ConfigTarget::Control as u8;
                inputs.cfg_data = short_waits(&mut rng).to_register();
            }
            19 if now > cfg.cycles / 2 && !reset_done => {
                inputs.reset = true;
                reset_done = true;
                reprogram = true;
            }
            _ if reprogram => {
                // Reset restored the 240-cycle boot wait1: shorten the waits again.
                inputs.cfg_write = true;
                inputs.cfg_target = ConfigTarget::Control as u8;
                inputs.cfg_data = short_waits(&mut rng).to_register();
                reprogram = false;
            }
            _ => {}
        }
        res.push(inputs);
    }
    res
}
