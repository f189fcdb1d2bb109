//! The HTTP routes, one file per resource.

pub mod chat;
pub mod conversations;
pub mod mcp;
pub mod meta;
pub mod openapi;
pub mod policies;
pub mod tools;
