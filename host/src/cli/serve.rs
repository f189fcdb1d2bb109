//! `deskhand serve`: the HTTP API and the web chat page.
//!
//! Settings come from, strongest first: flags, `DESKHAND_*` variables,
//! `deskhand.toml`, and the built-in defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ArgMatches;
use clap::parser::ValueSource;
use deskhand::agent::AgentSettings;
use deskhand::server::{ApiKey, Role, ServerConfig};

use super::GlobalArgs;
use super::chat::build_agent_with;

/// `deskhand serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The configuration file (default: ./deskhand.toml when it exists).
    #[arg(long, env = "DESKHAND_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "DESKHAND_ADDRESS")]
    pub address: Option<SocketAddr>,
    /// Serve the public demo keys on an address other than loopback.
    #[arg(long, env = "DESKHAND_ALLOW_DEMO_KEYS")]
    pub allow_demo_keys: bool,
    /// An API key, KEY=CUSTOMER_ID or KEY=staff; repeat (or separate with commas) for more. Replaces the file's keys.
    #[arg(
        long = "key",
        env = "DESKHAND_KEYS",
        value_delimiter = ',',
        value_name = "KEY=WHO"
    )]
    pub keys: Vec<String>,
    /// Turns that run at once.
    #[arg(long, env = "DESKHAND_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Turns that may wait for a slot; beyond that a chat gets 503 with Retry-After.
    #[arg(long, env = "DESKHAND_QUEUE")]
    pub queue: Option<usize>,
    /// What Retry-After says when the queue is full, in seconds.
    #[arg(long, env = "DESKHAND_RETRY_AFTER")]
    pub retry_after: Option<u64>,
    /// The longest request body, in bytes.
    #[arg(long, env = "DESKHAND_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// The longest customer message, in characters (at most 4000).
    #[arg(long, env = "DESKHAND_MAX_MESSAGE_CHARS")]
    pub max_message_chars: Option<usize>,
    /// Whether the model adds a short closing sentence to factual replies.
    #[arg(long, env = "DESKHAND_CLOSING_LINE")]
    pub closing_line: Option<bool>,
    /// Sampling temperature of everything the model writes (0 = greedy).
    #[arg(long, env = "DESKHAND_TEMPERATURE")]
    pub temperature: Option<f32>,
    /// The sampling seed.
    #[arg(long, env = "DESKHAND_SEED")]
    pub seed: Option<u64>,
    /// Which host this is, among several serving one desk (reported by
    /// /healthz and /readyz); default: the machine's name and the port.
    #[arg(long, env = "DESKHAND_HOST_ID")]
    pub host_id: Option<String>,
}

/// Whether a global option was given on the command line or in the
/// environment (rather than left at its default).
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// The configuration: the file, then the flags and variables on top.
fn configuration(
    global: &GlobalArgs,
    matches: &ArgMatches,
    args: &ServeArgs,
) -> anyhow::Result<(ServerConfig, GlobalArgs)> {
    let file = match &args.config {
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from(deskhand::server::config::DEFAULT_CONFIG_FILE))
            .filter(|path| path.is_file()),
    };
    let mut config = match &file {
        Some(path) => ServerConfig::load(path)?,
        None => ServerConfig::default(),
    };
    if let Some(path) = &file {
        eprintln!("configuration: {}", path.display());
    }
    if let Some(address) = args.address {
        config.server.address = address;
    }
    if args.allow_demo_keys {
        config.server.allow_demo_keys = true;
    }
    if !args.keys.is_empty() {
        config.keys = Some(
            args.keys
                .iter()
                .map(|k| ApiKey::parse_assignment(k))
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(n) = args.concurrency {
        config.limits.concurrency = n;
    }
    if let Some(n) = args.queue {
        config.limits.queue = n;
    }
    if let Some(seconds) = args.retry_after {
        config.limits.retry_after_seconds = seconds;
    }
    if let Some(bytes) = args.max_body_bytes {
        config.limits.max_body_bytes = bytes;
    }
    if let Some(chars) = args.max_message_chars {
        config.limits.max_message_chars = chars;
    }
    if let Some(closing_line) = args.closing_line {
        config.generation.closing_line = closing_line;
    }
    if let Some(t) = args.temperature {
        config.generation.temperature = t;
    }
    if let Some(seed) = args.seed {
        config.generation.seed = seed;
    }
    if let Some(id) = &args.host_id {
        config.server.host_id = Some(id.clone());
    }
    // The shared options: a flag or variable wins over the file.
    let mut global = global.clone();
    let paths = &config.paths;
    if let Some(dir) = &paths.data
        && !given(matches, "data_dir")
    {
        global.data_dir = dir.clone();
    }
    fill(&mut global.desk, &config.desk.path);
    fill(&mut global.plugins_dir, &paths.plugins);
    fill(&mut global.plugin_grants, &paths.plugin_grants);
    fill(&mut global.seed_file, &paths.seed);
    fill(&mut global.policies_file, &paths.policies);
    fill(&mut global.kb_dir, &paths.kb);
    fill(&mut global.models_dir, &paths.models);
    fill(&mut global.model, &config.model.chat);
    fill(&mut global.embedder, &config.model.embedder);
    if global.store.is_none() {
        global.store.clone_from(&config.store.location);
    }
    if global.model_url.is_none() {
        global.model_url.clone_from(&config.model.url);
    }
    if global.model_name.is_none() {
        global.model_name.clone_from(&config.model.name);
    }
    if given(matches, "plugin_timeout_ms") {
        config.limits.plugin_timeout_ms = global.plugin_timeout_ms;
    } else {
        global.plugin_timeout_ms = config.limits.plugin_timeout_ms;
    }
    if given(matches, "plugin_memory_mib") {
        config.limits.plugin_memory_mib = global.plugin_memory_mib;
    } else {
        global.plugin_memory_mib = config.limits.plugin_memory_mib;
    }
    // Without configured keys, each seed customer of the desk gets a demo key.
    let seed = global.seed_file()?;
    config.demo_customers = deskhand::store::seed::customer_ids(&seed)
        .with_context(|| format!("reading the customers of {}", seed.display()))?;
    config.validate()?;
    Ok((config, global))
}

/// Takes the file's value when the flag was not given.
fn fill(flag: &mut Option<PathBuf>, file: &Option<PathBuf>) {
    if flag.is_none() {
        flag.clone_from(file);
    }
}

/// Runs the server until Ctrl-C.
pub fn run(global: &GlobalArgs, matches: &ArgMatches, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (mut config, global) = configuration(global, matches, &args)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let settings = AgentSettings {
        temperature: config.generation.temperature,
        seed: config.generation.seed,
        closing_line: config.generation.closing_line,
        ..AgentSettings::default()
    };
    let agent = build_agent_with(&global, &runtime, settings)?;
    // Hot reload: edited policies and dropped-in plugins take effect live;
    // a broken change is refused and the working set stays.
    let _policy_watch = agent
        .gate()
        .policies()
        .watch()
        .context("watching the policies for changes")?;
    let _plugin_watch = agent
        .gate()
        .tools()
        .watch()
        .context("watching the plugins folder for changes")?;
    let address = config.server.address;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .with_context(|| {
            format!(
                "listening on {address} (is another deskhand running? pick another with --address)"
            )
        })?;
    let bound = listener.local_addr().context("reading the bound address")?;
    if config.server.address.port() == 0 {
        // The port the system gave, when the address asked for any.
        config.server.address.set_port(bound.port());
    }
    eprintln!(
        "host {} on the store {}",
        config.host_id(),
        global.store_location().redacted()
    );
    let host = if bound.ip().is_unspecified() {
        format!("127.0.0.1:{}", bound.port())
    } else {
        bound.to_string()
    };
    println!("deskhand is ready: http://{host}/  (API docs: http://{host}/docs)");
    let keys = config.keys();
    let demo: Vec<&ApiKey> = keys.iter().filter(|k| k.is_demo()).collect();
    if !demo.is_empty() {
        println!("demo API keys:");
        for key in demo {
            match key.role {
                Role::Customer => println!(
                    "  {:<12} customer {}",
                    key.key,
                    key.customer.as_deref().unwrap_or_default()
                ),
                Role::Staff => println!("  {:<12} staff (sees the handoffs)", key.key),
            }
        }
    } else {
        println!("{} API keys configured", keys.len());
    }
    println!(
        "try: curl -s http://{host}/v1/chat -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"message\":\"hello\"}}'",
        keys.iter()
            .find(|k| k.role == Role::Customer && k.is_demo())
            .map(|k| k.key.as_str())
            .unwrap_or("YOUR_KEY")
    );
    println!("press Ctrl-C to stop");
    runtime
        .block_on(deskhand::server::serve(listener, agent, &config, async {
            let _ = tokio::signal::ctrl_c().await;
        }))
        .context("serving HTTP")?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
