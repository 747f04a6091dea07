//! Test-only access to the CDNOW files (Fader & Hardie), with a clear skip when they are absent.

use std::path::PathBuf;

/// Directory of the CDNOW files: `ECRM_CDNOW_DIR`, else `../shared/data/cdnow` beside the repository.
pub fn cdnow_file(name: &str) -> Option<PathBuf> {
    let directory = std::env::var("ECRM_CDNOW_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/cdnow").to_string()
    });
    let path = PathBuf::from(directory).join(name);
    if path.is_file() {
        return Some(path);
    }
    eprintln!(
        "skipping: {} not found (set ECRM_CDNOW_DIR to the CDNOW data directory)",
        path.display()
    );
    None
}

/// The rows of a comma-separated file after its header, split on commas, CR/LF tolerant.
pub fn csv_rows(name: &str) -> Option<Vec<Vec<String>>> {
    let path = cdnow_file(name)?;
    let text = std::fs::read_to_string(path).expect("readable CDNOW file");
    let rows = text
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect();
    Some(rows)
}

/// `reference_figures.json`.
pub fn reference_figures() -> Option<serde_json::Value> {
    let path = cdnow_file("reference_figures.json")?;
    let text = std::fs::read_to_string(path).expect("readable reference figures");
    Some(serde_json::from_str(&text).expect("valid JSON"))
}

/// `|got - want| <= tolerance * |want|`, with a readable failure.
pub fn assert_relative(label: &str, got: f64, want: f64, tolerance: f64) {
    let error = ((got - want) / want).abs();
    assert!(
        error <= tolerance,
        "{label}: got {got}, want {want}, relative error {error:e}"
    );
}
