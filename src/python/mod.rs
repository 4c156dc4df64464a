//! The binding layer only: argument conversion, the `Reader` pyclass, one error mapping.
//! Nothing here parses logs.

mod reader;
mod testing;

use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3_arrow::PySchema;

use crate::accounting::{rejects_schema, Stats};
use crate::columns::schema::{schema, schema_markdown};
use crate::error::Error;
use crate::options::{DEFAULT_BATCH_SIZE, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_REJECTS};

create_exception!(
    edxlog,
    EdxlogError,
    PyValueError,
    "Base class of edxlog's errors (a ValueError)."
);
create_exception!(
    edxlog,
    ArchiveError,
    EdxlogError,
    "A corrupt tar or gzip stream, or input that is not tracking logs (with on_error=\"raise\")."
);

/// Runs the body of a Python-facing function, turning a Rust panic into
/// `EdxlogError("internal error in <method>: <panic message>")` instead of pyo3's
/// `PanicException` (a `BaseException` that `except Exception` misses). Every `#[pymethods]`
/// and `#[pyfunction]` body that does real work goes through here.
pub(crate) fn guard<T>(method: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        testing::maybe_panic(method);
        body()
    })) {
        Ok(result) => result,
        Err(panic) => Err(EdxlogError::new_err(format!(
            "internal error in {method} (please report): {}",
            crate::pipeline::panic_text(&panic)
        ))),
    }
}

/// THE mapping of core errors to Python exceptions.
pub(crate) fn to_py_err(e: Error) -> PyErr {
    match e {
        Error::NotFound(path) => {
            PyFileNotFoundError::new_err((2, "No such file or directory", path))
        }
        Error::Archive(m) => ArchiveError::new_err(m),
        Error::Invalid(m) => PyValueError::new_err(m),
        Error::Io(path, io) => PyOSError::new_err(format!("{path}: {io}")),
        Error::Internal(m) => EdxlogError::new_err(format!("internal error (please report): {m}")),
        Error::Cancelled => EdxlogError::new_err("the read was cancelled"),
    }
}

/// A pyarrow.Table of `batches`, read through the Arrow C stream interface.
///
/// Not pyo3-arrow's `into_pyarrow`: that calls `pyarrow.table()`, which first asks whether its
/// argument is a pandas DataFrame and so imports pandas (~0.3 s of CPU and ~30 MB) in every
/// process that reads a table or its rejects, pandas user or not.
pub(crate) fn pyarrow_table<'py>(
    py: Python<'py>,
    batches: Vec<arrow_array::RecordBatch>,
    schema: arrow_schema::SchemaRef,
) -> PyResult<Bound<'py, PyAny>> {
    let table = pyo3_arrow::PyTable::try_new(batches, schema)?;
    py.import(pyo3::intern!(py, "pyarrow"))?
        .getattr(pyo3::intern!(py, "RecordBatchReader"))?
        .call_method1(pyo3::intern!(py, "from_stream"), (table,))?
        .call_method0(pyo3::intern!(py, "read_all"))
}

/// The schema of `read()`'s batches, as a pyarrow.Schema.
#[pyfunction(name = "schema")]
fn py_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    guard("schema", || PySchema::new(schema()).into_pyarrow(py))
}

/// docs/schema.md, generated from the schema definition.
#[pyfunction(name = "schema_markdown")]
fn py_schema_markdown() -> PyResult<String> {
    guard("schema_markdown", || Ok(schema_markdown()))
}

/// The schema of `Reader.rejects()`, as a pyarrow.Schema.
#[pyfunction(name = "rejects_schema")]
fn py_rejects_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    guard("rejects_schema", || {
        PySchema::new(rejects_schema()).into_pyarrow(py)
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<reader::Reader>()?;
    m.add_function(wrap_pyfunction!(py_schema, m)?)?;
    m.add_function(wrap_pyfunction!(py_schema_markdown, m)?)?;
    m.add_function(wrap_pyfunction!(py_rejects_schema, m)?)?;
    m.add("EdxlogError", py.get_type::<EdxlogError>())?;
    m.add("ArchiveError", py.get_type::<ArchiveError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // THE defaults of `read()`'s keywords, and the names of `Reader.stats`, for the Python side.
    let defaults = PyDict::new(py);
    defaults.set_item("batch_size", DEFAULT_BATCH_SIZE)?;
    defaults.set_item("max_line_bytes", DEFAULT_MAX_LINE_BYTES)?;
    defaults.set_item("max_rejects", DEFAULT_MAX_REJECTS)?;
    m.add("DEFAULTS", defaults)?;
    m.add("STATS_FIELDS", PyTuple::new(py, Stats::FIELDS)?)?;
    let internal = PyModule::new(py, "_testing")?;
    testing::register(&internal)?;
    m.add_submodule(&internal)?;
    Ok(())
}
