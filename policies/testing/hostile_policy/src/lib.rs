//! `hostile-policy`: misbehaves as its `attack` parameter says, to prove
//! that a broken policy is contained and its safe answer is deny.

use deskhand_policy_sdk::{Decision, JsonSchema, NoFacts, Policy, Request, export_policy};
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
struct Params {
    attack: Attack,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum Attack {
    None,
    Spin,
    Allocate,
    Panic,
}

struct HostilePolicy;

impl Policy for HostilePolicy {
    type Params = Params;
    type Facts = NoFacts;

    const NAME: &'static str = "hostile-policy";
    const DESCRIPTION: &'static str = "Test policy that attacks its sandbox. Never shipped.";

    fn tools() -> Vec<&'static str> {
        vec!["*"]
    }

    fn evaluate(request: &Request<Params, NoFacts>) -> Decision {
        match request.params.attack {
            Attack::Spin => loop {
                std::hint::black_box(0u64);
            },
            Attack::Allocate => {
                let block = vec![1u8; 1 << 30];
                std::hint::black_box(block);
                Decision::Allow
            }
            Attack::Panic => panic!("hostile policy panicked on purpose"),
            Attack::None => Decision::Allow,
        }
    }
}

export_policy!(HostilePolicy);
