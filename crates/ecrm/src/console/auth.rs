//! Sign-in, sessions and CSRF: the `Console` extractor gives a page its signed-in user and language
//! or sends the browser to the sign-in page (remembering where it was going); form posts carry the
//! session's CSRF token; failed sign-ins are rate-limited per username.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::html::{Section, esc, page, url_encode};
use super::i18n::{Lang, tr};
use crate::app::console::password::constant_time_eq;
use crate::app::console::users::{ConsoleUser, SESSION_MILLIS, session_user, sign_in, sign_out};
use crate::app::keys::random_hex;
use crate::app::now_millis;
use crate::http::{ApiError, AppState};

const SESSION_COOKIE: &str = "ecrm_session";
const LOGIN_CSRF_COOKIE: &str = "ecrm_login_csrf";
const LANG_COOKIE: &str = "ecrm_lang";

/// Failed sign-ins allowed per username within `WINDOW_MILLIS`.
const MAX_FAILURES: u32 = 5;
const WINDOW_MILLIS: i64 = 5 * 60_000;

/// Failed sign-ins per username, to slow password guessing down.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginLimiter {
    fn blocked(&self, username: &str, now: i64) -> bool {
        let Ok(map) = self.failures.lock() else {
            return true;
        };
        map.get(username)
            .is_some_and(|(count, since)| *count >= MAX_FAILURES && now - since < WINDOW_MILLIS)
    }

    fn record(&self, username: &str, success: bool, now: i64) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if success {
            map.remove(username);
            return;
        }
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| now - *since < WINDOW_MILLIS);
        }
        let entry = map.entry(username.to_string()).or_insert((0, now));
        if now - entry.1 >= WINDOW_MILLIS {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// The language chosen by cookie (English by default).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE).map_or(Lang::En, |value| Lang::parse(&value))
}

/// A `Set-Cookie` value; `secure` from the server's `--cookie-secure` and the request.
fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let http_only = if http_only { "; HttpOnly" } else { "" };
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path=/; Max-Age={max_age_seconds}; SameSite=Strict{secure}{http_only}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A redirect (303) to a local path.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Only local paths are followed after sign-in (no open redirect).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/dashboard".to_string(),
    }
}

/// A signed-in page's user and language.
pub struct Console {
    /// The signed-in user.
    pub user: ConsoleUser,
    /// The chosen language.
    pub lang: Lang,
}

impl Console {
    /// Whether a form's CSRF token is the session's.
    pub fn csrf_ok(&self, presented: &str) -> bool {
        constant_time_eq(presented.as_bytes(), self.user.csrf_token.as_bytes())
    }
}

/// The answer to a form post without the session's CSRF token.
pub fn csrf_rejected() -> Response {
    (StatusCode::FORBIDDEN, "invalid or missing CSRF token").into_response()
}

/// The language of a page that needs no sign-in.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of(&parts.headers)))
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let token = cookie(&parts.headers, SESSION_COOKIE);
        let user = match token {
            Some(token) if !token.is_empty() => state
                .blocking(move |store| Ok(session_user(store, &token, now_millis())?))
                .await
                .map_err(IntoResponse::into_response)?,
            _ => None,
        };
        if let Some(user) = user {
            return Ok(Console { user, lang });
        }
        let wants_json = parts
            .headers
            .get("x-requested-with")
            .is_some_and(|v| v.as_bytes() == b"fetch");
        if wants_json {
            return Err((StatusCode::UNAUTHORIZED, "session expired").into_response());
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/dashboard".to_string(), |pq| pq.as_str().to_string());
        Err(see_other(&format!("/login?next={}", url_encode(&next))))
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

struct LoginErrors<'a> {
    form: Option<&'a str>,
    username: Option<&'a str>,
    password: Option<&'a str>,
}

fn login_page(lang: Lang, next: &str, username: &str, csrf: &str, errors: &LoginErrors) -> String {
    let field_error = |error: Option<&str>| {
        error.map_or(String::new(), |e| {
            format!("<p class=\"field-error\">{}</p>", esc(tr(lang, e)))
        })
    };
    let body = format!(
        "<section class=\"login card\"><h1>{title}</h1>{form_error}\
         <form method=\"post\" action=\"/login\" novalidate>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>{user_label}<input name=\"username\" id=\"username\" autocomplete=\"username\" value=\"{username}\" autofocus></label>{user_error}\
         <label>{pass_label}<input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\"></label>{pass_error}\
         <button type=\"submit\" id=\"sign-in\">{title}</button></form></section>",
        title = tr(lang, "sign_in"),
        form_error = errors.form.map_or(String::new(), |e| format!(
            "<p class=\"form-error\" role=\"alert\">{}</p>",
            esc(tr(lang, e))
        )),
        csrf = esc(csrf),
        next = esc(next),
        user_label = tr(lang, "username"),
        pass_label = tr(lang, "password"),
        username = esc(username),
        user_error = field_error(errors.username),
        pass_error = field_error(errors.password),
    );
    page(
        lang,
        None,
        Section::None,
        tr(lang, "sign_in"),
        "/login",
        &body,
    )
}

fn with_login_csrf(html: String, csrf: &str, status: StatusCode, secure: bool) -> Response {
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, csrf, 3600, true, secure),
    );
    response
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageLang(lang): PageLang,
    Query(query): Query<LoginQuery>,
) -> Response {
    let secure = state.cookie_secure.secure(&headers);
    let csrf = random_hex(16).unwrap_or_default();
    let next = local_path(query.next.as_deref());
    let errors = LoginErrors {
        form: query.expired.is_some().then_some("session_expired"),
        username: None,
        password: None,
    };
    with_login_csrf(
        login_page(lang, &next, "", &csrf, &errors),
        &csrf,
        StatusCode::OK,
        secure,
    )
}

/// `POST /login`: checks the double-submitted CSRF token, the rate limit and the password.
pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers);
    let secure = state.cookie_secure.secure(&headers);
    let next = local_path(Some(&form.next));
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Ok(csrf_rejected());
    }
    let username = form.username.trim().to_string();
    let mut errors = LoginErrors {
        form: None,
        username: username.is_empty().then_some("required"),
        password: form.password.is_empty().then_some("required"),
    };
    let now = now_millis();
    if errors.username.is_none() && errors.password.is_none() {
        if state.console_logins.blocked(&username, now) {
            errors.form = Some("too_many");
        } else {
            let (name, password) = (username.clone(), form.password.clone());
            let signed = state
                .blocking(move |store| Ok(sign_in(store, &name, &password, now)?))
                .await?;
            state
                .console_logins
                .record(&username, signed.is_some(), now);
            if let Some(signed) = signed {
                let mut response = see_other(&next);
                let headers = response.headers_mut();
                headers.append(
                    SET_COOKIE,
                    set_cookie(
                        SESSION_COOKIE,
                        &signed.token,
                        SESSION_MILLIS / 1000,
                        true,
                        secure,
                    ),
                );
                headers.append(
                    SET_COOKIE,
                    set_cookie(LOGIN_CSRF_COOKIE, "", 0, true, secure),
                );
                return Ok(response);
            }
            errors.form = Some("bad_login");
        }
    }
    let csrf = random_hex(16).unwrap_or_default();
    let html = login_page(lang, &next, &username, &csrf, &errors);
    Ok(with_login_csrf(
        html,
        &csrf,
        StatusCode::UNPROCESSABLE_ENTITY,
        secure,
    ))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    console: Console,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    if !console.csrf_ok(&form.csrf) {
        return Ok(csrf_rejected());
    }
    let user = console.user;
    state
        .blocking(move |store| Ok(sign_out(store, &user, now_millis())?))
        .await?;
    let mut response = see_other("/login");
    let secure = state.cookie_secure.secure(&headers);
    response
        .headers_mut()
        .append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true, secure));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /lang?to=zh&back=/path`: remembers the language and goes back.
pub async fn switch_lang(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = Lang::parse(query.to.as_deref().unwrap_or("en"));
    let mut response = see_other(&local_path(query.back.as_deref()));
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            365 * 86_400,
            false,
            state.cookie_secure.secure(&headers),
        ),
    );
    response
}

/// `GET /`: the dashboard when signed in, the sign-in page otherwise.
pub async fn index(headers: HeaderMap) -> Response {
    if cookie(&headers, SESSION_COOKIE).is_some_and(|token| !token.is_empty()) {
        see_other("/dashboard")
    } else {
        see_other("/login")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/segments/new?q=1")), "/segments/new?q=1");
        assert_eq!(local_path(Some("//evil.example")), "/dashboard");
        assert_eq!(local_path(Some("https://evil.example")), "/dashboard");
        assert_eq!(local_path(None), "/dashboard");
    }

    #[test]
    fn limiter_blocks_after_repeated_failures() {
        let limiter = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(!limiter.blocked("ann", 0));
            limiter.record("ann", false, 0);
        }
        assert!(limiter.blocked("ann", 1));
        assert!(!limiter.blocked("ann", WINDOW_MILLIS));
        assert!(!limiter.blocked("bob", 1));
    }
}
