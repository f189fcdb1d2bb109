//! `deskhand bench serve`: turns per second and turn latency of real
//! `deskhand serve` processes at a fixed concurrency: one host on SQLite,
//! one host on PostgreSQL, two hosts on one PostgreSQL; and what a remote
//! model server (llama-cpp-python's, on the same GGUF) adds to a turn over
//! the local engine. Loopback only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use super::GlobalArgs;

/// The llama-cpp-python release the remote comparison runs.
const LLAMA_CPP_SERVER: &str = "llama-cpp-python[server]==0.3.36";

/// `deskhand bench serve`.
#[derive(clap::Args)]
pub struct ServeBenchArgs {
    /// Turns measured per setup.
    #[arg(long, default_value_t = 48)]
    turns: usize,
    /// Customers chatting at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// A PostgreSQL server whose user may create databases
    /// (postgres://USER@HOST:PORT/postgres); default: a throwaway cluster
    /// started with .ci/postgres.
    #[arg(
        long,
        env = "DESKHAND_BENCH_POSTGRES",
        hide_env_values = true,
        value_name = "URL"
    )]
    postgres: Option<String>,
    /// Leave out the remote-backend comparison (it installs
    /// llama-cpp-python's server into ~/.cache/deskhand once).
    #[arg(long)]
    no_remote: bool,
}

/// One `deskhand serve` child.
struct Host {
    child: Child,
    address: String,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The numbers of one setup.
struct Measured {
    turns: usize,
    seconds: f64,
    p50_ms: f64,
    p95_ms: f64,
}

pub fn run(global: &GlobalArgs, args: &ServeBenchArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let workload = Workload::of(global)?;
    let scratch = tempfile::tempdir().context("creating a scratch folder")?;
    let (server, _cluster) = match &args.postgres {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = Cluster::start(&scratch.path().join("pg"))?;
            (cluster.url.clone(), Some(cluster))
        }
    };
    let concurrency = args.concurrency.max(1);
    let turns = args.turns.max(concurrency);
    println!(
        "bench serve: {turns} turns per setup, {concurrency} customers at once, desk {} ({} messages in the mix)",
        workload.desk,
        workload.messages.len()
    );
    let mut results: Vec<(String, Measured)> = Vec::new();
    let setups: [(&str, usize, bool); 3] = [
        ("1 host, SQLite", 1, false),
        ("1 host, PostgreSQL", 1, true),
        ("2 hosts, PostgreSQL", 2, true),
    ];
    for (index, (label, hosts, postgres)) in setups.into_iter().enumerate() {
        let store = if postgres {
            let name = format!("deskhand_bench_{index}_{:08x}", rand::random::<u32>());
            runtime.block_on(create_database(&server, &name))?;
            deskhand::store::with_database(&server, &name)
        } else {
            scratch
                .path()
                .join(format!("sqlite-{index}.db"))
                .display()
                .to_string()
        };
        let data = scratch.path().join(format!("data-{index}"));
        let started: Vec<Host> = (0..hosts)
            .map(|n| start_host(global, &format!("bench-{n}"), &store, &data, None))
            .collect::<anyhow::Result<_>>()?;
        let addresses: Vec<String> = started.iter().map(|h| h.address.clone()).collect();
        eprintln!("measuring {label}…");
        let measured = runtime.block_on(drive(&addresses, &workload, turns, concurrency))?;
        results.push((label.to_string(), measured));
    }
    println!();
    println!(
        "{:<22} {:>8} {:>10} {:>10} {:>10}",
        "setup", "turns", "turns/s", "p50 ms", "p95 ms"
    );
    for (label, m) in &results {
        println!(
            "{:<22} {:>8} {:>10.2} {:>10.0} {:>10.0}",
            label,
            m.turns,
            m.turns as f64 / m.seconds,
            m.p50_ms,
            m.p95_ms
        );
    }
    let rate = |i: usize| results[i].1.turns as f64 / results[i].1.seconds;
    println!(
        "PostgreSQL / SQLite (1 host): {:.2}× the turns per second; 2 hosts / 1 host on PostgreSQL: {:.2}×",
        rate(1) / rate(0),
        rate(2) / rate(1)
    );
    if !args.no_remote {
        remote_comparison(global, &runtime, &workload, &scratch.path().join("remote"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The same turns, one at a time, on the local engine and on
/// llama-cpp-python's server with the same GGUF.
fn remote_comparison(
    global: &GlobalArgs,
    runtime: &tokio::runtime::Runtime,
    workload: &Workload,
    dir: &Path,
) -> anyhow::Result<()> {
    let model = global.chat_model_path()?;
    let python = deskhand::venv::python(
        &deskhand::venv::cache_dir("venv-llama-server"),
        &[LLAMA_CPP_SERVER],
        "import llama_cpp.server.app, uvicorn, sse_starlette",
        "llama-cpp-python's server (it compiles llama.cpp: several minutes)",
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Command::new(python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--n_ctx", "2048", "--n_threads", "2", "--verbose", "false"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting llama-cpp-python's server")?;
    // Stopped however this function ends.
    let _server = Host {
        child: server,
        address: String::new(),
    };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the model server did not come up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let turns = workload.messages.len() * 2;
    let mut measured = Vec::new();
    for (label, remote) in [
        ("local engine", None),
        ("remote (llama-cpp-python)", Some(url.as_str())),
    ] {
        let store = dir.join(format!("{}.db", measured.len()));
        let host = start_host(
            global,
            "bench-remote",
            &store.display().to_string(),
            &dir.join(format!("data-{}", measured.len())),
            remote,
        )?;
        eprintln!("measuring the {label}…");
        let m = runtime.block_on(drive(
            std::slice::from_ref(&host.address),
            workload,
            turns,
            1,
        ))?;
        measured.push((label, m));
    }
    println!();
    println!(
        "one customer at a time, the same {turns} turns, SQLite, on {}:",
        model.display()
    );
    for (label, m) in &measured {
        println!(
            "  {:<26} p50 {:>6.0} ms  p95 {:>6.0} ms  {:.2} turns/s",
            label,
            m.p50_ms,
            m.p95_ms,
            m.turns as f64 / m.seconds
        );
    }
    println!(
        "the remote backend adds {:+.0} ms per turn at p50 ({:.2}× the local turn)",
        measured[1].1.p50_ms - measured[0].1.p50_ms,
        measured[1].1.p50_ms / measured[0].1.p50_ms.max(1e-9)
    );
    Ok(())
}

/// The messages the customers send, and who they are.
struct Workload {
    desk: String,
    customers: Vec<String>,
    messages: Vec<String>,
}

impl Workload {
    /// Each tool's first example message and a greeting, for every seed
    /// customer of the desk: nothing in it is one business's.
    fn of(global: &GlobalArgs) -> anyhow::Result<Workload> {
        let desk = global.desk()?;
        let customers = deskhand::store::seed::customer_ids(&global.seed_file()?)?;
        anyhow::ensure!(
            !customers.is_empty(),
            "the desk's seed data has no customers"
        );
        let registry = global.load_plugins()?;
        let mut messages: Vec<String> = registry
            .catalog()
            .plugins()
            .filter_map(|p| p.manifest().examples.first().cloned())
            .collect();
        messages.push("hello".into());
        Ok(Workload {
            desk: desk.id,
            customers,
            messages,
        })
    }
}

/// Starts `deskhand serve` on `store` and waits for its address.
fn start_host(
    global: &GlobalArgs,
    name: &str,
    store: &str,
    data: &Path,
    model_url: Option<&str>,
) -> anyhow::Result<Host> {
    let exe = std::env::current_exe().context("finding the deskhand binary")?;
    let mut command = Command::new(exe);
    if let Some(desk) = &global.desk {
        command.arg("--desk").arg(desk);
    }
    if let Some(url) = model_url {
        command.args(["--model-url", url]);
    }
    command
        .args(["serve", "--address", "127.0.0.1:0", "--host-id", name])
        .args(["--concurrency", "1"])
        // In the environment, not the arguments: `ps` shows arguments.
        .env("DESKHAND_STORE", store)
        .env("DESKHAND_DATA_DIR", data)
        .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
        .env_remove("DESKHAND_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().context("starting deskhand serve")?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("deskhand is ready: http://") {
                let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(300))
        .with_context(|| format!("host {name} did not get ready"))?;
    Ok(Host { child, address })
}

/// `concurrency` customers, each in one conversation, send `turns` turns in
/// all, every customer's turns going round the hosts in turn.
async fn drive(
    hosts: &[String],
    workload: &Workload,
    turns: usize,
    concurrency: usize,
) -> anyhow::Result<Measured> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let hosts = Arc::new(hosts.to_vec());
    let messages = Arc::new(workload.messages.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let share = turns / concurrency + usize::from(worker < turns % concurrency);
        let key = format!(
            "demo-{}",
            workload.customers[worker % workload.customers.len()]
        );
        let (client, hosts, messages) = (client.clone(), hosts.clone(), messages.clone());
        tasks.push(tokio::spawn(async move {
            let mut conversation: Option<String> = None;
            let mut latencies = Vec::with_capacity(share);
            for turn in 0..share {
                let host = &hosts[(worker + turn) % hosts.len()];
                let mut body = json!({"message": messages[(worker + turn) % messages.len()]});
                if let Some(id) = &conversation {
                    body["conversation_id"] = json!(id);
                }
                let sent = Instant::now();
                let response = client
                    .post(format!("http://{host}/v1/chat"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await?;
                let status = response.status();
                let reply: Value = response.json().await?;
                anyhow::ensure!(status.is_success(), "a turn failed ({status}): {reply}");
                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                conversation = reply["conversation_id"].as_str().map(str::to_string);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Measured {
        turns: latencies.len(),
        seconds,
        p50_ms: at(0.5),
        p95_ms: at(0.95),
    })
}

/// A throwaway PostgreSQL cluster (`.ci/postgres`), stopped when dropped.
struct Cluster {
    dir: PathBuf,
    script: PathBuf,
    url: String,
}

impl Cluster {
    fn start(dir: &Path) -> anyhow::Result<Cluster> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/postgres");
        anyhow::ensure!(
            script.is_file(),
            "no PostgreSQL given: pass --postgres URL (a server whose user may create databases)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        eprintln!("starting a throwaway PostgreSQL on port {port}…");
        let output = Command::new(&script)
            .args(["start", &dir.display().to_string(), &port.to_string()])
            .output()
            .context("running .ci/postgres")?;
        anyhow::ensure!(
            output.status.success(),
            "starting PostgreSQL failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(Cluster {
            dir: dir.to_path_buf(),
            script,
            url: String::from_utf8_lossy(&output.stdout).trim().to_string(),
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .args(["stop", &self.dir.display().to_string()])
            .status();
    }
}

async fn create_database(server: &str, name: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {}", deskhand::store::redact_password(server)))?;
    let connection = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .with_context(|| format!("creating the database {name}"))?;
    drop(client);
    let _ = connection.await;
    Ok(())
}
