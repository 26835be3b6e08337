//! Hashes: SHA-256 for plan fingerprints and schema checksums, and a short stable hash
//! for derived names.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// An 8-character hash for derived names.
pub fn short_hash(bytes: &[u8]) -> String {
    sha256_hex(bytes)[..8].to_string()
}
