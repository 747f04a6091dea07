//! When the console's cookies carry `Secure` (`ecrm serve --cookie-secure`): a browser drops a
//! `Secure` cookie set over plain http (except on loopback hosts, which browsers treat as secure),
//! so a console reached over plain http on a LAN address would loop back to the sign-in page.

use axum::http::HeaderMap;
use axum::http::header::{FORWARDED, HOST};

/// The `Secure` attribute policy of the console's cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CookieSecure {
    /// `Secure` unless the request came over plain http to a host other than a loopback one: the
    /// scheme is taken from `X-Forwarded-Proto` or `Forwarded: proto=` (set by a TLS-terminating
    /// proxy), else plain http, the only scheme `ecrm serve` itself speaks.
    #[default]
    Auto,
    /// Always `Secure` (behind an https proxy that does not forward the scheme).
    Always,
    /// Never `Secure` (plain http only; the session cookie then travels in clear text).
    Never,
}

impl CookieSecure {
    /// Whether cookies set in answer to a request with these headers carry `Secure`.
    pub fn secure(self, headers: &HeaderMap) -> bool {
        match self {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => {
                forwarded_proto(headers).is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
                    || host_of(headers).is_some_and(is_loopback_host)
            }
        }
    }
}

/// The scheme a proxy says the browser used: `X-Forwarded-Proto`, else `Forwarded`'s `proto=`.
fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let first = |value: &str| value.split(',').next().unwrap_or("").trim().to_string();
    if let Some(value) = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        return Some(first(value));
    }
    let forwarded = headers.get(FORWARDED)?.to_str().ok()?;
    first(forwarded)
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.eq_ignore_ascii_case("proto"))
        .map(|(_, value)| value.trim_matches('"').to_string())
}

/// The host the browser asked for (`X-Forwarded-Host`, else `Host`), without the port.
fn host_of(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(HOST))?
        .to_str()
        .ok()?;
    let value = value.split(',').next().unwrap_or("").trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        value.rsplit_once(':').map_or(value, |(host, _)| host)
    };
    Some(host.to_ascii_lowercase())
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback_host(host: String) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, axum::http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn auto_drops_secure_only_for_plain_http_to_other_hosts() {
        let auto = CookieSecure::Auto;
        assert!(auto.secure(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(auto.secure(&headers(&[("host", "localhost:8080")])));
        assert!(auto.secure(&headers(&[("host", "[::1]:8080")])));
        assert!(!auto.secure(&headers(&[("host", "192.168.1.20:8080")])));
        assert!(!auto.secure(&headers(&[("host", "crm.example.com")])));
        assert!(!auto.secure(&headers(&[])));
        assert!(auto.secure(&headers(&[
            ("host", "crm.example.com"),
            ("x-forwarded-proto", "https")
        ])));
        assert!(auto.secure(&headers(&[
            ("host", "crm.example.com"),
            ("forwarded", "for=10.0.0.1;proto=https;host=crm.example.com")
        ])));
        assert!(!auto.secure(&headers(&[
            ("host", "localhost:8080"),
            ("x-forwarded-host", "crm.example.com"),
            ("x-forwarded-proto", "http")
        ])));
    }

    #[test]
    fn always_and_never_ignore_the_request() {
        let plain = headers(&[("host", "192.168.1.20:8080")]);
        assert!(CookieSecure::Always.secure(&plain));
        assert!(!CookieSecure::Never.secure(&headers(&[("host", "localhost")])));
    }
}
