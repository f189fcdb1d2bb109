//! What can stop a turn.

use crate::llm::LlmError;
use crate::retrieval::RetrievalError;
use crate::store::StoreError;

/// Why the customer's message was refused before anything ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Nothing but whitespace or control characters.
    #[error("the message is empty; write what you need help with")]
    Empty,
    /// Longer than the limit.
    #[error("the message has {chars} characters; the limit is {limit}. Please shorten it")]
    TooLong { chars: usize, limit: usize },
}

/// Why a turn (or setting the agent up) failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The message was refused; nothing ran.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The session names a customer the store does not know.
    #[error(
        "there is no customer {0:?}; seed the store (`deskhand store seed`) or use an existing id"
    )]
    UnknownCustomer(String),
    /// No conversation with this id for this customer.
    #[error("conversation {0:?} does not exist for this customer")]
    UnknownConversation(String),
    /// The builder was not given a part it needs.
    #[error("the agent needs {0}; pass it to the builder")]
    Missing(&'static str),
    /// The desk could not be loaded.
    #[error("the desk: {0}")]
    Desk(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The language model failed.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// Retrieval failed.
    #[error(transparent)]
    Retrieval(#[from] RetrievalError),
    /// The turn's worker stopped before finishing (a bug).
    #[error("the turn stopped unexpectedly: {0}")]
    Stopped(String),
}
