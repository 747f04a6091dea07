//! The OpenAPI document, generated from the handlers' annotations and the view types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::recs;
use super::segments;
use super::traits;
use super::{coupons, customers, dashboard, error, playbooks, tracking, tracking_views, views};

#[derive(OpenApi)]
#[openapi(
    info(title = "ecrm", description = "E-commerce CRM and customer data platform API."),
    paths(customers::list_customers, customers::get_customer, customers::get_timeline, customers::get_merges, customers::undo_merge, tracking::track, tracking::customer_events, traits::explain, recs::customer_recommendations, recs::similar, segments::preview_segment, segments::list_segments, segments::create_segment, segments::get_segment, segments::update_segment, segments::delete_segment, segments::members, segments::segment_changes, segments::all_changes, segments::customer_segments, playbooks::get_playbooks, playbooks::put_playbooks, playbooks::dry_run_playbook, playbooks::run_playbooks, playbooks::ads_suppressions, coupons::list_pools, coupons::create, coupons::import, coupons::generate_codes, dashboard::get_dashboard),
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
        recs::RecItemView,
        segments::SegmentListView,
        segments::NewSegmentBody,
        crate::app::segments::SegmentInput,
        crate::app::segments::Preview,
        crate::app::segments::CustomerSummary,
        crate::app::segments::crud::SegmentView,
        crate::app::segments::crud::SegmentUpdate,
        crate::app::segments::read::MembersPage,
        crate::app::segments::read::MemberView,
        crate::app::segments::read::ChangesPage,
        crate::app::segments::read::ChangeView,
        crate::app::segments::read::CustomerSegments,
        crate::app::segments::read::MembershipView,
        playbooks::PerksView,
        playbooks::PlaybooksView,
        playbooks::RunView,
        coupons::CouponPoolView,
        coupons::GenerateRequest,
        crate::app::playbooks::engine::DryRun,
        crate::app::playbooks::engine::DryRunAction,
        crate::app::playbooks::engine::RunReport,
        crate::app::playbooks::runtime::RuntimeStatus,
        crate::app::playbooks::pools::CodeImportReport,
        crate::app::playbooks::pools::CodeReject,
        crate::app::console::dashboard::Dashboard,
        crate::app::console::dashboard::ClassShare,
        crate::app::console::dashboard::Cohort,
        crate::app::console::dashboard::FunnelStep
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
