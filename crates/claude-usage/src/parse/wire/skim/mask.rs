//! The string scan's SIMD step: which of 16 bytes are a `"`, a `\` or a control byte.

/// Bytes examined per step of the string scan: one SSE2 vector. Most strings of a line are
/// short (keys, ids, types), and one vector usually holds their end.
pub(super) const CHUNK_BYTES: usize = 16;

#[cfg(any(test, not(target_arch = "x86_64")))]
pub(super) fn is_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// Bit `i` set when `chunk[i]` is special, all 16 bytes at once with SSE2.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
pub(super) fn special_mask(chunk: &[u8; CHUNK_BYTES]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, so every CPU this code runs on has these
    // instructions; the unaligned load reads exactly the 16 bytes of `chunk`.
    let special = unsafe {
        let vector = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(vector, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(vector, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `byte <= 0x1f`: the smaller of the two is the byte itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(vector, _mm_set1_epi8(0x1f)), vector);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    // The movemask fills the low 16 bits only.
    special as u32 & 0xffff
}

/// Bit `i` set when `chunk[i]` is special (portable version).
#[cfg(not(target_arch = "x86_64"))]
pub(super) fn special_mask(chunk: &[u8; CHUNK_BYTES]) -> u32 {
    let mut mask = 0_u32;
    for (index, &byte) in chunk.iter().enumerate() {
        mask |= u32::from(is_special(byte)) << index;
    }
    mask
}
