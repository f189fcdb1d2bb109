//! Several deskhand hosts serving one desk: real `deskhand serve` processes
//! on one PostgreSQL database (see `common::postgres`) and one knowledge
//! base, answering the same customers. Turns of one conversation keep
//! their order whichever host takes them, a "yes" sent to both hosts at
//! once runs the confirmed action once, and a host that is killed and
//! started again has lost nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::http::{Request, Response};
use common::postgres::{fresh_database, psql};
use serde_json::{Value, json};

const ANA: &str = "demo-C001";

/// One `deskhand serve` process.
struct Host {
    child: Child,
    address: SocketAddr,
}

impl Host {
    /// Starts a host named `name` on `store`, with `data` as its data
    /// directory, and waits until it says it is ready.
    fn start(name: &str, store: &str, data: &Path, desk: &Path) -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deskhand"))
            .arg("--desk")
            .arg(desk)
            .args(["serve", "--address", "127.0.0.1:0", "--host-id", name])
            .args(["--store", store])
            .env("DESKHAND_DATA_DIR", data)
            .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
            .env_remove("DESKHAND_PLUGINS")
            .env_remove("DESKHAND_CONFIG")
            .current_dir(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting deskhand serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("deskhand is ready: http://") {
                    let address = rest.split('/').next().unwrap().to_string();
                    let _ = tx.send(address);
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("host {name} did not get ready"));
        Host {
            child,
            address: address.parse().unwrap(),
        }
    }

    fn chat(&self, conversation: Option<&str>, message: &str) -> Response {
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        Request::new("POST", "/v1/chat")
            .key(ANA)
            .json(&body)
            .send(self.address)
    }

    fn get(&self, path: &str, key: &str) -> Response {
        Request::new("GET", path).key(key).send(self.address)
    }

    /// Kills the process at once, as a crash would.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one message to each host at the same moment, in one conversation;
/// both must be answered.
fn at_once(x: (&Host, &str), y: (&Host, &str), conversation: &str) -> (Response, Response) {
    let (x, y) = std::thread::scope(|s| {
        let first = s.spawn(|| x.0.chat(Some(conversation), x.1));
        let second = s.spawn(|| y.0.chat(Some(conversation), y.1));
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(
        (x.status, y.status),
        (200, 200),
        "{} / {}",
        x.text(),
        y.text()
    );
    (x, y)
}

/// The roles of a conversation's messages, in order.
fn roles(conversation: &Value) -> Vec<String> {
    conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_string())
        .collect()
}

fn refunds(store: &str) -> usize {
    psql(
        store,
        "SELECT count(*) FROM records WHERE collection = 'refunds'",
    )
    .parse()
    .unwrap()
}

#[test]
fn two_hosts_on_one_postgres_serve_one_desk_in_order_once_and_without_loss() {
    let store = fresh_database();
    let data = tempfile::tempdir().unwrap();
    // One desk folder (plugins, policies, help centre) that both hosts serve.
    let desk = data.path().join("desk");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop"),
        &desk,
    );
    // One after the other: the first seeds the store and indexes the help
    // centre, the second finds both done.
    let a = Host::start("host-a", &store, data.path(), &desk);
    let b = Host::start("host-b", &store, data.path(), &desk);
    for (host, name) in [(&a, "host-a"), (&b, "host-b")] {
        let ready = host.get("/readyz", ANA);
        assert_eq!(ready.status, 200, "{}", ready.text());
        assert_eq!(ready.json()["checks"]["host"], name);
        assert_eq!(ready.json()["checks"]["store"], "ok");
    }
    assert_eq!(
        a.get("/healthz", ANA).json()["policy_revision"],
        b.get("/healthz", ANA).json()["policy_revision"],
        "both hosts decide under the same policy revision"
    );

    // Interleaved turns of one conversation, from both hosts.
    let first = a.chat(None, "where is my order 1006?");
    assert_eq!(first.status, 200, "{}", first.text());
    let id = first.json()["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = b.chat(Some(&id), "and order 1002?");
    assert_eq!(second.status, 200, "{}", second.text());
    assert!(second.json()["reply"].as_str().unwrap().contains("1002"));
    // Two at once, one to each host: both are answered, one after the other.
    at_once((&a, "what is your return policy?"), (&b, "thanks!"), &id);
    let seen_by_a = a.get(&format!("/v1/conversations/{id}"), ANA).json();
    let seen_by_b = b.get(&format!("/v1/conversations/{id}"), ANA).json();
    assert_eq!(seen_by_a["messages"], seen_by_b["messages"]);
    assert_eq!(
        roles(&seen_by_a),
        ["user", "assistant"].repeat(4),
        "every question is followed by its own answer: {seen_by_a}"
    );
    let said: Vec<&str> = seen_by_a["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(said[0], "where is my order 1006?");
    assert_eq!(said[2], "and order 1002?");
    assert!(
        said[1].contains("1006") && said[3].contains("1002"),
        "{said:?}"
    );

    // A confirmation, answered "yes" on both hosts at once: one refund.
    let ask = a.chat(None, "I'd like a refund for order 1007, the kettle leaks");
    assert_eq!(ask.status, 200, "{}", ask.text());
    assert!(
        ask.json()["reply"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("confirm"),
        "{}",
        ask.text()
    );
    let refund_conversation = ask.json()["conversation_id"].as_str().unwrap().to_string();
    assert_eq!(refunds(&store), 0);
    let (x, y) = at_once((&a, "yes please"), (&b, "yes please"), &refund_conversation);
    assert_eq!(refunds(&store), 1, "the confirmed refund runs once");
    let executed = [&x, &y]
        .iter()
        .filter(|r| {
            r.json()["trace"]["tools"]
                .as_array()
                .is_some_and(|tools| tools.iter().any(|t| t["executed"] == true))
        })
        .count();
    assert_eq!(executed, 1, "{} / {}", x.text(), y.text());

    // Host A dies; host B serves on, and A comes back with everything.
    let before = b.get(&format!("/v1/conversations/{id}"), ANA).json();
    a.kill();
    let during = b.chat(Some(&id), "where is my order 1006?");
    assert_eq!(during.status, 200, "{}", during.text());
    let a = Host::start("host-a", &store, data.path(), &desk);
    let after = a.get(&format!("/v1/conversations/{id}"), ANA).json();
    assert_eq!(
        after["messages"].as_array().unwrap()[..8],
        before["messages"].as_array().unwrap()[..8]
    );
    assert_eq!(after["messages"].as_array().unwrap().len(), 10);
    assert_eq!(after["turns"].as_array().unwrap().len(), 5);
    let listed = a.get("/v1/conversations", ANA).json();
    assert_eq!(listed["conversations"].as_array().unwrap().len(), 2);
    let handoffs_or_decisions = psql(&store, "SELECT count(*) FROM policy_decisions");
    assert!(
        handoffs_or_decisions.parse::<usize>().unwrap() >= 2,
        "every host's decisions are in the shared audit log"
    );

    // A policy change in the shared desk reaches both hosts as one revision.
    let revision = |host: &Host| {
        host.get("/healthz", ANA).json()["policy_revision"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let old = revision(&a);
    let policies = desk.join("policies/policies.toml");
    let text = std::fs::read_to_string(&policies).unwrap();
    std::fs::write(&policies, text.replace("max_days = 10", "max_days = 12")).unwrap();
    let started = std::time::Instant::now();
    while revision(&a) == old || revision(&b) == old {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the edited policies reach both hosts"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(revision(&a), revision(&b));
    drop(b);
}
