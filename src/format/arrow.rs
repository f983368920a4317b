//! The Arrow schema of a post, shared by the Parquet writer
//! ([`crate::write::arrow`], [`crate::write::parquet`]) and reader
//! ([`crate::read::parquet`]), so that neither reaches into the other.
//!
//! One fixed schema, whatever the input, so that the Parquet files of any
//! runs load as one table (issue 15). Its columns follow the post model's
//! keys in order (`schemas/post.schema.json`); nested objects are structs,
//! arrays are lists, and what has no fixed shape (`extra`, an entity's,
//! a medium's or a reaction's own attributes, a service's details) is a
//! JSON object in a string column, `null` when empty.
//!
//! # Dates
//!
//! `date`, `edited_at` and `forwarded_from.date` are
//! `Timestamp(Microsecond, "UTC")`, so that `date_trunc` works on them
//! directly. Two more columns keep what a timestamp cannot: `*_offset`, the
//! offset the text had in minutes east of UTC (`null` when the text had
//! none: such a date is taken as UTC, the rule of [`split_date`]), and
//! `*_text`, the text itself, only when the timestamp and offset would not
//! give it back byte for byte (fractions of seconds written otherwise, `Z`,
//! a text that is no date at all). So reading the file back gives the same
//! JSONL ([`join_date`]).
//!
//! `edited` is a boolean (`true` when the post says it was edited) and
//! `edited_at` the time of the last edit when known: the model's one
//! `edited` key, a date or `true`, is split in [`split_edited`].

use crate::model::Edited;
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use std::sync::{Arc, OnceLock};

/// The timestamp type of every date column.
pub fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn uint64(name: &str) -> Field {
    Field::new(name, DataType::UInt64, true)
}

/// A nullable struct of `children`.
fn object(name: &str, children: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(children)), true)
}

/// A non-null list of `item`s (an empty list for none).
fn list(name: &str, item: DataType) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", item, false))), false)
}

/// The three columns of a date: timestamp, offset, text.
fn date_fields(name: &str) -> [Field; 3] {
    [
        Field::new(name, timestamp(), true),
        Field::new(format!("{name}_offset"), DataType::Int32, true),
        utf8(&format!("{name}_text")),
    ]
}

/// `name` and `id` of a peer.
fn peer_fields() -> Vec<Field> {
    vec![utf8("name"), utf8("id")]
}

/// The children of the `entities` list's items.
pub fn entity_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Utf8, false),
        Field::new("offset", DataType::UInt64, false),
        Field::new("length", DataType::UInt64, false),
        utf8("attrs"),
    ])
}

/// The children of the `media` list's items.
pub fn media_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        utf8("file"),
        utf8("file_name"),
        utf8("mime_type"),
        uint64("file_size"),
        uint64("duration_seconds"),
        uint64("width"),
        uint64("height"),
        utf8("title"),
        utf8("extra"),
    ])
}

/// The children of the `reactions` list's items.
pub fn reaction_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Utf8, false),
        Field::new("count", DataType::UInt64, false),
        utf8("emoji"),
        utf8("extra"),
    ])
}

/// The post schema's fields, built once.
fn build() -> Schema {
    let [date, date_offset, date_text] = date_fields("date");
    let [edited_at, edited_at_offset, edited_at_text] = date_fields("edited_at");
    let mut forward = vec![utf8("name"), utf8("id"), utf8("username")];
    forward.push(Field::new("message_id", DataType::Int64, true));
    forward.extend(date_fields("date"));
    let repeat = ["kept_first", "kept_last", "dropped_first", "dropped_last"].map(uint64);
    Schema::new(vec![
        object("chat", vec![utf8("name"), utf8("id"), utf8("username"), utf8("type")]),
        Field::new("id", DataType::Int64, true),
        Field::new("kind", DataType::Utf8, false),
        date,
        date_offset,
        date_text,
        Field::new("edited", DataType::Boolean, true),
        edited_at,
        edited_at_offset,
        edited_at_text,
        object("from", peer_fields()),
        utf8("author"),
        object("forwarded_from", forward),
        object(
            "reply_to",
            vec![
                Field::new("message_id", DataType::Int64, true),
                utf8("author"),
                utf8("quote"),
                utf8("peer_id"),
                uint64("source_line"),
            ],
        ),
        utf8("via_bot"),
        Field::new("text", DataType::Utf8, false),
        list("entities", DataType::Struct(entity_fields())),
        list("media", DataType::Struct(media_fields())),
        object("service", vec![utf8("action"), object("actor", peer_fields()), utf8("details")]),
        list("reactions", DataType::Struct(reaction_fields())),
        uint64("views"),
        Field::new(
            "source",
            DataType::Struct(Fields::from(vec![
                Field::new("format", DataType::Utf8, false),
                Field::new("file", DataType::Utf8, false),
                uint64("line"),
                uint64("end_line"),
                uint64("index"),
                uint64("byte"),
                object("repeat", repeat.to_vec()),
                list("flags", DataType::Utf8),
                // `source.local_dates` (dates as the source gave them, before
                // `--assume-offset`), a JSON object; null when none.
                utf8("local_dates"),
                // `source.merged_from` (the other versions merged into this
                // post), a JSON array; null when none.
                utf8("merged_from"),
            ])),
            false,
        ),
        list("cleaned", DataType::Utf8),
        Field::new("topic_id", DataType::Int64, true),
        utf8("extra"),
    ])
}

/// The Arrow schema of a post (shared, built once).
pub fn schema() -> Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| Arc::new(build())).clone()
}

/// A date as its three columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateParts {
    /// Microseconds since 1970-01-01T00:00:00Z.
    pub micros: Option<i64>,
    /// The text's offset in minutes east of UTC; `None` when it had none.
    pub offset_minutes: Option<i32>,
    /// The text, when `micros` and `offset_minutes` do not give it back.
    pub text: Option<String>,
}

/// Splits a date text into its columns. An RFC 3339 date with an offset
/// keeps it; a date without one (`2024-03-01T12:00:00`, local time in
/// exports written before mid-2022) is taken as UTC, with no offset. Any
/// other text is kept as text, with no timestamp.
pub fn split_date(text: &str) -> DateParts {
    let parsed = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => Some((at.timestamp_micros(), Some(at.offset().local_minus_utc() / 60))),
        Err(_) => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|at| (at.and_utc().timestamp_micros(), None)),
    };
    let Some((micros, offset_minutes)) = parsed else {
        return DateParts { micros: None, offset_minutes: None, text: Some(text.to_owned()) };
    };
    let kept = (render(micros, offset_minutes).as_deref() != Some(text)).then(|| text.to_owned());
    DateParts { micros: Some(micros), offset_minutes, text: kept }
}

/// The date text back from its columns: the kept text if any, else the
/// timestamp written in its offset (`2024-03-01T12:00:00+03:00`), or
/// without one when it had none.
pub fn join_date(parts: &DateParts) -> Option<String> {
    match &parts.text {
        Some(text) => Some(text.clone()),
        None => render(parts.micros?, parts.offset_minutes),
    }
}

/// `micros` written as the RFC 3339 local time of its offset (seconds, and
/// a fraction only when there is one).
fn render(micros: i64, offset_minutes: Option<i32>) -> Option<String> {
    let utc = Utc.timestamp_micros(micros).single()?;
    let offset = FixedOffset::east_opt(offset_minutes.unwrap_or(0).checked_mul(60)?)?;
    let local = utc.with_timezone(&offset).naive_local();
    let mut out = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if micros.rem_euclid(1_000_000) != 0 {
        out.push_str(&local.format("%.6f").to_string());
    }
    if let Some(minutes) = offset_minutes {
        let sign = if minutes < 0 { '-' } else { '+' };
        let minutes = minutes.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    }
    Some(out)
}

/// The model's `edited` as the `edited` flag and the `edited_at` date.
/// The one place that knows how the model holds an edit (issue 15 item 1
/// will split it in the model too; only this function and [`join_edited`]
/// change then).
pub fn split_edited(edited: Option<&Edited>) -> (Option<bool>, Option<&str>) {
    match edited {
        None => (None, None),
        Some(Edited::Unknown) => (Some(true), None),
        Some(Edited::At(date)) => (Some(true), Some(date)),
    }
}

/// [`split_edited`] undone: a date is an edit at that date, `true` without
/// one an edit at an unknown time; `false` and `null` are no edit mark.
pub fn join_edited(flag: Option<bool>, at: Option<String>) -> Option<Edited> {
    match (flag, at) {
        (_, Some(date)) => Some(Edited::At(date)),
        (Some(true), None) => Some(Edited::Unknown),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_split_and_join_back() {
        for text in [
            "2024-03-01T12:00:00+03:00",
            "2024-03-01T12:00:00",
            "2024-03-01T12:00:00-09:30",
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00.5+00:00",
            "2024-03-01T12:00:00.250000+00:00",
            "01/03/2024 12:00",
            "",
        ] {
            assert_eq!(join_date(&split_date(text)).as_deref(), Some(text), "{text}");
        }
        let parts = split_date("2024-03-01T12:00:00+03:00");
        assert_eq!(parts.micros, Some(1_709_283_600_000_000));
        assert_eq!((parts.offset_minutes, parts.text), (Some(180), None));
        let parts = split_date("2024-03-01T09:00:00");
        assert_eq!((parts.micros, parts.offset_minutes), (Some(1_709_283_600_000_000), None));
        assert_eq!(
            split_date("2024-03-01T12:00:00Z").text.as_deref(),
            Some("2024-03-01T12:00:00Z")
        );
        assert_eq!(split_date("yesterday").micros, None);
    }

    #[test]
    fn edits_split_and_join_back() {
        for edited in [None, Some(Edited::Unknown), Some(Edited::At("2024-03-01T12:00:00".into()))]
        {
            let (flag, at) = split_edited(edited.as_ref());
            assert_eq!(join_edited(flag, at.map(str::to_owned)), edited);
        }
    }
}
