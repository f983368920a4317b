//! `read_arrow`'s Rust half: posts → Arrow record batches of the Parquet
//! schema, handed to pyarrow through the Arrow PyCapsule protocol.
//!
//! Why this shape:
//!
//! - **One schema, the Parquet one.** Batches are built by
//!   [`tgnorm::write::arrow::Columns`], the builder behind `tgnorm --to
//!   parquet`, so a `read_arrow` table and a Parquet file of the same input
//!   have the same columns and values by construction. One column is
//!   appended: `fingerprint` (see [`with_fingerprint`]).
//! - **A batch at a time, the GIL released.** [`ArrowReader::next_batch`]
//!   reads posts and appends them to the builder under `Python::detach`
//!   until the batch holds `max_posts` posts or about `max_bytes` bytes,
//!   so the memory in flight is one batch whatever the input's size.
//! - **Per batch, not a C stream.** A batch crosses as an `ArrowSchema` +
//!   `ArrowArray` pair of capsules (`__arrow_c_array__`, which
//!   `pyarrow.record_batch` imports since pyarrow 14), and the Python half
//!   chains the batches into a `pyarrow.RecordBatchReader` with
//!   `RecordBatchReader.from_batches`. A C stream (`__arrow_c_stream__`)
//!   can only report an error as an errno and a string: the position of a
//!   bad input would reach the caller as a `pyarrow.ArrowInvalid` with a
//!   message. Going through Python per batch (one call per 1024 posts)
//!   keeps `tgnorm.Error` with its `file`, `line`, `column` attributes, and
//!   lets rejected records reach the caller's `on_reject`.

use arrow_array::ffi::to_ffi;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::sync::{Arc, Mutex, OnceLock};
use tgnorm::write::arrow::Columns;
use tgnorm::{clean, Error as TgError};

/// The name `Columns` gives its (rare, internal) errors.
const NAME: &str = "read_arrow";

/// The Parquet schema with `fingerprint` (uint64, never null) appended: the
/// key tgnorm's `dedup` pass tells posts apart by (`clean::fingerprint`),
/// which a `GROUP BY` across shards needs. It is not in the Parquet files
/// `--to parquet` writes: it is derived from the post, and its algorithm
/// (Rust's `DefaultHasher`) is not promised across Rust releases, so it is
/// for grouping within one run, not for storing beside the posts.
fn with_fingerprint() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let base = tgnorm::format::arrow::schema();
            let mut fields: Vec<Arc<Field>> = base.fields().iter().cloned().collect();
            fields.push(Arc::new(Field::new("fingerprint", DataType::UInt64, false)));
            Arc::new(Schema::new_with_metadata(fields, base.metadata().clone()))
        })
        .clone()
}

/// One record batch, exported on request as the Arrow PyCapsule protocol
/// says (`pyarrow.record_batch(batch)` imports it).
#[pyclass(module = "tgnorm._tgnorm", name = "_ArrowBatch", frozen)]
pub struct ArrowBatch {
    batch: RecordBatch,
}

#[pymethods]
impl ArrowBatch {
    /// The batch as a struct array: `(ArrowSchema capsule, ArrowArray
    /// capsule)`. A requested schema is not supported (the batch has one).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        // The protocol lets a producer ignore the requested schema; the
        // consumer casts if it wants another.
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).to_data();
        let (array, schema) =
            to_ffi(&data).map_err(|e| PyValueError::new_err(format!("Arrow export: {e}")))?;
        let schema = PyCapsule::new(py, schema, Some(c"arrow_schema".to_owned()))?;
        let array = PyCapsule::new(py, array, Some(c"arrow_array".to_owned()))?;
        Ok((schema, array))
    }

    /// Rows in the batch.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }
}

/// The reading state: the posts' reader and the columns being filled.
struct State {
    reader: tgnorm::Reader,
    columns: Columns,
    /// `fingerprint` column values, when the schema has the column.
    fingerprints: Option<Vec<u64>>,
    schema: SchemaRef,
    /// An error that ends the reading, raised after the batches before it.
    stop: Option<TgError>,
    done: bool,
}

/// What one call read: a batch (none when no post came) and the records
/// rejected meanwhile.
struct Read {
    batch: Option<RecordBatch>,
    rejected: Vec<TgError>,
}

impl crate::Batches for State {
    type Read = Read;

    fn done(&self) -> bool {
        self.done
    }

    fn take_stop(&mut self) -> Option<TgError> {
        self.stop.take()
    }

    /// Reads posts into the columns until `max_posts` posts or about
    /// `max_bytes` bytes, the end, or an error that stops the reading.
    fn read_batch(&mut self, strict: bool, max_posts: usize, max_bytes: usize) -> Read {
        let mut rejected = Vec::new();
        while !self.done && self.columns.rows() < max_posts && self.columns.bytes() < max_bytes {
            match self.reader.next() {
                None => self.done = true,
                Some(Ok(post)) => match self.columns.push(&post, NAME) {
                    Ok(()) => {
                        if let Some(fingerprints) = &mut self.fingerprints {
                            fingerprints.push(clean::fingerprint(&post));
                        }
                    }
                    Err(e) => self.halt(e),
                },
                Some(Err(e)) if e.is_record_error() && !strict => rejected.push(e),
                Some(Err(e)) => self.halt(e),
            }
        }
        let batch = match self.finish() {
            Ok(batch) => batch,
            Err(e) => {
                self.halt(e);
                None
            }
        };
        Read { batch, rejected }
    }
}

impl State {
    fn halt(&mut self, error: TgError) {
        self.stop = Some(error);
        self.done = true;
    }

    /// The rows so far as a batch with their fingerprints, or None when
    /// there are none.
    fn finish(&mut self) -> Result<Option<RecordBatch>, TgError> {
        if self.columns.rows() == 0 {
            return Ok(None);
        }
        let batch = self.columns.finish(NAME)?;
        let Some(fingerprints) = &mut self.fingerprints else { return Ok(Some(batch)) };
        let fingerprints = UInt64Array::from(std::mem::take(fingerprints));
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns.push(Arc::new(fingerprints));
        RecordBatch::try_new(self.schema.clone(), columns).map(Some).map_err(|e| {
            TgError::io(NAME, std::io::Error::other(format!("cannot build an Arrow batch: {e}")))
        })
    }
}

/// Cleaned posts of files or export folders, read as Arrow record batches.
#[pyclass(module = "tgnorm._tgnorm", name = "_ArrowReader", frozen)]
pub struct ArrowReader {
    state: Mutex<State>,
    strict: bool,
}

impl ArrowReader {
    /// Batches of the Parquet schema, with the `fingerprint` column when
    /// `fingerprint` is true.
    pub fn new(reader: tgnorm::Reader, strict: bool, fingerprint: bool) -> ArrowReader {
        let (schema, fingerprints) = if fingerprint {
            (with_fingerprint(), Some(Vec::new()))
        } else {
            (tgnorm::format::arrow::schema(), None)
        };
        let columns = Columns::new();
        let state = State { reader, columns, fingerprints, schema, stop: None, done: false };
        ArrowReader { state: Mutex::new(state), strict }
    }
}

/// A batch and the rejected records (as `tgnorm.Error`s) read with it.
type Batch = (Option<Py<ArrowBatch>>, Vec<Py<PyAny>>);

#[pymethods]
impl ArrowReader {
    /// A batch of no rows: the schema of every batch.
    fn empty(&self) -> ArrowBatch {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        ArrowBatch { batch: RecordBatch::new_empty(state.schema.clone()) }
    }

    /// The next batch (None when the rejected records were the last thing
    /// read) and the records rejected while reading it; None at the end.
    /// Raises the error that ended the reading after the batches before it.
    fn next_batch(
        &self,
        py: Python<'_>,
        max_posts: usize,
        max_bytes: usize,
    ) -> PyResult<Option<Batch>> {
        let Some(read) = crate::next_read(py, &self.state, self.strict, max_posts, max_bytes)?
        else {
            return Ok(None);
        };
        let rejected = read
            .rejected
            .iter()
            .map(|e| crate::to_py_err(py, e).into_value(py).into_any())
            .collect();
        let batch = read.batch.map(|batch| Py::new(py, ArrowBatch { batch })).transpose()?;
        Ok(Some((batch, rejected)))
    }

    /// The accounting so far, as the CLI's `--summary` JSON.
    fn summary(&self) -> PyResult<String> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        serde_json::to_string(&state.reader.summary())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}
