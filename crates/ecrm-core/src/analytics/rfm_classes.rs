//! The two standard RFM classifications and a summary: the 8 value classes used across Chinese
//! e-commerce, and the R×F segment map.

use crate::analytics::rfm::RfmRow;

/// The 8 value classes; R, F and M are each "high" when the score is strictly above the mean
/// score of all customers (high R = recent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueClass {
    /// High R, F, M: 重要价值客户.
    ImportantValue,
    /// High R, low F, high M: 重要发展客户.
    ImportantToDevelop,
    /// Low R, high F, high M: 重要保持客户.
    ImportantToRetain,
    /// Low R, low F, high M: 重要挽留客户.
    ImportantToWinBack,
    /// High R, F, low M: 一般价值客户.
    GeneralValue,
    /// High R, low F, low M: 一般发展客户.
    GeneralToDevelop,
    /// Low R, high F, low M: 一般保持客户.
    GeneralToRetain,
    /// Low R, F, M: 一般挽留客户.
    GeneralToWinBack,
}

/// The R×F segment map. It is total over R, F in 1..=5:
/// R5 F1 new, R5 F2-3 potential loyalists, R5 F4-5 champions; R4 F1 promising, R4 F2-3 potential
/// loyalists, R4 F4-5 loyal; R3 F1-2 about to sleep, R3 F3 need attention, R3 F4-5 loyal;
/// R1-2 F1-2 hibernating, R1-2 F3-4 at risk, R1-2 F5 can't lose them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RfSegment {
    /// R 5, F 4-5.
    Champions,
    /// R 3-4, F 4-5.
    LoyalCustomers,
    /// R 4-5, F 2-3.
    PotentialLoyalists,
    /// R 5, F 1.
    NewCustomers,
    /// R 4, F 1.
    Promising,
    /// R 3, F 3.
    NeedAttention,
    /// R 3, F 1-2.
    AboutToSleep,
    /// R 1-2, F 3-4.
    AtRisk,
    /// R 1-2, F 5.
    CantLoseThem,
    /// R 1-2, F 1-2.
    Hibernating,
}

/// Count and revenue of one class or segment.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupShare<G> {
    /// The class or segment.
    pub group: G,
    /// Customers in it.
    pub customers: u64,
    /// Their summed monetary value in cents.
    pub monetary_cents: i64,
    /// `monetary_cents` over all customers' (0 when the total is 0).
    pub revenue_share: f64,
}

/// Customers and revenue per value class and per R×F segment (every class and segment listed,
/// in declaration order, empty ones included).
#[derive(Debug, Clone, PartialEq)]
pub struct RfmSummary {
    /// Customers summarised.
    pub customers: u64,
    /// Their summed monetary value in cents.
    pub monetary_cents: i64,
    /// Per value class.
    pub classes: Vec<GroupShare<ValueClass>>,
    /// Per R×F segment.
    pub segments: Vec<GroupShare<RfSegment>>,
}

impl ValueClass {
    /// All classes, in declaration order.
    pub const ALL: [ValueClass; 8] = [
        ValueClass::ImportantValue,
        ValueClass::ImportantToDevelop,
        ValueClass::ImportantToRetain,
        ValueClass::ImportantToWinBack,
        ValueClass::GeneralValue,
        ValueClass::GeneralToDevelop,
        ValueClass::GeneralToRetain,
        ValueClass::GeneralToWinBack,
    ];

    /// The Chinese name used in segments (`rfm.class = "重要挽留客户"`).
    pub fn chinese_name(self) -> &'static str {
        match self {
            ValueClass::ImportantValue => "重要价值客户",
            ValueClass::ImportantToDevelop => "重要发展客户",
            ValueClass::ImportantToRetain => "重要保持客户",
            ValueClass::ImportantToWinBack => "重要挽留客户",
            ValueClass::GeneralValue => "一般价值客户",
            ValueClass::GeneralToDevelop => "一般发展客户",
            ValueClass::GeneralToRetain => "一般保持客户",
            ValueClass::GeneralToWinBack => "一般挽留客户",
        }
    }

    /// The English name.
    pub fn english_name(self) -> &'static str {
        match self {
            ValueClass::ImportantValue => "important value",
            ValueClass::ImportantToDevelop => "important to develop",
            ValueClass::ImportantToRetain => "important to retain",
            ValueClass::ImportantToWinBack => "important to win back",
            ValueClass::GeneralValue => "general value",
            ValueClass::GeneralToDevelop => "general to develop",
            ValueClass::GeneralToRetain => "general to retain",
            ValueClass::GeneralToWinBack => "general to win back",
        }
    }
}

impl RfSegment {
    /// All segments, in declaration order.
    pub const ALL: [RfSegment; 10] = [
        RfSegment::Champions,
        RfSegment::LoyalCustomers,
        RfSegment::PotentialLoyalists,
        RfSegment::NewCustomers,
        RfSegment::Promising,
        RfSegment::NeedAttention,
        RfSegment::AboutToSleep,
        RfSegment::AtRisk,
        RfSegment::CantLoseThem,
        RfSegment::Hibernating,
    ];

    /// The English name.
    pub fn name(self) -> &'static str {
        match self {
            RfSegment::Champions => "champions",
            RfSegment::LoyalCustomers => "loyal customers",
            RfSegment::PotentialLoyalists => "potential loyalists",
            RfSegment::NewCustomers => "new customers",
            RfSegment::Promising => "promising",
            RfSegment::NeedAttention => "need attention",
            RfSegment::AboutToSleep => "about to sleep",
            RfSegment::AtRisk => "at risk",
            RfSegment::CantLoseThem => "can't lose them",
            RfSegment::Hibernating => "hibernating",
        }
    }
}

/// The class of a customer whose R, F, M are high or low.
pub fn value_class(r_high: bool, f_high: bool, m_high: bool) -> ValueClass {
    match (r_high, f_high, m_high) {
        (true, true, true) => ValueClass::ImportantValue,
        (true, false, true) => ValueClass::ImportantToDevelop,
        (false, true, true) => ValueClass::ImportantToRetain,
        (false, false, true) => ValueClass::ImportantToWinBack,
        (true, true, false) => ValueClass::GeneralValue,
        (true, false, false) => ValueClass::GeneralToDevelop,
        (false, true, false) => ValueClass::GeneralToRetain,
        (false, false, false) => ValueClass::GeneralToWinBack,
    }
}

/// The value class of every row (same order), "high" meaning above the mean score of all rows.
pub fn value_classes(rows: &[RfmRow]) -> Vec<ValueClass> {
    let count = rows.len() as u64;
    let (mut sum_r, mut sum_f, mut sum_m) = (0u64, 0u64, 0u64);
    for row in rows {
        sum_r += u64::from(row.r_score);
        sum_f += u64::from(row.f_score);
        sum_m += u64::from(row.m_score);
    }
    // score > sum / count, compared exactly in integers.
    let above = |score: u8, sum: u64| u64::from(score) * count > sum;
    rows.iter()
        .map(|row| {
            value_class(
                above(row.r_score, sum_r),
                above(row.f_score, sum_f),
                above(row.m_score, sum_m),
            )
        })
        .collect()
}

/// The R×F segment of scores `r`, `f` (values outside 1..=5 are clamped into it).
pub fn rf_segment(r: u8, f: u8) -> RfSegment {
    let f = f.clamp(1, 5);
    match r.clamp(1, 5) {
        5 => match f {
            1 => RfSegment::NewCustomers,
            2..=3 => RfSegment::PotentialLoyalists,
            _ => RfSegment::Champions,
        },
        4 => match f {
            1 => RfSegment::Promising,
            2..=3 => RfSegment::PotentialLoyalists,
            _ => RfSegment::LoyalCustomers,
        },
        3 => match f {
            1..=2 => RfSegment::AboutToSleep,
            3 => RfSegment::NeedAttention,
            _ => RfSegment::LoyalCustomers,
        },
        _ => match f {
            1..=2 => RfSegment::Hibernating,
            3..=4 => RfSegment::AtRisk,
            _ => RfSegment::CantLoseThem,
        },
    }
}

/// Customers and revenue share per value class and per R×F segment.
pub fn summarize_rfm(rows: &[RfmRow]) -> RfmSummary {
    let total: i64 = rows.iter().map(|row| row.monetary_cents).sum();
    let mut classes: Vec<GroupShare<ValueClass>> = ValueClass::ALL
        .iter()
        .map(|class| empty_share(*class))
        .collect();
    let mut segments: Vec<GroupShare<RfSegment>> = RfSegment::ALL
        .iter()
        .map(|segment| empty_share(*segment))
        .collect();
    for (row, class) in rows.iter().zip(value_classes(rows)) {
        let segment = rf_segment(row.r_score, row.f_score);
        for share in classes.iter_mut().filter(|share| share.group == class) {
            add_to_share(share, row.monetary_cents);
        }
        for share in segments.iter_mut().filter(|share| share.group == segment) {
            add_to_share(share, row.monetary_cents);
        }
    }
    for share in &mut classes {
        share.revenue_share = ratio(share.monetary_cents, total);
    }
    for share in &mut segments {
        share.revenue_share = ratio(share.monetary_cents, total);
    }
    RfmSummary {
        customers: rows.len() as u64,
        monetary_cents: total,
        classes,
        segments,
    }
}

fn empty_share<G>(group: G) -> GroupShare<G> {
    GroupShare {
        group,
        customers: 0,
        monetary_cents: 0,
        revenue_share: 0.0,
    }
}

fn add_to_share<G>(share: &mut GroupShare<G>, monetary_cents: i64) {
    share.customers += 1;
    share.monetary_cents += monetary_cents;
}

fn ratio(part: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}
