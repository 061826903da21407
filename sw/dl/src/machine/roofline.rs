//! The roofline of `../shared/spec/performance.md` §3 for a model on a machine: the training
//! samples per second that compute, core ingress and the links each allow, so that a run's
//! measured rate can be read as a fraction of the lowest.
//!
//! * Compute: every application core busy with multiply-accumulates at the mode's MAC cost,
//!   three per weight per sample (forward, backward, gradient) of a forward pass's MACs.
//! * Core ingress: every application core taking packets at the interrupt entry plus the
//!   receive handler (50 cycles with the ARM968 costs, §3.1's assumption), at the packets per
//!   sample the run delivered.
//! * Links: every directed link carrying a 72-bit packet per link transit (the machine's
//!   `link_timing`: 33 router cycles on SpiNNaker, §2(a)'s 4.05 M packets/s at 133 MHz), at
//!   the link hops per sample the run measured.
//!
//! Ingress and links are taken at the mapping's measured traffic, not at a lower bound of
//! it: they say how far the run is from what its own traffic allows.

use crate::model::{ModelSpec, NumericMode};
use spinn_runtime::{MachineConfig, Op};

/// The three roofs, in training samples per second of machine time (infinite where the
/// model or its traffic does not use the resource: no link hops on one chip).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roofline {
    pub compute: f64,
    pub ingress: f64,
    pub links: f64,
}

impl Roofline {
    /// The roofs of `spec` on `topology` with `machine`'s costs and link timing, at a run's
    /// measured packets delivered and link hops per training sample.
    pub fn new(
        spec: &ModelSpec,
        topology: &spinn_arch::Machine,
        machine: &MachineConfig,
        (deliveries_per_sample, link_hops_per_sample): (f64, f64),
    ) -> Roofline {
        let costs = &machine.costs;
        let cores: usize = topology
            .chips()
            .map(|chip| super::layout::application_cores(topology, chip))
            .sum();
        let directed_links: usize = topology.chips().map(|c| topology.links(c).count()).sum();
        let core_hz = cores as f64 * costs.cpu_hz as f64;
        let mac = match spec.numeric() {
            NumericMode::F32 => Op::FloatMac,
            NumericMode::Fixed => Op::Fixed32Mac,
        };
        let mac_cycles = costs.millicycles(mac) as f64 / 1000.0;
        let receive_cycles = (costs.irq_cycles + costs.packet_receive_cycles) as f64;
        let link_rate = directed_links as f64 * costs.router_hz as f64
            / f64::from(machine.link_timing.transit(true));
        // A resource the model or its traffic does not use sets no bound.
        let roof = |capacity: f64, per_sample: f64| {
            if per_sample > 0.0 {
                capacity / per_sample
            } else {
                f64::INFINITY
            }
        };
        Roofline {
            compute: roof(core_hz, 3.0 * forward_macs(spec) * mac_cycles),
            ingress: roof(core_hz, deliveries_per_sample * receive_cycles),
            links: roof(link_rate, link_hops_per_sample),
        }
    }

    /// The lowest roof.
    pub fn lowest(&self) -> f64 {
        self.compute.min(self.ingress).min(self.links)
    }
}

/// Multiply-accumulates of one sample's forward pass (a convolution's every output position
/// at every tap, padding included: an upper bound).
pub fn forward_macs(spec: &ModelSpec) -> f64 {
    let graph = spec.graph();
    graph
        .nodes()
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let shapes = graph.parameters(crate::graph::NodeId(i))?;
            let grid = node.shape.grid();
            Some(
                (shapes.window[0] * shapes.window[1] * shapes.inputs * shapes.outputs) as f64
                    * (grid.rows * grid.cols) as f64,
            )
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digits_mlp_on_spinn5_has_the_specs_compute_roof() {
        // §3.2: 64-128-10 in soft float, 768 cores, 3 MACs per weight: about 55k samples/s
        // (the spec counts 29,696 MACs per sample at B = 1; three per weight is 28,416).
        let spec = ModelSpec::digits_default()
            .with_training(ModelSpec::digits_default().optimizer(), NumericMode::F32, 1)
            .expect("valid");
        assert_eq!(forward_macs(&spec), 9_472.0);
        let topology = spinn_arch::Machine::spinn5();
        let roof = Roofline::new(
            &spec,
            &topology,
            &MachineConfig::spinnaker(),
            (340.0, 1000.0),
        );
        let cores: usize = topology
            .chips()
            .map(|c| super::super::layout::application_cores(&topology, c))
            .sum();
        let expected = cores as f64 * 200e6 / (3.0 * 9_472.0 * 93.4);
        assert!((roof.compute - expected).abs() < 1e-6, "{roof:?}");
        assert!((50_000.0..70_000.0).contains(&roof.compute), "{roof:?}");
        // 340 deliveries a sample at 50 cycles each.
        assert!((roof.ingress - cores as f64 * 200e6 / (340.0 * 50.0)).abs() < 1e-6);
        // SpiN-5's 240 directed on-board links (§3.1), each a packet per 33 router cycles.
        let links: usize = topology.chips().map(|c| topology.links(c).count()).sum();
        assert_eq!(links, 240);
        assert!((roof.links - links as f64 * 133_333_333.0 / 33.0 / 1000.0).abs() < 1e-6);
        assert_eq!(
            roof.lowest(),
            roof.compute.min(roof.ingress).min(roof.links)
        );
        // A copy on one chip crosses no link: the links set no bound.
        let one_chip = Roofline::new(&spec, &topology, &MachineConfig::spinnaker(), (340.0, 0.0));
        assert_eq!(one_chip.links, f64::INFINITY);
        assert_eq!(one_chip.lowest(), one_chip.compute.min(one_chip.ingress));
    }
}
