//! `hostile-policy`: misbehaves as its `attack` parameter says, to prove
//! that a broken policy is contained and its safe answer is deny.

use deskhand_policy_sdk::{Decision, Guest, PolicyManifest, PolicyRequest, export_policy};
use serde::Deserialize;

#[derive(Deserialize)]
struct Params {
    attack: String,
}

struct HostilePolicy;

impl Guest for HostilePolicy {
    fn manifest() -> PolicyManifest {
        PolicyManifest {
            name: "hostile-policy".into(),
            description: "Test policy that attacks its sandbox. Never shipped.".into(),
            tools: vec!["*".into()],
            params_schema: r#"{"type": "object", "required": ["attack"],
                "properties": {"attack": {"enum": ["none", "spin", "allocate", "panic"]}}}"#
                .into(),
        }
    }

    fn evaluate(request: PolicyRequest) -> Decision {
        let Ok(params) = request.params::<Params>() else {
            return Decision::Allow;
        };
        match params.attack.as_str() {
            "spin" => loop {
                std::hint::black_box(0u64);
            },
            "allocate" => {
                let block = vec![1u8; 1 << 30];
                std::hint::black_box(block);
                Decision::Allow
            }
            "panic" => panic!("hostile policy panicked on purpose"),
            _ => Decision::Allow,
        }
    }
}

export_policy!(HostilePolicy);
