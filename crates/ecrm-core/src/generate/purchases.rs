//! Purchasing: BG/NBD purchase times, Gamma-Gamma order values realised as catalogue lines,
//! coupons, refunds and guest orders.

use serde::Serialize;

use super::catalogue::{Catalogue, Product};
use super::people::CustomerProfile;
use super::random::Rng;
use super::{GeneratorConfig, PurchaseModel};
use crate::time::{DAY_MILLIS, Millis};

/// Whether an order row is a sale or the refund of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// A completed sale.
    Completed,
    /// A refund of (part of) an earlier order: negative quantities, id `<order_id>-R`.
    Refunded,
}

impl OrderStatus {
    /// `completed` or `refunded`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Completed => "completed",
            OrderStatus::Refunded => "refunded",
        }
    }
}

/// One order (or refund order) with its lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratedOrder<'g> {
    /// `o0000001-1` for the first order of customer 1, `g0000001-1` for guests, `<id>-R` for refunds.
    pub order_id: String,
    /// The customer's id; none for guest orders.
    pub customer_id: Option<String>,
    /// The customer's email; none for guest orders.
    pub email: Option<String>,
    /// When it was placed (or refunded), UTC milliseconds.
    pub ordered_at: Millis,
    /// Sale or refund.
    pub status: OrderStatus,
    /// The coupon code used, if any (prices of the lines are already discounted).
    pub coupon: Option<&'static str>,
    /// The lines; refund lines have negative quantities.
    pub lines: Vec<GeneratedLine<'g>>,
}

impl GeneratedOrder<'_> {
    /// Sum of quantity times unit price, in cents (negative for refunds).
    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|line| line.quantity * line.unit_price_cents)
            .sum()
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratedLine<'g> {
    /// The product bought.
    pub product: &'g Product,
    /// Units; negative on refunds.
    pub quantity: i64,
    /// Price paid per unit in cents, after any coupon.
    pub unit_price_cents: i64,
}

/// Coupon codes and their discounts in percent.
const COUPONS: &[(&str, i64)] = &[
    ("SAVE15", 15),
    ("FLASH20", 20),
    ("FREESHIP", 0),
    ("VIP10", 10),
];
const WELCOME_COUPON: (&str, i64) = ("WELCOME10", 10);
/// Mean units per line (1, 2 or 3 with probabilities 0.86, 0.1, 0.04).
const MEAN_QUANTITY: f64 = 1.18;
/// Products drawn per line; the one priced nearest the target wins.
const PRICE_CANDIDATES: usize = 5;
/// Hard cap on purchases per customer, so one extreme rate cannot blow up memory.
const MAX_PURCHASES: usize = 400;
/// Relative order likelihood per local hour of the day.
const HOUR_WEIGHTS: [f64; 24] = [
    0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.6, 2.0, 2.2, 2.0, 1.8, 1.7, 1.7, 1.8, 1.9, 2.0,
    2.4, 2.8, 3.0, 2.4, 1.2,
];

/// Purchase times in weeks since the window start, first purchase included (BG/NBD).
pub(crate) fn draw_purchase_weeks(
    rng: &mut Rng,
    model: &PurchaseModel,
    window_weeks: f64,
    acquisition_share: f64,
) -> Vec<f64> {
    let rate = rng.gamma(model.r, 1.0 / model.alpha);
    let dropout = rng.beta(model.a, model.b);
    let mut week = rng.unit() * window_weeks * acquisition_share.clamp(0.0, 1.0);
    let mut weeks = vec![week];
    if rate <= 0.0 {
        return weeks;
    }
    while weeks.len() < MAX_PURCHASES {
        week += rng.exponential(rate);
        if week >= window_weeks {
            break;
        }
        weeks.push(week);
        if rng.chance(dropout) {
            break;
        }
    }
    weeks
}

/// What order building needs from the generator.
pub(crate) struct OrderContext<'g> {
    pub(crate) catalogue: &'g Catalogue,
    pub(crate) config: &'g GeneratorConfig,
    pub(crate) customer_id_width: usize,
}

impl<'g> OrderContext<'g> {
    /// The customer's orders at the given purchase weeks, plus refund orders, sorted by time.
    pub(crate) fn build_orders(
        &self,
        rng: &mut Rng,
        profile: &CustomerProfile,
        weeks: &[f64],
    ) -> Vec<GeneratedOrder<'g>> {
        let model = &self.config.model;
        let spend_rate = rng.gamma(model.q, 1.0 / model.gamma);
        let mut orders = Vec::with_capacity(weeks.len() + 1);
        for (seq, week) in weeks.iter().enumerate() {
            let ordered_at = self.local_time_in_day(rng, *week, profile.utc_offset_hours);
            let target_cents = rng.gamma(model.p, 1.0 / spend_rate.max(1e-9)) * 100.0;
            let coupon = self.draw_coupon(rng, seq == 0);
            let lines = self.draw_lines(rng, &profile.favourite_categories, target_cents, coupon.1);
            let order = GeneratedOrder {
                order_id: format!(
                    "o{:0width$}-{}",
                    profile.index + 1,
                    seq + 1,
                    width = self.customer_id_width
                ),
                customer_id: Some(profile.id.clone()),
                email: Some(profile.email.clone()),
                ordered_at,
                status: OrderStatus::Completed,
                coupon: coupon.0,
                lines,
            };
            if rng.chance(self.config.refund_share)
                && let Some(refund) = self.draw_refund(rng, &order)
            {
                orders.push(refund);
            }
            orders.push(order);
        }
        orders.sort_by(|left, right| {
            left.ordered_at
                .cmp(&right.ordered_at)
                .then(left.order_id.cmp(&right.order_id))
        });
        orders
    }

    /// Guest orders drawn alongside a customer with `n_orders` orders, so guests are about
    /// `guest_order_share` of all orders.
    pub(crate) fn build_guest_orders(
        &self,
        rng: &mut Rng,
        profile: &CustomerProfile,
        n_orders: usize,
    ) -> Vec<GeneratedOrder<'g>> {
        let share = self.config.guest_order_share.clamp(0.0, 0.99);
        let mean = n_orders as f64 * share / (1.0 - share);
        let count = rng.poisson(mean);
        let model = &self.config.model;
        let mut guests = Vec::new();
        for seq in 0..count {
            let week = rng.unit() * f64::from(self.config.weeks);
            let spend_rate = rng.gamma(model.q, 1.0 / model.gamma);
            let target_cents = rng.gamma(model.p, 1.0 / spend_rate.max(1e-9)) * 100.0;
            let favourite = [rng.below(self.config.categories.len() as u64) as usize];
            guests.push(GeneratedOrder {
                order_id: format!(
                    "g{:0width$}-{}",
                    profile.index + 1,
                    seq + 1,
                    width = self.customer_id_width
                ),
                customer_id: None,
                email: None,
                ordered_at: self.local_time_in_day(rng, week, profile.utc_offset_hours),
                status: OrderStatus::Completed,
                coupon: None,
                lines: self.draw_lines(rng, &favourite, target_cents, 0),
            });
        }
        guests
    }

    /// A time on the day of `week` at an hour from the daily shopping curve, inside the window
    /// and after its first day (so the browsing session before an order is inside too).
    fn local_time_in_day(&self, rng: &mut Rng, week: f64, utc_offset_hours: i64) -> Millis {
        let (start, end) = self.config.window();
        let day_start = start + (week * 7.0).floor() as i64 * DAY_MILLIS;
        let local_hour = rng.weighted_index(&HOUR_WEIGHTS) as i64;
        let within_hour = rng.below(3_600_000) as i64;
        let at = day_start + (local_hour - utc_offset_hours) * 3_600_000 + within_hour;
        let inside = if at < start + DAY_MILLIS {
            at + DAY_MILLIS
        } else if at >= end {
            at - DAY_MILLIS
        } else {
            at
        };
        inside.clamp(start, end - 1)
    }

    /// `(code, percent off)`: a welcome coupon on some first orders, others on a share of repeats.
    fn draw_coupon(&self, rng: &mut Rng, first_order: bool) -> (Option<&'static str>, i64) {
        if first_order && rng.chance(0.25) {
            return (Some(WELCOME_COUPON.0), WELCOME_COUPON.1);
        }
        if !first_order && rng.chance(self.config.coupon_share) {
            let (code, percent) = *rng.pick(COUPONS);
            return (Some(code), percent);
        }
        (None, 0)
    }

    /// `1 + Poisson(1)` distinct lines; each product is the candidate (of five drawn by popularity,
    /// mostly from favourite categories) whose price is closest to the per-line target.
    fn draw_lines(
        &self,
        rng: &mut Rng,
        favourites: &[usize],
        target_cents: f64,
        percent_off: i64,
    ) -> Vec<GeneratedLine<'g>> {
        let n_lines = 1 + rng.poisson(1.0) as usize;
        let per_line_target = (target_cents / (n_lines as f64 * MEAN_QUANTITY)).max(50.0);
        let mut lines: Vec<GeneratedLine<'g>> = Vec::with_capacity(n_lines);
        for _ in 0..n_lines {
            let product_idx = self.draw_product_near(rng, favourites, per_line_target);
            let product = &self.catalogue.products[product_idx as usize];
            let quantity = 1 + rng.weighted_index(&[0.86, 0.1, 0.04]) as i64;
            if let Some(existing) = lines.iter_mut().find(|line| line.product.id == product.id) {
                existing.quantity += quantity;
                continue;
            }
            let unit_price_cents = product.price_cents * (100 - percent_off) / 100;
            lines.push(GeneratedLine {
                product,
                quantity,
                unit_price_cents,
            });
        }
        lines
    }

    fn draw_product_near(&self, rng: &mut Rng, favourites: &[usize], target_cents: f64) -> u32 {
        let mut best = 0;
        let mut best_distance = f64::INFINITY;
        for _ in 0..PRICE_CANDIDATES {
            let candidate = if favourites.is_empty() || rng.chance(0.3) {
                self.catalogue.draw_popular(rng)
            } else {
                self.catalogue.draw_in_category(*rng.pick(favourites), rng)
            };
            let price = self.catalogue.products[candidate as usize]
                .price_cents
                .max(1) as f64;
            let distance = (price / target_cents).ln().abs();
            if distance < best_distance {
                best = candidate;
                best_distance = distance;
            }
        }
        best
    }

    /// A refund 2 to 30 days later of one line (or, 30% of the time, all lines); none if after the window.
    fn draw_refund(&self, rng: &mut Rng, order: &GeneratedOrder<'g>) -> Option<GeneratedOrder<'g>> {
        let (_, end) = self.config.window();
        let refunded_at = order.ordered_at + rng.between(2 * DAY_MILLIS, 30 * DAY_MILLIS);
        if refunded_at >= end || order.lines.is_empty() {
            return None;
        }
        let whole_order = rng.chance(0.3);
        let chosen = rng.below(order.lines.len() as u64) as usize;
        let lines = order
            .lines
            .iter()
            .enumerate()
            .filter(|(line_idx, _)| whole_order || *line_idx == chosen)
            .map(|(_, line)| GeneratedLine {
                product: line.product,
                quantity: -line.quantity,
                ..line.clone()
            })
            .collect();
        Some(GeneratedOrder {
            order_id: format!("{}-R", order.order_id),
            customer_id: order.customer_id.clone(),
            email: order.email.clone(),
            ordered_at: refunded_at,
            status: OrderStatus::Refunded,
            coupon: None,
            lines,
        })
    }
}
