//! Which actions a membership change runs, each with the key that makes it run at most once.

use super::model::{Action, Playbook};
use crate::time::Millis;

/// One day in milliseconds.
const DAY: Millis = 86_400_000;

/// Why a playbook looks at a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// The customer entered the segment; `entry` identifies this membership (its entry time).
    Enter,
    /// The customer left the segment; `entry` identifies the exit (its change id).
    Exit,
    /// A periodic pass while the customer is a member; `entry` is the membership's entry time.
    Member { now: Millis },
}

/// A customer's membership change (or periodic pass) in a playbook's segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub customer_id: String,
    pub kind: ChangeKind,
    /// Identifies the membership entry the change answers (see [`ChangeKind`]).
    pub entry: String,
}

/// An action to run, with its idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAction {
    /// `playbook|trigger|action label|customer|entry`: the ledger stores it once.
    pub key: String,
    pub playbook: String,
    /// `on_enter`, `on_exit`, `while_member` or `exit_reversal`.
    pub trigger: &'static str,
    pub customer_id: String,
    pub action: Action,
}

/// The actions `playbook` runs for `change`. Exits also undo what entering granted unless the
/// playbook keeps it (`keep_on_exit`); a reversal already listed under `on_exit` is not doubled.
/// A disabled playbook plans nothing.
pub fn plan_change(playbook: &Playbook, change: &Change) -> Vec<PlannedAction> {
    if !playbook.enabled {
        return Vec::new();
    }
    let mut planned = Vec::new();
    let mut push = |trigger: &'static str, action: &Action, entry: &str| {
        planned.push(PlannedAction {
            key: action_key(&playbook.name, trigger, action, &change.customer_id, entry),
            playbook: playbook.name.clone(),
            trigger,
            customer_id: change.customer_id.clone(),
            action: action.clone(),
        });
    };
    match &change.kind {
        ChangeKind::Enter => {
            for action in &playbook.on_enter {
                push("on_enter", action, &change.entry);
            }
        }
        ChangeKind::Exit => {
            for action in &playbook.on_exit {
                push("on_exit", action, &change.entry);
            }
            if !playbook.keep_on_exit {
                let listed: Vec<String> = playbook.on_exit.iter().map(Action::label).collect();
                let mut reversals: Vec<Action> = Vec::new();
                for action in playbook.on_enter.iter().chain(&playbook.while_member) {
                    if let Some(reversal) = action.reversal()
                        && !listed.contains(&reversal.label())
                        && !reversals.contains(&reversal)
                    {
                        reversals.push(reversal);
                    }
                }
                for reversal in &reversals {
                    push("exit_reversal", reversal, &change.entry);
                }
            }
        }
        ChangeKind::Member { now } => {
            let Ok(entered_at) = change.entry.parse::<Millis>() else {
                return planned;
            };
            let period = period_index(entered_at, *now, playbook.every_days);
            let entry = format!("{entered_at}/p{period}");
            for action in &playbook.while_member {
                push("while_member", action, &entry);
            }
        }
    }
    planned
}

/// The period a member is in: 0 during the first `every_days` after entering, and so on.
pub fn period_index(entered_at: Millis, now: Millis, every_days: u32) -> i64 {
    let length = DAY * i64::from(every_days.max(1));
    (now - entered_at).max(0) / length
}

/// The idempotency key of one action for one customer's membership entry.
pub fn action_key(
    playbook: &str,
    trigger: &str,
    action: &Action,
    customer: &str,
    entry: &str,
) -> String {
    format!("{playbook}|{trigger}|{}|{customer}|{entry}", action.label())
}
