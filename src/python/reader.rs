//! `edxlog.Reader`: a lazy stream of `pyarrow.RecordBatch` over the core pipeline, also an
//! Arrow PyCapsule stream (`__arrow_c_stream__`) that pyarrow, DuckDB and polars pull from
//! without the GIL.

use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{ArrowError, Field, SchemaRef};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict, PyList, PyString, PyTuple};
use pyo3_arrow::ffi::{to_schema_pycapsule, to_stream_pycapsule, ArrayIterator};
use pyo3_arrow::{PyRecordBatch, PySchema};

use super::{guard, to_py_err};
use crate::accounting::{rejects_batch, Stats};
use crate::error::Error;
use crate::input::source::Spec;
use crate::options::{
    OnError, Options, DEFAULT_BATCH_SIZE, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_REJECTS,
};
use crate::pipeline::{panic_text, Pipeline, Shared};

#[pyclass(module = "edxlog", name = "Reader")]
pub struct Reader {
    pipeline: Mutex<Option<Pipeline>>,
    shared: Arc<Shared>,
    schema: SchemaRef,
    /// Reading needs the GIL (a Python file object): waits must release it.
    needs_gil: bool,
}

/// A Python binary file object as a `Read`; each read attaches to the interpreter.
struct PyFileReader(Py<PyAny>);

impl Read for PyFileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let data = self
                .0
                .call_method1(py, "read", (buf.len(),))
                .map_err(io::Error::other)?;
            let data = data.bind(py);
            if data.is_none() {
                return Ok(0); // a non-blocking stream with nothing yet: treat as the end
            }
            let bytes = data.cast::<PyBytes>().map_err(|_| {
                io::Error::other(
                    "the file object must be opened in binary mode (read() returned str)",
                )
            })?;
            let b = bytes.as_bytes();
            if b.len() > buf.len() {
                return Err(io::Error::other("read(n) returned more than n bytes"));
            }
            buf[..b.len()].copy_from_slice(b);
            Ok(b.len())
        })
    }
}

fn spec_of(obj: &Bound<'_, PyAny>, needs_gil: &mut bool) -> PyResult<Spec> {
    if obj.cast::<PyString>().is_ok() {
        let s: String = obj.extract()?;
        return Ok(if s == "-" {
            Spec::Stdin
        } else {
            Spec::Path(s.into())
        });
    }
    if obj.hasattr("__fspath__")? {
        let path: std::path::PathBuf = obj.extract()?;
        return Ok(Spec::Path(path));
    }
    if obj.hasattr("read")? {
        let name = obj
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<String>().ok())
            .unwrap_or_else(|| "<stream>".to_string());
        // `edxlog.remote` sets this on the objects it finds under a prefix (their `server`,
        // as for directory input); other file objects have none.
        let server = obj
            .getattr("edxlog_server")
            .ok()
            .and_then(|s| s.extract::<String>().ok());
        *needs_gil = true;
        return Ok(Spec::Stream {
            name,
            server,
            reader: Box::new(PyFileReader(obj.clone().unbind())),
        });
    }
    Err(PyTypeError::new_err(format!(
        "cannot read from {}: pass a path, a list of paths, \"-\" for stdin, or a binary file object",
        obj.get_type().name()?
    )))
}

pub(crate) fn specs_of(source: &Bound<'_, PyAny>, needs_gil: &mut bool) -> PyResult<Vec<Spec>> {
    if source.cast::<PyList>().is_ok() || source.cast::<PyTuple>().is_ok() {
        source
            .try_iter()?
            .map(|item| spec_of(&item?, needs_gil))
            .collect()
    } else {
        Ok(vec![spec_of(source, needs_gil)?])
    }
}

impl Reader {
    fn lock(&self) -> MutexGuard<'_, Option<Pipeline>> {
        self.pipeline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the read (threads released); the reader then yields nothing more.
    fn stop(&self, py: Python<'_>) {
        let taken = py.detach(|| self.lock().take());
        drop(taken);
    }

    /// Waits for the next batch with the GIL released (another thread may hold the reader:
    /// that wait is without the GIL too), checking for Ctrl-C before and while waiting. A
    /// pending signal (KeyboardInterrupt) stops the read and is raised.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<RecordBatch>> {
        // Batches that arrive without any wait would never reach the polling below: check
        // here too, so `read_all()` on a fast input stops at Ctrl-C within one batch.
        if let Err(e) = py.check_signals() {
            self.stop(py);
            return Err(e);
        }
        let mut interrupt: Option<PyErr> = None;
        let result = py.detach(|| {
            let mut guard = self.lock();
            let Some(pipeline) = guard.as_mut() else {
                return Ok(None);
            };
            pipeline.next_batch_polling(&mut || {
                Python::attach(|py| match py.check_signals() {
                    Ok(()) => false,
                    Err(e) => {
                        interrupt = Some(e);
                        true
                    }
                })
            })
        });
        match (result, interrupt) {
            (_, Some(e)) => {
                self.stop(py);
                Err(e)
            }
            (r, None) => r.map_err(to_py_err),
        }
    }
}

/// Concurrent use: every method takes `&self` and the pipeline sits behind one mutex, so a
/// reader may be shared by threads: each batch goes to exactly one caller (which one is not
/// defined), none is lost or repeated, and waits release the GIL.
#[pymethods]
impl Reader {
    #[new]
    #[pyo3(signature = (source, *, batch_size=DEFAULT_BATCH_SIZE, threads=None, columns=None, event_types=None, on_error="skip", max_line_bytes=DEFAULT_MAX_LINE_BYTES, max_rejects=DEFAULT_MAX_REJECTS))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        batch_size: usize,
        threads: Option<usize>,
        columns: Option<Vec<String>>,
        event_types: Option<Vec<String>>,
        on_error: &str,
        max_line_bytes: usize,
        max_rejects: usize,
    ) -> PyResult<Self> {
        guard("Reader.__new__", || {
            let on_error = match on_error {
                "skip" => OnError::Skip,
                "raise" => OnError::Raise,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "on_error must be \"skip\" or \"raise\", not {other:?}"
                    )))
                }
            };
            if threads == Some(0) {
                return Err(PyValueError::new_err("threads must be at least 1"));
            }
            let mut needs_gil = false;
            let specs = specs_of(source, &mut needs_gil)?;
            let options = Options {
                batch_size,
                threads,
                columns,
                event_types,
                on_error,
                max_line_bytes,
                max_rejects,
            };
            let pipeline = py
                .detach(|| Pipeline::start(specs, options))
                .map_err(to_py_err)?;
            Ok(Reader {
                shared: pipeline.shared(),
                schema: pipeline.schema(),
                pipeline: Mutex::new(Some(pipeline)),
                needs_gil,
            })
        })
    }

    /// The schema of the batches (pyarrow.Schema).
    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Reader.schema", || {
            PySchema::new(self.schema.clone()).into_pyarrow(py)
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard("Reader.__next__", || {
            self.next_batch(py)?
                .map(|b| PyRecordBatch::new(b).into_pyarrow(py))
                .transpose()
        })
    }

    /// Reads everything left into a pyarrow.Table.
    fn read_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Reader.read_all", || {
            let mut batches = Vec::new();
            while let Some(b) = self.next_batch(py)? {
                batches.push(b);
            }
            super::pyarrow_table(py, batches, self.schema.clone())
        })
    }

    /// Counters of the read so far: lines == rows + rejects + blank + filtered at any time.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard("Reader.stats", || {
            let s = self.shared.stats();
            let d = PyDict::new(py);
            for (k, v) in Stats::FIELDS.iter().zip(s.values()) {
                d.set_item(k, v)?;
            }
            Ok(d)
        })
    }

    /// The lines (and damaged members) that gave no row so far, as a pyarrow.Table of
    /// (source, line, error, raw): the first `max_rejects` of them.
    fn rejects<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Reader.rejects", || {
            let batch = rejects_batch(&self.shared.rejects())
                .map_err(|e| to_py_err(Error::Internal(e.to_string())))?;
            let schema = batch.schema();
            super::pyarrow_table(py, vec![batch], schema)
        })
    }

    /// Stops reading and releases the threads; the reader then yields nothing more.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        guard("Reader.close", || {
            self.stop(py);
            Ok(())
        })
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        guard("Reader.__exit__", || {
            self.stop(py);
            Ok(false)
        })
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        guard("Reader.__arrow_c_schema__", || {
            Ok(to_schema_pycapsule(py, self.schema.as_ref())?)
        })
    }

    /// Hands the rest of the read to an Arrow consumer as a C stream. The reader is consumed:
    /// iterating it afterwards yields nothing, but `stats` and `rejects()` stay live.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        guard("Reader.__arrow_c_stream__", || {
            let pipeline = py.detach(|| self.lock().take());
            let needs_gil = self.needs_gil;
            let batches = pipeline.into_iter().flat_map(move |mut p| {
                std::iter::from_fn(move || {
                    // Called by the consumer through C: a panic must not unwind out of here.
                    let next = catch_unwind(AssertUnwindSafe(|| {
                        // Usually called without the GIL. A Python file object source needs
                        // the GIL on the producer thread, so never wait while holding it.
                        if needs_gil {
                            Python::attach(|py| py.detach(|| p.next_batch()))
                        } else {
                            p.next_batch()
                        }
                    }))
                    .unwrap_or_else(|panic| {
                        Err(Error::Internal(format!(
                            "internal error in Reader.__arrow_c_stream__: {}",
                            panic_text(&panic)
                        )))
                    });
                    match next {
                        Ok(Some(b)) => Some(Ok(Arc::new(StructArray::from(b)) as ArrayRef)),
                        Ok(None) => None,
                        Err(e) => Some(Err(ArrowError::ExternalError(Box::new(e)))),
                    }
                })
            });
            let field = Arc::new(Field::new_struct("", self.schema.fields().clone(), false));
            let reader = Box::new(ArrayIterator::new(batches, field));
            Ok(to_stream_pycapsule(py, reader, requested_schema)?)
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        guard("Reader.__repr__", || {
            let s = self.shared.stats();
            Ok(format!(
                "<edxlog.Reader rows={} rejects={} lines={}>",
                s.rows, s.rejects, s.lines
            ))
        })
    }
}
