//! One compiled policy component and its manifest.

use std::sync::Arc;
use std::time::Instant;

use super::bindings::{PolicyPre, types};
use super::decision::{PolicyDecision, Verdict};
use super::request::PolicyRequest;
use crate::plugins::{JsonSchema, Sandbox};

/// The answer when a policy itself fails: the safe choice is not to act.
pub const FAILED_POLICY_REASON: &str =
    "This request can't be checked right now, so nothing was done. A colleague can help.";

/// A policy component that compiled and described itself.
pub struct PolicyComponent {
    name: String,
    description: String,
    tools: Vec<String>,
    params_schema: JsonSchema,
    digest: String,
    pre: PolicyPre<crate::plugins::state::GuestState>,
    sandbox: Arc<Sandbox>,
}

impl PolicyComponent {
    /// Compiles `bytes` and reads the manifest.
    pub fn load(sandbox: &Arc<Sandbox>, file_name: &str, bytes: &[u8]) -> Result<Self, String> {
        let instance_pre = sandbox
            .prepare(bytes)
            .map_err(|e| format!("{file_name}: not a component: {e}"))?;
        let pre = PolicyPre::new(instance_pre)
            .map_err(|e| format!("{file_name}: it does not export the policy world: {e:#}"))?;
        let mut store = sandbox.new_store(file_name.into(), None);
        let manifest = pre
            .instantiate(&mut store)
            .and_then(|p| p.call_manifest(&mut store));
        store.data().flush_output();
        let manifest = manifest
            .map_err(|e| format!("{file_name}: manifest() {}", sandbox.failure(&store, e)))?;
        let params_schema = JsonSchema::compile(&manifest.params_schema)
            .map_err(|e| format!("{file_name}: params-schema: {e}"))?;
        if manifest.tools.is_empty() {
            return Err(format!(
                "{file_name}: the manifest names no tools (use \"*\" for every tool)"
            ));
        }
        Ok(PolicyComponent {
            name: manifest.name,
            description: manifest.description,
            tools: manifest.tools,
            params_schema,
            digest: crate::plugins::digest_of(bytes),
            pre,
            sandbox: sandbox.clone(),
        })
    }

    /// The policy's name, from its manifest.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule in words.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The tools it applies to by default.
    pub fn default_tools(&self) -> &[String] {
        &self.tools
    }

    /// The schema its parameters must satisfy.
    pub fn params_schema(&self) -> &JsonSchema {
        &self.params_schema
    }

    /// SHA-256 of the component, hex.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Evaluates one request with `params` (JSON text) in a fresh sandbox. A
    /// policy that traps, times out or runs out of memory denies.
    pub fn evaluate(&self, request: &PolicyRequest, params: &str) -> PolicyDecision {
        let started = Instant::now();
        let mut store = self.sandbox.new_store(self.name.as_str().into(), None);
        let outcome = self
            .pre
            .instantiate(&mut store)
            .and_then(|p| p.call_evaluate(&mut store, &request.to_wit(params)));
        store.data().flush_output();
        let micros = started.elapsed().as_micros() as u64;
        let decided = |verdict, code: Option<String>, reason: Option<String>| PolicyDecision {
            policy: self.name.clone(),
            verdict,
            code,
            reason,
            failure: None,
            micros,
        };
        match outcome {
            Ok(types::Decision::Allow) => decided(Verdict::Allow, None, None),
            Ok(types::Decision::Deny(denial)) => {
                decided(Verdict::Deny, Some(denial.code), Some(denial.reason))
            }
            Ok(types::Decision::Escalate(reason)) => decided(Verdict::Escalate, None, Some(reason)),
            Ok(types::Decision::Confirm(summary)) => decided(Verdict::Confirm, None, Some(summary)),
            Err(error) => {
                let failure = self.sandbox.failure(&store, error);
                tracing::error!(policy = %self.name, "policy failed, denying: {failure}");
                PolicyDecision {
                    failure: Some(format!("{} {failure}", self.name)),
                    ..decided(
                        Verdict::Deny,
                        Some("policy-failed".into()),
                        Some(FAILED_POLICY_REASON.into()),
                    )
                }
            }
        }
    }
}
