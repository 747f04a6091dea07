//! Mapping our documented field names to a file's columns (`--map customer_id=CustomerID,ordered_at=3`).

use std::collections::BTreeMap;

use anyhow::bail;

/// Where each documented field is in a row.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    columns: BTreeMap<&'static str, usize>,
}

/// A field of an import kind: its name and whether the kind needs it.
pub struct FieldSpec {
    pub name: &'static str,
    pub help: &'static str,
}

impl ColumnMap {
    /// Resolves `fields` against a header (names, case-insensitive) or 1-based positions (`no_header`).
    /// Explicit `--map` entries win; unmapped fields match a header column of the same name.
    pub fn resolve(
        fields: &[FieldSpec],
        explicit: &[(String, String)],
        header: Option<&[String]>,
    ) -> anyhow::Result<ColumnMap> {
        let mut columns = BTreeMap::new();
        for (field, column) in explicit {
            let Some(spec) = fields.iter().find(|spec| spec.name == field) else {
                let known: Vec<String> = fields
                    .iter()
                    .map(|spec| format!("{} ({})", spec.name, spec.help))
                    .collect();
                bail!(
                    "--map: unknown field {field:?}; the fields of this kind are: {}",
                    known.join("; ")
                );
            };
            let idx = match header {
                Some(names) => match names
                    .iter()
                    .position(|name| name.trim().eq_ignore_ascii_case(column.trim()))
                {
                    Some(idx) => idx,
                    None => match column.parse::<usize>() {
                        Ok(position) if position >= 1 && position <= names.len() => position - 1,
                        _ => bail!(
                            "--map {field}={column}: the file has no column {column:?}; its columns are {}",
                            names
                                .iter()
                                .map(|n| n.trim())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                },
                None => match column.parse::<usize>() {
                    Ok(position) if position >= 1 => position - 1,
                    _ => bail!(
                        "--map {field}={column}: without a header, columns are 1-based positions"
                    ),
                },
            };
            columns.insert(spec.name, idx);
        }
        if let Some(names) = header {
            for spec in fields {
                if columns.contains_key(spec.name) {
                    continue;
                }
                if let Some(idx) = names
                    .iter()
                    .position(|name| name.trim().eq_ignore_ascii_case(spec.name))
                {
                    columns.insert(spec.name, idx);
                }
            }
        }
        Ok(ColumnMap { columns })
    }

    pub fn has(&self, field: &str) -> bool {
        self.columns.contains_key(field)
    }

    /// The trimmed, non-empty value of a field in a row.
    pub fn get<'a>(&self, fields: &'a [String], field: &str) -> Option<&'a str> {
        let idx = *self.columns.get(field)?;
        fields
            .get(idx)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The field mapped to a column, if any.
    pub fn field_at(&self, column: usize) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|(_, idx)| **idx == column)
            .map(|(name, _)| *name)
    }

    /// Whether the row is too short to hold a mapped field.
    pub fn missing_column(&self, fields: &[String]) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|(_, idx)| **idx >= fields.len())
            .map(|(name, _)| *name)
    }

    /// Requires at least one of `any_of`, naming them when none is mapped.
    pub fn require_any(&self, any_of: &[&str], what: &str) -> anyhow::Result<()> {
        if any_of.iter().any(|field| self.has(field)) {
            return Ok(());
        }
        bail!(
            "missing required column: {what} needs one of {} (map it with --map FIELD=COLUMN)",
            any_of.join(", ")
        )
    }
}

/// Parses `--map a=B,c=3` into pairs.
pub fn parse_map_arg(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for entry in text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        let Some((field, column)) = entry.split_once('=') else {
            bail!("--map: {entry:?} is not FIELD=COLUMN");
        };
        pairs.push((field.trim().to_string(), column.trim().to_string()));
    }
    Ok(pairs)
}
