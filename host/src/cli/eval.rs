//! `deskhand eval [PATHS…]`: runs scenario suites and scores the agent.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use deskhand::agent::Variant;
use deskhand::desk::Desk;
use deskhand::eval::{
    EvalConfig, EvalError, Scenario, load_scenarios, run_suite, summarise, summary_markdown,
    write_reports,
};

use super::GlobalArgs;
use super::eval_context::load_context;

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
    let templates: Vec<Option<String>> = args.template.iter().cloned().map(Some).collect();
    for desk in &desks {
        for template in &templates {
            if let Err(why) = deskhand::eval::voice_under(&desk.voice, template.as_deref()) {
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
    let templates = match config.templates.len() {
        0 => String::new(),
        n => format!(" × {n} prompt templates"),
    };
    eprintln!(
        "running {} scenarios × {} trials × {} variants{templates}",
        scenarios.len(),
        config.trials,
        config.variants.len(),
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
