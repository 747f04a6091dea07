//! Reads a trait's JSON text straight into the snapshot's columns: every leaf is set under its
//! dotted path (`interests.category.shoes`) while the text is parsed, without building a
//! `serde_json::Value` tree first (loading a million customers' traits spent most of its time
//! allocating and dropping those trees). Nulls and arrays are left out, numbers read as `f64`.

use std::fmt;

use ecrm_core::segment::FactValue;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Where leaves go: `set(row, path, value)`.
pub trait LeafSink {
    fn set_leaf(&mut self, row: usize, path: &str, value: FactValue);

    /// A text leaf, borrowed from the JSON text (a sink that stores each distinct text once need
    /// not copy the ones it has).
    fn set_text_leaf(&mut self, row: usize, path: &str, text: &str) {
        self.set_leaf(row, path, FactValue::Text(text.to_string()));
    }
}

/// Parses `json` and sets each leaf of it under `path` (restored on return). Invalid JSON sets
/// the leaves read before the error and returns it.
pub fn set_leaves(
    sink: &mut dyn LeafSink,
    row: usize,
    path: &mut String,
    json: &str,
) -> serde_json::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let len = path.len();
    let result = Leaves { sink, row, path }.deserialize(&mut deserializer);
    path.truncate(len);
    result?;
    deserializer.end()
}

struct Leaves<'a> {
    sink: &'a mut dyn LeafSink,
    row: usize,
    path: &'a mut String,
}

impl Leaves<'_> {
    fn set(self, value: FactValue) {
        self.sink.set_leaf(self.row, self.path, value);
    }
}

impl<'de> DeserializeSeed<'de> for Leaves<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Leaves<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<(), E> {
        self.set(FactValue::Bool(value));
        Ok(())
    }

    fn visit_i64<E>(self, value: i64) -> Result<(), E> {
        self.set(FactValue::Number(value as f64));
        Ok(())
    }

    fn visit_u64<E>(self, value: u64) -> Result<(), E> {
        self.set(FactValue::Number(value as f64));
        Ok(())
    }

    fn visit_f64<E>(self, value: f64) -> Result<(), E> {
        self.set(FactValue::Number(value));
        Ok(())
    }

    fn visit_str<E>(self, value: &str) -> Result<(), E> {
        self.sink.set_text_leaf(self.row, self.path, value);
        Ok(())
    }

    fn visit_string<E>(self, value: String) -> Result<(), E> {
        self.set(FactValue::Text(value));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Leaves { sink, row, path } = self;
        let len = path.len();
        while map.next_key_seed(Key { path: &mut *path })?.is_some() {
            map.next_value_seed(Leaves {
                sink: &mut *sink,
                row,
                path: &mut *path,
            })?;
            path.truncate(len);
        }
        Ok(())
    }
}

/// Appends `.key` to the path (no allocation for keys without escapes).
struct Key<'a> {
    path: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<(), E> {
        self.path.push('.');
        self.path.push_str(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{LeafSink, set_leaves};
    use ecrm_core::segment::FactValue;

    #[derive(Default)]
    struct Collected(Vec<(usize, String, FactValue)>);

    impl LeafSink for Collected {
        fn set_leaf(&mut self, row: usize, path: &str, value: FactValue) {
            self.0.push((row, path.to_string(), value));
        }
    }

    #[test]
    fn every_leaf_under_its_dotted_path() {
        let mut sink = Collected::default();
        let mut path = "interests".to_string();
        let json = r#"{"category":{"shoes":0.5,"bags":1},"top":"sh\"oes","n":null,"list":[1,{"a":2}],"ok":true,"neg":-3}"#;
        set_leaves(&mut sink, 7, &mut path, json).expect("valid");
        assert_eq!(path, "interests");
        let got: Vec<(String, FactValue)> = sink.0.into_iter().map(|(_, p, v)| (p, v)).collect();
        assert_eq!(
            got,
            vec![
                (
                    "interests.category.shoes".to_string(),
                    FactValue::Number(0.5)
                ),
                (
                    "interests.category.bags".to_string(),
                    FactValue::Number(1.0)
                ),
                (
                    "interests.top".to_string(),
                    FactValue::Text("sh\"oes".to_string())
                ),
                ("interests.ok".to_string(), FactValue::Bool(true)),
                ("interests.neg".to_string(), FactValue::Number(-3.0)),
            ]
        );
    }

    #[test]
    fn a_bare_value_is_the_trait_itself_and_bad_json_is_an_error() {
        let mut sink = Collected::default();
        let mut path = "score".to_string();
        set_leaves(&mut sink, 0, &mut path, "42").expect("valid");
        assert_eq!(sink.0[0].1, "score");
        assert!(set_leaves(&mut sink, 0, &mut path, "{\"a\":").is_err());
        assert!(set_leaves(&mut sink, 0, &mut path, "1 2").is_err());
        assert_eq!(path, "score");
    }
}
