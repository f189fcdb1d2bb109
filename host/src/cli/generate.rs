//! `deskhand generate "prompt"`: stream the model's answer to the terminal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use deskhand::llm::{ChatMessage, Event, ModelPrompt, Output, SamplingParams};

use super::GlobalArgs;

#[derive(Args)]
pub struct GenerateArgs {
    /// What to ask.
    prompt: String,
    /// A system message to put before it.
    #[arg(long)]
    system: Option<String>,
    /// Send the prompt as is, without the chat template.
    #[arg(long)]
    raw: bool,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Stop before this string (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Constrain the output to JSON valid against this schema (a file or inline JSON).
    #[arg(long, value_name = "SCHEMA")]
    json: Option<String>,
}

pub fn run(global: &GlobalArgs, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let output = match &args.json {
        Some(schema) => {
            let text = if std::path::Path::new(schema).is_file() {
                std::fs::read_to_string(PathBuf::from(schema))
                    .with_context(|| format!("reading {schema}"))?
            } else {
                schema.clone()
            };
            Output::Json(
                serde_json::from_str(&text)
                    .context("--json must be a JSON Schema (a file or inline JSON)")?,
            )
        }
        None => Output::Text,
    };
    let model = global.load_model()?;
    let prompt = if args.raw {
        ModelPrompt::text(args.prompt.clone())
    } else {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(ChatMessage::new("system", system.clone()));
        }
        messages.push(ChatMessage::new("user", args.prompt.clone()));
        ModelPrompt::chat(&messages, usize::from(args.system.is_some()))
    };
    let params = SamplingParams {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        top_p: args.top_p,
        seed: args.seed,
        stop: args.stop.clone(),
    };
    let mut generation = model.generate(&prompt, params, output)?;
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = generation.next_blocking() {
        match event {
            Event::Text(piece) => {
                stdout.write_all(piece.as_bytes())?;
                stdout.flush()?;
            }
            Event::Done(stats) => {
                writeln!(stdout)?;
                eprintln!(
                    "[{} prompt tokens ({} cached), {} generated, first token {:.0} ms, {:.1} tok/s, {:?}]",
                    stats.prompt_tokens,
                    stats.cached_tokens,
                    stats.generated_tokens,
                    stats.first_token_ms,
                    stats.decode_tokens_per_second(),
                    stats.finish
                );
                return Ok(ExitCode::SUCCESS);
            }
            Event::Failed(reason) => anyhow::bail!("generation failed: {reason}"),
        }
    }
    anyhow::bail!("the model stopped without finishing")
}
