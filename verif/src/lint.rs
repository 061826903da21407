//! Verilator lint of exported Verilog under the waivers the project ships
//! (`spinn_rtl::verilog::LINT_WAIVERS`, `hdl/rtl/lint/waivers.vlt`): every warning is a
//! finding, and a design is clean when there is none.
//!
//! The waivers name shapes, never categories: a blanket WIDTH waiver would hide the one symptom
//! of rust-hdl's operator-precedence miscompilation (`a & m == k` emitted unparenthesised reads
//! as `a & (m == k)` in Verilog: `Operator AND expects 32 bits on the RHS, but RHS's EQ
//! generates 1 bits`) and the widening-cast pitfall (`Operator NOT expects 88 bits`);
//! `verif/tests/verilog_checks.rs` checks that both still warn.

use crate::tools::VERILATOR;
use spinn_rtl::verilog::LINT_WAIVERS;
use std::path::Path;
use std::process::Command;

/// What one lint run reported.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Every `%Warning` and `%Error` line but Verilator's closing count.
    pub findings: Vec<String>,
}

impl LintReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// The findings in Verilator's output: its `%Warning-…` and `%Error…` lines, without the
/// closing `%Error: Exiting due to N warning(s)`, which only counts them.
pub fn findings(output: &str) -> LintReport {
    LintReport {
        findings: output
            .lines()
            .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
            .filter(|l| !l.starts_with("%Error: Exiting due to"))
            .map(str::to_string)
            .collect(),
    }
}

/// Runs `verilator --lint-only -Wall` on `path` with the shipped waivers (written next to
/// it as `waivers.vlt`).
pub fn lint_file(path: &Path) -> std::io::Result<LintReport> {
    let waivers = path.with_file_name("waivers.vlt");
    std::fs::write(&waivers, LINT_WAIVERS)?;
    let output = Command::new(VERILATOR.command)
        .args(["--lint-only", "-Wall"])
        .arg(&waivers)
        .arg(path)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    let report = findings(&text);
    if !output.status.success() && report.is_clean() {
        return Err(std::io::Error::other(format!(
            "{} failed without findings: {text}",
            VERILATOR.command
        )));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_warning_is_a_finding_but_the_closing_count() {
        let out = "%Warning-WIDTH: prec.v:14:17: Operator AND expects 8 bits on the RHS, but RHS's EQ generates 1 bits.\n\
                   %Warning-UNUSEDSIGNAL: r.v:3:3: Signal is not used: 'something_else'\n\
                   - V e r i l a t i o n   R e p o r t\n\
                   %Error: Exiting due to 2 warning(s)\n";
        let report = findings(out);
        assert_eq!(report.findings.len(), 2, "{report:?}");
        assert!(report.findings[0].contains("RHS's EQ"));
        assert!(!findings("- V e r i l a t i o n\n")
            .findings
            .iter()
            .any(|_| true));
    }
}
