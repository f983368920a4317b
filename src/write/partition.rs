//! Partitioned datasets (`--partition-by chat|month|chat,month -o DIR`,
//! issue 15 item 4): one file per partition, in Hive layout, so that DuckDB
//! (`read_parquet('DIR/**/*.parquet', hive_partitioning = true)`), Spark
//! and pandas read the folder as one table.
//!
//! A post goes to `DIR/chat_id=<chat.id>/month=<YYYY-MM>/part-<n>.<ext>`
//! (only the levels asked for, in that order). The month is the post's
//! `date` in UTC, as the Parquet `date` column holds it. A post without a
//! chat id or a date goes to the partition `__HIVE_DEFAULT_PARTITION__`,
//! Hive's name for a null value. A value is written as it is when it is
//! made of ASCII letters, digits, `_`, `-` and `.` (not first), and
//! percent-encoded byte by byte otherwise (Hive's escaping), so it can
//! never name another folder.
//!
//! # Open files
//!
//! At most [`MAX_OPEN_FILES`] partition files are open at once. When a post
//! belongs to a partition whose file is not open and the limit is reached,
//! the file used least recently is finished (a complete file, footer and
//! all) and closed; a later post of that partition starts its next file,
//! `part-1`, `part-2`, …. Readers of Hive layouts read every file of a
//! partition, so the table is the same; input sorted by chat (as exports
//! are) keeps one file per partition.
//!
//! Parquet files also share one memory budget: when the rows they hold
//! in memory pass [`BUFFER_BYTES`] together, the file used least recently
//! that holds any writes its row group out. Input comes mostly partition
//! after partition (exports are sorted by chat and date), so the files left
//! behind give their memory back and the one being filled keeps row groups
//! of full size. (Flushing the largest instead flushed the file being
//! filled again and again while the others kept theirs: 24 month files of
//! the 1 GiB benchmark export held ~100 MB at peak.)
//!
//! The CLI writes the whole tree into a staging folder and renames it at
//! the end (`output.rs`'s `Staged`), as for the Telegram Desktop HTML pages.

use super::{Format, Writer as AnyWriter};
use crate::error::{Error, Result};
use crate::format::arrow::split_date;
use crate::model::Post;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::BufWriter;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::str::FromStr;

/// Files open at once, at most.
pub const MAX_OPEN_FILES: usize = 32;
/// Bytes the open Parquet files may hold in memory together: two row
/// groups' worth ([`super::parquet::ROW_GROUP_BYTES`]), so that the file
/// being filled reaches a full row group beside what another holds.
pub const BUFFER_BYTES: usize = 2 * super::parquet::ROW_GROUP_BYTES;
/// Hive's name for the partition of null values.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// What to partition by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct By {
    /// A `chat_id=` level.
    pub chat: bool,
    /// A `month=` level.
    pub month: bool,
}

impl FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<By, String> {
        match s {
            "chat" => Ok(By { chat: true, month: false }),
            "month" => Ok(By { chat: false, month: true }),
            "chat,month" => Ok(By { chat: true, month: true }),
            _ => Err(format!("unknown partitioning `{s}` (expected chat, month or chat,month)")),
        }
    }
}

/// The formats a partition file can be in.
pub fn supports(format: Format) -> bool {
    matches!(format, Format::Jsonl | Format::Csv | Format::Parquet)
}

/// A value as a Hive path segment (see the module docs).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, byte) in value.bytes().enumerate() {
        let plain =
            byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-') || (byte == b'.' && i > 0);
        if plain {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.is_empty() {
        return NULL_PARTITION.to_owned();
    }
    out
}

/// The UTC month of a date text (`2024-03`), if it is a date.
pub fn month_of(date: &str) -> Option<String> {
    let micros = split_date(date).micros?;
    let at = chrono::DateTime::from_timestamp_micros(micros)?;
    Some(at.format("%Y-%m").to_string())
}

impl By {
    /// The folder of `post`'s partition, relative to the dataset root.
    pub fn folder_of(self, post: &Post) -> PathBuf {
        let mut path = PathBuf::new();
        if self.chat {
            let id = post.chat.as_ref().and_then(|c| c.id.as_deref());
            path.push(format!("chat_id={}", id.map_or_else(|| NULL_PARTITION.to_owned(), escape)));
        }
        if self.month {
            let month = post.date.as_deref().and_then(month_of);
            path.push(format!("month={}", month.unwrap_or_else(|| NULL_PARTITION.to_owned())));
        }
        path
    }
}

/// One open partition file.
struct Open {
    writer: AnyWriter<BufWriter<File>>,
    last_used: u64,
}

/// Writes posts into a partitioned folder.
pub struct Writer {
    root: PathBuf,
    by: By,
    format: Format,
    open: HashMap<PathBuf, Open>,
    /// The next part number of each partition seen.
    parts: HashMap<PathBuf, u32>,
    clock: u64,
}

impl Writer {
    /// A dataset in `root` (an existing, empty folder) of `format` files.
    pub fn new(root: PathBuf, by: By, format: Format) -> Writer {
        Writer { root, by, format, open: HashMap::new(), parts: HashMap::new(), clock: 0 }
    }

    fn extension(&self) -> &'static str {
        match self.format {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            _ => "jsonl",
        }
    }

    /// Writes one post into its partition's file.
    pub fn write(&mut self, post: &Post) -> Result<()> {
        let folder = self.by.folder_of(post);
        self.clock += 1;
        if !self.open.contains_key(&folder) {
            if self.open.len() >= MAX_OPEN_FILES {
                self.close_least_used()?;
            }
            let writer = self.create(&folder)?;
            self.open.insert(folder.clone(), Open { writer, last_used: 0 });
        }
        let clock = self.clock;
        if let Some(open) = self.open.get_mut(&folder) {
            open.last_used = clock;
            open.writer.write(post)?;
        }
        if self.format == Format::Parquet && clock % 64 == 0 {
            self.keep_to_budget()?;
        }
        Ok(())
    }

    /// Opens the next part file of `folder` (never over an existing file).
    fn create(&mut self, folder: &PathBuf) -> Result<AnyWriter<BufWriter<File>>> {
        let extension = self.extension();
        let part = self.parts.entry(folder.clone()).or_insert(0);
        let dir = self.root.join(folder);
        // The first number free: a dataset added to (`--into`) has files.
        let mut path = dir.join(format!("part-{part}.{extension}"));
        while path.exists() {
            *part += 1;
            path = dir.join(format!("part-{part}.{extension}"));
        }
        *part += 1;
        let name = path.display().to_string();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&name, e))?;
        Ok(AnyWriter::new(self.format, BufWriter::with_capacity(64 << 10, file), name))
    }

    /// Finishes and closes the file used least recently.
    fn close_least_used(&mut self) -> Result<()> {
        let oldest = self.open.iter().min_by_key(|(_, o)| o.last_used).map(|(k, _)| k.clone());
        if let Some(open) = oldest.and_then(|k| self.open.remove(&k)) {
            open.writer.finish()?;
        }
        Ok(())
    }

    /// Flushes the row groups of the Parquet files used least recently
    /// until the open files hold less than [`BUFFER_BYTES`].
    fn keep_to_budget(&mut self) -> Result<()> {
        loop {
            let mut total = 0;
            let mut oldest: Option<(u64, &mut Box<super::parquet::Writer<_>>)> = None;
            for open in self.open.values_mut() {
                let AnyWriter::Parquet(w) = &mut open.writer else { continue };
                let bytes = w.buffered_bytes();
                total += bytes;
                if bytes > 0 && oldest.as_ref().is_none_or(|(used, _)| open.last_used < *used) {
                    oldest = Some((open.last_used, w));
                }
            }
            match oldest {
                Some((_, w)) if total >= BUFFER_BYTES => w.flush_row_group()?,
                _ => return Ok(()),
            }
        }
    }

    /// Finishes every open file.
    pub fn finish(self) -> Result<()> {
        let mut open: Vec<(PathBuf, Open)> = self.open.into_iter().collect();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, file) in open {
            file.writer.finish()?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "parquet"))]
mod tests {
    use super::*;
    use crate::model::{Kind, Text};

    /// A post of `month` (2024) whose text makes about 1.5 KiB of column data.
    fn post(month: u32, id: i64) -> Post {
        let words: Vec<String> = (0..200).map(|w| format!("w{}", id * 1000 + w)).collect();
        Post {
            id: Some(id),
            kind: Kind::Message,
            date: Some(format!("2024-{month:02}-01T00:00:00+00:00")),
            text: Text::plain(words.join(" ")),
            ..Post::default()
        }
    }

    fn held(writer: &Writer, month: &str) -> usize {
        match writer.open.get(Path::new(&format!("month={month}"))).map(|o| &o.writer) {
            Some(AnyWriter::Parquet(w)) => w.buffered_bytes(),
            _ => panic!("month={month} is not an open Parquet file"),
        }
    }

    /// Writes posts of `month` until its file holds `bytes`; returns the
    /// most the open files held together meanwhile.
    fn fill(writer: &mut Writer, id: &mut i64, month: u32, bytes: usize) -> usize {
        let name = format!("2024-{month:02}");
        let mut most = 0;
        loop {
            *id += 1;
            writer.write(&post(month, *id)).unwrap();
            let all = ["2024-01", "2024-02", "2024-03"];
            let total: usize = all
                .iter()
                .filter(|m| writer.open.contains_key(Path::new(&format!("month={m}"))))
                .map(|m| held(writer, m))
                .sum();
            most = most.max(total);
            if held(writer, &name) >= bytes {
                return most;
            }
        }
    }

    /// Over the budget, the file used least recently gives its rows up (not
    /// the largest: that one may be the file being filled), and the files
    /// together stay near the budget.
    #[test]
    fn the_file_left_behind_is_flushed_first() {
        let dir = tempfile::tempdir().unwrap();
        let by = By { chat: false, month: true };
        let mut writer = Writer::new(dir.path().to_path_buf(), by, Format::Parquet);
        let row_group = super::super::parquet::ROW_GROUP_BYTES;
        let mut id = 0;
        fill(&mut writer, &mut id, 1, row_group / 2);
        fill(&mut writer, &mut id, 2, row_group * 3 / 4);
        let (january, february) = (held(&writer, "2024-01"), held(&writer, "2024-02"));
        assert!(january < february && january + february < BUFFER_BYTES);
        let most = fill(&mut writer, &mut id, 3, row_group * 3 / 4);
        assert_eq!(held(&writer, "2024-01"), 0, "January ({january} bytes) was flushed");
        assert_eq!(held(&writer, "2024-02"), february, "February was left alone");
        assert!(most < BUFFER_BYTES + row_group / 4, "{most} bytes held at most");
        writer.finish().unwrap();
    }
}
