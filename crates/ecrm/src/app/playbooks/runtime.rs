//! The live playbook configuration inside `ecrm serve`: loaded from a file (reloaded when its
//! modification time changes or on SIGHUP) or from the store (set through the API). A configuration
//! that fails to load or validate is reported and the previous valid one stays in force.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use ecrm_core::playbook::PlaybookSet;
use ecrm_core::time::Millis;
use ecrm_store::{AuditEntry, Store};
use serde::Serialize;

use super::config::{DEFAULT_PLAYBOOKS, load_checked};
use super::pools::ensure_pools;
use crate::app::{AppError, now_millis};

/// The store key of a configuration set through the API.
pub const STORED_CONFIG: &str = "config";

/// Where the configuration in force came from, and the last load error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuntimeStatus {
    /// `file:PATH`, `api` or `default`.
    pub source: String,
    pub loaded_at: Option<Millis>,
    /// The last configuration that was refused (the previous one stayed in force).
    pub last_error: Option<String>,
    pub last_error_at: Option<Millis>,
}

/// The configuration in force, swapped atomically on reload.
pub struct PlaybookRuntime {
    current: RwLock<Arc<PlaybookSet>>,
    status: Mutex<RuntimeStatus>,
    file: Option<PathBuf>,
    file_mtime: Mutex<Option<SystemTime>>,
    reload_requested: AtomicBool,
}

impl PlaybookRuntime {
    /// Loads the file (when given), else the stored configuration, else the defaults. A failure
    /// leaves an empty configuration in force and is reported in the status.
    pub fn open(store: &dyn Store, file: Option<PathBuf>) -> Arc<PlaybookRuntime> {
        let runtime = Arc::new(PlaybookRuntime {
            current: RwLock::new(Arc::new(PlaybookSet::default())),
            status: Mutex::new(RuntimeStatus::default()),
            file,
            file_mtime: Mutex::new(None),
            reload_requested: AtomicBool::new(false),
        });
        let result = match &runtime.file {
            Some(_) => runtime.reload_file(store).map(|_| ()),
            None => match store.playbook_state(STORED_CONFIG) {
                Ok(Some(text)) => runtime.activate(store, &text, "api", "api").map(|_| ()),
                Ok(None) => runtime
                    .activate(store, DEFAULT_PLAYBOOKS, "default", "default playbooks")
                    .map(|_| ()),
                Err(err) => Err(err.into()),
            },
        };
        if let Err(err) = result {
            tracing::error!(error = %err, "playbook configuration refused; running with no playbooks");
        }
        runtime
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<PlaybookSet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Where it came from and the last refusal.
    pub fn status(&self) -> RuntimeStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The configuration file, when the configuration comes from one.
    pub fn file(&self) -> Option<&PathBuf> {
        self.file.as_ref()
    }

    /// Asks the worker to re-read the file (SIGHUP).
    pub fn request_reload(&self) {
        self.reload_requested.store(true, Ordering::SeqCst);
    }

    /// Validates `text` and, when valid, creates its missing pools and puts it in force; otherwise
    /// records the error and keeps the previous configuration.
    fn activate(
        &self,
        store: &dyn Store,
        text: &str,
        source: &str,
        origin: &str,
    ) -> Result<Arc<PlaybookSet>, AppError> {
        let now = now_millis();
        let loaded = load_checked(store, text, origin).and_then(|set| {
            ensure_pools(store, &set.pools, &format!("playbooks:{source}"), now).map(|_| set)
        });
        let mut status = self
            .status
            .lock()
            .map_err(|_| AppError::Conflict("playbook status lock poisoned".to_string()))?;
        match loaded {
            Ok(set) => {
                let set = Arc::new(set);
                if let Ok(mut current) = self.current.write() {
                    *current = set.clone();
                }
                status.source = source.to_string();
                status.loaded_at = Some(now);
                tracing::info!(
                    source,
                    playbooks = set.playbooks.len(),
                    "playbook configuration in force"
                );
                Ok(set)
            }
            Err(err) => {
                status.last_error = Some(err.to_string());
                status.last_error_at = Some(now);
                Err(err)
            }
        }
    }

    /// Re-reads the configuration file now.
    pub fn reload_file(&self, store: &dyn Store) -> Result<Arc<PlaybookSet>, AppError> {
        let Some(path) = &self.file else {
            return Ok(self.current());
        };
        let origin = path.display().to_string();
        if let Ok(mut mtime) = self.file_mtime.lock() {
            *mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        }
        let text = std::fs::read_to_string(path).map_err(|err| {
            let error = AppError::invalid("playbooks", format!("{origin}: cannot read: {err}"));
            if let Ok(mut status) = self.status.lock() {
                status.last_error = Some(error.to_string());
                status.last_error_at = Some(now_millis());
            }
            error
        })?;
        self.activate(store, &text, &format!("file:{origin}"), &origin)
    }

    /// Reloads the file when asked to or when its modification time changed; errors are logged.
    pub fn poll_file(&self, store: &dyn Store) {
        let Some(path) = &self.file else { return };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let changed = self
            .file_mtime
            .lock()
            .map(|seen| *seen != modified)
            .unwrap_or(false);
        if (changed || self.reload_requested.swap(false, Ordering::SeqCst))
            && let Err(err) = self.reload_file(store)
        {
            tracing::error!(error = %err, "playbook file refused; the previous configuration stays in force");
        }
    }

    /// Puts a configuration sent through the API in force and stores it (audited). Refused when
    /// the configuration comes from a file.
    pub fn put(
        &self,
        store: &dyn Store,
        text: &str,
        actor: &str,
    ) -> Result<Arc<PlaybookSet>, AppError> {
        if let Some(path) = &self.file {
            return Err(AppError::Conflict(format!(
                "the playbooks come from the file {}; edit it (it is reloaded) instead",
                path.display()
            )));
        }
        let set = self.activate(store, text, "api", "request body")?;
        let now = now_millis();
        store.set_playbook_state(STORED_CONFIG, text, now)?;
        store.append_audit(&AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: "playbooks.put".to_string(),
            target: "playbooks".to_string(),
            detail: serde_json::json!({ "playbooks": set.playbooks.iter().map(|p| &p.name).collect::<Vec<_>>() }),
        })?;
        Ok(set)
    }
}

/// How often the worker looks for work.
#[derive(Debug, Clone, Copy)]
pub struct WorkerTimes {
    /// Segment changes, the file and due webhooks are checked this often.
    pub poll: Duration,
    /// The "while member" pass runs this often.
    pub member_pass: Duration,
}

/// Starts the playbook worker thread: file reloads, segment changes, the periodic member pass and
/// webhook deliveries.
pub fn spawn_worker(
    store: Arc<dyn Store>,
    runtime: Arc<PlaybookRuntime>,
    times: WorkerTimes,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("playbooks".to_string())
        .spawn(move || {
            let client = super::webhooks::client();
            let mut last_pass: Option<std::time::Instant> = None;
            loop {
                runtime.poll_file(&*store);
                let set = runtime.current();
                let now = now_millis();
                match super::engine::process_changes(&*store, &set, now, 0) {
                    Ok(report) if report.changes > 0 => {
                        tracing::info!(?report, "playbooks ran on segment changes")
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "playbooks: segment changes failed"),
                }
                if last_pass.is_none_or(|at| at.elapsed() >= times.member_pass) {
                    last_pass = Some(std::time::Instant::now());
                    match super::engine::member_pass(&*store, &set, now) {
                        Ok(report) => tracing::debug!(?report, "playbooks: member pass"),
                        Err(err) => tracing::error!(error = %err, "playbooks: member pass failed"),
                    }
                }
                match &client {
                    Ok(client) => {
                        if let Err(err) =
                            super::webhooks::deliver_due(&*store, client, now_millis())
                        {
                            tracing::error!(error = %err, "playbooks: webhook delivery failed");
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "playbooks: no HTTP client for webhooks")
                    }
                }
                std::thread::sleep(times.poll);
            }
        })
}
