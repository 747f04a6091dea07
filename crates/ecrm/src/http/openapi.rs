//! The OpenAPI document, generated from the handlers' annotations and the view types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::recs;
use super::traits;
use super::{customers, error, tracking, tracking_views, views};

#[derive(OpenApi)]
#[openapi(
    info(title = "ecrm", description = "E-commerce CRM and customer data platform API."),
    paths(customers::list_customers, customers::get_customer, customers::get_timeline, customers::get_merges, customers::undo_merge, tracking::track, tracking::customer_events, traits::explain, recs::customer_recommendations, recs::similar),
    components(schemas(
        error::ErrorBody,
        views::CustomerView,
        views::CustomerListView,
        views::CustomerListItemView,
        views::TimelineEntryView,
        views::MergeView,
        views::OrderView,
        views::OrderLineView,
        views::IdentifierView,
        views::OrderSummaryView,
        tracking_views::TrackResponse,
        tracking_views::RejectView,
        tracking_views::EventPageView,
        tracking_views::EventView,
        views::CustomerAttributesView,
        traits::TraitView,
        traits::TraitExplanationView,
        recs::RecListView,
        recs::RecItemView
    )),
    modifiers(&ApiKeyScheme)
)]
pub struct ApiDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an ecrm API key"))
                    .build(),
            ),
        );
    }
}

/// `GET /openapi.json`
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
