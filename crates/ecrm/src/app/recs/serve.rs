//! Serving: a customer's recommendations and a product's similar items, from the latest stored
//! model, with the business rules applied at request time and a reason on every item.
//!
//! Rules: only active, in-stock products (a product absent from the catalogue is allowed); banned
//! products never; nothing the customer bought in the last `recent_days` unless its category is
//! replenishable; at most `per_category` items per category; pinned products first.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use ecrm_core::recommend::models::decay;
use ecrm_core::time::{DAY_MILLIS, Millis};
use ecrm_store::{RecsProduct, Store};
use serde::Serialize;

use super::RecsParams;
use super::model::{KIND, TrainedModel, decode};
use crate::app::AppError;

/// Business rules applied at serving time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingRules {
    /// The most items one request may ask for.
    pub max_n: usize,
    /// The most items of one category in a list.
    pub per_category: usize,
    /// Products bought within this many days are not recommended again...
    pub recent_days: i64,
    /// ...unless their category is one of these.
    pub replenishable: HashSet<String>,
    /// Products shown first, when allowed.
    pub pinned: Vec<String>,
    /// Products never shown.
    pub banned: HashSet<String>,
}

impl ServingRules {
    /// Defaults (n ≤ 100, 3 per category, 90 days), with the lists from `ECRM_RECS_PINNED`,
    /// `ECRM_RECS_BANNED` and `ECRM_RECS_REPLENISHABLE` (comma-separated) when `env` has them.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> ServingRules {
        let list = |name: &str| -> Vec<String> {
            env(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        ServingRules {
            max_n: 100,
            per_category: 3,
            recent_days: 90,
            replenishable: list("ECRM_RECS_REPLENISHABLE").into_iter().collect(),
            pinned: list("ECRM_RECS_PINNED"),
            banned: list("ECRM_RECS_BANNED").into_iter().collect(),
        }
    }
}

/// One recommended product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecItem {
    /// The product's id.
    pub product_id: String,
    /// Its name, when the catalogue or the orders know it.
    pub name: Option<String>,
    /// Its category.
    pub category: Option<String>,
    /// The blended score (comparable within one list only).
    pub score: f32,
    /// Why it is recommended.
    pub reason: String,
}

/// A list of recommendations and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecList {
    /// `personalised`, or `popularity` for customers the model does not know.
    pub strategy: &'static str,
    /// The model version used.
    pub model_version: i64,
    /// The items, best first.
    pub items: Vec<RecItem>,
}

/// A loaded model with its catalogue view.
pub struct Serving {
    version: i64,
    model: TrainedModel,
    item_index: HashMap<String, u32>,
    catalogue: HashMap<String, RecsProduct>,
    rules: ServingRules,
}

/// The latest model, loaded once per process on first use (or by [`RecsCache::warm_up`]).
#[derive(Clone, Default)]
pub struct RecsCache {
    loaded: Arc<RwLock<Option<Arc<Serving>>>>,
    warming: Arc<std::sync::atomic::AtomicBool>,
}

impl RecsCache {
    /// Loads the latest model now (`ecrm serve` does it on a thread at start); while it loads,
    /// [`RecsCache::is_warming`] says so, and pages that must not wait can leave the model out.
    pub fn warm_up(&self, store: &dyn Store, rules: &ServingRules) -> Result<(), AppError> {
        use std::sync::atomic::Ordering;
        self.warming.store(true, Ordering::SeqCst);
        let loaded = self.get(store, rules);
        self.warming.store(false, Ordering::SeqCst);
        loaded.map(|_| ())
    }

    /// Whether [`RecsCache::warm_up`] is loading the model and none is loaded yet.
    pub fn is_warming(&self) -> bool {
        let loaded = match self.loaded.read() {
            Ok(guard) => guard.is_some(),
            Err(_) => true,
        };
        !loaded && self.warming.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The loaded model, loading the latest stored one when none is loaded yet.
    pub fn get(&self, store: &dyn Store, rules: &ServingRules) -> Result<Arc<Serving>, AppError> {
        if let Ok(guard) = self.loaded.read()
            && let Some(serving) = guard.as_ref()
        {
            return Ok(serving.clone());
        }
        let serving = Arc::new(Serving::load(store, rules.clone())?);
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some(serving.clone());
        }
        Ok(serving)
    }
}

impl RecsCache {
    /// Serves `serving` from now on (a retrained version).
    pub fn replace(&self, serving: Arc<Serving>) {
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some(serving);
        }
    }
}

impl Serving {
    /// Loads the latest stored model and the catalogue.
    pub fn load(store: &dyn Store, rules: ServingRules) -> Result<Serving, AppError> {
        let record = store.latest_recs_model(KIND)?.ok_or_else(|| {
            AppError::NotFound("recommendation model (run `ecrm recs train`)".to_string())
        })?;
        let model = decode(&record.payload)?;
        let item_index = model
            .items
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let catalogue = store
            .recs_products()?
            .into_iter()
            .map(|p| (p.product_id.clone(), p))
            .collect();
        Ok(Serving {
            version: record.id,
            model,
            item_index,
            catalogue,
            rules,
        })
    }

    /// The rules in force.
    pub fn rules(&self) -> &ServingRules {
        &self.rules
    }

    /// Recommendations for a customer (`None`: not a known customer), filtered by `category`.
    pub fn for_customer(
        &self,
        store: &dyn Store,
        customer_id: Option<&str>,
        n: usize,
        category: Option<&str>,
        now: Millis,
    ) -> Result<RecList, AppError> {
        let mut bought: HashMap<u32, Millis> = HashMap::new();
        let mut recent: HashSet<String> = HashSet::new();
        if let Some(id) = customer_id {
            store.recs_order_lines(Some(id), &mut |line| {
                if line.ordered_at >= now - self.rules.recent_days * DAY_MILLIS {
                    recent.insert(line.product_id.to_string());
                }
                if let Some(&i) = self.item_index.get(line.product_id) {
                    let at = bought.entry(i).or_insert(line.ordered_at);
                    *at = (*at).max(line.ordered_at);
                }
                Ok(())
            })?;
        }
        let m = &self.model;
        let user = customer_id.and_then(|id| {
            m.users
                .binary_search_by(|u| u.as_bytes().cmp(id.as_bytes()))
                .ok()
        });
        let personal = user.is_some() || !bought.is_empty();
        let items = m.items.len();
        let mut scores = vec![0f32; items];
        let mut knn = vec![0f32; items];
        if personal {
            let blend = RecsParams::standard(1);
            let latest = bought.values().copied().max().unwrap_or(0);
            for (&i, &at) in &bought {
                let w = decay(latest - at, blend.half_life_days) as f32;
                let (js, sims) = m.neighbours.of(i as usize);
                for (&j, &s) in js.iter().zip(sims) {
                    knn[j as usize] += w * s;
                }
            }
            let mut als = vec![0f32; items];
            if let Some(u) = user {
                m.als.score_items(m.als.user(u), &mut als);
            }
            add_scaled(&mut scores, &als, blend.blend_als);
            add_scaled(&mut scores, &knn, blend.blend_knn);
            add_scaled(&mut scores, &m.trending, blend.blend_trend);
        } else {
            add_scaled(&mut scores, &m.popularity, 1.0);
        }
        let mut order: Vec<u32> = (0..items as u32).collect();
        order.sort_unstable_by(|a, b| {
            scores[*b as usize]
                .total_cmp(&scores[*a as usize])
                .then(a.cmp(b))
        });
        let blocked = |product: &str| {
            recent.contains(product)
                && !self
                    .category_of(product)
                    .is_some_and(|c| self.rules.replenishable.contains(c))
        };
        let mut list = Vec::new();
        let mut per_category: HashMap<String, usize> = HashMap::new();
        let pinned = self
            .rules
            .pinned
            .iter()
            .map(|p| (p.as_str(), f32::INFINITY));
        let ranked = order
            .iter()
            .map(|&i| (m.items[i as usize].as_str(), scores[i as usize]));
        for (product, score) in pinned.chain(ranked) {
            if list.len() >= n {
                break;
            }
            if !self.allowed(product)
                || blocked(product)
                || list.iter().any(|r: &RecItem| r.product_id == product)
            {
                continue;
            }
            let cat = self.category_of(product);
            if category.is_some_and(|want| cat != Some(want)) {
                continue;
            }
            let used = per_category
                .entry(cat.unwrap_or("").to_string())
                .or_insert(0);
            if cat.is_some() && *used >= self.rules.per_category {
                continue;
            }
            *used += 1;
            let reason = match (score.is_infinite(), personal) {
                (true, _) => "pinned".to_string(),
                (false, true) => self.reason(product, &bought, &knn, cat),
                (false, false) => match cat {
                    Some(c) => format!("popular in {c}"),
                    None => "popular with customers".to_string(),
                },
            };
            list.push(self.item(product, if score.is_finite() { score } else { 0.0 }, reason));
        }
        let strategy = if personal {
            "personalised"
        } else {
            "popularity"
        };
        Ok(RecList {
            strategy,
            model_version: self.version,
            items: list,
        })
    }

    /// Products similar to `product_id` ("customers who bought this also bought"); `NotFound`
    /// when neither the model nor the catalogue knows it.
    pub fn similar(&self, product_id: &str, n: usize) -> Result<RecList, AppError> {
        let Some(&i) = self.item_index.get(product_id) else {
            if self.catalogue.contains_key(product_id) {
                return Ok(self.trending_like(product_id, n));
            }
            return Err(AppError::NotFound(format!("product {product_id}")));
        };
        let name = self.name_of(product_id);
        let (js, sims) = self.model.neighbours.of(i as usize);
        let items = js
            .iter()
            .zip(sims)
            .map(|(&j, &s)| (self.model.items[j as usize].as_str(), s))
            .filter(|(p, _)| self.allowed(p))
            .take(n)
            .map(|(p, s)| self.item(p, s, format!("bought together with {name}")))
            .collect();
        Ok(RecList {
            strategy: "item_to_item",
            model_version: self.version,
            items,
        })
    }

    /// A new product (in the catalogue, not yet in the model): what trends in its category.
    fn trending_like(&self, product_id: &str, n: usize) -> RecList {
        let category = self.category_of(product_id);
        let m = &self.model;
        let mut order: Vec<usize> = (0..m.items.len()).collect();
        order.sort_unstable_by(|a, b| m.trending[*b].total_cmp(&m.trending[*a]).then(a.cmp(b)));
        let items = order
            .into_iter()
            .map(|i| (m.items[i].as_str(), m.trending[i]))
            .filter(|(p, s)| *s > 0.0 && *p != product_id && self.allowed(p))
            .filter(|(p, _)| category.is_none() || self.category_of(p) == category)
            .take(n)
            .map(|(p, s)| {
                let reason = match category {
                    Some(c) => format!("trending in {c}"),
                    None => "trending now".to_string(),
                };
                self.item(p, s, reason)
            })
            .collect();
        RecList {
            strategy: "trending",
            model_version: self.version,
            items,
        }
    }

    fn allowed(&self, product: &str) -> bool {
        !self.rules.banned.contains(product)
            && self
                .catalogue
                .get(product)
                .is_none_or(|p| p.active && p.in_stock)
    }

    fn category_of(&self, product: &str) -> Option<&str> {
        self.catalogue
            .get(product)
            .and_then(|p| p.category.as_deref())
    }

    fn name_of(&self, product: &str) -> String {
        self.catalogue
            .get(product)
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| product.to_string())
    }

    fn item(&self, product: &str, score: f32, reason: String) -> RecItem {
        let known = self.catalogue.get(product);
        RecItem {
            product_id: product.to_string(),
            name: known.and_then(|p| p.name.clone()),
            category: known.and_then(|p| p.category.clone()),
            score,
            reason,
        }
    }

    /// "because you bought X" (the history item that adds most to the item-to-item score), else
    /// "popular in C, which you buy" or "matches your purchase history".
    fn reason(
        &self,
        product: &str,
        bought: &HashMap<u32, Millis>,
        knn: &[f32],
        cat: Option<&str>,
    ) -> String {
        let Some(&j) = self.item_index.get(product) else {
            return "matches your purchase history".to_string();
        };
        if knn[j as usize] > 0.0 {
            let mut best: Option<(f32, u32)> = None;
            for &i in bought.keys() {
                let (js, sims) = self.model.neighbours.of(i as usize);
                if let Some(at) = js.iter().position(|&x| x == j)
                    && best.is_none_or(|(s, b)| sims[at] > s || (sims[at] == s && i < b))
                {
                    best = Some((sims[at], i));
                }
            }
            if let Some((_, i)) = best {
                return format!(
                    "because you bought {}",
                    self.name_of(&self.model.items[i as usize])
                );
            }
        }
        match cat {
            Some(c)
                if bought
                    .keys()
                    .any(|&i| self.category_of(&self.model.items[i as usize]) == Some(c)) =>
            {
                format!("popular in {c}, which you buy")
            }
            _ => "matches your purchase history".to_string(),
        }
    }
}

/// `out += weight × part / max(part)` (nothing when the part is all zero or negative).
fn add_scaled(out: &mut [f32], part: &[f32], weight: f32) {
    let max = part.iter().copied().fold(0f32, f32::max);
    if max > 0.0 {
        let scale = weight / max;
        out.iter_mut().zip(part).for_each(|(o, p)| *o += scale * p);
    }
}
