//! What `deskhand eval` loads before the first trial: the base model, each
//! desk's fine-tuned model for the tuned variants, the judge, the embedder,
//! and per desk its tools and help centre.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use deskhand::desk::Desk;
use deskhand::eval::{EvalContext, JudgeNote};
use deskhand::llm::{Engine, EngineConfig, ModelBackend};
use deskhand::plugins::PluginRegistry;
use deskhand::retrieval::{ChunkingConfig, KnowledgeBase};

use super::GlobalArgs;
use super::eval::EvalRunArgs;

/// The context, the judge's note, and what must outlive them (the runtime,
/// the scratch indexes).
pub(super) struct LoadedContext(
    pub EvalContext,
    pub Option<JudgeNote>,
    #[allow(dead_code)] tokio::runtime::Runtime,
    #[allow(dead_code)] tempfile::TempDir,
);

/// The models once, and per desk its tools and its help centre, indexed in
/// a scratch folder (the live data directory is never touched).
pub(super) fn load_context(
    global: &GlobalArgs,
    args: &EvalRunArgs,
    desks: Vec<Desk>,
) -> anyhow::Result<LoadedContext> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    eprintln!("loading the language model…");
    let tuned = args.variant.iter().any(|v| v.is_tuned());
    anyhow::ensure!(
        global.model_url.is_none() || !tuned,
        "the tuned variants add the desk's adapter to the local model; run them without --model-url"
    );
    // The untuned variants run the model as it is, so that they compare
    // with the tuned ones; the adapters are the tuned variants' own.
    // The model's file, when it runs here (a server's is not known).
    let (engine, model): (Arc<dyn ModelBackend>, Option<PathBuf>) = match &global.model_url {
        Some(_) => (global.load_model()?, None),
        None => {
            let model = global.chat_model_path()?;
            let engine = Engine::load(EngineConfig::new(&model))
                .with_context(|| format!("loading the model {}", model.display()))?;
            (Arc::new(engine), Some(model))
        }
    };
    anyhow::ensure!(
        global.adapter.is_none() || desks.len() == 1,
        "--adapter names one desk's adapter, and this run covers {} desks: choose one with --desk \
         (each desk's own adapter is its [model] adapter or data/DESK/adapter)",
        desks.len()
    );
    let configured = global
        .adapter
        .as_ref()
        .or_else(|| desks.iter().find_map(|d| d.adapter.as_ref()));
    if !tuned && let Some(adapter) = configured {
        eprintln!(
            "note: the variants run the model without its adapter {}; compare with --variant full,tuned",
            adapter.display()
        );
    }
    let (judge, note) = if args.judge || args.judge_model.is_some() {
        let (judge, path) = match &args.judge_model {
            Some(path) => {
                eprintln!("loading the judge {}…", path.display());
                let judge = Engine::load(EngineConfig::new(path))
                    .with_context(|| format!("loading the judge model {}", path.display()))?;
                (Arc::new(judge) as Arc<dyn ModelBackend>, Some(path.clone()))
            }
            None => (engine.clone(), model.clone()),
        };
        let note = judge_note(judge.as_ref(), path.as_deref());
        (Some(judge), Some(note))
    } else {
        (None, None)
    };
    eprintln!("loading the embedder…");
    let embedder = Arc::new(global.load_embedder()?);
    let sandbox = global.sandbox()?;
    let scratch = tempfile::tempdir().context("creating a scratch folder for the indexes")?;
    let mut context = EvalContext::new(
        engine,
        embedder.clone(),
        sandbox.clone(),
        runtime.handle().clone(),
    );
    context.judge = judge;
    for desk in desks {
        let tuned_engine = if tuned {
            let adapter = adapter_of(global, &desk)?;
            eprintln!(
                "loading the model with the adapter {} for desk {}…",
                adapter.display(),
                desk.id
            );
            let model = model
                .as_ref()
                .context("the tuned variants need the model's file")?;
            let config = EngineConfig {
                adapter: Some(adapter.clone()),
                ..EngineConfig::new(model)
            };
            let tuned: Arc<dyn ModelBackend> =
                Arc::new(Engine::load(config).with_context(|| {
                    format!("loading the model with the adapter {}", adapter.display())
                })?);
            Some(tuned)
        } else {
            None
        };
        let id = desk.id.clone();
        eprintln!("loading the desk {} ({})…", desk.id, desk.name);
        let index = scratch.path().join(&desk.id);
        let knowledge = runtime
            .block_on(async {
                let kb = KnowledgeBase::open(&index, embedder.clone()).await?;
                kb.ingest(&desk.kb_dir, ChunkingConfig::default(), &|_, _| {})
                    .await?;
                anyhow::Ok(kb)
            })
            .with_context(|| format!("indexing the help centre {}", desk.kb_dir.display()))?;
        let tools = PluginRegistry::load(sandbox.clone(), desk.plugins.clone())
            .with_context(|| format!("loading the plugins of desk {}", desk.id))?;
        for failure in tools.catalog().failures() {
            eprintln!("warning: skipped plugin {failure}");
        }
        context.add_desk(Arc::new(desk), Arc::new(knowledge), Arc::new(tools))?;
        if let Some(engine) = tuned_engine {
            context.set_tuned_engine(&id, engine)?;
        }
    }
    Ok(LoadedContext(context, note, runtime, scratch))
}

/// The adapter the tuned variants use on `desk`: --adapter, the desk's
/// `[model] adapter`, or what `deskhand tune` wrote for it.
fn adapter_of(global: &GlobalArgs, desk: &Desk) -> anyhow::Result<PathBuf> {
    let trained = deskhand::tune::trained_adapter_dir(&global.data_dir.join(&desk.id));
    let path = global
        .adapter
        .clone()
        .or_else(|| desk.adapter.clone())
        .unwrap_or_else(|| trained.clone());
    anyhow::ensure!(
        path.exists(),
        "the tuned variants need a LoRA adapter for desk {}, and {} does not exist: train one \
         with `deskhand --desk {} tune` (it writes {}), or give --adapter PATH",
        desk.id,
        path.display(),
        desk.id,
        trained.display()
    );
    Ok(path)
}

/// What the report says about a judge model: small ones are weak. A
/// model on a server (no `path`) is of a size this side cannot see.
fn judge_note(judge: &dyn ModelBackend, path: Option<&Path>) -> JudgeNote {
    /// Below this a GGUF holds a model of well under two billion parameters.
    const STRONG_BYTES: u64 = 1 << 30;
    let Some(path) = path else {
        return JudgeNote {
            model: judge.describe(),
            weak: Some(
                "it runs on a model server, so its size is not known here; trust its scores \
                 only if it is well over a billion parameters."
                    .into(),
            ),
        };
    };
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let weak = (bytes < STRONG_BYTES).then(|| {
        format!(
            "it is a {} MB model, too small to rate replies reliably; its scores show trends at \
             best. Give --judge-model a larger GGUF for scores to trust.",
            bytes >> 20
        )
    });
    JudgeNote {
        model: path.display().to_string(),
        weak,
    }
}
