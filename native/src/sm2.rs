//! SM2 signature verification (GB/T 32918.2-2016 §7) on a precomputed digest.
//!
//! finchain computes `e = SM3(Z || M)` itself (Z once per key, in Python), so
//! this module sees only `(public key, e, r || s)` and decides the equation:
//!
//! ```text
//! B1, B2  r, s in [1, n-1]                  (32-byte big-endian, no reduction)
//! B5      t = (r + s) mod n, refused if t = 0
//! B6      (x1, y1) = [s]G + [t]P
//! B7      accepted iff r = (e + x1) mod n   (e is reduced mod n too)
//! ```
//!
//! The point arithmetic is RustCrypto's `sm2` crate (complete addition
//! formulas, so every sum is exact, doublings and inverses included). The
//! equation is written here rather than taken from `sm2::dsa` for one reason:
//! consensus needs this verifier to accept exactly what the previous one
//! (GmSSL 3.x through gmssl-pyx) accepted, and the two differ on one input.
//! When `[s]G + [t]P` is the point at infinity GmSSL reads its x as 0 (so it
//! accepts iff `r = e mod n`), whereas `sm2::dsa` (and OpenSSL) refuse it.
//! Only the key's owner can build such a signature (it needs `s = -t·d`,
//! and publishes d), so it forges nothing; it is kept so that every block a
//! node accepted before still replays the same way. Changing it is a
//! consensus-rule change.
//!
//! Keys are the 65-byte uncompressed form `04 || X || Y` only, with X and Y
//! below p and on the curve (finchain's one canonical key encoding). All
//! inputs are public, so variable-time arithmetic is used. Nothing is printed,
//! ever; a wrong size or a refused key is a `false` verdict, not an error, and
//! a panic (there should be none) is caught and reported as `false`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use sm2::elliptic_curve::{
    ff::PrimeField,
    group::Group,
    ops::{MulByGeneratorVartime, Reduce},
    point::AffineCoordinates,
};
use sm2::{FieldBytes, ProjectivePoint, PublicKey, Scalar};

pub const PUBLIC_KEY_SIZE: usize = 65;
pub const DIGEST_SIZE: usize = 32;
pub const SIGNATURE_SIZE: usize = 64;

struct Item {
    key: [u8; PUBLIC_KEY_SIZE],
    digest: [u8; DIGEST_SIZE],
    signature: [u8; SIGNATURE_SIZE],
}

impl Item {
    fn parse(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Option<Self> {
        Some(Item {
            key: public_key.try_into().ok()?,
            digest: digest.try_into().ok()?,
            signature: signature.try_into().ok()?,
        })
    }

    fn verify(&self) -> bool {
        catch_unwind(AssertUnwindSafe(|| {
            verify_digest(&self.key, &self.digest, &self.signature)
        }))
        .unwrap_or(false)
    }
}

/// A scalar in [1, n-1] from 32 big-endian bytes; None for 0 or anything >= n.
fn nonzero_scalar(bytes: &[u8]) -> Option<Scalar> {
    let repr = FieldBytes::try_from(bytes).ok()?;
    let scalar = Option::<Scalar>::from(Scalar::from_repr(repr))?;
    (!bool::from(scalar.is_zero())).then_some(scalar)
}

fn verify_digest(
    key: &[u8; PUBLIC_KEY_SIZE],
    digest: &[u8; DIGEST_SIZE],
    signature: &[u8; SIGNATURE_SIZE],
) -> bool {
    // B1, B2: r and s are in [1, n-1] as written; no reduction.
    let (Some(r), Some(s)) = (
        nonzero_scalar(&signature[..32]),
        nonzero_scalar(&signature[32..]),
    ) else {
        return false;
    };
    // The uncompressed form only; from_sec1_bytes checks X, Y < p and the curve equation.
    if key[0] != 0x04 {
        return false;
    }
    let Ok(public_key) = PublicKey::from_sec1_bytes(key) else {
        return false;
    };
    // B5: t = r + s mod n must not be 0.
    let t = r + s;
    if bool::from(t.is_zero()) {
        return false;
    }
    // B6: [s]G + [t]P, x1 = 0 for the point at infinity (GmSSL's reading; module docs).
    let point = ProjectivePoint::mul_by_generator_and_mul_add_vartime(
        &s,
        &t,
        &ProjectivePoint::from(*public_key.as_affine()),
    );
    let x1 = if bool::from(point.is_identity()) {
        Scalar::ZERO
    } else {
        <Scalar as Reduce<FieldBytes>>::reduce(&point.to_affine().x())
    };
    // B7: r = e + x1 mod n, with e reduced mod n.
    let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*digest));
    r == e + x1
}

/// Whether `signature` (raw `r || s`) is `public_key`'s SM2 signature of the digest `e`.
///
/// `public_key` is `04 || X || Y` (65 bytes), `digest` is `e = SM3(Z || M)` (32 bytes).
/// Any input of the wrong size, or a key that is not a curve point, gives False.
#[pyfunction]
pub fn sm2_verify_digest(
    py: Python<'_>,
    public_key: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> bool {
    match Item::parse(public_key, digest, signature) {
        Some(item) => py.detach(|| item.verify()),
        None => false,
    }
}

/// One verdict per `(public_key, digest, signature)` item, in order, each equal to
/// `sm2_verify_digest(*item)`; the GIL is released once for the whole list.
#[pyfunction]
pub fn sm2_verify_digest_batch(
    py: Python<'_>,
    items: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
) -> Vec<bool> {
    py.detach(|| {
        items
            .iter()
            .map(|(key, digest, signature)| {
                Item::parse(key, digest, signature).is_some_and(|item| item.verify())
            })
            .collect()
    })
}
