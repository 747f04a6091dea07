//! Wire shapes of the API (and the CLI's `--json`), converted explicitly from store values so a
//! renamed internal field never silently changes the public API.

use ecrm_core::time::format_millis;
use ecrm_store::{
    Customer360, CustomerListItem, IdentifierRecord, MergeRecord, OrderRecord, OrderSummary,
    TimelineEntry,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The customer 360° view.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub customer: CustomerAttributesView,
    pub identifiers: Vec<IdentifierView>,
    pub order_summary: OrderSummaryView,
    pub latest_orders: Vec<OrderView>,
    pub timeline: Vec<TimelineEntryView>,
    /// Pass as `before` to `/timeline` for the next page; absent at the end.
    pub timeline_next: Option<String>,
    /// Stored traits (RFM, CLV, lifecycle, value tier, risk), by name; explain one at
    /// `/v1/customers/{identifier}/traits/{name}/explain`.
    pub traits: Vec<super::traits::TraitView>,
    pub merges: Vec<MergeView>,
    /// The segments the customer is in now (history at `/v1/customers/{identifier}/segments`).
    pub segments: Vec<crate::app::segments::read::MembershipView>,
    /// What playbooks gave the customer: coupons held, benefits, tags, ads suppression.
    pub perks: super::playbooks::PerksView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerAttributesView {
    pub id: String,
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub signup_at: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierView {
    pub kind: String,
    pub value: String,
    pub source: String,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryView {
    pub orders: u64,
    pub refunds: u64,
    pub revenue: String,
    pub refunded: String,
    pub net: String,
    pub revenue_cents: i64,
    pub refunded_cents: i64,
    pub net_cents: i64,
    pub first_order_at: Option<String>,
    pub last_order_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub order_id: String,
    pub kind: String,
    pub ordered_at: String,
    pub total_cents: i64,
    pub currency: String,
    pub status: Option<String>,
    pub source: String,
    pub lines: Vec<OrderLineView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryView {
    pub kind: String,
    pub at: String,
    pub title: String,
    pub channel: Option<String>,
    pub source: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub cursor: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeView {
    pub id: i64,
    pub from_customer: String,
    pub into_customer: String,
    pub from_identifier: String,
    pub into_identifier: String,
    pub cause: String,
    pub merged_at: String,
    pub undone_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerListView {
    pub customers: Vec<CustomerListItemView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerListItemView {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub created_at: String,
}

impl CustomerView {
    /// The view with the first timeline page, which was asked for with `timeline_limit` entries.
    pub fn new(
        view: Customer360,
        timeline: Vec<TimelineEntry>,
        timeline_limit: usize,
    ) -> CustomerView {
        let timeline_next = (timeline.len() >= timeline_limit)
            .then(|| timeline.last().map(cursor_text))
            .flatten();
        let customer = view.customer;
        CustomerView {
            customer: CustomerAttributesView {
                id: customer.id,
                name: customer.name,
                gender: customer.gender,
                birthday: customer.birthday,
                country: customer.country,
                city: customer.city,
                signup_at: customer.signup_at.map(format_millis),
                attributes: customer.attributes,
                created_at: format_millis(customer.created_at),
                updated_at: format_millis(customer.updated_at),
            },
            identifiers: view
                .identifiers
                .into_iter()
                .map(IdentifierView::from)
                .collect(),
            order_summary: OrderSummaryView::from(view.order_summary),
            latest_orders: view
                .latest_orders
                .into_iter()
                .map(OrderView::from)
                .collect(),
            timeline: timeline.into_iter().map(TimelineEntryView::from).collect(),
            timeline_next,
            traits: Vec::new(),
            merges: view.merges.into_iter().map(MergeView::from).collect(),
            segments: Vec::new(),
            perks: Default::default(),
        }
    }
}

/// A timeline cursor as one opaque-looking string: `at.stream.id`.
pub fn cursor_text(entry: &TimelineEntry) -> String {
    format!(
        "{}.{}.{}",
        entry.cursor.at, entry.cursor.stream, entry.cursor.id
    )
}

impl From<IdentifierRecord> for IdentifierView {
    fn from(record: IdentifierRecord) -> Self {
        IdentifierView {
            kind: record.kind,
            value: record.value,
            source: record.source,
            first_seen: format_millis(record.first_seen),
            last_seen: format_millis(record.last_seen),
        }
    }
}

impl From<OrderSummary> for OrderSummaryView {
    fn from(summary: OrderSummary) -> Self {
        use ecrm_core::money::format_cents;
        OrderSummaryView {
            orders: summary.orders,
            refunds: summary.refunds,
            revenue: format_cents(summary.revenue_cents),
            refunded: format_cents(summary.refunded_cents),
            net: format_cents(summary.net_cents),
            revenue_cents: summary.revenue_cents,
            refunded_cents: summary.refunded_cents,
            net_cents: summary.net_cents,
            first_order_at: summary.first_order_at.map(format_millis),
            last_order_at: summary.last_order_at.map(format_millis),
        }
    }
}

impl From<OrderRecord> for OrderView {
    fn from(order: OrderRecord) -> Self {
        OrderView {
            order_id: order.order_key,
            kind: order.kind,
            ordered_at: format_millis(order.ordered_at),
            total_cents: order.total_cents,
            currency: order.currency,
            status: order.status,
            source: order.source,
            lines: order
                .lines
                .into_iter()
                .map(|line| OrderLineView {
                    product_id: line.product_id,
                    product_name: line.product_name,
                    category: line.category,
                    quantity: line.quantity,
                    unit_price_cents: line.unit_price_cents,
                    amount_cents: line.amount_cents,
                })
                .collect(),
        }
    }
}

impl From<TimelineEntry> for TimelineEntryView {
    fn from(entry: TimelineEntry) -> Self {
        let cursor = cursor_text(&entry);
        TimelineEntryView {
            kind: entry.kind,
            at: format_millis(entry.at),
            title: entry.title,
            channel: entry.channel,
            source: entry.source,
            detail: entry.detail,
            cursor,
        }
    }
}

impl From<MergeRecord> for MergeView {
    fn from(merge: MergeRecord) -> Self {
        MergeView {
            id: merge.id,
            from_customer: merge.from_customer,
            into_customer: merge.into_customer,
            from_identifier: merge.from_identifier,
            into_identifier: merge.into_identifier,
            cause: merge.cause,
            merged_at: format_millis(merge.merged_at),
            undone_at: merge.undone_at.map(format_millis),
        }
    }
}

impl From<CustomerListItem> for CustomerListItemView {
    fn from(item: CustomerListItem) -> Self {
        CustomerListItemView {
            id: item.id,
            name: item.name,
            email: item.email,
            phone: item.phone,
            country: item.country,
            created_at: format_millis(item.created_at),
        }
    }
}
