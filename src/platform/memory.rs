//! Keeping a long-lived `serve-mcp` small (issue 10: at most 40 MB resident with a
//! 10,000-task board). What grew with the board was not data the server keeps but memory
//! glibc's allocator kept after it was freed: one allocation arena per thread that ever
//! contended (up to eight per core), each holding the high-water mark of the large,
//! short-lived buffers a board scan allocates (the planner reads every unfinished task).
//! Measured in docs/performance.md ("Memory").
//!
//! Both calls are glibc-specific and do nothing on other platforms.

/// Caps the allocator at one arena for the whole process. Call before any thread starts.
/// Small allocations still come from each thread's cache without a lock; the arena lock is
/// taken only for larger blocks, which a server doing a few thousand calls a second at most
/// does not contend for.
pub fn single_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any positive value.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns freed memory the allocator is holding to the operating system (the free pages
/// inside the heap, not only its top). Costs a walk of the free lists: call it after work
/// that freed a lot (a board scan), not per request.
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; 0 keeps no extra padding at the heap top.
    unsafe {
        libc::malloc_trim(0);
    }
}
