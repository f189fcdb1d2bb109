//! `deskhand kb …`: the knowledge base.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use deskhand::retrieval::{ChunkingConfig, KnowledgeBase, SearchMode};
use indicatif::{ProgressBar, ProgressStyle};

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum KbCommand {
    /// Chunk, embed and index the Markdown pages of DIR (default: the desk's kb/).
    Ingest { dir: Option<PathBuf> },
    /// Search the knowledge base and print ranked chunks with scores and sources.
    Search {
        query: String,
        #[arg(long, value_enum, default_value_t = SearchMode::Hybrid)]
        mode: SearchMode,
        #[arg(short, default_value_t = 5)]
        k: usize,
    },
}

pub fn run(global: &GlobalArgs, command: KbCommand) -> anyhow::Result<ExitCode> {
    let embedder = Arc::new(global.load_embedder()?);
    let store = global.paths().data(deskhand::config::KB_TABLE_DIR);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let kb = KnowledgeBase::open(&store, embedder)
            .await
            .with_context(|| format!("opening the knowledge base {}", store.display()))?;
        match command {
            KbCommand::Ingest { dir } => {
                let dir = match dir {
                    Some(dir) => dir,
                    None => global.kb_dir()?,
                };
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("embedding [{bar:30}] {pos}/{len} chunks")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                let report = kb
                    .ingest(&dir, ChunkingConfig::default(), &|done, total| {
                        bar.set_length(total as u64);
                        bar.set_position(done as u64);
                    })
                    .await
                    .with_context(|| format!("ingesting {}", dir.display()))?;
                bar.finish_and_clear();
                println!(
                    "{} documents, {} chunks in {}; embedded {} chunks; changed: {}; removed: {}",
                    report.documents,
                    report.chunks,
                    store.display(),
                    report.embedded,
                    if report.changed.is_empty() {
                        "none".into()
                    } else {
                        report.changed.join(", ")
                    },
                    if report.removed.is_empty() {
                        "none".into()
                    } else {
                        report.removed.join(", ")
                    },
                );
            }
            KbCommand::Search { query, mode, k } => {
                anyhow::ensure!(
                    !kb.is_empty().await?,
                    "the knowledge base in {} is empty; run `deskhand kb ingest` first",
                    store.display()
                );
                for (rank, hit) in kb.search(&query, mode, k).await?.iter().enumerate() {
                    println!(
                        "{}. {:.4}  (similarity {:.3})  {} — {}",
                        rank + 1,
                        hit.score,
                        hit.similarity,
                        hit.source,
                        hit.heading
                    );
                    let body = hit
                        .text
                        .split_once("\n\n")
                        .map_or(hit.text.as_str(), |(_, b)| b);
                    println!("   {}", body.replace('\n', " "));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `deskhand eval retrieval`: hit@1, hit@5 and MRR per search mode, on a
/// scratch copy of the desk's help centre (the live knowledge base in the
/// data directory is never touched).
pub fn eval_retrieval(global: &GlobalArgs, questions: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let desk = global.desk()?;
    let questions_path = questions.unwrap_or_else(|| desk.retrieval.clone());
    let questions = deskhand::retrieval::load_questions(&questions_path)?;
    let pages = global.kb_dir()?;
    let embedder = Arc::new(global.load_embedder()?);
    let scratch = tempfile::tempdir().context("creating a scratch folder for the index")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let kb = KnowledgeBase::open(
            &scratch.path().join(deskhand::config::KB_TABLE_DIR),
            embedder,
        )
        .await?;
        let report = kb
            .ingest(&pages, ChunkingConfig::default(), &|_, _| {})
            .await
            .with_context(|| format!("ingesting {}", pages.display()))?;
        println!(
            "{} questions from {} against {} chunks of {} pages ({})",
            questions.len(),
            questions_path.display(),
            report.chunks,
            report.documents,
            pages.display()
        );
        let scores = deskhand::retrieval::evaluate(&kb, &questions).await?;
        println!(
            "{:<8} {:>7} {:>7} {:>7} {:>15}",
            "mode", "hit@1", "hit@5", "MRR", "section hit@1"
        );
        for s in &scores {
            println!(
                "{:<8} {:>7.3} {:>7.3} {:>7.3} {:>15.3}",
                format!("{:?}", s.mode).to_lowercase(),
                s.hit_at_1,
                s.hit_at_5,
                s.mrr,
                s.section_hit_at_1
            );
        }
        println!("goal: hybrid hit@5 ≥ 0.95 and MRR ≥ 0.85");
        if let Some(hybrid) = scores.iter().find(|s| s.mode == SearchMode::Hybrid)
            && !hybrid.misses.is_empty()
        {
            println!("hybrid misses (page not in the first five):");
            for miss in &hybrid.misses {
                println!("  - {miss}");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
