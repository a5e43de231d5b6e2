//! `finchain_native`: Ed25519 verification under the ZIP 215 rules, single and
//! batch, SM2 verification on a precomputed digest (`sm2`), the canonical
//! DAG-CBOR writer (`dag_cbor`), and `Front`, the native HTTP/1.1 front end
//! that answers single-transaction submissions and forwards every other
//! request to the Python API server (`front`).
//!
//! Consensus needs every node and every code path to accept exactly the same
//! signatures. RFC 8032 leaves the edge cases open (cofactored or cofactorless
//! equation, canonical encodings or not), so a batch verifier and a single
//! verifier built on different choices disagree on crafted signatures, and a
//! node that batches could fork from one that does not. ZIP 215 fixes every
//! choice (any decodable A and R, S < l, the cofactored equation), and
//! `ed25519-consensus` implements it for both paths, so the batch verdict is
//! the conjunction of the single verdicts whatever the random coefficients.
//!
//! Both entry points release the GIL while they compute, never panic across
//! the FFI boundary (a caught panic is a failed verification), and treat any
//! input of the wrong length as an invalid signature rather than an error.

mod dag_cbor;
mod front;
mod sm2;

use std::convert::TryFrom;
use std::panic::{catch_unwind, AssertUnwindSafe};

use ed25519_consensus::{batch, Signature, VerificationKey, VerificationKeyBytes};
use pyo3::prelude::*;
use rand_core::OsRng;

const PUBLIC_KEY_SIZE: usize = 32;
const SIGNATURE_SIZE: usize = 64;

/// Signatures checked together in one multi-scalar multiplication. A failed
/// chunk is re-verified item by item, so a block that carries bad signatures
/// costs at most one extra chunk-batch per bad signature on top of the single
/// checks: large enough to amortise the MSM, small enough to bound that cost.
const CHUNK: usize = 64;

struct Item<'a> {
    key: [u8; PUBLIC_KEY_SIZE],
    signature: [u8; SIGNATURE_SIZE],
    message: &'a [u8],
}

impl<'a> Item<'a> {
    fn parse(public_key: &[u8], message: &'a [u8], signature: &[u8]) -> Option<Self> {
        Some(Item {
            key: public_key.try_into().ok()?,
            signature: signature.try_into().ok()?,
            message,
        })
    }

    fn verify(&self) -> bool {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            VerificationKey::try_from(self.key)
                .and_then(|key| key.verify(&Signature::from(self.signature), self.message))
                .is_ok()
        }));
        outcome.unwrap_or(false)
    }
}

/// True iff every item verifies (ZIP 215: identical to verifying each singly).
fn all_valid(items: &[Item<'_>]) -> bool {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut verifier = batch::Verifier::new();
        for item in items {
            verifier.queue((
                VerificationKeyBytes::from(item.key),
                Signature::from(item.signature),
                item.message,
            ));
        }
        verifier.verify(OsRng).is_ok()
    }));
    outcome.unwrap_or(false)
}

fn verify_chunk(items: &[Item<'_>]) -> Vec<bool> {
    if items.len() > 1 && all_valid(items) {
        return vec![true; items.len()];
    }
    items.iter().map(Item::verify).collect()
}

/// Whether `signature` is `public_key`'s valid Ed25519 signature of `message` under ZIP 215.
///
/// A key or signature of the wrong length gives False.
#[pyfunction]
fn verify(py: Python<'_>, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    match Item::parse(public_key, message, signature) {
        Some(item) => py.detach(|| item.verify()),
        None => false,
    }
}

/// One verdict per `(public_key, message, signature)` item, in order.
///
/// Each verdict equals `verify(*item)`; the batch only makes valid items cheaper.
#[pyfunction]
fn verify_batch(py: Python<'_>, items: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>) -> Vec<bool> {
    py.detach(|| {
        let mut verdicts = vec![false; items.len()];
        let mut parsed = Vec::with_capacity(items.len());
        let mut slots = Vec::with_capacity(items.len());
        for (index, (key, message, signature)) in items.iter().enumerate() {
            if let Some(item) = Item::parse(key, message, signature) {
                parsed.push(item);
                slots.push(index);
            }
        }
        for (chunk, indices) in parsed.chunks(CHUNK).zip(slots.chunks(CHUNK)) {
            for (&index, valid) in indices.iter().zip(verify_chunk(chunk)) {
                verdicts[index] = valid;
            }
        }
        verdicts
    })
}

#[pymodule]
fn finchain_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(verify, module)?)?;
    module.add_function(wrap_pyfunction!(verify_batch, module)?)?;
    module.add_function(wrap_pyfunction!(sm2::sm2_verify_digest, module)?)?;
    module.add_function(wrap_pyfunction!(sm2::sm2_verify_digest_batch, module)?)?;
    module.add_function(wrap_pyfunction!(dag_cbor::encode_dag_cbor, module)?)?;
    module.add("FloatError", module.py().get_type::<dag_cbor::FloatError>())?;
    module.add("MAX_DEPTH", dag_cbor::MAX_DEPTH)?;
    module.add_class::<front::Front>()?;
    Ok(())
}
