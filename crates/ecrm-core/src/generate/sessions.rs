//! Browsing sessions and service tickets as Segment messages: anonymous browsing before sign-up tied
//! by an `identify`, browse sessions (some abandoning a cart), purchase sessions ending in checkout.

use super::events::{
    CheckoutProperties, EventContext, EventProperties, IdentifyTraits, MessageType, PageProperties,
    ProductProperties, SearchProperties, SegmentEvent, TicketProperties, UtmCampaign,
};
use super::people::CustomerProfile;
use super::purchases::{GeneratedOrder, OrderContext, OrderStatus};
use super::random::Rng;
use crate::time::{DAY_MILLIS, Millis};

const CHANNELS: [&str; 3] = ["web", "app", "mini-program"];
const WEB_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1",
];
const APP_AGENTS: &[&str] = &[
    "ExampleShop/5.2.1 (iPhone; iOS 17.4)",
    "ExampleShop/5.2.0 (Android 14; Pixel 8)",
];
const MINI_PROGRAM_AGENTS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4) Mobile/15E148 MicroMessenger/8.0.47 miniProgram",
    "Mozilla/5.0 (Linux; Android 14) Mobile MicroMessenger/8.0.47 miniProgram",
];
const REFERRERS: &[&str] = &[
    "https://www.google.com/",
    "https://www.baidu.com/",
    "https://weibo.com/",
    "https://www.bing.com/",
];
const CAMPAIGNS: &[UtmCampaign] = &[
    UtmCampaign {
        source: "newsletter",
        medium: "email",
        name: "spring_sale",
    },
    UtmCampaign {
        source: "wechat",
        medium: "social",
        name: "double_11",
    },
    UtmCampaign {
        source: "google",
        medium: "cpc",
        name: "brand_search",
    },
    UtmCampaign {
        source: "xiaohongshu",
        medium: "social",
        name: "new_arrivals",
    },
];
const TICKET_CHANNELS: &[&str] = &["chat", "email", "phone", "social"];
const SHOP_URL: &str = "https://shop.example.com";

/// Builds the customer's messages, sorted by time, with message ids in that order.
pub(crate) fn build_events<'g>(
    ctx: &OrderContext<'g>,
    rng: &mut Rng,
    profile: &CustomerProfile,
    orders: &[GeneratedOrder<'g>],
) -> Vec<SegmentEvent<'g>> {
    let (start, end) = ctx.config.window();
    let mut builder = Builder {
        ctx,
        profile,
        events: Vec::new(),
        anonymous_id: None,
        preferred_channel: rng.weighted_index(&channel_weights(profile.country)),
    };
    if rng.chance(0.5) {
        builder.anonymous_id = Some(format!("anon-{:016x}", rng.next_u64()));
        for _ in 0..1 + rng.poisson(0.5) {
            let before = rng.between(DAY_MILLIS / 24, 10 * DAY_MILLIS);
            let session_at = (profile.signup_at - before).max(start);
            builder.browse_session(rng, session_at);
        }
        builder.identify();
    }
    let completed: Vec<&GeneratedOrder<'g>> = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Completed)
        .collect();
    for order in &completed {
        builder.purchase_session(rng, order);
    }
    let activity_end = match completed.last() {
        Some(last) => last.ordered_at + rng.exponential(1.0 / (42.0 * DAY_MILLIS as f64)) as i64,
        None => profile.signup_at + rng.exponential(1.0 / (56.0 * DAY_MILLIS as f64)) as i64,
    };
    let browse_mean = if completed.is_empty() {
        1.5
    } else {
        0.4 + 0.25 * completed.len() as f64
    };
    for _ in 0..rng.poisson(browse_mean) {
        let span = (activity_end.min(end) - profile.signup_at).max(1);
        let session_at = profile.signup_at + rng.below(span as u64) as i64;
        builder.browse_session(rng, session_at);
    }
    builder.maybe_ticket(rng, orders);
    let mut events = builder.events;
    events.retain(|event| event.timestamp >= start && event.timestamp < end);
    events.sort_by_key(|event| event.timestamp);
    for (seq, event) in events.iter_mut().enumerate() {
        event.message_id = format!("gen-{}-{}-{}", ctx.config.seed, profile.index, seq + 1);
    }
    events
}

fn channel_weights(country: &str) -> [f64; 3] {
    if country == "CN" {
        [0.35, 0.3, 0.35]
    } else {
        [0.6, 0.35, 0.05]
    }
}

struct Builder<'a, 'g> {
    ctx: &'a OrderContext<'g>,
    profile: &'a CustomerProfile,
    events: Vec<SegmentEvent<'g>>,
    anonymous_id: Option<String>,
    preferred_channel: usize,
}

impl<'g> Builder<'_, 'g> {
    fn currency(&self) -> &'g str {
        &self.ctx.config.currency
    }

    fn push(
        &mut self,
        at: Millis,
        kind: MessageType,
        event: Option<&'static str>,
        properties: EventProperties<'g>,
        context: EventContext,
    ) {
        let signed_in = self.anonymous_id.is_none() || at >= self.profile.signup_at;
        self.events.push(SegmentEvent {
            message_type: kind,
            event,
            name: None,
            message_id: String::new(),
            user_id: if signed_in {
                Some(self.profile.id.clone())
            } else {
                None
            },
            anonymous_id: self.anonymous_id.clone(),
            timestamp: at,
            properties: Some(properties),
            traits: None,
            context,
        });
    }

    fn identify(&mut self) {
        let profile = self.profile;
        self.events.push(SegmentEvent {
            message_type: MessageType::Identify,
            event: None,
            name: None,
            message_id: String::new(),
            user_id: Some(profile.id.clone()),
            anonymous_id: self.anonymous_id.clone(),
            timestamp: profile.signup_at,
            properties: None,
            traits: Some(IdentifyTraits {
                email: profile.email.clone(),
                name: profile.name(),
                phone: profile.phone.clone(),
                created_at: profile.signup_at,
            }),
            context: EventContext {
                channel: "web",
                user_agent: WEB_AGENTS[0],
                locale: profile.locale,
                campaign: None,
            },
        });
    }

    fn session_context(&self, rng: &mut Rng) -> EventContext {
        let channel_idx = if rng.chance(0.75) {
            self.preferred_channel
        } else {
            rng.below(3) as usize
        };
        let agents = match channel_idx {
            0 => WEB_AGENTS,
            1 => APP_AGENTS,
            _ => MINI_PROGRAM_AGENTS,
        };
        let campaign = if rng.chance(0.12) {
            Some(*rng.pick(CAMPAIGNS))
        } else {
            None
        };
        EventContext {
            channel: CHANNELS[channel_idx],
            user_agent: rng.pick_copy(agents),
            locale: self.profile.locale,
            campaign,
        }
    }

    /// A landing page (home or a category), maybe a search; returns the time after it.
    fn landing(
        &mut self,
        rng: &mut Rng,
        at: Millis,
        category_idx: usize,
        context: EventContext,
    ) -> Millis {
        let category = &self.ctx.config.categories[category_idx];
        let (page_name, path) = if rng.chance(0.3) {
            ("Home", "/".to_string())
        } else {
            ("Category", format!("/c/{}", category.name))
        };
        let referrer = if context.campaign.is_some() || rng.chance(0.4) {
            Some(*rng.pick(REFERRERS))
        } else {
            None
        };
        let dwell = 5 + rng.exponential(1.0 / 40.0) as u32;
        let page = PageProperties {
            url: format!("{SHOP_URL}{path}"),
            path,
            referrer,
            dwell_seconds: dwell,
        };
        self.push(
            at,
            MessageType::Page,
            None,
            EventProperties::Page(page),
            context,
        );
        if let Some(last) = self.events.last_mut() {
            last.name = Some(page_name);
        }
        let mut now = at + i64::from(dwell) * 1000;
        if rng.chance(0.25) {
            let noun = if category.nouns.is_empty() {
                category.name.clone()
            } else {
                rng.pick(&category.nouns).to_lowercase()
            };
            let search = SearchProperties { query: noun };
            self.push(
                now,
                MessageType::Track,
                Some("Products Searched"),
                EventProperties::Search(search),
                context,
            );
            now += rng.between(3_000, 20_000);
        }
        now
    }

    fn view_product(
        &mut self,
        rng: &mut Rng,
        at: Millis,
        product: &'g super::Product,
        context: EventContext,
    ) -> Millis {
        let properties = ProductProperties::of(product, None, Some(self.currency()));
        self.push(
            at,
            MessageType::Track,
            Some("Product Viewed"),
            EventProperties::Product(properties),
            context,
        );
        at + 5_000 + (rng.exponential(1.0 / 45.0) * 1000.0) as i64
    }

    fn browse_session(&mut self, rng: &mut Rng, at: Millis) {
        let context = self.session_context(rng);
        let favourites = &self.profile.favourite_categories;
        let category_idx = if !favourites.is_empty() && rng.chance(0.7) {
            *rng.pick(favourites)
        } else {
            rng.below(self.ctx.config.categories.len() as u64) as usize
        };
        let mut now = self.landing(rng, at, category_idx, context);
        let mut last_viewed = None;
        for _ in 0..1 + rng.poisson(0.6) {
            let product_idx = self.ctx.catalogue.draw_in_category(category_idx, rng);
            let product = &self.ctx.catalogue.products[product_idx as usize];
            now = self.view_product(rng, now, product, context);
            last_viewed = Some(product);
        }
        if let Some(product) = last_viewed.filter(|_| rng.chance(0.2)) {
            let properties = ProductProperties::of(product, Some(1), Some(self.currency()));
            self.push(
                now,
                MessageType::Track,
                Some("Product Added"),
                EventProperties::Product(properties),
                context,
            );
        }
    }

    fn purchase_session(&mut self, rng: &mut Rng, order: &GeneratedOrder<'g>) {
        let context = self.session_context(rng);
        let session_length = rng.between(60_000, 40 * 60_000);
        let mut now = order.ordered_at - session_length;
        let first_event = self.events.len();
        if rng.chance(0.35) {
            let category_idx = order
                .lines
                .first()
                .map_or(0, |line| line.product.category_idx);
            now = self.landing(rng, now, category_idx, context);
        }
        for line in &order.lines {
            if rng.chance(0.4) {
                now = self.view_product(rng, now, line.product, context);
            }
            let properties =
                ProductProperties::of(line.product, Some(line.quantity), Some(self.currency()));
            self.push(
                now,
                MessageType::Track,
                Some("Product Added"),
                EventProperties::Product(properties),
                context,
            );
            now += rng.between(2_000, 30_000);
        }
        let checkout = CheckoutProperties {
            order_id: order.order_id.clone(),
            value: order.total_cents() as f64 / 100.0,
            currency: self.currency(),
            coupon: order.coupon,
            products: order
                .lines
                .iter()
                .map(|line| ProductProperties::of(line.product, Some(line.quantity), None))
                .collect(),
        };
        let overflow = now - (order.ordered_at - 1_000);
        if overflow > 0 {
            self.shift_earlier(first_event, overflow);
        }
        self.push(
            now - overflow.max(0),
            MessageType::Track,
            Some("Checkout Started"),
            EventProperties::Checkout(checkout),
            context,
        );
    }

    /// Moves the events from `first_event` on earlier by `delta`, so a session ends before its order.
    fn shift_earlier(&mut self, first_event: usize, delta: Millis) {
        let anonymous_before_signup = self.anonymous_id.is_some();
        for event in &mut self.events[first_event..] {
            event.timestamp -= delta;
            if anonymous_before_signup && event.timestamp < self.profile.signup_at {
                event.user_id = None;
            }
        }
    }

    /// A service ticket for about `ticket_share` of customers (a fifth of those with a refund).
    fn maybe_ticket(&mut self, rng: &mut Rng, orders: &[GeneratedOrder<'g>]) {
        let refund = orders
            .iter()
            .find(|order| order.status == OrderStatus::Refunded);
        let chance = if refund.is_some() {
            0.2
        } else {
            self.ctx.config.ticket_share * 0.6
        };
        if !rng.chance(chance) {
            return;
        }
        let (topic, order, at) = match (refund, orders.is_empty()) {
            (Some(refund), _) => (
                "return",
                Some(refund),
                refund.ordered_at - rng.between(DAY_MILLIS / 2, 2 * DAY_MILLIS),
            ),
            (None, false) => {
                let order = rng.pick(orders);
                let topic =
                    ["delivery", "complaint", "question"][rng.weighted_index(&[0.45, 0.25, 0.3])];
                (
                    topic,
                    Some(order),
                    order.ordered_at + rng.between(DAY_MILLIS, 10 * DAY_MILLIS),
                )
            }
            (None, true) => (
                "question",
                None,
                self.profile.signup_at + rng.between(DAY_MILLIS, 30 * DAY_MILLIS),
            ),
        };
        let order_id = order.map(|order| order.order_id.trim_end_matches("-R").to_string());
        let ticket = TicketProperties {
            ticket_id: format!(
                "t{:0width$}-1",
                self.profile.index + 1,
                width = self.ctx.customer_id_width
            ),
            channel: rng.pick_copy(TICKET_CHANNELS),
            topic,
            order_id,
        };
        let context = EventContext {
            channel: "service",
            user_agent: "ecrm-generator/1",
            locale: self.profile.locale,
            campaign: None,
        };
        self.push(
            at,
            MessageType::Track,
            Some("Ticket Opened"),
            EventProperties::Ticket(ticket),
            context,
        );
    }
}
