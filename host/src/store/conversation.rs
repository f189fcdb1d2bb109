//! Conversations, their messages and turn traces, and handoffs to humans.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;
use super::lock::ConversationLock;

/// A JSON column read back: the value, or the text itself when it is not
/// JSON (a row written by hand, say), so that reading never fails on it.
pub(crate) fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The customer.
    User,
    /// deskhand.
    Assistant,
}

impl Role {
    /// The lowercase word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Assigned by the store; 0 before it is written.
    #[serde(default)]
    pub id: i64,
    pub role: Role,
    pub content: String,
    /// Unix seconds (business clock).
    pub at: i64,
}

/// A conversation's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub id: String,
    /// The session's customer; never taken from the messages.
    pub customer_id: String,
    pub created_at: i64,
    /// What the agent is waiting for (a confirmation, a missing argument), as JSON.
    pub pending: Option<Value>,
}

/// A conversation in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub created_at: i64,
    pub messages: usize,
    /// The first thing the customer wrote.
    pub title: String,
}

/// A question and the answer it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaPair {
    pub conversation_id: String,
    pub question_id: i64,
    pub question: String,
    pub answer_id: i64,
    pub answer: String,
    pub at: i64,
}

/// A thumbs up (1) or down (-1) on one of deskhand's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub message_id: i64,
    pub score: i8,
    pub comment: Option<String>,
    pub at: i64,
}

/// A request for a colleague to take over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// Assigned by the store; 0 before it is written.
    pub id: i64,
    pub conversation_id: String,
    pub customer_id: String,
    pub at: i64,
    /// Why: the policy's reason, or the customer's request.
    pub reason: String,
    /// The tool call that was escalated, if any.
    pub tool: Option<String>,
    pub args: Option<Value>,
}

/// Where conversations, turn traces and handoffs are kept.
pub trait ConversationStore: Send + Sync {
    /// Waits until no other turn of the conversation runs (on any host that
    /// shares this store), then holds it until the lock is dropped.
    fn lock_conversation(&self, conversation_id: &str) -> Result<ConversationLock, StoreError>;

    /// Starts a conversation for `customer_id`.
    fn create_conversation(&self, record: &ConversationRecord) -> Result<(), StoreError>;

    /// The conversation with this id, if it belongs to `customer_id`.
    fn conversation(
        &self,
        customer_id: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError>;

    /// The conversation with this id, whoever it belongs to: for staff
    /// reading a handoff, never for a customer's session.
    fn any_conversation(
        &self,
        conversation_id: &str,
    ) -> Result<Option<ConversationRecord>, StoreError>;

    /// Clears what the conversation waits for if it is still `expected`;
    /// returns whether this call cleared it (so two turns cannot both take
    /// the same confirmation).
    fn take_pending(&self, conversation_id: &str, expected: &Value) -> Result<bool, StoreError>;

    /// Replaces what the conversation is waiting for.
    fn set_pending(&self, conversation_id: &str, pending: Option<&Value>)
    -> Result<(), StoreError>;

    /// Appends a message; returns its id.
    fn append_message(&self, conversation_id: &str, message: &Message) -> Result<i64, StoreError>;

    /// The customer's conversations, newest first.
    fn conversations(&self, customer_id: &str) -> Result<Vec<ConversationSummary>, StoreError>;

    /// The customer's latest question-and-answer pairs, newest first, whose
    /// question or answer contains `search` (case-insensitive for ASCII),
    /// at most `n`. A question that got no answer is left out.
    fn history(
        &self,
        customer_id: &str,
        n: usize,
        search: Option<&str>,
    ) -> Result<Vec<QaPair>, StoreError>;

    /// Records the customer's feedback on one of deskhand's messages in
    /// their own conversations (a second rating replaces the first);
    /// `false` when there is no such message.
    fn record_feedback(&self, customer_id: &str, feedback: &Feedback) -> Result<bool, StoreError>;

    /// The conversation's messages, oldest first.
    fn messages(&self, conversation_id: &str) -> Result<Vec<Message>, StoreError>;

    /// Stores one turn's trace (JSON); returns its row id.
    fn record_turn(&self, conversation_id: &str, at: i64, trace: &Value)
    -> Result<i64, StoreError>;

    /// The conversation's turn traces, oldest first.
    fn turns(&self, conversation_id: &str) -> Result<Vec<Value>, StoreError>;

    /// Records a handoff; returns its id.
    fn create_handoff(&self, handoff: &Handoff) -> Result<i64, StoreError>;

    /// Every handoff, oldest first.
    fn handoffs(&self) -> Result<Vec<Handoff>, StoreError>;
}
