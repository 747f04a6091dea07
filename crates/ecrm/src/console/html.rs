//! HTML building blocks: escaping, number formats, PII masking and the page layout.

use std::fmt::Write;

use super::i18n::{Lang, tr};
use crate::app::console::users::ConsoleUser;

/// Text escaped for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text escaped for a URL query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// An integer with thousands separators.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount of cents as currency units with separators (`$1,234.56`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", int(abs / 100), abs % 100)
}

/// A large amount in currency units, shortened (`$1.2M`).
pub fn money_short(units: f64) -> String {
    let abs = units.abs();
    if abs >= 1e9 {
        format!("${:.2}B", units / 1e9)
    } else if abs >= 1e6 {
        format!("${:.2}M", units / 1e6)
    } else if abs >= 1e4 {
        format!("${:.1}K", units / 1e3)
    } else {
        format!("${units:.2}")
    }
}

/// A share as a percentage with one decimal.
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A UTC timestamp as `YYYY-MM-DD HH:MM`.
pub fn datetime(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An email with the local part masked (`a***@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// A phone number with all but the first four and last two digits masked.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 4 || i + 2 >= chars.len() || !c.is_ascii_digit() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// An identifier value as the user may see it.
pub fn shown_identifier(user: &ConsoleUser, kind: &str, value: &str) -> String {
    if !user.role.masks_pii() {
        return value.to_string();
    }
    match kind {
        "email" => mask_email(value),
        "phone" => mask_phone(value),
        _ => value.to_string(),
    }
}

/// Which top-level section a page belongs to (highlighted in the menu).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Customers,
    Segments,
    None,
}

/// A whole page: the header with the menu, language switch and sign-out form, then `body`.
pub fn page(
    lang: Lang,
    user: Option<&ConsoleUser>,
    section: Section,
    title: &str,
    path: &str,
    body: &str,
) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><link rel=\"stylesheet\" href=\"/assets/console.css\">\
         <script src=\"/assets/console.js\" defer></script></head><body>",
        lang.code(),
        esc(title),
        esc(tr(lang, "app"))
    );
    out.push_str("<header class=\"top\"><a class=\"brand\" href=\"/\">ecrm</a><nav>");
    if user.is_some() {
        for (key, href, this) in [
            ("dashboard", "/dashboard", Section::Dashboard),
            ("customers", "/customers", Section::Customers),
            ("segments", "/segments", Section::Segments),
        ] {
            let class = if this == section { " class=\"on\"" } else { "" };
            let _ = write!(out, "<a href=\"{href}\"{class}>{}</a>", tr(lang, key));
        }
    }
    out.push_str("</nav><div class=\"who\">");
    let other = if lang == Lang::En { "zh" } else { "en" };
    let _ = write!(
        out,
        "<a class=\"lang\" id=\"lang-switch\" href=\"/lang?to={other}&amp;back={}\">{}</a>",
        url_encode(path),
        tr(lang, "language")
    );
    if let Some(user) = user {
        let _ = write!(
            out,
            "<span class=\"user\" title=\"{}\">{} <small>{}</small></span>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button class=\"link\" type=\"submit\">{}</button></form>",
            esc(tr(lang, "signed_in_as")),
            esc(&user.username),
            user.role.as_str(),
            esc(&user.csrf_token),
            tr(lang, "sign_out")
        );
    }
    out.push_str("</div></header><main>");
    out.push_str(body);
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_masks() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(12), "12");
        assert_eq!(money(-123_456), "-$1,234.56");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(mask_email("ann.lee@example.com"), "a***@example.com");
        assert_eq!(mask_phone("+8613800138000"), "+861********00");
        assert_eq!(url_encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
