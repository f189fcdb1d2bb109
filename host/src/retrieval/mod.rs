//! Retrieval over the shop's knowledge base.
//!
//! [`Embedder`] turns text into sentence embeddings (all-MiniLM-L6-v2 run by
//! candle, matching sentence-transformers); [`chunk_markdown`] splits the
//! help-centre pages along their headings; [`KnowledgeBase`] stores them in
//! LanceDB with a full-text index and searches by vector, keywords or both.

mod bert;
mod chunker;
mod embedder;
mod error;
mod evaluation;
mod knowledge_base;
mod ranking;

pub use chunker::{Chunk, ChunkingConfig, chunk_markdown};
pub use embedder::{Embedder, cosine};
pub use error::RetrievalError;
pub use evaluation::{LabelledQuestion, ModeScores, evaluate, load_questions};
pub use knowledge_base::{Hit, IngestReport, KnowledgeBase, SearchMode};
