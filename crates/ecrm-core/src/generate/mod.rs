//! The seeded synthetic store generator (pure: a seed in, records out).
//!
//! [`Generator::new`] builds the catalogue once; [`Generator::customers`] then streams customers one
//! at a time, each with its profile, orders (refunds as separate `-R` orders), a share of guest orders
//! and its Segment-format events. Nothing holds all customers: each customer is drawn from its own
//! random stream seeded by `(seed, customer index)`, so customers can be generated in any order or in
//! parallel and the same config always gives byte-identical output.
//!
//! The model:
//! - Purchasing is BG/NBD (Fader, Hardie and Lee 2005): a buyer's weekly purchase rate is
//!   `λ ~ Gamma(r, α)`; the first purchase is uniform over the window (`acquisition_share`), repeat
//!   purchases follow a Poisson process with rate `λ`, and after each repeat purchase the buyer drops
//!   out for good with probability `p ~ Beta(a, b)`. A share of customers are prospects who sign up
//!   and browse but never buy.
//! - Order values are Gamma-Gamma-like: a customer's spend rate is `ν ~ Gamma(q, γ)` and each order
//!   targets a value `z ~ Gamma(p, ν)`, realised as `1 + Poisson(1)` lines whose products are drawn by
//!   Zipf popularity, mostly from the customer's favourite categories, preferring prices near `z / lines`.
//! - Browsing produces sessions (more around purchases) of `page`, `Product Viewed`,
//!   `Products Searched`, `Product Added` and `Checkout Started` events; half the customers browse
//!   anonymously before signing up and are then tied to their user id by an `identify`.

mod catalogue;
mod events;
mod people;
mod purchases;
pub mod random;
mod sessions;
#[cfg(test)]
mod tests;

use crate::time::{DAY_MILLIS, Millis};

pub use catalogue::{CategorySpec, Product, ZIPF_EXPONENT, standard_categories};
pub use events::{
    CheckoutProperties, EventContext, EventProperties, IdentifyTraits, MessageType, PageProperties,
    ProductProperties, SearchProperties, SegmentEvent, TicketProperties, UtmCampaign,
    format_timestamp,
};
pub use people::CustomerProfile;
pub use purchases::{GeneratedLine, GeneratedOrder, OrderStatus};

use catalogue::{Catalogue, digits};
use random::Rng;

/// The published BG/NBD and Gamma-Gamma parameters that drive purchasing.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PurchaseModel {
    /// BG/NBD shape of the purchase-rate Gamma.
    pub r: f64,
    /// BG/NBD rate of the purchase-rate Gamma (per week).
    pub alpha: f64,
    /// BG/NBD first shape of the drop-out Beta.
    pub a: f64,
    /// BG/NBD second shape of the drop-out Beta.
    pub b: f64,
    /// Gamma-Gamma shape of an order's value.
    pub p: f64,
    /// Gamma-Gamma shape of a customer's spend rate.
    pub q: f64,
    /// Gamma-Gamma rate of a customer's spend rate (in currency units).
    pub gamma: f64,
}

impl PurchaseModel {
    /// The CDNOW estimates: BG/NBD from Fader, Hardie and Lee (2005a), Gamma-Gamma from (2005b).
    pub const CDNOW: PurchaseModel = PurchaseModel {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };
}

/// Everything that shapes a synthetic store. Build one with [`GeneratorConfig::standard`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GeneratorConfig {
    /// Number of registered customers (prospects included).
    pub customers: u64,
    /// The seed; the same config gives the same store.
    pub seed: u64,
    /// The day the observation window ends, in days since 1970-01-01: the window stops at the start
    /// of this day (UTC), so the last data falls on the day before and nothing lies after it.
    pub end_day: i64,
    /// Length of the observation window in weeks.
    pub weeks: u32,
    /// Number of products in the catalogue.
    pub products: u32,
    /// The categories of the catalogue.
    pub categories: Vec<CategorySpec>,
    /// ISO 4217 currency of all prices.
    pub currency: String,
    /// Purchasing and spend parameters.
    pub model: PurchaseModel,
    /// The share of the window, from its start, over which buyers' first orders fall: 1.0
    /// acquires customers evenly, so the last weeks have new customers (the standard store); 0.5
    /// is the CDNOW-like early cohort of earlier releases.
    pub acquisition_share: f64,
    /// Share of customers who never order.
    pub prospect_share: f64,
    /// Share of orders placed by guests without an account.
    pub guest_order_share: f64,
    /// Share of orders refunded later.
    pub refund_share: f64,
    /// Share of repeat orders that use a coupon (first orders use a welcome coupon more often).
    pub coupon_share: f64,
    /// Share of customers who open a service ticket.
    pub ticket_share: f64,
}

/// 2024-12-29 in days since the epoch: the end of the standard window (104 weeks from 2023-01-01).
pub const DEFAULT_END_DAY: i64 = 20_086;

/// Days between a window's end and the day birthdays are drawn back from (2024-06-30 for the
/// standard window), so customers' ages stay the same wherever the window ends.
const BIRTHDAY_REFERENCE_DAYS_BEFORE_END: i64 = 182;

impl GeneratorConfig {
    /// The standard store: 12 categories, 104 weeks from 2023-01-01 to 2024-12-28 (ending at
    /// [`DEFAULT_END_DAY`]; move it with [`GeneratorConfig::ending_on`]), USD, CDNOW parameters, and
    /// about 2,000 products at 20,000 customers (growing slowly with size, at most 20,000).
    pub fn standard(customers: u64, seed: u64) -> GeneratorConfig {
        let scale = (customers.max(1) as f64 / 20_000.0).powf(0.3);
        let products = (2_000.0 * scale).round().clamp(200.0, 20_000.0) as u32;
        GeneratorConfig {
            customers,
            seed,
            end_day: DEFAULT_END_DAY,
            weeks: 104,
            products,
            categories: standard_categories(),
            currency: "USD".to_string(),
            model: PurchaseModel::CDNOW,
            acquisition_share: 1.0,
            prospect_share: 0.10,
            guest_order_share: 0.02,
            refund_share: 0.03,
            coupon_share: 0.12,
            ticket_share: 0.03,
        }
    }

    /// The same store with its window ending at the start of `end_day` (days since 1970-01-01):
    /// every time moves by whole days, so the same seed and end day give the same records.
    pub fn ending_on(mut self, end_day: i64) -> GeneratorConfig {
        self.end_day = end_day;
        self
    }

    /// The window as `[start, end)` in UTC milliseconds.
    pub fn window(&self) -> (Millis, Millis) {
        let end = self.end_day * DAY_MILLIS;
        (end - i64::from(self.weeks) * 7 * DAY_MILLIS, end)
    }

    /// The day (since 1970-01-01) birthdays are counted back from.
    fn birthday_reference_day(&self) -> i64 {
        self.end_day - BIRTHDAY_REFERENCE_DAYS_BEFORE_END
    }
}

/// One generated customer with everything that happened to them in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCustomer<'g> {
    /// The customer's profile.
    pub profile: CustomerProfile,
    /// Orders and refund orders (`status = refunded`, id `<order_id>-R`), by time.
    pub orders: Vec<GeneratedOrder<'g>>,
    /// Guest orders (no customer) drawn in this customer's stream, so guests stream too.
    pub guest_orders: Vec<GeneratedOrder<'g>>,
    /// Segment messages (`identify`, `page`, `track`), by time.
    pub events: Vec<SegmentEvent<'g>>,
}

/// The generator: the catalogue, built once, and the config; customers are drawn on demand.
#[derive(Debug, Clone)]
pub struct Generator {
    config: GeneratorConfig,
    catalogue: Catalogue,
    customer_id_width: usize,
}

impl Generator {
    /// Builds the catalogue for `config`.
    pub fn new(config: GeneratorConfig) -> Generator {
        let mut rng = Rng::for_stream(config.seed, u64::MAX);
        let catalogue = Catalogue::build(&config.categories, config.products, &mut rng);
        let customer_id_width = digits(config.customers).max(7);
        Generator {
            config,
            catalogue,
            customer_id_width,
        }
    }

    /// The config this generator was built from.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The catalogue, ordered by product id.
    pub fn products(&self) -> &[Product] {
        &self.catalogue.products
    }

    /// All customers in index order, generated lazily one at a time.
    pub fn customers(&self) -> impl Iterator<Item = GeneratedCustomer<'_>> + '_ {
        (0..self.config.customers).map(move |customer_idx| self.customer(customer_idx))
    }

    /// The customer at `customer_idx` (0-based), independent of every other customer.
    pub fn customer(&self, customer_idx: u64) -> GeneratedCustomer<'_> {
        let mut rng = Rng::for_stream(self.config.seed, customer_idx);
        let number = customer_idx + 1;
        let id = format!("c{number:0width$}", width = self.customer_id_width);
        let birthday_reference = self.config.birthday_reference_day();
        let mut profile = people::draw_person(&mut rng, customer_idx, id, birthday_reference);
        profile.favourite_categories = self.draw_favourites(&mut rng);
        profile.is_prospect = rng.chance(self.config.prospect_share);
        let (start, end) = self.config.window();
        let purchase_weeks = if profile.is_prospect {
            Vec::new()
        } else {
            purchases::draw_purchase_weeks(
                &mut rng,
                &self.config.model,
                f64::from(self.config.weeks),
                self.config.acquisition_share,
            )
        };
        profile.signup_at = match purchase_weeks.first() {
            Some(first_week) => {
                let first_at = start + (first_week * 7.0 * DAY_MILLIS as f64) as i64;
                let lead = rng.exponential(1.0 / (4.0 * DAY_MILLIS as f64)) as i64;
                (first_at - lead).max(start)
            }
            None => start + rng.below((end - start) as u64 * 9 / 10) as i64,
        };
        let ctx = purchases::OrderContext {
            catalogue: &self.catalogue,
            config: &self.config,
            customer_id_width: self.customer_id_width,
        };
        let orders = ctx.build_orders(&mut rng, &profile, &purchase_weeks);
        let guest_orders = ctx.build_guest_orders(&mut rng, &profile, orders.len());
        let events = sessions::build_events(&ctx, &mut rng, &profile, &orders);
        GeneratedCustomer {
            profile,
            orders,
            guest_orders,
            events,
        }
    }

    fn draw_favourites(&self, rng: &mut Rng) -> Vec<usize> {
        let mut weights: Vec<f64> = self
            .config
            .categories
            .iter()
            .map(|cat| cat.weight)
            .collect();
        let wanted = 1 + rng.weighted_index(&[0.45, 0.35, 0.2]);
        let mut favourites = Vec::with_capacity(wanted);
        while favourites.len() < wanted && weights.iter().any(|weight| *weight > 0.0) {
            let category_idx = rng.weighted_index(&weights);
            weights[category_idx] = 0.0;
            favourites.push(category_idx);
        }
        favourites
    }
}
