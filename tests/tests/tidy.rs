//! House rules, checked by `cargo test` rather than by a CI-only script: every Rust file starts
//! with a `//!` module doc, and no test uses `#[should_panic]` or `#[ignore]` (assert on the
//! error value instead; gate slow runs with an environment variable).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable workspace directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() && !name.starts_with('.') && name != "target" {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn rust_files_follow_the_house_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let mut files = Vec::new();
    rust_files(root, &mut files);
    assert!(
        files.len() > 20,
        "found only {} Rust files under {}",
        files.len(),
        root.display()
    );
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: does not start with a `//!` module doc"));
        }
        for banned in ["#[should_panic", "#[ignore"] {
            if text.lines().any(|l| l.trim_start().starts_with(banned)) {
                problems.push(format!("{shown}: uses {banned}]"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
