//! The web console's values: console users, their sessions, event counts for the funnel and
//! stored snapshots of expensive aggregates.

use ecrm_core::time::Millis;

/// A console user to create (the password already hashed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUserInput {
    /// Unique login name.
    pub username: String,
    /// `admin`, `marketer`, `analyst` or `agent`.
    pub role: String,
    /// The password's slow hash, in the caller's own format.
    pub password_hash: String,
    /// When the user was created.
    pub created_at: Millis,
}

/// A stored console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUserRecord {
    /// Row id.
    pub id: i64,
    /// Unique login name.
    pub username: String,
    /// The role name.
    pub role: String,
    /// The password's slow hash.
    pub password_hash: String,
    /// When the user was created.
    pub created_at: Millis,
}

/// A console session: the cookie's token is stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRecord {
    /// SHA-256 of the session token (hex).
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: i64,
    /// The session's CSRF token, checked on every form post.
    pub csrf_token: String,
    /// When the session started.
    pub created_at: Millis,
    /// When it stops being valid.
    pub expires_at: Millis,
}

/// A session found by its token hash, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The session row.
    pub session: ConsoleSessionRecord,
    /// Its user.
    pub user: ConsoleUserRecord,
}

/// How often a tracked event name occurs, and for how many customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNameCount {
    /// The event name (`Product Viewed`, ...).
    pub name: String,
    /// Events with this name.
    pub events: u64,
    /// Distinct known customers who sent one.
    pub customers: u64,
}

/// A stored snapshot of an aggregate (JSON text), replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    /// The snapshot's name (`dashboard`, ...).
    pub name: String,
    /// Its JSON payload.
    pub payload: String,
    /// When it was computed.
    pub computed_at: Millis,
}
