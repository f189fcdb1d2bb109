//! `deskhand eval [PATHS…]`: runs scenario suites and scores the agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use deskhand::agent::Variant;
use deskhand::eval::{
    EvalConfig, EvalContext, EvalError, Scenario, load_scenarios, run_suite, summarise,
    summary_markdown, write_reports,
};

use super::GlobalArgs;

/// Options of a scenario run.
#[derive(clap::Args)]
pub struct EvalRunArgs {
    /// Scenario files or folders (default: eval/scenarios).
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
    /// Which agent to score: the whole agent, the model with retrieval, or the
    /// model alone; repeat (or use commas) to compare.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Variant::Full])]
    pub variant: Vec<Variant>,
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

/// The scenarios selected by `args`, or the exit code for invalid files.
fn select(args: &EvalRunArgs) -> Result<Vec<Scenario>, EvalError> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../eval/scenarios")]
    } else {
        args.paths.clone()
    };
    let scenarios = load_scenarios(&paths)?;
    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| {
            args.filter
                .as_ref()
                .is_none_or(|f| s.tags.iter().any(|t| t == f) || s.name.contains(f.as_str()))
        })
        .collect();
    if selected.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(EvalError::NoScenarios(shown.join(", ")));
    }
    Ok(selected)
}

pub fn run(global: &GlobalArgs, args: EvalRunArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_pass) {
        eprintln!(
            "error: --min-pass {} must be between 0 and 1",
            args.min_pass
        );
        return Ok(ExitCode::from(2));
    }
    let scenarios = match select(&args) {
        Ok(scenarios) => scenarios,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    let context = match load_context(global) {
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
        jobs: args.jobs.max(1),
    };
    eprintln!(
        "running {} scenarios × {} trials × {} variants",
        scenarios.len(),
        config.trials,
        config.variants.len()
    );
    let results = run_suite(&context.0, &scenarios, &config, &|done, total, trial| {
        eprintln!(
            "[{done:>3}/{total}] {}  {} ({}, trial {}, {:.0} ms)",
            if trial.passed { "pass" } else { "FAIL" },
            trial.scenario,
            trial.variant.as_str(),
            trial.trial + 1,
            trial.ms
        );
    });
    let summary = summarise(&results);
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    if !failed.is_empty() {
        println!("failures:");
        for trial in &failed {
            println!(
                "  {} ({}, trial {}) at {}",
                trial.scenario,
                trial.variant.as_str(),
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

/// The context plus what must outlive it (the runtime).
struct LoadedContext(EvalContext, #[allow(dead_code)] tokio::runtime::Runtime);

fn load_context(global: &GlobalArgs) -> anyhow::Result<LoadedContext> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    eprintln!("loading the language model…");
    let engine = Arc::new(global.load_engine()?);
    eprintln!("loading the embedder…");
    let embedder = Arc::new(global.load_embedder()?);
    let knowledge = super::chat::open_knowledge(global, &runtime, &embedder)?;
    let sandbox = global.sandbox()?;
    let tools = global.load_plugins_in(sandbox.clone())?;
    let context = EvalContext::new(
        engine,
        embedder,
        knowledge,
        sandbox,
        tools,
        global.policy_paths(),
        runtime.handle().clone(),
    );
    Ok(LoadedContext(context, runtime))
}
