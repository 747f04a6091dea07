//! Tidy checks that run inside `cargo test`: the architecture document names every crate and
//! top-level module, the core's dependency list stays pure, files stay small, no placeholders ship.

use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(repo_root().join("crates"))
        .expect("crates dir")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn architecture_names_every_crate_and_top_level_module() {
    let architecture =
        fs::read_to_string(repo_root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for dir in crate_dirs() {
        let crate_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !architecture.contains(&format!("`crates/{crate_name}`")) {
            missing.push(format!("crate {crate_name}"));
        }
        for entry in fs::read_dir(dir.join("src")).expect("src").flatten() {
            let path = entry.path();
            let name = path
                .file_stem()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if ["lib", "main", "mod"].contains(&name.as_str()) || name.ends_with("_tests") {
                continue;
            }
            let is_module = path.is_dir() || path.extension().is_some_and(|ext| ext == "rs");
            if is_module && !architecture.contains(&format!("`{name}`")) {
                missing.push(format!("module {crate_name}::{name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {}",
        missing.join(", ")
    );
}

#[test]
fn core_has_no_io_dependencies() {
    let manifest =
        fs::read_to_string(repo_root().join("crates/ecrm-core/Cargo.toml")).expect("core manifest");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap_or("")
        .split("\n[")
        .next()
        .unwrap_or("");
    let allowed = ["serde", "serde_json", "thiserror", "chrono", "sha2"];
    for line in dependencies
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let name = line.split(['=', '.', ' ']).next().unwrap_or("").trim();
        assert!(
            allowed.contains(&name),
            "ecrm-core must stay pure: unexpected dependency {name:?}"
        );
    }
}

#[test]
fn source_files_stay_small_and_have_no_placeholders() {
    let mut files = Vec::new();
    for dir in crate_dirs() {
        rust_files(&dir.join("src"), &mut files);
        rust_files(&dir.join("tests"), &mut files);
    }
    let mut problems = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("read source");
        let lines = text.lines().count();
        if lines > 500 {
            problems.push(format!("{} has {lines} lines (limit 500)", path.display()));
        }
        for marker in ["todo!(", "unimplemented!(", "dbg!("] {
            if text.contains(marker) && !path.ends_with("tidy.rs") {
                problems.push(format!("{} contains {marker}", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
