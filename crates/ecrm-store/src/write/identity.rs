//! Applying the identity rules: the fast path for the common cases, and re-clustering of a whole
//! connected component (through `ecrm_core::identity::cluster`) whenever a limit or a separation is
//! involved, so the stored customers always equal what the rules give for all links seen so far.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ecrm_core::Identifier;
use ecrm_core::identity::{Link, cluster};
use ecrm_core::order::CustomerRef;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::Millis;

use super::{IdentifierRow, WriteTx};
use crate::error::{StoreError, StoreResult};
use crate::model::{MergeRecord, Resolution, WriteContext};

/// Links the identifiers of one observation and returns the customer of its anchor (smallest) identifier.
pub(crate) fn resolve<T: WriteTx>(
    tx: &mut T,
    customer: &CustomerRef,
    seen_at: Millis,
    ctx: &WriteContext,
) -> StoreResult<Resolution> {
    let identifiers = &customer.identifiers;
    let Some(anchor) = identifiers.first() else {
        return Ok(Resolution {
            customer_id: None,
            anchor_row: None,
            identifier_rows: Vec::new(),
            customers_created: 0,
            customers_merged: 0,
        });
    };
    let mut found = Vec::with_capacity(identifiers.len());
    for identifier in identifiers {
        found.push(tx.identifier_get(identifier)?);
    }
    let all_new = found.iter().all(Option::is_none);
    let own_refs: Vec<&ecrm_core::Identifier> = identifiers.iter().collect();
    if all_new && ctx.limits.allows(&own_refs) {
        return create_customer(tx, identifiers, seen_at, ctx);
    }
    let mut rows = Vec::with_capacity(identifiers.len());
    let mut new_rows = Vec::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for (identifier, stored) in identifiers.iter().zip(found) {
        match stored {
            Some(row) => {
                touched.insert(row.customer_id.clone());
                rows.push(row);
            }
            None => {
                let own_id = identifier.customer_id();
                let row = tx.identifier_insert(identifier, &own_id, &ctx.source, seen_at)?;
                new_rows.push(row);
                rows.push(IdentifierRow {
                    row,
                    identifier: identifier.clone(),
                    customer_id: own_id,
                });
            }
        }
    }
    let anchor_row = rows[0].row;
    for other in &rows[1..] {
        tx.link_insert(
            anchor_row.min(other.row),
            anchor_row.max(other.row),
            &ctx.source,
            seen_at,
        )?;
    }
    if new_rows.is_empty() && touched.len() == 1 {
        let customer_id = touched.into_iter().next();
        return Ok(Resolution {
            customer_id,
            anchor_row: Some(anchor_row),
            identifier_rows: rows.iter().map(|row| row.row).collect(),
            customers_created: 0,
            customers_merged: 0,
        });
    }

    let (created, merged) = match fast_merge(tx, &rows, &new_rows, &touched, ctx)? {
        Some(counts) => counts,
        None => {
            let start: Vec<i64> = rows.iter().map(|row| row.row).collect();
            recluster(tx, &start, &new_rows, ctx, seen_at)?
        }
    };
    let customer_id = tx.identifier_get(anchor)?.map(|row| row.customer_id);
    Ok(Resolution {
        customer_id,
        anchor_row: Some(anchor_row),
        identifier_rows: rows.iter().map(|row| row.row).collect(),
        customers_created: created,
        customers_merged: merged,
    })
}

/// Resolves one observation and widens the seen range of all its identifiers.
pub(crate) fn resolve_and_touch<T: WriteTx>(
    tx: &mut T,
    customer: &CustomerRef,
    seen_at: Millis,
    ctx: &WriteContext,
) -> StoreResult<Resolution> {
    let resolution = resolve(tx, customer, seen_at, ctx)?;
    for row in &resolution.identifier_rows {
        tx.identifier_touch(*row, seen_at, seen_at)?;
    }
    Ok(resolution)
}

/// All identifiers are new and may share a customer: one new customer named by the smallest.
fn create_customer<T: WriteTx>(
    tx: &mut T,
    identifiers: &[Identifier],
    seen_at: Millis,
    ctx: &WriteContext,
) -> StoreResult<Resolution> {
    let customer_id = identifiers[0].customer_id();
    let created = tx.customer_insert(&customer_id, ctx.at)?;
    let mut rows = Vec::with_capacity(identifiers.len());
    for identifier in identifiers {
        rows.push(tx.identifier_insert(identifier, &customer_id, &ctx.source, seen_at)?);
    }
    for other in &rows[1..] {
        tx.link_insert(
            rows[0].min(*other),
            rows[0].max(*other),
            &ctx.source,
            seen_at,
        )?;
    }
    Ok(Resolution {
        customer_id: Some(customer_id),
        anchor_row: rows.first().copied(),
        identifier_rows: rows,
        customers_created: u64::from(created),
        customers_merged: 0,
    })
}

/// Undoes a merge by keeping its two named identifiers apart, then re-clustering their component.
/// Returns the customer ids of the component afterwards.
pub(crate) fn unmerge<T: WriteTx>(
    tx: &mut T,
    merge_id: i64,
    ctx: &WriteContext,
) -> StoreResult<Vec<String>> {
    let merge = tx
        .merge_get(merge_id)?
        .ok_or_else(|| StoreError::NotFound(format!("merge {merge_id}")))?;
    if merge.undone_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "merge {merge_id} was already undone"
        )));
    }
    let from = stored_identifier(tx, &merge.from_identifier)?;
    let into = stored_identifier(tx, &merge.into_identifier)?;
    tx.separation_insert(
        from.row.min(into.row),
        from.row.max(into.row),
        &format!("unmerge {merge_id}"),
        ctx.at,
    )?;
    tx.merge_mark_undone(merge_id, ctx.at)?;
    recluster(tx, &[from.row, into.row], &[], ctx, ctx.at)?;
    let mut customers = BTreeSet::new();
    for identifier in [&from, &into] {
        if let Some(row) = tx.identifier_get(&identifier.identifier)? {
            customers.insert(row.customer_id);
        }
    }
    Ok(customers.into_iter().collect())
}

fn stored_identifier<T: WriteTx>(tx: &mut T, text: &str) -> StoreResult<IdentifierRow> {
    let identifier = Identifier::parse_reference(text, PhoneRegion::CN)
        .map_err(|err| StoreError::Other(format!("stored identifier {text:?}: {err}")))?;
    tx.identifier_get(&identifier)?
        .ok_or_else(|| StoreError::NotFound(format!("identifier {text}")))
}

/// Merges all touched customers into one when no rule can be involved; `None` sends the caller to
/// [`recluster`]. Returns (customers created, customers merged) as net changes.
fn fast_merge<T: WriteTx>(
    tx: &mut T,
    rows: &[IdentifierRow],
    new_rows: &[i64],
    touched: &BTreeSet<String>,
    ctx: &WriteContext,
) -> StoreResult<Option<(u64, u64)>> {
    let mut members: Vec<IdentifierRow> = Vec::new();
    for customer_id in touched {
        if tx.customer_conflicted(customer_id)? {
            return Ok(None);
        }
        members.extend(tx.identifiers_of_customer(customer_id)?);
    }
    members.extend(
        rows.iter()
            .filter(|row| new_rows.contains(&row.row))
            .cloned(),
    );
    let identifiers: Vec<&Identifier> = members.iter().map(|row| &row.identifier).collect();
    if !ctx.limits.allows(&identifiers) {
        return Ok(None);
    }
    let Some(smallest) = identifiers.iter().min().copied() else {
        return Ok(Some((0, 0)));
    };
    let target = smallest.customer_id();
    let target_is_new = tx.customer_insert(&target, ctx.at)?;
    for customer_id in touched.iter().filter(|id| **id != target) {
        let from_identifier = smallest_identifier_of(&members, customer_id);
        tx.merge_insert(&MergeRecord {
            id: 0,
            from_customer: customer_id.clone(),
            into_customer: target.clone(),
            from_identifier,
            into_identifier: smallest.to_string(),
            cause: ctx.source.clone(),
            merged_at: ctx.at,
            undone_at: None,
        })?;
        tx.customer_fold(customer_id, &target, ctx.at)?;
    }
    for member in members.iter().filter(|member| member.customer_id != target) {
        tx.identifier_set_customer(member, &target)?;
    }
    let before = touched.len() as u64;
    let after = 1u64;
    let created = if target_is_new {
        after.saturating_sub(before)
    } else {
        0
    };
    Ok(Some((created, before.saturating_sub(after))))
}

fn smallest_identifier_of(members: &[IdentifierRow], customer_id: &str) -> String {
    members
        .iter()
        .filter(|member| member.customer_id == customer_id)
        .map(|member| &member.identifier)
        .min()
        .map(ToString::to_string)
        .unwrap_or_else(|| customer_id.to_string())
}

/// Identifier pairs, as stored row ids.
type RowPairs = Vec<(i64, i64)>;

/// Recomputes the customers of the connected component (over all links ever seen) containing `start`.
/// `new_rows` are identifiers inserted by this call, which belong to no customer yet.
/// Returns (customers created, customers merged away).
fn recluster<T: WriteTx>(
    tx: &mut T,
    start: &[i64],
    new_rows: &[i64],
    ctx: &WriteContext,
    seen_at: Millis,
) -> StoreResult<(u64, u64)> {
    let (component, link_rows) = component_of(tx, start)?;
    let row_list: Vec<i64> = component.iter().copied().collect();
    let stored = tx.identifiers_by_rows(&row_list)?;
    let by_row: BTreeMap<i64, &IdentifierRow> = stored.iter().map(|row| (row.row, row)).collect();
    let identifier_of = |row: i64| by_row.get(&row).map(|stored| stored.identifier.clone());
    let links: Vec<Link> = link_rows
        .iter()
        .filter_map(|(a, b)| Some(Link::new(identifier_of(*a)?, identifier_of(*b)?)))
        .collect();
    let separations: Vec<Link> = tx
        .separations_touching(&row_list)?
        .into_iter()
        .filter_map(|(a, b)| Some(Link::new(identifier_of(a)?, identifier_of(b)?)))
        .collect();
    let identifiers: Vec<Identifier> = stored.iter().map(|row| row.identifier.clone()).collect();
    let result = cluster(&identifiers, &links, &separations, &ctx.limits);

    let before: BTreeSet<String> = stored
        .iter()
        .filter(|row| !new_rows.contains(&row.row))
        .map(|row| row.customer_id.clone())
        .collect();
    let mut owner_of: BTreeMap<&Identifier, &str> = BTreeMap::new();
    for customer in &result.clusters {
        for identifier in &customer.identifiers {
            owner_of.insert(identifier, &customer.customer_id);
        }
    }
    let after: BTreeSet<String> = result
        .clusters
        .iter()
        .map(|customer| customer.customer_id.clone())
        .collect();
    let mut created = 0;
    for customer_id in &after {
        if tx.customer_insert(customer_id, ctx.at)? {
            created += 1;
        }
    }
    for row in &stored {
        let Some(owner) = owner_of.get(&row.identifier) else {
            continue;
        };
        if row.customer_id != *owner {
            tx.identifier_set_customer(row, owner)?;
        }
    }
    let mut merged = 0;
    for vanished in before.difference(&after) {
        let named_by = stored
            .iter()
            .find(|row| row.identifier.customer_id() == *vanished);
        let into = named_by
            .and_then(|row| owner_of.get(&row.identifier))
            .copied();
        let Some(into) = into else { continue };
        tx.merge_insert(&MergeRecord {
            id: 0,
            from_customer: vanished.clone(),
            into_customer: into.to_string(),
            from_identifier: named_by
                .map(|row| row.identifier.to_string())
                .unwrap_or_default(),
            into_identifier: owner_of
                .iter()
                .find(|(_, owner)| **owner == into)
                .map(|(identifier, _)| identifier.to_string())
                .unwrap_or_default(),
            cause: ctx.source.clone(),
            merged_at: seen_at.max(ctx.at),
            undone_at: None,
        })?;
        tx.customer_fold(vanished, into, ctx.at)?;
        merged += 1;
    }
    let conflicted = after.len() > 1 || !result.refused.is_empty();
    for customer_id in &after {
        tx.customer_set_conflicted(customer_id, conflicted)?;
    }
    Ok((created, merged))
}

/// All identifier rows reachable from `start` over links, and the links among them.
fn component_of<T: WriteTx>(tx: &mut T, start: &[i64]) -> StoreResult<(BTreeSet<i64>, RowPairs)> {
    let mut seen: BTreeSet<i64> = start.iter().copied().collect();
    let mut frontier: Vec<i64> = start.to_vec();
    let mut links: HashSet<(i64, i64)> = HashSet::new();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (a, b) in tx.links_touching(&frontier)? {
            links.insert((a, b));
            for row in [a, b] {
                if seen.insert(row) {
                    next.push(row);
                }
            }
        }
        frontier = next;
    }
    let mut link_list: Vec<(i64, i64)> = links.into_iter().collect();
    link_list.sort_unstable();
    Ok((seen, link_list))
}
