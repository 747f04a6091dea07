//! Synthetic people: names, emails on reserved domains, Chinese mobile numbers in human styles,
//! places, genders and birthdays.

use chrono::NaiveDate;
use serde::Serialize;

use super::random::Rng;

/// A customer's profile as a shop would record it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerProfile {
    /// Zero-based position of the customer in the store.
    pub index: u64,
    /// Zero-padded id, `c0000001`.
    pub id: String,
    /// Given name.
    pub first_name: &'static str,
    /// Family name.
    pub last_name: &'static str,
    /// Lower-case email on example.com, example.org or example.net.
    pub email: String,
    /// A mainland China mobile number in one of several human styles (`138 0013 8000`), or none.
    pub phone: Option<String>,
    /// `female`, `male`, or none when not given.
    pub gender: Option<&'static str>,
    /// The birthday, when given.
    pub birthday: Option<NaiveDate>,
    /// ISO 3166 alpha-2 country code.
    pub country: &'static str,
    /// City name.
    pub city: &'static str,
    /// Locale such as `zh-CN` or `en-US`.
    pub locale: &'static str,
    /// Hours added to UTC to get the customer's local time.
    pub utc_offset_hours: i64,
    /// Sign-up time, UTC milliseconds.
    pub signup_at: i64,
    /// Indices of 1 to 3 favourite categories.
    pub favourite_categories: Vec<usize>,
    /// Signed up and browsed but never ordered.
    pub is_prospect: bool,
}

impl CustomerProfile {
    /// `First Last`.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

const ENGLISH_FIRST: &[&str] = &[
    "Ann", "James", "Olivia", "Liam", "Emma", "Noah", "Sophia", "Lucas", "Mia", "Ethan", "Grace",
    "Henry", "Chloe", "Jack", "Lily", "Ryan", "Zoe", "Daniel", "Ella", "Leo", "Hannah", "Owen",
    "Ruby", "Max",
];
const ENGLISH_LAST: &[&str] = &[
    "Lee", "Smith", "Brown", "Taylor", "Wilson", "Clark", "Walker", "Young", "King", "Wright",
    "Green", "Baker", "Hill", "Moore", "Evans", "Turner", "Parker", "Cooper", "Reed", "Ward",
];
const PINYIN_FIRST: &[&str] = &[
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yang", "Jie", "Xiu", "Yan", "Hao", "Ting", "Jun",
    "Lan", "Qiang", "Mei", "Yu", "Xin", "Hui", "Bo", "Li", "Chen", "Yi", "Rui", "Zhen", "Ying",
];
const PINYIN_LAST: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma",
    "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
];

/// (country, city, locale, UTC offset in hours, weight).
const PLACES: &[(&str, &str, &str, i64, f64)] = &[
    ("CN", "Shanghai", "zh-CN", 8, 12.0),
    ("CN", "Beijing", "zh-CN", 8, 11.0),
    ("CN", "Shenzhen", "zh-CN", 8, 9.0),
    ("CN", "Guangzhou", "zh-CN", 8, 8.0),
    ("CN", "Hangzhou", "zh-CN", 8, 7.0),
    ("CN", "Chengdu", "zh-CN", 8, 7.0),
    ("CN", "Wuhan", "zh-CN", 8, 5.0),
    ("CN", "Nanjing", "zh-CN", 8, 5.0),
    ("CN", "Xi'an", "zh-CN", 8, 4.0),
    ("CN", "Chongqing", "zh-CN", 8, 5.0),
    ("CN", "Suzhou", "zh-CN", 8, 3.0),
    ("HK", "Hong Kong", "zh-HK", 8, 3.0),
    ("SG", "Singapore", "en-SG", 8, 3.0),
    ("US", "New York", "en-US", -5, 4.0),
    ("US", "San Francisco", "en-US", -8, 3.0),
    ("GB", "London", "en-GB", 0, 3.0),
    ("AU", "Sydney", "en-AU", 10, 2.0),
    ("CA", "Toronto", "en-CA", -5, 2.0),
];

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "185", "186", "187",
    "188", "189", "198", "199",
];

/// Draws the person-level attributes of one customer; purchasing fields are filled by the caller.
/// Birthdays are drawn back from `birthday_reference_day` (days since 1970-01-01).
pub(crate) fn draw_person(
    rng: &mut Rng,
    index: u64,
    id: String,
    birthday_reference_day: i64,
) -> CustomerProfile {
    let place_weights: Vec<f64> = PLACES.iter().map(|place| place.4).collect();
    let (country, city, locale, utc_offset_hours, _) = PLACES[rng.weighted_index(&place_weights)];
    let in_china = country == "CN";
    let pinyin_name = if in_china || country == "HK" || country == "SG" {
        rng.chance(0.8)
    } else {
        rng.chance(0.1)
    };
    let (first_name, last_name) = if pinyin_name {
        (*rng.pick(PINYIN_FIRST), *rng.pick(PINYIN_LAST))
    } else {
        (*rng.pick(ENGLISH_FIRST), *rng.pick(ENGLISH_LAST))
    };
    let phone_share = if in_china { 0.9 } else { 0.1 };
    let phone = if rng.chance(phone_share) {
        Some(draw_phone(rng))
    } else {
        None
    };
    let gender = match rng.weighted_index(&[0.54, 0.40, 0.06]) {
        0 => Some("female"),
        1 => Some("male"),
        _ => None,
    };
    CustomerProfile {
        index,
        email: draw_email(rng, first_name, last_name, index + 1),
        id,
        first_name,
        last_name,
        phone,
        gender,
        birthday: draw_birthday(rng, birthday_reference_day),
        country,
        city,
        locale,
        utc_offset_hours,
        signup_at: 0,
        favourite_categories: Vec::new(),
        is_prospect: false,
    }
}

/// An email derived from the name and the customer number, in one of a few shapes; unique per number.
fn draw_email(rng: &mut Rng, first: &str, last: &str, number: u64) -> String {
    let domain = rng.pick(EMAIL_DOMAINS);
    let first_lower = first.to_ascii_lowercase();
    let last_lower = last.to_ascii_lowercase();
    let local = match rng.below(4) {
        0 => format!("{first_lower}.{last_lower}.{number}"),
        1 => format!("{first_lower}{last_lower}{number}"),
        2 => format!("{first_lower}_{last_lower}.{number}"),
        _ => format!("{}{last_lower}{number}", &first_lower[..1]),
    };
    format!("{local}@{domain}")
}

/// A mainland China mobile number (11 digits) written in one of the styles people type.
fn draw_phone(rng: &mut Rng) -> String {
    let prefix = rng.pick(MOBILE_PREFIXES);
    let middle = rng.below(10_000);
    let last = rng.below(10_000);
    match rng.weighted_index(&[0.35, 0.25, 0.15, 0.1, 0.1, 0.05]) {
        0 => format!("{prefix}{middle:04}{last:04}"),
        1 => format!("{prefix} {middle:04} {last:04}"),
        2 => format!("+86 {prefix}-{middle:04}-{last:04}"),
        3 => format!("+86{prefix}{middle:04}{last:04}"),
        4 => format!("{prefix}-{middle:04}-{last:04}"),
        _ => format!("0086 {prefix} {middle:04} {last:04}"),
    }
}

/// Adults aged about 18 to 70 on the reference day; 15% leave the birthday out.
fn draw_birthday(rng: &mut Rng, reference_day: i64) -> Option<NaiveDate> {
    if rng.chance(0.15) {
        return None;
    }
    let age = (33.0 + 10.0 * rng.normal()).clamp(18.0, 70.0);
    let days_before = (age * 365.25) as i64 + rng.between(0, 364);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let reference = epoch.checked_add_signed(chrono::TimeDelta::try_days(reference_day)?)?;
    reference.checked_sub_days(chrono::Days::new(days_before as u64))
}
