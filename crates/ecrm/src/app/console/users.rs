//! Console users and sessions: `ecrm users create`, sign-in with a slow password hash, random
//! session tokens stored only as SHA-256 hashes, a CSRF token per session, and an audit entry for
//! every user created and every sign-in.

use ecrm_core::time::Millis;
use ecrm_store::{
    AuditEntry, ConsoleSession, ConsoleSessionRecord, ConsoleUserInput, Store, StoreError,
};

use super::password::{ITERATIONS, hash_password, verify_password};
use crate::app::AppError;
use crate::app::keys::{hash_key, random_hex};

/// How long a console session lasts.
pub const SESSION_MILLIS: Millis = 12 * 3_600_000;

/// What a console user may do; enforced on the server for every page and download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleRole {
    /// Everything, including managing segments.
    Admin,
    /// Builds segments and exports audiences.
    Marketer,
    /// Reads dashboards and exports figures.
    Analyst,
    /// Customer service: looks customers up; sees masked emails and phones and exports nothing.
    Agent,
}

impl ConsoleRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleRole::Admin => "admin",
            ConsoleRole::Marketer => "marketer",
            ConsoleRole::Analyst => "analyst",
            ConsoleRole::Agent => "agent",
        }
    }

    /// The role a stored name stands for.
    pub fn parse(text: &str) -> Option<ConsoleRole> {
        match text {
            "admin" => Some(ConsoleRole::Admin),
            "marketer" => Some(ConsoleRole::Marketer),
            "analyst" => Some(ConsoleRole::Analyst),
            "agent" => Some(ConsoleRole::Agent),
            _ => None,
        }
    }

    /// Whether the role may download CSV files and segment members.
    pub fn can_export(self) -> bool {
        self != ConsoleRole::Agent
    }

    /// Whether emails and phone numbers are shown masked.
    pub fn masks_pii(self) -> bool {
        self == ConsoleRole::Agent
    }

    /// Whether the role may save segments.
    pub fn can_edit_segments(self) -> bool {
        matches!(self, ConsoleRole::Admin | ConsoleRole::Marketer)
    }
}

/// A signed-in console user, as the pages see it.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: ConsoleRole,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The session token's hash (to end it).
    pub token_hash: String,
}

/// Creates a console user with a hashed password, audited as done by `actor`.
pub fn create_user(
    store: &dyn Store,
    username: &str,
    role: ConsoleRole,
    password: &str,
    actor: &str,
    now: Millis,
) -> Result<i64, AppError> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if username.is_empty() || username.len() > 64 || !username.chars().all(valid) {
        return Err(AppError::invalid(
            "username",
            "use 1 to 64 letters, digits, '.', '_', '-' or '@'",
        ));
    }
    let user = ConsoleUserInput {
        username: username.to_string(),
        role: role.as_str().to_string(),
        password_hash: new_password_hash(password)?,
        created_at: now,
    };
    let id = store.create_console_user(&user).map_err(|err| match err {
        StoreError::Conflict(message) => AppError::Conflict(message),
        other => AppError::Store(other),
    })?;
    store.append_audit(&AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: "console_users.create".to_string(),
        target: format!("console_user:{username}"),
        detail: serde_json::json!({"role": role.as_str()}),
    })?;
    Ok(id)
}

/// The stored hash of a new password (at least 10 characters), with a fresh salt.
fn new_password_hash(password: &str) -> Result<String, AppError> {
    if password.chars().count() < 10 {
        return Err(AppError::invalid("password", "use at least 10 characters"));
    }
    let salt = random_hex(16)
        .map_err(|err| AppError::Conflict(format!("no randomness available: {err}")))?;
    Ok(hash_password(password, salt.as_bytes(), ITERATIONS))
}

/// Deletes a console user and ends their sessions, audited as done by `actor`.
pub fn delete_user(
    store: &dyn Store,
    username: &str,
    actor: &str,
    now: Millis,
) -> Result<(), AppError> {
    if !store.delete_console_user(username)? {
        return Err(AppError::NotFound(format!("console user {username}")));
    }
    audit_sessions_revoked(store, "console_users.delete", username, actor, now)
}

/// Replaces a console user's password and ends their sessions, audited as done by `actor`.
pub fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
    actor: &str,
    now: Millis,
) -> Result<(), AppError> {
    let hash = new_password_hash(password)?;
    if !store.set_console_user_password(username, &hash)? {
        return Err(AppError::NotFound(format!("console user {username}")));
    }
    audit_sessions_revoked(store, "console_users.password", username, actor, now)
}

/// The audit row of a user change that ended the user's sessions.
fn audit_sessions_revoked(
    store: &dyn Store,
    action: &str,
    username: &str,
    actor: &str,
    now: Millis,
) -> Result<(), AppError> {
    store.append_audit(&AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: action.to_string(),
        target: format!("console_user:{username}"),
        detail: serde_json::json!({"sessions": "revoked"}),
    })?;
    Ok(())
}

/// A random password for `ecrm demo`'s admin user.
pub fn random_password() -> Result<String, AppError> {
    random_hex(12).map_err(|err| AppError::Conflict(format!("no randomness available: {err}")))
}

/// A new session's secrets: the cookie's token (given to the browser only) and the signed-in user.
pub struct SignedIn {
    /// The session token for the cookie.
    pub token: String,
    /// The user and the session's CSRF token.
    pub user: ConsoleUser,
}

/// Checks a username and password and starts a session; `None` when they do not match. The
/// password is hashed even for an unknown username, so the time taken does not tell which.
pub fn sign_in(
    store: &dyn Store,
    username: &str,
    password: &str,
    now: Millis,
) -> Result<Option<SignedIn>, AppError> {
    let found = store.find_console_user(username)?;
    let stored = found.as_ref().map_or_else(
        || format!("pbkdf2-sha256${ITERATIONS}$00$00"),
        |user| user.password_hash.clone(),
    );
    let matches = verify_password(password, &stored);
    let (Some(user), true) = (found, matches) else {
        store.append_audit(&AuditEntry {
            at: now,
            actor: format!("console:{username}"),
            action: "console.sign_in_failed".to_string(),
            target: format!("console_user:{username}"),
            detail: serde_json::json!({}),
        })?;
        return Ok(None);
    };
    let Some(role) = ConsoleRole::parse(&user.role) else {
        return Ok(None);
    };
    let randomness = |err: std::io::Error| AppError::Conflict(format!("no randomness: {err}"));
    let token = random_hex(32).map_err(randomness)?;
    let csrf_token = random_hex(32).map_err(randomness)?;
    let token_hash = hash_key(&token);
    store.create_console_session(&ConsoleSessionRecord {
        token_hash: token_hash.clone(),
        user_id: user.id,
        csrf_token: csrf_token.clone(),
        created_at: now,
        expires_at: now + SESSION_MILLIS,
    })?;
    store.append_audit(&AuditEntry {
        at: now,
        actor: format!("console:{}", user.username),
        action: "console.sign_in".to_string(),
        target: format!("console_user:{}", user.username),
        detail: serde_json::json!({"role": role.as_str()}),
    })?;
    Ok(Some(SignedIn {
        token,
        user: ConsoleUser {
            id: user.id,
            username: user.username,
            role,
            csrf_token,
            token_hash,
        },
    }))
}

/// The user of a live session token.
pub fn session_user(
    store: &dyn Store,
    token: &str,
    now: Millis,
) -> Result<Option<ConsoleUser>, AppError> {
    let found = store.find_console_session(&hash_key(token), now)?;
    Ok(found.and_then(|ConsoleSession { session, user }| {
        Some(ConsoleUser {
            id: user.id,
            role: ConsoleRole::parse(&user.role)?,
            username: user.username,
            csrf_token: session.csrf_token,
            token_hash: session.token_hash,
        })
    }))
}

/// Ends a session.
pub fn sign_out(store: &dyn Store, user: &ConsoleUser, now: Millis) -> Result<(), AppError> {
    store.delete_console_session(&user.token_hash)?;
    store.append_audit(&AuditEntry {
        at: now,
        actor: format!("console:{}", user.username),
        action: "console.sign_out".to_string(),
        target: format!("console_user:{}", user.username),
        detail: serde_json::json!({}),
    })?;
    Ok(())
}
