//! Permanent faults as configuration: dead chips, links and cores named on the command line or
//! drawn at random, applied to the machine before anything is mapped onto it.
//!
//! The toolchain places around dead cores and chips and routes around dead links, so a model
//! that still fits trains to the same weights as on the whole machine; one that no longer fits
//! ends in the mapping's own error, which names what is missing.

use anyhow::{bail, Context};
use spinn_arch::{ChipCoord, CoreId, LinkDir, Machine, CORES_PER_CHIP};
use spinn_model::rng::SplitMix64;

/// The chip the host talks to (a board's Ethernet chip): never killed at random, since nothing
/// could be loaded or read back without it.
pub const HOST_CHIP: ChipCoord = ChipCoord::new(0, 0);

/// Draws a random fault gives up after, per fault, on a machine with too little left to kill.
const MAX_DRAWS_PER_FAULT: usize = 1000;

/// The fault flags `train`, `traffic` and `life` share.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FaultArgs {
    /// A dead chip `X,Y` (repeatable): its router, links and cores are gone.
    #[arg(long = "dead-chip", value_name = "X,Y", value_parser = parse_chip)]
    pub dead_chips: Vec<ChipCoord>,
    /// A dead link `X,Y,DIR` (DIR: E, NE, N, W, SW or S; repeatable), dead both ways.
    #[arg(long = "dead-link", value_name = "X,Y,DIR", value_parser = parse_link)]
    pub dead_links: Vec<(ChipCoord, LinkDir)>,
    /// A dead core `X,Y,P` (P: 0-17; repeatable): nothing is placed on it.
    #[arg(long = "dead-core", value_name = "X,Y,P", value_parser = parse_core)]
    pub dead_cores: Vec<(ChipCoord, CoreId)>,
    /// Kill N random links, chips or application cores (never the host's chip (0, 0)).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub random_faults: usize,
    /// Seed of the random faults and of the transient ones.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub fault_seed: u64,
    /// Transient faults: the probability that a router's hand-over of a packet fails, so that
    /// the router dumps it (for the monitor to re-inject, where one does).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_probability)]
    pub drop_rate: f64,
    /// Transient faults: the probability that a packet sent on a link is corrupted on the way,
    /// so that the next router's parity check discards it (lost, as on SpiNNaker).
    #[arg(long, value_name = "R", default_value_t = 0.0, value_parser = parse_probability)]
    pub link_error_rate: f64,
}

/// A machine as `--machine` names it, with the fault flags to apply to it.
pub struct Faulted<'a> {
    pub machine: &'a str,
    pub faults: &'a FaultArgs,
}

impl Faulted<'_> {
    /// The faulted topology, the machine's name and the faults applied.
    pub fn resolve(&self) -> anyhow::Result<(Machine, String, Vec<Fault>)> {
        let (topology, name) = crate::commands::parse_machine(self.machine)?;
        let (topology, faults) = self.faults.apply(topology)?;
        Ok((topology, name, faults))
    }
}

/// One permanent fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Chip(ChipCoord),
    Link(ChipCoord, LinkDir),
    Core(ChipCoord, CoreId),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Chip(c) => write!(f, "chip {c}"),
            Fault::Link(c, l) => write!(f, "link {c} {l}"),
            Fault::Core(c, p) => write!(f, "core {c} p{p}"),
        }
    }
}

impl Fault {
    /// `machine` with this fault; the error names the flag's value.
    fn apply(self, machine: Machine) -> anyhow::Result<Machine> {
        let applied = match self {
            Fault::Chip(c) => machine.with_dead_chip(c),
            Fault::Link(c, l) => machine.with_dead_link(c, l),
            Fault::Core(c, p) => machine.with_dead_core(c, p),
        };
        applied.with_context(|| format!("dead {self}"))
    }
}

impl FaultArgs {
    pub fn is_empty(&self) -> bool {
        self.dead_chips.is_empty()
            && self.dead_links.is_empty()
            && self.dead_cores.is_empty()
            && self.random_faults == 0
            && self.drop_rate == 0.0
            && self.link_error_rate == 0.0
    }

    /// The transient faults to inject (`None` without any).
    pub fn transient(&self) -> Option<spinn_model::TransientFaults> {
        (self.drop_rate > 0.0 || self.link_error_rate > 0.0).then_some(
            spinn_model::TransientFaults {
                drop_rate: self.drop_rate,
                link_error_rate: self.link_error_rate,
                // Apart from the permanent faults' draws, so adding one kind keeps the other.
                seed: self.fault_seed ^ 0x7472_616e_7369_656e,
            },
        )
    }

    /// `machine` with the named faults, then the random ones; and every fault applied, in
    /// order (named first).
    pub fn apply(&self, machine: Machine) -> anyhow::Result<(Machine, Vec<Fault>)> {
        let named = self
            .dead_chips
            .iter()
            .map(|&c| Fault::Chip(c))
            .chain(self.dead_links.iter().map(|&(c, l)| Fault::Link(c, l)))
            .chain(self.dead_cores.iter().map(|&(c, p)| Fault::Core(c, p)));
        let mut machine = machine;
        let mut faults = Vec::new();
        for fault in named {
            machine = fault.apply(machine)?;
            faults.push(fault);
        }
        let mut rng = SplitMix64::new(self.fault_seed);
        for k in 0..self.random_faults {
            let fault = (0..MAX_DRAWS_PER_FAULT)
                .find_map(|_| draw(&machine, &faults, &mut rng))
                .with_context(|| {
                    format!(
                        "--random-faults {}: no live chip, link or core is left to kill after {k}",
                        self.random_faults
                    )
                })?;
            machine = fault.apply(machine)?;
            faults.push(fault);
        }
        Ok((machine, faults))
    }
}

/// One random fault not yet applied (`None` if the draw hit something already dead or the host
/// chip): a link, a chip or an application core, each kind a third of the time.
fn draw(machine: &Machine, done: &[Fault], rng: &mut SplitMix64) -> Option<Fault> {
    let chip = machine.chip_at(rng.below(machine.n_chips() as u64) as usize);
    let fault = match rng.below(3) {
        0 => {
            let links: Vec<LinkDir> = machine.links(chip).map(|(l, _)| l).collect();
            let link = *links.get(rng.below(links.len().max(1) as u64) as usize)?;
            Fault::Link(chip, link)
        }
        1 if chip != HOST_CHIP => Fault::Chip(chip),
        1 => return None,
        _ => {
            // Core 0 is the monitor, which every chip needs; the application cores are 1-17.
            let core = CoreId::new(1 + rng.below(CORES_PER_CHIP as u64 - 1) as usize)
                .expect("invariant: 1..18 are core numbers");
            if !machine.core_alive(chip, core) {
                return None;
            }
            Fault::Core(chip, core)
        }
    };
    (!done.contains(&fault)).then_some(fault)
}

/// The faults as one report line ("none" without any).
pub fn describe(faults: &[Fault]) -> String {
    if faults.is_empty() {
        return "none".to_string();
    }
    faults
        .iter()
        .map(Fault::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn numbers<const N: usize>(text: &str, what: &str) -> Result<[u16; N], String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.len() != N {
        return Err(format!("expected {what}, got {text:?}"));
    }
    let mut out = [0u16; N];
    for (slot, part) in out.iter_mut().zip(&parts) {
        *slot = part
            .parse()
            .map_err(|_| format!("expected {what}, got {text:?}: {part:?} is not a number"))?;
    }
    Ok(out)
}

fn parse_probability(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("expected a probability, got {text:?}"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!("a probability is in [0, 1], got {text}"));
    }
    Ok(rate)
}

fn parse_chip(text: &str) -> Result<ChipCoord, String> {
    let [x, y] = numbers::<2>(text, "X,Y")?;
    Ok(ChipCoord::new(x, y))
}

fn parse_link(text: &str) -> Result<(ChipCoord, LinkDir), String> {
    let Some((chip, dir)) = text.rsplit_once(',') else {
        return Err(format!("expected X,Y,DIR, got {text:?}"));
    };
    let chip = parse_chip(chip).map_err(|_| format!("expected X,Y,DIR, got {text:?}"))?;
    let dir = LinkDir::parse(dir.trim()).ok_or_else(|| {
        format!("expected X,Y,DIR with DIR one of E, NE, N, W, SW, S, got {text:?}")
    })?;
    Ok((chip, dir))
}

fn parse_core(text: &str) -> Result<(ChipCoord, CoreId), String> {
    let [x, y, p] = numbers::<3>(text, "X,Y,P")?;
    let core = CoreId::new(p as usize)
        .ok_or_else(|| format!("core {p} of {text:?}: a chip has cores 0-17"))?;
    if core == CoreId::MONITOR {
        return Err(format!(
            "core 0 of {text:?} is the monitor, which every chip needs; kill the chip instead"
        ));
    }
    Ok((ChipCoord::new(x, y), core))
}

/// Refuses faults on a machine that cannot take them (the RTL fabric is built whole).
pub fn refuse_on_rtl(faults: &FaultArgs) -> anyhow::Result<()> {
    if !faults.is_empty() {
        bail!("--engine rtl runs the whole SpiNN-3 fabric as built; faults need --engine fast");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_bad_values_are_named() {
        assert_eq!(parse_chip("2, 3"), Ok(ChipCoord::new(2, 3)));
        assert_eq!(
            parse_link("1,0,ne"),
            Ok((ChipCoord::new(1, 0), LinkDir::NE))
        );
        assert_eq!(
            parse_core("1,1,5"),
            Ok((ChipCoord::new(1, 1), CoreId::new(5).unwrap()))
        );
        assert!(parse_chip("1").unwrap_err().contains("X,Y"));
        assert!(parse_link("1,0,UP").unwrap_err().contains("E, NE"));
        assert!(parse_core("1,1,18").unwrap_err().contains("0-17"));
        assert!(parse_core("1,1,0").unwrap_err().contains("monitor"));
        assert_eq!(parse_probability("0.001"), Ok(0.001));
        for bad in ["-0.1", "1.5", "NaN", "inf", "x"] {
            assert!(parse_probability(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_faults_are_seeded_spare_the_host_chip_and_are_all_applied() {
        let args = FaultArgs {
            random_faults: 40,
            fault_seed: 7,
            ..FaultArgs::default()
        };
        let (machine, faults) = args.apply(Machine::spinn5()).unwrap();
        assert_eq!(faults.len(), 40);
        assert_eq!(args.apply(Machine::spinn5()).unwrap().1, faults);
        assert!(machine.contains(HOST_CHIP));
        assert!(!faults.contains(&Fault::Chip(HOST_CHIP)));
        let chips = faults
            .iter()
            .filter(|f| matches!(f, Fault::Chip(_)))
            .count();
        assert_eq!(machine.n_chips(), 48 - chips);
        let other = FaultArgs {
            fault_seed: 8,
            ..args.clone()
        };
        assert_ne!(other.apply(Machine::spinn5()).unwrap().1, faults);
    }

    #[test]
    fn a_named_fault_off_the_machine_is_an_error_naming_it() {
        let args = FaultArgs {
            dead_chips: vec![ChipCoord::new(9, 9)],
            ..FaultArgs::default()
        };
        let err = format!("{:#}", args.apply(Machine::spinn5()).unwrap_err());
        assert!(err.starts_with("dead chip (9, 9):"), "{err}");
    }
}
