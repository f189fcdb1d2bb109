//! What can go wrong when loading or calling a plugin.

use std::path::PathBuf;

use super::sandbox::GuestFailure;
use super::schema::{Violation, describe};

/// Why a plugin file was not loaded. The other plugins load regardless.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The plugins directory itself cannot be read.
    #[error("cannot read the plugins directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },
    /// The file cannot be read.
    #[error("{path}: cannot read the file: {reason}")]
    Read { path: PathBuf, reason: String },
    /// The file is not a WebAssembly component of the `tool` world.
    #[error("{path}: not a deskhand tool component: {reason}")]
    NotAComponent { path: PathBuf, reason: String },
    /// Calling `manifest()` failed (trap, timeout, out of memory).
    #[error("{path}: reading the manifest failed: {reason}")]
    Manifest { path: PathBuf, reason: String },
    /// The manifest is unusable: bad name, empty description, broken schema.
    #[error("{path}: invalid manifest: {reason}")]
    InvalidManifest { path: PathBuf, reason: String },
    /// The grants file (`plugins.toml`) cannot be read or parsed.
    #[error("{path}: the plugin grants are invalid: {reason}")]
    Grants { path: PathBuf, reason: String },
    /// The desk lists a plugin that the directory does not have.
    #[error(
        "{path}: the desk loads the plugin {name}, but there is no {name}.wasm here; build it or fix the name in the desk's `load` list"
    )]
    Missing { path: PathBuf, name: String },
    /// Another file already provides a tool with this name.
    #[error("{path}: a tool named {name} is already loaded from {other}; rename one of them")]
    Duplicate {
        path: PathBuf,
        name: String,
        other: PathBuf,
    },
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &PathBuf {
        match self {
            LoadError::Directory { path, .. }
            | LoadError::Read { path, .. }
            | LoadError::NotAComponent { path, .. }
            | LoadError::Manifest { path, .. }
            | LoadError::InvalidManifest { path, .. }
            | LoadError::Grants { path, .. }
            | LoadError::Missing { path, .. }
            | LoadError::Duplicate { path, .. } => path,
        }
    }
}

/// Why a tool call did not produce a result.
///
/// [`ToolError::Failed`] is a business failure reported by the plugin itself
/// (a WIT `result` error); every other variant is the host refusing or
/// containing the call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ToolError {
    /// No loaded plugin has this name.
    #[error("there is no tool named {name:?}; available tools: {available}")]
    UnknownTool { name: String, available: String },
    /// The arguments break the tool's `params-schema`; the plugin did not run.
    #[error("invalid arguments for {tool}: {}", describe(.violations))]
    InvalidArguments {
        tool: String,
        violations: Vec<Violation>,
    },
    /// The plugin refused: a business failure with a customer-safe message.
    #[error("{message}")]
    Failed {
        tool: String,
        code: String,
        message: String,
    },
    /// The call ran past its deadline and was stopped.
    #[error("{tool} did not finish within {limit_ms} ms and was stopped")]
    Timeout { tool: String, limit_ms: u64 },
    /// The call tried to use more memory than the sandbox allows.
    #[error("{tool} tried to use more than {limit_mib} MiB of memory and was stopped")]
    OutOfMemory { tool: String, limit_mib: usize },
    /// The plugin trapped (a panic, an abort, an illegal operation).
    #[error("{tool} crashed: {detail}")]
    Crashed { tool: String, detail: String },
    /// The plugin returned something that is not JSON or breaks its `result-schema`.
    #[error("{tool} returned an invalid result: {detail}")]
    InvalidResult { tool: String, detail: String },
    /// The plugin used a capability it was not granted; the text names the
    /// permission and where to grant it.
    #[error("{tool} was refused a permission: {permission}")]
    PermissionDenied { tool: String, permission: String },
    /// The records the call changed were changed by another call meanwhile,
    /// again on every retry; nothing of this call was saved.
    #[error("{tool} could not save its changes: {detail}; please try again")]
    Conflict { tool: String, detail: String },
    /// The host failed to run the call (instantiation, the record store).
    #[error("the host could not run {tool}: {detail}")]
    Host { tool: String, detail: String },
}

impl ToolError {
    /// A stable kebab-case code: the plugin's own code for business failures.
    pub fn code(&self) -> &str {
        match self {
            ToolError::UnknownTool { .. } => "unknown-tool",
            ToolError::InvalidArguments { .. } => "invalid-arguments",
            ToolError::Failed { code, .. } => code,
            ToolError::Timeout { .. } => "timeout",
            ToolError::OutOfMemory { .. } => "out-of-memory",
            ToolError::Crashed { .. } => "plugin-crashed",
            ToolError::InvalidResult { .. } => "invalid-result",
            ToolError::PermissionDenied { .. } => "permission-denied",
            ToolError::Conflict { .. } => "conflict",
            ToolError::Host { .. } => "host-error",
        }
    }

    /// Whether the plugin itself refused (as opposed to the host stopping it).
    pub fn is_business_failure(&self) -> bool {
        matches!(self, ToolError::Failed { .. })
    }

    /// The error for tool `tool` whose guest call failed.
    pub(crate) fn from_guest(tool: &str, failure: GuestFailure) -> Self {
        let tool = tool.to_string();
        match failure {
            GuestFailure::Timeout { limit_ms } => ToolError::Timeout { tool, limit_ms },
            GuestFailure::OutOfMemory { limit_mib } => ToolError::OutOfMemory { tool, limit_mib },
            GuestFailure::Crashed { detail } => ToolError::Crashed { tool, detail },
            GuestFailure::Host { detail } => ToolError::Host { tool, detail },
        }
    }

    /// What may be shown to the customer. Business failures carry their own
    /// message; anything else is a fault that the customer gets no details of.
    pub fn customer_message(&self) -> String {
        match self {
            ToolError::Failed { message, .. } => message.clone(),
            ToolError::InvalidArguments { .. } => {
                "I couldn't understand the details of that request.".into()
            }
            ToolError::Conflict { .. } => {
                "That changed while I was working on it; nothing was done. Please try again.".into()
            }
            _ => "Something went wrong on our side while handling that. Please try again, or \
                  ask for a colleague."
                .into(),
        }
    }
}

/// Creates the list of tool names for [`ToolError::UnknownTool`].
pub(crate) fn available_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = names.collect();
    if list.is_empty() {
        "none are loaded".into()
    } else {
        list.join(", ")
    }
}

/// The violations of a value, for [`ToolError::InvalidResult`].
pub(crate) fn result_violations(violations: &[Violation]) -> String {
    format!(
        "it breaks the tool's result-schema: {}",
        describe(violations)
    )
}
