//! The synthetic catalogue: categories, products with brands and prices, and Zipf popularity.

use serde::Serialize;

use super::random::{CumulativeTable, Rng};

/// One category of the synthetic store and how its products look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategorySpec {
    /// The category's name as written in files and paths (`shoes`, `home`).
    pub name: String,
    /// Relative share of the catalogue (and of the customers who favour it).
    pub weight: f64,
    /// Median price in cents.
    pub median_price_cents: i64,
    /// Spread of prices: the sigma of the log-normal around the median.
    pub price_sigma: f64,
    /// Brands sold in this category.
    pub brands: Vec<String>,
    /// Product nouns (`Running Shoes`), combined with an adjective and a variant into names.
    pub nouns: Vec<String>,
    /// Variants (`Black`, `500 g`), appended to names.
    pub variants: Vec<String>,
}

/// One product of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// Zero-padded id, `p00001`.
    pub id: String,
    /// Adjective, noun and variant, e.g. `Lightweight Running Shoes - Navy`.
    pub name: String,
    /// Index into [`super::GeneratorConfig::categories`].
    pub category_idx: usize,
    /// The category's name.
    pub category: String,
    /// The brand.
    pub brand: String,
    /// List price in cents, ending in .99 or .00.
    pub price_cents: i64,
    /// Popularity rank in the whole catalogue, 1 = best seller (Zipf weight `1 / rank^s`).
    pub popularity_rank: u32,
}

/// The catalogue and the popularity tables used to draw products.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub(crate) products: Vec<Product>,
    pub(crate) overall: CumulativeTable,
    /// Per category: the product indices and their Zipf table.
    pub(crate) by_category: Vec<(Vec<u32>, CumulativeTable)>,
}

/// The Zipf exponent of product popularity.
pub const ZIPF_EXPONENT: f64 = 1.05;

const ADJECTIVES: &[&str] = &[
    "Classic",
    "Everyday",
    "Premium",
    "Lightweight",
    "Vintage",
    "Urban",
    "Cozy",
    "Essential",
    "Pro",
    "Eco",
    "Deluxe",
    "Compact",
    "Signature",
    "Smart",
    "Soft",
    "Active",
];

impl Catalogue {
    /// Builds `n_products` products spread over the categories by weight (at least one each).
    pub(crate) fn build(categories: &[CategorySpec], n_products: u32, rng: &mut Rng) -> Catalogue {
        let n_products = n_products.max(categories.len() as u32);
        let id_width = digits(u64::from(n_products)).max(5);
        let total_weight: f64 = categories.iter().map(|cat| cat.weight).sum();
        let mut products = Vec::with_capacity(n_products as usize);
        for (category_idx, spec) in categories.iter().enumerate() {
            let share = if total_weight > 0.0 {
                spec.weight / total_weight
            } else {
                0.0
            };
            let remaining_categories = (categories.len() - category_idx - 1) as u32;
            let budget = n_products.saturating_sub(products.len() as u32 + remaining_categories);
            let count = if remaining_categories == 0 {
                budget
            } else {
                ((f64::from(n_products) * share).round() as u32).clamp(1, budget.max(1))
            };
            for _ in 0..count {
                let number = products.len() + 1;
                products.push(make_product(
                    spec,
                    category_idx,
                    format!("p{number:0id_width$}"),
                    rng,
                ));
            }
        }
        let mut ranks: Vec<u32> = (1..=products.len() as u32).collect();
        shuffle(&mut ranks, rng);
        for (product, rank) in products.iter_mut().zip(&ranks) {
            product.popularity_rank = *rank;
        }
        let overall = CumulativeTable::zipf(&ranks, ZIPF_EXPONENT);
        let mut by_category = Vec::with_capacity(categories.len());
        for category_idx in 0..categories.len() {
            let members: Vec<u32> = (0..products.len() as u32)
                .filter(|idx| products[*idx as usize].category_idx == category_idx)
                .collect();
            let member_ranks: Vec<u32> = members
                .iter()
                .map(|idx| products[*idx as usize].popularity_rank)
                .collect();
            by_category.push((members, CumulativeTable::zipf(&member_ranks, ZIPF_EXPONENT)));
        }
        Catalogue {
            products,
            overall,
            by_category,
        }
    }

    /// Draws a product index by catalogue-wide popularity.
    pub(crate) fn draw_popular(&self, rng: &mut Rng) -> u32 {
        self.overall.sample(rng) as u32
    }

    /// Draws a product index of one category by popularity within it.
    pub(crate) fn draw_in_category(&self, category_idx: usize, rng: &mut Rng) -> u32 {
        match self.by_category.get(category_idx) {
            Some((members, table)) if !members.is_empty() => members[table.sample(rng)],
            _ => self.draw_popular(rng),
        }
    }
}

/// The number of decimal digits of `n` (1 for 0).
pub(crate) fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Fisher-Yates shuffle.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for idx in (1..items.len()).rev() {
        let other = rng.below(idx as u64 + 1) as usize;
        items.swap(idx, other);
    }
}

fn make_product(spec: &CategorySpec, category_idx: usize, id: String, rng: &mut Rng) -> Product {
    let adjective = rng.pick(ADJECTIVES);
    let noun = pick_or(&spec.nouns, rng, "Item");
    let variant = pick_or(&spec.variants, rng, "");
    let name = if variant.is_empty() {
        format!("{adjective} {noun}")
    } else {
        format!("{adjective} {noun} - {variant}")
    };
    let raw_cents = spec.median_price_cents as f64 * rng.log_normal_factor(spec.price_sigma);
    Product {
        id,
        name,
        category_idx,
        category: spec.name.clone(),
        brand: pick_or(&spec.brands, rng, "Generic").to_string(),
        price_cents: round_price(raw_cents, rng),
        popularity_rank: 0,
    }
}

fn pick_or<'a>(items: &'a [String], rng: &mut Rng, fallback: &'a str) -> &'a str {
    if items.is_empty() {
        return fallback;
    }
    rng.pick(items).as_str()
}

/// Rounds to a shop price: below $20 always `x.99`, above either `x.99` or `x.00`; at least $0.99.
fn round_price(raw_cents: f64, rng: &mut Rng) -> i64 {
    let dollars = (raw_cents / 100.0).floor().max(0.0) as i64;
    if dollars < 20 || rng.chance(0.6) {
        return dollars * 100 + 99;
    }
    dollars * 100
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_string()).collect()
}

/// One row of the standard category table: name, weight, median price in dollars, sigma, brands, nouns, variants.
type CategoryRow = (
    &'static str,
    f64,
    i64,
    f64,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const COLOURS: &[&str] = &[
    "Black", "White", "Navy", "Red", "Grey", "Sand", "Olive", "Rose",
];

const STANDARD: &[CategoryRow] = &[
    (
        "apparel",
        1.6,
        32,
        0.55,
        &["Northwind", "Lumen & Co", "Harbor Lane", "Kinfolk"],
        &[
            "T-Shirt", "Hoodie", "Jeans", "Dress", "Jacket", "Sweater", "Shorts", "Shirt",
        ],
        COLOURS,
    ),
    (
        "shoes",
        1.0,
        65,
        0.5,
        &["Stride", "Peakform", "Old Mill", "Fleetfoot"],
        &[
            "Running Shoes",
            "Sneakers",
            "Loafers",
            "Boots",
            "Sandals",
            "Slippers",
            "Trail Runners",
            "High-Tops",
        ],
        COLOURS,
    ),
    (
        "beauty",
        1.2,
        18,
        0.6,
        &["Glowlab", "Petal", "Aurora Skin", "Maison Belle"],
        &[
            "Face Serum",
            "Moisturiser",
            "Lipstick",
            "Sunscreen",
            "Shampoo",
            "Face Mask",
            "Eye Cream",
            "Perfume",
        ],
        &["30 ml", "50 ml", "100 ml", "Travel Size", "Refill"],
    ),
    (
        "electronics",
        0.9,
        59,
        0.9,
        &["Voltway", "Nimbus", "Arcline", "Kestrel"],
        &[
            "Earbuds",
            "Power Bank",
            "Smart Watch",
            "Charger",
            "Speaker",
            "Keyboard",
            "Webcam",
            "Headphones",
        ],
        &["Black", "White", "Silver", "2-Pack", "Gen 2"],
    ),
    (
        "home",
        1.0,
        28,
        0.7,
        &["Hearth", "Linen Row", "Casa Verde", "Nook"],
        &[
            "Throw Blanket",
            "Cushion",
            "Table Lamp",
            "Vase",
            "Curtains",
            "Rug",
            "Candle",
            "Storage Box",
        ],
        COLOURS,
    ),
    (
        "kitchen",
        0.9,
        22,
        0.65,
        &["Copperleaf", "Chef's Table", "Basil", "Ironside"],
        &[
            "Frying Pan",
            "Knife Set",
            "Mug",
            "Cutting Board",
            "Kettle",
            "Food Container",
            "Teapot",
            "Mixing Bowl",
        ],
        &["Small", "Medium", "Large", "Set of 2", "Set of 4"],
    ),
    (
        "books",
        0.8,
        14,
        0.4,
        &["Riverside Press", "Lantern Books", "Paper Crane"],
        &[
            "Cookbook",
            "Novel",
            "Travel Guide",
            "Picture Book",
            "Biography",
            "Workbook",
            "Poetry Collection",
        ],
        &["Paperback", "Hardcover", "Illustrated Edition"],
    ),
    (
        "toys",
        0.7,
        20,
        0.6,
        &["Playwell", "Tiny Tribe", "Brick & Bolt"],
        &[
            "Building Set",
            "Plush Bear",
            "Puzzle",
            "Toy Car",
            "Board Game",
            "Doll",
            "Craft Kit",
        ],
        &["Ages 3+", "Ages 6+", "Ages 8+", "Deluxe Box"],
    ),
    (
        "sports",
        0.7,
        30,
        0.7,
        &["Summit", "Corepower", "Tidewater"],
        &[
            "Yoga Mat",
            "Water Bottle",
            "Dumbbells",
            "Resistance Bands",
            "Backpack",
            "Jump Rope",
            "Cycling Gloves",
        ],
        COLOURS,
    ),
    (
        "grocery",
        0.8,
        7,
        0.5,
        &["Green Valley", "Harvest Table", "Daily Pantry"],
        &[
            "Green Tea",
            "Coffee Beans",
            "Olive Oil",
            "Granola",
            "Dark Chocolate",
            "Rice Noodles",
            "Honey",
            "Almonds",
        ],
        &["250 g", "500 g", "1 kg", "Family Pack"],
    ),
    (
        "jewelry",
        0.4,
        45,
        0.8,
        &["Aurelia", "Silver Fern", "Opaline"],
        &[
            "Necklace", "Earrings", "Bracelet", "Ring", "Pendant", "Anklet",
        ],
        &["Sterling Silver", "Gold Plated", "Rose Gold", "Pearl"],
    ),
    (
        "pet",
        0.5,
        16,
        0.6,
        &["Pawsome", "Whisker Co", "Good Boy"],
        &[
            "Dog Food",
            "Cat Litter",
            "Chew Toy",
            "Pet Bed",
            "Leash",
            "Cat Tree",
            "Treats",
        ],
        &["Small", "Medium", "Large", "2 kg", "5 kg"],
    ),
];

/// The twelve standard categories of the synthetic store.
pub fn standard_categories() -> Vec<CategorySpec> {
    STANDARD
        .iter()
        .map(
            |(name, weight, median_dollars, sigma, brands, nouns, variants)| CategorySpec {
                name: (*name).to_string(),
                weight: *weight,
                median_price_cents: median_dollars * 100,
                price_sigma: *sigma,
                brands: strings(brands),
                nouns: strings(nouns),
                variants: strings(variants),
            },
        )
        .collect()
}
