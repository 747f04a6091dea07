//! Runs playbooks: consumes recorded segment changes after a durable cursor, makes the periodic
//! "while member" pass, and computes dry runs. Every action goes through the store's idempotent
//! ledger, so replaying a change (after a crash, or twice) does nothing new.

use ecrm_core::playbook::{
    Action, Change, ChangeKind, PlannedAction, Playbook, PlaybookSet, plan_change,
};
use ecrm_core::time::Millis;
use ecrm_store::{
    ActionOutcome, PlaybookActionInput, SegmentChangeQuery, SegmentChangeRecord, Store,
};
use serde::Serialize;

use crate::app::AppError;

/// The store key of the segment-change cursor.
pub const CURSOR: &str = "cursor";
/// Changes read per batch.
const BATCH: usize = 1_000;
/// Actions per transaction.
const ACTIONS_PER_WRITE: usize = 500;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub changes: u64,
    pub done: u64,
    pub skipped: u64,
    pub already_done: u64,
}

impl RunReport {
    fn count(&mut self, outcomes: &[ActionOutcome]) {
        for outcome in outcomes {
            match outcome {
                ActionOutcome::Done { .. } => self.done += 1,
                ActionOutcome::Skipped { .. } => self.skipped += 1,
                ActionOutcome::AlreadyDone => self.already_done += 1,
            }
        }
    }
}

/// The actions a change runs in one playbook. An entry is identified by its time (the membership's
/// `entered_at`), so that entering runs `on_enter` and the first `while_member` period once.
pub fn plan_row(playbook: &Playbook, row: &SegmentChangeRecord) -> Vec<PlannedAction> {
    if row.change == "enter" {
        let entry = row.at.to_string();
        let enter = Change {
            customer_id: row.customer_id.clone(),
            kind: ChangeKind::Enter,
            entry: entry.clone(),
        };
        let member = Change {
            customer_id: row.customer_id.clone(),
            kind: ChangeKind::Member { now: row.at },
            entry,
        };
        let mut planned = plan_change(playbook, &enter);
        planned.extend(plan_change(playbook, &member));
        planned
    } else {
        let exit = Change {
            customer_id: row.customer_id.clone(),
            kind: ChangeKind::Exit,
            entry: format!("x{}", row.id),
        };
        plan_change(playbook, &exit)
    }
}

/// Runs planned actions at `now` (webhook bodies carry the customer's profile).
pub fn apply(
    store: &dyn Store,
    planned: Vec<PlannedAction>,
    now: Millis,
) -> Result<Vec<ActionOutcome>, AppError> {
    let mut outcomes = Vec::with_capacity(planned.len());
    for chunk in planned.chunks(ACTIONS_PER_WRITE) {
        let mut inputs = Vec::with_capacity(chunk.len());
        for plan in chunk {
            let webhook_body = match &plan.action {
                Action::Webhook { .. } => Some(webhook_body(store, plan, now)?),
                _ => None,
            };
            inputs.push(PlaybookActionInput {
                key: plan.key.clone(),
                playbook: plan.playbook.clone(),
                trigger: plan.trigger.to_string(),
                customer_id: plan.customer_id.clone(),
                action: plan.action.clone(),
                webhook_body,
                at: now,
            });
        }
        outcomes.extend(store.apply_playbook_actions(&inputs)?);
    }
    Ok(outcomes)
}

/// The JSON a webhook receives: the playbook, the trigger and the customer's profile and traits.
fn webhook_body(store: &dyn Store, plan: &PlannedAction, now: Millis) -> Result<String, AppError> {
    let profile = match store.customer_360(&plan.customer_id, 0) {
        Ok(view) => serde_json::json!({
            "customer": view.customer,
            "identifiers": view.identifiers,
            "order_summary": view.order_summary,
            "traits": store.customer_traits(&plan.customer_id)?.into_iter()
                .map(|t| { let value = serde_json::from_str(&t.value).unwrap_or(serde_json::Value::String(t.value)); (t.name, value) }).collect::<serde_json::Map<_, _>>(),
        }),
        Err(ecrm_store::StoreError::NotFound(_)) => {
            serde_json::json!({ "customer": { "id": plan.customer_id } })
        }
        Err(err) => return Err(err.into()),
    };
    let body = serde_json::json!({
        "type": "ecrm.playbook.action",
        "playbook": plan.playbook,
        "trigger": plan.trigger,
        "idempotency_key": plan.key,
        "at": ecrm_core::time::format_millis(now),
        "profile": profile,
    });
    Ok(body.to_string())
}

/// Consumes the segment changes recorded after the stored cursor, running the playbooks of their
/// segments, and moves the cursor; stops after `max_changes` (0: no limit).
pub fn process_changes(
    store: &dyn Store,
    set: &PlaybookSet,
    now: Millis,
    max_changes: u64,
) -> Result<RunReport, AppError> {
    let mut report = RunReport::default();
    let mut cursor: i64 = store
        .playbook_state(CURSOR)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let names: std::collections::HashMap<i64, String> = store
        .segments()?
        .into_iter()
        .map(|segment| (segment.id, segment.name))
        .collect();
    loop {
        let query = SegmentChangeQuery {
            after: cursor,
            limit: BATCH,
            ..SegmentChangeQuery::default()
        };
        let rows = store.segment_changes(&query)?;
        let Some(last) = rows.last() else { break };
        let last_id = last.id;
        let mut planned = Vec::new();
        for row in &rows {
            let Some(segment) = names.get(&row.segment_id) else {
                continue;
            };
            for playbook in set.playbooks.iter().filter(|p| &p.segment == segment) {
                planned.extend(plan_row(playbook, row));
            }
        }
        report.count(&apply(store, planned, now)?);
        report.changes += rows.len() as u64;
        cursor = last_id;
        store.set_playbook_state(CURSOR, &cursor.to_string(), now)?;
        if max_changes > 0 && report.changes >= max_changes {
            break;
        }
    }
    Ok(report)
}

/// The periodic pass: runs every playbook's `while_member` actions for the current period of each
/// member (at most once per member and period).
pub fn member_pass(
    store: &dyn Store,
    set: &PlaybookSet,
    now: Millis,
) -> Result<RunReport, AppError> {
    let mut report = RunReport::default();
    for playbook in set
        .playbooks
        .iter()
        .filter(|p| p.enabled && !p.while_member.is_empty())
    {
        let Some(segment) = store.segment_by_name(&playbook.segment)? else {
            continue;
        };
        let mut after: Option<String> = None;
        loop {
            let members = store.segment_members(segment.id, after.as_deref(), BATCH)?;
            let Some(last) = members.last() else { break };
            after = Some(last.customer_id.clone());
            let mut planned = Vec::new();
            for member in &members {
                let change = Change {
                    customer_id: member.customer_id.clone(),
                    kind: ChangeKind::Member { now },
                    entry: member.entered_at.to_string(),
                };
                planned.extend(plan_change(playbook, &change));
            }
            report.count(&apply(store, planned, now)?);
        }
    }
    Ok(report)
}

/// One action's line in a dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DryRunAction {
    pub trigger: String,
    /// The action as written (`issue_coupon:potential-coupon`).
    pub action: String,
    /// Current members it would run for now.
    pub would_run: u64,
    /// Current members it already ran for (this membership, this period).
    pub already_done: u64,
    /// Some of the customers it would run for.
    pub sample: Vec<String>,
}

/// What a playbook would do to its segment's current members, without doing it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DryRun {
    pub playbook: String,
    pub segment: String,
    pub enabled: bool,
    pub members: u64,
    pub actions: Vec<DryRunAction>,
}

/// Computes the dry run of `playbook`: for each current member, the `on_enter` actions of its
/// membership and the `while_member` actions of its current period that have not run yet.
pub fn dry_run(
    store: &dyn Store,
    playbook: &Playbook,
    now: Millis,
    sample: usize,
) -> Result<DryRun, AppError> {
    let mut run = DryRun {
        playbook: playbook.name.clone(),
        segment: playbook.segment.clone(),
        enabled: playbook.enabled,
        ..DryRun::default()
    };
    let mut enabled = playbook.clone();
    enabled.enabled = true;
    let segment = store
        .segment_by_name(&playbook.segment)?
        .ok_or_else(|| AppError::NotFound(format!("segment {:?}", playbook.segment)))?;
    let mut after: Option<String> = None;
    loop {
        let members = store.segment_members(segment.id, after.as_deref(), BATCH)?;
        let Some(last) = members.last() else { break };
        after = Some(last.customer_id.clone());
        run.members += members.len() as u64;
        let mut planned = Vec::new();
        for member in &members {
            let entry = member.entered_at.to_string();
            let enter = Change {
                customer_id: member.customer_id.clone(),
                kind: ChangeKind::Enter,
                entry: entry.clone(),
            };
            let period = Change {
                customer_id: member.customer_id.clone(),
                kind: ChangeKind::Member { now },
                entry,
            };
            planned.extend(plan_change(&enabled, &enter));
            planned.extend(plan_change(&enabled, &period));
        }
        let keys: Vec<String> = planned.iter().map(|p| p.key.clone()).collect();
        let done = store.playbook_keys_done(&keys)?;
        for (plan, done) in planned.iter().zip(done) {
            let label = plan.action.label();
            let position = run
                .actions
                .iter()
                .position(|a| a.trigger == plan.trigger && a.action == label);
            let index = match position {
                Some(index) => index,
                None => {
                    run.actions.push(DryRunAction {
                        trigger: plan.trigger.to_string(),
                        action: label,
                        ..DryRunAction::default()
                    });
                    run.actions.len() - 1
                }
            };
            let line = &mut run.actions[index];
            if done {
                line.already_done += 1;
            } else {
                line.would_run += 1;
                if line.sample.len() < sample {
                    line.sample.push(plan.customer_id.clone());
                }
            }
        }
    }
    if run.actions.is_empty() {
        for (trigger, actions) in [
            ("on_enter", &playbook.on_enter),
            ("while_member", &playbook.while_member),
        ] {
            for action in actions {
                run.actions.push(DryRunAction {
                    trigger: trigger.to_string(),
                    action: action.label(),
                    ..DryRunAction::default()
                });
            }
        }
    }
    Ok(run)
}
