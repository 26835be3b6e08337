//! The plan fingerprint: a hash of the plan's canonical rendering, recorded by the
//! executor so that a different plan is never applied over a half-applied one.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// An 8-character hash for derived names.
pub fn short_hash(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..8].to_string()
}
