//! The desk as an MCP server sees it, free of the protocol: a tool call for
//! the session's customer through the same gate as the agent's (schema
//! validation, customer scoping, policies, audit), what the policies'
//! verdicts become, and the help centre.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::confirmations::{Confirmations, TokenError};
use crate::clock::Clock;
use crate::plugins::{CustomerScope, ToolError};
use crate::policy::{Decision, GatedCall, PolicyGate, ToolCall, Verdict};
use crate::retrieval::{Hit, KnowledgeBase, SearchMode};
use crate::store::{ConversationStore, Handoff, RecordStore};

/// How a call asks to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Not confirmed (yet).
    None,
    /// With the one-time token an earlier answer gave.
    Token(String),
    /// The person confirmed through the client (MCP elicitation).
    Elicited,
}

/// What became of a call.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The tool ran and returned this.
    Done(Value),
    /// The call did not run or the tool failed: unknown tool, bad
    /// arguments, the tool's own refusal, a fault.
    Failed(ToolError),
    /// A policy denied it.
    Denied { reason: String, decision: Decision },
    /// A policy sent it to a colleague: a handoff was recorded.
    Escalated {
        reason: String,
        handoff_id: i64,
        decision: Decision,
    },
    /// A policy wants the person to confirm it; nothing ran.
    NeedsConfirmation {
        reason: String,
        token: String,
        decision: Decision,
    },
    /// A confirmation token did not confirm the call; nothing ran.
    BadToken(TokenError),
}

/// Everything the MCP server serves, shared by its sessions.
pub struct DeskGateway {
    pub gate: Arc<PolicyGate>,
    pub records: Arc<dyn RecordStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub clock: Clock,
    /// The help centre, for `search_help`; `None` serves no search.
    pub knowledge: Option<Arc<KnowledgeBase>>,
    /// The help centre's Markdown pages, served as resources.
    pub help_dir: PathBuf,
    /// The business's name, for the server's instructions.
    pub business: String,
    pub confirmations: Confirmations,
}

impl DeskGateway {
    /// The gateway to `gate`'s tools and policies for the customers of
    /// `records`, recording handoffs in `conversations`, with the help
    /// centre `knowledge` (searched) and `help_dir` (its pages).
    pub fn new(
        gate: Arc<PolicyGate>,
        records: Arc<dyn RecordStore>,
        conversations: Arc<dyn ConversationStore>,
        clock: Clock,
        knowledge: Option<Arc<KnowledgeBase>>,
        help_dir: PathBuf,
        business: String,
    ) -> Self {
        DeskGateway {
            gate,
            records,
            conversations,
            clock,
            knowledge,
            help_dir,
            business,
            confirmations: Confirmations::default(),
        }
    }

    /// The gateway to what `agent` serves: its tools, policies, store and
    /// help centre.
    pub fn for_agent(agent: &crate::agent::Agent) -> Self {
        let desk = agent.desk();
        DeskGateway::new(
            agent.gate().clone(),
            agent.records().clone(),
            agent.conversations().clone(),
            agent.clock().clone(),
            agent.knowledge().cloned(),
            desk.kb_dir.clone(),
            desk.name.clone(),
        )
    }

    /// The policy configuration file in force, served as a resource.
    pub fn policies_file(&self) -> &Path {
        &self.gate.policies().paths().config
    }

    /// Calls `tool` for `customer_id` in MCP session `session`. Blocking:
    /// async callers run it with `spawn_blocking`.
    pub fn call(
        &self,
        session: &str,
        customer_id: &str,
        tool: &str,
        args: &Value,
        confirmation: Confirmation,
    ) -> Answer {
        let confirmed = match &confirmation {
            Confirmation::None => false,
            Confirmation::Elicited => true,
            Confirmation::Token(token) => {
                match self.confirmations.redeem(token, customer_id, tool, args) {
                    Ok(()) => true,
                    Err(error) => return Answer::BadToken(error),
                }
            }
        };
        let conversation_id = format!("mcp:{session}");
        let scope = CustomerScope::new(customer_id, self.records.clone(), self.clock.clone());
        let span = tracing::info_span!("mcp.tool_call", tool, customer = customer_id, confirmed);
        let _entered = span.enter();
        let gated = self.gate.call(
            &scope,
            ToolCall {
                tool,
                args,
                conversation_id: Some(&conversation_id),
                confirmed,
            },
        );
        match gated {
            Err(error) => Answer::Failed(error),
            Ok(GatedCall::Ran {
                result: Ok(value), ..
            }) => Answer::Done(value),
            Ok(GatedCall::Ran {
                result: Err(error), ..
            }) => Answer::Failed(error),
            Ok(GatedCall::Stopped { decision }) => {
                let reason = decision
                    .reason
                    .clone()
                    .unwrap_or_else(|| format!("a policy of the desk stopped {tool}"));
                match decision.verdict {
                    Verdict::Deny => Answer::Denied { reason, decision },
                    Verdict::Escalate => {
                        let handoff = Handoff {
                            id: 0,
                            conversation_id,
                            customer_id: customer_id.to_string(),
                            at: self.clock.now(),
                            reason: format!("{tool}: {reason}"),
                            tool: Some(tool.to_string()),
                            args: Some(args.clone()),
                        };
                        match self.conversations.create_handoff(&handoff) {
                            Ok(handoff_id) => Answer::Escalated {
                                reason,
                                handoff_id,
                                decision,
                            },
                            Err(e) => Answer::Failed(ToolError::Host {
                                tool: tool.to_string(),
                                detail: format!("recording the handoff: {e}"),
                            }),
                        }
                    }
                    // Confirmed and still asking: the policy wants more than
                    // a yes, which only a person at the desk can give.
                    Verdict::Confirm if confirmed => Answer::Denied { reason, decision },
                    Verdict::Confirm => Answer::NeedsConfirmation {
                        token: self.confirmations.issue(customer_id, tool, args),
                        reason,
                        decision,
                    },
                    Verdict::Allow => unreachable!("an allowed call runs"),
                }
            }
        }
    }

    /// The `k` best help-centre passages for `query`.
    pub async fn search_help(&self, query: &str, k: usize) -> Result<Vec<Hit>, String> {
        let Some(knowledge) = &self.knowledge else {
            return Err("this server was started without the help centre".into());
        };
        knowledge
            .search(query, SearchMode::Hybrid, k.clamp(1, 10))
            .await
            .map_err(|e| format!("searching the help centre failed: {e}"))
    }
}
