//! `desk.toml` as written: every key optional except the business's name,
//! unknown keys refused (a typo is an error, not a silent default).

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskFile {
    pub business: BusinessSection,
    #[serde(default)]
    pub voice: VoiceSection,
    #[serde(default)]
    pub routes: RoutesSection,
    #[serde(default)]
    pub thresholds: ThresholdsSection,
    #[serde(default)]
    pub claims: ClaimsSection,
    #[serde(default)]
    pub plugins: PluginsSection,
    #[serde(default)]
    pub policies: PoliciesSection,
    #[serde(default)]
    pub knowledge: KnowledgeSection,
    #[serde(default)]
    pub data: DataSection,
    #[serde(default)]
    pub eval: EvalSection,
    #[serde(default)]
    pub model: ModelSection,
    /// External MCP servers whose tools join the desk, by name.
    #[serde(default)]
    pub mcp_servers: std::collections::BTreeMap<String, super::mcp_servers::McpServerSection>,
}

/// `[business]`: who the desk answers for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSection {
    /// The business's name, as the assistant says it ("Lumen Telecom").
    pub name: String,
    /// The language the desk speaks (BCP 47, e.g. "en"); only English today.
    #[serde(default)]
    pub language: Option<String>,
}

/// `[voice]`: what the assistant says in fixed words, and how the model is
/// asked for its own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSection {
    pub persona: Option<String>,
    pub greeting: Option<String>,
    pub capabilities: Option<String>,
    pub out_of_scope: Option<String>,
    pub handoff: Option<String>,
    pub no_answer: Option<String>,
    pub unavailable: Option<String>,
    pub not_found: Option<String>,
    pub closing_prompt: Option<String>,
    pub small_talk_prompt: Option<String>,
    pub knowledge_route: Option<String>,
    pub out_of_scope_route: Option<String>,
    /// The prompt template the model writes under, by name (default: none).
    pub template: Option<String>,
    /// Named prompt templates: `[voice.templates.NAME]`.
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, TemplateSection>,
}

/// `[voice.templates.NAME]`: another way of asking the model for its
/// sentences, compared with `deskhand eval --template`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSection {
    /// An instruction added to every prompt the model writes a reply under
    /// ("Acknowledge the customer's feelings first.").
    pub style: Option<String>,
    /// Replaces `[voice] persona`.
    pub persona: Option<String>,
    /// Replaces `[voice] closing_prompt`.
    pub closing_prompt: Option<String>,
    /// Replaces `[voice] small_talk_prompt`.
    pub small_talk_prompt: Option<String>,
}

/// `[routes]`: example messages of the routes that are not tools.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesSection {
    #[serde(default)]
    pub knowledge: Vec<String>,
    #[serde(default)]
    pub small_talk: Vec<String>,
    #[serde(default)]
    pub human: Vec<String>,
    #[serde(default)]
    pub out_of_scope: Vec<String>,
}

/// `[thresholds]`: the similarities routing and answers depend on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsSection {
    pub out_of_scope: Option<f32>,
    pub tie_margin: Option<f32>,
    pub knowledge: Option<f32>,
}

/// `[claims]`: words no model-written sentence may use, beyond the actions
/// of the loaded tools.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsSection {
    /// Word stems of actions ("ship", "reset").
    #[serde(default)]
    pub actions: Vec<String>,
    /// Whole words of the business's facts ("order", "invoice").
    #[serde(default)]
    pub words: Vec<String>,
}

/// `[plugins]`: which tool components the desk loads, and their grants.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsSection {
    /// A folder of `.wasm` components; default: the plugins built with deskhand.
    pub dir: Option<String>,
    /// The components to load from it, by file name without `.wasm`;
    /// default: every one.
    pub load: Option<Vec<String>>,
    /// The grants file; default `plugins.toml` in the desk.
    pub grants: Option<String>,
}

/// `[policies]`: the policy configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesSection {
    /// default `policies/policies.toml` in the desk (test cases in `tests/` beside it).
    pub config: Option<String>,
    /// A folder of policy components; default: the policies built with deskhand.
    pub dir: Option<String>,
}

/// `[knowledge]`: the help centre.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeSection {
    /// A folder of Markdown pages; default `kb` in the desk.
    pub dir: Option<String>,
}

/// `[data]`: what an empty store is seeded with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// default `seed.json` in the desk.
    pub seed: Option<String>,
}

/// `[eval]`: the desk's scenario suites.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSection {
    /// Files or folders of scenarios; default `scenarios` in the desk.
    pub scenarios: Option<Vec<String>>,
    /// Labelled retrieval questions; default `retrieval/questions.yaml`.
    pub retrieval: Option<String>,
}

/// `[model]`: how the desk's chat model is adapted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// A LoRA adapter (PEFT folder or GGUF LoRA file), relative to the desk.
    pub adapter: Option<String>,
}
