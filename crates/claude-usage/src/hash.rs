//! A fast hasher for the crate's in-memory maps (dedup slots, interned names, price memo).

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A `BuildHasher` for [`FastHasher`].
pub(crate) type BuildFastHasher = BuildHasherDefault<FastHasher>;

/// A multiply-rotate hasher (the FxHash scheme): keys here are short ids and model names from
/// local files; a map using it compares keys in full, so collisions only cost time.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
    }
}

pub(crate) fn fast_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = FastHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}
