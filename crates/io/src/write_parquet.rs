//! The GeoParquet writer: a layer's ids, columns and geometries (WKB) in one Parquet file with
//! the `geo` metadata of GeoParquet 1.1, written atomically like the other outputs.
//!
//! Geometries are written in lon/lat (OGC:CRS84, the specification's default, so the `crs` key
//! is left out), as GeoJSON is: a full PROJJSON of every projected CRS would need a CRS
//! database careblock does not carry, and a partial one is refused by some readers. Columns keep
//! their polars types. The pages are polars-parquet's (polars' own encodings, statistics and
//! row groups of 65,536 rows or a little more, cut as polars' writer cuts them, zstd level 1),
//! but the file is made one row group at a time: its geometries encoded as WKB, its bounding
//! boxes and its columns' pages compressed, each in parallel, then written before the next row
//! group is begun, so that a national layer is never held encoded whole (polars' writer
//! compresses every page on the thread that writes the file). GeoParquet 1.1's bounding-box
//! covering column (`bbox`, a struct of `xmin`, `ymin`, `xmax`, `ymax`) lets readers such as
//! GDAL and DuckDB skip the row groups outside an area (careblock's reader reads every row
//! group).

use std::collections::BTreeSet;
use std::path::Path;

use careblock_core::layer::geometry_kind;
use careblock_core::layer::union_rect;
use careblock_core::{LayerView, WGS84};
use geo::{BoundingRect, Geometry, Rect};
use polars::prelude::*;
use polars_arrow::array::{BinaryViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use polars_buffer::Buffer;
use polars_parquet::parquet::error::ParquetError;
use polars_parquet::write::{
    CompressedPage, Compressor, Encoding, StatisticsOptions, Version, WriteOptions, ZstdLevel,
    array_to_columns, get_dtype_encoding,
};
use rayon::prelude::*;

use crate::write::{atomic_write, lonlat_geometries};
use crate::{IoError, path_name, wkb};

/// Rows per WKB buffer (one encoding task).
const BLOCK: usize = 4096;

/// Rows per row group (a row group holds this many or a little more).
const ROW_GROUP: usize = 65_536;

/// Writes `layer` as GeoParquet 1.1 at `path`: a column `id_column` with the layer's ids (unless
/// the layer already has a column of that name), every attribute column, and the geometries as
/// WKB in `geometry`, in lon/lat. A null geometry stays null.
pub fn write_geoparquet<'a>(
    path: &Path,
    layer: impl Into<LayerView<'a>>,
    id_column: &str,
) -> Result<(), IoError> {
    let layer: LayerView<'a> = layer.into();
    let name = path_name(path);
    let mut df = layer.attributes.clone();
    if df.column(id_column).is_err() {
        df.insert_column(0, Column::new(id_column.into(), layer.ids))
            .map_err(|e| IoError::table(&name, e))?;
    }
    for reserved in ["geometry", "bbox"] {
        if df.column(reserved).is_ok() {
            return Err(IoError::format(
                &name,
                format!(
                    "the layer has a column named {reserved:?}, which GeoParquet's {reserved} column would replace; rename it"
                ),
            ));
        }
    }
    // A layer in another CRS is reprojected to lon/lat once, here: the boxes and the WKB below
    // read it.
    let geometries = lonlat_geometries(layer, &name)?;
    let layer = LayerView {
        geometries: &geometries,
        crs: WGS84,
        ..layer
    };
    // The `geo` metadata's extent is needed before the first row group; each row group's boxes
    // (the bbox column) are computed again with it, so that a national layer's boxes are
    // never held whole (20 MB at 500,000 rows, for a few milliseconds of work twice).
    let bbox = |g: &Option<Geometry<f64>>| g.as_ref().and_then(|g| g.bounding_rect());
    let extent = layer
        .geometries
        .par_iter()
        .with_min_len(BLOCK)
        .filter_map(bbox)
        .reduce_with(union_rect);
    let kinds: BTreeSet<&str> = layer.geometries.iter().flatten().map(geometry_kind).collect();
    let mut column = serde_json::json!({
        "encoding": "WKB",
        "geometry_types": kinds,
        "orientation": "counterclockwise",
        "covering": {"bbox": {
            "xmin": ["bbox", "xmin"],
            "ymin": ["bbox", "ymin"],
            "xmax": ["bbox", "xmax"],
            "ymax": ["bbox", "ymax"],
        }},
    });
    if let Some(r) = extent {
        column["bbox"] = serde_json::json!([r.min().x, r.min().y, r.max().x, r.max().y]);
    }
    let geo = serde_json::json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": column},
    })
    .to_string();
    let mut schema = df.schema().as_ref().clone();
    schema.insert("geometry".into(), DataType::Binary);
    schema.insert(
        "bbox".into(),
        DataType::Struct(
            SIDES
                .iter()
                .map(|s| Field::new((*s).into(), DataType::Float64))
                .collect(),
        ),
    );
    // zstd level 1: at 500k units, ~0.35 s less CPU than the default level 3 for a file 6 %
    // larger.
    let compression = ParquetCompression::Zstd(ZstdLevel::try_new(1).ok());
    atomic_write(path, |w| {
        let table = |e: PolarsError| IoError::table(&name, e);
        let mut writer = ParquetWriter::new(w)
            .with_compression(compression)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![("geo".into(), geo)])))
            .batched(&schema)
            .map_err(table)?;
        let fields = writer.parquet_schema().fields().to_vec();
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            version: Version::V1,
            compression: compression.into(),
            data_page_size: None,
        };
        for (offset, len) in row_groups(layer.len()) {
            let rows = offset..offset + len;
            let mut part = df.slice(offset as i64, len);
            part.with_column(wkb_column(&name, &layer.geometries[rows.clone()])?.into_column())
                .map_err(table)?;
            let mut boxes: Vec<Option<Rect<f64>>> = Vec::with_capacity(len);
            layer.geometries[rows]
                .par_iter()
                .with_min_len(BLOCK)
                .map(bbox)
                .collect_into_vec(&mut boxes);
            part.with_column(bbox_column(&name, &boxes)?.into_column())
                .map_err(table)?;
            drop(boxes);
            part.rechunk_mut_par();
            let Some(batch) = part.iter_chunks(CompatLevel::newest(), false).next() else {
                continue;
            };
            // Each column's pages encoded and compressed by one task (a struct column gives
            // one column chunk per field), in the schema's order.
            let arrow_fields: Vec<_> = batch.schema().iter_values().cloned().collect();
            let columns: Vec<Result<Vec<Vec<CompressedPage>>, PolarsError>> = batch
                .columns()
                .par_iter()
                .with_max_len(1)
                .zip(&fields)
                .zip(&arrow_fields)
                .map(|((array, type_), field)| {
                    let encoding = encoding(field, id_column);
                    array_to_columns(array, type_.clone(), options, &encoding)?
                        .into_iter()
                        .map(|pages| {
                            Compressor::new(
                                pages.map(|p| p.map_err(|e| ParquetError::OutOfSpec(e.to_string()))),
                                options.compression,
                                vec![],
                            )
                            .collect::<Result<Vec<CompressedPage>, ParquetError>>()
                            .map_err(PolarsError::from)
                        })
                        .collect()
                })
                .collect();
            let mut chunks = Vec::new();
            for c in columns {
                chunks.extend(c.map_err(table)?);
            }
            writer.write_row_group(len as u64, &chunks).map_err(table)?;
        }
        writer.finish().map(|_| ()).map_err(table)
    })
}

/// The encodings of a field's leaves: polars' choice, but plain for the geometries and the ids,
/// whose values are (nearly) all distinct, so that polars does not estimate their cardinality
/// to find that a dictionary does not pay.
fn encoding(field: &polars_arrow::datatypes::Field, id_column: &str) -> Vec<Encoding> {
    if field.name.as_str() == "geometry" || field.name.as_str() == id_column {
        vec![Encoding::Plain]
    } else {
        get_dtype_encoding(&field.dtype)
    }
}

/// The bbox column's fields.
const SIDES: [&str; 4] = ["xmin", "ymin", "xmax", "ymax"];

/// The row groups of `n` rows as (first row, rows): polars' cut for a frame of one chunk (as
/// many groups as 65,536 goes into `n`, all of `n / groups` rows but the last, which takes the
/// rest), one group below 65,536 rows, none for no rows.
fn row_groups(n: usize) -> Vec<(usize, usize)> {
    let groups = (n / ROW_GROUP).max(usize::from(n > 0));
    if groups == 0 {
        return Vec::new();
    }
    let size = n / groups;
    (0..groups)
        .map(|g| {
            let offset = g * size;
            (offset, if g + 1 == groups { n - offset } else { size })
        })
        .collect()
}

/// The WKB column of `geometries` (lon/lat): blocks of rows encoded in parallel, each into one
/// buffer (no allocation per row) sized once from the geometries; the column's values are views
/// into those buffers, which become its data buffers, so the WKB is not copied again.
fn wkb_column(name: &str, geometries: &[Option<Geometry<f64>>]) -> Result<BinaryChunked, IoError> {
    let mut blocks: Vec<(Vec<u8>, Vec<Option<usize>>)> = Vec::new();
    geometries
        .par_chunks(BLOCK)
        .map(|gs| {
            let mut wkb = Vec::with_capacity(gs.iter().flatten().map(wkb::encoded_len).sum());
            let ends = gs
                .iter()
                .map(|g| {
                    g.as_ref().map(|g| {
                        wkb::encode_oriented_into(&mut wkb, g);
                        wkb.len()
                    })
                })
                .collect();
            (wkb, ends)
        })
        .collect_into_vec(&mut blocks);
    let mut views = Vec::with_capacity(geometries.len());
    let mut valid = MutableBitmap::with_capacity(geometries.len());
    for (b, (wkb, ends)) in blocks.iter().enumerate() {
        let mut start = 0;
        for end in ends {
            match end {
                None => {
                    views.push(View::default());
                    valid.push(false);
                }
                Some(end) => {
                    let (Ok(index), Ok(offset)) = (u32::try_from(b), u32::try_from(start)) else {
                        return Err(IoError::format(
                            name,
                            "a block of geometries of 4 GB or more".to_string(),
                        ));
                    };
                    views.push(View::new_from_bytes(&wkb[start..*end], index, offset));
                    valid.push(true);
                    start = *end;
                }
            }
        }
    }
    let validity: Option<Bitmap> = (valid.unset_bits() > 0).then(|| valid.into());
    let buffers: Vec<Buffer<u8>> = blocks.into_iter().map(|(wkb, _)| Buffer::from(wkb)).collect();
    let array = BinaryViewArray::try_new(ArrowDataType::BinaryView, views.into(), buffers.into(), validity)
        .map_err(|e| IoError::table(name, e))?;
    Ok(BinaryChunked::with_chunk("geometry".into(), array))
}

/// The bbox column of rows with these boxes (null where there is none).
fn bbox_column(name: &str, boxes: &[Option<Rect<f64>>]) -> Result<Series, IoError> {
    let side = |f: fn(&Rect<f64>) -> f64, field: &str| -> Series {
        let values: Vec<Option<f64>> = boxes.iter().map(|r| r.as_ref().map(f)).collect();
        Series::new(field.into(), values)
    };
    let sides = [
        side(|r| r.min().x, SIDES[0]),
        side(|r| r.min().y, SIDES[1]),
        side(|r| r.max().x, SIDES[2]),
        side(|r| r.max().y, SIDES[3]),
    ];
    Ok(
        StructChunked::from_series("bbox".into(), boxes.len(), sides.iter())
            .map_err(|e| IoError::table(name, e))?
            .into_series(),
    )
}
