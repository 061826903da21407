//! `spinn-e2e`: end-to-end tests of the `spinn` command line live in `tests/`; this library
//! only runs a command line in process and captures what it prints.

/// Runs `spinn` with `args`; returns what it printed, or the error message it would print.
pub fn spinn(args: &[&str]) -> Result<String, String> {
    let mut out = Vec::new();
    let argv = std::iter::once("spinn")
        .chain(args.iter().copied())
        .map(str::to_string)
        .collect();
    match spinn_cli::run(argv, &mut out) {
        Ok(()) => Ok(String::from_utf8_lossy(&out).to_string()),
        Err(err) => Err(spinn_cli::error_line(&err)),
    }
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("spinn-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// Runs `spinn` with `args` as the binary does (`sw/cli/src/main.rs`): the exit code (0, or
/// 1 for every error, clap's usage errors included, since `run` turns them into errors) and
/// the one line the binary would print after `error: ` (standard output on success).
pub fn spinn_exit(args: &[&str]) -> (i32, String) {
    match spinn(args) {
        Ok(out) => (0, out),
        Err(line) => (1, line),
    }
}
