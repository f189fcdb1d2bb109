//! `deskhand eval [PATHS…]`: runs scenario suites and scores the agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use deskhand::agent::Variant;
use deskhand::desk::Desk;
use deskhand::eval::{
    EvalConfig, EvalContext, EvalError, JudgeNote, Scenario, load_scenarios, run_suite, summarise,
    summary_markdown, write_reports,
};
use deskhand::llm::{Engine, EngineConfig};
use deskhand::plugins::PluginRegistry;
use deskhand::retrieval::{ChunkingConfig, KnowledgeBase};

use super::GlobalArgs;

/// Options of a scenario run.
#[derive(clap::Args)]
pub struct EvalRunArgs {
    /// Scenario files or folders (default: every shipped desk's suites, or
    /// the --desk's).
    pub paths: Vec<PathBuf>,
    /// Runs of each scenario, each with its own sampling seed.
    #[arg(long, default_value_t = 1)]
    pub trials: usize,
    /// The first trial's seed; trial i uses seed + i.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Only scenarios with this tag or whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Which agent to score: the whole agent, the model with retrieval, the
    /// model alone, and the same on the fine-tuned model (tuned, tuned-only:
    /// the desk's adapter, see `deskhand tune`); repeat (or use commas) to compare.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Variant::Full])]
    pub variant: Vec<Variant>,
    /// Prompt templates of the desk's voice to compare ([voice.templates.NAME];
    /// "none" is the voice without one); commas to compare several.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub template: Vec<String>,
    /// Rate every reply 1–5 on helpfulness, clarity, empathy and safety with
    /// an LLM judge (the chat model, unless --judge-model).
    #[arg(long)]
    pub judge: bool,
    /// The judge's GGUF model (implies --judge).
    #[arg(long, value_name = "PATH.gguf")]
    pub judge_model: Option<PathBuf>,
    /// Sampling temperature of what the model writes.
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f32,
    /// Write results.json, summary.md and report.html here.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Exit with 1 when the pass rate is below this (0 to 1).
    #[arg(long, default_value_t = 1.0)]
    pub min_pass: f64,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
}

/// The scenarios selected by `args`, each naming its desk, and those desks.
fn select(global: &GlobalArgs, args: &EvalRunArgs) -> anyhow::Result<(Vec<Scenario>, Vec<Desk>)> {
    // Every shipped desk, unless one was chosen.
    let mut desks: Vec<Desk> = match &global.desk {
        Some(_) => vec![global.desk()?],
        None => deskhand::desk::shipped_desks().context("reading the shipped desks")?,
    };
    let mut scenarios = Vec::new();
    if args.paths.is_empty() {
        for desk in &desks {
            let mut suite = load_scenarios(&desk.scenarios)?;
            // A desk's own suites run on it, whatever a copied file says.
            for scenario in &mut suite {
                scenario.desk = Some(desk.id.clone());
            }
            scenarios.extend(suite);
        }
    } else {
        scenarios = load_scenarios(&args.paths)?;
        let fallback = global.desk()?.id;
        for scenario in &mut scenarios {
            if scenario.desk.is_none() {
                let file = scenario
                    .source
                    .as_ref()
                    .map(|s| s.path.clone())
                    .unwrap_or_default();
                let file = std::fs::canonicalize(&file).unwrap_or(file);
                let home = desks
                    .iter()
                    .find(|d| d.scenarios.iter().any(|dir| file.starts_with(dir)));
                scenario.desk = Some(
                    home.map(|d| d.id.clone())
                        .unwrap_or_else(|| fallback.clone()),
                );
            }
        }
    }
    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| {
            args.filter
                .as_ref()
                .is_none_or(|f| s.tags.iter().any(|t| t == f) || s.name.contains(f.as_str()))
        })
        .collect();
    if selected.is_empty() {
        let shown: Vec<String> = if args.paths.is_empty() {
            desks
                .iter()
                .flat_map(|d| d.scenarios.iter().map(|p| p.display().to_string()))
                .collect()
        } else {
            args.paths.iter().map(|p| p.display().to_string()).collect()
        };
        return Err(EvalError::NoScenarios(shown.join(", ")).into());
    }
    // Only the desks the selected scenarios run on are loaded.
    for scenario in &selected {
        let id = scenario.desk.clone().unwrap_or_default();
        if !desks.iter().any(|d| d.id == id) {
            let desk = Desk::shipped(&id)
                .with_context(|| format!("scenario {:?} runs on desk {id:?}", scenario.name))?;
            desks.push(desk);
        }
    }
    desks.retain(|d| {
        selected
            .iter()
            .any(|s| s.desk.as_deref() == Some(d.id.as_str()))
    });
    Ok((selected, desks))
}

pub fn run(global: &GlobalArgs, args: EvalRunArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_pass) {
        eprintln!(
            "error: --min-pass {} must be between 0 and 1",
            args.min_pass
        );
        return Ok(ExitCode::from(2));
    }
    let (scenarios, desks) = match select(global, &args) {
        Ok(selected) => selected,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let templates: Vec<Option<String>> = args
        .template
        .iter()
        .map(|t| (t != "none").then(|| t.clone()))
        .collect();
    for desk in &desks {
        for template in &templates {
            if let Err(why) = desk.voice.with_template(template.as_deref()) {
                eprintln!("error: --template on desk {}: {why}", desk.id);
                return Ok(ExitCode::from(2));
            }
        }
    }
    let context = match load_context(global, &args, desks) {
        Ok(context) => context,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let config = EvalConfig {
        trials: args.trials.max(1),
        seed: args.seed,
        temperature: args.temperature,
        variants: args.variant.clone(),
        templates,
        jobs: args.jobs.max(1),
    };
    eprintln!(
        "running {} scenarios × {} trials × {} variants × {} templates",
        scenarios.len(),
        config.trials,
        config.variants.len(),
        config.templates.len().max(1)
    );
    let results = run_suite(&context.0, &scenarios, &config, &|done, total, trial| {
        eprintln!(
            "[{done:>3}/{total}] {}  {} ({}, trial {}, {:.0} ms)",
            if trial.passed { "pass" } else { "FAIL" },
            trial.scenario,
            trial.arm(),
            trial.trial + 1,
            trial.ms
        );
    });
    let mut summary = summarise(&results);
    summary.judge = context.1.clone();
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    if !failed.is_empty() {
        println!("failures:");
        for trial in &failed {
            println!(
                "  {} ({}, trial {}) at {}",
                trial.scenario,
                trial.arm(),
                trial.trial + 1,
                trial.location
            );
            if let Some(error) = &trial.error {
                println!("    error: {error}");
            }
            for turn in &trial.turns {
                for check in turn.checks.iter().filter(|c| !c.passed) {
                    println!("    {:?}: {} {}", turn.user, check.kind, check.detail);
                }
            }
            for check in trial.final_checks.iter().filter(|c| !c.passed) {
                println!("    end state: {}", check.detail);
            }
        }
        println!();
    }
    let desk_ids: std::collections::BTreeSet<&str> =
        results.iter().map(|r| r.desk.as_str()).collect();
    if desk_ids.len() > 1 {
        for id in desk_ids {
            let part: Vec<_> = results.iter().filter(|r| r.desk == id).cloned().collect();
            println!("## desk {id}\n");
            let mut part = summarise(&part);
            part.judge = summary.judge.clone();
            print!("{}", summary_markdown(&part));
            println!();
        }
        println!("## all desks\n");
    }
    print!("{}", summary_markdown(&summary));
    if let Some(dir) = &args.report {
        write_reports(dir, &summary, &results)?;
        println!("\nreports: {}", dir.display());
    }
    let rate = summary.pass_rate.value();
    if results.iter().any(|r| r.error.is_some()) {
        eprintln!("some scenarios could not be set up; see the errors above");
        return Ok(ExitCode::from(2));
    }
    if rate + 1e-9 < args.min_pass {
        eprintln!(
            "pass rate {:.3} is below --min-pass {}",
            rate, args.min_pass
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The context, the judge's note, and what must outlive them (the runtime,
/// the scratch indexes).
struct LoadedContext(
    EvalContext,
    Option<JudgeNote>,
    #[allow(dead_code)] tokio::runtime::Runtime,
    #[allow(dead_code)] tempfile::TempDir,
);

/// The models once, and per desk its tools and its help centre, indexed in
/// a scratch folder (the live data directory is never touched).
fn load_context(
    global: &GlobalArgs,
    args: &EvalRunArgs,
    desks: Vec<Desk>,
) -> anyhow::Result<LoadedContext> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    eprintln!("loading the language model…");
    let model = global.chat_model_path()?;
    // The untuned variants run the model as it is, so that they compare
    // with the tuned ones; the adapters are the tuned variants' own.
    let engine = Arc::new(
        Engine::load(EngineConfig::new(&model))
            .with_context(|| format!("loading the model {}", model.display()))?,
    );
    let tuned = args.variant.iter().any(|v| v.is_tuned());
    if !tuned && let Some(adapter) = desks.iter().find_map(|d| d.adapter.as_ref()) {
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
                (Arc::new(judge), path.clone())
            }
            None => (engine.clone(), model.clone()),
        };
        (Some(judge), Some(judge_note(&path)))
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
            let config = EngineConfig {
                adapter: Some(adapter.clone()),
                ..EngineConfig::new(&model)
            };
            Some(Arc::new(Engine::load(config).with_context(|| {
                format!("loading the model with the adapter {}", adapter.display())
            })?))
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
    let trained = global.data_dir.join(&desk.id).join("adapter");
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

/// What the report says about a judge model: small ones are weak.
fn judge_note(path: &std::path::Path) -> JudgeNote {
    /// Below this a GGUF holds a model of well under two billion parameters.
    const STRONG_BYTES: u64 = 1 << 30;
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
