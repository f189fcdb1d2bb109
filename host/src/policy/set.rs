//! One revision of the policy set: components, tools and parameters that
//! were validated together and are used together.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tracing::field::Empty;

use super::component::PolicyComponent;
use super::config::PolicyFile;
use super::decision::{Decision, PolicyDecision};
use super::request::PolicyRequest;
use crate::plugins::{Sandbox, schema_describe};

/// An active policy in a revision.
pub struct ActivePolicy {
    component: Arc<PolicyComponent>,
    tools: Vec<String>,
    params: Value,
    params_text: String,
}

impl ActivePolicy {
    /// Whether the policy applies to calls of `tool`.
    pub fn applies_to(&self, tool: &str) -> bool {
        self.tools.iter().any(|t| t == "*" || t == tool)
    }

    /// Evaluates with this revision's parameters, or with `params` instead.
    pub fn evaluate(&self, request: &PolicyRequest, params: Option<&Value>) -> PolicyDecision {
        match params {
            Some(params) => self.component.evaluate(request, &params.to_string()),
            None => self.component.evaluate(request, &self.params_text),
        }
    }
}

/// What `policies list` shows of one policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    pub name: String,
    pub description: String,
    pub tools: Vec<String>,
    pub params: Value,
    pub component_digest: String,
}

/// A validated set of policies. Never changes once built: a reload builds a
/// new set and swaps it in whole, so one decision never mixes two revisions.
pub struct PolicySet {
    revision: String,
    policies: Vec<ActivePolicy>,
}

impl PolicySet {
    /// Builds a set from the parsed file, compiling the components found in
    /// `modules` (reusing `compiled` ones whose bytes did not change) and
    /// checking every policy's parameters against its schema.
    pub fn build(
        sandbox: &Arc<Sandbox>,
        file: &PolicyFile,
        file_text: &str,
        modules: &Path,
        compiled: &HashMap<String, Arc<PolicyComponent>>,
    ) -> Result<Self, String> {
        let mut hasher = Sha256::new();
        hasher.update(file_text.as_bytes());
        let mut policies = Vec::new();
        for entry in file.enabled() {
            let path = modules.join(&entry.component);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("[{}]: cannot read {}: {e}", entry.name, path.display()))?;
            let digest = crate::plugins::digest_of(&bytes);
            let component = match compiled.get(&digest) {
                Some(component) => component.clone(),
                None => Arc::new(PolicyComponent::load(sandbox, &entry.component, &bytes)?),
            };
            if component.name() != entry.name {
                return Err(format!(
                    "[{}]: {} is the policy {:?}, not {:?}",
                    entry.name,
                    entry.component,
                    component.name(),
                    entry.name
                ));
            }
            let violations = component.params_schema().violations(&entry.params);
            if !violations.is_empty() {
                return Err(format!(
                    "[{}] params break the policy's schema: {}",
                    entry.name,
                    schema_describe(&violations)
                ));
            }
            hasher.update(digest.as_bytes());
            policies.push(ActivePolicy {
                tools: entry
                    .tools
                    .clone()
                    .unwrap_or_else(|| component.default_tools().to_vec()),
                params_text: entry.params.to_string(),
                params: entry.params.clone(),
                component,
            });
        }
        let revision = crate::digest::hex(&hasher.finalize()[..6]);
        Ok(PolicySet { revision, policies })
    }

    /// The revision id: a hash of the configuration and the components.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The active policy named `name`.
    pub fn policy(&self, name: &str) -> Option<&ActivePolicy> {
        self.policies.iter().find(|p| p.component.name() == name)
    }

    /// The compiled components, by digest, for reuse by the next reload.
    pub fn components(&self) -> impl Iterator<Item = &Arc<PolicyComponent>> {
        self.policies.iter().map(|p| &p.component)
    }

    /// Every active policy's component and the tools it applies to.
    pub fn active(&self) -> impl Iterator<Item = (&PolicyComponent, &[String])> {
        self.policies
            .iter()
            .map(|p| (p.component.as_ref(), p.tools.as_slice()))
    }

    /// Whether any policy applies to `tool`.
    pub fn applies_to(&self, tool: &str) -> bool {
        self.policies.iter().any(|p| p.applies_to(tool))
    }

    /// The names of the active policies that judge `tool`.
    pub fn policies_for(&self, tool: &str) -> Vec<String> {
        self.policies
            .iter()
            .filter(|p| p.applies_to(tool))
            .map(|p| p.component.name().to_string())
            .collect()
    }

    /// Every active policy, for display.
    pub fn summaries(&self) -> Vec<PolicySummary> {
        self.policies
            .iter()
            .map(|p| PolicySummary {
                name: p.component.name().to_string(),
                description: p.component.description().to_string(),
                tools: p.tools.clone(),
                params: p.params.clone(),
                component_digest: p.component.digest().to_string(),
            })
            .collect()
    }

    /// Evaluates every policy that applies to the request's tool and combines
    /// their decisions.
    pub fn evaluate(&self, request: &PolicyRequest) -> Decision {
        let span = tracing::info_span!(
            "policy.decide",
            tool = %request.tool,
            customer = %request.customer_id,
            revision = %self.revision,
            verdict = Empty,
        );
        let _entered = span.enter();
        let decisions = self
            .policies
            .iter()
            .filter(|p| p.applies_to(&request.tool))
            .map(|p| p.evaluate(request, None))
            .collect();
        let decision = Decision::combine(&self.revision, decisions);
        span.record("verdict", decision.verdict.as_str());
        decision
    }
}
