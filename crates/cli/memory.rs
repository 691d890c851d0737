//! The memory set-up shared by the `careblock` binary and the workload example (included by
//! both with `#[path]`, so the comparison with the peers runs the binary's allocator).
//!
//! * mimalloc instead of the system allocator: reading a census allocates millions of small
//!   rings and strings from every thread, and glibc's allocator spent a fifth of a
//!   500,000-unit run faulting in and zeroing fresh pages (benches/peers/README.md, "Where
//!   the time goes").
//! * No transparent huge pages for the process ([`no_huge_pages`]).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process (Linux), as mimalloc's own
/// `MIMALLOC_ALLOW_THP=0` does, unless `MIMALLOC_ALLOW_THP` is set, which then decides.
///
/// mimalloc asks for 2 MB pages for its arenas; the kernel zeroes each one whole on its first
/// touch and splits it again when mimalloc hands part of it back. A careblock run touches most
/// of its memory once, so huge pages save few TLB misses and cost kernel time: on the 2-core
/// machine, alternating runs of the 500k-unit workload with and without them took 0.17–0.27 s
/// against 0.24–0.79 s of kernel time (whole run 0.91–1.46 s against 1.16–1.70 s), and at
/// 2.5M units 1.0–1.6 s against 2.8–4.0 s (load..coverage 4.4–5.1 s against 5.7–6.9 s), the
/// outputs byte-identical.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and only sets a flag of
        // the calling process (inherited by its children); it touches no memory of ours.
        // Failure (a kernel without it) leaves the default, which is only slower.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}
