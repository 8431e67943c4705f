//! How the process hands memory back to the system (glibc).
//!
//! glibc serves large allocations with their own mappings at first, but
//! raises that threshold each time such a block is freed, and from then on
//! keeps freed large blocks in its heaps. One argon2id check holds 19 MiB,
//! a large reply or parse several MiB: without a fixed threshold a center
//! that loaded 1,000 records of 1 KB through authenticated batches sat at
//! 176–197 MB RSS; with it, at 19 MB, and memory freed after an attack goes
//! back at once (scripts/attack.sh, 2026-11-29). The price is a page fault
//! per page of each large block (CPU +40% under the amplification attacks).

/// Blocks this large or larger are always mapped on their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Free memory at the top of the heap is handed back past this much, as
/// glibc does when it moves the mmap threshold itself (twice that
/// threshold). Left at glibc's fixed default (128 KiB), every reply
/// buffer over 128 KiB freed at the top of the heap shrank it, and the
/// next one grew it again page by page: `records.list` of 155 KB ran at
/// half the speed (BENCHMARKS.md, "Reads with TCP_NODELAY").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 2 * MMAP_THRESHOLD;

/// Fixes glibc's mmap threshold at `MMAP_THRESHOLD` and its trim
/// threshold at `TRIM_THRESHOLD` (call once, at start).
pub fn release_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; called at start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

/// Hands memory freed by a large pull back to the OS (what glibc keeps in
/// its heaps below the threshold).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}
