//! The wasmtime host for tool plugins.
//!
//! A tool plugin is a WebAssembly component of the `tool` world in `wit/`.
//! The pieces fit together like this:
//!
//! * [`Sandbox`]: one engine per process with the limits of every call
//!   (deadline, memory cap) and a linker that offers WASI with no ambient
//!   capability plus deskhand's `records`, `http`, `config`, `clock` and
//!   `log` imports;
//! * [`Grants`]: what each plugin may touch (collections, hosts, settings,
//!   secrets), from `plugins.toml`, denied by default;
//! * [`Plugin`]: one compiled component with its validated [`ToolManifest`]
//!   and its grant; each call validates the arguments, instantiates a fresh
//!   store from the cached `InstancePre`, runs `invoke` (or `facts`, read-only,
//!   for the policies), validates the result and commits the call's writes
//!   in one transaction;
//! * [`PluginRegistry`]: every plugin of a directory, reloaded as a whole
//!   when a file or the grants change ([`PluginRegistry::watch`]);
//! * [`CustomerScope`]: the one customer a call may see;
//! * [`RemoteTool`]: a tool that another process runs (an external MCP
//!   server's), in the catalog beside the components and behind the same
//!   gate.

mod call;
mod error;
mod grants;
mod host;
mod http;
mod manifest;
mod paths;
mod plugin;
mod registry;
mod remote;
mod sandbox;
mod schema;
mod scope;
mod staging;
pub(crate) mod state;

pub use call::CallMode;
pub use error::{LoadError, ToolError};
pub use grants::{Access, Grants, GrantsError, PluginGrant};
pub use manifest::{Effect, ToolManifest};
pub use paths::PluginPaths;
pub use plugin::{Plugin, digest_of};
pub use registry::{Catalog, PluginRegistry, ReloadReport};
pub use remote::{RemoteFailure, RemoteLimits, RemoteRunner, RemoteTool};
pub use sandbox::{GuestFailure, Sandbox, SandboxConfig, SandboxError, default_compile_cache};
pub use schema::{JsonSchema, Violation, describe as schema_describe};
pub use scope::CustomerScope;

/// The folder the build writes the shipped plugins to (`<target>/<profile>/plugins`).
pub const BUILTIN_PLUGINS_DIR: &str = env!("DESKHAND_BUILTIN_PLUGINS");

/// The folder the build writes the template and test plugins to.
pub const TEST_PLUGINS_DIR: &str = env!("DESKHAND_TEST_PLUGINS");
