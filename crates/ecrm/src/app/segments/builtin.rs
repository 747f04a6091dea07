//! The built-in segments (names fixed team-wide), with their queries and titles in English and
//! 简体中文; created idempotently and never deletable.

use ecrm_core::segment::{parse, standard_schema};
use ecrm_store::{NewSegment, Store, StoreError};

use crate::app::AppError;

/// One built-in segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    pub query: &'static str,
    pub title_en: &'static str,
    pub title_zh: &'static str,
}

const fn b(
    name: &'static str,
    query: &'static str,
    title_en: &'static str,
    title_zh: &'static str,
) -> Builtin {
    Builtin {
        name,
        query,
        title_en,
        title_zh,
    }
}

/// Every built-in segment.
pub const BUILTINS: &[Builtin] = &[
    b(
        "rfm-important-value",
        r#"rfm.class = "重要价值客户""#,
        "Important value customers",
        "重要价值客户",
    ),
    b(
        "rfm-important-to-develop",
        r#"rfm.class = "重要发展客户""#,
        "Important customers to develop",
        "重要发展客户",
    ),
    b(
        "rfm-important-to-retain",
        r#"rfm.class = "重要保持客户""#,
        "Important customers to retain",
        "重要保持客户",
    ),
    b(
        "rfm-important-to-win-back",
        r#"rfm.class = "重要挽留客户""#,
        "Important customers to win back",
        "重要挽留客户",
    ),
    b(
        "rfm-general-value",
        r#"rfm.class = "一般价值客户""#,
        "General value customers",
        "一般价值客户",
    ),
    b(
        "rfm-general-to-develop",
        r#"rfm.class = "一般发展客户""#,
        "General customers to develop",
        "一般发展客户",
    ),
    b(
        "rfm-general-to-retain",
        r#"rfm.class = "一般保持客户""#,
        "General customers to retain",
        "一般保持客户",
    ),
    b(
        "rfm-general-to-win-back",
        r#"rfm.class = "一般挽留客户""#,
        "General customers to win back",
        "一般挽留客户",
    ),
    b(
        "rf-champions",
        r#"rfm.segment = "champions""#,
        "Champions",
        "冠军客户",
    ),
    b(
        "rf-loyal-customers",
        r#"rfm.segment = "loyal customers""#,
        "Loyal customers",
        "忠诚客户",
    ),
    b(
        "rf-potential-loyalists",
        r#"rfm.segment = "potential loyalists""#,
        "Potential loyalists",
        "潜在忠诚客户",
    ),
    b(
        "rf-new-customers",
        r#"rfm.segment = "new customers""#,
        "New customers",
        "新客户",
    ),
    b(
        "rf-promising",
        r#"rfm.segment = "promising""#,
        "Promising",
        "有潜力客户",
    ),
    b(
        "rf-need-attention",
        r#"rfm.segment = "need attention""#,
        "Need attention",
        "需要关注客户",
    ),
    b(
        "rf-about-to-sleep",
        r#"rfm.segment = "about to sleep""#,
        "About to sleep",
        "即将沉睡客户",
    ),
    b(
        "rf-at-risk",
        r#"rfm.segment = "at risk""#,
        "At risk",
        "有流失风险客户",
    ),
    b(
        "rf-cant-lose-them",
        r#"rfm.segment = "can't lose them""#,
        "Can't lose them",
        "不能失去的客户",
    ),
    b(
        "rf-hibernating",
        r#"rfm.segment = "hibernating""#,
        "Hibernating",
        "沉睡客户",
    ),
    b(
        "lifecycle-prospect",
        r#"lifecycle = "prospect""#,
        "Prospects",
        "潜在客户",
    ),
    b("lifecycle-new", r#"lifecycle = "new""#, "New", "新客户"),
    b(
        "lifecycle-active",
        r#"lifecycle = "active""#,
        "Active",
        "活跃客户",
    ),
    b(
        "lifecycle-at-risk",
        r#"lifecycle = "at_risk""#,
        "At risk",
        "风险客户",
    ),
    b(
        "lifecycle-churned",
        r#"lifecycle = "churned""#,
        "Churned",
        "已流失客户",
    ),
    b(
        "lifecycle-reactivated",
        r#"lifecycle = "reactivated""#,
        "Reactivated",
        "回流客户",
    ),
    b(
        "high-value",
        r#"value_tier in ("platinum", "gold")"#,
        "High value",
        "高价值客户",
    ),
    b(
        "potential",
        r#"rfm.class in ("重要发展客户", "一般发展客户") or lifecycle = "new""#,
        "Potential",
        "潜力客户",
    ),
    b(
        "churn-risk",
        r#"risk_level = "high" or lifecycle = "at_risk""#,
        "Churn risk",
        "流失风险客户",
    ),
    b(
        "low-value",
        r#"value_tier = "bronze""#,
        "Low value",
        "低价值客户",
    ),
];

/// The built-in segment of this name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| builtin.name == name)
}

/// Creates the built-in segments that are missing (a name taken by another writer meanwhile is fine).
/// Returns how many were created.
pub fn ensure_builtins(store: &dyn Store, at: ecrm_core::time::Millis) -> Result<usize, AppError> {
    let existing = store.segments()?;
    let schema = standard_schema();
    let mut created = 0;
    for builtin in BUILTINS {
        if existing.iter().any(|segment| segment.name == builtin.name) {
            continue;
        }
        let expr = parse(builtin.query, &schema)
            .map_err(|err| AppError::invalid("builtin", format!("{}: {err}", builtin.name)))?;
        let definition = serde_json::to_string(&expr)
            .map_err(|err| AppError::invalid("builtin", err.to_string()))?;
        let segment = NewSegment {
            name: builtin.name.to_string(),
            definition,
            builtin: true,
            at,
        };
        match store.create_segment(&segment) {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(created)
}
