//! 0′ and 8′. Parquet in and out: edge lists as two or three columns (what
//! Spark and Dask jobs write: integer or string ids, a numeric weight) and
//! embeddings as an id column beside a fixed-size list of float32 (what
//! Spark, DuckDB, pandas and Dask read). Behind the `parquet` feature (the
//! CLI and the Python package turn it on); without it a Parquet file is
//! recognized and refused with a message that says so.
//!
//! A file is Parquet by its magic bytes, whatever its name; rows are read
//! in batches, so memory is the records and one batch, not the file.

use crate::embeddings::{Embeddings, Side};
use crate::error::{Error, Result};
use crate::graph::{EdgeListFormat, EdgeRecords};
use std::path::Path;

/// Parquet files start (and end) with these bytes.
const MAGIC: &[u8; 4] = b"PAR1";

/// Whether `path` is a regular file that starts as Parquet (a FIFO is not
/// opened to look: its bytes would be consumed).
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    if !path.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == MAGIC
}

/// Whether this build reads and writes Parquet.
pub const SUPPORTED: bool = cfg!(feature = "parquet");

#[cfg(not(feature = "parquet"))]
fn unsupported(path: &Path) -> Error {
    Error::Record {
        path: path.to_path_buf(),
        row: None,
        message: "this is a Parquet file, and this build of pmivec has no Parquet support \
                  (build it with the `parquet` feature, as the CLI and the Python package are)"
            .into(),
    }
}

/// An edge list in a Parquet file: the columns named `source` and `target`
/// (or `src`/`dst`, `from`/`to`; `weight` when weighted), or else a file of
/// exactly two (three when weighted) columns. Ids are integers (any width;
/// a label is the number as written, so `7` here is node `7` of a text
/// list) or strings (also dictionary-encoded); the rules of the text
/// reader hold (order of first appearance, weights finite and ≥ 0).
///
/// # Errors
/// [`Error::Record`] naming the file and, for a bad value, its row;
/// [`Error::Empty`] for a file without rows.
pub fn read_edges(path: &Path, format: &EdgeListFormat) -> Result<EdgeRecords> {
    #[cfg(feature = "parquet")]
    return imp::read_edges(path, format);
    #[cfg(not(feature = "parquet"))]
    {
        let _ = format;
        Err(unsupported(path))
    }
}

/// Embeddings from a Parquet file: an id column (named `id`, `label`,
/// `node` or `word`, else the first integer or string column) and the
/// vectors, as one list column of floats (what [`write_embeddings`]
/// writes; `list<double>` as pandas writes arrays) or as one float column
/// per dimension (a wide DataFrame).
///
/// # Errors
/// [`Error::Record`] naming the file and the row of a null, a ragged or
/// non-finite vector, or an id given twice.
pub fn read_embeddings(path: &Path) -> Result<Embeddings> {
    #[cfg(feature = "parquet")]
    return imp::read_embeddings(path);
    #[cfg(not(feature = "parquet"))]
    Err(unsupported(path))
}

/// Write `side` of `emb` as Parquet: column `id` (int64 when every label is
/// an integer written canonically, else string) and column `vector`
/// (`fixed_size_list<float32>[d]`), snappy-compressed, in row groups of
/// [`ROW_GROUP`] rows (memory: one group, not the file).
///
/// # Errors
/// An I/O error from the writer, or one saying that this build lacks the
/// `parquet` feature.
pub fn write_embeddings<W: std::io::Write + Send>(emb: &Embeddings, side: Side, w: W) -> std::io::Result<()> {
    #[cfg(feature = "parquet")]
    return imp::write_embeddings(emb, side, w);
    #[cfg(not(feature = "parquet"))]
    {
        let _ = (emb, side, w);
        Err(std::io::Error::other("this build of pmivec has no Parquet support (build it with the `parquet` feature)"))
    }
}

/// Rows per batch read and per row group written.
pub const ROW_GROUP: usize = 1 << 16;

#[cfg(feature = "parquet")]
mod imp {
    use super::*;
    use crate::graph::edgelist::{Interner, check_weight, label_problem};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
        UInt64Type,
    };
    use arrow_array::{Array, ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::sync::Arc;

    /// An error about the file as a whole.
    fn whole(path: &Path, message: impl std::fmt::Display) -> Error {
        Error::Record { path: path.to_path_buf(), row: None, message: message.to_string() }
    }

    /// An error about row `row` (1-based, over the file).
    fn at(path: &Path, row: u64, message: impl std::fmt::Display) -> Error {
        Error::Record { path: path.to_path_buf(), row: Some(row), message: message.to_string() }
    }

    /// The file's rows in batches of `columns`, and its schema.
    fn batches(
        path: &Path,
        columns: impl FnOnce(&Schema) -> std::result::Result<Vec<usize>, String>,
    ) -> Result<(Vec<Field>, impl Iterator<Item = Result<RecordBatch>>)> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| whole(path, format!("not a readable Parquet file: {e}")))?;
        let schema = builder.schema().clone();
        let picked = columns(&schema).map_err(|m| whole(path, m))?;
        let fields = picked.iter().map(|&i| schema.field(i).clone()).collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), picked.iter().copied());
        let reader = builder
            .with_projection(mask)
            .with_batch_size(ROW_GROUP)
            .build()
            .map_err(|e| whole(path, format!("not a readable Parquet file: {e}")))?;
        let path = path.to_path_buf();
        Ok((fields, reader.map(move |b| b.map_err(|e| whole(&path, format!("reading failed: {e}"))))))
    }

    /// The index of the column named one of `names` (any case).
    fn named(schema: &Schema, names: &[&str]) -> Option<usize> {
        schema.fields().iter().position(|f| names.iter().any(|n| f.name().eq_ignore_ascii_case(n)))
    }

    fn column_list(schema: &Schema) -> String {
        schema.fields().iter().map(|f| format!("{} ({})", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
    }

    /// Which columns hold the source, the target and (when weighted) the weight.
    fn edge_columns(schema: &Schema, weighted: bool) -> std::result::Result<Vec<usize>, String> {
        let source = named(schema, &["source", "src", "from"]);
        let target = named(schema, &["target", "dst", "to"]);
        if let (Some(s), Some(t)) = (source, target) {
            let mut cols = vec![s, t];
            if weighted {
                cols.push(named(schema, &["weight", "w"]).ok_or_else(|| {
                    format!("a weighted list needs a `weight` column beside the ends; columns: {}", column_list(schema))
                })?);
            }
            return Ok(cols);
        }
        let want = if weighted { 3 } else { 2 };
        let n = schema.fields().len();
        if n == want {
            return Ok((0..want).collect());
        }
        let hint = if n == 3 && !weighted { " (a third column is only read when `weighted`)" } else { "" };
        Err(format!(
            "{n} columns where {want} are expected{hint}: name the ends `source` and `target`{} or write only \
             those columns; columns: {}",
            if weighted { " and the weight `weight`," } else { "," },
            column_list(schema)
        ))
    }

    /// A column of node ids: numbers (non-negative integers, looked up as
    /// numbers) or labels.
    enum Ids {
        Numbers(Vec<u64>),
        Labels(Vec<String>),
    }

    impl Ids {
        fn label(&self, i: usize) -> std::borrow::Cow<'_, str> {
            match self {
                Ids::Numbers(v) => v[i].to_string().into(),
                Ids::Labels(v) => v[i].as_str().into(),
            }
        }
    }

    /// The first null of `col`, as an index.
    fn first_null(col: &dyn Array) -> Option<usize> {
        if col.null_count() == 0 { None } else { (0..col.len()).find(|&i| col.is_null(i)) }
    }

    /// `col` as ids; an error is (index in the batch, message).
    fn ids(col: &dyn Array, what: &str) -> std::result::Result<Ids, (usize, String)> {
        if let Some(i) = first_null(col) {
            return Err((i, format!("the {what} id is null")));
        }
        macro_rules! ints {
            ($t:ty) => {{
                let v = col.as_primitive::<$t>().values();
                if v.iter().all(|&x| i128::from(x) >= 0) {
                    Ids::Numbers(v.iter().map(|&x| x as u64).collect())
                } else {
                    Ids::Labels(v.iter().map(|x| x.to_string()).collect())
                }
            }};
        }
        let labels = |it: &mut dyn Iterator<Item = &str>| -> std::result::Result<Ids, (usize, String)> {
            let mut out = Vec::with_capacity(col.len());
            for (i, s) in it.enumerate() {
                if let Some(p) = label_problem(s) {
                    return Err((i, format!("{what}: {p}")));
                }
                out.push(s.to_owned());
            }
            Ok(Ids::Labels(out))
        };
        Ok(match col.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => ints!(UInt64Type),
            DataType::Utf8 => labels(&mut col.as_string::<i32>().iter().map(Option::unwrap_or_default))?,
            DataType::LargeUtf8 => labels(&mut col.as_string::<i64>().iter().map(Option::unwrap_or_default))?,
            DataType::Utf8View => labels(&mut col.as_string_view().iter().map(Option::unwrap_or_default))?,
            DataType::Dictionary(_, _) => {
                let dict = col.as_any_dictionary_opt().expect("a dictionary type is a dictionary array");
                match ids(dict.values().as_ref(), what)? {
                    Ids::Numbers(v) => Ids::Numbers(dict.normalized_keys().into_iter().map(|k| v[k]).collect()),
                    Ids::Labels(v) => Ids::Labels(dict.normalized_keys().into_iter().map(|k| v[k].clone()).collect()),
                }
            }
            t => return Err((0, format!("the {what} column is {t}: node ids must be integers or strings"))),
        })
    }

    /// `col` as numbers (weights, vector values); an error is (index, message).
    fn numbers(col: &dyn Array, what: &str) -> std::result::Result<Vec<f64>, (usize, String)> {
        if let Some(i) = first_null(col) {
            return Err((i, format!("the {what} is null")));
        }
        macro_rules! as_f64 {
            ($t:ty) => {
                col.as_primitive::<$t>().values().iter().map(|&x| x as f64).collect()
            };
        }
        Ok(match col.data_type() {
            DataType::Float32 => as_f64!(Float32Type),
            DataType::Float64 => as_f64!(Float64Type),
            DataType::Int8 => as_f64!(Int8Type),
            DataType::Int16 => as_f64!(Int16Type),
            DataType::Int32 => as_f64!(Int32Type),
            DataType::Int64 => as_f64!(Int64Type),
            DataType::UInt8 => as_f64!(UInt8Type),
            DataType::UInt16 => as_f64!(UInt16Type),
            DataType::UInt32 => as_f64!(UInt32Type),
            DataType::UInt64 => as_f64!(UInt64Type),
            t => return Err((0, format!("the {what} column is {t}, not a number"))),
        })
    }

    pub(super) fn read_edges(path: &Path, format: &EdgeListFormat) -> Result<EdgeRecords> {
        let (_, batches) = batches(path, |s| edge_columns(s, format.weighted))?;
        let mut interner = Interner::new(rayon::current_num_threads());
        let mut edges: Vec<(u32, u32, f64)> = Vec::new();
        let mut base = 0u64;
        for batch in batches {
            let batch = batch?;
            let bad = |(i, m): (usize, String)| at(path, base + i as u64 + 1, m);
            let src = ids(batch.column(0).as_ref(), "source").map_err(bad)?;
            let dst = ids(batch.column(1).as_ref(), "target").map_err(bad)?;
            let weights = match format.weighted {
                true => Some(numbers(batch.column(2).as_ref(), "weight").map_err(bad)?),
                false => None,
            };
            let weight = |i: usize| -> Result<f64> {
                match &weights {
                    Some(w) => check_weight(w[i], &w[i].to_string()).map_err(|m| bad((i, m))),
                    None => Ok(1.0),
                }
            };
            edges.reserve(batch.num_rows());
            if let (Ids::Numbers(a), Ids::Numbers(b)) = (&src, &dst) {
                let keys: Vec<u64> = a.iter().zip(b).flat_map(|(&a, &b)| [a, b]).collect();
                let interned = interner.intern_ints(&[&keys]);
                for (i, ab) in interned[0].chunks_exact(2).enumerate() {
                    edges.push((ab[0], ab[1], weight(i)?));
                }
            } else {
                for i in 0..batch.num_rows() {
                    let (a, b) = (interner.id(&src.label(i)), interner.id(&dst.label(i)));
                    edges.push((a, b, weight(i)?));
                }
            }
            base += batch.num_rows() as u64;
            if interner.len() > u32::MAX as usize {
                return Err(at(path, base, "more than 2^32 - 1 distinct nodes"));
            }
        }
        if edges.is_empty() {
            return Err(Error::Empty {
                path: Some(path.to_path_buf()),
                what: "no edges found (a file without rows)".into(),
            });
        }
        Ok(EdgeRecords { labels: interner.into_labels(), edges, header: None })
    }

    fn is_id_type(t: &DataType) -> bool {
        t.is_integer()
            || matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..))
    }

    fn is_list(t: &DataType) -> bool {
        matches!(t, DataType::FixedSizeList(..) | DataType::List(_) | DataType::LargeList(_))
    }

    /// The id column, then the vector column(s).
    fn embedding_columns(schema: &Schema) -> std::result::Result<Vec<usize>, String> {
        let fields = schema.fields();
        let id = named(schema, &["id", "label", "node", "word"])
            .filter(|&i| is_id_type(fields[i].data_type()))
            .or_else(|| fields.iter().position(|f| is_id_type(f.data_type())))
            .ok_or_else(|| format!("no id column (integers or strings); columns: {}", column_list(schema)))?;
        if let Some(v) = named(schema, &["vector", "embedding", "vectors"])
            .filter(|&i| is_list(fields[i].data_type()))
            .or_else(|| fields.iter().position(|f| is_list(f.data_type())))
        {
            return Ok(vec![id, v]);
        }
        let wide: Vec<usize> = (0..fields.len()).filter(|&i| i != id && fields[i].data_type().is_floating()).collect();
        if wide.is_empty() {
            return Err(format!(
                "no vector column (a list of floats, or one float column per dimension); columns: {}",
                column_list(schema)
            ));
        }
        Ok(std::iter::once(id).chain(wide).collect())
    }

    pub(super) fn read_embeddings(path: &Path) -> Result<Embeddings> {
        let (fields, batches) = batches(path, embedding_columns)?;
        let wide = fields.len() > 2 || !is_list(fields[1].data_type());
        let mut labels: Vec<String> = Vec::new();
        let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        let mut data: Vec<f32> = Vec::new();
        let mut dim: Option<usize> = wide.then(|| fields.len() - 1);
        let mut base = 0u64;
        for batch in batches {
            let batch = batch?;
            let bad = |(i, m): (usize, String)| at(path, base + i as u64 + 1, m);
            let ids = ids(batch.column(0).as_ref(), "id").map_err(bad)?;
            for i in 0..batch.num_rows() {
                let l = ids.label(i).into_owned();
                if let Some(first) = seen.insert(l.clone(), base + i as u64 + 1) {
                    return Err(bad((i, format!("id {l:?} is given again (first in row {first})"))));
                }
                labels.push(l);
            }
            let start = data.len();
            if wide {
                let cols: Vec<Vec<f64>> = (1..batch.num_columns())
                    .map(|c| numbers(batch.column(c).as_ref(), &format!("value of `{}`", fields[c].name())))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(bad)?;
                for i in 0..batch.num_rows() {
                    data.extend(cols.iter().map(|c| c[i] as f32));
                }
            } else {
                let col = batch.column(1);
                if let Some(i) = first_null(col.as_ref()) {
                    return Err(bad((i, "the vector is null".into())));
                }
                // Each row's (start, end) in the list's values.
                let (values, bounds): (&ArrayRef, Vec<(usize, usize)>) = match col.data_type() {
                    DataType::FixedSizeList(_, d) => {
                        let l = col.as_fixed_size_list();
                        let d = *d as usize;
                        (l.values(), (0..l.len()).map(|i| (i * d, (i + 1) * d)).collect())
                    }
                    DataType::List(_) => {
                        let l = col.as_list::<i32>();
                        (l.values(), l.value_offsets().windows(2).map(|w| (w[0] as usize, w[1] as usize)).collect())
                    }
                    _ => {
                        let l = col.as_list::<i64>();
                        (l.values(), l.value_offsets().windows(2).map(|w| (w[0] as usize, w[1] as usize)).collect())
                    }
                };
                let values = numbers(values.as_ref(), "vector's value").map_err(|(_, m)| at(path, base + 1, m))?;
                for (i, &(s, e)) in bounds.iter().enumerate() {
                    match dim {
                        None => dim = Some(e - s),
                        Some(d) if d != e - s => {
                            return Err(bad((
                                i,
                                format!("the vector has {} values where the rows before have {d}", e - s),
                            )));
                        }
                        Some(_) => {}
                    }
                    data.extend(values[s..e].iter().map(|&x| x as f32));
                }
            }
            if let Some(k) = data[start..].iter().position(|x| !x.is_finite()) {
                let d = dim.unwrap_or(1).max(1);
                return Err(bad((k / d, "a vector value is not finite (NaN or infinite)".into())));
            }
            base += batch.num_rows() as u64;
        }
        if labels.is_empty() {
            return Err(Error::Empty { path: Some(path.to_path_buf()), what: "no rows".into() });
        }
        Embeddings::try_from_matrix(labels, dim.unwrap_or(0), data)
    }

    /// Whether every label is an integer as `i64` writes it.
    fn integer_labels(labels: &[String]) -> bool {
        labels.iter().all(|l| l.parse::<i64>().is_ok_and(|v| v.to_string() == *l))
    }

    pub(super) fn write_embeddings<W: std::io::Write + Send>(
        emb: &Embeddings,
        side: Side,
        w: W,
    ) -> std::io::Result<()> {
        use parquet::arrow::ArrowWriter;
        use parquet::basic::Compression;
        use parquet::file::properties::WriterProperties;
        let (d, labels) = (emb.side_dim(side), emb.labels());
        let ints = integer_labels(labels);
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", if ints { DataType::Int64 } else { DataType::Utf8 }, false),
            Field::new("vector", DataType::FixedSizeList(item.clone(), d as i32), false),
        ]));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .build();
        let mut writer = ArrowWriter::try_new(w, schema.clone(), Some(props)).map_err(std::io::Error::other)?;
        for start in (0..emb.len()).step_by(ROW_GROUP) {
            let rows = &labels[start..(start + ROW_GROUP).min(emb.len())];
            let ids: ArrayRef = if ints {
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|l| l.parse::<i64>().unwrap_or_default())))
            } else {
                Arc::new(StringArray::from_iter_values(rows))
            };
            let mut values = vec![0f32; rows.len() * d];
            for (i, row) in values.chunks_exact_mut(d.max(1)).enumerate() {
                emb.row_into(start + i, side, row);
            }
            let list = FixedSizeListArray::try_new(item.clone(), d as i32, Arc::new(Float32Array::from(values)), None)
                .map_err(std::io::Error::other)?;
            let batch =
                RecordBatch::try_new(schema.clone(), vec![ids, Arc::new(list)]).map_err(std::io::Error::other)?;
            writer.write(&batch).map_err(std::io::Error::other)?;
        }
        writer.close().map_err(std::io::Error::other)?;
        Ok(())
    }
}

#[cfg(all(test, feature = "parquet"))]
mod tests {
    use super::*;
    use crate::graph::Graph;
    use arrow_array::types::Int32Type;
    use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    /// A Parquet file of `columns`, written in row groups of `group` rows.
    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, group: usize) {
        let schema = Arc::new(Schema::new(
            columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
        let props =
            parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(group)).build();
        let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn text_records(text: &str, format: &EdgeListFormat) -> EdgeRecords {
        Graph::records_from_reader(text.as_bytes(), format, None).unwrap()
    }

    fn same(a: &EdgeRecords, b: &EdgeRecords) {
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.edges, b.edges);
    }

    #[test]
    fn integer_string_and_dictionary_ids_read_as_the_text_list_does() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst, w) = ([10i64, 3, 10, 7, 0], [3i64, 7, 7, 0, 10], [1.0, 2.5, 0.0, 4.0, 1.0]);
        let text: String = (0..5).map(|i| format!("{} {} {}\n", src[i], dst[i], w[i])).collect();
        let weighted = EdgeListFormat::default().weighted(true);
        let want = text_records(&text, &weighted);
        let p = dir.path().join("ints.parquet");
        write(
            &p,
            vec![
                ("src", Arc::new(Int64Array::from(src.to_vec()))),
                ("dst", Arc::new(Int64Array::from(dst.to_vec()))),
                ("weight", Arc::new(Float64Array::from(w.to_vec()))),
            ],
            2,
        );
        assert!(is_parquet(&p));
        same(&read_edges(&p, &weighted).unwrap(), &want);
        // Unweighted reads only the ends; the graph reader dispatches by content.
        let unweighted = read_edges(&p, &EdgeListFormat::default()).unwrap();
        assert!(unweighted.edges.iter().all(|e| e.2 == 1.0));
        let named_oddly = dir.path().join("edges.txt");
        std::fs::copy(&p, &named_oddly).unwrap();
        let g = Graph::from_edge_list_path(&named_oddly, &weighted).unwrap();
        assert_eq!(g.node_count(), 4);

        let strs = |v: &[i64]| StringArray::from_iter_values(v.iter().map(|x| x.to_string()));
        let p = dir.path().join("strings.parquet");
        write(
            &p,
            vec![
                ("a", Arc::new(strs(&src))),
                ("b", Arc::new(strs(&dst))),
                ("c", Arc::new(Float64Array::from(w.to_vec()))),
            ],
            3,
        );
        same(&read_edges(&p, &weighted).unwrap(), &want);

        let dict = |v: &[i64]| -> ArrayRef {
            let d: DictionaryArray<Int32Type> =
                v.iter().map(|x| x.to_string()).map(Some).collect::<Vec<_>>().iter().map(|s| s.as_deref()).collect();
            Arc::new(d)
        };
        let p = dir.path().join("dict.parquet");
        write(
            &p,
            vec![("source", dict(&src)), ("target", dict(&dst)), ("w", Arc::new(Float64Array::from(w.to_vec())))],
            5,
        );
        same(&read_edges(&p, &weighted).unwrap(), &want);

        // Negative integers are labels as written, as in a text list.
        let p = dir.path().join("neg.parquet");
        write(
            &p,
            vec![("s", Arc::new(Int32Array::from(vec![-1, 2]))), ("t", Arc::new(Int32Array::from(vec![2, -5])))],
            5,
        );
        same(
            &read_edges(&p, &EdgeListFormat::default()).unwrap(),
            &text_records("-1 2\n2 -5\n", &EdgeListFormat::default()),
        );
    }

    #[test]
    fn bad_values_are_named_by_file_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let weighted = EdgeListFormat::default().weighted(true);
        let p = dir.path().join("bad.parquet");
        let ends = || -> Vec<(&str, ArrayRef)> {
            vec![
                ("src", Arc::new(Int64Array::from(vec![1, 2, 3, 4]))),
                ("dst", Arc::new(Int64Array::from(vec![2, 3, 4, 1]))),
            ]
        };
        let mut cols = ends();
        cols.push(("weight", Arc::new(Float64Array::from(vec![1.0, 1.0, 1.0, -2.0]))));
        write(&p, cols, 2);
        let e = read_edges(&p, &weighted).unwrap_err().to_string();
        assert!(e.contains("bad.parquet: row 4:") && e.contains("-2"), "{e}");

        let mut cols = ends();
        cols.push(("weight", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(1.0), Some(1.0)]))));
        write(&p, cols, 3);
        let e = read_edges(&p, &weighted).unwrap_err().to_string();
        assert!(e.contains("row 2:") && e.contains("weight is null"), "{e}");

        write(
            &p,
            vec![
                ("src", Arc::new(Int64Array::from(vec![Some(1), Some(2), None]))),
                ("dst", Arc::new(Int64Array::from(vec![2, 3, 4]))),
            ],
            2,
        );
        let e = read_edges(&p, &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("row 3:") && e.contains("source id is null"), "{e}");

        write(
            &p,
            vec![
                ("src", Arc::new(StringArray::from(vec!["a", "b c"]))),
                ("dst", Arc::new(StringArray::from(vec!["b", "a"]))),
            ],
            2,
        );
        let e = read_edges(&p, &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("row 2:"), "{e}");

        // Named ends are found among other columns; unnamed ones must be all.
        let mut cols = ends();
        cols.push(("x", Arc::new(Float64Array::from(vec![1.0; 4]))));
        write(&p, cols.clone(), 4);
        assert_eq!(read_edges(&p, &EdgeListFormat::default()).unwrap().edges.len(), 4);
        let e = read_edges(&p, &weighted).unwrap_err().to_string();
        assert!(e.contains("needs a `weight` column"), "{e}");
        cols[0].0 = "a";
        cols.push(("y", Arc::new(Float64Array::from(vec![1.0; 4]))));
        write(&p, cols, 4);
        let e = read_edges(&p, &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("4 columns where 2 are expected"), "{e}");
        let e = read_edges(&p, &weighted).unwrap_err().to_string();
        assert!(e.contains("4 columns where 3 are expected"), "{e}");

        write(
            &p,
            vec![("src", Arc::new(Float64Array::from(vec![1.0]))), ("dst", Arc::new(Float64Array::from(vec![2.0])))],
            2,
        );
        let e = read_edges(&p, &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("node ids must be integers or strings"), "{e}");

        write(
            &p,
            vec![
                ("src", Arc::new(Int64Array::from(Vec::<i64>::new()))),
                ("dst", Arc::new(Int64Array::from(Vec::<i64>::new()))),
            ],
            2,
        );
        assert!(matches!(read_edges(&p, &EdgeListFormat::default()), Err(Error::Empty { .. })));

        std::fs::write(&p, b"PAR1 and then nothing").unwrap();
        let e = read_edges(&p, &EdgeListFormat::default()).unwrap_err().to_string();
        assert!(e.contains("not a readable Parquet file"), "{e}");
    }

    #[test]
    fn embeddings_round_trip_with_integer_and_string_ids() {
        let dir = tempfile::tempdir().unwrap();
        let d = 3;
        for labels in [vec!["5", "0", "12", "-3"], vec!["a", "7", "b_c", "ü"]] {
            let labels: Vec<String> = labels.into_iter().map(String::from).collect();
            let n = labels.len();
            // More rows than one group, so the groups' seams are exercised.
            let labels: Vec<String> = (0..ROW_GROUP + 5).map(|i| format!("{}{}", labels[i % n], i / n)).collect();
            let data: Vec<f32> = (0..labels.len() * d).map(|v| v as f32 * 0.25 - 3.0).collect();
            let emb = Embeddings::from_matrix(labels.clone(), d, data.clone());
            let p = dir.path().join("v.parquet");
            write_embeddings(&emb, Side::Left, std::fs::File::create(&p).unwrap()).unwrap();
            let back = read_embeddings(&p).unwrap();
            assert_eq!(back.labels(), &labels[..]);
            assert_eq!(back.dim(), d);
            assert_eq!(back.matrix(Side::Left), data);
        }
    }

    #[test]
    fn wide_and_double_list_embeddings_read_and_bad_ones_are_refused() {
        use arrow_array::builder::{Float64Builder, ListBuilder};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("wide.parquet");
        write(
            &p,
            vec![
                ("node", Arc::new(StringArray::from(vec!["x", "y"]))),
                ("d0", Arc::new(Float64Array::from(vec![1.0, 3.0]))),
                ("d1", Arc::new(Float64Array::from(vec![2.0, 4.0]))),
            ],
            1,
        );
        let e = read_embeddings(&p).unwrap();
        assert_eq!(
            (e.labels(), e.matrix(Side::Left)),
            (&["x".to_string(), "y".to_string()][..], vec![1.0, 2.0, 3.0, 4.0])
        );

        let list = |rows: &[&[f64]]| -> ArrayRef {
            let mut b = ListBuilder::new(Float64Builder::new());
            for r in rows {
                b.values().append_slice(r);
                b.append(true);
            }
            Arc::new(b.finish())
        };
        let p = dir.path().join("list.parquet");
        write(
            &p,
            vec![("id", Arc::new(Int64Array::from(vec![4, 9]))), ("embedding", list(&[&[0.5, 1.5], &[2.5, 3.5]]))],
            1,
        );
        let e = read_embeddings(&p).unwrap();
        assert_eq!(e.labels(), &["4".to_string(), "9".to_string()][..]);
        assert_eq!(e.matrix(Side::Left), vec![0.5, 1.5, 2.5, 3.5]);

        write(
            &p,
            vec![("id", Arc::new(Int64Array::from(vec![4, 9, 1]))), ("v", list(&[&[0.5, 1.5], &[2.5, 3.5], &[1.0]]))],
            2,
        );
        let e = read_embeddings(&p).unwrap_err().to_string();
        assert!(e.contains("row 3:") && e.contains("1 values where the rows before have 2"), "{e}");
        write(&p, vec![("id", Arc::new(Int64Array::from(vec![4, 9, 4]))), ("v", list(&[&[0.5], &[2.5], &[1.0]]))], 2);
        let e = read_embeddings(&p).unwrap_err().to_string();
        assert!(e.contains("row 3:") && e.contains("given again (first in row 1)"), "{e}");
        write(&p, vec![("id", Arc::new(Int64Array::from(vec![4, 9]))), ("v", list(&[&[0.5], &[f64::NAN]]))], 2);
        let e = read_embeddings(&p).unwrap_err().to_string();
        assert!(e.contains("row 2:") && e.contains("not finite"), "{e}");
    }
}
