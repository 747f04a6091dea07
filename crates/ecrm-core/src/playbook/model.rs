//! The typed playbook configuration: coupon pools to ensure and playbooks to run.

use serde::Serialize;

use crate::time::Millis;

/// Everything one configuration declares.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlaybookSet {
    pub pools: Vec<PoolDecl>,
    pub playbooks: Vec<Playbook>,
    /// The line of every field, by path (`playbook[1].on_enter[2].pool`), for messages.
    #[serde(skip)]
    pub lines: std::collections::BTreeMap<String, u32>,
}

impl PlaybookSet {
    /// The playbook called `name`.
    pub fn playbook(&self, name: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.name == name)
    }
}

/// A coupon pool the configuration needs; created (with its generated codes) when missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolDecl {
    pub name: String,
    pub title: String,
    pub value: PoolValue,
    /// Each issued code expires this many days after it is issued.
    pub valid_days: Option<u32>,
    /// The pool's validity window: codes are issued only inside it.
    pub valid_from: Option<Millis>,
    pub valid_until: Option<Millis>,
    /// At most this many codes of the pool per customer, ever.
    pub per_customer_limit: u32,
    /// How many codes to generate when the pool is created (0: codes are imported).
    pub generate: u32,
    /// Prefix of generated codes.
    pub prefix: String,
}

/// What a coupon is worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PoolValue {
    /// A fixed amount off.
    Amount { cents: i64, currency: String },
    /// A percentage off (1..=100).
    Percent { percent: u32 },
}

/// Differentiated operations for the members of one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Playbook {
    pub name: String,
    pub title: String,
    pub segment: String,
    pub enabled: bool,
    pub on_enter: Vec<Action>,
    pub on_exit: Vec<Action>,
    pub while_member: Vec<Action>,
    /// The period of `while_member`, in days.
    pub every_days: u32,
    /// When false (the default), leaving the segment undoes what entering granted: benefits are
    /// revoked, tags removed, ads suppression lifted.
    pub keep_on_exit: bool,
    /// The line the playbook starts on, when the input has lines.
    #[serde(skip)]
    pub line: Option<u32>,
}

/// One thing a playbook does to a customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    IssueCoupon {
        pool: String,
    },
    GrantBenefit {
        benefit: String,
    },
    RevokeBenefit {
        benefit: String,
    },
    SetAttribute {
        key: String,
        value: serde_json::Value,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    Webhook {
        url: String,
    },
    RaisePriority {
        level: u32,
    },
    SuppressAds {
        reason: String,
    },
    UnsuppressAds,
}

/// Every action name the configuration accepts.
pub const ACTION_NAMES: &[&str] = &[
    "issue_coupon",
    "grant_benefit",
    "revoke_benefit",
    "set_attribute",
    "add_tag",
    "remove_tag",
    "webhook",
    "raise_priority",
    "suppress_ads",
    "unsuppress_ads",
];

impl Action {
    /// The action's name as written in configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Action::IssueCoupon { .. } => "issue_coupon",
            Action::GrantBenefit { .. } => "grant_benefit",
            Action::RevokeBenefit { .. } => "revoke_benefit",
            Action::SetAttribute { .. } => "set_attribute",
            Action::AddTag { .. } => "add_tag",
            Action::RemoveTag { .. } => "remove_tag",
            Action::Webhook { .. } => "webhook",
            Action::RaisePriority { .. } => "raise_priority",
            Action::SuppressAds { .. } => "suppress_ads",
            Action::UnsuppressAds => "unsuppress_ads",
        }
    }

    /// A stable label naming the action by what it does (not its position), used in idempotency keys.
    pub fn label(&self) -> String {
        match self {
            Action::IssueCoupon { pool } => format!("issue_coupon:{pool}"),
            Action::GrantBenefit { benefit } => format!("grant_benefit:{benefit}"),
            Action::RevokeBenefit { benefit } => format!("revoke_benefit:{benefit}"),
            Action::SetAttribute { key, value } => format!("set_attribute:{key}={value}"),
            Action::AddTag { tag } => format!("add_tag:{tag}"),
            Action::RemoveTag { tag } => format!("remove_tag:{tag}"),
            Action::Webhook { url } => format!("webhook:{url}"),
            Action::RaisePriority { level } => format!("raise_priority:{level}"),
            Action::SuppressAds { .. } => "suppress_ads".to_string(),
            Action::UnsuppressAds => "unsuppress_ads".to_string(),
        }
    }

    /// What undoes this action when the customer leaves the segment, if anything.
    pub fn reversal(&self) -> Option<Action> {
        match self {
            Action::GrantBenefit { benefit } => Some(Action::RevokeBenefit {
                benefit: benefit.clone(),
            }),
            Action::AddTag { tag } => Some(Action::RemoveTag { tag: tag.clone() }),
            Action::SuppressAds { .. } => Some(Action::UnsuppressAds),
            _ => None,
        }
    }
}
