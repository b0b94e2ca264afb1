//! A global allocator that counts, per thread, the allocations made and the
//! bytes live, so a memory test is not disturbed by tests running on other
//! threads. A test binary opts in with
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: wsproto_test_support::alloc::Counting = wsproto_test_support::alloc::Counting;
//! ```
//!
//! and reads the counts with [`allocations`], [`live_bytes`] and
//! [`peak_bytes`]; without it they stay at zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator: the system allocator plus per-thread counts.
#[derive(Debug)]
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn record(allocated: bool, delta: i64) {
    // `try_with`: the allocator may run while this thread's locals are torn down.
    if allocated {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
    let _ = LIVE.try_with(|n| {
        n.set(n.get() + delta);
        let _ = PEAK.try_with(|p| p.set(p.get().max(n.get())));
    });
}

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged, so the `GlobalAlloc` contract is the system's; the
// bookkeeping only touches const-initialised thread-local `Cell`s, which
// never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(true, layout.size() as i64);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(true, layout.size() as i64);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(true, new_size as i64 - layout.size() as i64);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(false, -(layout.size() as i64));
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations (and reallocations) made on this thread so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.with(|n| n.get())
}

/// Bytes allocated on this thread and not yet freed (may be negative when
/// memory allocated elsewhere is freed here).
pub fn live_bytes() -> i64 {
    LIVE.with(|n| n.get())
}

/// The most bytes live on this thread since the last [`reset_peak`], as
/// [`live_bytes`] counts them.
pub fn peak_bytes() -> i64 {
    PEAK.with(|n| n.get())
}

/// Starts a new peak at the bytes live now.
pub fn reset_peak() {
    PEAK.with(|p| p.set(live_bytes()));
}
