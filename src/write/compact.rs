//! A serde `Serializer` writing serde_json's compact JSON into a `Vec<u8>`,
//! byte for byte, with a faster string escape.
//!
//! # Why
//!
//! JSONL encoding runs once per post on the workers, and serde_json's string
//! escaping looks at every byte through a table (a byte loop: 5% of all CPU
//! converting an Arabic `result.json`, issue 18). Its `Formatter` hook sees
//! only the runs between escapes, after that loop, so the loop cannot be
//! replaced through it. This serializer finds the bytes that need an escape
//! (`"`, `\`, controls below 0x20) eight at a time (SWAR on a `u64`, no
//! `unsafe`) and copies the runs between them whole.
//!
//! # Byte-identical to serde_json
//!
//! Structure, separators, `null`, booleans, enum variants and escapes follow
//! serde_json 1.x's `Serializer` with its `CompactFormatter` (serde_json
//! `ser.rs`): `{`, `}`, `[`, `]`, `,`, `:` with no spaces; empty maps and
//! sequences of known length closed at once; `\"`, `\\`, `\b`, `\t`, `\n`,
//! `\f`, `\r`, other controls as `\u00xx` (lowercase hex); everything else,
//! non-ASCII and DEL included, written as it is. Numbers, byte arrays and map
//! keys that are not strings are handed to serde_json itself (rare, and so
//! certainly identical: integers, floats (`null` when not finite), quoted
//! integer keys). The differential tests below and in `tests/` compare the
//! two on every fixture's posts and on generated strings.

use serde::ser::{self, Serialize};
use std::fmt;

/// Why a value could not be encoded (a map key that is not a string or a
/// number, or a `Serialize` impl's own error).
#[derive(Debug)]
pub struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

impl From<serde_json::Error> for EncodeError {
    fn from(e: serde_json::Error) -> Self {
        EncodeError(e.to_string())
    }
}

type Result<T> = std::result::Result<T, EncodeError>;

/// Appends `value` to `out` as serde_json's compact JSON (what
/// `serde_json::to_writer(out, value)` appends).
pub fn append<T: ?Sized + Serialize>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    value.serialize(&mut Compact { out })
}

/// The serializer: the output buffer, appended to.
pub struct Compact<'a> {
    out: &'a mut Vec<u8>,
}

impl Compact<'_> {
    /// A value serde_json writes by itself (numbers, byte arrays).
    fn delegate<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        serde_json::to_writer(&mut *self.out, value).map_err(EncodeError::from)
    }

    /// `{"variant":` (the start of an externally tagged variant).
    fn variant_key(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

/// Whether any byte of `word` is `"`, `\` or below 0x20. The usual
/// "has a zero byte" test, exact as a yes/no answer: each lane's high bit
/// is set only where the byte matches, or above a lower lane that does.
#[inline(always)]
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (below_space | zero_quote | zero_backslash) & HIGHS != 0
}

/// Whether one byte needs an escape.
#[inline(always)]
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first byte of `bytes` that needs an escape, or its
/// length: eight bytes a step, then the tail (under eight) as the last eight
/// bytes, overlapping bytes already known clean (a word built in a stack
/// buffer from fewer bytes would stall the load). A string under eight
/// bytes (most keys) is looked at byte by byte.
#[inline]
fn next_escape(bytes: &[u8]) -> usize {
    let word = |chunk: &[u8]| {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        u64::from_le_bytes(lanes)
    };
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        if needs_escape(word(chunk)) {
            return at + chunk.iter().position(|&b| escaped(b)).unwrap_or(chunk.len());
        }
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    if rest.is_empty() {
        return at;
    }
    if let Some(last) = bytes.len().checked_sub(8).and_then(|from| bytes.get(from..)) {
        if !needs_escape(word(last)) {
            return bytes.len();
        }
    }
    at + rest.iter().position(|&b| escaped(b)).unwrap_or(rest.len())
}

/// Appends the escape of one byte that needs one, as serde_json writes it.
fn write_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'\n' => out.extend_from_slice(b"\\n"),
        0x0C => out.extend_from_slice(b"\\f"),
        b'\r' => out.extend_from_slice(b"\\r"),
        _ => {
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
        }
    }
}

/// Appends `s` as a JSON string, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_contents(out, s);
    out.push(b'"');
}

/// Appends `s` escaped, without quotes. Escaping is byte by byte, so the
/// pieces of a string escaped one after the other give the string escaped.
fn write_str_contents(out: &mut Vec<u8>, s: &str) {
    let mut rest = s.as_bytes();
    loop {
        let run = next_escape(rest);
        out.extend_from_slice(rest.get(..run).unwrap_or(rest));
        match rest.get(run) {
            Some(&b) => write_escape(out, b),
            None => break,
        }
        rest = rest.get(run + 1..).unwrap_or_default();
    }
}

/// A `Display` value's pieces escaped into the output as they come (what
/// serde_json's `collect_str` does), not first joined into a `String`.
struct EscapedPieces<'o>(&'o mut Vec<u8>);

impl fmt::Write for EscapedPieces<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_str_contents(self.0, s);
        Ok(())
    }
}

/// A map, sequence or struct being written: whether an element was written
/// yet (for the `,`), and whether it was already closed (empty, known
/// length 0), as serde_json's `State`. `wrapped` closes one more `}` after
/// the value (a tuple or struct variant, `{"variant":…}`).
pub struct Nested<'s, 'a> {
    ser: &'s mut Compact<'a>,
    first: bool,
    closed: bool,
    wrapped: bool,
}

impl<'s, 'a> Nested<'s, 'a> {
    fn open(ser: &'s mut Compact<'a>, open: u8, close: u8, len: Option<usize>) -> Self {
        ser.out.push(open);
        let closed = len == Some(0);
        if closed {
            ser.out.push(close);
        }
        Nested { ser, first: true, closed, wrapped: false }
    }

    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.comma();
        value.serialize(&mut *self.ser)
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.comma();
        key.serialize(KeySerializer { ser: &mut *self.ser })?;
        self.ser.out.push(b':');
        Ok(())
    }

    fn close(self, close: u8) -> Result<()> {
        if !self.closed {
            self.ser.out.push(close);
        }
        if self.wrapped {
            self.ser.out.push(b'}');
        }
        Ok(())
    }
}

impl<'s, 'a> ser::Serializer for &'s mut Compact<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Nested<'s, 'a>;
    type SerializeTuple = Nested<'s, 'a>;
    type SerializeTupleStruct = Nested<'s, 'a>;
    type SerializeTupleVariant = Nested<'s, 'a>;
    type SerializeMap = Nested<'s, 'a>;
    type SerializeStruct = Nested<'s, 'a>;
    type SerializeStructVariant = Nested<'s, 'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.delegate(&v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.delegate(v)
    }
    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result<()> {
        self.out.push(b'"');
        fmt::write(&mut EscapedPieces(&mut *self.out), format_args!("{value}"))
            .map_err(|_| EncodeError("a value could not be written as a string".into()))?;
        self.out.push(b'"');
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant_key(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Nested<'s, 'a>> {
        Ok(Nested::open(self, b'[', b']', len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Nested<'s, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Nested<'s, 'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Nested<'s, 'a>> {
        self.variant_key(variant);
        let mut nested = Nested::open(self, b'[', b']', Some(len));
        nested.wrapped = true;
        Ok(nested)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Nested<'s, 'a>> {
        Ok(Nested::open(self, b'{', b'}', len))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Nested<'s, 'a>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Nested<'s, 'a>> {
        self.variant_key(variant);
        let mut nested = Nested::open(self, b'{', b'}', Some(len));
        nested.wrapped = true;
        Ok(nested)
    }
}

/// The four sequence-like shapes (`[a,b]`) close alike; only the name of
/// the method that adds an element differs.
macro_rules! sequence_like {
    ($($trait:ident :: $add:ident),* $(,)?) => {$(
        impl ser::$trait for Nested<'_, '_> {
            type Ok = ();
            type Error = EncodeError;
            fn $add<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            fn end(self) -> Result<()> {
                self.close(b']')
            }
        }
    )*};
}

sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

impl ser::SerializeMap for Nested<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.close(b'}')
    }
}

impl ser::SerializeStruct for Nested<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.comma();
        write_str(self.ser.out, key);
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.close(b'}')
    }
}

impl ser::SerializeStructVariant for Nested<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<()> {
        self.close(b'}')
    }
}

/// A map key: strings (and unit variants, newtype structs around them) on
/// the fast path; any other key is written by serde_json's own key rules
/// (through a one-entry map, so that quoting and errors are its own).
struct KeySerializer<'s, 'a> {
    ser: &'s mut Compact<'a>,
}

impl KeySerializer<'_, '_> {
    fn by_serde_json<T: ?Sized + Serialize>(self, key: &T) -> Result<()> {
        struct OneKey<'k, T: ?Sized>(&'k T);
        impl<T: ?Sized + Serialize> Serialize for OneKey<'_, T> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use ser::SerializeMap;
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry(self.0, &())?;
                map.end()
            }
        }
        // `{KEY:null}`: the key is what lies between the braces and `:null`.
        let entry = serde_json::to_vec(&OneKey(key))?;
        let inner = entry.get(1..entry.len().saturating_sub(6)).unwrap_or_default();
        self.ser.out.extend_from_slice(inner);
        Ok(())
    }
}

/// The key serializer's methods other than strings: each hands the key to
/// serde_json.
macro_rules! key_by_serde_json {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<()> {
            self.by_serde_json(&v)
        })*
    };
}

impl ser::Serializer for KeySerializer<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<(), EncodeError>;
    type SerializeTuple = ser::Impossible<(), EncodeError>;
    type SerializeTupleStruct = ser::Impossible<(), EncodeError>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = ser::Impossible<(), EncodeError>;
    type SerializeStruct = ser::Impossible<(), EncodeError>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.ser.out, v);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        write_str(self.ser.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    key_by_serde_json!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
    );
    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        self.by_serde_json(&Some(value))
    }
    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

/// serde_json's error for a key it cannot write.
fn key_must_be_a_string() -> EncodeError {
    EncodeError("key must be a string".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn ours<T: ?Sized + Serialize>(v: &T) -> Vec<u8> {
        let mut out = b"prefix".to_vec();
        append(v, &mut out).unwrap();
        out.split_off(6)
    }

    fn same<T: ?Sized + Serialize>(v: &T) {
        let want = serde_json::to_vec(v).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours(v)), String::from_utf8_lossy(&want));
    }

    #[test]
    fn every_byte_escaped_as_serde_json_does() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            for s in [c.to_string(), format!("ab{c}"), format!("{c}0123456789abcdef{c}{c}")] {
                same(&s);
                same(&c);
            }
        }
    }

    #[test]
    fn generated_strings_agree_with_serde_json() {
        // Every offset of an escape within and across eight-byte words,
        // among ASCII, Arabic, Cyrillic, emoji and DEL.
        let pieces =
            ["a", "ب", "ж", "😀", "\u{7f}", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "\u{e9}"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..80 {
            for _ in 0..20 {
                let mut s = String::new();
                for _ in 0..len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                }
                same(&s);
            }
        }
    }

    #[test]
    fn structure_numbers_and_keys_agree_with_serde_json() {
        same(&json!({"a": [], "b": {}, "c": [1, -2, 3.5, 1e300, null, true, false],
                     "d": {"x": "y", "": [{}]}, "é\n": 0.1, "f": u64::MAX, "g": i64::MIN}));
        same(&f64::NAN);
        same(&Some(f32::INFINITY));
        same(&vec![(1u8, 'x'), (2, '"')]);
        same(&BTreeMap::from([(3i32, "three"), (-1, "minus")]));
        same(&BTreeMap::from([(true, 1)]));
        same(&BTreeMap::from([('k', 1)]));
        same(&b"bytes"[..]);
        same(&());
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        New(u32),
        Tuple(u8, String),
        Empty(),
        Struct { a: u8, b: Option<String> },
        Nothing {},
    }

    #[derive(Serialize)]
    struct Flat {
        id: u32,
        #[serde(flatten)]
        rest: BTreeMap<String, serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        shapes: Vec<Shape>,
    }

    #[test]
    fn derived_shapes_agree_with_serde_json() {
        let rest = BTreeMap::from([("z".to_string(), json!([1, "2"])), ("a".into(), json!({}))]);
        same(&Flat {
            id: 7,
            rest,
            skipped: None,
            shapes: vec![
                Shape::Unit,
                Shape::New(1),
                Shape::Tuple(2, "t".into()),
                Shape::Empty(),
                Shape::Struct { a: 3, b: None },
                Shape::Nothing {},
            ],
        });
        #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
        enum Key {
            Variant,
        }
        same(&BTreeMap::from([(Key::Variant, 1)]));
    }

    /// A string written in pieces (`collect_str`), escapes at and across
    /// the pieces' ends, as serde_json writes it.
    #[test]
    fn strings_in_pieces_agree_with_serde_json() {
        struct Pieces<'a>(&'a [&'a str]);
        impl fmt::Display for Pieces<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.iter().try_for_each(|p| f.write_str(p))
            }
        }
        impl Serialize for Pieces<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        let pool = ["", "a", "\"", "\\", "\n", "ab\ncdefghij\u{1}", "سلام\t", "😀", "\u{7f}x"];
        for x in pool {
            for y in pool {
                for z in pool {
                    same(&Pieces(&[x, y, z]));
                    same(&[Pieces(&[x]), Pieces(&[y, z])]);
                }
            }
        }
    }

    #[test]
    fn bad_keys_are_errors_as_in_serde_json() {
        let mut out = Vec::new();
        let map = BTreeMap::from([(vec![1u8], 1)]);
        assert!(serde_json::to_vec(&map).is_err());
        assert!(append(&map, &mut out).is_err());
    }
}
