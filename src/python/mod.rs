//! The binding layer only: argument conversion, the `Reader` pyclass, one error mapping.
//! Nothing here parses logs.

mod reader;

use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::PySchema;

use crate::columns::schema::{schema, schema_markdown};
use crate::error::Error;

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
///
/// Test-only hook: when the environment variable `EDXLOG_TEST_PANIC` (read once, at the first
/// call) names `method` (a comma-separated list, or `*` for all), the body panics first, so the
/// tests can check the mapping on every method. Unset (always, outside the tests) it does
/// nothing but one comparison.
pub(crate) fn guard<T>(method: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if test_panic_requested(method) {
            panic!("EDXLOG_TEST_PANIC asked {method} to panic");
        }
        body()
    })) {
        Ok(result) => result,
        Err(panic) => Err(EdxlogError::new_err(format!(
            "internal error in {method} (please report): {}",
            crate::pipeline::panic_text(&panic)
        ))),
    }
}

fn test_panic_requested(method: &str) -> bool {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    match WANTED.get_or_init(|| std::env::var("EDXLOG_TEST_PANIC").ok()) {
        None => false,
        Some(list) => list.split(',').any(|m| m == method || m == "*"),
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

/// The schema of `read()`'s batches, as a pyarrow.Schema.
#[pyfunction(name = "schema")]
fn py_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    guard("schema", || PySchema::new(schema()).into_pyarrow(py))
}

/// Reads `source` through the input stage only (open, untar, inflate, split into lines) on
/// `threads` workers, as a real read would, and returns the decompressed bytes. The
/// inflate-only ceiling the benchmarks compare a full read with.
#[pyfunction]
#[pyo3(signature = (source, threads=None))]
fn inflate_only(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    threads: Option<usize>,
) -> PyResult<u64> {
    let mut needs_gil = false;
    let specs = reader::specs_of(source, &mut needs_gil)?;
    if needs_gil {
        return Err(PyValueError::new_err("inflate_only reads paths only"));
    }
    py.detach(|| crate::pipeline::inflate_only(specs, threads))
        .map_err(to_py_err)
}

/// docs/schema.md, generated from the schema definition.
#[pyfunction(name = "schema_markdown")]
fn py_schema_markdown() -> PyResult<String> {
    guard("schema_markdown", || Ok(schema_markdown()))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<reader::Reader>()?;
    m.add_function(wrap_pyfunction!(py_schema, m)?)?;
    m.add_function(wrap_pyfunction!(py_schema_markdown, m)?)?;
    m.add_function(wrap_pyfunction!(inflate_only, m)?)?;
    m.add("EdxlogError", m.py().get_type::<EdxlogError>())?;
    m.add("ArchiveError", m.py().get_type::<ArchiveError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // For the tests only: a debug build is ~30x slower, so they size their biggest inputs down.
    m.add("_debug_build", cfg!(debug_assertions))?;
    Ok(())
}
