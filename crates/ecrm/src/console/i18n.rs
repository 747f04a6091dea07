//! English and Simplified Chinese labels: every label the console shows goes through `tr`.

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// The `lang` cookie's value and the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language a cookie value names (English otherwise).
    pub fn parse(text: &str) -> Lang {
        if text.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// (key, English, 简体中文)
const LABELS: &[(&str, &str, &str)] = &[
    ("app", "ecrm console", "ecrm 控制台"),
    ("dashboard", "Dashboard", "仪表盘"),
    ("customers", "Customers", "客户"),
    ("segments", "Segments", "分群"),
    ("sign_in", "Sign in", "登录"),
    ("sign_out", "Sign out", "退出"),
    ("username", "Username", "用户名"),
    ("password", "Password", "密码"),
    (
        "bad_login",
        "Wrong username or password.",
        "用户名或密码错误。",
    ),
    (
        "too_many",
        "Too many failed attempts; wait a few minutes.",
        "失败次数过多，请稍候几分钟再试。",
    ),
    (
        "session_expired",
        "Your session ended; sign in again to continue.",
        "会话已过期，请重新登录后继续。",
    ),
    ("required", "Required.", "必填。"),
    ("all_customers", "Customers", "客户总数"),
    ("buyers", "Buyers", "下单客户"),
    ("active", "Active", "活跃客户"),
    ("new", "New", "新客户"),
    ("repeat_rate", "Repeat purchase rate", "复购率"),
    ("churn_rate", "Churn rate", "流失率"),
    ("revenue", "Revenue", "收入"),
    ("aov", "Average order value", "客单价"),
    (
        "clv_total",
        "Predicted CLV (12 months)",
        "预测客户终身价值（12 个月）",
    ),
    ("clv_dist", "Predicted CLV distribution", "预测 CLV 分布"),
    ("rfm_classes", "RFM value classes", "RFM 价值分类"),
    ("rf_map", "R×F map", "R×F 热力图"),
    ("cohorts", "Monthly cohort retention", "月度同期群留存"),
    ("funnel", "Funnel", "转化漏斗"),
    ("customers_col", "Customers", "客户数"),
    ("revenue_share", "Revenue share", "收入占比"),
    ("download_csv", "CSV", "CSV"),
    ("as_of", "Figures as of", "数据截至"),
    ("computed", "computed", "计算于"),
    (
        "preparing",
        "The dashboard figures are being computed; this page reloads by itself.",
        "正在计算仪表盘数据，本页面会自动刷新。",
    ),
    ("recency", "Recency score (R)", "最近购买得分 (R)"),
    ("frequency", "Frequency score (F)", "购买频次得分 (F)"),
    ("cohort", "Cohort", "同期群"),
    ("month", "Month", "月"),
    ("search", "Search", "搜索"),
    (
        "search_hint",
        "Email, phone, user id, anonymous id or name",
        "邮箱、手机号、用户 ID、匿名 ID 或姓名",
    ),
    ("name", "Name", "姓名"),
    ("email", "Email", "邮箱"),
    ("phone", "Phone", "手机号"),
    ("country", "Country", "国家"),
    ("created", "Created", "创建时间"),
    ("next_page", "Next page", "下一页"),
    ("no_results", "No customer matches.", "没有匹配的客户。"),
    ("identifiers", "Identifiers", "标识"),
    ("orders", "Orders", "订单"),
    ("traits", "Traits", "特征"),
    ("explain", "Why?", "原因"),
    ("timeline", "Timeline", "时间线"),
    ("recommendations", "Recommendations", "推荐"),
    ("reason", "Reason", "推荐理由"),
    ("segment_history", "Segment history", "分群进出记录"),
    ("total", "Total", "合计"),
    ("date", "Date", "日期"),
    ("event", "Event", "事件"),
    ("channel", "Channel", "渠道"),
    ("source", "Source", "来源"),
    ("amount", "Amount", "金额"),
    ("product", "Product", "商品"),
    ("no_data", "No data yet.", "暂无数据。"),
    ("not_found", "Page not found", "页面不存在"),
    (
        "not_found_text",
        "There is nothing at this address.",
        "此地址没有内容。",
    ),
    ("back_home", "Back to the dashboard", "返回仪表盘"),
    (
        "forbidden",
        "Your role may not do this.",
        "您的角色无权执行此操作。",
    ),
    (
        "masked_note",
        "Emails and phone numbers are masked for your role.",
        "您的角色只能看到脱敏的邮箱和手机号。",
    ),
    ("language", "中文", "English"),
    ("signed_in_as", "Signed in as", "当前用户"),
    ("lifecycle", "Lifecycle", "生命周期"),
    ("net_revenue", "Net revenue", "净收入"),
    ("stage", "Stage", "阶段"),
    ("events", "Events", "事件数"),
    ("step", "Step", "步骤"),
    ("conversion", "Conversion", "转化率"),
    ("clv_bucket", "Predicted CLV", "预测 CLV"),
    ("of_buyers", "of buyers", "占下单客户"),
    (
        "in_lifecycle",
        "new, active or reactivated",
        "新客、活跃或回流",
    ),
    (
        "first_order_30",
        "in the lifecycle stage new",
        "处于新客阶段",
    ),
    ("per_order", "per order", "每单"),
    (
        "customers_predicted",
        "customers with a prediction",
        "位客户有预测",
    ),
    ("orders_count", "orders", "笔订单"),
    ("none", "none", "无"),
    ("new_segment", "New segment", "新建分群"),
    ("segment", "Segment", "分群"),
    ("query", "Query", "查询条件"),
    ("members", "Members", "成员"),
    ("trend_7d", "7-day change", "7 天变化"),
    (
        "recs_loading",
        "The recommendation model is still loading (a few seconds after a start); reload to see recommendations.",
        "推荐模型仍在加载（启动后几秒）；请刷新页面查看推荐。",
    ),
    (
        "sizes_as_of",
        "Members and 7-day changes as of",
        "成员数与 7 天变化统计于",
    ),
    (
        "sizes_refreshed",
        "UTC (refreshed in the background)",
        "UTC（后台定期刷新）",
    ),
    (
        "sizes_counted_now",
        "Members and 7-day changes counted just now.",
        "成员数与 7 天变化为刚刚统计。",
    ),
    ("export_csv", "Export CSV", "导出 CSV"),
    ("edit_in_builder", "Open in the builder", "在构建器中打开"),
    (
        "migration",
        "Migration over time (weekly entries and exits)",
        "随时间的迁移（每周进入与退出）",
    ),
    ("entered", "entered", "进入"),
    ("exited", "exited", "退出"),
    ("entered_at", "Entered", "进入时间"),
    ("segment_builder", "Segment builder", "分群构建器"),
    ("conditions", "Conditions", "条件"),
    ("combine", "Combine conditions", "条件组合"),
    ("match_all", "all of them (and)", "全部满足（and）"),
    ("match_any", "any of them (or)", "任一满足（or）"),
    ("condition", "condition", "条件"),
    ("field", "Field", "字段"),
    ("value", "Value", "值"),
    ("json_form", "JSON form", "JSON 形式"),
    ("segment_language", "Segment language", "分群语言"),
    ("customers_match", "customers match", "位客户符合"),
    ("segment_name", "Segment name", "分群名称"),
    ("save_segment", "Save segment", "保存分群"),
    ("not_found_lower", "not found", "不存在"),
    (
        "no_trend_yet",
        "Not computed yet: the weekly figures are refreshed in the background every 30 minutes and after each compute run.",
        "尚未计算：每周数据每 30 分钟及每次计算后在后台刷新。",
    ),
    ("order_summary", "Order summary", "订单概览"),
    ("current_segments", "Segments", "所属分群"),
    ("change", "Change", "变化"),
    ("cause", "Cause", "原因"),
];

/// The label `key` in `lang` (the key itself when it is missing, so a gap shows rather than hides).
pub fn tr(lang: Lang, key: &str) -> &str {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, en, zh)| match lang {
            Lang::En => en,
            Lang::Zh => zh,
        })
}

/// The Chinese and English names of the RFM classes, and of lifecycle stages and funnel steps.
pub fn domain_label<'a>(lang: Lang, english: &'a str, chinese: Option<&'a str>) -> &'a str {
    match (lang, chinese) {
        (Lang::Zh, Some(zh)) => zh,
        _ => english,
    }
}

/// Funnel steps and lifecycle stages in Chinese.
pub fn zh_term(term: &str) -> Option<&'static str> {
    Some(match term {
        "Product Viewed" => "浏览商品",
        "Product Added" => "加入购物车",
        "Checkout Started" => "开始结账",
        "Order Completed" => "完成订单",
        "prospect" => "潜在客户",
        "new" => "新客户",
        "active" => "活跃",
        "at_risk" => "有流失风险",
        "churned" => "已流失",
        "reactivated" => "已回流",
        "order" => "订单",
        "refund" => "退款",
        "event" => "事件",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_once() {
        for (i, (key, en, zh)) in LABELS.iter().enumerate() {
            assert!(!en.is_empty() && !zh.is_empty(), "{key}");
            assert!(
                LABELS[i + 1..].iter().all(|(other, _, _)| other != key),
                "{key} twice"
            );
        }
        assert_eq!(tr(Lang::Zh, "dashboard"), "仪表盘");
        assert_eq!(tr(Lang::En, "no-such-label"), "no-such-label");
    }
}
