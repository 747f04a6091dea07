//! A configuration document with the line of every key and value, independent of its syntax.

/// A value with the 1-based line it starts on (`None` for inputs without lines, such as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub line: Option<u32>,
    pub value: T,
}

impl<T> Located<T> {
    /// A value at `line`.
    pub fn at(line: Option<u32>, value: T) -> Located<T> {
        Located { line, value }
    }
}

/// One value of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Located<Node>>),
    /// Keys in document order.
    Table(Vec<(Located<String>, Located<Node>)>),
}

impl Node {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Bool(_) => "a boolean",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }

    /// Converts a JSON value (no lines).
    pub fn from_json(value: &serde_json::Value) -> Node {
        match value {
            serde_json::Value::Null => Node::Str(String::new()),
            serde_json::Value::Bool(b) => Node::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Node::Str(s.clone()),
            serde_json::Value::Array(items) => Node::Array(
                items
                    .iter()
                    .map(|item| Located::at(None, Node::from_json(item)))
                    .collect(),
            ),
            serde_json::Value::Object(map) => Node::Table(
                map.iter()
                    .map(|(k, v)| {
                        (
                            Located::at(None, k.clone()),
                            Located::at(None, Node::from_json(v)),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// Converts to JSON (for attribute values).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Node::Str(s) => serde_json::Value::String(s.clone()),
            Node::Int(i) => serde_json::Value::from(*i),
            Node::Float(x) => serde_json::Value::from(*x),
            Node::Bool(b) => serde_json::Value::Bool(*b),
            Node::Array(items) => items.iter().map(|item| item.value.to_json()).collect(),
            Node::Table(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.to_json()))
                    .collect(),
            ),
        }
    }
}
