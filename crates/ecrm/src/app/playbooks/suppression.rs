//! The paid-ads suppression list as CSV for ad platforms: ids, contact identifiers and their
//! SHA-256 hashes (the form Google and Meta customer lists take).

use std::io::Write;

use ecrm_store::Store;
use sha2::{Digest, Sha256};

use crate::app::AppError;

const PAGE: usize = 5_000;

fn sha256(value: &Option<String>) -> String {
    match value {
        Some(text) => Sha256::digest(text.trim().to_lowercase().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        None => String::new(),
    }
}

/// Writes the whole list; returns the number of customers.
pub fn export_csv(store: &dyn Store, out: &mut dyn Write) -> Result<u64, AppError> {
    let io = |err: std::io::Error| AppError::invalid("output", err.to_string());
    let mut writer = csv::Writer::from_writer(out);
    let header = [
        "customer_id",
        "email",
        "phone",
        "email_sha256",
        "phone_sha256",
        "reason",
        "added_at",
        "source",
    ];
    writer.write_record(header).map_err(|e| io(e.into()))?;
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let page = store.ads_suppressions(after.as_deref(), PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.customer_id.clone());
        for row in &page {
            writer
                .write_record([
                    row.customer_id.as_str(),
                    row.email.as_deref().unwrap_or(""),
                    row.phone.as_deref().unwrap_or(""),
                    &sha256(&row.email),
                    &sha256(&row.phone),
                    &row.reason,
                    &ecrm_core::time::format_millis(row.added_at),
                    &row.source,
                ])
                .map_err(|e| io(e.into()))?;
            count += 1;
        }
    }
    writer.flush().map_err(io)?;
    Ok(count)
}
