//! Canonical DAG-CBOR writer for the values finchain hashes and signs.
//!
//! libipld writes any byte string that happens to parse as a CID as a tag-42
//! link, so a random signature could change its CBOR type; finchain's bytes
//! must mean bytes to any third-party reader. This writer produces the one
//! DAG-CBOR form of None, bool, int (-2^64 .. 2^64-1), str, bytes (always
//! major type 2), list and dict with str keys (shorter encoded key first, then
//! bytewise), and refuses everything else: floats with `FloatError`, integers
//! out of range with OverflowError, other types with TypeError, duplicate or
//! unencodable keys and nesting deeper than `MAX_DEPTH` with ValueError.
//!
//! No Python code runs while it walks (no `__hash__`, `__index__` or `__str__`
//! call: only type checks and C-API reads), so the value cannot change under
//! it; the GIL stays held because the input is Python objects. Any panic is
//! caught and reported as ValueError rather than crossing the FFI boundary.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

/// Containers nested deeper than this are refused: it bounds the recursion
/// (and so the native stack) whatever a hostile caller builds.
pub const MAX_DEPTH: usize = 512;

create_exception!(
    finchain_native,
    FloatError,
    PyTypeError,
    "A float was found: DAG-CBOR floats are not part of finchain's encoding."
);

const MAJOR_UINT: u8 = 0;
const MAJOR_NEGINT: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const NULL: u8 = 0xf6;

/// The shortest head for `major` with argument `n` (RFC 8949 §4.2.1).
#[inline]
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    if n < 24 {
        out.push(major | n as u8);
    } else if n <= u8::MAX as u64 {
        out.extend_from_slice(&[major | 24, n as u8]);
    } else if n <= u16::MAX as u64 {
        out.push(major | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u32::MAX as u64 {
        out.push(major | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

#[inline]
fn length(out: &mut Vec<u8>, major: u8, len: usize) {
    head(out, major, len as u64);
}

fn integer(out: &mut Vec<u8>, value: &Bound<'_, PyInt>) -> PyResult<()> {
    // The common case fits an i64 and costs one C call; only larger
    // magnitudes take the 128-bit path.
    if let Ok(n) = value.extract::<i64>() {
        if n >= 0 {
            head(out, MAJOR_UINT, n as u64);
        } else {
            head(out, MAJOR_NEGINT, !n as u64);
        }
        return Ok(());
    }
    let out_of_range =
        || PyOverflowError::new_err("integer outside the DAG-CBOR range -2**64 .. 2**64-1");
    let n = value.extract::<i128>().map_err(|_| out_of_range())?;
    if n >= 0 {
        head(
            out,
            MAJOR_UINT,
            u64::try_from(n).map_err(|_| out_of_range())?,
        );
    } else {
        head(
            out,
            MAJOR_NEGINT,
            u64::try_from(-1 - n).map_err(|_| out_of_range())?,
        );
    }
    Ok(())
}

/// A container at `depth` (0 for the outermost) is the `depth + 1`-th level.
fn enter(depth: usize) -> PyResult<()> {
    if depth >= MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "containers nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

/// What a value is for the encoder. The exact built-in types are recognised
/// by comparing type pointers (the stable ABI would otherwise cost a C call per
/// subclass check); subclasses (IntEnum, StrEnum, OrderedDict, ...) are
/// encoded as their base type, as libipld does.
#[derive(Clone, Copy)]
enum Kind {
    Null,
    Bool,
    Int,
    Text,
    Bytes,
    List,
    Dict,
    Float,
    Other,
}

fn kind(value: &Bound<'_, PyAny>) -> Kind {
    let ty = value.get_type_ptr();
    if ty == &raw mut ffi::PyBytes_Type {
        return Kind::Bytes;
    } else if ty == &raw mut ffi::PyUnicode_Type {
        return Kind::Text;
    } else if ty == &raw mut ffi::PyLong_Type {
        return Kind::Int;
    } else if ty == &raw mut ffi::PyDict_Type {
        return Kind::Dict;
    } else if ty == &raw mut ffi::PyList_Type {
        return Kind::List;
    } else if ty == &raw mut ffi::PyBool_Type {
        return Kind::Bool;
    }
    if value.is_none() {
        Kind::Null
    } else if value.cast::<PyInt>().is_ok() {
        Kind::Int
    } else if value.cast::<PyString>().is_ok() {
        Kind::Text
    } else if value.cast::<PyBytes>().is_ok() {
        Kind::Bytes
    } else if value.cast::<PyList>().is_ok() {
        Kind::List
    } else if value.cast::<PyDict>().is_ok() {
        Kind::Dict
    } else if value.cast::<PyFloat>().is_ok() {
        Kind::Float
    } else {
        Kind::Other
    }
}

/// A map entry waiting to be sorted. `utf8` points into the key's own UTF-8
/// buffer, which CPython keeps for the life of the str; `key` holds a strong
/// reference to the str, so the pointer stays valid while the entry exists.
struct Entry<'py> {
    _key: Bound<'py, PyString>,
    utf8: *const u8,
    len: usize,
    value: Bound<'py, PyAny>,
}

impl Entry<'_> {
    fn utf8(&self) -> &[u8] {
        // SAFETY: see the struct comment; `self.key` outlives the returned slice.
        unsafe { std::slice::from_raw_parts(self.utf8, self.len) }
    }
}

/// The output and one scratch stack of map entries shared by every map of the
/// value (each map sorts its own tail of it), so that encoding a value costs
/// no allocation per map.
struct Encoder<'py> {
    out: Vec<u8>,
    entries: Vec<Entry<'py>>,
}

impl<'py> Encoder<'py> {
    fn write(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> PyResult<()> {
        let out = &mut self.out;
        // SAFETY (the cast_unchecked calls): `kind` has just checked the type.
        match kind(value) {
            Kind::Null => out.push(NULL),
            Kind::Bool => out.push(if unsafe { value.cast_unchecked::<PyBool>() }.is_true() {
                TRUE
            } else {
                FALSE
            }),
            Kind::Int => integer(out, unsafe { value.cast_unchecked::<PyInt>() })?,
            Kind::Text => {
                // UnicodeEncodeError (a ValueError) on lone surrogates.
                let text = unsafe { value.cast_unchecked::<PyString>() }.to_str()?;
                length(out, MAJOR_TEXT, text.len());
                out.extend_from_slice(text.as_bytes());
            }
            Kind::Bytes => {
                let data = unsafe { value.cast_unchecked::<PyBytes>() }.as_bytes();
                length(out, MAJOR_BYTES, data.len());
                out.extend_from_slice(data);
            }
            Kind::List => {
                enter(depth)?;
                let list = unsafe { value.cast_unchecked::<PyList>() };
                length(out, MAJOR_ARRAY, list.len());
                for item in list.iter() {
                    self.write(&item, depth + 1)?;
                }
            }
            Kind::Dict => {
                enter(depth)?;
                self.map(unsafe { value.cast_unchecked::<PyDict>() }, depth)?;
            }
            Kind::Float => {
                return Err(FloatError::new_err(
                    "floating-point numbers have no canonical encoding; \
                     use integers or decimal strings",
                ))
            }
            Kind::Other => {
                let name = value
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "?".to_owned());
                return Err(PyTypeError::new_err(format!(
                    "a value of type {name} has no canonical DAG-CBOR encoding"
                )));
            }
        }
        Ok(())
    }

    fn map(&mut self, dict: &Bound<'py, PyDict>, depth: usize) -> PyResult<()> {
        let start = self.entries.len();
        let result = self.map_entries(dict, start, depth);
        self.entries.truncate(start);
        result
    }

    fn map_entries(
        &mut self,
        dict: &Bound<'py, PyDict>,
        start: usize,
        depth: usize,
    ) -> PyResult<()> {
        for (key, value) in dict.iter() {
            let Ok(key) = key.cast_into::<PyString>() else {
                return Err(PyTypeError::new_err("map keys must be str"));
            };
            let utf8 = key.to_str()?.as_bytes(); // UnicodeEncodeError on lone surrogates
            let (utf8, len) = (utf8.as_ptr(), utf8.len());
            self.entries.push(Entry {
                _key: key,
                utf8,
                len,
                value,
            });
        }
        let entries = &mut self.entries[start..];
        // DAG-CBOR order: the shorter encoded key first, then bytewise. With
        // minimal heads this is (length, bytes) of the UTF-8 key.
        entries.sort_unstable_by(|a, b| a.len.cmp(&b.len).then_with(|| a.utf8().cmp(b.utf8())));
        if entries
            .windows(2)
            .any(|pair| pair[0].utf8() == pair[1].utf8())
        {
            // Only str subclasses with their own __eq__/__hash__ can get here.
            return Err(PyValueError::new_err(
                "map holds two keys with the same text",
            ));
        }
        length(&mut self.out, MAJOR_MAP, entries.len());
        for index in start..self.entries.len() {
            let entry = &self.entries[index];
            length(&mut self.out, MAJOR_TEXT, entry.len);
            self.out.extend_from_slice(entry.utf8());
            let value = entry.value.clone();
            self.write(&value, depth + 1)?;
        }
        Ok(())
    }
}

/// The canonical DAG-CBOR bytes of `value`; bytes are always a plain byte string.
#[pyfunction]
pub fn encode_dag_cbor<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut encoder = Encoder {
        out: Vec::with_capacity(256),
        entries: Vec::new(),
    };
    match catch_unwind(AssertUnwindSafe(|| encoder.write(value, 0))) {
        Ok(Ok(())) => Ok(PyBytes::new(value.py(), &encoder.out)),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(PyValueError::new_err(
            "internal error while encoding DAG-CBOR (the value was not encoded)",
        )),
    }
}
