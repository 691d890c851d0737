//! A panic in polars' Parquet reader made an error. polars parses a file's footer (Thrift)
//! with `unwrap`s on data it trusts, so a corrupt or truncated Parquet file can panic inside it
//! (found by `tests/fuzz.rs`); careblock must answer with an error naming the file instead.
//!
//! The panic is caught with `catch_unwind`, and its default message ("thread ... panicked at
//! ...") is not printed for panics raised while a guarded read runs on this thread: a panic
//! hook, installed once, skips them and passes every other panic to the previous hook.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::IoError;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `read` (a read through polars' Parquet reader of the file `name`); a panic inside it
/// becomes [`IoError::Format`] naming the file and what the reader said.
pub(crate) fn parquet<T>(name: &str, read: impl FnOnce() -> Result<T, IoError>) -> Result<T, IoError> {
    install_hook();
    let was = GUARDED.with(|g| g.replace(true));
    let out = panic::catch_unwind(AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(was));
    out.unwrap_or_else(|payload| {
        let said = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(IoError::format(
            name,
            format!("not a readable Parquet file (truncated or corrupt?): the Parquet reader stopped at its metadata or data ({said})"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_file_and_other_threads_keep_their_hook() {
        let e = parquet::<()>("x.parquet", || panic!("index out of bounds")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("x.parquet") && text.contains("index out of bounds"),
            "{text}"
        );
        assert_eq!(parquet("x.parquet", || Ok(3)).unwrap(), 3);
        assert!(!GUARDED.with(Cell::get));
    }
}
