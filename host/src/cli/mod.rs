//! Command-line parsing and dispatch.

mod bench;
mod bench_agent;
mod bench_llm;
mod bench_mcp;
mod bench_measure;
mod bench_polyglot;
mod bench_serve;
mod bench_tune;
mod chat;
mod data;
mod eval;
mod eval_context;
mod generate;
mod global;
mod kb;
mod mcp;
mod models;
mod plugin_build;
mod policies;
mod scaffold;
mod serve;
mod store;
mod tools;
mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use global::GlobalArgs;

/// deskhand: a local customer-support agent with sandboxed WebAssembly tools.
#[derive(Parser)]
#[command(name = "deskhand", version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Chat with the agent in the terminal (or pipe messages in, one per line).
    Chat(chat::ChatArgs),
    /// Answer one message (--json for the whole turn with its trace).
    Ask(chat::AskArgs),
    /// Serve the HTTP API and the web chat page (default http://127.0.0.1:8080).
    Serve(serve::ServeArgs),
    /// Serve the desk's tools and help centre over MCP on stdio, for one customer (over HTTP: `serve`, at /mcp).
    Mcp(mcp::McpArgs),
    /// Fetch and list the language models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Stream the language model's answer to a prompt.
    Generate(generate::GenerateArgs),
    /// Run scenario suites against the agent (default: every shipped desk's), or `eval retrieval`.
    Eval(EvalArgs),
    /// Ingest and search the knowledge base.
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// List and call tool plugins.
    #[command(subcommand)]
    Tools(tools::ToolsCommand),
    /// List, test and inspect the business policies.
    #[command(subcommand)]
    Policies(policies::PoliciesCommand),
    /// Seed or reset the store.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Import, export and list the records of the store's collections.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Scaffold a new tool plugin (Rust, Python or JavaScript), or build one.
    #[command(subcommand)]
    Plugin(scaffold::PluginCommand),
    /// Scaffold a new policy from the template.
    #[command(subcommand)]
    Policy(scaffold::PolicyCommand),
    /// Train a LoRA adapter for the desk's chat model on CPU (PEFT and GGUF files).
    Tune(tune::TuneArgs),
    /// Measure speed and print the numbers.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// `deskhand eval [PATHS…]`, or `deskhand eval retrieval`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct EvalArgs {
    #[command(subcommand)]
    command: Option<EvalCommand>,
    #[command(flatten)]
    run: eval::EvalRunArgs,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// hit@1, hit@5 and MRR of vector, full-text and hybrid search on labelled questions.
    Retrieval {
        /// The questions file (default: the desk's retrieval/questions.yaml).
        #[arg(long)]
        questions: Option<PathBuf>,
    },
}

/// Parses the command line and runs the command.
pub fn run() -> anyhow::Result<ExitCode> {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_tracing();
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global, &matches, args),
        Command::Chat(args) => chat::chat(&cli.global, args),
        Command::Mcp(args) => mcp::run(&cli.global, args),
        Command::Ask(args) => chat::ask(&cli.global, args),
        Command::Tools(command) => tools::run(&cli.global, command),
        Command::Models(command) => models::run(&cli.global, command),
        Command::Kb(command) => kb::run(&cli.global, command),
        Command::Eval(EvalArgs {
            command: Some(EvalCommand::Retrieval { questions }),
            ..
        }) => kb::eval_retrieval(&cli.global, questions),
        Command::Eval(EvalArgs { command: None, run }) => eval::run(&cli.global, run),
        Command::Generate(args) => generate::run(&cli.global, args),
        Command::Policies(command) => policies::run(&cli.global, command),
        Command::Store(command) => store::run(&cli.global, command),
        Command::Data(command) => data::run(&cli.global, command),
        Command::Plugin(command) => scaffold::run_plugin(&cli.global, command),
        Command::Policy(command) => scaffold::run_policy(&cli.global, command),
        Command::Tune(args) => tune::run(&cli.global, args),
        Command::Bench(command) => bench::run(&cli.global, command),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DESKHAND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
