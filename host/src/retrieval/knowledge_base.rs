//! The knowledge base as a LanceDB table: chunks with their embeddings and
//! a full-text index, searched by vector, by keywords, or both (hybrid,
//! reciprocal-rank fusion).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::types::Float32Type;
use arrow_array::{ArrayRef, FixedSizeListArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use futures::TryStreamExt;
use lancedb::DistanceType;
use lancedb::index::Index;
use lancedb::index::scalar::{FtsIndexBuilder, FullTextSearchQuery};
use lancedb::query::{ExecutableQuery, QueryBase, Select};
use lancedb::table::{CompactionOptions, OptimizeAction};
use serde::Serialize;

use super::chunker::{Chunk, ChunkingConfig, chunk_markdown};
use super::embedder::Embedder;
use super::error::RetrievalError;
pub use super::ranking::Hit;
use super::ranking::{fuse, hits_from, string_column};

/// The table's name inside the LanceDB folder.
const TABLE: &str = "chunks";
/// Chunks embedded per batch during ingest.
const EMBED_BATCH: usize = 16;

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Nearest embeddings (cosine).
    Vector,
    /// LanceDB's full-text index (BM25).
    Fts,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub documents: usize,
    pub chunks: usize,
    /// Documents whose chunks were (re)written.
    pub changed: Vec<String>,
    /// Documents that disappeared from the folder.
    pub removed: Vec<String>,
    /// Chunks embedded in this run (0 when nothing changed).
    pub embedded: usize,
}

/// A desk's knowledge base: its help centre's pages, chunked and embedded.
pub struct KnowledgeBase {
    table: lancedb::Table,
    embedder: Arc<Embedder>,
}

fn lance_error(e: lancedb::Error) -> RetrievalError {
    RetrievalError::Store(e.to_string())
}

fn schema(dimension: usize) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("heading", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("hash", DataType::Utf8, false),
        Field::new(
            "vector",
            DataType::FixedSizeList(
                Arc::new(Field::new("item", DataType::Float32, true)),
                dimension as i32,
            ),
            false,
        ),
    ]))
}

fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl KnowledgeBase {
    /// Opens (or creates, empty) the knowledge base stored in `dir`.
    pub async fn open(dir: &Path, embedder: Arc<Embedder>) -> Result<Self, RetrievalError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| RetrievalError::Store(format!("creating {}: {e}", dir.display())))?;
        let uri = dir
            .to_str()
            .ok_or_else(|| RetrievalError::Store(format!("{} is not UTF-8", dir.display())))?;
        let db = lancedb::connect(uri).execute().await.map_err(lance_error)?;
        let names = db.table_names().execute().await.map_err(lance_error)?;
        let table = if names.iter().any(|n| n == TABLE) {
            db.open_table(TABLE).execute().await.map_err(lance_error)?
        } else {
            db.create_empty_table(TABLE, schema(embedder.dimension()))
                .execute()
                .await
                .map_err(lance_error)?
        };
        Ok(KnowledgeBase { table, embedder })
    }

    /// How many chunks are stored.
    pub async fn len(&self) -> Result<usize, RetrievalError> {
        self.table.count_rows(None).await.map_err(lance_error)
    }

    /// Whether nothing is stored.
    pub async fn is_empty(&self) -> Result<bool, RetrievalError> {
        Ok(self.len().await? == 0)
    }

    /// Brings the table in line with the Markdown files of `kb_dir`: unchanged
    /// documents cost nothing, a changed one replaces only its own chunks,
    /// a removed one is deleted. `progress` is told how many chunks were embedded.
    pub async fn ingest(
        &self,
        kb_dir: &Path,
        config: ChunkingConfig,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<IngestReport, RetrievalError> {
        let mut documents: BTreeMap<String, Vec<Chunk>> = BTreeMap::new();
        let entries = std::fs::read_dir(kb_dir)
            .map_err(|e| RetrievalError::Store(format!("reading {}: {e}", kb_dir.display())))?;
        for path in entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
        {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| RetrievalError::Store(format!("reading {}: {e}", path.display())))?;
            let mut chunks = chunk_markdown(&name, &text, config);
            // The stored hash covers the embedder too, so switching models
            // (or how they run) re-embeds everything instead of mixing
            // vectors from two encoders in one table.
            for chunk in &mut chunks {
                chunk.hash = crate::digest::sha256_hex(
                    format!("{}\n{}", self.embedder.fingerprint(), chunk.hash).as_bytes(),
                );
            }
            documents.insert(name.clone(), chunks);
        }
        let stored = self.stored_hashes().await?;
        let mut report = IngestReport {
            documents: documents.len(),
            chunks: documents.values().map(Vec::len).sum(),
            ..IngestReport::default()
        };
        let mut to_embed: Vec<&Chunk> = Vec::new();
        for (source, chunks) in &documents {
            let hashes: Vec<&str> = chunks.iter().map(|c| c.hash.as_str()).collect();
            if stored
                .get(source)
                .map(|h| h.iter().map(String::as_str).collect::<Vec<_>>())
                != Some(hashes)
            {
                report.changed.push(source.clone());
                to_embed.extend(chunks);
            }
        }
        report.removed = stored
            .keys()
            .filter(|s| !documents.contains_key(*s))
            .cloned()
            .collect();
        for source in report.changed.iter().chain(&report.removed) {
            if stored.contains_key(source) {
                self.table
                    .delete(format!("source = {}", sql_string(source)).as_str())
                    .await
                    .map_err(lance_error)?;
            }
        }
        // Similar lengths in one batch pad little.
        to_embed.sort_by_key(|chunk| chunk.text.len());
        let total = to_embed.len();
        let mut vectors = Vec::with_capacity(total);
        for batch in to_embed.chunks(EMBED_BATCH) {
            let texts: Vec<&str> = batch.iter().map(|c| c.text.as_str()).collect();
            vectors.extend(self.embedder.embed(&texts)?);
            report.embedded += batch.len();
            progress(report.embedded, total);
        }
        if !to_embed.is_empty() {
            // One write, so the new chunks land in one data file.
            self.table
                .add(self.records(&to_embed, vectors)?)
                .execute()
                .await
                .map_err(lance_error)?;
        }
        if report.embedded > 0 || !report.removed.is_empty() {
            // Merge what earlier ingests and deletions left in small files:
            // every query reads each file, so fewer files answer faster.
            self.table
                .optimize(OptimizeAction::Compact {
                    options: CompactionOptions::default(),
                    remap_options: None,
                })
                .await
                .map_err(lance_error)?;
            self.table
                .create_index(&["text"], Index::FTS(FtsIndexBuilder::default()))
                .execute()
                .await
                .map_err(lance_error)?;
        }
        Ok(report)
    }

    /// The distinct section headings of the stored pages, sorted: what the
    /// help centre answers, as its own authors put it.
    pub async fn headings(&self) -> Result<Vec<String>, RetrievalError> {
        let batches = collect(self.table.query().select(Select::columns(&["heading"]))).await?;
        let mut headings: Vec<String> = Vec::new();
        for batch in &batches {
            let column = string_column(batch, "heading")?;
            headings.extend((0..batch.num_rows()).map(|i| column.value(i).to_string()));
        }
        headings.sort();
        headings.dedup();
        Ok(headings)
    }

    /// The stored chunk hashes per document, in chunk order.
    async fn stored_hashes(&self) -> Result<BTreeMap<String, Vec<String>>, RetrievalError> {
        let batches = collect(
            self.table
                .query()
                .select(Select::columns(&["id", "source", "hash"])),
        )
        .await?;
        let mut rows: Vec<(String, usize, String)> = Vec::new();
        for batch in &batches {
            let ids = string_column(batch, "id")?;
            let sources = string_column(batch, "source")?;
            let hashes = string_column(batch, "hash")?;
            for i in 0..batch.num_rows() {
                let index = ids
                    .value(i)
                    .rsplit('#')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                rows.push((
                    sources.value(i).to_string(),
                    index,
                    hashes.value(i).to_string(),
                ));
            }
        }
        rows.sort();
        let mut stored: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (source, _, hash) in rows {
            stored.entry(source).or_default().push(hash);
        }
        Ok(stored)
    }

    fn records(
        &self,
        chunks: &[&Chunk],
        vectors: Vec<Vec<f32>>,
    ) -> Result<RecordBatch, RetrievalError> {
        let strings = |f: &dyn Fn(&Chunk) -> String| -> ArrayRef {
            Arc::new(StringArray::from(
                chunks.iter().map(|c| f(c)).collect::<Vec<_>>(),
            ))
        };
        let dimension = self.embedder.dimension() as i32;
        let vectors = FixedSizeListArray::from_iter_primitive::<Float32Type, _, _>(
            vectors
                .into_iter()
                .map(|v| Some(v.into_iter().map(Some).collect::<Vec<_>>())),
            dimension,
        );
        RecordBatch::try_new(
            schema(self.embedder.dimension()),
            vec![
                strings(&|c| format!("{}#{}", c.source, c.index)),
                strings(&|c| c.source.clone()),
                strings(&|c| c.heading.clone()),
                strings(&|c| c.text.clone()),
                strings(&|c| c.hash.clone()),
                Arc::new(vectors),
            ],
        )
        .map_err(|e| RetrievalError::Store(format!("building a record batch: {e}")))
    }

    /// The `k` best chunks for `query`.
    pub async fn search(
        &self,
        query: &str,
        mode: SearchMode,
        k: usize,
    ) -> Result<Vec<Hit>, RetrievalError> {
        let k = k.max(1);
        let query_vector = self.embedder.embed_one(query)?;
        let mut hits = match mode {
            SearchMode::Vector => self.vector_hits(&query_vector, k).await?,
            SearchMode::Fts => self.fts_hits(query, &query_vector, k).await?,
            SearchMode::Hybrid => {
                let pool = (k * 3).max(10);
                let (vector, fts) = tokio::try_join!(
                    self.vector_hits(&query_vector, pool),
                    self.fts_hits(query, &query_vector, pool)
                )?;
                fuse(vector, fts)
            }
        };
        hits.truncate(k);
        Ok(hits)
    }

    async fn vector_hits(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, RetrievalError> {
        let search = self
            .table
            .query()
            .nearest_to(query)
            .map_err(lance_error)?
            .distance_type(DistanceType::Cosine)
            .limit(k);
        hits_from(&collect(search).await?, "_distance", |d| 1.0 - d, query)
    }

    async fn fts_hits(
        &self,
        query: &str,
        query_vector: &[f32],
        k: usize,
    ) -> Result<Vec<Hit>, RetrievalError> {
        let search = self
            .table
            .query()
            .full_text_search(FullTextSearchQuery::new(query.to_string()))
            .limit(k);
        hits_from(&collect(search).await?, "_score", |s| s, query_vector)
    }
}

/// Runs a query and gathers its result batches.
async fn collect(query: impl ExecutableQuery) -> Result<Vec<RecordBatch>, RetrievalError> {
    query
        .execute()
        .await
        .map_err(lance_error)?
        .try_collect()
        .await
        .map_err(lance_error)
}
