//! How an agent behaves, beyond what its desk says.

use serde::{Deserialize, Serialize};

/// Which parts of the agent answer: the classic comparison of the model
/// alone, the model with retrieval, the fine-tuned model alone, and the
/// whole agent with and without the fine-tuned model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Routing, tools through policies, retrieval, checked replies.
    #[default]
    Full,
    /// The model writes every reply from the conversation and the retrieved
    /// help-centre passages; no tools run.
    RagOnly,
    /// The model writes every reply from the conversation alone.
    PromptOnly,
    /// The whole agent, on the model with the desk's LoRA adapter.
    Tuned,
    /// The model with the desk's LoRA adapter writes every reply from the
    /// conversation alone.
    TunedOnly,
}

impl Variant {
    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Full => "full",
            Variant::RagOnly => "rag-only",
            Variant::PromptOnly => "prompt-only",
            Variant::Tuned => "tuned",
            Variant::TunedOnly => "tuned-only",
        }
    }

    /// Whether the whole agent answers (routing, tools, policies, checked
    /// replies) rather than the model alone.
    pub fn is_whole_agent(self) -> bool {
        matches!(self, Variant::Full | Variant::Tuned)
    }

    /// Whether the model alone is given the retrieved help-centre passages.
    pub fn retrieves_for_model(self) -> bool {
        self == Variant::RagOnly
    }

    /// Whether the model carries the desk's fine-tuned adapter.
    pub fn is_tuned(self) -> bool {
        matches!(self, Variant::Tuned | Variant::TunedOnly)
    }
}

/// How the agent behaves; the thresholds are the desk's.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// Which parts answer (default: the whole agent).
    pub variant: Variant,
    /// Whether the model adds a short closing sentence to factual replies.
    pub closing_line: bool,
    /// Sampling of everything the model writes.
    pub temperature: f32,
    pub seed: u64,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            variant: Variant::Full,
            closing_line: true,
            temperature: 0.0,
            seed: 42,
        }
    }
}
