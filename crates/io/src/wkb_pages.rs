//! A GeoParquet WKB column decoded straight from its Parquet pages into geometries.
//!
//! polars would first build the column as an Arrow binary array: a copy of every WKB value
//! (48 MB for 500,000 census polygons), made on one thread per column, which the geometries
//! are then decoded from. Here the pages of the column (read, decompressed and their levels
//! decoded by `polars-parquet`, the crate polars itself reads Parquet with) are decoded into
//! geometries one page per task, so the 50-odd pages of a national layer are spread over the
//! threads and no binary copy is made. Reading 500,000 units took 0.15 s through the binary
//! array and 0.1 s this way (benches/peers/README.md).
//!
//! Only what GeoParquet writers produce for a WKB column is read here: a flat (not nested)
//! `BYTE_ARRAY` column, its values `PLAIN` or dictionary-encoded, in v1 or v2 data pages.
//! Anything else is [`Outcome::Unsupported`], and the caller reads the column through polars.

use std::fs::File;
use std::io::Cursor;
use std::os::unix::fs::FileExt;

use geo::Geometry;
use polars_parquet::parquet::compression::DecompressionContext;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;
use polars_parquet::parquet::encoding::plain_byte_array::BinaryIter;
use polars_parquet::parquet::error::ParquetError;
use polars_parquet::parquet::metadata::{ColumnDescriptor, FileMetadata};
use polars_parquet::parquet::page::{CompressedDataPage, CompressedPage, Page, split_buffer};
use polars_parquet::parquet::read::{PageReader, decompress};
use polars_parquet::parquet::schema::types::PhysicalType;
use rayon::prelude::*;

use crate::wkb::{self, WkbError};

/// What reading the column from its pages gave.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Every row's geometry, in file order.
    Read(Vec<Option<Geometry<f64>>>),
    /// The first row (in file order) whose WKB does not parse.
    BadRow(usize, WkbError),
    /// A layout or encoding this reader does not handle; read the column through polars.
    Unsupported,
    /// The file is not readable Parquet, in words.
    Corrupt(String),
}

/// Whether `column` of the file is a flat, possibly nullable `BYTE_ARRAY` column, the layout
/// [`read`] handles.
pub(crate) fn supported(metadata: &FileMetadata, column: &str) -> bool {
    metadata.schema().columns().iter().any(|c| {
        is_column(c, column)
            && c.descriptor.primitive_type.physical_type == PhysicalType::ByteArray
            && c.descriptor.max_rep_level == 0
            && c.descriptor.max_def_level <= 1
    })
}

/// Whether `c` is the top-level column `column` (not a field nested in another).
fn is_column(c: &ColumnDescriptor, column: &str) -> bool {
    c.path_in_schema.len() == 1 && c.path_in_schema[0].as_str() == column
}

/// One data page to decode: its row group's dictionary (if any), its first row and its rows.
struct Task<'d> {
    page: CompressedDataPage,
    dictionary: Option<&'d [&'d [u8]]>,
    rows: usize,
}

/// Why a page could not be decoded here.
enum PageError {
    Unsupported,
    Corrupt(String),
    Row(usize, WkbError),
}

impl From<ParquetError> for PageError {
    fn from(e: ParquetError) -> Self {
        PageError::Corrupt(e.to_string())
    }
}

/// Reads `column` (for which [`supported`] holds) of `file`, every row group.
pub(crate) fn read(file: &File, metadata: &FileMetadata, column: &str) -> Outcome {
    match read_pages(file, metadata, column) {
        Ok(out) => Outcome::Read(out),
        Err(PageError::Unsupported) => Outcome::Unsupported,
        Err(PageError::Corrupt(e)) => Outcome::Corrupt(e),
        Err(PageError::Row(i, e)) => Outcome::BadRow(i, e),
    }
}

fn read_pages(
    file: &File,
    metadata: &FileMetadata,
    column: &str,
) -> Result<Vec<Option<Geometry<f64>>>, PageError> {
    // Each row group's column chunk, its dictionary page decompressed and its data pages still
    // compressed (their bytes are slices of the chunk, not copies).
    let mut dictionaries: Vec<Option<Vec<u8>>> = Vec::new();
    let mut groups: Vec<Vec<CompressedDataPage>> = Vec::new();
    for group in &metadata.row_groups {
        let Some(chunk) = group
            .parquet_columns()
            .iter()
            .find(|c| is_column(c.descriptor(), column))
        else {
            return Err(PageError::Unsupported);
        };
        let range = chunk.byte_range();
        let len = usize::try_from(range.end - range.start).map_err(|_| PageError::Unsupported)?;
        let mut bytes = vec![0u8; len];
        file.read_exact_at(&mut bytes, range.start)
            .map_err(|e| PageError::Corrupt(format!("reading the column chunk: {e}")))?;
        let mut reader = PageReader::new(Cursor::new(bytes.into()), chunk, Vec::new(), len.max(1));
        let dictionary = match reader.read_dict()? {
            None => None,
            Some(d) => {
                let mut buffer = Vec::new();
                match decompress(
                    CompressedPage::Dict(d),
                    &mut buffer,
                    &mut DecompressionContext::Unset,
                )? {
                    Page::Dict(d) => Some(d.buffer.to_vec()),
                    Page::Data(_) => return Err(PageError::Unsupported),
                }
            }
        };
        let mut pages = Vec::new();
        for page in reader {
            match page? {
                CompressedPage::Data(p) => pages.push(p),
                CompressedPage::Dict(_) => {
                    return Err(PageError::Corrupt(
                        "a dictionary page after the first page of a column chunk".into(),
                    ));
                }
            }
        }
        dictionaries.push(dictionary);
        groups.push(pages);
    }
    // The dictionaries' values (PLAIN byte arrays), one list per row group.
    let values: Vec<Option<Vec<&[u8]>>> = dictionaries
        .iter()
        .map(|d| {
            d.as_ref()
                .map(|d| BinaryIter::new(d, None).collect::<Result<Vec<&[u8]>, _>>())
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let tasks: Vec<Task<'_>> = groups
        .into_iter()
        .zip(&values)
        .flat_map(|(pages, dictionary)| {
            pages.into_iter().map(move |page| Task {
                rows: page.num_values(),
                dictionary: dictionary.as_deref(),
                page,
            })
        })
        .collect();
    let total: usize = tasks.iter().map(|t| t.rows).sum();
    let mut out: Vec<Option<Geometry<f64>>> = Vec::new();
    out.resize_with(total, || None);
    // Each page fills its own rows of `out`.
    let mut slices = Vec::with_capacity(tasks.len());
    let (mut rest, mut first) = (&mut out[..], 0usize);
    for t in &tasks {
        let (mine, others) = rest.split_at_mut(t.rows);
        slices.push((first, mine));
        first += t.rows;
        rest = others;
    }
    let results: Vec<Result<(), PageError>> = tasks
        .into_par_iter()
        .zip(slices)
        .with_max_len(1)
        .map(|(task, (first, rows))| decode_page(task, first, rows))
        .collect();
    // The first problem in file order, whatever the thread count.
    for r in results {
        r?;
    }
    Ok(out)
}

/// Decompresses one data page and decodes its rows into `out` (its first row is `first`).
fn decode_page(task: Task<'_>, first: usize, out: &mut [Option<Geometry<f64>>]) -> Result<(), PageError> {
    let mut buffer = Vec::new();
    let page = match decompress(
        CompressedPage::Data(task.page),
        &mut buffer,
        &mut DecompressionContext::Unset,
    )? {
        Page::Data(p) => p,
        Page::Dict(_) => return Err(PageError::Unsupported),
    };
    let n = out.len();
    let split = split_buffer(&page)?;
    // Which rows hold a value: definition level 1 (a nullable column) or every row.
    let defined: Option<Vec<u32>> = if page.descriptor.max_def_level == 1 {
        if page.definition_level_encoding() != Encoding::Rle {
            return Err(PageError::Unsupported);
        }
        let levels = HybridRleDecoder::new(split.def, 1, n).collect()?;
        if levels.len() != n {
            return Err(PageError::Corrupt(format!(
                "a page of {n} rows has {} definition levels",
                levels.len()
            )));
        }
        Some(levels)
    } else {
        None
    };
    let present = defined
        .as_ref()
        .map_or(n, |d| d.iter().filter(|&&l| l == 1).count());
    let bad = |k: usize, e: WkbError| PageError::Row(first + k, e);
    let mut put = |values: &mut dyn Iterator<Item = Result<&[u8], PageError>>| -> Result<(), PageError> {
        for (k, slot) in out.iter_mut().enumerate() {
            if defined.as_ref().is_some_and(|d| d[k] != 1) {
                continue;
            }
            let bytes = values.next().ok_or_else(|| {
                PageError::Corrupt(format!("a page of {n} rows holds fewer than {present} values"))
            })??;
            *slot = wkb::decode(bytes).map_err(|e| bad(k, e))?;
        }
        Ok(())
    };
    match page.encoding() {
        Encoding::Plain => {
            put(&mut BinaryIter::new(split.values, Some(present)).map(|v| v.map_err(PageError::from)))
        }
        Encoding::PlainDictionary | Encoding::RleDictionary => {
            let dictionary = task
                .dictionary
                .ok_or_else(|| PageError::Corrupt("a dictionary-encoded page without a dictionary".into()))?;
            let (&width, indices) = split
                .values
                .split_first()
                .ok_or_else(|| PageError::Corrupt("an empty dictionary-encoded page".into()))?;
            if width > 32 {
                return Err(PageError::Corrupt(format!(
                    "a dictionary index width of {width} bits"
                )));
            }
            let indices = HybridRleDecoder::new(indices, u32::from(width), present).collect()?;
            put(&mut indices.into_iter().map(|i| {
                dictionary.get(i as usize).copied().ok_or_else(|| {
                    PageError::Corrupt(format!("dictionary index {i} of {}", dictionary.len()))
                })
            }))
        }
        _ => Err(PageError::Unsupported),
    }
}
