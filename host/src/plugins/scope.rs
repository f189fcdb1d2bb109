//! Whom one plugin call is for: one customer, their records, the clock.

use std::sync::Arc;

use crate::clock::Clock;
use crate::store::RecordStore;

/// The customer a call is made for, taken from the session, never from text.
///
/// The host scopes every `records` import through this value, so a plugin
/// cannot name, and therefore cannot reach, another customer.
#[derive(Clone)]
pub struct CustomerScope {
    /// The session's customer.
    pub customer_id: String,
    /// Where the records live.
    pub store: Arc<dyn RecordStore>,
    /// The business clock.
    pub clock: Clock,
}

impl CustomerScope {
    /// A scope for `customer_id` over `store`, with `clock`.
    pub fn new(customer_id: impl Into<String>, store: Arc<dyn RecordStore>, clock: Clock) -> Self {
        CustomerScope {
            customer_id: customer_id.into(),
            store,
            clock,
        }
    }
}

impl std::fmt::Debug for CustomerScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerScope")
            .field("customer_id", &self.customer_id)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}
