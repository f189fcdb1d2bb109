//! deskhand speaks the Model Context Protocol, with rmcp.
//!
//! * As a server ([`DeskServer`]): every loaded tool is an MCP tool with its
//!   JSON Schemas, and a call goes through the same [`PolicyGate`] as the
//!   agent's (schema validation, customer scoping, policies, audit). The
//!   customer comes from the session (`--customer` over stdio, the bearer
//!   key over HTTP), never from the arguments. A deny is a tool error with
//!   the reason; an escalation records a handoff; a confirmation is asked
//!   through elicitation where the client supports it, and otherwise
//!   answered with a one-time token ([`Confirmations`]) that a second call
//!   carries. The help centre is served as resources and `search_help`, the
//!   policies as a resource, and a hot reload that changes the tools sends
//!   `notifications/tools/list_changed`.
//! * As a client ([`external`]): the MCP servers a desk lists in
//!   `desk.toml` lend their tools to the desk, behind the same gate.
//!
//! [`PolicyGate`]: crate::policy::PolicyGate

mod catalog;
mod confirmations;
pub mod external;
mod gateway;
mod handler;
pub mod http;
mod resources;
mod results;

pub use crate::background::BackgroundRuntime;
pub use catalog::{SEARCH_HELP, tools as catalog_tools};
pub use confirmations::{Confirmations, TOKEN_LIFETIME, TokenError};
pub use gateway::{Answer, Confirmation, DeskGateway};
pub use handler::{DeskServer, McpCaller};
pub use resources::{HELP_PREFIX, POLICIES_URI};

/// The argument that carries a confirmation token (added to the input
/// schema of every acting tool that has no argument of that name).
pub const CONFIRMATION_ARGUMENT: &str = "confirmation_token";

/// The `_meta` key that may carry the token instead.
pub const CONFIRMATION_META: &str = "deskhand/confirmation_token";
