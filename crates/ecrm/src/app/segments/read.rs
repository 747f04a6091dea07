//! Reads of memberships: a segment's members (paginated, and every one for export), its
//! recorded entries and exits after a cursor, and a customer's segments with history.

use std::collections::HashMap;

use ecrm_core::time::Millis;
use ecrm_store::{SegmentChangeQuery, SegmentChangeRecord, Store};
use serde::Serialize;

use super::crud::find_segment;
use super::{CustomerSummary, summaries};
use crate::app::AppError;

/// Most members or changes one page returns.
pub const MAX_PAGE: usize = 1_000;

/// A member and since when.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    #[serde(flatten)]
    pub customer: CustomerSummary,
    pub entered_at: Millis,
}

/// One page of members in customer-id order; pass `next` as `after` for the following page.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MembersPage {
    pub segment_id: i64,
    pub members: Vec<MemberView>,
    pub next: Option<String>,
}

/// A recorded entry or exit, with the segment's name.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// The cursor: read changes after it with `after`.
    pub id: i64,
    pub segment_id: i64,
    pub segment: String,
    pub customer_id: String,
    /// `enter` or `exit`.
    pub change: String,
    /// Why: `event "Product Viewed"`, `traits recomputed`, `import`, `schedule: time passed`,
    /// `definition changed`, `merged`, `segment deleted`.
    pub cause: String,
    pub at: Millis,
}

/// Changes after a cursor; `next` is the cursor to continue from (unchanged when none came).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangesPage {
    pub changes: Vec<ChangeView>,
    pub next: i64,
}

/// A customer's current segments and the history of entries and exits.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerSegments {
    pub customer_id: String,
    pub memberships: Vec<MembershipView>,
    pub history: Vec<ChangeView>,
}

/// A current membership.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub segment_id: i64,
    pub segment: String,
    pub entered_at: Millis,
}

/// A row of `ecrm segments export`: the member and their identifiers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub customer_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub entered_at: Millis,
}

fn page_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE)
}

fn names(store: &dyn Store) -> Result<HashMap<i64, String>, AppError> {
    Ok(store
        .segments()?
        .into_iter()
        .map(|segment| (segment.id, segment.name))
        .collect())
}

fn change_view(record: SegmentChangeRecord, names: &HashMap<i64, String>) -> ChangeView {
    ChangeView {
        segment: names
            .get(&record.segment_id)
            .cloned()
            .unwrap_or_else(|| format!("(deleted segment {})", record.segment_id)),
        id: record.id,
        segment_id: record.segment_id,
        customer_id: record.customer_id,
        change: record.change,
        cause: record.cause,
        at: record.at,
    }
}

/// One page of a segment's members.
pub fn members_page(
    store: &dyn Store,
    key: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<MembersPage, AppError> {
    let segment = find_segment(store, key)?;
    let limit = page_limit(limit);
    let members = store.segment_members(segment.id, after, limit)?;
    let ids: Vec<String> = members.iter().map(|m| m.customer_id.clone()).collect();
    let found: HashMap<String, CustomerSummary> = summaries(store, &ids)?
        .into_iter()
        .map(|summary| (summary.id.clone(), summary))
        .collect();
    let next = (members.len() == limit)
        .then(|| members.last().map(|m| m.customer_id.clone()))
        .flatten();
    Ok(MembersPage {
        segment_id: segment.id,
        members: members
            .into_iter()
            .map(|member| MemberView {
                customer: found
                    .get(&member.customer_id)
                    .cloned()
                    .unwrap_or(CustomerSummary {
                        id: member.customer_id.clone(),
                        name: None,
                        email: None,
                        phone: None,
                        country: None,
                    }),
                entered_at: member.entered_at,
            })
            .collect(),
        next,
    })
}

/// Every member of a segment with their identifiers, in customer-id order, handed to `sink`.
pub fn export_rows(
    store: &dyn Store,
    key: &str,
    sink: &mut dyn FnMut(ExportRow) -> Result<(), AppError>,
) -> Result<u64, AppError> {
    let segment = find_segment(store, key)?;
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let page = members_page(store, &segment.id.to_string(), after.as_deref(), MAX_PAGE)?;
        for member in page.members {
            count += 1;
            sink(ExportRow {
                customer_id: member.customer.id,
                name: member.customer.name,
                email: member.customer.email,
                phone: member.customer.phone,
                country: member.customer.country,
                entered_at: member.entered_at,
            })?;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(count),
        }
    }
}

/// Recorded entries and exits after `after`, of one segment or of all (`key` `None`).
pub fn changes_page(
    store: &dyn Store,
    key: Option<&str>,
    after: i64,
    limit: usize,
) -> Result<ChangesPage, AppError> {
    let segment_id = match key {
        Some(key) => Some(find_segment(store, key)?.id),
        None => None,
    };
    let records = store.segment_changes(&SegmentChangeQuery {
        segment_id,
        customer_id: None,
        after,
        limit: page_limit(limit),
    })?;
    let names = names(store)?;
    let next = records.last().map_or(after, |record| record.id);
    Ok(ChangesPage {
        changes: records
            .into_iter()
            .map(|r| change_view(r, &names))
            .collect(),
        next,
    })
}

/// A customer's current segments and their last `limit` entries and exits (oldest first).
pub fn customer_segments(
    store: &dyn Store,
    customer_id: &str,
    limit: usize,
) -> Result<CustomerSegments, AppError> {
    let names = names(store)?;
    // The history first: a change and the membership it leaves are committed together, so the
    // memberships read after it reflect every change it lists (read the other way round, a change
    // committed between the two reads showed an exit beside the membership it ended).
    let mut history = store.segment_changes(&SegmentChangeQuery {
        segment_id: None,
        customer_id: Some(customer_id.to_string()),
        after: 0,
        limit: usize::MAX,
    })?;
    let memberships = store
        .customer_memberships(customer_id)?
        .into_iter()
        .map(|m| MembershipView {
            segment: names.get(&m.segment_id).cloned().unwrap_or_default(),
            segment_id: m.segment_id,
            entered_at: m.entered_at,
        })
        .collect();
    let keep = page_limit(limit);
    if history.len() > keep {
        history.drain(..history.len() - keep);
    }
    Ok(CustomerSegments {
        customer_id: customer_id.to_string(),
        memberships,
        history: history
            .into_iter()
            .map(|r| change_view(r, &names))
            .collect(),
    })
}
