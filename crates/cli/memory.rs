//! The memory set-up shared by the `careblock` binary and the workload example (included by
//! both with `#[path]`, so the comparison with the peers runs the binary's allocator).
//!
//! * mimalloc instead of the system allocator: reading a census allocates millions of small
//!   rings and strings from every thread, and glibc's allocator spent a fifth of a
//!   500,000-unit run faulting in and zeroing fresh pages (benches/peers/README.md, "Where
//!   the time goes").
//! * No transparent huge pages for the process ([`no_huge_pages`]).
//! * What a run has released is handed back before its files are written ([`release_freed`]).

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

/// Hands back to the operating system the memory freed so far, on every thread of the pool and
/// this one: `careblock run` calls it once the index and the siting are done and what no output
/// needs has been released, before the files are written.
///
/// mimalloc keeps a thread's freed pages for that thread's later allocations and purges them
/// only after a delay (a second, in its v3), and the writers allocate on other threads and in
/// other sizes, so without this the released geometries and columns stay resident under the
/// writers' buffers. Measured with farm-bench on the peers' synthetic cities from GeoParquet
/// (default outputs), the peak falls from 471 to 431 MiB at 500,000 units (kernel time
/// 0.45 -> 0.58 s, whole run within noise) and from 1,992 to 1,895 MiB at 2.5 million. After
/// every stage instead, the 500,000-unit peak was 427 MiB; a non-forced collect, 462 MiB.
#[allow(dead_code)] // The workload example includes this file and writes nothing.
pub fn release_freed() {
    // SAFETY: mi_collect only purges the calling thread's heap and the allocator's shared
    // arenas of pages no allocation uses; it touches no live allocation.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    unsafe { libmimalloc_sys::mi_collect(true) };
}
