//! The storage conformance suite: every behaviour of `Store` as one generic body, run against SQLite
//! and PostgreSQL by `conformance_suite!`. The PostgreSQL half reads `ECRM_TEST_DATABASE_URL` and
//! says clearly when it skips.

mod support;

mod analytics;
mod catalogue;
mod console;
mod identity;
mod keys;
mod memberships;
mod orders;
mod playbooks;
mod profile;
mod reads;
mod recs;
mod segments;
mod tracking;

macro_rules! conformance_suite {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let store = crate::support::sqlite_store();
                    crate::$module::$name(&*store);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(store) = crate::support::postgres_store(stringify!($name)) else { return };
                    crate::$module::$name(&*store);
                }
            )*
        }
    };
}

conformance_suite!(
    playbooks::pools_hand_out_codes_within_limits_once_per_key,
    playbooks::pool_windows_and_empty_pools_are_skipped,
    playbooks::benefits_tags_attributes_and_suppression,
    playbooks::webhooks_queue_jobs_that_retry,
    playbooks::actions_show_on_the_timeline,
    console::console_users_and_sessions,
    console::console_users_deleted_or_repassworded_lose_sessions,
    console::trait_values_and_event_counts,
    console::snapshots_are_replaced_whole,
    orders::orders_create_customers_and_reimport_creates_nothing,
    orders::lines_of_one_order_across_batches_add_up,
    orders::refunds_and_guest_orders_are_counted_apart,
    identity::shared_email_links_device_to_user,
    identity::two_user_ids_never_merge,
    identity::unmerge_splits_and_keeps_apart,
    identity::arrival_order_does_not_change_customers,
    identity::customer_rows_merge_attributes,
    catalogue::products_upsert,
    catalogue::events_deduplicate_by_message_id,
    reads::search_by_identifier_and_name_with_pagination,
    reads::timeline_is_newest_first_with_cursor,
    reads::unknown_customer_is_not_found,
    keys::api_keys_are_found_by_hash,
    tracking::tracked_batches_commit_together_and_retries_change_nothing,
    tracking::customer_events_filter_and_page,
    tracking::whole_refunds_return_what_is_left_of_the_stored_order,
    tracking::deferred_tracked_writes_report_durable_and_dedupe,
    tracking::events_dedupe_on_the_client_time_and_message_id,
    tracking::identifier_sightings_are_kept_to_the_minute,
    analytics::purchase_days_merge_same_day_and_skip_guests,
    analytics::traits_upsert_and_record_changes,
    analytics::trait_history_keeps_periods_of_labels,
    analytics::trait_writes_agree_in_and_out_of_customer_order,
    analytics::model_fits_are_versioned,
    profile::activity_and_lines_are_grouped_by_customer,
    profile::complaint_tickets_are_counted_per_customer,
    recs::order_lines_stream_customer_orders_only,
    recs::interactions_come_from_product_events,
    recs::products_and_models_for_serving,
    segments::change_cursor_reports_what_changed,
    segments::segment_facts_and_event_aggregates,
    memberships::segments_and_memberships,
    memberships::chunked_membership_writes_match_one_transaction,
);
