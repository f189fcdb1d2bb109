//! Search results: hits read from LanceDB's result batches, with each
//! hit's cosine similarity to the query, and the reciprocal-rank fusion of
//! the vector and full-text rankings.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{RecordBatch, StringArray};
use serde::Serialize;

use super::error::RetrievalError;

/// Reciprocal-rank fusion constant (the usual 60).
const RRF_K: f32 = 60.0;

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// `source#index`.
    pub id: String,
    pub source: String,
    pub heading: String,
    pub text: String,
    /// The mode's own score: cosine similarity, BM25, or the fused RRF score.
    pub score: f32,
    /// Cosine similarity between the query and the chunk, whatever the mode:
    /// what a caller uses to decide whether retrieval found anything at all.
    pub similarity: f32,
}

pub(super) fn string_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a StringArray, RetrievalError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| RetrievalError::Store(format!("the table has no text column {name}")))
}

/// Hits from result batches; the similarity to `query` is computed from each
/// row's stored vector, so every mode reports it without re-embedding.
pub(super) fn hits_from(
    batches: &[RecordBatch],
    score_column: &str,
    score: impl Fn(f32) -> f32,
    query: &[f32],
) -> Result<Vec<Hit>, RetrievalError> {
    let mut hits = Vec::new();
    for batch in batches {
        let ids = string_column(batch, "id")?;
        let sources = string_column(batch, "source")?;
        let headings = string_column(batch, "heading")?;
        let texts = string_column(batch, "text")?;
        let scores = batch
            .column_by_name(score_column)
            .and_then(|c| c.as_primitive_opt::<Float32Type>())
            .ok_or_else(|| {
                RetrievalError::Store(format!("no {score_column} column in the results"))
            })?;
        let vectors = batch
            .column_by_name("vector")
            .and_then(|c| c.as_fixed_size_list_opt())
            .ok_or_else(|| RetrievalError::Store("no vector column in the results".into()))?;
        for i in 0..batch.num_rows() {
            let value = score(scores.value(i));
            let row = vectors.value(i);
            let vector = row.as_primitive::<Float32Type>().values();
            hits.push(Hit {
                id: ids.value(i).to_string(),
                source: sources.value(i).to_string(),
                heading: headings.value(i).to_string(),
                text: texts.value(i).to_string(),
                score: value,
                similarity: super::embedder::cosine(query, vector),
            });
        }
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(hits)
}

/// Reciprocal-rank fusion of two ranked lists.
pub(super) fn fuse(vector: Vec<Hit>, fts: Vec<Hit>) -> Vec<Hit> {
    let mut fused: HashMap<String, Hit> = HashMap::new();
    for list in [vector, fts] {
        for (rank, hit) in list.into_iter().enumerate() {
            let contribution = 1.0 / (RRF_K + rank as f32 + 1.0);
            fused
                .entry(hit.id.clone())
                .and_modify(|h| h.score += contribution)
                .or_insert(Hit {
                    score: contribution,
                    ..hit
                });
        }
    }
    let mut hits: Vec<Hit> = fused.into_values().collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    hits
}
