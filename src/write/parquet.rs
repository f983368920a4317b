//! Posts → one Parquet file (`--to parquet`, issue 15 item 2).
//!
//! Posts become Arrow batches ([`crate::write::arrow::Columns`], the schema
//! of [`crate::format::arrow`]) which the `parquet` crate's `ArrowWriter`
//! encodes, snappy-compressed. Memory stays flat at any input size:
//!
//! - a batch closes at [`BATCH_ROWS`] rows or [`BATCH_BYTES`] bytes of post
//!   data, whichever comes first;
//! - the row group being encoded is flushed to the output when its encoded
//!   size reaches [`ROW_GROUP_BYTES`] or it holds [`ROW_GROUP_ROWS`] rows;
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
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;

/// A batch closes at this many rows…
pub const BATCH_ROWS: usize = 4096;
/// …or this many bytes of post data.
pub const BATCH_BYTES: usize = 4 << 20;
/// A row group is flushed when its encoded size reaches this…
pub const ROW_GROUP_BYTES: usize = 24 << 20;
/// …or it holds this many rows.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

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
    /// The encoder, made at the first batch (making it can fail, making a
    /// writer cannot).
    arrow: Option<ArrowWriter<Vec<u8>>>,
}

/// The writer properties every tgnorm Parquet file is written with.
pub fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(format!("tgnorm {}", env!("CARGO_PKG_VERSION")))
        .build()
}

impl<W: Write> Writer<W> {
    /// Writes to `out`; `name` names it in errors.
    pub fn new(out: W, name: String) -> Writer<W> {
        Writer { out, name, columns: Columns::new(), arrow: None }
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
        self.columns.push(post, &self.name)?;
        if self.columns.rows() >= BATCH_ROWS || self.columns.bytes() >= BATCH_BYTES {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Bytes held in memory for this file: rows not yet in a batch and the
    /// row group being encoded.
    pub fn buffered_bytes(&self) -> usize {
        self.columns.bytes() + self.arrow.as_ref().map_or(0, ArrowWriter::in_progress_size)
    }

    /// Flushes the row group being encoded, to free its memory.
    pub fn flush_row_group(&mut self) -> Result<()> {
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
        if arrow.in_progress_size() >= ROW_GROUP_BYTES {
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
