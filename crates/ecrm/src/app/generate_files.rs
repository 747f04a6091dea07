//! Writes a seeded synthetic store to a directory: `customers.csv`, `products.csv`, `orders.csv`,
//! `events.jsonl` and `README.txt`, streaming customers through `ecrm_core::generate`.
//!
//! Customers are rendered in chunks on worker threads (one per core) and written in chunk order,
//! so the files are identical whatever the number of threads, and memory stays bounded.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use anyhow::Context;
use serde::Serialize;

use ecrm_core::generate::{
    GeneratedCustomer, GeneratedOrder, Generator, GeneratorConfig, OrderStatus, format_timestamp,
};

/// Header line of `customers.csv`.
pub const CUSTOMERS_HEADER: &str =
    "customer_id,email,phone,name,gender,birthday,country,city,signup_at";
/// Header line of `products.csv`.
pub const PRODUCTS_HEADER: &str = "product_id,name,category,brand,price,currency";
/// Header line of `orders.csv` (one row per order line).
pub const ORDERS_HEADER: &str = "order_id,customer_id,email,ordered_at,product_id,product_name,\
    category,quantity,unit_price,currency,status,coupon";

/// Customers per chunk handed to a worker thread.
const CHUNK_CUSTOMERS: u64 = 1_024;
/// Output buffer size per file.
const BUFFER_BYTES: usize = 1 << 20;

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GeneratedSummary {
    /// The seed the store was generated from.
    pub seed: u64,
    /// Registered customers (rows of customers.csv), prospects included.
    pub customers: u64,
    /// Customers who never ordered.
    pub prospects: u64,
    /// Customers with at least two orders.
    pub repeat_customers: u64,
    /// Completed orders, guest orders included, refunds excluded.
    pub orders: u64,
    /// Rows of orders.csv (order lines, refund lines included).
    pub order_lines: u64,
    /// Refund orders (`status = refunded`, id `<order_id>-R`).
    pub refunds: u64,
    /// Completed orders without a customer.
    pub guest_orders: u64,
    /// Lines of events.jsonl.
    pub events: u64,
    /// Rows of products.csv.
    pub products: u64,
}

impl GeneratedSummary {
    fn add(&mut self, other: &GeneratedSummary) {
        self.customers += other.customers;
        self.prospects += other.prospects;
        self.repeat_customers += other.repeat_customers;
        self.orders += other.orders;
        self.order_lines += other.order_lines;
        self.refunds += other.refunds;
        self.guest_orders += other.guest_orders;
        self.events += other.events;
    }
}

/// Generates the store described by `config` into `out_dir` (created if missing).
pub fn write_store(config: &GeneratorConfig, out_dir: &Path) -> anyhow::Result<GeneratedSummary> {
    write_store_with_progress(config, out_dir, |_| {})
}

/// As [`write_store`], calling `on_progress` with the number of customers written so far.
pub fn write_store_with_progress(
    config: &GeneratorConfig,
    out_dir: &Path,
    mut on_progress: impl FnMut(u64),
) -> anyhow::Result<GeneratedSummary> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let generator = Generator::new(config.clone());
    let mut summary = GeneratedSummary {
        seed: config.seed,
        ..GeneratedSummary::default()
    };
    summary.products = write_products(&generator, &out_dir.join("products.csv"))?;
    let mut files = OutputFiles::create(out_dir)?;
    let n_chunks = config.customers.div_ceil(CHUNK_CUSTOMERS);
    let n_workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let next_chunk = AtomicU64::new(0);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (sender, receiver) = mpsc::sync_channel::<anyhow::Result<RenderedChunk>>(n_workers * 2);
        for _ in 0..n_workers {
            let sender = sender.clone();
            let (generator, next_chunk) = (&generator, &next_chunk);
            scope.spawn(move || {
                loop {
                    let chunk_idx = next_chunk.fetch_add(1, Ordering::Relaxed);
                    if chunk_idx >= n_chunks {
                        return;
                    }
                    if sender.send(render_chunk(generator, chunk_idx)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        let mut pending = BTreeMap::new();
        let mut next_to_write = 0;
        for rendered in receiver {
            let chunk = rendered?;
            pending.insert(chunk.chunk_idx, chunk);
            while let Some(chunk) = pending.remove(&next_to_write) {
                files.write_chunk(&chunk)?;
                summary.add(&chunk.summary);
                next_to_write += 1;
                on_progress(summary.customers);
            }
        }
        anyhow::ensure!(next_to_write == n_chunks, "generator workers stopped early");
        Ok(())
    })?;
    files.finish()?;
    write_readme(config, &summary, &out_dir.join("README.txt"))?;
    Ok(summary)
}

/// One chunk of customers rendered to the bytes of each file.
struct RenderedChunk {
    chunk_idx: u64,
    customers: Vec<u8>,
    orders: Vec<u8>,
    events: Vec<u8>,
    summary: GeneratedSummary,
}

struct OutputFiles {
    customers: BufWriter<File>,
    orders: BufWriter<File>,
    events: BufWriter<File>,
}

impl OutputFiles {
    fn create(out_dir: &Path) -> anyhow::Result<OutputFiles> {
        let open = |name: &str| -> anyhow::Result<BufWriter<File>> {
            let path = out_dir.join(name);
            let file =
                File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            Ok(BufWriter::with_capacity(BUFFER_BYTES, file))
        };
        let mut files = OutputFiles {
            customers: open("customers.csv")?,
            orders: open("orders.csv")?,
            events: open("events.jsonl")?,
        };
        writeln!(files.customers, "{CUSTOMERS_HEADER}")?;
        writeln!(files.orders, "{ORDERS_HEADER}")?;
        Ok(files)
    }

    fn write_chunk(&mut self, chunk: &RenderedChunk) -> anyhow::Result<()> {
        self.customers
            .write_all(&chunk.customers)
            .context("cannot write customers.csv")?;
        self.orders
            .write_all(&chunk.orders)
            .context("cannot write orders.csv")?;
        self.events
            .write_all(&chunk.events)
            .context("cannot write events.jsonl")?;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.customers
            .flush()
            .context("cannot write customers.csv")?;
        self.orders.flush().context("cannot write orders.csv")?;
        self.events.flush().context("cannot write events.jsonl")?;
        Ok(())
    }
}

fn render_chunk(generator: &Generator, chunk_idx: u64) -> anyhow::Result<RenderedChunk> {
    let first = chunk_idx * CHUNK_CUSTOMERS;
    let last = (first + CHUNK_CUSTOMERS).min(generator.config().customers);
    let currency = generator.config().currency.as_str();
    let mut customers = csv_writer(64 * 1024);
    let mut orders = csv_writer(256 * 1024);
    let mut events = Vec::with_capacity(1 << 20);
    let mut summary = GeneratedSummary::default();
    for customer_idx in first..last {
        let customer = generator.customer(customer_idx);
        count_customer(&customer, &mut summary);
        write_customer_row(&mut customers, &customer)?;
        for order in customer.orders.iter().chain(&customer.guest_orders) {
            summary.order_lines += write_order_rows(&mut orders, order, currency)?;
        }
        for event in &customer.events {
            serde_json::to_writer(&mut events, event)?;
            events.push(b'\n');
        }
    }
    Ok(RenderedChunk {
        chunk_idx,
        customers: into_bytes(customers)?,
        orders: into_bytes(orders)?,
        events,
        summary,
    })
}

fn count_customer(customer: &GeneratedCustomer<'_>, summary: &mut GeneratedSummary) {
    let completed = customer
        .orders
        .iter()
        .filter(|order| order.status == OrderStatus::Completed)
        .count() as u64;
    summary.customers += 1;
    summary.prospects += u64::from(completed == 0);
    summary.repeat_customers += u64::from(completed >= 2);
    summary.orders += completed + customer.guest_orders.len() as u64;
    summary.refunds += customer.orders.len() as u64 - completed;
    summary.guest_orders += customer.guest_orders.len() as u64;
    summary.events += customer.events.len() as u64;
}

fn write_customer_row(
    writer: &mut csv::Writer<Vec<u8>>,
    customer: &GeneratedCustomer<'_>,
) -> anyhow::Result<()> {
    let profile = &customer.profile;
    let birthday = profile
        .birthday
        .map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    writer.write_record([
        profile.id.as_str(),
        profile.email.as_str(),
        profile.phone.as_deref().unwrap_or(""),
        profile.name().as_str(),
        profile.gender.unwrap_or(""),
        birthday.as_str(),
        profile.country,
        profile.city,
        format_timestamp(profile.signup_at).as_str(),
    ])?;
    Ok(())
}

/// Writes one row per line of `order`; returns the number of rows.
fn write_order_rows(
    writer: &mut csv::Writer<Vec<u8>>,
    order: &GeneratedOrder<'_>,
    currency: &str,
) -> anyhow::Result<u64> {
    let ordered_at = format_timestamp(order.ordered_at);
    for line in &order.lines {
        let quantity = line.quantity.to_string();
        let unit_price = format_cents(line.unit_price_cents);
        writer.write_record([
            order.order_id.as_str(),
            order.customer_id.as_deref().unwrap_or(""),
            order.email.as_deref().unwrap_or(""),
            ordered_at.as_str(),
            line.product.id.as_str(),
            line.product.name.as_str(),
            line.product.category.as_str(),
            quantity.as_str(),
            unit_price.as_str(),
            currency,
            order.status.as_str(),
            order.coupon.unwrap_or(""),
        ])?;
    }
    Ok(order.lines.len() as u64)
}

fn write_products(generator: &Generator, path: &Path) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut buffered = BufWriter::new(file);
    writeln!(buffered, "{PRODUCTS_HEADER}")?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(buffered);
    let currency = generator.config().currency.as_str();
    for product in generator.products() {
        let price = format_cents(product.price_cents);
        writer.write_record([
            product.id.as_str(),
            product.name.as_str(),
            product.category.as_str(),
            product.brand.as_str(),
            price.as_str(),
            currency,
        ])?;
    }
    writer
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(generator.products().len() as u64)
}

/// `1999` → `19.99`, `-5` → `-0.05`.
fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn csv_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(capacity))
}

fn into_bytes(writer: csv::Writer<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    writer
        .into_inner()
        .map_err(|err| anyhow::anyhow!("cannot finish csv buffer: {}", err.error()))
}

fn write_readme(
    config: &GeneratorConfig,
    summary: &GeneratedSummary,
    path: &Path,
) -> anyhow::Result<()> {
    let (start, end) = config.window();
    let model = &config.model;
    let text = format!(
        r#"Synthetic store generated by ecrm from seed {seed}

Everything here is made up by a seeded random generator: the same seed, size and end date give
the same files, byte for byte. Names are invented, emails use the reserved domains example.com/.org/.net,
and no file describes a real person. Window: {start} to {end} ({weeks} weeks), currency {currency}.

Files
-----
products.csv   {products} products: product_id,name,category,brand,price,currency
               Ids are zero-padded (p00001). Prices are list prices with 2 decimals.
               Popularity follows a Zipf law over the catalogue (weight 1 / rank^1.05).
customers.csv  {customers} customers: customer_id,email,phone,name,gender,birthday,country,city,signup_at
               Ids are zero-padded (c0000001). Phones are mainland China mobiles written as people
               type them (138 0013 8000, +86 138-0013-8000, 0086 ...); empty when not given, as are
               gender and birthday. Timestamps are RFC 3339 UTC. {prospects} customers are prospects
               who signed up and browsed but never ordered.
orders.csv     {order_lines} rows, one per order line:
               order_id,customer_id,email,ordered_at,product_id,product_name,category,quantity,unit_price,currency,status,coupon
               {orders} completed orders (status "completed"), ids o<customer number>-<n>.
               {refunds} refunds are separate orders with status "refunded", order_id equal to the
               original order id plus the suffix "-R", a later ordered_at (the refund time) and a
               negative quantity on each refunded line. {guest_orders} guest orders (ids g...) have no
               customer_id and no email. unit_price is the price paid per unit after any coupon.
               Rows are grouped by customer, each customer's orders in time order.
events.jsonl   {events} Segment HTTP Tracking API messages, one JSON object per line: identify, page,
               and track events "Products Searched", "Product Viewed", "Product Added",
               "Checkout Started" (with the order_id it became) and "Ticket Opened" (service
               tickets: channel chat/email/phone/social, topic return/delivery/complaint/question,
               order_id). "Order Completed" is not emitted: orders are in orders.csv. A "Product Added"
               without a following order is an abandoned cart. About half the customers browse
               anonymously (anonymousId anon-...) before signing up; an identify message then ties the
               anonymousId to their userId and email. messageId is gen-<seed>-<customer index>-<n>.

The model
---------
Purchasing is BG/NBD (Fader, Hardie and Lee 2005) with r = {r}, alpha = {alpha} (per week),
a = {a}, b = {b}: each buyer's weekly purchase rate is Gamma(r, alpha), the first purchase is uniform
over the first {acquisition}% of the window, repeat purchases follow a Poisson process, and after each repeat
purchase the buyer drops out for good with a probability drawn from Beta(a, b).
Order values are Gamma-Gamma-like with p = {p}, q = {q}, gamma = {gamma}: each customer's spend rate
is Gamma(q, gamma) and an order targets a value Gamma(p, spend rate), realised as 1 + Poisson(1)
lines picked by popularity, mostly from 1-3 favourite categories, preferring prices near the target.
Quantities are mostly 1. Some orders use a coupon; about 3% are refunded within 30 days; about 2% of
orders are guest orders. Browsing sessions cluster around purchases; about 3% of customers open a
service ticket. {repeat_customers} customers ordered at least twice.
"#,
        seed = config.seed,
        customers = summary.customers,
        prospects = summary.prospects,
        repeat_customers = summary.repeat_customers,
        orders = summary.orders,
        order_lines = summary.order_lines,
        refunds = summary.refunds,
        guest_orders = summary.guest_orders,
        events = summary.events,
        products = summary.products,
        start = format_timestamp(start),
        end = format_timestamp(end),
        weeks = config.weeks,
        acquisition = (config.acquisition_share * 100.0).round(),
        currency = config.currency,
        r = model.r,
        alpha = model.alpha,
        a = model.a,
        b = model.b,
        p = model.p,
        q = model.q,
        gamma = model.gamma,
    );
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn generate_into(name: &str, customers: u64) -> (std::path::PathBuf, GeneratedSummary) {
        let dir = std::env::temp_dir().join(format!("ecrm-generate-{name}-{}", std::process::id()));
        let summary = write_store(&GeneratorConfig::standard(customers, 3), &dir);
        (
            dir,
            summary.unwrap_or_else(|err| panic!("write_store failed: {err:#}")),
        )
    }

    fn read(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
    }

    #[test]
    fn writes_the_documented_files_deterministically() {
        let (first, summary) = generate_into("a", 2_500);
        let (second, _) = generate_into("b", 2_500);
        for name in [
            "customers.csv",
            "products.csv",
            "orders.csv",
            "events.jsonl",
            "README.txt",
        ] {
            assert_eq!(read(&first, name), read(&second, name), "{name}");
        }
        let orders = read(&first, "orders.csv");
        assert_eq!(orders.lines().next(), Some(ORDERS_HEADER));
        assert_eq!(orders.lines().count() as u64, summary.order_lines + 1);
        let customers = read(&first, "customers.csv");
        assert_eq!(customers.lines().next(), Some(CUSTOMERS_HEADER));
        assert_eq!(
            read(&first, "events.jsonl").lines().count() as u64,
            summary.events
        );
        let products = read(&first, "products.csv");
        let product_ids: HashSet<&str> = products
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        assert_eq!(product_ids.len() as u64, summary.products);
        let mut reader = csv::Reader::from_reader(orders.as_bytes());
        for record in reader.records() {
            let record = record.unwrap_or_else(|err| panic!("{err}"));
            assert!(product_ids.contains(&record[4]), "{:?}", record);
            assert_eq!(
                record[8].split('.').nth(1).map(str::len),
                Some(2),
                "{:?}",
                record
            );
        }
        for dir in [first, second] {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}
