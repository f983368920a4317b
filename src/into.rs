//! `--into` a Parquet archive (issue 17 item 3): one Parquet file tgnorm
//! wrote (`--to parquet`), or a dataset folder (`--to parquet
//! --partition-by … -o DIR`, Hive layout), as `--into ARCHIVE.jsonl` does
//! for JSONL (`convert.rs`): only posts the archive lacks are added, a newer
//! edit replaces a post, and nothing is rewritten when nothing is new.
//!
//! # Reading only the identity columns
//!
//! The merge's first pass needs of each archive post its identity and what
//! the decision compares (chat id, name and username, id, edit time, text,
//! source format), and for posts without an id what [`merge::idless_key`]
//! hashes (kind, date, forward name, media kinds). [`identities`] reads
//! those leaf columns alone (a Parquet column projection), a batch of
//! [`BATCH_ROWS`] rows at a time, and gives each row as a thin [`Post`]
//! holding only them; the archive's posts are never held. What stays per
//! archive post is the merge table's 48-byte record (`merge::Table`).
//!
//! # A file
//!
//! The new archive is one new file, written under a temporary name and
//! renamed by the CLI, as for JSONL ([`run_file`]): the archive's row groups
//! that lost no post to a newer edit, copied as they are (their column
//! chunks' bytes, never decoded: `append_column`), then the posts left of
//! the row groups that did ([`copy_file`]) and the posts added, which the
//! Parquet writer encodes into an anonymous temporary file first.
//!
//! # A dataset
//!
//! The partitioning is read from the folder names ([`partitioning`]:
//! `chat_id=…/month=…/part-N.parquet`); new posts go to the partition their
//! chat and month name, in a new part file (`part-N.parquet`, the first
//! number free in that folder). The new dataset is built in a staging
//! folder beside the old one ([`stage_dataset`]): every file the run does
//! not change is hard-linked into it (same bytes, same modification time,
//! the same inode), a part file holding a replaced post is written anew
//! without it, and the partition writer adds the new part files. The CLI
//! then swaps the two folders in one `renameat2(RENAME_EXCHANGE)` and
//! removes the old one, so readers see the old dataset or the new one,
//! never half of each; a failed or interrupted run removes the staging
//! folder and leaves the dataset as it was.

use crate::error::{Error, ErrorKind, Position, Result};
use crate::format::arrow::{join_date, join_edited, DateParts};
use crate::merge::{self, Ordinal};
use crate::model::{Chat, Forward, Kind, Post, Source, Text};
use crate::read::parquet as pq;
use crate::write::{self, partition::By};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Rows of identity columns decoded at a time.
pub const BATCH_ROWS: usize = 4096;

/// What an `--into` path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archive {
    /// A tgnorm JSONL file (`convert.rs` handles it).
    Jsonl,
    /// One tgnorm Parquet file.
    File,
    /// A dataset folder of Parquet part files.
    Dataset,
}

impl Archive {
    /// What `path` is: a folder is a dataset (`partitioned` says so too for
    /// one that does not exist yet, given `--partition-by`); a file is
    /// Parquet by its `PAR1` magic, or, when it does not exist or is empty,
    /// by its `.parquet` extension; anything else is JSONL.
    pub fn of(path: &Path, partitioned: bool) -> Archive {
        if path.is_dir() || (partitioned && !path.exists()) {
            return Archive::Dataset;
        }
        let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        if pq::is_parquet(path) || (empty && path.extension().is_some_and(|e| e == "parquet")) {
            return Archive::File;
        }
        Archive::Jsonl
    }
}

/// A leaf column the first pass reads (its path in the Parquet schema).
fn wanted(parts: &[String]) -> bool {
    const LEAVES: &[&[&str]] = &[
        &["chat", "name"],
        &["chat", "id"],
        &["chat", "username"],
        &["id"],
        &["kind"],
        &["date"],
        &["date_offset"],
        &["date_text"],
        &["edited"],
        &["edited_at"],
        &["edited_at_offset"],
        &["edited_at_text"],
        &["forwarded_from", "name"],
        &["text"],
        &["source", "format"],
    ];
    let media_type =
        parts.first().is_some_and(|p| p == "media") && parts.last().is_some_and(|p| p == "type");
    media_type
        || LEAVES.iter().any(|leaf| leaf.iter().copied().eq(parts.iter().map(String::as_str)))
}

/// A row's identity: the thin post (chat, id, kind, date, edit, text,
/// forward name, source format) and its media kinds.
pub struct Head {
    /// The post, with only the identity columns filled in.
    pub post: Post,
    /// The kinds of its media, in order.
    pub media_kinds: Vec<String>,
}

/// Calls `each` with every row of the tgnorm Parquet file at `path` (its
/// 0-based index, its [`Head`]), reading only the identity columns.
/// Returns the number of rows. A row that cannot be read stops it: the
/// archive must be tgnorm's, and is left as it is.
pub fn identities(
    path: &Path,
    name: &str,
    each: &mut dyn FnMut(u64, Head) -> Result<()>,
) -> Result<u64> {
    pq::Rows::open(path, name)?; // the schema check: tgnorm's columns or nothing
    let unreadable = |e: parquet::errors::ParquetError| {
        Error::new(Position::file(name), ErrorKind::Format(format!("--into: {e}")))
    };
    let file = File::open(path).map_err(|e| Error::io(name, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(unreadable)?;
    let descr = builder.parquet_schema();
    let leaves = descr.columns().iter().enumerate().filter(|(_, c)| wanted(c.path().parts()));
    let mask = ProjectionMask::leaves(descr, leaves.map(|(i, _)| i).collect::<Vec<_>>());
    let batches =
        builder.with_projection(mask).with_batch_size(BATCH_ROWS).build().map_err(unreadable)?;
    let mut index = 0u64;
    for batch in batches {
        let batch = batch.map_err(|e| {
            Error::new(Position::file(name), ErrorKind::Format(format!("--into: {e}")))
        })?;
        for row in 0..batch.num_rows() {
            let head = head_at(&batch, row).map_err(|what| {
                let at =
                    Position { file: name.to_owned(), index: Some(index), ..Position::default() };
                Error::data(at, format!("--into: row {index}: {what}"))
            })?;
            each(index, head)?;
            index += 1;
        }
    }
    Ok(index)
}

type Found<T> = std::result::Result<T, String>;

fn string_at(array: &ArrayRef, row: usize) -> Option<String> {
    let a = array.as_string_opt::<i32>()?;
    (!a.is_null(row)).then(|| a.value(row).to_owned())
}

fn child<'a>(s: &'a StructArray, name: &str) -> Found<&'a ArrayRef> {
    s.column_by_name(name).ok_or_else(|| format!("no column `{name}`"))
}

/// The date whose three columns are `name`, `name_offset`, `name_text`.
fn date_at(batch: &RecordBatch, name: &str, row: usize) -> Found<Option<String>> {
    let column = |n: &str| batch.column_by_name(n).ok_or_else(|| format!("no column `{n}`"));
    let micros = column(name)?.as_primitive_opt::<TimestampMicrosecondType>();
    let offset = column(&format!("{name}_offset"))?.as_primitive_opt::<Int32Type>();
    let parts = DateParts {
        micros: micros.and_then(|a| (!a.is_null(row)).then(|| a.value(row))),
        offset_minutes: offset.and_then(|a| (!a.is_null(row)).then(|| a.value(row))),
        text: string_at(column(&format!("{name}_text"))?, row),
    };
    Ok(join_date(&parts))
}

/// The [`Head`] of row `row` of a batch of identity columns.
fn head_at(batch: &RecordBatch, row: usize) -> Found<Head> {
    let column = |n: &str| batch.column_by_name(n).ok_or_else(|| format!("no column `{n}`"));
    let chat = column("chat")?.as_struct_opt().ok_or("`chat` is not a struct")?;
    let chat = (!chat.is_null(row)).then(|| -> Found<Chat> {
        Ok(Chat {
            name: string_at(child(chat, "name")?, row),
            id: string_at(child(chat, "id")?, row),
            username: string_at(child(chat, "username")?, row),
            kind: None,
        })
    });
    let id = column("id")?.as_primitive_opt::<Int64Type>();
    let kind = string_at(column("kind")?, row).unwrap_or_default();
    let kind: Kind = serde_json::from_value(serde_json::Value::String(kind.clone()))
        .map_err(|_| format!("`{kind}` is not a post kind"))?;
    let flag =
        column("edited")?.as_boolean_opt().and_then(|a| (!a.is_null(row)).then(|| a.value(row)));
    let forward =
        column("forwarded_from")?.as_struct_opt().ok_or("`forwarded_from` is not a struct")?;
    let forwarded_from = (!forward.is_null(row)).then(|| -> Found<Forward> {
        Ok(Forward { name: string_at(child(forward, "name")?, row), ..Forward::default() })
    });
    let source = column("source")?.as_struct_opt().ok_or("`source` is not a struct")?;
    let post = Post {
        chat: chat.transpose()?,
        id: id.and_then(|a| (!a.is_null(row)).then(|| a.value(row))),
        kind,
        date: date_at(batch, "date", row)?,
        edited: join_edited(flag, date_at(batch, "edited_at", row)?),
        forwarded_from: forwarded_from.transpose()?,
        text: Text::plain(string_at(column("text")?, row).unwrap_or_default()),
        source: Source {
            format: string_at(child(source, "format")?, row).unwrap_or_default(),
            ..Source::default()
        },
        ..Post::default()
    };
    Ok(Head { post, media_kinds: media_kinds(column("media")?, row)? })
}

/// The `type` of each medium of row `row`.
fn media_kinds(media: &ArrayRef, row: usize) -> Found<Vec<String>> {
    let list = media.as_list_opt::<i32>().ok_or("`media` is not a list")?;
    let items = list.values().as_struct_opt().ok_or("`media` items are not structs")?;
    let kinds = child(items, "type")?;
    let offsets = list.value_offsets();
    let (Some(&start), Some(&end)) = (offsets.get(row), offsets.get(row + 1)) else {
        return Err("a list offset out of range".into());
    };
    let range = usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0);
    Ok(range.filter_map(|i| string_at(kinds, i)).collect())
}

/// The version of an archive row, placed at its row in its file.
fn version(head: &Head, at: Ordinal, file: &str, index: u64) -> Option<merge::Version> {
    let mut v = merge::Version::of(&head.post, at)?;
    v.place = merge::Place::of(None, Some(index));
    v.file = file.to_owned();
    Some(v)
}

/// The Parquet files of an archive: the file itself, or a dataset's part
/// files (relative to its root), in path order.
fn parquet_files(path: &Path, archive: Archive) -> Result<Vec<PathBuf>> {
    match archive {
        Archive::Dataset if path.is_dir() => Ok(dataset_files(path)?
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
            .map(|f| path.join(f))
            .collect()),
        Archive::File if path.exists() => Ok(vec![path.to_path_buf()]),
        _ => Ok(Vec::new()),
    }
}

/// The first pass over a Parquet archive: every row's version recorded in
/// `table` (file 0; the item is the row's number across the archive), and
/// the [`merge::idless_key`] of rows without an id. Returns the number of
/// rows and those keys.
pub fn survey(
    path: &Path,
    archive: Archive,
    table: &mut merge::Table,
) -> Result<(u64, HashSet<u64>)> {
    let files = parquet_files(path, archive)?;
    let mut rows = 0u64;
    for file in &files {
        rows += pq::Rows::open(file, &file.display().to_string())?.rows();
    }
    table.reserve_archive(usize::try_from(rows).unwrap_or(0));
    table.set_archive_format("parquet");
    let (mut item, mut idless) = (0u64, HashSet::new());
    for file in &files {
        let name = file.display().to_string();
        identities(file, &name, &mut |index, head| {
            item += 1;
            match version(&head, Ordinal::new(0, item), &name, index) {
                Some(v) => table.add_archived(&v),
                None => {
                    idless.insert(merge::idless_key_of(
                        &head.post,
                        head.media_kinds.iter().map(String::as_str),
                    ));
                }
            }
            Ok(())
        })?;
    }
    table.end_archive();
    Ok((item, idless))
}

/// True when a post of the Parquet file at `path` is replaced by a newer
/// edit from an input.
fn has_replaced(path: &Path, table: &merge::Table) -> Result<bool> {
    let name = path.display().to_string();
    let mut found = false;
    identities(path, &name, &mut |index, head| {
        let at = Ordinal::new(0, index);
        found |= version(&head, at, &name, index).is_some_and(|v| table.kept_elsewhere(&v));
        Ok(())
    })?;
    Ok(found)
}

/// The number of rows in each row group of the Parquet file at `path`.
fn group_rows(path: &Path, name: &str) -> Result<Vec<u64>> {
    let file = File::open(path).map_err(|e| Error::io(name, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(name, e))?;
    let groups = builder.metadata().row_groups().iter();
    Ok(groups.map(|g| u64::try_from(g.num_rows()).unwrap_or(0)).collect())
}

fn unreadable(name: &str, e: impl std::fmt::Display) -> Error {
    Error::new(Position::file(name), ErrorKind::Format(format!("--into: {e}")))
}

/// For each row group of the Parquet file at `path`: true when it holds a
/// post replaced by a newer edit from an input.
fn touched_groups(path: &Path, name: &str, table: &merge::Table) -> Result<Vec<bool>> {
    let rows = group_rows(path, name)?;
    let mut touched = vec![false; rows.len()];
    let (mut group, mut end) = (0usize, rows.first().copied().unwrap_or(0));
    identities(path, name, &mut |index, head| {
        while index >= end && group + 1 < rows.len() {
            group += 1;
            end += rows.get(group).copied().unwrap_or(0);
        }
        let at = Ordinal::new(0, index);
        if version(&head, at, name, index).is_some_and(|v| table.kept_elsewhere(&v)) {
            if let Some(t) = touched.get_mut(group) {
                *t = true;
            }
        }
        Ok(())
    })?;
    Ok(touched)
}

/// `--into FILE.parquet`: the posts of the archive's row groups that hold a
/// replaced post (less the replaced ones) into `writer`, before the inputs'
/// posts; the other row groups' numbers into `kept_groups`, for
/// [`run_file`] to copy as they are. Notes how many.
pub fn copy_file<W: Write>(
    path: &Path,
    table: &merge::Table,
    writer: &mut write::Writer<W>,
    notes: &crate::account::Notes,
    kept_groups: &mut Vec<usize>,
) -> Result<()> {
    let name = path.display().to_string();
    let (kept, replaced) = copy_groups(path, table, writer, kept_groups)?;
    let text = format!("{kept} posts kept as they were, {replaced} replaced by a newer version");
    notes.output(&name, |r| r.say("into", text));
    Ok(())
}

/// [`copy_file`] without the note: returns (kept, replaced).
fn copy_groups<W: Write>(
    path: &Path,
    table: &merge::Table,
    writer: &mut write::Writer<W>,
    kept_groups: &mut Vec<usize>,
) -> Result<(u64, u64)> {
    let name = path.display().to_string();
    let (mut kept, mut replaced) = (0u64, 0u64);
    let rows = if path.exists() { group_rows(path, &name)? } else { Vec::new() };
    let touched = if path.exists() { touched_groups(path, &name, table)? } else { Vec::new() };
    let mut first = 0u64;
    for (group, (count, touched)) in rows.iter().zip(touched).enumerate() {
        if !touched {
            kept_groups.push(group);
            kept += count;
            first += count;
            continue;
        }
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&name, e))?;
        let batches = builder
            .with_row_groups(vec![group])
            .with_batch_size(pq::BATCH_ROWS)
            .build()
            .map_err(|e| unreadable(&name, e))?;
        let mut index = first;
        for batch in batches {
            let batch = batch.map_err(|e| unreadable(&name, e))?;
            for row in 0..batch.num_rows() {
                let at = Position { file: name.clone(), index: Some(index), ..Position::default() };
                let bad =
                    |what: String| Error::data(at.clone(), format!("--into: row {index}: {what}"));
                let value = pq::row_json(&batch, row).map_err(bad)?;
                let post: Post = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
                let head = Head { post, media_kinds: Vec::new() };
                let version = version(&head, Ordinal::new(0, index), &name, index);
                if version.is_some_and(|v| table.kept_elsewhere(&v)) {
                    replaced += 1;
                } else {
                    kept += 1;
                    writer.write(&head.post)?;
                }
                index += 1;
            }
        }
        first += count;
    }
    Ok((kept, replaced))
}

/// Writes the part file `from` anew at `to` without the posts replaced by
/// a newer edit, as [`run_file`] writes a file: its row groups that lost no
/// post copied as they are, the others' posts encoded again. Returns how
/// many posts were left out.
fn rewrite_part(from: &Path, to: &Path, table: &merge::Table) -> Result<u64> {
    let name = to.display().to_string();
    let side = tempfile::tempfile().map_err(|e| Error::io(&name, e))?;
    let mut writer = write::Writer::new(write::Format::Parquet, BufWriter::new(side), name.clone());
    let mut kept_groups = Vec::new();
    let (_, replaced) = copy_groups(from, table, &mut writer, &mut kept_groups)?;
    let side = writer.finish()?.into_inner().map_err(|e| Error::io(&name, e.into_error()))?;
    let archive = File::open(from).map_err(|e| Error::io(&name, e))?;
    let out = File::create_new(to).map_err(|e| Error::io(&name, e))?;
    assemble(&name, (&archive, &kept_groups), &side, out)?;
    Ok(replaced)
}

/// What [`run_file`] runs: the conversion into the side file, telling the
/// archive's row groups to keep.
pub type Body<'a> = dyn FnMut(BufWriter<File>, &mut Vec<usize>) -> Result<(crate::convert::Outcome, BufWriter<File>)>
    + 'a;

/// `--into FILE.parquet` (an existing file): `body` writes the posts added,
/// and the rows left of row groups that lost a replaced post, as a Parquet
/// file into an anonymous temporary file (no name: nothing is left behind
/// on any exit); then the new archive is assembled into `out` from the
/// archive's untouched row groups, copied as they are (their column chunks'
/// bytes, never decoded), and that file's row groups.
pub fn run_file<W: Write>(
    path: &Path,
    mut out: W,
    body: &mut Body,
) -> Result<(crate::convert::Outcome, W)> {
    let name = path.display().to_string();
    let side = tempfile::tempfile().map_err(|e| Error::io(&name, e))?;
    let mut kept_groups = Vec::new();
    let (outcome, side) = body(BufWriter::new(side), &mut kept_groups)?;
    if !outcome.changed || outcome.stopped.is_some() {
        return Ok((outcome, out));
    }
    let side = side.into_inner().map_err(|e| Error::io(&name, e.into_error()))?;
    let archive = File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut whole = tempfile::tempfile().map_err(|e| Error::io(&name, e))?;
    assemble(
        &name,
        (&archive, &kept_groups),
        &side,
        whole.try_clone().map_err(|e| Error::io(&name, e))?,
    )?;
    std::io::Seek::rewind(&mut whole).map_err(|e| Error::io(&name, e))?;
    std::io::copy(&mut whole, &mut out).map_err(|e| Error::io(&name, e))?;
    Ok((outcome, out))
}

/// Writes into `out` one Parquet file of the row groups `groups` of
/// `archive`, then every row group of `side`, column chunk by column chunk
/// as they are (`append_column`), with the archive's schema and key-value
/// metadata (the Arrow schema tgnorm's reader checks).
fn assemble(
    name: &str,
    (archive, groups): (&File, &[usize]),
    side: &File,
    out: File,
) -> Result<()> {
    use parquet::column::writer::ColumnCloseResult;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    let fail = |e: parquet::errors::ParquetError| unreadable(name, e);
    let clone = |f: &File| f.try_clone().map_err(|e| Error::io(name, e));
    let archive_meta = SerializedFileReader::new(clone(archive)?).map_err(fail)?.metadata().clone();
    let side_meta = SerializedFileReader::new(clone(side)?).map_err(fail)?.metadata().clone();
    let file_meta = archive_meta.file_metadata();
    let mut props = write::parquet::properties().into_builder();
    props = props.set_key_value_metadata(file_meta.key_value_metadata().cloned());
    let schema = file_meta.schema_descr().root_schema_ptr();
    let mut writer =
        SerializedFileWriter::new(BufWriter::new(out), schema, std::sync::Arc::new(props.build()))
            .map_err(fail)?;
    let side_groups: Vec<usize> = (0..side_meta.num_row_groups()).collect();
    for (reader, meta, groups) in
        [(archive, &archive_meta, groups), (side, &side_meta, &side_groups[..])]
    {
        for group in groups {
            let Some(group) = meta.row_groups().get(*group) else { continue };
            let mut rows = writer.next_row_group().map_err(fail)?;
            for chunk in group.columns() {
                let close = ColumnCloseResult {
                    bytes_written: u64::try_from(chunk.compressed_size()).unwrap_or(0),
                    rows_written: u64::try_from(group.num_rows()).unwrap_or(0),
                    metadata: chunk.clone(),
                    bloom_filter: None,
                    column_index: None,
                    offset_index: None,
                };
                rows.append_column(reader, close).map_err(fail)?;
            }
            rows.close().map_err(fail)?;
        }
    }
    let out = writer.into_inner().map_err(fail)?;
    out.into_inner()
        .map_err(|e| Error::io(name, e.into_error()))?
        .sync_all()
        .map_err(|e| Error::io(name, e))
}

/// Every file under a dataset's root, relative to it, in path order; the
/// staging folders and temporary files of tgnorm (`*.tgnorm.tmp`) left out.
pub fn dataset_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        let dir = root.join(&folder);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir.display().to_string(), e))?;
            let rel = folder.join(entry.file_name());
            if entry.file_name().to_string_lossy().ends_with(".tgnorm.tmp") {
                continue;
            }
            let kind = entry.file_type().map_err(|e| Error::io(dir.display().to_string(), e))?;
            if kind.is_dir() {
                folders.push(rel);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The partitioning of a dataset, read from the folders its Parquet files
/// are in: `chat_id=…`, `month=…` or `chat_id=…/month=…` (none: files at
/// the root). `None` when it holds no Parquet file; an error when the
/// folders are not a tgnorm layout, or differ between files.
pub fn partitioning(root: &Path) -> Result<Option<By>> {
    let mut found: Option<(Vec<String>, PathBuf)> = None;
    for file in
        dataset_files(root)?.iter().filter(|f| f.extension().is_some_and(|e| e == "parquet"))
    {
        let keys: Vec<String> = file
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .map(|c| {
                let c = c.as_os_str().to_string_lossy();
                c.split_once('=').map_or_else(|| c.to_string(), |(k, _)| format!("{k}="))
            })
            .collect();
        match &found {
            Some((first, at)) if *first != keys => {
                return Err(Error::usage(format!(
                    "--into `{}`: its files are not partitioned alike (`{}` and `{}`)",
                    root.display(),
                    at.display(),
                    file.display()
                )))
            }
            Some(_) => {}
            None => found = Some((keys, file.clone())),
        }
    }
    let Some((keys, file)) = found else { return Ok(None) };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    match keys.as_slice() {
        [] => Ok(Some(By { chat: false, month: false })),
        ["chat_id="] => Ok(Some(By { chat: true, month: false })),
        ["month="] => Ok(Some(By { chat: false, month: true })),
        ["chat_id=", "month="] => Ok(Some(By { chat: true, month: true })),
        _ => Err(Error::usage(format!(
            "--into `{}`: `{}` is not in a partition tgnorm writes (chat_id=…/month=…)",
            root.display(),
            file.display()
        ))),
    }
}

/// The partitioning to add to a dataset with: the one its folders show;
/// `given` (`--partition-by`) must agree, and is needed when it holds no
/// Parquet file yet.
pub fn dataset_partitioning(root: &Path, given: Option<By>) -> Result<By> {
    let files = if root.is_dir() { dataset_files(root)? } else { Vec::new() };
    let of_kind = |ext: &str| files.iter().find(|f| f.extension().is_some_and(|e| e == ext));
    if let Some(other) = of_kind("jsonl").or_else(|| of_kind("csv")) {
        return Err(Error::usage(format!(
            "--into `{}` holds `{}`: --into adds to Parquet datasets only",
            root.display(),
            other.display()
        )));
    }
    let found = if root.is_dir() { partitioning(root)? } else { None };
    if let (None, Some(file)) = (found, files.first()) {
        return Err(Error::usage(format!(
            "--into `{}` holds files (`{}`) but no Parquet part file: it is not a dataset",
            root.display(),
            file.display()
        )));
    }
    let name = |by: By| match (by.chat, by.month) {
        (true, true) => "chat,month",
        (true, false) => "chat",
        (false, true) => "month",
        (false, false) => "none (files at its root)",
    };
    match (found, given) {
        (Some(found), Some(given)) if found != given => Err(Error::usage(format!(
            "--into `{}` is partitioned by {}, not {}: leave --partition-by out",
            root.display(),
            name(found),
            name(given)
        ))),
        (Some(by), _) | (None, Some(by)) => Ok(by),
        (None, None) => Err(Error::usage(format!(
            "--into `{}` holds no Parquet file to tell its partitioning: pass --partition-by chat, month or chat,month",
            root.display()
        ))),
    }
}

/// Fills the staging folder `staging` with the dataset at `root` as the
/// run leaves it, less the new part files the partition writer adds next:
/// each file hard-linked (copied, keeping its modification time, where
/// links cannot be made), each Parquet file holding a replaced post written
/// anew without it ([`rewrite_part`]). Notes how many of each.
pub fn stage_dataset(
    root: &Path,
    staging: &Path,
    table: &merge::Table,
    notes: &crate::account::Notes,
) -> Result<()> {
    let (mut linked, mut rewritten, mut replaced) = (0u64, 0u64, 0u64);
    let files = if root.is_dir() { dataset_files(root)? } else { Vec::new() };
    for rel in files {
        let (from, to) = (root.join(&rel), staging.join(&rel));
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
        let parquet = from.extension().is_some_and(|e| e == "parquet");
        if parquet && has_replaced(&from, table)? {
            replaced += rewrite_part(&from, &to, table)?;
            rewritten += 1;
        } else {
            link_or_copy(&from, &to)?;
            linked += 1;
        }
    }
    let text = format!(
        "{linked} files kept as they were, {rewritten} rewritten without the {replaced} posts replaced by a newer version"
    );
    notes.output(&root.display().to_string(), |r| r.say("into", text));
    Ok(())
}

/// A hard link `to` → `from`; where the file system cannot, a copy with the
/// same modification time.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    let name = to.display().to_string();
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map_err(|e| Error::io(&name, e))?;
    let modified =
        std::fs::metadata(from).and_then(|m| m.modified()).map_err(|e| Error::io(&name, e))?;
    let file = File::options().write(true).open(to).map_err(|e| Error::io(&name, e))?;
    file.set_modified(modified).map_err(|e| Error::io(&name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identity_leaves_are_wanted() {
        let path = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        for yes in
            ["chat.id", "id", "text", "media.list.item.type", "source.format", "edited_at_text"]
        {
            assert!(wanted(&path(yes)), "{yes}");
        }
        for no in
            ["chat.type", "entities.list.item.type", "media.list.item.file", "source.file", "extra"]
        {
            assert!(!wanted(&path(no)), "{no}");
        }
    }
}
