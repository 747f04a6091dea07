//! The web console served by `ecrm serve`: server-rendered HTML pages with embedded CSS, a little
//! JavaScript and inline SVG charts. Sign-in and sessions (`auth`), the cookies' `Secure` policy
//! (`cookies`), labels in English and 简体中文
//! (`i18n`), escaping, formats and the layout (`html`), charts (`charts`), and one module per
//! section (`dashboard`, `customers`, `segments` and the segment `builder`). Handlers stay thin over `app`.

mod assets;
pub mod auth;
mod builder;
mod charts;
pub mod cookies;
mod customers;
mod dashboard;
pub mod html;
pub mod i18n;
mod segments;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::http::AppState;
use auth::PageLang;
use html::{Section, page};
use i18n::tr;

/// The console's routes (merged into the API router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::index))
        .route("/login", get(auth::login_form).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/lang", get(auth::switch_lang))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/csv/{chart}", get(dashboard::dashboard_csv))
        .route("/customers", get(customers::search))
        .route("/customers/{id}", get(customers::customer))
        .route(
            "/customers/{id}/traits/{name}",
            get(customers::explain_trait),
        )
        .route("/segments", get(segments::list).post(builder::save))
        .route("/segments/new", get(builder::new_segment))
        .route("/segments/preview", post(builder::preview_json))
        .route("/segments/{name}", get(segments::show))
        .route("/segments/{name}/export.csv", get(segments::export))
        .route("/assets/console.css", get(assets::css))
        .route("/assets/console.js", get(assets::js))
}

/// The console's 404 page.
pub fn not_found_page(lang: i18n::Lang) -> Response {
    let body = format!(
        "<section class=\"card narrow\" id=\"not-found\"><h1>404 · {}</h1><p>{}</p>\
         <p><a href=\"/dashboard\">{}</a></p></section>",
        tr(lang, "not_found"),
        tr(lang, "not_found_text"),
        tr(lang, "back_home")
    );
    (
        StatusCode::NOT_FOUND,
        Html(page(
            lang,
            None,
            Section::None,
            tr(lang, "not_found"),
            "/",
            &body,
        )),
    )
        .into_response()
}

/// The 404 for a path outside the API: an HTML page.
pub async fn not_found(PageLang(lang): PageLang) -> Response {
    not_found_page(lang)
}
