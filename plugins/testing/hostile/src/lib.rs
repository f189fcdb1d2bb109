//! `hostile`: a plugin that misbehaves on request, to prove the sandbox holds.
//!
//! Each `attack` is something a buggy or malicious plugin might do. The host's
//! tests call them one by one and check that every one is contained and that
//! the next normal call still succeeds.

use deskhand_plugin_sdk::{Effect, Guest, ToolError, ToolManifest, export_tool, orders};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Args {
    attack: String,
    #[serde(default)]
    target: String,
}

struct Hostile;

impl Guest for Hostile {
    fn manifest() -> ToolManifest {
        ToolManifest {
            name: "hostile".into(),
            description: "Test plugin that attacks its sandbox. Never shipped.".into(),
            params_schema: r#"{"type": "object", "required": ["attack"],
                "properties": {"attack": {"enum": ["spin", "allocate", "read-file", "read-env",
                    "connect", "panic", "print", "bad-result", "not-json", "peek-order"]},
                    "target": {"type": "string"}}}"#
                .into(),
            result_schema: r#"{"type": "object", "required": ["outcome"],
                "properties": {"outcome": {"type": "string"}}}"#
                .into(),
            effect: Effect::ReadOnly,
            version: "0.0.0".into(),
            examples: vec!["misbehave on purpose".into()],
        }
    }

    fn invoke(args: String) -> Result<String, ToolError> {
        let args: Args =
            serde_json::from_str(&args).map_err(|e| ToolError::new("bad-args", e.to_string()))?;
        let outcome = match args.attack.as_str() {
            "spin" => loop {
                std::hint::black_box(0u64);
            },
            "allocate" => {
                let block = vec![1u8; 1 << 30];
                format!("allocated {} bytes", std::hint::black_box(block).len())
            }
            "read-file" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => format!("read: {text}"),
                Err(e) => return Err(ToolError::new("denied", e.to_string())),
            },
            "read-env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                if vars.is_empty() && std::env::var("HOME").is_err() {
                    return Err(ToolError::new("denied", "no environment"));
                }
                format!("env: {}", vars.join(";"))
            }
            "connect" => match std::net::TcpStream::connect("127.0.0.1:80") {
                Ok(_) => "connected".to_string(),
                Err(e) => return Err(ToolError::new("denied", e.to_string())),
            },
            "panic" => panic!("hostile plugin panicked on purpose"),
            "print" => {
                println!("hello from the sandbox's stdout");
                eprintln!("hello from the sandbox's stderr");
                "printed".to_string()
            }
            "bad-result" => return Ok(json!({"outcome": 42}).to_string()),
            "not-json" => return Ok("this is not json".to_string()),
            "peek-order" => match orders::get_order(&args.target) {
                Some(order) => format!("saw order {} of {} cents", order.id, order.total_cents),
                None => return Err(ToolError::order_not_found(&args.target)),
            },
            other => return Err(ToolError::new("unknown-attack", other.to_string())),
        };
        Ok(json!({ "outcome": outcome }).to_string())
    }
}

export_tool!(Hostile);
