//! A conversation of one customer.

use serde::{Deserialize, Serialize};

/// A conversation of one customer. The customer comes from the session
/// (the CLI flag, the server's login), never from what they write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub customer_id: String,
}
