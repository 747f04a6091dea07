//! Black-box tests of the Segment-compatible tracking API: the real server on port 0 over a fresh
//! SQLite file, and over a fresh PostgreSQL schema when `ECRM_TEST_DATABASE_URL` is set; the
//! official SDKs when they are installed (`.ci/install-sdks`); and a kill -9 durability run of the
//! real binary.

mod support;

mod errors;
mod ingest;
mod kill;
mod orders;
mod profile_updates;
mod sdks;

/// Declares one test per backend from a body `fn(Db, &str)`.
macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    crate::$module::$name(crate::support::Db::Sqlite, concat!("s_", stringify!($name)));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    crate::$module::$name(crate::support::Db::Postgres, concat!("p_", stringify!($name)));
                }
            )*
        }
    };
}

on_both_backends!(
    errors::auth_is_segments,
    errors::bad_requests_name_the_problem,
    ingest::partial_batch_stores_the_valid_messages,
    ingest::gzip_and_retries_store_once,
    ingest::identify_alias_and_orders_reach_the_360_view,
    profile_updates::tracked_views_update_interests_within_the_deadline,
    orders::order_events_without_id_currency_or_amounts,
    sdks::python_sdk,
    sdks::node_sdk,
);

#[test]
fn kill_9_loses_no_acknowledged_event_and_retries_do_not_duplicate() {
    kill::run();
}
