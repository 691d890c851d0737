//! What a run read, file by file: every input a method file names (with a shapefile's
//! sidecars and attribute tables), its size and SHA-256, so a report says exactly which data
//! produced it and a later run can check it is reading the same files.

use std::io::Read;
use std::path::Path;

use careblock_method::Method;
use sha2::{Digest, Sha256};

use crate::{IoError, extension, path_name};

/// One file read by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// What the file is for: `method`, `units`, `units.table`, `districts`, `coarse.NAME`,
    /// `supply.NAME`, `candidates.NAME`, `existing.N`, `equity`, `network`, `network.gap`, with `.shx`/`.dbf`/... for sidecars.
    pub role: String,
    /// The path as the method file gives it (relative to the method file), or the method
    /// file's path as given on the command line: stable whatever the working directory.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// Size and SHA-256 (lower-case hex) of a file, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<(u64, String), IoError> {
    let name = path_name(path);
    let mut file = std::fs::File::open(path).map_err(|e| IoError::io(&name, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| IoError::io(&name, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Every file the method reads, in the method's order, with its checksum: the method file
/// itself, then each layer (a shapefile with its `.shx`, `.dbf`, `.prj` and `.cpg` when
/// present) and each attribute table. `base` is the method file's directory (paths in the
/// method are relative to it). A file that cannot be read is an error naming it.
pub fn method_inputs(method: &Method, method_path: &Path, base: &Path) -> Result<Vec<InputFile>, IoError> {
    let spec = &method.spec;
    let mut wanted: Vec<(String, &str)> = Vec::new();
    wanted.push(("units".into(), &spec.units.path));
    if let Some(t) = &spec.units.table {
        wanted.push(("units.table".into(), &t.path));
    }
    if let Some(d) = &spec.districts {
        wanted.push(("districts".into(), &d.path));
        if let Some(t) = &d.table {
            wanted.push(("districts.table".into(), &t.path));
        }
    }
    for c in &spec.coarse {
        wanted.push((format!("coarse.{}", c.name.get_ref()), &c.path));
        if let Some(t) = &c.table {
            wanted.push((format!("coarse.{}.table", c.name.get_ref()), &t.path));
        }
    }
    for s in &spec.supply {
        wanted.push((format!("supply.{}", s.name), &s.path));
    }
    if let Some(siting) = &spec.siting {
        for c in &siting.candidates {
            wanted.push((format!("candidates.{}", c.name), &c.path));
        }
        for (i, e) in siting.existing.iter().enumerate() {
            wanted.push((format!("existing.{i}"), &e.path));
        }
        if let Some(path) = siting.equity.as_ref().and_then(|e| e.path.as_ref()) {
            wanted.push(("equity".into(), path.get_ref()));
        }
        if let Some(c) = &siting.costs {
            wanted.push(("costs".into(), c.path.get_ref()));
        }
    }
    if let Some(n) = &spec.network {
        wanted.push(("network".into(), n.path.get_ref()));
        if let Some(g) = &n.gap {
            wanted.push(("network.gap".into(), g.get_ref()));
        }
    }

    let (bytes, sha256) = sha256_file(method_path)?;
    let mut out = vec![InputFile {
        role: "method".into(),
        path: path_name(method_path),
        bytes,
        sha256,
    }];
    for (role, rel) in wanted {
        let path = base.join(rel);
        let (bytes, sha256) = sha256_file(&path)?;
        out.push(InputFile {
            role: role.clone(),
            path: rel.to_string(),
            bytes,
            sha256,
        });
        if extension(&path) == "shp" {
            for side in ["shx", "dbf", "prj", "cpg"] {
                let sidecar = path.with_extension(side);
                if sidecar.is_file() {
                    let (bytes, sha256) = sha256_file(&sidecar)?;
                    out.push(InputFile {
                        role: format!("{role}.{side}"),
                        path: Path::new(rel).with_extension(side).display().to_string(),
                        bytes,
                        sha256,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_texts() {
        let dir = std::env::temp_dir().join(format!("careblock-sha-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.txt");
        std::fs::write(&empty, b"").unwrap();
        let abc = dir.join("abc.txt");
        std::fs::write(&abc, b"abc").unwrap();
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_file(&empty).unwrap(),
            (
                0,
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()
            )
        );
        assert_eq!(
            sha256_file(&abc).unwrap(),
            (
                3,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string()
            )
        );
        let err = sha256_file(&dir.join("missing.txt")).unwrap_err().to_string();
        assert!(err.contains("missing.txt"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
