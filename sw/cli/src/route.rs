//! `spinn route`: where a model is placed on a machine and how it is routed (cores per chip,
//! the key range of every partition, every chip's routing-table entries before and after
//! minimisation), without loading or running it.

use crate::report::OutDir;
use crate::setup::ModelChoice;
use anyhow::Context;
use serde_json::json;
use spinn_dl::machine::{map_spec, MachineOptions};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub fn route(
    choice: &ModelChoice,
    json_out: bool,
    out_dir: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let out_dir = out_dir.map(OutDir::prepare).transpose()?;
    let resolved = choice.resolve()?;
    let started = std::time::Instant::now();
    let mapped = map_spec(
        &resolved.spec,
        &MachineOptions::on(resolved.topology.clone()),
    )
    .context("mapping the model onto the machine")?;
    let map_seconds = started.elapsed().as_secs_f64();
    let graph = &mapped.layout.graph;
    let mapping = &mapped.mapping;
    let topology = &resolved.topology;
    // Cores per chip, in the machine's chip order.
    let mut by_chip: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    for (v, p) in mapping.placements.iter() {
        let chip = topology
            .chip_index(p.chip)
            .context("a vertex placed on a chip the machine lacks")?;
        by_chip
            .entry(chip)
            .or_default()
            .push((p.core.index(), graph.vertex(v).name.clone()));
    }
    for cores in by_chip.values_mut() {
        cores.sort();
    }
    let sizes = mapping.table_sizes();
    let chips: Vec<_> = (0..topology.n_chips())
        .map(|c| {
            let chip = topology.chip_at(c);
            let (before, after) = sizes.get(&chip).copied().unwrap_or((0, 0));
            let cores = by_chip.get(&c).cloned().unwrap_or_default();
            (chip, cores, before, after)
        })
        .collect();
    let partitions: Vec<_> = mapping
        .keys
        .iter()
        .map(|(id, block)| {
            let p = graph.partition(id);
            (graph.partition_label(id), block, p.targets.len())
        })
        .collect();
    let total_before: usize = chips.iter().map(|c| c.2).sum();
    let total_after: usize = chips.iter().map(|c| c.3).sum();
    let largest = chips.iter().map(|c| c.3).max().unwrap_or(0);
    let report = json!({
        "command": "route",
        "model": crate::train::describe(&resolved.spec),
        "machine": resolved.machine_name,
        "chips": topology.n_chips(),
        "cores_used": mapping.placements.len(),
        "chips_used": by_chip.len(),
        "partitions": partitions.iter().map(|(label, block, targets)| json!({
            "partition": label,
            "first_key": format!("0x{:08x}", block.base),
            "last_key": format!("0x{:08x}", block.last_key()),
            "mask": format!("0x{:08x}", block.mask),
            "keys": block.n_keys,
            "targets": targets,
        })).collect::<Vec<_>>(),
        "per_chip": chips.iter().map(|(chip, cores, before, after)| json!({
            "x": chip.x, "y": chip.y,
            "cores": cores.iter().map(|(core, name)| json!({"core": core, "vertex": name})).collect::<Vec<_>>(),
            "table_entries_before_minimisation": before,
            "table_entries_after_minimisation": after,
        })).collect::<Vec<_>>(),
        "table_entries_before_minimisation": total_before,
        "table_entries_after_minimisation": total_after,
        "largest_table": largest,
        "checked": {
            "partitions": mapping.check.n_partitions,
            "lookups": mapping.check.n_lookups,
            "deliveries": mapping.check.n_deliveries,
        },
        "host_seconds": map_seconds,
    });
    let mut written = Vec::new();
    if let Some(dir) = &out_dir {
        let layout = crate::report::layout_of(&resolved.machine_text);
        let coords: Vec<(u32, u32)> = chips
            .iter()
            .map(|(c, ..)| (c.x as u32, c.y as u32))
            .collect();
        let panel = |title: &str, values: Vec<f64>| spinn_plot::Panel {
            title: title.to_string(),
            values,
        };
        let png = spinn_plot::chip_heatmap(
            &format!("placement and routing: {}", resolved.machine_name),
            &coords,
            layout,
            &[
                panel(
                    "cores used",
                    chips.iter().map(|c| c.1.len() as f64).collect(),
                ),
                panel("entries before", chips.iter().map(|c| c.2 as f64).collect()),
                panel("entries after", chips.iter().map(|c| c.3 as f64).collect()),
            ],
            1200,
            480,
        );
        written.push(dir.write("tables.png", &png)?);
        written.push(dir.write_json("report.json", &report)?);
    }
    if json_out {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    writeln!(out, "model: {}", crate::train::describe(&resolved.spec))?;
    writeln!(
        out,
        "machine: {}, {} chips; {} cores used on {} chip{}; mapped and checked in {:.3} s",
        resolved.machine_name,
        topology.n_chips(),
        mapping.placements.len(),
        by_chip.len(),
        if by_chip.len() == 1 { "" } else { "s" },
        map_seconds
    )?;
    writeln!(out, "placement (chip: core vertex):")?;
    for (chip, cores, ..) in chips.iter().filter(|c| !c.1.is_empty()) {
        let list: Vec<String> = cores.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "  ({}, {}): {}", chip.x, chip.y, list.join(", "))?;
    }
    writeln!(out, "partitions (first key..last key / mask, targets):")?;
    for (label, block, targets) in &partitions {
        writeln!(
            out,
            "  {label}: 0x{:08x}..0x{:08x} / 0x{:08x}, {} keys, {targets} targets",
            block.base,
            block.last_key(),
            block.mask,
            block.n_keys
        )?;
    }
    writeln!(
        out,
        "routing tables (chip: entries before -> after minimisation):"
    )?;
    for (chip, _, before, after) in &chips {
        writeln!(out, "  ({}, {}): {before} -> {after}", chip.x, chip.y)?;
    }
    writeln!(
        out,
        "total: {total_before} -> {total_after} entries, largest table {largest}; checker: {} partitions, {} lookups, {} deliveries proved",
        mapping.check.n_partitions, mapping.check.n_lookups, mapping.check.n_deliveries
    )?;
    for path in &written {
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
