//! Tool calls through the policies: the one path by which anything acts.

use std::sync::Arc;

use serde_json::Value;

use super::decision::{Decision, Verdict};
use super::engine::PolicyEngine;
use super::request::PolicyRequest;
use crate::plugins::{CustomerScope, Effect, PluginRegistry, ToolError};
use crate::store::{AuditLog, AuditRecord};

/// One tool call a customer's conversation asks for.
#[derive(Debug, Clone)]
pub struct ToolCall<'a> {
    pub tool: &'a str,
    pub args: &'a Value,
    /// The conversation it comes from, for the audit log.
    pub conversation_id: Option<&'a str>,
    /// Whether the customer explicitly confirmed this call.
    pub confirmed: bool,
}

/// What happened to a call.
#[derive(Debug, Clone)]
pub enum GatedCall {
    /// The tool ran: after an allow, or without policies for a read-only tool.
    Ran {
        decision: Option<Decision>,
        result: Result<Value, ToolError>,
    },
    /// The policies did not allow it to run (deny, escalate or confirm).
    Stopped { decision: Decision },
}

impl GatedCall {
    /// The policies' decision, if the tool is gated.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            GatedCall::Ran { decision, .. } => decision.as_ref(),
            GatedCall::Stopped { decision } => Some(decision),
        }
    }

    /// Whether the tool ran and succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(self, GatedCall::Ran { result: Ok(_), .. })
    }
}

/// Runs tool calls after the policies allowed them, and audits every decision.
pub struct PolicyGate {
    tools: Arc<PluginRegistry>,
    policies: Arc<PolicyEngine>,
    audit: Arc<dyn AuditLog>,
}

impl PolicyGate {
    /// A gate over these tools, policies and audit log.
    pub fn new(
        tools: Arc<PluginRegistry>,
        policies: Arc<PolicyEngine>,
        audit: Arc<dyn AuditLog>,
    ) -> Self {
        PolicyGate {
            tools,
            policies,
            audit,
        }
    }

    /// The tools behind the gate.
    pub fn tools(&self) -> &Arc<PluginRegistry> {
        &self.tools
    }

    /// The policies in front of them.
    pub fn policies(&self) -> &Arc<PolicyEngine> {
        &self.policies
    }

    /// Validates the arguments, lets every applicable policy decide (for tools
    /// that are not read-only), records the decision, and runs the tool only
    /// if the decision is allow.
    ///
    /// Errors are the ones that stop a call before any decision: an unknown
    /// tool, invalid arguments, the tool's facts refusing the call or
    /// failing, or a failure to record the decision.
    pub fn call(&self, scope: &CustomerScope, call: ToolCall<'_>) -> Result<GatedCall, ToolError> {
        let plugin = self.tools.require(call.tool)?;
        plugin.check_args(call.args)?;
        let effect = plugin.manifest().effect;
        if effect == Effect::ReadOnly {
            return Ok(GatedCall::Ran {
                decision: None,
                result: plugin.invoke(scope, call.args),
            });
        }
        let host_error = |detail: String| ToolError::Host {
            tool: call.tool.to_string(),
            detail,
        };
        let now = scope.clock.now();
        // What the policies judge: the tool's own read-only look-up. A
        // business refusal here (say, no such order on this account) stops
        // the call before any policy is asked.
        let facts = match plugin.manifest().facts {
            Some(_) => plugin.facts(scope, call.args)?,
            None => Value::Object(Default::default()),
        };
        let request = PolicyRequest {
            tool: call.tool.to_string(),
            effect,
            args: call.args.clone(),
            facts,
            customer_id: scope.customer_id.clone(),
            confirmed: call.confirmed,
            now,
        };
        // One revision for the whole decision, whatever reloads meanwhile.
        let decision = self.policies.current().evaluate(&request);
        self.audit
            .record_decision(&AuditRecord {
                id: 0,
                at: now,
                conversation_id: call.conversation_id.map(str::to_string),
                customer_id: scope.customer_id.clone(),
                tool: call.tool.to_string(),
                args: call.args.clone(),
                verdict: decision.verdict.as_str().to_string(),
                decisions: serde_json::to_value(&decision.policies).unwrap_or_default(),
                revision: decision.revision.clone(),
            })
            // An action whose decision cannot be recorded does not run.
            .map_err(|e| host_error(format!("recording the policy decision: {e}")))?;
        if decision.verdict != Verdict::Allow {
            return Ok(GatedCall::Stopped { decision });
        }
        Ok(GatedCall::Ran {
            result: plugin.invoke(scope, call.args),
            decision: Some(decision),
        })
    }
}
