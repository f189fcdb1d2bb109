//! Retrieval evaluation: labelled customer questions, and hit@1, hit@5 and
//! MRR for each search mode.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::RetrievalError;
use super::knowledge_base::{KnowledgeBase, SearchMode};

/// How deep results are read for MRR.
const MRR_DEPTH: usize = 10;

/// One labelled question.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledQuestion {
    /// As a customer would write it.
    pub question: String,
    /// The page that answers it, e.g. `refunds.md`.
    pub doc: String,
    /// The section heading that answers it.
    pub section: Option<String>,
}

/// Reads a questions file (a YAML list).
pub fn load_questions(path: &Path) -> Result<Vec<LabelledQuestion>, RetrievalError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RetrievalError::Store(format!("reading {}: {e}", path.display())))?;
    serde_yaml_ng::from_str(&text)
        .map_err(|e| RetrievalError::Store(format!("{}: {e}", path.display())))
}

/// The scores of one search mode.
#[derive(Debug, Clone, Serialize)]
pub struct ModeScores {
    pub mode: SearchMode,
    /// The right page is the first result.
    pub hit_at_1: f64,
    /// The right page is among the first five.
    pub hit_at_5: f64,
    /// Mean reciprocal rank of the right page (0 beyond rank 10).
    pub mrr: f64,
    /// The right section is the first result.
    pub section_hit_at_1: f64,
    /// Questions whose page was not in the first five.
    pub misses: Vec<String>,
}

/// Runs every question in every mode.
pub async fn evaluate(
    kb: &KnowledgeBase,
    questions: &[LabelledQuestion],
) -> Result<Vec<ModeScores>, RetrievalError> {
    let mut all = Vec::new();
    for mode in [SearchMode::Vector, SearchMode::Fts, SearchMode::Hybrid] {
        let (mut hit1, mut hit5, mut rr, mut section1) = (0usize, 0usize, 0.0f64, 0usize);
        let mut misses = Vec::new();
        for q in questions {
            let hits = kb.search(&q.question, mode, MRR_DEPTH).await?;
            let rank = hits.iter().position(|h| h.source == q.doc).map(|r| r + 1);
            match rank {
                Some(1) => {
                    hit1 += 1;
                    hit5 += 1;
                }
                Some(r) if r <= 5 => hit5 += 1,
                _ => misses.push(q.question.clone()),
            }
            rr += rank.map_or(0.0, |r| 1.0 / r as f64);
            if let (Some(first), Some(section)) = (hits.first(), &q.section)
                && first.source == q.doc
                && &first.heading == section
            {
                section1 += 1;
            }
        }
        let n = questions.len().max(1) as f64;
        all.push(ModeScores {
            mode,
            hit_at_1: hit1 as f64 / n,
            hit_at_5: hit5 as f64 / n,
            mrr: rr / n,
            section_hit_at_1: section1 as f64 / n,
            misses,
        });
    }
    Ok(all)
}
