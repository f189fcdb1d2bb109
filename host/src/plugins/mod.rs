//! The wasmtime host for tool plugins.
//!
//! A tool plugin is a WebAssembly component of the `tool` world in `wit/`.
//! The pieces fit together like this:
//!
//! * [`Sandbox`]: one engine per process with the limits of every call
//!   (deadline, memory cap) and a linker that offers WASI with no ambient
//!   capability plus deskhand's `orders`, `clock` and `log` imports;
//! * [`Plugin`]: one compiled component with its validated [`ToolManifest`];
//!   each call validates the arguments, instantiates a fresh store from the
//!   cached `InstancePre`, runs `invoke`, and validates the result;
//! * [`PluginRegistry`]: every plugin of a directory, reloaded as a whole
//!   when a file changes ([`PluginRegistry::watch`]);
//! * [`CustomerScope`]: the one customer a call may see.

pub(crate) mod bindings;
mod error;
mod host;
mod manifest;
mod plugin;
mod registry;
mod sandbox;
mod schema;
mod scope;
pub(crate) mod state;

pub use error::{LoadError, ToolError};
pub use manifest::{Effect, ToolManifest};
pub use plugin::{Plugin, digest_of};
pub use registry::{Catalog, PluginRegistry, ReloadReport};
pub use sandbox::{GuestFailure, Sandbox, SandboxConfig, SandboxError, default_compile_cache};
pub use schema::{JsonSchema, Violation, describe as schema_describe};
pub use scope::CustomerScope;

/// The folder the build writes the shipped plugins to (`<target>/<profile>/plugins`).
pub const BUILTIN_PLUGINS_DIR: &str = env!("DESKHAND_BUILTIN_PLUGINS");

/// The folder the build writes the template and test plugins to.
pub const TEST_PLUGINS_DIR: &str = env!("DESKHAND_TEST_PLUGINS");
