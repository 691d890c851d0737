//! A temporary folder for the unit tests, removed when the test ends (passed or failed).

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A fresh, empty folder `careblock-<tag>-<process id>` in the system's temporary directory,
/// removed with everything in it when dropped.
pub(crate) struct TestDir(PathBuf);

impl TestDir {
    pub(crate) fn new(tag: &str) -> TestDir {
        let d = std::env::temp_dir().join(format!("careblock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TestDir(d)
    }
}

impl Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_folder_is_removed_when_dropped() {
    let d = TestDir::new("test-dir");
    std::fs::write(d.join("f"), b"x").unwrap();
    let path = d.to_path_buf();
    assert!(path.join("f").is_file());
    drop(d);
    assert!(!path.exists());
}
