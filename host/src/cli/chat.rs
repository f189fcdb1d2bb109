//! `deskhand ask` and `deskhand chat`: the agent in the terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use deskhand::agent::{Agent, AgentError, AgentSettings, Conversation, TurnEvent, TurnOutcome};
use deskhand::retrieval::{ChunkingConfig, KnowledgeBase};

use super::GlobalArgs;

/// `deskhand ask`.
#[derive(clap::Args)]
pub struct AskArgs {
    /// The customer of the session (the text can never change it).
    #[arg(long)]
    pub customer: String,
    /// The message.
    pub message: String,
    /// Continue this conversation instead of starting a new one.
    #[arg(long)]
    pub conversation: Option<String>,
    /// Print the whole turn as JSON: route, tools, policy decisions, trace.
    #[arg(long)]
    pub json: bool,
}

/// `deskhand chat`.
#[derive(clap::Args)]
pub struct ChatArgs {
    /// The customer of the session (the text can never change it).
    #[arg(long)]
    pub customer: String,
}

/// Loads everything the agent needs, with progress on stderr: the model,
/// the embedder, the knowledge base (ingested on first use), the tools and
/// policies, and the store (seeded on first use).
pub fn build_agent(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Arc<Agent>> {
    build_agent_with(global, runtime, AgentSettings::default())
}

/// [`build_agent`] with these behaviour settings.
pub fn build_agent_with(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    settings: AgentSettings,
) -> anyhow::Result<Arc<Agent>> {
    let clock = global.clock()?;
    eprintln!("loading the language model…");
    let model = global.load_model()?;
    eprintln!("loading the embedder…");
    let embedder = Arc::new(global.load_embedder()?);
    let knowledge = open_knowledge(global, runtime, &embedder)?;
    eprintln!("loading tools and policies…");
    let store = global.open_store(&clock)?;
    let gate = Arc::new(global.load_gate(store.clone())?);
    Ok(Agent::builder()
        .desk(Arc::new(global.desk()?))
        .model(model)
        .embedder(embedder)
        .knowledge_base(knowledge)
        .gate(gate)
        .records(store.clone())
        .conversations(store)
        .clock(clock)
        .runtime(runtime.handle().clone())
        .settings(settings)
        .build()?)
}

/// Opens the knowledge base in the data directory and brings it in line
/// with the desk's help centre (`--kb`): only pages that changed are
/// embedded again, with progress, and what changed is said.
pub fn open_knowledge(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    embedder: &Arc<deskhand::retrieval::Embedder>,
) -> anyhow::Result<Arc<KnowledgeBase>> {
    let kb_dir = global.paths().data(deskhand::config::KB_TABLE_DIR);
    let pages = global.kb_dir()?;
    runtime.block_on(async {
        let kb = KnowledgeBase::open(&kb_dir, embedder.clone())
            .await
            .with_context(|| format!("opening the knowledge base {}", kb_dir.display()))?;
        let first = kb.is_empty().await?;
        if first {
            eprintln!(
                "building the knowledge base from {} (first run)…",
                pages.display()
            );
        }
        let report = kb
            .ingest(&pages, ChunkingConfig::default(), &|done, total| {
                eprint!("\r  embedded {done}/{total} chunks");
            })
            .await
            .with_context(|| format!("ingesting the help centre {}", pages.display()))?;
        if report.embedded > 0 {
            eprintln!();
        }
        if !first && (!report.changed.is_empty() || !report.removed.is_empty()) {
            eprintln!(
                "the help centre {} changed: re-ingested {} page(s){}{}",
                pages.display(),
                report.changed.len(),
                if report.changed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", report.changed.join(", "))
                },
                if report.removed.is_empty() {
                    String::new()
                } else {
                    format!(", removed {}", report.removed.join(", "))
                }
            );
        }
        anyhow::Ok(Arc::new(kb))
    })
}

/// Runs one turn, printing the reply as it streams (unless `quiet`).
fn stream_turn(
    agent: &Arc<Agent>,
    conversation: &Conversation,
    message: &str,
    quiet: bool,
) -> Result<TurnOutcome, AgentError> {
    let mut events = agent.turn(conversation, message);
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next_blocking() {
        match event {
            TurnEvent::Text(piece) if !quiet => {
                let _ = write!(stdout, "{piece}");
                let _ = stdout.flush();
            }
            other => {
                if let Some(end) = other.into_end() {
                    return end;
                }
            }
        }
    }
    Err(AgentError::Stopped(
        "the turn ended without an outcome".into(),
    ))
}

/// `deskhand ask --customer ID "message"`.
pub fn ask(global: &GlobalArgs, args: AskArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let agent = build_agent(global, &runtime)?;
    let conversation = match &args.conversation {
        Some(id) => agent.resume(&args.customer, id)?,
        None => agent.start(&args.customer)?,
    };
    match stream_turn(&agent, &conversation, &args.message, args.json) {
        Ok(outcome) if args.json => {
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            Ok(ExitCode::SUCCESS)
        }
        Ok(outcome) => {
            println!();
            eprintln!(
                "(conversation {}; continue with --conversation)",
                outcome.conversation_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(AgentError::Input(error)) => {
            eprintln!("error: {error}");
            Ok(ExitCode::from(2))
        }
        Err(error) => Err(error.into()),
    }
}

/// `deskhand chat --customer ID`: reads messages line by line (a terminal or
/// a pipe) and streams each reply.
pub fn chat(global: &GlobalArgs, args: ChatArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let agent = build_agent(global, &runtime)?;
    let mut conversation = agent.start(&args.customer)?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "chatting as customer {}. /trace shows the last turn's steps, /new starts over, /quit exits.",
            args.customer
        );
    }
    let mut last: Option<TurnOutcome> = None;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!("you> ");
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading stdin")?;
        let trimmed = line.trim();
        match trimmed {
            "" => continue,
            "/quit" | "/exit" => break,
            "/new" => {
                conversation = agent.start(&args.customer)?;
                last = None;
                println!("(new conversation {})", conversation.id);
                continue;
            }
            "/trace" => {
                match &last {
                    Some(outcome) => print_trace(outcome),
                    None => println!("(no turn yet)"),
                }
                continue;
            }
            _ => {}
        }
        if !interactive {
            println!("you> {trimmed}");
        }
        print!("deskhand> ");
        match stream_turn(&agent, &conversation, trimmed, false) {
            Ok(outcome) => {
                println!();
                last = Some(outcome);
            }
            Err(AgentError::Input(error)) => println!("\n(error: {error})"),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_trace(outcome: &TurnOutcome) {
    for step in &outcome.steps {
        println!(
            "  {:<10} {:>8.1} ms  {}",
            step.kind.as_str(),
            step.ms,
            step.summary
        );
    }
    println!(
        "  first text after {:.0} ms, turn {:.0} ms, {} prompt + {} generated tokens",
        outcome.first_token_ms, outcome.total_ms, outcome.prompt_tokens, outcome.generated_tokens
    );
}
