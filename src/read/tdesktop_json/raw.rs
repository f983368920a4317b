//! One message's raw shape, as serde reads it from the slice cut out of
//! the file: its keys in input order, only `text` and `text_entities`
//! typed (they are most of the bytes), everything else a small `Value`
//! that the mapping checks.

use crate::model::Extra;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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

/// What [`Part`] (and [`PartSameAs`], which must say the same) expects.
const PART_EXPECTED: &str = "a text part (a string or an object with `type` and `text`)";

/// The error for a part with a second `type` or `text`.
fn second_key<E: de::Error>(k: &str) -> E {
    // No writer repeats these in a part; which one would be meant cannot be
    // told (serde's own structs reject duplicate fields too).
    de::Error::custom(format!("a text part with a second `{k}`"))
}

/// The error for a part without `type` or `text`.
fn missing_key<E: de::Error>(k: &str) -> E {
    de::Error::custom(format!("text part without `{k}`"))
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Part;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(PART_EXPECTED)
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
                        "type" | "text" => return Err(second_key(&k)),
                        _ => {
                            let v: Value = map.next_value()?;
                            attrs.insert(k.into_owned(), v);
                        }
                    }
                }
                let kind = kind.ok_or_else(|| missing_key("type"))?;
                let text = text.ok_or_else(|| missing_key("text"))?;
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
    Entities(Entities),
    Value(Value),
}

/// A `text_entities` value as the parse left it.
pub(super) enum Entities {
    /// Its parts, as read.
    Parts(Vec<Part>),
    /// It said exactly what the `text` before it said (what the mapping's
    /// `entities_match` tells), found while parsing ([`SameAs`]), so none
    /// of it was kept.
    SameAsText,
}

/// A message as its keys and values, in input order. Only `text` and
/// `text_entities` are typed while parsing (they are most of the bytes);
/// everything else is a small `Value` checked by the mapping.
pub(super) struct RawMessage<'de> {
    pub(super) fields: Vec<(Cow<'de, str>, Field)>,
}

impl<'de> RawMessage<'de> {
    /// Parses one message (all of `text`).
    ///
    /// `text_entities` normally repeats `text` part by part: it is compared
    /// with the `text` before it while it is parsed, and not kept when it
    /// says the same ([`Entities::SameAsText`]); its strings are never
    /// copied out. When it says something else, or a later `text` key could
    /// change which `text` it is to be compared with, the message is parsed
    /// again keeping every part (as [`parse_keeping`] does for every message),
    /// so the answer is always the same as keeping them.
    pub(super) fn parse(text: &'de str) -> serde_json::Result<RawMessage<'de>> {
        let (raw, recheck) = parse_with(text, true)?;
        if !recheck {
            return Ok(raw);
        }
        parse_keeping(text)
    }
}

/// [`RawMessage::parse`] without the comparison: every `text_entities` is
/// kept as its parts. The reference the comparing parse is tested against.
pub(super) fn parse_keeping(text: &str) -> serde_json::Result<RawMessage<'_>> {
    parse_with(text, false).map(|(raw, _)| raw)
}

/// Parses a message as `serde_json::from_str` does; with `compare`,
/// `text_entities` is compared with the `text` before it, and the `bool`
/// says whether the message must be parsed again without comparing.
fn parse_with(text: &str, compare: bool) -> serde_json::Result<(RawMessage<'_>, bool)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = MessageSeed { compare }.deserialize(&mut de)?;
    de.end()?;
    Ok(parsed)
}

/// Reads a message's keys and values (see [`parse_with`]).
struct MessageSeed {
    compare: bool,
}

impl<'de> DeserializeSeed<'de> for MessageSeed {
    type Value = (RawMessage<'de>, bool);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed {
    type Value = (RawMessage<'de>, bool);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<(Cow<'de, str>, Field)> = Vec::with_capacity(24);
        // `compared`: a `text_entities` was compared with a `text`;
        // `recheck`: the comparison may not be what keeping would say.
        let (mut compared, mut recheck) = (false, false);
        while let Some(Key(k)) = map.next_key()? {
            let f = match k.as_ref() {
                "text" => {
                    // The mapping compares `text_entities` with the last
                    // `text`: one after a comparison was not compared.
                    recheck |= compared;
                    Field::Text(
                        map.next_value()
                            .map_err(|e: A::Error| de::Error::custom(format!("`text`: {e}")))?,
                    )
                }
                "text_entities" => {
                    let wrap = |e: A::Error| de::Error::custom(format!("`text_entities`: {e}"));
                    let before = fields.iter().rev().find_map(|(_, f)| match f {
                        Field::Text(t) => Some(t),
                        _ => None,
                    });
                    match before.filter(|_| self.compare) {
                        Some(t) => {
                            let same = map.next_value_seed(SameAs(t)).map_err(wrap)?;
                            compared = true;
                            recheck |= !same;
                            Field::Entities(Entities::SameAsText)
                        }
                        None => Field::Entities(Entities::Parts(map.next_value().map_err(wrap)?)),
                    }
                }
                _ => Field::Value(map.next_value()?),
            };
            fields.push((k, f));
        }
        Ok((RawMessage { fields }, recheck))
    }
}

/// One part `text_entities` should hold to say what a `text` says: its
/// type (a bare string part of `text` is `plain`), its text, its other
/// keys (`None`: none).
#[derive(Clone, Copy)]
struct Want<'a> {
    kind: &'a str,
    text: &'a str,
    attrs: Option<&'a Extra>,
}

/// The `index`th part of `text_entities` that says what `text` says, and
/// how many parts there are.
fn wanted(text: &TextValue, index: usize) -> (Option<Want<'_>>, usize) {
    match text {
        TextValue::Plain(s) if s.is_empty() => (None, 0),
        TextValue::Plain(s) => {
            ((index == 0).then_some(Want { kind: "plain", text: s, attrs: None }), 1)
        }
        TextValue::Parts(parts) => {
            let want = parts.get(index).map(|p| Want {
                kind: p.kind.as_deref().unwrap_or("plain"),
                text: &p.text,
                attrs: Some(&p.attrs),
            });
            (want, parts.len())
        }
    }
}

/// Parses a `text_entities` value as `Vec<Part>` does (same acceptance,
/// same errors at the same places) and says whether it says what `text`
/// says, without keeping it.
pub(super) struct SameAs<'a>(pub(super) &'a TextValue);

impl<'de> DeserializeSeed<'de> for SameAs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SameAs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // serde's own `Vec` says this.
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let (mut same, mut count) = (true, 0);
        while let Some(part_same) = seq.next_element_seed(PartSameAs(wanted(self.0, count).0))? {
            same &= part_same;
            count += 1;
        }
        Ok(same && count == wanted(self.0, 0).1)
    }
}

/// Parses one part as [`Part`] does and says whether it is the part wanted.
struct PartSameAs<'a>(Option<Want<'a>>);

impl<'de> DeserializeSeed<'de> for PartSameAs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PartSameAs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(PART_EXPECTED)
    }
    /// A bare string has no type: never what `text_entities` should hold.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let want = self.0;
        let (mut kind, mut text) = (None, None);
        let mut attrs = Extra::new();
        while let Some(Key(k)) = map.next_key()? {
            match k.as_ref() {
                "type" if kind.is_none() => {
                    kind = Some(map.next_value_seed(StrIs(want.map(|w| w.kind)))?);
                }
                "text" if text.is_none() => {
                    text = Some(map.next_value_seed(StrIs(want.map(|w| w.text)))?);
                }
                "type" | "text" => return Err(second_key(&k)),
                _ => {
                    let v: Value = map.next_value()?;
                    attrs.insert(k.into_owned(), v);
                }
            }
        }
        let kind = kind.ok_or_else(|| missing_key("type"))?;
        let text = text.ok_or_else(|| missing_key("text"))?;
        let attrs_same = want.is_some_and(|w| w.attrs.map_or(attrs.is_empty(), |a| *a == attrs));
        Ok(kind && text && attrs_same)
    }
}

/// Parses a string as `String` does and says whether it is the one wanted;
/// serde_json hands it over borrowed or in its scratch buffer, so nothing
/// is allocated.
struct StrIs<'a>(Option<&'a str>);

impl<'de> DeserializeSeed<'de> for StrIs<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for StrIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // serde's own `String` says this.
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(self.0 == Some(v))
    }
}
