//! `deskhand policies …`: the business rules.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use deskhand::clock::rfc3339;
use deskhand::policy::{PolicyEngine, PolicyStatus};

use super::GlobalArgs;

#[derive(Subcommand)]
pub enum PoliciesCommand {
    /// The active revision: its policies, the tools they apply to, their parameters.
    List,
    /// Run the policy test cases and print pass or fail for each.
    Test,
    /// The active revision, its last reload and the last refused change.
    Status,
}

pub fn run(global: &GlobalArgs, command: PoliciesCommand) -> anyhow::Result<ExitCode> {
    match command {
        PoliciesCommand::List => list(global),
        PoliciesCommand::Test => test(global),
        PoliciesCommand::Status => status(global),
    }
}

fn list(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let engine = global.load_policies()?;
    let set = engine.current();
    println!(
        "revision {} (from {})",
        set.revision(),
        engine.paths().config.display()
    );
    for policy in set.summaries() {
        println!();
        println!("{}", policy.name);
        println!("  {}", policy.description);
        println!("  tools:  {}", policy.tools.join(", "));
        println!("  params: {}", policy.params);
    }
    Ok(ExitCode::SUCCESS)
}

fn test(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // Build the candidate from the files as they are, without requiring that
    // its tests pass: showing which fail is the point.
    let (set, outcomes) = PolicyEngine::checker(global.sandbox()?, global.policy_paths()?)
        .context("building the policy set")?;
    let mut failed = 0;
    let mut current_file = None;
    for outcome in &outcomes {
        if current_file.as_ref() != Some(&outcome.file) {
            println!("{}", outcome.file.display());
            current_file = Some(outcome.file.clone());
        }
        let mark = if outcome.passed { "pass" } else { "FAIL" };
        if !outcome.passed {
            failed += 1;
        }
        println!("  {mark}  {}", outcome.name);
        if !outcome.passed {
            println!("        {}", outcome.detail);
        }
    }
    println!(
        "\n{} passed, {} failed (revision {})",
        outcomes.len() - failed,
        failed,
        set.revision()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn status(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let file = global.paths().data(deskhand::config::POLICY_STATUS_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let recorded: PolicyStatus = serde_json::from_str(&text)
                .with_context(|| format!("reading {}", file.display()))?;
            println!("as recorded by deskhand in {}:", file.display());
            print_status(&recorded);
        }
        Err(_) => println!(
            "no running deskhand has recorded a policy status in {} yet",
            file.display()
        ),
    }
    println!();
    let engine = PolicyEngine::load(global.sandbox()?, global.policy_paths()?);
    match engine {
        Ok(engine) => {
            println!(
                "the files as they are now make revision {}, which passes its tests",
                engine.current().revision()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("the files as they are now would be refused: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_status(status: &PolicyStatus) {
    println!("  active revision: {}", status.revision);
    println!("  last reload:     {}", rfc3339(status.loaded_at));
    println!(
        "  reloads:         {} activated, {} refused",
        status.reloads, status.rejected
    );
    match &status.last_rejected {
        Some(rejected) => println!(
            "  last refused:    {} — {}",
            rfc3339(rejected.at),
            rejected.reason
        ),
        None => println!("  last refused:    none"),
    }
}
