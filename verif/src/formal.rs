//! Formal checks of the 16-entry router: the property wrapper `verif/formal/router_props.sv`
//! around the exported Verilog, compiled by Yosys to AIGER and checked by ABC
//! (`docs/hardware.md`, "Formal properties").
//!
//! A [`Check`] names a [`Target`] (a property group, or a reachability witness that shows the
//! assumptions are not vacuous), an [`Engine`] (bounded model checking to a depth, k-induction
//! or PDR for an unbounded proof) and optionally a [`Mutant`]: a deliberately broken router made
//! by one textual substitution in the exported Verilog, found exactly once, so a mutant can never
//! silently be the real router. [`run`] writes the Verilog and the Yosys script into a fresh
//! scratch directory, runs Yosys (`write_aiger`) and then ABC, and parses ABC's verdict into an
//! [`Outcome`]. A counterexample is replayed by Yosys's `sim` on the same netlist, which names
//! the assertions that fail (by their labels in the wrapper, `C2`, `W3`, ...) and writes a VCD.
//!
//! The MC and P2P tables' lookup results are cut to free inputs (`expose -cut`): every real table
//! behaviour is one of those, so a proof holds for the real tables, and the solver is spared
//! their 1,600 flip-flops.
//!
//! Why ABC and not `yosys-smtbmc`: on the 2-vCPU development machine, `yosys-smtbmc -s z3 -t 8`
//! (Debian's z3 4.8.12) on the smallest group's netlist had not finished step 0 after 150 s,
//! where ABC proves that group for every depth in about 7 s. The netlist and the assertions are
//! Yosys's either way; only the solver differs.

use crate::tools::{self, Tool, YOSYS, YOSYS_ABC};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The property wrapper and its port adapter (`verif/formal/`).
const PROPS_SV: &str = include_str!("../formal/router_props.sv");
const VEC_SV: &str = include_str!("../formal/router_vec.sv");

/// The environment variable that keeps a check's scratch directory (AIGER, logs, the
/// counterexample's VCD) instead of removing it.
pub const KEEP_VAR: &str = "SPINN_FORMAL_KEEP";

/// A property group of the wrapper (one `PROP_*` define).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// `PROP_VALID`: an output's valid never falls, nor its packet change, before it is taken.
    ValidHeld,
    /// `PROP_CONSERVE`: a packet leaves on exactly its routed outputs, once each, or is dumped.
    Conservation,
    /// `PROP_WAIT`: the wait counters bound the time to an emergency route and to a dump.
    WaitBounds,
    /// `PROP_COUNT`: the diagnostic counters count every packet once.
    Counters,
}

impl Property {
    pub const ALL: [Property; 4] = [
        Property::ValidHeld,
        Property::Conservation,
        Property::WaitBounds,
        Property::Counters,
    ];

    fn defines(self) -> &'static [&'static str] {
        match self {
            Property::ValidHeld => &["PROP_VALID"],
            Property::Conservation => &["PROP_CONSERVE"],
            Property::WaitBounds => &["PROP_WAIT"],
            Property::Counters => &["PROP_COUNT"],
        }
    }

    /// A short name, for scratch directories and messages.
    pub fn name(self) -> &'static str {
        match self {
            Property::ValidHeld => "valid",
            Property::Conservation => "conserve",
            Property::WaitBounds => "wait",
            Property::Counters => "count",
        }
    }
}

/// A case the watched-packet assumptions must leave reachable (`PROP_REACH`): its check is
/// expected to end in a counterexample, which is the witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Witness {
    /// R1: the watched packet is taken early, from the lookup register.
    EarlyTake,
    /// R2: it leaves on an emergency route.
    Emergency,
    /// R3: it is dumped.
    Dump,
    /// R4: it is dumped into full dump registers (an overflow).
    DumpOverflow,
    /// R5: it is dropped for bad parity.
    ParityDrop,
}

impl Witness {
    pub const ALL: [Witness; 5] = [
        Witness::EarlyTake,
        Witness::Emergency,
        Witness::Dump,
        Witness::DumpOverflow,
        Witness::ParityDrop,
    ];

    /// Its assertion's label and define in the wrapper (`R1`..`R5`).
    pub fn label(self) -> &'static str {
        match self {
            Witness::EarlyTake => "R1",
            Witness::Emergency => "R2",
            Witness::Dump => "R3",
            Witness::DumpOverflow => "R4",
            Witness::ParityDrop => "R5",
        }
    }
}

/// What a check checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Property(Property),
    Witness(Witness),
}

impl Target {
    fn defines(self) -> Vec<&'static str> {
        match self {
            Target::Property(p) => p.defines().to_vec(),
            Target::Witness(w) => vec!["PROP_REACH", w.label()],
        }
    }

    fn name(self) -> String {
        match self {
            Target::Property(p) => p.name().to_string(),
            Target::Witness(w) => format!("reach-{}", w.label()),
        }
    }
}

/// How a check is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// ABC `bmc3`: every run of `frames` cycles from power-up (cycle 0 is the reset cycle).
    Bmc { frames: u32 },
    /// k-induction: ABC `bmc3` for the first `frames` cycles (the base case), then `ind -F
    /// frames` (every `frames` consecutive good cycles are followed by a good one): a proof for
    /// every depth, or a counterexample from the base case.
    Induction { frames: u32 },
    /// ABC `pdr` (property-directed reachability): a proof for every depth, or a counterexample.
    Pdr,
}

/// A deliberately broken router: one substitution in the exported Verilog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutant {
    /// A dumped packet is dropped: the dump does not set the dump status (the monitor never
    /// learns of it).
    DumpNotReported,
    /// Outputs that took the output stage's packet stay pending: the packet is sent again.
    StageResends,
    /// Outputs that took the lookup register's packet early are forgotten: it is sent again.
    EarlyResends,
    /// FR packets are not counted.
    FrNotCounted,
    /// The lookup register's decision is not held: a write while its packet waits changes where
    /// it goes (the bug fixed in 7ccbe00), withdrawing an early offer before it is taken.
    DecisionNotHeld,
    /// A wait phase expires a cycle late.
    WaitOneLonger,
}

impl Mutant {
    pub const ALL: [Mutant; 6] = [
        Mutant::DumpNotReported,
        Mutant::StageResends,
        Mutant::EarlyResends,
        Mutant::FrNotCounted,
        Mutant::DecisionNotHeld,
        Mutant::WaitOneLonger,
    ];

    /// The text replaced and its replacement.
    fn substitution(self) -> (&'static str, &'static str) {
        match self {
            Mutant::DumpNotReported => (
                "status$d = status_base | dumped_flag | ((undelivered) & 32'hffffffff);",
                "status$d = status_base;",
            ),
            Mutant::StageResends => (
                "remaining = pending$q & ~out_ready;",
                "remaining = pending$q;",
            ),
            Mutant::EarlyResends => (
                "lookup_sent$d = lookup_sent_now;",
                "lookup_sent$d = lookup_sent$q;",
            ),
            Mutant::FrNotCounted => (
                "increments = increments | count_fr;",
                "increments = increments;",
            ),
            Mutant::DecisionNotHeld => ("if (decided$q) begin", "if (1'b0) begin"),
            Mutant::WaitOneLonger => (
                "expire = blocked & ~infinite & (wait_count$q >= phase_limit);",
                "expire = blocked & ~infinite & (wait_count$q > phase_limit);",
            ),
        }
    }

    /// A short name, for scratch directories and messages.
    pub fn name(self) -> &'static str {
        match self {
            Mutant::DumpNotReported => "dump-not-reported",
            Mutant::StageResends => "stage-resends",
            Mutant::EarlyResends => "early-resends",
            Mutant::FrNotCounted => "fr-not-counted",
            Mutant::DecisionNotHeld => "decision-not-held",
            Mutant::WaitOneLonger => "wait-one-longer",
        }
    }

    /// The router Verilog with this mutation, or an error if its pattern is not found exactly
    /// once (the generator changed: the mutant must be updated, never silently be a no-op).
    pub fn apply(self, verilog: &str) -> Result<String, String> {
        let (from, to) = self.substitution();
        match verilog.matches(from).count() {
            1 => Ok(verilog.replacen(from, to, 1)),
            n => Err(format!(
                "mutant {}: `{from}` occurs {n} times in the router Verilog, not once",
                self.name()
            )),
        }
    }
}

/// One formal check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub target: Target,
    pub engine: Engine,
    pub mutant: Option<Mutant>,
    /// The largest wait1/wait2 mantissa the watched-packet groups allow (`MAX_WAIT`).
    pub max_wait: u8,
    /// ABC's time limit.
    pub timeout: Duration,
}

impl Check {
    /// A check of `target` on the real router, waits up to 1 (each wait phase 1 or 2 cycles).
    pub fn new(target: Target, engine: Engine) -> Check {
        Check {
            target,
            engine,
            mutant: None,
            max_wait: 1,
            timeout: Duration::from_secs(600),
        }
    }

    /// The same check on a mutant.
    pub fn on(self, mutant: Mutant) -> Check {
        Check {
            mutant: Some(mutant),
            ..self
        }
    }

    fn label(&self) -> String {
        let engine = match self.engine {
            Engine::Bmc { frames } => format!("bmc{frames}"),
            Engine::Induction { frames } => format!("ind{frames}"),
            Engine::Pdr => "pdr".to_string(),
        };
        match self.mutant {
            Some(m) => format!("{}-{engine}-{}", self.target.name(), m.name()),
            None => format!("{}-{engine}", self.target.name()),
        }
    }
}

/// How deep a proof goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every run of this many cycles from power-up (cycle 0 is the reset cycle).
    Bounded(u32),
    /// Every run, of any length.
    Unbounded,
}

/// The verdict of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No assertion fails, to this depth.
    Proved { depth: Depth, seconds: f64 },
    /// An assertion fails in this cycle (0 is the reset cycle). `failed` are the labels of the
    /// failing assertions as Yosys's replay of the counterexample reports them, with their lines
    /// in `router_props.sv`; `trace` the replay's VCD when the scratch directory is kept.
    Counterexample {
        cycle: u32,
        failed: Vec<String>,
        trace: Option<PathBuf>,
        seconds: f64,
    },
    /// The engine gave up (time limit) after proving this many cycles.
    Undecided { frames: u32, seconds: f64 },
    /// A tool failed, or its output was not understood.
    ToolError(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Proved {
                depth: Depth::Bounded(n),
                seconds,
            } => write!(f, "proved for {n} cycles from power-up ({seconds:.1} s)"),
            Outcome::Proved {
                depth: Depth::Unbounded,
                seconds,
            } => write!(f, "proved for every depth ({seconds:.1} s)"),
            Outcome::Counterexample {
                cycle,
                failed,
                trace,
                seconds,
            } => {
                write!(
                    f,
                    "counterexample: fails in cycle {cycle}: {} ({seconds:.1} s)",
                    failed.join(", ")
                )?;
                if let Some(t) = trace {
                    write!(f, "; trace {}", t.display())?;
                }
                Ok(())
            }
            Outcome::Undecided { frames, seconds } => {
                write!(f, "undecided after {frames} cycles ({seconds:.1} s)")
            }
            Outcome::ToolError(m) => write!(f, "tool error: {m}"),
        }
    }
}

/// The tools a check needs.
pub const TOOLS: [Tool; 2] = [YOSYS, YOSYS_ABC];

/// The router Verilog the checks read: the exported 16-entry router.
pub fn router_verilog() -> Result<String, String> {
    static VERILOG: OnceLock<Result<String, String>> = OnceLock::new();
    VERILOG
        .get_or_init(|| {
            spinn_rtl::config::verilog(&spinn_rtl::config::RouterConfig::register(16))
                .map_err(|e| format!("generating the router Verilog: {e}"))
        })
        .clone()
}

/// The Verilog without its `initial` blocks: every flip-flop then powers up arbitrary, and the
/// properties hold from any power-up state (the wrapper applies reset in cycle 0).
pub fn strip_initial_blocks(verilog: &str) -> Result<String, String> {
    let mut out = String::with_capacity(verilog.len());
    let mut lines = verilog.lines();
    let mut stripped = 0;
    while let Some(line) = lines.next() {
        if line.trim() == "initial begin" {
            stripped += 1;
            loop {
                match lines.next() {
                    Some(l) if l.trim() == "end" => break,
                    Some(_) => {}
                    None => return Err("an `initial begin` block without its `end`".to_string()),
                }
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if stripped == 0 {
        return Err("the router Verilog has no `initial` blocks to strip".to_string());
    }
    Ok(out)
}

fn yosys_script(check: &Check) -> String {
    let defines: String = check
        .target
        .defines()
        .iter()
        .map(|d| format!(" -D{d}"))
        .collect();
    format!(
        "read_verilog router.v\n\
         read_verilog -formal -sv{defines} -DMAX_WAIT={max_wait} router_vec.sv router_props.sv\n\
         prep -top router_props\n\
         flatten\n\
         connect -set probe_control dut.dut.control$q\n\
         connect -set probe_fixed_route dut.dut.fixed_route$q\n\
         expose -cut w:dut.dut.mc_table$hit w:dut.dut.mc_table$route w:dut.dut.p2p$read_code\n\
         delete -port o:*\n\
         opt_clean\n\
         async2sync\n\
         techmap\n\
         opt -fast\n\
         setundef -undriven -anyseq\n\
         dffunmap\n\
         aigmap\n\
         opt_clean\n",
        max_wait = check.max_wait
    )
}

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// Runs `check` with the given Yosys and ABC executables.
pub fn run(check: &Check, yosys: &Path, abc: &Path) -> Outcome {
    let start = Instant::now();
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let dir = match tools::scratch_dir(&format!("formal-{}-{n}", check.label())) {
        Ok(d) => d,
        Err(e) => return Outcome::ToolError(format!("scratch directory: {e}")),
    };
    let outcome = run_in(check, yosys, abc, &dir, start);
    let keep = std::env::var_os(KEEP_VAR).is_some();
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match outcome {
        Outcome::Counterexample {
            cycle,
            failed,
            seconds,
            ..
        } => Outcome::Counterexample {
            cycle,
            failed,
            trace: keep.then(|| dir.join("trace.vcd")),
            seconds,
        },
        other => other,
    }
}

fn run_in(check: &Check, yosys: &Path, abc: &Path, dir: &Path, start: Instant) -> Outcome {
    let verilog = match router_verilog().and_then(|v| {
        let v = match check.mutant {
            Some(m) => m.apply(&v)?,
            None => v,
        };
        strip_initial_blocks(&v)
    }) {
        Ok(v) => v,
        Err(e) => return Outcome::ToolError(e),
    };
    let script = yosys_script(check);
    let files = [
        ("router.v", verilog.as_str()),
        ("router_vec.sv", VEC_SV),
        ("router_props.sv", PROPS_SV),
        (
            "aiger.ys",
            &format!(
                "{script}write_aiger -zinit -map design.map design.aig\nwrite_rtlil design.il\n"
            ),
        ),
        (
            "replay.ys",
            "read_rtlil design.il\nsim -clock clock -r cex.aiw -map design.map -vcd trace.vcd\n",
        ),
    ];
    for (name, text) in files {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            return Outcome::ToolError(format!("writing {name}: {e}"));
        }
    }
    if let Err(e) = run_tool(yosys, &["-q", "-l", "yosys.log", "aiger.ys"], dir) {
        return Outcome::ToolError(format!("yosys: {e}"));
    }
    let timeout = check.timeout.as_secs().max(1);
    let read = "read_aiger design.aig; fold; strash";
    let base = |frames: u32| format!("{read}; bmc3 -F {frames} -T {timeout}; write_cex -a cex.aiw");
    let command = match check.engine {
        Engine::Bmc { frames } | Engine::Induction { frames } => base(frames),
        Engine::Pdr => format!("{read}; pdr -T {timeout}; write_cex -a cex.aiw"),
    };
    let mut output = match run_tool(abc, &["-c", &command], dir) {
        Ok(o) => o,
        Err(e) => return Outcome::ToolError(format!("yosys-abc: {e}")),
    };
    if let Engine::Induction { frames } = check.engine {
        // The step, once the base case holds: all properties as one output.
        if parse_abc(&output, Engine::Bmc { frames }) == AbcVerdict::Proved(Depth::Bounded(frames))
        {
            let step = format!("{read}; orpos; ind -F {frames}");
            match run_tool(abc, &["-c", &step], dir) {
                Ok(o) => output.push_str(&o),
                Err(e) => return Outcome::ToolError(format!("yosys-abc: {e}")),
            }
        }
    }
    let _ = std::fs::write(dir.join("abc.log"), &output);
    let seconds = start.elapsed().as_secs_f64();
    match parse_abc(&output, check.engine) {
        AbcVerdict::Proved(depth) => Outcome::Proved { depth, seconds },
        AbcVerdict::Undecided(frames) => Outcome::Undecided { frames, seconds },
        AbcVerdict::Failed(cycle) => {
            let failed = match run_tool(yosys, &["-q", "replay.ys"], dir) {
                Ok(log) => failed_labels(&log),
                Err(e) => vec![format!("(replay failed: {e})")],
            };
            Outcome::Counterexample {
                cycle,
                failed,
                trace: None,
                seconds: start.elapsed().as_secs_f64(),
            }
        }
        AbcVerdict::Unknown => Outcome::ToolError(format!(
            "ABC's verdict not understood: {}",
            output.lines().last().unwrap_or("(no output)")
        )),
    }
}

/// Runs a tool in `dir`; its stdout and stderr together, or a one-line error.
fn run_tool(tool: &Path, args: &[&str], dir: &Path) -> Result<String, String> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("could not run {}: {e}", tool.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let last = text
            .lines()
            .rev()
            .find(|l| l.contains("ERROR"))
            .or_else(|| text.lines().last())
            .unwrap_or("no output");
        return Err(format!("exit {}: {}", out.status, last.trim()));
    }
    Ok(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AbcVerdict {
    Proved(Depth),
    Failed(u32),
    Undecided(u32),
    Unknown,
}

/// ABC's verdict from its output.
fn parse_abc(output: &str, engine: Engine) -> AbcVerdict {
    for line in output.lines() {
        // "Output 25 of miter "design" was asserted in frame 6. Time = ..."
        if let Some(rest) = line.split("was asserted in frame ").nth(1) {
            let frame: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(f) = frame.parse() {
                return AbcVerdict::Failed(f);
            }
        }
    }
    match engine {
        Engine::Bmc { frames } => {
            for line in output.lines() {
                // "No output asserted in 12 frames. Resource limit reached ..."
                if let Some(rest) = line.split("No output asserted in ").nth(1) {
                    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    if let Ok(n) = n.parse::<u32>() {
                        return if n >= frames {
                            AbcVerdict::Proved(Depth::Bounded(frames))
                        } else {
                            AbcVerdict::Undecided(n)
                        };
                    }
                }
            }
            AbcVerdict::Unknown
        }
        Engine::Induction { frames } => match parse_abc(output, Engine::Bmc { frames }) {
            AbcVerdict::Proved(_) if output.contains("Networks are equivalent") => {
                AbcVerdict::Proved(Depth::Unbounded)
            }
            AbcVerdict::Proved(_) if output.contains("Networks are UNDECIDED") => {
                AbcVerdict::Undecided(frames)
            }
            AbcVerdict::Proved(_) => AbcVerdict::Unknown,
            other => other,
        },
        Engine::Pdr => {
            if output.contains("Property proved") {
                AbcVerdict::Proved(Depth::Unbounded)
            } else if output.contains("timeout") || output.contains("Reached") {
                AbcVerdict::Undecided(0)
            } else {
                AbcVerdict::Unknown
            }
        }
    }
}

/// The labels (`C5`, `W2`, ...) of the assertions Yosys's replay reports failing, with their
/// lines in `router_props.sv`, in line order.
fn failed_labels(log: &str) -> Vec<String> {
    let props: Vec<&str> = PROPS_SV.lines().collect();
    let mut lines: Vec<usize> = log
        .lines()
        .filter(|l| l.contains("Assert") && l.contains("failed"))
        .filter_map(|l| {
            // "... (router_props.sv:376.28-390.31) failed." : the assertion ends on line 390.
            let span = l.rsplit("router_props.sv:").next()?;
            let end = span.split('-').nth(1)?;
            end.split('.').next()?.parse().ok()
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
        .into_iter()
        .map(|line| {
            let label = props[..line.min(props.len())]
                .iter()
                .rev()
                .find_map(|l| assertion_label(l))
                .unwrap_or_else(|| "?".to_string());
            format!("{label} (router_props.sv:{line})")
        })
        .collect()
}

/// `C5` from a comment line `// C5: ...`.
fn assertion_label(line: &str) -> Option<String> {
    let comment = line.trim().strip_prefix("//")?.trim();
    let (label, _) = comment.split_once(':')?;
    let mut chars = label.chars();
    let first = chars.next()?;
    (first.is_ascii_uppercase()
        && label.len() <= 3
        && chars.all(|c| c.is_ascii_digit())
        && label.len() > 1)
        .then(|| label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_verdicts_are_parsed() {
        let bmc = Engine::Bmc { frames: 12 };
        assert_eq!(
            parse_abc("No output asserted in 12 frames. Resource limit reached (conf limit 0). Time = 1 sec", bmc),
            AbcVerdict::Proved(Depth::Bounded(12))
        );
        assert_eq!(
            parse_abc(
                "No output asserted in 7 frames. Resource limit reached (timeout 5 sec).",
                bmc
            ),
            AbcVerdict::Undecided(7)
        );
        assert_eq!(
            parse_abc(
                "Output 25 of miter \"design\" was asserted in frame 6. Time = 1.28 sec",
                bmc
            ),
            AbcVerdict::Failed(6)
        );
        assert_eq!(
            parse_abc("Property proved.  Time = 3 sec", Engine::Pdr),
            AbcVerdict::Proved(Depth::Unbounded)
        );
    }

    #[test]
    fn every_mutant_pattern_occurs_once() {
        let verilog = router_verilog().expect("the 16-entry router");
        for m in Mutant::ALL {
            let mutated = m.apply(&verilog).expect("the pattern occurs once");
            assert_ne!(mutated, verilog, "{}", m.name());
        }
    }

    #[test]
    fn labels_come_from_the_comment_above() {
        assert_eq!(
            assertion_label("            // C5: a dump is ..."),
            Some("C5".to_string())
        );
        assert_eq!(assertion_label("    // rotate(d) = (d + 5) mod 6"), None);
        let log =
            "Warning: Assert router_props.$assert$x:1$2 (/tmp/router_props.sv:10.1-12.5) failed.";
        assert_eq!(failed_labels(log).len(), 1);
    }
}
