//! One message's raw shape, as serde reads it from the slice cut out of
//! the file: its keys in input order, only `text` and `text_entities`
//! typed (they are most of the bytes), everything else a small `Value`
//! that the mapping checks.

use crate::model::Extra;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// An object key, borrowed from the slice when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One text part: a bare string (plain) or `{"type", "text", …attrs}`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Part {
    pub(super) kind: Option<String>,
    pub(super) text: String,
    pub(super) attrs: Extra,
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Part;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text part (a string or an object with `type` and `text`)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Part, E> {
                Ok(Part { kind: None, text: v.to_owned(), attrs: Extra::new() })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Part, E> {
                Ok(Part { kind: None, text: v, attrs: Extra::new() })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Part, A::Error> {
                let mut kind = None;
                let mut text = None;
                let mut attrs = Extra::new();
                while let Some(Key(k)) = map.next_key()? {
                    match k.as_ref() {
                        "type" if kind.is_none() => kind = Some(map.next_value::<String>()?),
                        "text" if text.is_none() => text = Some(map.next_value::<String>()?),
                        // No writer repeats these in a part; which one would
                        // be meant cannot be told (serde's own structs
                        // reject duplicate fields too).
                        "type" | "text" => {
                            return Err(de::Error::custom(format!(
                                "a text part with a second `{k}`"
                            )))
                        }
                        _ => {
                            let v: Value = map.next_value()?;
                            attrs.insert(k.into_owned(), v);
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::custom("text part without `type`"))?;
                let text = text.ok_or_else(|| de::Error::custom("text part without `text`"))?;
                Ok(Part { kind: Some(kind), text, attrs })
            }
        }
        d.deserialize_any(V)
    }
}

/// A text value: a string, or an array of parts.
#[derive(Clone, Debug)]
pub(super) enum TextValue {
    Plain(String),
    Parts(Vec<Part>),
}

impl<'de> Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`text` as a string or an array of parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextValue, E> {
                Ok(TextValue::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextValue, E> {
                Ok(TextValue::Plain(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextValue, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(p) = seq.next_element::<Part>()? {
                    parts.push(p);
                }
                Ok(TextValue::Parts(parts))
            }
        }
        d.deserialize_any(V)
    }
}

impl TextValue {
    pub(super) fn to_value(&self) -> Value {
        match self {
            TextValue::Plain(s) => Value::String(s.clone()),
            TextValue::Parts(parts) => {
                Value::Array(parts.iter().map(|p| part_value(p, false)).collect())
            }
        }
    }
}

pub(super) fn part_value(p: &Part, entities: bool) -> Value {
    match &p.kind {
        None if !entities => Value::String(p.text.clone()),
        kind => {
            let mut m = Extra::new();
            m.insert("type".into(), Value::String(kind.clone().unwrap_or_else(|| "plain".into())));
            m.insert("text".into(), Value::String(p.text.clone()));
            for (k, v) in &p.attrs {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        }
    }
}

pub(super) enum Field {
    Text(TextValue),
    Entities(Vec<Part>),
    Value(Value),
}

/// A message as its keys and values, in input order. Only `text` and
/// `text_entities` are typed while parsing (they are most of the bytes);
/// everything else is a small `Value` checked by the mapping.
pub(super) struct RawMessage<'de> {
    pub(super) fields: Vec<(Cow<'de, str>, Field)>,
}

impl<'de> Deserialize<'de> for RawMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMessage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMessage<'de>, A::Error> {
                let mut fields = Vec::with_capacity(24);
                while let Some(Key(k)) = map.next_key()? {
                    let f = match k.as_ref() {
                        "text" => Field::Text(
                            map.next_value()
                                .map_err(|e: A::Error| de::Error::custom(format!("`text`: {e}")))?,
                        ),
                        "text_entities" => {
                            Field::Entities(map.next_value().map_err(|e: A::Error| {
                                de::Error::custom(format!("`text_entities`: {e}"))
                            })?)
                        }
                        _ => Field::Value(map.next_value()?),
                    };
                    fields.push((k, f));
                }
                Ok(RawMessage { fields })
            }
        }
        d.deserialize_map(V)
    }
}
