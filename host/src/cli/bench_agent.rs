//! `deskhand bench agent`: turn latency and time to first reply text over
//! the conversations of the desk's scenario suite (those that run on the
//! desk's seed data), on a scratch copy of the desk at the scenarios' clock.

use std::process::ExitCode;

use anyhow::Context;
use deskhand::eval::{DEFAULT_NOW, load_scenarios};

use super::GlobalArgs;

/// At most this many conversations are played.
const MAX_CONVERSATIONS: usize = 20;

pub fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let desk = global.desk()?;
    let scenarios = load_scenarios(&desk.scenarios)?;
    // The seed data's conversations, as the customers wrote them.
    let mix: Vec<(String, Vec<String>)> = scenarios
        .iter()
        .filter(|s| s.fixtures.is_none() && s.policies.is_empty() && s.now.is_none())
        .take(MAX_CONVERSATIONS)
        .map(|s| {
            (
                s.customer.clone(),
                s.user_turns().map(|t| t.user.clone()).collect(),
            )
        })
        .collect();
    anyhow::ensure!(
        !mix.is_empty(),
        "the desk {} has no scenarios on its seed data to measure with",
        desk.id
    );
    let turns: usize = mix.iter().map(|(_, c)| c.len()).sum();
    let scratch = tempfile::tempdir().context("creating a scratch data directory")?;
    let mut global = global.clone();
    // A scratch copy at a fixed date: the bench never touches your data.
    global.data_dir = scratch.path().to_path_buf();
    global.now.get_or_insert_with(|| DEFAULT_NOW.into());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let agent = super::chat::build_agent(&global, &runtime)?;
    // Warm up: the route examples are embedded and the model's prefix cached.
    let (customer, first_conversation) = &mix[0];
    let warm = agent.start(customer)?;
    agent.run_turn(&warm, &first_conversation[0], &|_| {})?;
    println!(
        "desk {} ({}): {turns} turns in {} conversations of its scenarios",
        desk.id,
        desk.name,
        mix.len()
    );
    let mut first = Vec::with_capacity(turns);
    let mut whole = Vec::with_capacity(turns);
    let mut tokens = 0;
    for (customer, conversation) in &mix {
        let c = agent.start(customer)?;
        for message in conversation {
            let outcome = agent.run_turn(&c, message, &|_| {})?;
            let shown: String = message.chars().take(60).collect();
            println!(
                "  {:>7.1} ms first text {:>7.1} ms turn  {:<18} {shown}",
                outcome.first_token_ms,
                outcome.total_ms,
                outcome
                    .route
                    .as_ref()
                    .map(|r| r.route.label())
                    .unwrap_or_else(|| "(answer)".into()),
            );
            first.push(outcome.first_token_ms);
            whole.push(outcome.total_ms);
            tokens += outcome.generated_tokens;
        }
    }
    let at = |values: &mut Vec<f64>, q: f64| {
        values.sort_by(f64::total_cmp);
        values[((values.len() - 1) as f64 * q).round() as usize]
    };
    println!("{:<18} {:>9} {:>9}", "", "p50", "p95");
    println!(
        "{:<18} {:>6.1} ms {:>6.1} ms",
        "first reply text",
        at(&mut first, 0.5),
        at(&mut first, 0.95)
    );
    println!(
        "{:<18} {:>6.1} ms {:>6.1} ms",
        "whole turn",
        at(&mut whole, 0.5),
        at(&mut whole, 0.95)
    );
    println!("{tokens} tokens generated in all");
    println!("goal: p50 first text ≤ 300 ms, p50 whole turn ≤ 2 s");
    Ok(ExitCode::SUCCESS)
}
