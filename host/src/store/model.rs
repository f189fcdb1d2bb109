//! The customers a desk serves. Everything else a business keeps about them
//! lives in [records](super::records).

use serde::{Deserialize, Serialize};

/// A customer of the business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub email: String,
}
