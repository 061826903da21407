//! Verilator lint of exported Verilog, with a short allow-list of the warnings rust-hdl's code
//! generator cannot avoid. Everything else fails the check.
//!
//! The allow-list is by *shape*, never by category: a blanket `-Wno-WIDTH` would hide the one
//! symptom of rust-hdl's operator-precedence miscompilation (`a & m == k` emitted unparenthesised
//! reads as `a & (m == k)` in Verilog), which shows as a comparison result feeding a wider
//! bitwise operator: `Operator AND expects 32 bits on the RHS, but RHS's EQ generates 1 bits`.
//! That shape is not on the list.

use crate::tools::{self, VERILATOR};
use std::path::Path;
use std::process::Command;

/// Why a warning is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Allowed {
    /// DECLFILENAME: rust-hdl writes every module into one file.
    OneFileManyModules,
    /// UNOPTFLAT: rust-hdl emits one `always @(*)` per kernel, so a combinational path into a
    /// child block and another back out form a loop between processes although no signal
    /// depends on itself. Verilator loses an optimisation, not correctness (the co-simulation
    /// checks behaviour).
    ProcessLevelLoop,
    /// UNUSEDSIGNAL `result_taken`: the register table answers in the cycle it is asked, so it
    /// has no use for the acknowledgement the banked table needs; the port is kept so both
    /// tables plug into one router top.
    RegisterTableAcknowledge,
    /// WIDTH: rust-hdl emits every integer literal 32 bits wide (`x = 32'h0`).
    ThirtyTwoBitLiteral,
    /// WIDTH: `replace_bit` is emitted as shifts of a 1-bit value (`(1'h1 << i)`).
    BitReplace,
    /// WIDTH: `bit_cast` to a wider type is emitted as an AND with a wider mask.
    WideningCast,
    /// WIDTH: arithmetic with a literal is 32 bits wide (`count + 32'h1`) and assigned back.
    LiteralArithmetic,
}

/// The warnings of one lint run, sorted into allowed and rejected.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub allowed: Vec<(Allowed, String)>,
    pub rejected: Vec<String>,
}

impl LintReport {
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty()
    }

    /// How many warnings each allow-list entry accepted.
    pub fn summary(&self) -> Vec<(Allowed, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for (why, _) in &self.allowed {
            *counts.entry(*why).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }
}

/// Matches `text` against `pattern`, where each `{}` matches any run of characters (shortest
/// first); returns the captures.
fn capture(pattern: &str, text: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(parts[0])?;
    let mut caps = Vec::new();
    for (i, lit) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        let at = if last && lit.is_empty() {
            rest.len()
        } else if last {
            rest.len()
                .checked_sub(lit.len())
                .filter(|&at| rest[at..] == **lit)?
        } else {
            rest.find(lit)?
        };
        caps.push(rest[..at].to_string());
        rest = &rest[at + lit.len()..];
    }
    Some(caps)
}

fn is_signal_operand(operand: &str) -> bool {
    operand == "SEL" || capture("VARREF '{}'", operand).is_some()
}

fn classify_width(msg: &str) -> Option<Allowed> {
    if let Some(c) = capture("Operator ASSIGN expects {} bits on the Assign RHS, but Assign RHS's CONST '32'h{}' generates 32 bits.", msg) {
        return c[1].chars().all(|ch| ch.is_ascii_hexdigit()).then_some(Allowed::ThirtyTwoBitLiteral);
    }
    if let Some(c) = capture(
        "Operator SHIFTL expects 32 or {} bits on the LHS, but LHS's {} generates 1 bits.",
        msg,
    ) {
        return (c[1] == "CONST '1'h1'" || is_signal_operand(&c[1])).then_some(Allowed::BitReplace);
    }
    if let Some(c) = capture(
        "Operator AND expects {} bits on the LHS, but LHS's {} generates {} bits.",
        msg,
    ) {
        let wider = c[0].parse::<u32>().ok()? > c[2].parse::<u32>().ok()?;
        return (wider && is_signal_operand(&c[1])).then_some(Allowed::WideningCast);
    }
    for op in ["ADD", "SUB"] {
        if let Some(c) = capture(
            &format!(
                "Operator {op} expects 32 bits on the LHS, but LHS's {{}} generates {{}} bits."
            ),
            msg,
        ) {
            return is_signal_operand(&c[0]).then_some(Allowed::LiteralArithmetic);
        }
        if capture(&format!("Operator ASSIGN expects {{}} bits on the Assign RHS, but Assign RHS's {op} generates 32 bits."), msg).is_some() {
            return Some(Allowed::LiteralArithmetic);
        }
    }
    None
}

/// Sorts Verilator's output into allowed and rejected warnings. The closing
/// `%Error: Exiting due to N warning(s)` line is not a finding; any other error is rejected.
pub fn classify(output: &str) -> LintReport {
    let mut report = LintReport::default();
    for line in output.lines().filter(|l| l.starts_with('%')) {
        if capture("%Error: Exiting due to {} warning(s)", line).is_some() {
            continue;
        }
        let verdict = capture("%Warning-{}: {}: {}", line).and_then(|c| {
            let (kind, msg) = (c[0].as_str(), c[2].as_str());
            match kind {
                "DECLFILENAME" => Some(Allowed::OneFileManyModules),
                "UNOPTFLAT" => Some(Allowed::ProcessLevelLoop),
                "UNUSEDSIGNAL" if msg == "Signal is not used: 'result_taken'" => {
                    Some(Allowed::RegisterTableAcknowledge)
                }
                "WIDTH" => classify_width(msg),
                _ => None,
            }
        });
        match verdict {
            Some(why) => report.allowed.push((why, line.to_string())),
            None => report.rejected.push(line.to_string()),
        }
    }
    report
}

/// Runs `verilator --lint-only -Wall` on a file and classifies what it says.
pub fn lint_file(path: &Path) -> std::io::Result<LintReport> {
    let output = Command::new(VERILATOR.command)
        .arg("--lint-only")
        .arg("-Wall")
        .arg(path)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let report = classify(&text);
    if !output.status.success() && report.allowed.is_empty() && report.rejected.is_empty() {
        return Err(std::io::Error::other(format!(
            "{} failed without findings: {text}",
            tools::VERILATOR.command
        )));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_precedence_bug_shape_is_rejected() {
        let out = "%Warning-WIDTH: prec.v:14:17: Operator AND expects 8 bits on the RHS, but RHS's EQ generates 1 bits.\n\
                   %Warning-WIDTH: r.v:1:1: Operator AND expects 20 bits on the LHS, but LHS's SEL generates 4 bits.\n\
                   %Warning-WIDTH: r.v:2:2: Operator ASSIGN expects 24 bits on the Assign RHS, but Assign RHS's CONST '32'h0' generates 32 bits.\n\
                   %Warning-UNUSEDSIGNAL: r.v:3:3: Signal is not used: 'something_else'\n\
                   %Error: Exiting due to 4 warning(s)\n";
        let report = classify(out);
        assert_eq!(report.rejected.len(), 2, "{report:?}");
        assert!(report.rejected[0].contains("RHS's EQ"));
        assert!(report.rejected[1].contains("something_else"));
        assert_eq!(
            report.summary(),
            vec![
                (Allowed::ThirtyTwoBitLiteral, 1),
                (Allowed::WideningCast, 1)
            ]
        );
    }

    #[test]
    fn an_inversion_widened_by_a_cast_is_rejected() {
        // `bit_cast::<88, 32>(!key)`: Verilog sizes `~key` at 88 bits before inverting, so the
        // upper bits come out as ones where the rust-hdl simulation has zeros.
        let out = "%Warning-WIDTH: b.v:1962:24: Operator NOT expects 88 bits on the LHS, but LHS's VARREF 'write_key' generates 32 bits.\n";
        assert_eq!(classify(out).rejected.len(), 1);
    }

    #[test]
    fn a_narrowing_and_is_not_a_widening_cast() {
        let msg = "Operator AND expects 4 bits on the LHS, but LHS's SEL generates 20 bits.";
        assert_eq!(classify_width(msg), None);
    }
}
