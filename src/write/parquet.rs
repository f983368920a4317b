//! Posts → one Parquet file (`--to parquet`, issue 15 item 2).
//!
//! Posts become Arrow batches ([`crate::write::arrow::Columns`], the schema
//! of [`crate::format::arrow`]) which the `parquet` crate's `ArrowWriter`
//! encodes, snappy-compressed. The conversion pipeline builds the batches on
//! its worker threads, one per batch of input, and hands over the rows it
//! keeps ([`Writer::write_rows`]), so only the Parquet encoding is left to
//! the writer thread; posts given one by one ([`Writer::write`], the
//! partitioned writer) are batched here. Memory stays flat at any input
//! size:
//!
//! - a batch closes at [`BATCH_ROWS`] rows or [`BATCH_BYTES`] bytes of post
//!   data, whichever comes first (a worker's batch: the pipeline's bound);
//! - the row group being encoded is flushed to the output when the memory
//!   it holds (encoded pages and the encoders' buffers) reaches
//!   [`ROW_GROUP_BYTES`] or it holds [`ROW_GROUP_ROWS`] rows;
//! - flushed bytes go to the output at once: the `ArrowWriter` writes into
//!   a buffer that is drained after every batch, so it never holds more
//!   than one row group (the file format needs no seeking, so standard
//!   output works too).
//!
//! A Parquet file is only readable once its footer is written: a run that
//! stops early leaves no output (the CLI stages files, `output.rs`).

use crate::error::{Error, Result};
use crate::format::arrow::schema;
use crate::model::Post;
use crate::write::arrow::Columns;
use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::ops::Range;

/// A batch closes at this many rows…
pub const BATCH_ROWS: usize = 1024;
/// …or this many bytes of post data.
pub const BATCH_BYTES: usize = 1 << 20;
/// A row group is flushed when the memory it holds reaches this…
pub const ROW_GROUP_BYTES: usize = 4 << 20;
/// …or it holds this many rows.
pub const ROW_GROUP_ROWS: usize = 32 * 1024;

/// A Parquet error, as an I/O error about the output (it stops the run).
fn parquet_error(name: &str, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            Error::io(name, std::io::Error::other(inner.to_string()))
        }
        other => Error::io(name, std::io::Error::other(other.to_string())),
    }
}

/// Writes posts as one Parquet file.
pub struct Writer<W: Write> {
    out: W,
    name: String,
    columns: Columns,
    /// Rows encoded ahead ([`Writer::write_rows`]) and not yet handed to
    /// the encoder: consecutive rows of one batch, handed over as one slice.
    pending: Option<(RecordBatch, Range<usize>)>,
    /// The encoder, made at the first batch (making it can fail, making a
    /// writer cannot).
    arrow: Option<ArrowWriter<Vec<u8>>>,
}

/// True when `a` and `b` are the same batch (clones share their arrays).
fn same_batch(a: &RecordBatch, b: &RecordBatch) -> bool {
    match (a.columns().first(), b.columns().first()) {
        (Some(x), Some(y)) => {
            std::ptr::addr_eq(std::sync::Arc::as_ptr(x), std::sync::Arc::as_ptr(y))
        }
        _ => false,
    }
}

/// The most a data page or a dictionary of one column holds before it is
/// written out (with ~70 leaf columns, this bounds the encoders' memory).
pub const PAGE_BYTES: usize = 256 << 10;

/// The writer properties every tgnorm Parquet file is written with.
pub fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_dictionary_page_size_limit(PAGE_BYTES)
        .set_data_page_size_limit(PAGE_BYTES)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(format!("tgnorm {}", env!("CARGO_PKG_VERSION")))
        .build()
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name, columns: Columns::new(), pending: None, arrow: None }
    }

    /// The encoder, made on first use.
    fn encoder(&mut self) -> Result<&mut ArrowWriter<Vec<u8>>> {
        if self.arrow.is_none() {
            let arrow = ArrowWriter::try_new(Vec::new(), schema(), Some(properties()))
                .map_err(|e| parquet_error(&self.name, e))?;
            self.arrow = Some(arrow);
        }
        self.arrow
            .as_mut()
            .ok_or_else(|| Error::io(self.name.clone(), std::io::Error::other("no encoder")))
    }

    /// Writes one post (buffered until its batch closes).
    pub fn write(&mut self, post: &Post) -> Result<()> {
        self.write_pending()?;
        self.columns.push(post, &self.name)?;
        if self.columns.rows() >= BATCH_ROWS || self.columns.bytes() >= BATCH_BYTES {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Writes rows `at` of `batch`, a batch of posts [`Columns`] made ahead
    /// (on the pipeline's workers). Consecutive rows of one batch are handed
    /// to the encoder together, as one slice of it.
    pub fn write_rows(&mut self, batch: &RecordBatch, at: Range<usize>) -> Result<()> {
        if let Some((pending, rows)) = self.pending.as_mut() {
            if rows.end == at.start && same_batch(pending, batch) {
                rows.end = at.end;
                return Ok(());
            }
        }
        self.write_pending()?;
        self.pending = Some((batch.clone(), at));
        Ok(())
    }

    /// Hands the rows [`Writer::write_rows`] holds to the encoder, with the
    /// rows [`Writer::write`] buffered before them.
    fn write_pending(&mut self) -> Result<()> {
        let Some((batch, rows)) = self.pending.take() else { return Ok(()) };
        if self.columns.rows() > 0 {
            self.write_batch()?;
        }
        let (start, len) = (rows.start, rows.end.saturating_sub(rows.start));
        if start + len > batch.num_rows() {
            let message = "rows out of their batch";
            return Err(Error::io(self.name.clone(), std::io::Error::other(message)));
        }
        let name = self.name.clone();
        let arrow = self.encoder()?;
        arrow.write(&batch.slice(start, len)).map_err(|e| parquet_error(&name, e))?;
        if arrow.memory_size() >= ROW_GROUP_BYTES {
            arrow.flush().map_err(|e| parquet_error(&name, e))?;
        }
        self.drain()
    }

    /// Bytes held in memory for this file: rows not yet in a batch and the
    /// row group being encoded.
    pub fn buffered_bytes(&self) -> usize {
        self.columns.bytes() + self.arrow.as_ref().map_or(0, ArrowWriter::memory_size)
    }

    /// Flushes the row group being encoded, to free its memory.
    pub fn flush_row_group(&mut self) -> Result<()> {
        self.write_pending()?;
        self.write_batch()?;
        let name = self.name.clone();
        self.encoder()?.flush().map_err(|e| parquet_error(&name, e))?;
        self.drain()
    }

    /// Hands the rows so far to the encoder, flushes a full row group, and
    /// passes the encoded bytes on.
    fn write_batch(&mut self) -> Result<()> {
        let name = self.name.clone();
        let batch = (self.columns.rows() > 0).then(|| self.columns.finish(&name)).transpose()?;
        let arrow = self.encoder()?;
        if let Some(batch) = batch {
            arrow.write(&batch).map_err(|e| parquet_error(&name, e))?;
        }
        if arrow.memory_size() >= ROW_GROUP_BYTES {
            arrow.flush().map_err(|e| parquet_error(&name, e))?;
        }
        self.drain()
    }

    /// Moves what the encoder wrote to the output.
    fn drain(&mut self) -> Result<()> {
        let Some(arrow) = self.arrow.as_mut() else { return Ok(()) };
        let encoded = arrow.inner_mut();
        if !encoded.is_empty() {
            self.out.write_all(encoded).map_err(|e| Error::io(self.name.clone(), e))?;
            encoded.clear();
            if encoded.capacity() > ROW_GROUP_BYTES * 2 {
                encoded.shrink_to(ROW_GROUP_BYTES);
            }
        }
        Ok(())
    }

    /// Writes the last row group and the footer, flushes, and returns the
    /// inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.write_pending()?;
        self.write_batch()?;
        let name = self.name.clone();
        if let Some(arrow) = self.arrow.take() {
            let encoded = arrow.into_inner().map_err(|e| parquet_error(&name, e))?;
            self.out.write_all(&encoded).map_err(|e| Error::io(name.clone(), e))?;
        }
        self.out.flush().map_err(|e| Error::io(name, e))?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Text;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn post(id: i64) -> Post {
        Post { id: Some(id), text: Text::plain(format!("post {id}")), ..Post::default() }
    }

    /// A batch of the posts `ids`, as a pipeline worker makes it.
    fn batch(ids: Range<i64>) -> RecordBatch {
        let mut columns = Columns::new();
        for id in ids {
            columns.push(&post(id), "test").unwrap();
        }
        columns.finish("test").unwrap()
    }

    /// The `id` and `text` of every row of a Parquet file.
    fn rows(file: std::fs::File) -> Vec<(i64, String)> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let ids = batch.column_by_name("id").unwrap().as_primitive::<Int64Type>().clone();
            let texts = batch.column_by_name("text").unwrap().as_string::<i32>().clone();
            rows.extend((0..batch.num_rows()).map(|i| (ids.value(i), texts.value(i).to_owned())));
        }
        rows
    }

    /// Rows picked out of batches made ahead (some left out, as duplicates
    /// are), in pieces, around a post written alone and a row group flushed
    /// between them: the file holds exactly those rows, in that order.
    #[test]
    fn rows_written_ahead_keep_their_order() {
        let (a, b, c) = (batch(0..5), batch(5..8), batch(8..12));
        let mut writer = Writer::new(tempfile::tempfile().unwrap(), "test".into());
        writer.write_rows(&a, 0..1).unwrap();
        writer.write_rows(&a, 1..2).unwrap();
        writer.write_rows(&a, 3..5).unwrap();
        writer.write_rows(&b, 0..3).unwrap();
        writer.flush_row_group().unwrap();
        writer.write(&post(100)).unwrap();
        writer.write_rows(&c, 1..2).unwrap();
        writer.write_rows(&c, 3..4).unwrap();
        let file = writer.finish().unwrap();
        let expected: Vec<(i64, String)> = [0, 1, 3, 4, 5, 6, 7, 100, 9, 11]
            .iter()
            .map(|&id| (id, format!("post {id}")))
            .collect();
        assert_eq!(rows(file), expected);
    }

    /// Rows past the end of their batch stop the run (a bug, never input).
    #[test]
    fn rows_out_of_their_batch_are_an_error() {
        let mut writer = Writer::new(Vec::new(), "out.parquet".into());
        writer.write_rows(&batch(0..2), 1..3).unwrap();
        let err = writer.finish().err().unwrap();
        assert!(err.to_string().contains("rows out of their batch"), "{err}");
        assert!(!err.is_record_error());
    }
}
