//! Turning one mapped row into a domain value, or a reject naming the field.

use ecrm_core::money::{line_amount_cents, parse_cents, parse_currency, parse_micros};
use ecrm_core::order::{CustomerRef, OrderKind, OrderLine, derive_order_key, is_refund, line_key};
use ecrm_core::time::{DateFormat, parse_timestamp};
use ecrm_core::{Identifier, IdentifierKind};
use ecrm_store::{CustomerAttributes, CustomerInput, ProductInput};

use super::ImportOptions;
use super::mapping::{ColumnMap, FieldSpec};

/// A field-level problem with a row.
pub type FieldError = (&'static str, String);

pub const ORDER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "order_id",
        help: "order id; rows sharing it form one order (derived when absent)",
    },
    FieldSpec {
        name: "customer_id",
        help: "the store's customer id, kept exactly as written",
    },
    FieldSpec {
        name: "email",
        help: "email address",
    },
    FieldSpec {
        name: "phone",
        help: "phone number, normalised to E.164",
    },
    FieldSpec {
        name: "name",
        help: "customer name",
    },
    FieldSpec {
        name: "country",
        help: "customer country",
    },
    FieldSpec {
        name: "ordered_at",
        help: "order time (required)",
    },
    FieldSpec {
        name: "product_id",
        help: "product id, kept exactly as written",
    },
    FieldSpec {
        name: "product_name",
        help: "product name",
    },
    FieldSpec {
        name: "category",
        help: "product category",
    },
    FieldSpec {
        name: "quantity",
        help: "units (default 1; negative = return)",
    },
    FieldSpec {
        name: "unit_price",
        help: "price per unit",
    },
    FieldSpec {
        name: "total",
        help: "line total, used when unit_price is absent",
    },
    FieldSpec {
        name: "currency",
        help: "ISO 4217 code (default --currency)",
    },
    FieldSpec {
        name: "status",
        help: "order status",
    },
];

pub const CUSTOMER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "customer_id",
        help: "the store's customer id",
    },
    FieldSpec {
        name: "email",
        help: "email address",
    },
    FieldSpec {
        name: "phone",
        help: "phone number",
    },
    FieldSpec {
        name: "anonymous_id",
        help: "device id",
    },
    FieldSpec {
        name: "name",
        help: "name",
    },
    FieldSpec {
        name: "gender",
        help: "gender",
    },
    FieldSpec {
        name: "birthday",
        help: "birthday (YYYY-MM-DD)",
    },
    FieldSpec {
        name: "country",
        help: "country",
    },
    FieldSpec {
        name: "city",
        help: "city",
    },
    FieldSpec {
        name: "signup_at",
        help: "signup time",
    },
];

pub const PRODUCT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "product_id",
        help: "product id (required)",
    },
    FieldSpec {
        name: "name",
        help: "name",
    },
    FieldSpec {
        name: "category",
        help: "category",
    },
    FieldSpec {
        name: "brand",
        help: "brand",
    },
    FieldSpec {
        name: "price",
        help: "list price",
    },
    FieldSpec {
        name: "currency",
        help: "ISO 4217 code",
    },
    FieldSpec {
        name: "active",
        help: "true/false (default true)",
    },
    FieldSpec {
        name: "in_stock",
        help: "true/false (default true)",
    },
];

/// Checks before any row is read that the file can give what an order needs.
pub fn check_order_columns(map: &ColumnMap) -> anyhow::Result<()> {
    map.require_any(&["ordered_at"], "an order time")?;
    map.require_any(&["unit_price", "total"], "an amount")
}

pub fn check_customer_columns(map: &ColumnMap) -> anyhow::Result<()> {
    map.require_any(
        &["customer_id", "email", "phone", "anonymous_id"],
        "a customer identifier",
    )
}

pub fn check_product_columns(map: &ColumnMap) -> anyhow::Result<()> {
    map.require_any(&["product_id"], "a product id")
}

fn identifiers(
    map: &ColumnMap,
    fields: &[String],
    options: &ImportOptions,
) -> Result<Vec<Identifier>, FieldError> {
    let mut out = Vec::new();
    if let Some(text) = map.get(fields, "customer_id") {
        out.push(Identifier::user_id(text).map_err(|err| ("customer_id", err.to_string()))?);
    }
    if let Some(text) = map.get(fields, "email") {
        out.push(Identifier::email(text).map_err(|err| ("email", err.to_string()))?);
    }
    if let Some(text) = map.get(fields, "phone") {
        out.push(
            Identifier::phone(text, options.phone_region)
                .map_err(|err| ("phone", err.to_string()))?,
        );
    }
    if let Some(text) = map.get(fields, "anonymous_id") {
        out.push(
            Identifier::new(IdentifierKind::AnonymousId, text, options.phone_region)
                .map_err(|err| ("anonymous_id", err.to_string()))?,
        );
    }
    Ok(out)
}

fn integer(
    map: &ColumnMap,
    fields: &[String],
    field: &'static str,
) -> Result<Option<i64>, FieldError> {
    match map.get(fields, field) {
        None => Ok(None),
        Some(text) => {
            let trimmed = text.strip_suffix(".0").unwrap_or(text);
            trimmed
                .parse::<i64>()
                .map(Some)
                .map_err(|_| (field, format!("{text:?} is not a whole number")))
        }
    }
}

fn text(map: &ColumnMap, fields: &[String], field: &str) -> Option<String> {
    map.get(fields, field).map(str::to_string)
}

fn time(
    map: &ColumnMap,
    fields: &[String],
    field: &'static str,
    format: &DateFormat,
) -> Result<Option<i64>, FieldError> {
    match map.get(fields, field) {
        None => Ok(None),
        Some(value) => parse_timestamp(value, format)
            .map(Some)
            .map_err(|err| (field, err.to_string())),
    }
}

/// One order line from a row; `line` is the row's line number in its file.
pub fn order_line(
    map: &ColumnMap,
    fields: &[String],
    line: u64,
    options: &ImportOptions,
) -> Result<OrderLine, FieldError> {
    let field_refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let order_key = match map.get(fields, "order_id") {
        Some(id) => id.to_string(),
        None if map.has("order_id") => return Err(("order_id", "is empty".to_string())),
        None => derive_order_key(line, &field_refs),
    };
    let ordered_at = time(map, fields, "ordered_at", &options.date_format)?
        .ok_or(("ordered_at", "is empty".to_string()))?;
    let quantity = integer(map, fields, "quantity")?.unwrap_or(1);
    let (unit_price_cents, amount_cents) =
        match (map.get(fields, "unit_price"), map.get(fields, "total")) {
            (Some(price), _) => {
                let micros = parse_micros(price).map_err(|err| ("unit_price", err.to_string()))?;
                (
                    ecrm_core::money::micros_to_cents(micros),
                    line_amount_cents(quantity, micros),
                )
            }
            (None, Some(total)) => {
                let cents = parse_cents(total).map_err(|err| ("total", err.to_string()))?;
                let unit = if quantity == 0 {
                    cents
                } else {
                    cents / quantity
                };
                (unit.abs(), cents)
            }
            (None, None) => return Err(("unit_price", "is empty (and no total)".to_string())),
        };
    let currency = match map.get(fields, "currency") {
        Some(code) => parse_currency(code).map_err(|err| ("currency", err.to_string()))?,
        None => options.currency.clone(),
    };
    let kind = if is_refund(
        &order_key,
        quantity,
        amount_cents,
        options.cancel_prefix.as_deref(),
    ) {
        OrderKind::Refund
    } else {
        OrderKind::Order
    };
    let identifiers = identifiers(map, fields, options)?;
    Ok(OrderLine {
        order_key,
        kind,
        customer: CustomerRef::new(
            identifiers,
            text(map, fields, "name"),
            text(map, fields, "country"),
        ),
        ordered_at,
        line_key: line_key(line, &field_refs),
        product_id: text(map, fields, "product_id"),
        product_name: text(map, fields, "product_name"),
        category: text(map, fields, "category"),
        quantity,
        unit_price_cents,
        amount_cents,
        currency,
        status: text(map, fields, "status"),
    })
}

pub fn customer_row(
    map: &ColumnMap,
    fields: &[String],
    options: &ImportOptions,
) -> Result<CustomerInput, FieldError> {
    let identifiers = identifiers(map, fields, options)?;
    if identifiers.is_empty() {
        return Err((
            "customer_id",
            "the row has no identifier (customer_id, email, phone or anonymous_id)".to_string(),
        ));
    }
    let birthday = match map.get(fields, "birthday") {
        Some(value) => Some(
            ecrm_core::time::parse_date(value)
                .map_err(|err| ("birthday", err.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    Ok(CustomerInput {
        customer: CustomerRef::new(identifiers, None, None),
        attributes: CustomerAttributes {
            name: text(map, fields, "name"),
            gender: text(map, fields, "gender"),
            birthday,
            country: text(map, fields, "country"),
            city: text(map, fields, "city"),
            signup_at: time(map, fields, "signup_at", &options.date_format)?,
            extra: serde_json::Map::new(),
        },
    })
}

fn flag(map: &ColumnMap, fields: &[String], field: &'static str) -> Result<bool, FieldError> {
    match map
        .get(fields, field)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("true" | "1" | "yes" | "y") => Ok(true),
        Some("false" | "0" | "no" | "n") => Ok(false),
        Some(other) => Err((field, format!("{other:?} is not true/false"))),
    }
}

pub fn product_row(map: &ColumnMap, fields: &[String]) -> Result<ProductInput, FieldError> {
    let product_id = map
        .get(fields, "product_id")
        .ok_or(("product_id", "is empty".to_string()))?
        .to_string();
    let price_cents = match map.get(fields, "price") {
        Some(price) => Some(parse_cents(price).map_err(|err| ("price", err.to_string()))?),
        None => None,
    };
    let currency = match map.get(fields, "currency") {
        Some(code) => Some(parse_currency(code).map_err(|err| ("currency", err.to_string()))?),
        None => None,
    };
    Ok(ProductInput {
        product_id,
        name: text(map, fields, "name"),
        category: text(map, fields, "category"),
        brand: text(map, fields, "brand"),
        price_cents,
        currency,
        active: flag(map, fields, "active")?,
        in_stock: flag(map, fields, "in_stock")?,
    })
}
