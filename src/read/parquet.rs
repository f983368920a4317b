//! Reads a Parquet file tgnorm wrote (`--to parquet`) back into posts, so
//! that `tgnorm out.parquet` gives the JSONL of the run that wrote it.
//!
//! Detected by the `PAR1` magic at the start of a regular file (Parquet
//! needs its footer, at the end: standard input cannot be read). The file's
//! Arrow schema must be exactly the one of [`crate::format::arrow`]; a file
//! of another shape is refused whole, with the first column that differs.
//!
//! Each row becomes the JSON object of its post ([`Rows`], what `tgnorm
//! validate` checks against the post schema), then a [`Post`]. A row that
//! is not a valid post is a record error at its position — the row group,
//! the row in it (both 0-based), and `index`, the row in the file — and
//! reading goes on. Rows are decoded one batch of [`BATCH_ROWS`] at a time,
//! so memory does not grow with the file.

use crate::error::{Error, ErrorKind, Position, Result};
use crate::format::arrow::{join_date, schema, DateParts};
use crate::model::Post;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::{Map, Value};
use std::fs::File;
use std::path::Path;

/// Rows decoded at a time.
pub const BATCH_ROWS: usize = 1024;

/// The magic bytes every Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// True when the regular file at `path` starts with [`MAGIC`].
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == MAGIC
}

/// Where a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowPlace {
    /// 0-based row group.
    pub group: usize,
    /// 0-based row in its group.
    pub row: u64,
    /// 0-based row in the file.
    pub index: u64,
}

impl RowPlace {
    /// The position of this row in `file`.
    pub fn position(&self, file: &str) -> Position {
        Position { file: file.to_owned(), index: Some(self.index), ..Position::default() }
    }

    /// `row group G, row R`, for messages.
    pub fn describe(&self) -> String {
        format!("row group {}, row {}", self.group, self.row)
    }
}

/// The rows of a tgnorm Parquet file as JSON post objects.
pub struct Rows {
    name: String,
    batches: ParquetRecordBatchReader,
    /// Rows in each row group, to place a row.
    group_rows: Vec<u64>,
    batch: Option<RecordBatch>,
    at: usize,
    index: u64,
    done: bool,
}

fn format_error(name: &str, what: String) -> Error {
    Error::new(Position::file(name), ErrorKind::Format(what))
}

impl Rows {
    /// Opens `path` (named `name` in positions) and checks its schema.
    pub fn open(path: &Path, name: &str) -> Result<Rows> {
        let file = File::open(path).map_err(|e| Error::io(name, e))?;
        let not_parquet = |e: parquet::errors::ParquetError| {
            format_error(name, format!("not a readable Parquet file: {e}"))
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
        check_schema(builder.schema().fields(), name)?;
        let group_rows = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
            .collect();
        let batches = builder.with_batch_size(BATCH_ROWS).build().map_err(not_parquet)?;
        Ok(Rows {
            name: name.to_owned(),
            batches,
            group_rows,
            batch: None,
            at: 0,
            index: 0,
            done: false,
        })
    }

    /// The rows the file holds (from its footer).
    pub fn rows(&self) -> u64 {
        self.group_rows.iter().sum()
    }

    /// Where the row at `index` is.
    fn place(&self, index: u64) -> RowPlace {
        let (mut start, mut group) = (0u64, 0usize);
        for rows in &self.group_rows {
            if index < start + rows {
                break;
            }
            start += rows;
            group += 1;
        }
        RowPlace { group, row: index - start, index }
    }
}

/// Refuses a file whose columns are not tgnorm's.
fn check_schema(found: &arrow_schema::Fields, name: &str) -> Result<()> {
    let want = schema();
    for (i, field) in want.fields().iter().enumerate() {
        match found.get(i) {
            Some(f) if f.name() == field.name() && f.data_type() == field.data_type() => {}
            Some(f) => {
                return Err(format_error(
                    name,
                    format!(
                        "not a tgnorm Parquet file: column {} is `{}` {}, expected `{}` {}",
                        i + 1,
                        f.name(),
                        f.data_type(),
                        field.name(),
                        field.data_type()
                    ),
                ))
            }
            None => {
                return Err(format_error(
                    name,
                    format!("not a tgnorm Parquet file: no column `{}`", field.name()),
                ))
            }
        }
    }
    if found.len() > want.fields().len() {
        return Err(format_error(
            name,
            "not a tgnorm Parquet file: more columns than a post has".into(),
        ));
    }
    Ok(())
}

impl Iterator for Rows {
    type Item = Result<(RowPlace, Value)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if let Some(batch) = &self.batch {
                if self.at < batch.num_rows() {
                    let row = self.at;
                    self.at += 1;
                    let place = self.place(self.index);
                    self.index += 1;
                    return Some(match row_json(batch, row) {
                        Ok(value) => Ok((place, value)),
                        Err(what) => Err(Error::data(
                            place.position(&self.name),
                            format!("{}: {what}", place.describe()),
                        )),
                    });
                }
            }
            match self.batches.next() {
                Some(Ok(batch)) => {
                    self.batch = Some(batch);
                    self.at = 0;
                }
                Some(Err(e)) => {
                    // A page that cannot be decoded: the rest of the file cannot be placed.
                    self.done = true;
                    let place = self.place(self.index);
                    return Some(Err(format_error(
                        &self.name,
                        format!("{}: cannot decode the file from here: {e}", place.describe()),
                    )));
                }
                None => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}

/// Streams posts from a tgnorm Parquet file.
pub struct Reader {
    rows: Rows,
    name: String,
}

impl Reader {
    /// Opens `path`, named `name` in positions.
    pub fn open(path: &Path, name: String) -> Result<Reader> {
        Ok(Reader { rows: Rows::open(path, &name)?, name })
    }
}

impl Iterator for Reader {
    type Item = Result<Post>;

    fn next(&mut self) -> Option<Result<Post>> {
        let (place, value) = match self.rows.next()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        Some(serde_json::from_value::<Post>(value).map_err(|e| {
            Error::data(
                place.position(&self.name),
                format!("{}: not a tgnorm post: {e}", place.describe()),
            )
        }))
    }
}

/// A column's value at `row` as JSON (`null` when null), by the column's
/// Arrow type.
fn scalar(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    if let Some(a) = array.as_string_opt::<i32>() {
        return Value::String(a.value(row).to_owned());
    }
    if let Some(a) = array.as_primitive_opt::<Int64Type>() {
        return Value::from(a.value(row));
    }
    if let Some(a) = array.as_primitive_opt::<UInt64Type>() {
        return Value::from(a.value(row));
    }
    if let Some(a) = array.as_boolean_opt() {
        return Value::Bool(a.value(row));
    }
    Value::Null
}

/// The child `name` of a struct array.
fn child<'a>(array: &'a StructArray, name: &str) -> std::result::Result<&'a ArrayRef, String> {
    array.column_by_name(name).ok_or_else(|| format!("no column `{name}`"))
}

/// A struct's value at `row` as a JSON object of the named children
/// (`null` when the struct is null). Children absent when null are left out
/// when `omit_null` says so.
fn object_at(
    array: &ArrayRef,
    row: usize,
    keys: &[&str],
    omit_null: bool,
) -> std::result::Result<Value, String> {
    let s = array.as_struct_opt().ok_or("a struct column of another type")?;
    if s.is_null(row) {
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    for key in keys {
        let value = scalar(child(s, key)?, row);
        if !(omit_null && value.is_null()) {
            out.insert((*key).to_owned(), value);
        }
    }
    Ok(Value::Object(out))
}

/// A date's three columns (`name`, `name_offset`, `name_text`) of a struct
/// at `row`, joined back into its text.
fn date_at(s: &StructArray, name: &str, row: usize) -> std::result::Result<Value, String> {
    date_of(&|key| child(s, key), name, row)
}

/// [`date_at`] for columns found by `column`.
fn date_of<'a>(
    column: &dyn Fn(&str) -> std::result::Result<&'a ArrayRef, String>,
    name: &str,
    row: usize,
) -> std::result::Result<Value, String> {
    let at = column(name)?;
    let offset = column(&format!("{name}_offset"))?;
    let text = column(&format!("{name}_text"))?;
    let parts = DateParts {
        micros: at
            .as_primitive_opt::<TimestampMicrosecondType>()
            .and_then(|a| (!a.is_null(row)).then(|| a.value(row))),
        offset_minutes: offset
            .as_primitive_opt::<Int32Type>()
            .and_then(|a| (!a.is_null(row)).then(|| a.value(row))),
        text: scalar(text, row).as_str().map(str::to_owned),
    };
    Ok(join_date(&parts).map_or(Value::Null, Value::String))
}

/// A JSON object kept as text, merged into `into` (an empty object when null).
fn merge_json(into: &mut Map<String, Value>, text: &Value) -> std::result::Result<(), String> {
    if let Some(text) = text.as_str() {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => into.extend(map),
            _ => return Err(format!("`{text}` is not a JSON object")),
        }
    }
    Ok(())
}

/// The items of a list column at `row`, each as a JSON object built by `item`.
fn list_at(
    array: &ArrayRef,
    row: usize,
    item: &dyn Fn(&StructArray, usize) -> std::result::Result<Value, String>,
) -> std::result::Result<Value, String> {
    let list = array.as_list_opt::<i32>().ok_or("a list column of another type")?;
    let offsets = list.value_offsets();
    let (start, end) = match (offsets.get(row), offsets.get(row + 1)) {
        (Some(&s), Some(&e)) => (usize::try_from(s).unwrap_or(0), usize::try_from(e).unwrap_or(0)),
        _ => return Err("a list offset out of range".into()),
    };
    let values = list.values();
    let mut out = Vec::new();
    if let Some(items) = values.as_struct_opt() {
        for i in start..end {
            out.push(item(items, i)?);
        }
    } else {
        for i in start..end {
            out.push(scalar(values, i));
        }
    }
    Ok(Value::Array(out))
}

/// Named children of a struct item as a JSON object, nulls left out, then
/// the JSON object kept as text in `rest` merged in.
fn item_object(
    s: &StructArray,
    i: usize,
    keys: &[&str],
    rest: &str,
) -> std::result::Result<Value, String> {
    let mut out = Map::new();
    for key in keys {
        let value = scalar(child(s, key)?, i);
        if !value.is_null() {
            out.insert((*key).to_owned(), value);
        }
    }
    merge_json(&mut out, &scalar(child(s, rest)?, i))?;
    Ok(Value::Object(out))
}

fn entity(s: &StructArray, i: usize) -> std::result::Result<Value, String> {
    item_object(s, i, &["type", "offset", "length"], "attrs")
}

fn medium(s: &StructArray, i: usize) -> std::result::Result<Value, String> {
    const KEYS: [&str; 10] = [
        "type",
        "status",
        "file",
        "file_name",
        "mime_type",
        "file_size",
        "duration_seconds",
        "width",
        "height",
        "title",
    ];
    let mut out = Map::new();
    for key in KEYS {
        let value = scalar(child(s, key)?, i);
        if !value.is_null() {
            out.insert(key.to_owned(), value);
        }
    }
    let mut extra = Map::new();
    merge_json(&mut extra, &scalar(child(s, "extra")?, i))?;
    if !extra.is_empty() {
        out.insert("extra".into(), Value::Object(extra));
    }
    Ok(Value::Object(out))
}

fn reaction(s: &StructArray, i: usize) -> std::result::Result<Value, String> {
    item_object(s, i, &["type", "count", "emoji"], "extra")
}

/// The JSON object of the post at `row`, keys in the model's order.
pub fn row_json(batch: &RecordBatch, row: usize) -> std::result::Result<Value, String> {
    let column =
        |name: &str| batch.column_by_name(name).ok_or_else(|| format!("no column `{name}`"));
    let mut post = Map::new();
    post.insert(
        "chat".into(),
        object_at(column("chat")?, row, &["name", "id", "username", "type"], false)?,
    );
    post.insert("id".into(), scalar(column("id")?, row));
    post.insert("kind".into(), scalar(column("kind")?, row));
    post.insert("date".into(), date_of(&column, "date", row)?);
    // The model's two keys (`edited`: true or null, `edited_at`: a date or null).
    post.insert("edited".into(), scalar(column("edited")?, row));
    post.insert("edited_at".into(), date_of(&column, "edited_at", row)?);
    post.insert("from".into(), object_at(column("from")?, row, &["name", "id"], false)?);
    post.insert("author".into(), scalar(column("author")?, row));
    post.insert("forwarded_from".into(), forward_at(column("forwarded_from")?, row)?);
    let reply_keys = ["message_id", "author", "quote"];
    let mut reply = object_at(column("reply_to")?, row, &reply_keys, false)?;
    if let Value::Object(map) = &mut reply {
        if let Value::Object(rest) =
            object_at(column("reply_to")?, row, &["peer_id", "source_line"], true)?
        {
            map.extend(rest);
        }
    }
    post.insert("reply_to".into(), reply);
    post.insert("via_bot".into(), scalar(column("via_bot")?, row));
    post.insert("text".into(), scalar(column("text")?, row));
    post.insert("entities".into(), list_at(column("entities")?, row, &entity)?);
    post.insert("media".into(), list_at(column("media")?, row, &medium)?);
    post.insert("service".into(), service_at(column("service")?, row)?);
    post.insert("reactions".into(), list_at(column("reactions")?, row, &reaction)?);
    post.insert("views".into(), scalar(column("views")?, row));
    post.insert("source".into(), source_at(column("source")?, row)?);
    post.insert("cleaned".into(), list_at(column("cleaned")?, row, &|_, _| Ok(Value::Null))?);
    let topic = scalar(column("topic_id")?, row);
    if !topic.is_null() {
        post.insert("topic_id".into(), topic);
    }
    let mut extra = Map::new();
    merge_json(&mut extra, &scalar(column("extra")?, row))?;
    if !extra.is_empty() {
        post.insert("extra".into(), Value::Object(extra));
    }
    Ok(Value::Object(post))
}

fn forward_at(array: &ArrayRef, row: usize) -> std::result::Result<Value, String> {
    let s = array.as_struct_opt().ok_or("a struct column of another type")?;
    if s.is_null(row) {
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    for key in ["name", "id", "username", "message_id"] {
        out.insert(key.to_owned(), scalar(child(s, key)?, row));
    }
    out.insert("date".into(), date_at(s, "date", row)?);
    Ok(Value::Object(out))
}

fn service_at(array: &ArrayRef, row: usize) -> std::result::Result<Value, String> {
    let s = array.as_struct_opt().ok_or("a struct column of another type")?;
    if s.is_null(row) {
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    out.insert("action".into(), scalar(child(s, "action")?, row));
    out.insert("actor".into(), object_at(child(s, "actor")?, row, &["name", "id"], false)?);
    merge_json(&mut out, &scalar(child(s, "details")?, row))?;
    Ok(Value::Object(out))
}

fn source_at(array: &ArrayRef, row: usize) -> std::result::Result<Value, String> {
    let s = array.as_struct_opt().ok_or("a struct column of another type")?;
    let mut out = Map::new();
    for key in ["format", "file", "line", "end_line", "index", "byte"] {
        let value = scalar(child(s, key)?, row);
        if !value.is_null() || matches!(key, "format" | "file") {
            out.insert(key.to_owned(), value);
        }
    }
    let repeat = child(s, "repeat")?;
    let keys = ["kept_first", "kept_last", "dropped_first", "dropped_last"];
    if let Value::Object(r) = object_at(repeat, row, &keys, false)? {
        let get = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
        let kept = Value::Array(vec![get("kept_first"), get("kept_last")]);
        let dropped = Value::Array(vec![get("dropped_first"), get("dropped_last")]);
        out.insert("repeat".into(), serde_json::json!({ "kept": kept, "dropped": dropped }));
    }
    let flags = list_at(child(s, "flags")?, row, &|_, _| Ok(Value::Null))?;
    if flags.as_array().is_some_and(|f| !f.is_empty()) {
        out.insert("flags".into(), flags);
    }
    let mut local_dates = Map::new();
    merge_json(&mut local_dates, &scalar(child(s, "local_dates")?, row))?;
    if !local_dates.is_empty() {
        out.insert("local_dates".into(), Value::Object(local_dates));
    }
    if let Some(text) = scalar(child(s, "merged_from")?, row).as_str() {
        match serde_json::from_str::<Value>(text) {
            Ok(merged @ Value::Array(_)) => out.insert("merged_from".into(), merged),
            _ => return Err(format!("`{text}` is not a JSON array")),
        };
    }
    Ok(Value::Object(out))
}
