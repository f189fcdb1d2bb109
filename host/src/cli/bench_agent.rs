//! `deskhand bench agent`: turn latency and time to first reply text over a
//! fixed mix of 20 turns.

use std::process::ExitCode;

use anyhow::Context;

use super::GlobalArgs;

/// Conversations of the mix: each inner list is one conversation of C001.
const MIX: &[&[&str]] = &[
    &["where is order 1006?"],
    &["track order 1007 please"],
    &["what's the status of my order 1012"],
    &["cancel order 1002"],
    &["please cancel order 1003, I ordered twice"],
    &["cancel order 1001"],
    &["I want to cancel order 1005"],
    &["I'd like a refund for order 1007", "yes"],
    &["refund order 1008"],
    &["cancel my last order"],
    &["I want to cancel an order", "1004"],
    &["how long does a refund take?"],
    &["do you ship to other countries?"],
    &["what payment methods do you take"],
    &["hello!", "thanks, that's all"],
    &["refund order 1009"],
    &["what's the weather tomorrow?"],
];

pub fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let turns: usize = MIX.iter().map(|c| c.len()).sum();
    let scratch = tempfile::tempdir().context("creating a scratch data directory")?;
    let mut global = global.clone();
    // A scratch shop at a fixed date: the bench never touches your data.
    global.data_dir = scratch.path().to_path_buf();
    global
        .now
        .get_or_insert_with(|| "2026-06-15T12:00:00Z".into());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let agent = super::chat::build_agent(&global, &runtime)?;
    // Warm up: the route examples are embedded and the model's prefix cached.
    let warm = agent.start("C002")?;
    agent.run_turn(&warm, "where is order 1013?", &|_| {})?;
    agent.run_turn(&warm, "thanks!", &|_| {})?;
    println!(
        "{turns} turns in {} conversations, customer C001, seeded demo shop",
        MIX.len()
    );
    let mut first = Vec::with_capacity(turns);
    let mut whole = Vec::with_capacity(turns);
    let mut tokens = 0;
    for conversation in MIX {
        let c = agent.start("C001")?;
        for message in *conversation {
            let outcome = agent.run_turn(&c, message, &|_| {})?;
            println!(
                "  {:>7.1} ms first text {:>7.1} ms turn  {:<14} {message}",
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
