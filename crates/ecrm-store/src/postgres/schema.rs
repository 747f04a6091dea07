//! Schema names and migrations of the PostgreSQL store.

use postgres::Client;

use super::MIGRATION_LOCK;
use crate::error::{StoreError, StoreResult};
use crate::migrations::{CREATE_MIGRATIONS_TABLE, MIGRATIONS};

pub(super) fn validate_schema(schema: &str) -> StoreResult<()> {
    let valid_chars = schema
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
    if schema.is_empty() || schema.len() > 63 || !valid_chars {
        return Err(StoreError::Other(format!(
            "invalid schema name {schema:?}: expected [a-z0-9_]+, at most 63 bytes"
        )));
    }
    Ok(())
}

/// Applies pending migrations in one transaction, under the schema's migration lock.
pub(super) fn migrate(client: &mut Client, schema: Option<&str>) -> StoreResult<()> {
    let mut tx = client.transaction()?;
    tx.execute(MIGRATION_LOCK, &[&schema])?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))?;
    }
    tx.batch_execute(CREATE_MIGRATIONS_TABLE)?;
    for migration in MIGRATIONS {
        let applied = tx.query_opt(
            "SELECT version FROM schema_migrations WHERE version = $1",
            &[&migration.version],
        )?;
        if applied.is_some() {
            continue;
        }
        tx.batch_execute(migration.postgres)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) \
             VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)",
            &[&migration.version, &migration.name],
        )?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied postgres migration"
        );
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_schema;

    #[test]
    fn schema_names_are_validated() {
        assert!(validate_schema("t_0042_merges").is_ok());
        assert!(validate_schema("").is_err());
        assert!(validate_schema("Public").is_err());
        assert!(validate_schema("a\"; DROP TABLE x; --").is_err());
        assert!(validate_schema(&"a".repeat(64)).is_err());
    }
}
