//! `edxlog._core._testing`: hooks for the tests and the benchmarks, and nothing a user needs.
//! Kept here, in one place, out of the public surface (`edxlog` never imports it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::{reader, to_py_err};

/// Whether any method is to panic (the cheap check every call makes).
static ARMED: AtomicBool = AtomicBool::new(false);
static PANIC_ON: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Panics when `panic_on` named `method` (or `*`): how the tests check that a Rust panic in
/// any method reaches Python as an `EdxlogError`.
pub(crate) fn maybe_panic(method: &str) {
    if !ARMED.load(Ordering::Relaxed) {
        return;
    }
    let wanted = PANIC_ON.lock().unwrap_or_else(|e| e.into_inner());
    if wanted.iter().any(|m| m == method || m == "*") {
        drop(wanted);
        panic!("_testing.panic_on asked {method} to panic");
    }
}

/// Makes the named methods (as in the error text, "Reader.read_all", or "*") panic from now on
/// in this process; an empty list turns it off.
#[pyfunction]
fn panic_on(methods: Vec<String>) {
    ARMED.store(!methods.is_empty(), Ordering::Relaxed);
    *PANIC_ON.lock().unwrap_or_else(|e| e.into_inner()) = methods;
}

/// Reads `source` through the input stage only (open, untar, inflate, split into lines) on
/// `threads` workers, as a real read would, and returns the decompressed bytes: the
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(panic_on, m)?)?;
    m.add_function(wrap_pyfunction!(inflate_only, m)?)?;
    // A debug build is ~30x slower: the tests size their biggest inputs down for it.
    m.add("debug_build", cfg!(debug_assertions))?;
    Ok(())
}
