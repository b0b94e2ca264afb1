//! The UTF-8 check of the SIMD kernels, written once for any vector width:
//! the lookup algorithm of Keiser and Lemire ("Validating UTF-8 in less
//! than one instruction per byte", 2021), the one simdjson and simdutf8
//! use. Three 16-entry tables, indexed by the high and low nibble of the
//! previous byte and the high nibble of the current one, flag every bad
//! pair of bytes (a missing or stray continuation, overlong forms,
//! surrogates, code points past U+10FFFF); a second check flags a third or
//! fourth byte of a sequence that is not a continuation; and a sequence
//! still open at the end of the input is reported apart, so a caller that
//! feeds a stream in pieces can tell "cut off" from "invalid".
//!
//! `avx2.rs` (32-byte vectors) and `avx512.rs` (64-byte vectors) each give
//! it a [`Vector`] type and end the input their own way; the loop over
//! whole vectors ([`scan_blocks`], which unmasks in place), the state
//! carried from one vector to the next ([`State`]) and the check itself
//! are here. Both kernels are compiled for their features with
//! `#[target_feature]`, and everything here is `#[inline(always)]`, so it
//! is compiled into each kernel with that kernel's instructions.

use super::Scan;

/// A kernel: a vector type that the CPU may support, and the scan of a
/// whole input with it.
pub(super) trait Kernel {
    /// Whether this CPU has the kernel's features.
    fn detected() -> bool;

    /// Unmasks (with `MASKED`, by `key` as seen from `buf[0]`) and scans
    /// the `len` bytes at `buf`, in place.
    ///
    /// # Safety
    /// The CPU must have the kernel's features ([`detected`](Self::detected)).
    /// `buf` must be valid for reads of `len` bytes, and with `MASKED` for
    /// writes of them.
    unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan;
}

/// Unmasks `buf` in place with `key` (the key as seen from the first byte of
/// `buf`; `None`: not masked) and scans the result with kernel `K`, if this
/// CPU has its features. `None` if it has not, with `buf` untouched.
#[inline]
pub(super) fn unmask_scan<K: Kernel>(buf: &mut [u8], key: Option<[u8; 4]>) -> Option<Scan> {
    if !K::detected() {
        return None;
    }
    let (ptr, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: the CPU has the kernel's features, detected just above; `ptr`
    // is valid for reads and writes of `len` bytes, read and written in
    // place.
    Some(unsafe {
        match key {
            Some(key) => K::scan::<true>(ptr, len, key),
            None => K::scan::<false>(ptr, len, [0; 4]),
        }
    })
}

/// A vector of bytes and the operations the check needs.
///
/// # Safety
/// Every method may only be called where the CPU supports the features the
/// implementing type names (the kernels check them at run time before they
/// are entered). Methods that take a pointer say what it must point to.
pub(super) trait Vector: Copy {
    /// Bytes in one vector.
    const LEN: usize;
    /// One flag per byte of a vector (the bytes of the input in the last,
    /// partial vector).
    type Mask: Copy;

    /// Every byte `byte`.
    unsafe fn splat(byte: u8) -> Self;
    /// The 4-byte masking key, repeated.
    unsafe fn splat_key(key: [u8; 4]) -> Self;
    /// `LEN` bytes from `src`, which must be valid for reads of them (any
    /// alignment).
    unsafe fn load(src: *const u8) -> Self;
    /// Writes the vector to `dst`, which must be valid for writes of `LEN`
    /// bytes (any alignment).
    unsafe fn store(self, dst: *mut u8);
    unsafe fn or(self, other: Self) -> Self;
    unsafe fn xor(self, other: Self) -> Self;
    /// `a | b | c`.
    unsafe fn or3(a: Self, b: Self, c: Self) -> Self;
    /// `a & b & c`.
    unsafe fn and3(a: Self, b: Self, c: Self) -> Self;
    /// `self ^ (flags & 0x80)` in every byte.
    unsafe fn flip_top_bits(self, flags: Self) -> Self;
    /// A 16-entry table, repeated to fill the vector, for the two methods
    /// below.
    unsafe fn table(table: &[u8; 16]) -> Self;
    /// The high nibble of each byte looked up in `table` (from
    /// [`table`](Self::table)).
    unsafe fn look_up_high(self, table: Self) -> Self;
    /// The low nibble of each byte looked up in `table` (from
    /// [`table`](Self::table)).
    unsafe fn look_up_low(self, table: Self) -> Self;
    /// Subtraction per byte, unsigned, stopping at zero.
    unsafe fn saturating_sub(self, other: Self) -> Self;
    /// The bytes one, two and three before each byte of `self`, in the
    /// stream where `prev` comes just before `self`.
    unsafe fn preceding(self, prev: Self) -> [Self; 3];
    /// Whether every byte is below 0x80.
    unsafe fn is_ascii(self) -> bool;
    /// Whether every byte is zero.
    unsafe fn is_zero(self) -> bool;
    /// The bytes that `mask` flags, zeros elsewhere.
    unsafe fn keep(self, mask: Self::Mask) -> Self;
    /// The bytes that `mask` does not flag, zeros elsewhere.
    unsafe fn keep_others(self, mask: Self::Mask) -> Self;
}

/// The methods of [`Vector`] that are the same code at every width, for a
/// tuple struct around one register, from the names of that width's
/// intrinsics (imported where the macro is used).
macro_rules! same_at_every_width {
    (
        set1_epi8: $set1_epi8:ident, set1_epi32: $set1_epi32:ident, loadu: $loadu:ident, storeu: $storeu:ident,
        broadcast_128: $broadcast_128:ident,
        $($binary:ident: $intrinsic:ident),+ $(,)?
    ) => {
        #[inline(always)]
        unsafe fn splat(byte: u8) -> Self {
            // SAFETY: register-only; the CPU has the type's features (the
            // trait's contract).
            Self(unsafe { $set1_epi8(byte as i8) })
        }

        #[inline(always)]
        unsafe fn splat_key(key: [u8; 4]) -> Self {
            // SAFETY: as in `splat`.
            Self(unsafe { $set1_epi32(i32::from_ne_bytes(key)) })
        }

        #[inline(always)]
        unsafe fn load(src: *const u8) -> Self {
            // SAFETY: `src` is valid for reads of `LEN` bytes, and the CPU
            // has the type's features (the trait's contract); any alignment
            // is allowed.
            Self(unsafe { $loadu(src.cast()) })
        }

        #[inline(always)]
        unsafe fn store(self, dst: *mut u8) {
            // SAFETY: `dst` is valid for writes of `LEN` bytes, and the CPU
            // has the type's features (the trait's contract); any alignment
            // is allowed.
            unsafe { $storeu(dst.cast(), self.0) }
        }

        $(
            #[inline(always)]
            unsafe fn $binary(self, other: Self) -> Self {
                // SAFETY: as in `splat`.
                Self(unsafe { $intrinsic(self.0, other.0) })
            }
        )+

        #[inline(always)]
        unsafe fn table(table: &[u8; 16]) -> Self {
            // SAFETY: the load reads the 16 bytes of `table`; the CPU has
            // the type's features (the trait's contract).
            Self(unsafe { $broadcast_128(_mm_loadu_si128(table.as_ptr().cast())) })
        }
    };
}
pub(super) use same_at_every_width;

/// Unmasks (with `MASKED`) and checks the whole vectors from the start of
/// `buf`, two at a time, then one; returns the state after them and how
/// many bytes they were (a multiple of `V::LEN`, with fewer than `V::LEN`
/// bytes left after it).
/// With `MASKED`, every vector is XORed with `key` (the key as seen from
/// `buf[0]`; vectors are multiples of 4 bytes long, so its phase never
/// moves) and stored back: the bytes are unmasked in place.
///
/// # Safety
/// The CPU must support `V`'s features. `buf` must be valid for reads of
/// `len` bytes, and with `MASKED` for writes of `len` bytes.
#[inline(always)]
pub(super) unsafe fn scan_blocks<V: Vector, const MASKED: bool>(
    buf: *mut u8,
    len: usize,
    key: [u8; 4],
) -> (State<V>, usize) {
    // SAFETY: register-only; the caller guarantees `V`'s features.
    let (key_vector, mut state) = unsafe { (V::splat_key(key), State::new()) };
    let mut at = 0;
    while len - at >= 2 * V::LEN {
        // SAFETY: `at + 2 * LEN <= len`, so both vectors are in bounds of
        // `buf` (which, with `MASKED`, is valid for writes: the caller's
        // contract); the caller guarantees `V`'s features.
        let (a, b) = unsafe {
            let mut a = V::load(buf.add(at));
            let mut b = V::load(buf.add(at + V::LEN));
            if MASKED {
                a = a.xor(key_vector);
                b = b.xor(key_vector);
                a.store(buf.add(at));
                b.store(buf.add(at + V::LEN));
            }
            (a, b)
        };
        state.check_two(a, b);
        at += 2 * V::LEN;
    }
    if len - at >= V::LEN {
        // SAFETY: `at + LEN <= len`, so the vector is in bounds of `buf`
        // (valid for writes with `MASKED`); the caller guarantees `V`'s
        // features.
        let a = unsafe {
            let mut a = V::load(buf.add(at));
            if MASKED {
                a = a.xor(key_vector);
                a.store(buf.add(at));
            }
            a
        };
        state.check_one(a);
        at += V::LEN;
    }
    (state, at)
}

/// The state carried from one vector to the next. Made only by the unsafe
/// [`State::new`], whose caller vouches for `V`'s features: its methods
/// rely on that.
pub(super) struct State<V> {
    /// The vector before, for the bytes just before the current one.
    pub(super) prev: V,
    /// Nonzero where a sequence that the last vector opened runs past its
    /// end: an error unless the next vector continues it.
    incomplete: V,
    /// Nonzero once any invalid byte was seen.
    error: V,
}

impl<V: Vector> State<V> {
    /// # Safety
    /// The CPU must support `V`'s features.
    #[inline(always)]
    pub(super) unsafe fn new() -> State<V> {
        // SAFETY: register-only; the caller guarantees `V`'s features.
        let zero = unsafe { V::splat(0) };
        State { prev: zero, incomplete: zero, error: zero }
    }

    /// Checks two vectors, `a` then `b`; with a shortcut when all their
    /// bytes are ASCII.
    #[inline(always)]
    pub(super) fn check_two(&mut self, a: V, b: V) {
        // SAFETY: register-only; a `State<V>` exists only where the CPU
        // has `V`'s features (`State::new`).
        unsafe {
            if a.or(b).is_ascii() {
                self.ascii(b);
            } else {
                self.error = V::or3(self.error, errors(a, self.prev), errors(b, a));
                self.open(b);
            }
        }
    }

    /// Checks one vector.
    #[inline(always)]
    pub(super) fn check_one(&mut self, a: V) {
        // SAFETY: as in `check_two`.
        unsafe {
            if a.is_ascii() {
                self.ascii(a);
            } else {
                self.add_errors(errors(a, self.prev), a);
            }
        }
    }

    /// Checks the last bytes of the input, `a`, where `real` flags the
    /// bytes that are input; the rest are zero padding.
    ///
    /// The padding is ASCII, so a sequence cut off by the end of the input
    /// shows up as an error at the first padding byte (whose previous three
    /// bytes are the last three of the input): errors in the padding are
    /// exactly the "incomplete at the end" case, told apart from the rest.
    #[inline(always)]
    pub(super) fn check_tail(&mut self, a: V, real: V::Mask) {
        // SAFETY: as in `check_two`.
        unsafe {
            if a.is_ascii() {
                self.ascii(a);
            } else {
                let errors = errors(a, self.prev);
                self.error = self.error.or(errors.keep(real));
                self.incomplete = errors.keep_others(real);
                self.prev = a;
            }
        }
    }

    /// A vector `last` (the last of those checked) with non-ASCII bytes:
    /// `errors` found in what was checked count, and whatever sequence
    /// `last` leaves open must be continued by the next vector.
    #[inline(always)]
    pub(super) fn add_errors(&mut self, errors: V, last: V) {
        // SAFETY: as in `check_two`.
        self.error = unsafe { self.error.or(errors) };
        self.open(last);
    }

    /// After a vector `last` with non-ASCII bytes (its errors counted).
    #[inline(always)]
    fn open(&mut self, last: V) {
        // SAFETY: as in `check_two`.
        self.incomplete = unsafe { incomplete(last) };
        self.prev = last;
    }

    /// An all-ASCII vector: a sequence the vector before left open is an
    /// error now, and nothing is open after it.
    #[inline(always)]
    pub(super) fn ascii(&mut self, a: V) {
        // SAFETY: as in `check_two`.
        unsafe {
            self.error = self.error.or(self.incomplete);
            self.incomplete = V::splat(0);
        }
        self.prev = a;
    }

    /// The result, once every byte was checked.
    #[inline(always)]
    pub(super) fn finish(&self) -> Scan {
        // SAFETY: as in `check_two`.
        unsafe {
            if !self.error.is_zero() {
                Scan::Invalid
            } else if !self.incomplete.is_zero() {
                Scan::CutOff
            } else {
                Scan::Complete
            }
        }
    }
}

/// The errors among the bytes of `input`, given the vector `prev` before it:
/// nonzero bytes where a byte is invalid after the ones before it.
///
/// # Safety
/// The CPU must support `V`'s features.
#[inline(always)]
pub(super) unsafe fn errors<V: Vector>(input: V, prev: V) -> V {
    // SAFETY: register-only; the caller guarantees `V`'s features.
    unsafe {
        let [prev1, prev2, prev3] = input.preceding(prev);
        let special = V::and3(
            prev1.look_up_high(V::table(&BYTE_1_HIGH)),
            prev1.look_up_low(V::table(&BYTE_1_LOW)),
            input.look_up_high(V::table(&BYTE_2_HIGH)),
        );
        // Where the byte two back opens a 3- or 4-byte sequence, or the
        // byte three back a 4-byte one, this byte must be a continuation:
        // 0x80 there. The tables flag a continuation after a continuation
        // (TWO_CONTS, 0x80) everywhere; flipping bit 7 keeps the ones that
        // are wrong, and flags a missing third or fourth byte.
        // Subtracting with saturation maps 0xE0.. (two back) and 0xF0..
        // (three back) to 0x80.., and everything below under 0x80: bit 7 is
        // the answer.
        let third = prev2.saturating_sub(V::splat(0xE0 - 0x80));
        let fourth = prev3.saturating_sub(V::splat(0xF0 - 0x80));
        special.flip_top_bits(third.or(fourth))
    }
}

/// Nonzero where the last three bytes of `input` open a sequence longer
/// than the bytes left: a lead byte of 2+ bytes last, of 3+ bytes second to
/// last, of 4+ bytes third to last.
///
/// # Safety
/// The CPU must support `V`'s features.
#[inline(always)]
unsafe fn incomplete<V: Vector>(input: V) -> V {
    /// The largest byte that opens no sequence longer than the bytes left,
    /// for the last `V::LEN` positions (at most 64).
    const MAX_OPEN: [u8; 64] = {
        let mut max = [0xFF; 64];
        max[61] = 0xF0 - 1;
        max[62] = 0xE0 - 1;
        max[63] = 0xC0 - 1;
        max
    };
    const { assert!(V::LEN <= MAX_OPEN.len()) };
    // SAFETY: the load reads the last `V::LEN` bytes of `MAX_OPEN` (no more
    // than it holds, asserted above); the caller guarantees `V`'s features.
    unsafe { input.saturating_sub(V::load(MAX_OPEN.as_ptr().add(MAX_OPEN.len() - V::LEN))) }
}

// The error classes. Each table entry is the set of classes that a nibble
// allows; a pair of bytes is bad when the three sets share a class.
const TOO_SHORT: u8 = 1 << 0; // a lead byte not followed by a continuation
const TOO_LONG: u8 = 1 << 1; // ASCII followed by a continuation
const OVERLONG_3: u8 = 1 << 2; // E0 80..9F
const TOO_LARGE: u8 = 1 << 3; // F4 90..BF, or F5..FF
const SURROGATE: u8 = 1 << 4; // ED A0..BF
const OVERLONG_2: u8 = 1 << 5; // C0, C1
const TOO_LARGE_1000: u8 = 1 << 6; // F5.. 80..8F
const OVERLONG_4: u8 = 1 << 6; // F0 80..8F
const TWO_CONTS: u8 = 1 << 7; // two continuations in a row: checked in `errors`
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

/// Indexed by the high nibble of the previous byte.
const BYTE_1_HIGH: [u8; 16] = [
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
];

/// Indexed by the low nibble of the previous byte.
const BYTE_1_LOW: [u8; 16] = [
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    CARRY | OVERLONG_2,
    CARRY,
    CARRY,
    CARRY | TOO_LARGE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
];

/// Indexed by the high nibble of the current byte.
const BYTE_2_HIGH: [u8; 16] = [
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
];
