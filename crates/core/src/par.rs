//! Parallel maps that fail like a sequential one: rayon's `collect` into a `Result` returns
//! the error of whichever item a thread met first, so a message could name a different
//! feature from one run to the next. These run in chunks, each chunk in order, and return the
//! error of the first failing item in input order, whatever the thread count.

use rayon::prelude::*;

/// Items per parallel task.
const CHUNK: usize = 4096;

/// `f(index, item)` over `items` in parallel, with a per-task state from `init` (a cache);
/// the results in input order, or the error of the first failing item.
pub fn try_map_init<T, S, U, E>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &T) -> Result<U, E> + Sync + Send,
) -> Result<Vec<U>, E>
where
    T: Sync,
    U: Send,
    E: Send,
{
    let chunks: Vec<Result<Vec<U>, E>> = items
        .par_chunks(CHUNK)
        .enumerate()
        .map_init(init, |state, (c, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(k, item)| f(state, c * CHUNK + k, item))
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for chunk in chunks {
        out.extend(chunk?);
    }
    Ok(out)
}

/// `f(state, index, item)` on each of `items` in place, in parallel; the error of the first
/// failing item in input order.
pub fn try_for_each_mut_init<T, S, E>(
    items: &mut [T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &mut T) -> Result<(), E> + Sync + Send,
) -> Result<(), E>
where
    T: Send,
    E: Send,
{
    let chunks: Vec<Result<(), E>> = items
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map_init(init, |state, (c, chunk)| {
            chunk
                .iter_mut()
                .enumerate()
                .try_for_each(|(k, item)| f(state, c * CHUNK + k, item))
        })
        .collect();
    chunks.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_in_input_order_wins_whatever_the_threads() {
        let items: Vec<usize> = (0..50_000).collect();
        let fails = |i: usize| i % 9_973 == 9_972; // 9_972 first, then later ones in other chunks
        for threads in [1, 2, 4, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let r = pool.install(|| {
                try_map_init(
                    &items,
                    || (),
                    |_, i, &x| if fails(x) { Err(i) } else { Ok(x * 2) },
                )
            });
            assert_eq!(r, Err(9_972));
            let mut m = items.clone();
            let r = pool.install(|| {
                try_for_each_mut_init(&mut m, || (), |_, i, x| if fails(*x) { Err(i) } else { Ok(()) })
            });
            assert_eq!(r, Err(9_972));
        }
        let ok = try_map_init(
            &items,
            || 0usize,
            |calls, i, &x| {
                *calls += 1;
                Ok::<_, ()>(i + x)
            },
        );
        assert_eq!(ok.unwrap(), (0..50_000).map(|i| 2 * i).collect::<Vec<_>>());
    }
}
