//! deskhand: a local customer-support agent whose tools and business rules
//! are sandboxed WebAssembly plugins.
//!
//! The subsystems, one module each:
//!
//! * [`agent`]: the agent loop that routes, fills arguments, acts through
//!   the policies and answers;
//! * [`store`]: customers and the business's records (collections of JSON
//!   documents owned by customers), conversations and the audit log, in
//!   embedded SQLite by default or in a shared PostgreSQL;
//! * [`bindings`]: the Rust side of the WIT contracts in `wit/`;
//! * [`plugins`]: the wasmtime host that loads tool plugins from a directory,
//!   validates every call against the tool's JSON Schemas, runs it in a
//!   sandbox scoped to one customer, and hot-reloads changed files;
//! * [`policy`]: business rules as components, hot-reloaded as one
//!   revision, gating every tool call that changes something;
//! * [`llm`]: the language model behind [`llm::ModelBackend`]: the local
//!   engine (candle, GGUF) with streaming, constrained JSON output and a
//!   prefix cache, or a remote OpenAI-compatible server;
//! * [`retrieval`]: sentence embeddings for the knowledge base;
//! * [`server`]: the HTTP API, web chat page and metrics of `deskhand serve`;
//! * [`mcp`]: the desk as an MCP server behind the policies, and external
//!   MCP servers' tools brought under them (rmcp);
//! * [`tune`]: LoRA fine-tuning of the chat model on CPU;
//! * [`eval`]: scripted scenarios run against the agent, scored and reported;
//! * [`background`]: a private tokio runtime that synchronous code waits
//!   on from any thread (the MCP client, PostgreSQL, the remote model);
//! * [`clock`]: the business clock, fixed in tests and scenarios;
//! * [`config`]: where things live on disk;
//! * [`digest`]: SHA-256 content hashes;
//! * [`venv`]: the Python venvs of the peers that benchmarks and
//!   interoperability tests compare against;
//! * [`watch`]: debounced file watching for hot reload.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "256"]

pub mod agent;
pub mod background;
pub mod bindings;
pub mod clock;
pub mod config;
pub mod desk;
pub mod digest;
pub mod eval;
pub mod llm;
pub mod mcp;
pub mod plugins;
pub mod policy;
pub mod retrieval;
pub mod server;
pub mod store;
pub mod tune;
pub mod venv;
pub mod watch;
