//! A check of every page header of a Parquet file before polars decodes its pages.
//!
//! polars trusts the value counts the page headers carry: a corrupt header claiming a negative
//! count makes it reserve 2^61 bytes and abort the process, which no error handling can catch
//! (found by the fuzz targets, `crates/io/tests/fuzz.rs`). So each column chunk's pages are
//! walked first, header by header (the Thrift structures of `polars-parquet-format`, the crate
//! polars itself parses them with; the page bodies are skipped, not read): sizes and counts
//! must be non-negative, the pages must stay inside their chunk and the file, and their values
//! must add up to no more than the chunk's. This reads a few hundred bytes per page.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet_format::PageHeader;
use polars_parquet_format::thrift::protocol::TCompactInputProtocol;

/// Most bytes one page header may take (statistics included).
const MAX_HEADER: usize = 16 << 20;

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Walks the page headers of every column chunk of `file` described by `metadata`; the first
/// inconsistency, in words.
pub(crate) fn check_pages(file: &mut File, metadata: &FileMetadata) -> Result<(), String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    for (g, group) in metadata.row_groups.iter().enumerate() {
        for column in group.parquet_columns() {
            let name = &column.descriptor().path_in_schema;
            let chunk = column.byte_range();
            let at_chunk = |what: String| format!("row group {g}, column {}: {what}", name.join("."));
            if chunk.end > len || chunk.start > chunk.end {
                return Err(at_chunk(format!(
                    "the column chunk spans bytes {}..{} of a {len}-byte file",
                    chunk.start, chunk.end
                )));
            }
            let total = column.num_values();
            if total < 0 {
                return Err(at_chunk(format!("the column chunk claims {total} values")));
            }
            let (mut seen, mut at) = (0i64, chunk.start);
            while seen < total {
                if at >= chunk.end {
                    return Err(at_chunk(format!(
                        "the pages hold {seen} values, the column chunk claims {total}"
                    )));
                }
                file.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
                let mut reader = Counting {
                    inner: BufReader::with_capacity(8192, (&mut *file).take(chunk.end - at)),
                    read: 0,
                };
                let header = PageHeader::read_from_in_protocol(&mut TCompactInputProtocol::new(
                    &mut reader,
                    MAX_HEADER,
                ))
                .map_err(|e| at_chunk(format!("unreadable page header at byte {at}: {e}")))?;
                let bad = |what: &str, v: i32| at_chunk(format!("the page at byte {at} claims {v} {what}"));
                if header.compressed_page_size < 0 {
                    return Err(bad("compressed bytes", header.compressed_page_size));
                }
                if header.uncompressed_page_size < 0 {
                    return Err(bad("uncompressed bytes", header.uncompressed_page_size));
                }
                if let Some(d) = &header.dictionary_page_header
                    && d.num_values < 0
                {
                    return Err(bad("dictionary values", d.num_values));
                }
                let values = match (&header.data_page_header, &header.data_page_header_v2) {
                    (Some(d), _) => Some(d.num_values),
                    (None, Some(d)) => {
                        if d.num_rows < 0 {
                            return Err(bad("rows", d.num_rows));
                        }
                        if d.num_nulls < 0 || d.num_nulls > d.num_values {
                            return Err(bad("nulls", d.num_nulls));
                        }
                        Some(d.num_values)
                    }
                    (None, None) => None,
                };
                if let Some(n) = values {
                    if n < 0 || i64::from(n) > total - seen {
                        return Err(at_chunk(format!(
                            "the page at byte {at} claims {n} values where {} remain",
                            total - seen
                        )));
                    }
                    seen += i64::from(n);
                }
                at += reader.read + header.compressed_page_size as u64;
                if at > chunk.end {
                    return Err(at_chunk(format!(
                        "the page at byte {} runs past the end of its column chunk (byte {})",
                        at - header.compressed_page_size as u64,
                        chunk.end
                    )));
                }
            }
        }
    }
    Ok(())
}
