//! API keys: random secrets shown once, stored only as SHA-256 hashes, each with one role.

use std::io::Read;

use ecrm_store::{ApiKeyRecord, AuditEntry, Store};
use sha2::{Digest, Sha256};

use super::{AppError, now_millis};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// Everything, including admin endpoints.
    Admin,
    /// Only sending events to the tracking API, for one source.
    Write,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Admin => "admin",
            KeyRole::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<KeyRole> {
        match text {
            "admin" => Some(KeyRole::Admin),
            "write" => Some(KeyRole::Write),
            _ => None,
        }
    }
}

/// A key just created: the secret is returned here and never again.
#[derive(Debug, serde::Serialize)]
pub struct CreatedKey {
    pub id: i64,
    pub role: KeyRole,
    pub source: Option<String>,
    pub key: String,
}

/// A verified key.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: i64,
    pub role: KeyRole,
    pub source: Option<String>,
}

/// Creates a key (write keys need a source) and audits it.
pub fn create_key(
    store: &dyn Store,
    role: KeyRole,
    source: Option<&str>,
    name: &str,
    actor: &str,
) -> Result<CreatedKey, AppError> {
    if role == KeyRole::Write && source.is_none_or(|s| s.trim().is_empty()) {
        return Err(AppError::invalid(
            "source",
            "write keys belong to a source: pass --source NAME",
        ));
    }
    let secret = random_hex(24)
        .map_err(|err| AppError::Conflict(format!("no randomness available: {err}")))?;
    let key = format!("ek_{}_{}", &role.as_str()[..1], secret);
    let record = ApiKeyRecord {
        id: 0,
        name: name.to_string(),
        role: role.as_str().to_string(),
        source: source.map(str::to_string),
        prefix: key[..12].to_string(),
        key_hash: hash_key(&key),
        created_at: now_millis(),
        revoked_at: None,
    };
    let id = store.create_api_key(&record)?;
    store.append_audit(&AuditEntry {
        at: record.created_at,
        actor: actor.to_string(),
        action: "keys.create".to_string(),
        target: format!("key:{id}"),
        detail: serde_json::json!({"role": role.as_str(), "source": source, "prefix": record.prefix}),
    })?;
    Ok(CreatedKey {
        id,
        role,
        source: record.source,
        key,
    })
}

/// Checks a presented key; `None` for unknown or revoked keys.
pub fn verify_key(store: &dyn Store, presented: &str) -> Result<Option<Principal>, AppError> {
    let Some(record) = store.find_api_key(&hash_key(presented.trim()))? else {
        return Ok(None);
    };
    if record.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(role) = KeyRole::parse(&record.role) else {
        return Ok(None);
    };
    Ok(Some(Principal {
        key_id: record.id,
        role,
        source: record.source,
    }))
}

/// The stored form of a key.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub(crate) fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
