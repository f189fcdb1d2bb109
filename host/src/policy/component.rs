//! One compiled policy component and its manifest.

use std::sync::Arc;
use std::time::Instant;

use super::decision::{PolicyDecision, Verdict};
use super::request::PolicyRequest;
use crate::bindings::policy::PolicyPre;
use crate::bindings::policy_types as types;
use crate::plugins::{JsonSchema, Sandbox, schema_describe};

/// The answer when a policy itself fails: the safe choice is not to act.
pub const FAILED_POLICY_REASON: &str =
    "This request can't be checked right now, so nothing was done. A colleague can help.";

/// A policy component that compiled and described itself.
pub struct PolicyComponent {
    name: String,
    description: String,
    tools: Vec<String>,
    params_schema: JsonSchema,
    facts_schema: JsonSchema,
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
        let mut store = sandbox.new_store(file_name.into(), None, None);
        let manifest = pre
            .instantiate(&mut store)
            .and_then(|p| p.call_manifest(&mut store));
        store.data().flush_output();
        let manifest = manifest
            .map_err(|e| format!("{file_name}: manifest() {}", sandbox.failure(&store, e)))?;
        let params_schema = JsonSchema::compile(&manifest.params_schema)
            .map_err(|e| format!("{file_name}: params-schema: {e}"))?;
        let facts_text = match manifest.facts_schema.trim() {
            "" => "{}",
            text => text,
        };
        let facts_schema = JsonSchema::compile(facts_text)
            .map_err(|e| format!("{file_name}: facts-schema: {e}"))?;
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
            facts_schema,
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

    /// The schema of the facts it reads.
    pub fn facts_schema(&self) -> &JsonSchema {
        &self.facts_schema
    }

    /// The facts it cannot decide without: the `required` properties of its
    /// facts schema.
    pub fn required_facts(&self) -> Vec<String> {
        self.facts_schema
            .source()
            .get("required")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// SHA-256 of the component, hex.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Evaluates one request with `params` (JSON text) in a fresh sandbox. A
    /// policy that traps, times out or runs out of memory denies.
    pub fn evaluate(&self, request: &PolicyRequest, params: &str) -> PolicyDecision {
        let started = Instant::now();
        // Facts that break the policy's schema (a tool that does not offer
        // what the policy reads) deny: the policy cannot judge the call.
        let violations = self.facts_schema.violations(&request.facts);
        if !violations.is_empty() {
            let detail = schema_describe(&violations);
            tracing::error!(policy = %self.name, tool = %request.tool, "facts missing, denying: {detail}");
            return PolicyDecision {
                policy: self.name.clone(),
                verdict: Verdict::Deny,
                code: Some("facts-missing".into()),
                reason: Some(FAILED_POLICY_REASON.into()),
                failure: Some(format!(
                    "{}: the facts of {} break the policy's facts-schema: {detail}",
                    self.name, request.tool
                )),
                micros: started.elapsed().as_micros() as u64,
            };
        }
        let mut store = self
            .sandbox
            .new_store(self.name.as_str().into(), None, None);
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
