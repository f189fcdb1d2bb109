//! The remote model backend against a real OpenAI-compatible server:
//! llama-cpp-python's, on the default GGUF. The backend streams, stops at
//! stop strings, returns JSON that fits a schema and chooses between
//! options; the shop desk's whole suite passes on it as it does locally;
//! and a server that is down, slow or answers nonsense gives a clear error
//! and never a half-done action.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::llama_server::{ModelServer, fake_server, llama_server};
use deskhand::llm::{
    ChatMessage, Event, ModelBackend, ModelPrompt, Output as Wanted, RemoteConfig, RemoteModel,
    SamplingParams,
};
use deskhand::store::{RecordStore, SqliteStore};
use serde_json::json;

/// One llama.cpp server for the whole file.
fn server() -> &'static ModelServer {
    static SERVER: OnceLock<ModelServer> = OnceLock::new();
    SERVER.get_or_init(|| llama_server(&common::chat_model_path()))
}

fn remote() -> RemoteModel {
    RemoteModel::connect(RemoteConfig::new(server().url.clone())).expect("the server answers")
}

fn deskhand(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(args)
        .env("DESKHAND_DATA_DIR", data)
        .env("DESKHAND_NOW", "2026-06-15T12:00:00Z")
        .env_remove("DESKHAND_PLUGINS")
        .env_remove("DESKHAND_MODEL_URL")
        .output()
        .expect("running deskhand")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn text_streams_and_stops_json_fits_its_schema_and_choices_are_weighed() {
    let model = remote();
    assert!(model.describe().contains(&server().url));
    let prompt = ModelPrompt::chat(
        &[
            ChatMessage::new("system", "You are a helpful assistant."),
            ChatMessage::new(
                "user",
                "Count from one to ten in words, separated by commas.",
            ),
        ],
        1,
    );
    let params = SamplingParams {
        max_tokens: 48,
        stop: vec!["five".into()],
        ..SamplingParams::default()
    };
    let mut generation = model.generate(&prompt, params, Wanted::Text).unwrap();
    let (mut pieces, mut text, mut done) = (0, String::new(), None);
    while let Some(event) = generation.next_blocking() {
        match event {
            Event::Text(piece) => {
                pieces += 1;
                text.push_str(&piece);
            }
            Event::Done(stats) => done = Some(stats),
            Event::Failed(reason) => panic!("{reason}"),
        }
    }
    let stats = done.expect("the stream ends with its numbers");
    assert!(pieces > 1, "the reply streams in pieces: {text:?}");
    assert!(
        !text.to_lowercase().contains("five"),
        "cut before the stop string: {text:?}"
    );
    assert!(stats.generated_tokens > 0);

    let schema = json!({
        "type": "object",
        "properties": {"order_id": {"type": "string", "pattern": "^[0-9]{4}$"}},
        "required": ["order_id"],
        "additionalProperties": false
    });
    let ask = ModelPrompt::chat(
        &[ChatMessage::new(
            "user",
            "Extract the order number from: 'please cancel order 1002 today'. Answer in JSON.",
        )],
        0,
    );
    let (value, _) = model
        .generate_json(&ask, &schema, SamplingParams::default())
        .unwrap();
    assert!(
        value["order_id"].as_str().is_some_and(|id| id.len() == 4),
        "{value}"
    );

    let choose = ModelPrompt::chat(
        &[ChatMessage::new(
            "user",
            "Is the sky blue on a clear day? Answer Yes or No.",
        )],
        0,
    );
    let choice = model.choose(&choose, &["Yes", "No"]).unwrap();
    let total: f32 = choice.probabilities.iter().sum();
    assert!((total - 1.0).abs() < 1e-3, "{choice:?}");
    assert!(choice.best < 2);
    assert!(
        model.log_likelihood(&choose, "Yes").is_err(),
        "scoring a given text is refused, not faked"
    );
}

#[test]
fn the_shop_suite_passes_on_the_remote_backend_as_it_does_locally() {
    let data = tempfile::tempdir().unwrap();
    let out = deskhand(
        data.path(),
        &[
            "--desk",
            "shop",
            "--model-url",
            &server().url,
            "eval",
            "--jobs",
            "2",
            "--temperature",
            "0",
            "--min-pass",
            "1.0",
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // --min-pass 1.0: the run fails unless every scenario passes.
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("at {}", server().url)),
        "the suite ran on the server: {stderr}"
    );
}

#[test]
fn a_server_that_is_down_slow_or_talks_nonsense_gives_a_clear_error_and_no_half_done_action() {
    // Down: nothing listens there.
    let data = tempfile::tempdir().unwrap();
    let out = deskhand(
        data.path(),
        &[
            "--model-url",
            "http://127.0.0.1:9",
            "ask",
            "--customer",
            "C001",
            "cancel order 1002",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("http://127.0.0.1:9") && err.contains("is the server running"),
        "{err}"
    );

    for (mode, reason) in [
        ("slow", "did not answer within 2 s"),
        ("garbage", "not an event stream"),
        ("error", "HTTP 500"),
    ] {
        let fake = fake_server(mode);
        // Asked for text directly, the failure is the command's error.
        let data = tempfile::tempdir().unwrap();
        let out = deskhand(
            data.path(),
            &[
                "--model-url",
                &fake.url,
                "--model-timeout-secs",
                "2",
                "generate",
                "hello",
            ],
        );
        assert!(!out.status.success(), "{mode}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&fake.url) && err.contains(reason),
            "{mode}: {err}"
        );
        // In a turn, the agent answers from its tools and help centre
        // without the model's sentences; the trace says why they are
        // missing, and the reply and the store always agree.
        for message in ["what is your return policy?", "cancel order 1002"] {
            let out = deskhand(
                data.path(),
                &[
                    "--model-url",
                    &fake.url,
                    "--model-timeout-secs",
                    "2",
                    "ask",
                    "--customer",
                    "C001",
                    "--json",
                    message,
                ],
            );
            assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
            let turn: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let store = SqliteStore::open(&data.path().join("shop/deskhand.db")).unwrap();
            let status = store
                .record("C001", "orders", "1002")
                .unwrap()
                .unwrap()
                .data["status"]
                .as_str()
                .unwrap()
                .to_string();
            let executed = turn["tools"]
                .as_array()
                .is_some_and(|t| t.iter().any(|c| c["executed"] == true));
            assert_eq!(
                executed,
                status == "cancelled",
                "{mode}: the reply and the store agree: {turn}"
            );
            let reply = turn["reply"].as_str().unwrap();
            if message.contains("policy") {
                assert!(reply.contains("30 days"), "{mode}: {reply}");
                let steps = turn["steps"].to_string();
                assert!(
                    steps.contains(&fake.url) && steps.contains(reason),
                    "{mode}: the trace names the failing server: {steps}"
                );
            } else {
                assert!(executed && reply.contains("1002"), "{mode}: {turn}");
            }
        }
    }
}
