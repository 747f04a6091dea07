//! Versioned schema migrations, one SQL file per version and backend, applied in order at open.

/// One schema version.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// Every migration, oldest first. Never edit a released one: add a new version.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "recommendations",
        sqlite: include_str!("../migrations/sqlite/0002_recommendations.sql"),
        postgres: include_str!("../migrations/postgres/0002_recommendations.sql"),
    },
    Migration {
        version: 3,
        name: "segments",
        sqlite: include_str!("../migrations/sqlite/0003_segments.sql"),
        postgres: include_str!("../migrations/postgres/0003_segments.sql"),
    },
    Migration {
        version: 4,
        name: "playbooks",
        sqlite: include_str!("../migrations/sqlite/0004_playbooks.sql"),
        postgres: include_str!("../migrations/postgres/0004_playbooks.sql"),
    },
    Migration {
        version: 5,
        name: "console",
        sqlite: include_str!("../migrations/sqlite/0005_console.sql"),
        postgres: include_str!("../migrations/postgres/0005_console.sql"),
    },
    Migration {
        version: 6,
        name: "ingest_identifier_journal",
        sqlite: include_str!("../migrations/sqlite/0006_ingest_identifier_journal.sql"),
        postgres: include_str!("../migrations/postgres/0006_ingest_identifier_journal.sql"),
    },
    Migration {
        version: 7,
        name: "trait_writes",
        sqlite: include_str!("../migrations/sqlite/0007_trait_writes.sql"),
        postgres: include_str!("../migrations/postgres/0007_trait_writes.sql"),
    },
    Migration {
        version: 8,
        name: "trait_periods",
        sqlite: include_str!("../migrations/sqlite/0008_trait_periods.sql"),
        postgres: include_str!("../migrations/postgres/0008_trait_periods.sql"),
    },
    Migration {
        version: 9,
        name: "event_dedup_key",
        sqlite: include_str!("../migrations/sqlite/0009_event_dedup_key.sql"),
        postgres: include_str!("../migrations/postgres/0009_event_dedup_key.sql"),
    },
    Migration {
        version: 10,
        name: "traits_by_name",
        sqlite: include_str!("../migrations/sqlite/0010_traits_by_name.sql"),
        postgres: include_str!("../migrations/postgres/0010_traits_by_name.sql"),
    },
    Migration {
        version: 11,
        name: "memberships_by_segment_only",
        sqlite: include_str!("../migrations/sqlite/0011_memberships_by_segment_only.sql"),
        postgres: include_str!("../migrations/postgres/0011_memberships_by_segment_only.sql"),
    },
];

/// The statement that creates the bookkeeping table (same text on both backends).
pub(crate) const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
     (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
