//! One loaded tool plugin: a compiled component, ready to instantiate, and
//! its validated manifest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tracing::field::Empty;

use super::bindings::{ToolPre, WitToolManifest};
use super::error::{LoadError, ToolError, result_violations};
use super::manifest::ToolManifest;
use super::sandbox::Sandbox;
use super::scope::CustomerScope;
use super::state::GuestState;

/// A tool plugin that passed loading: compiled, linked and described.
///
/// Every call gets a fresh `Store` from the cached `InstancePre`, so calls
/// share no guest state; dropping the last `Arc<Plugin>` frees the code, which
/// lets calls in flight finish on the version they started with while a hot
/// reload installs the next one.
pub struct Plugin {
    path: PathBuf,
    digest: String,
    manifest: ToolManifest,
    pre: ToolPre<GuestState>,
    sandbox: Arc<Sandbox>,
}

impl Plugin {
    /// Reads, compiles and checks the component at `path`.
    pub fn load(sandbox: &Arc<Sandbox>, path: &Path) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(sandbox, path, &bytes)
    }

    /// Compiles and checks component `bytes` that were read from `path`.
    pub fn from_bytes(
        sandbox: &Arc<Sandbox>,
        path: &Path,
        bytes: &[u8],
    ) -> Result<Self, LoadError> {
        let not_a_component = |reason: String| LoadError::NotAComponent {
            path: path.to_path_buf(),
            reason,
        };
        let instance_pre = sandbox.prepare(bytes).map_err(not_a_component)?;
        let pre = ToolPre::new(instance_pre)
            .map_err(|e| not_a_component(format!("it does not export the tool world: {e:#}")))?;

        let file_name: Arc<str> = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into();
        let mut store = sandbox.new_store(file_name, None);
        let raw: Result<WitToolManifest, _> = pre
            .instantiate(&mut store)
            .and_then(|tool| tool.call_manifest(&mut store));
        store.data().flush_output();
        let raw = raw.map_err(|e| LoadError::Manifest {
            path: path.to_path_buf(),
            reason: sandbox.failure(&store, e).to_string(),
        })?;
        let manifest =
            ToolManifest::validate(raw).map_err(|reason| LoadError::InvalidManifest {
                path: path.to_path_buf(),
                reason,
            })?;
        Ok(Plugin {
            path: path.to_path_buf(),
            digest: digest_of(bytes),
            manifest,
            pre,
            sandbox: sandbox.clone(),
        })
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &ToolManifest {
        &self.manifest
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the component's bytes, hex-encoded.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Checks `args` against the tool's `params-schema` without running it.
    pub fn check_args(&self, args: &Value) -> Result<(), ToolError> {
        let violations = self.manifest.params.violations(args);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ToolError::InvalidArguments {
                tool: self.manifest.name.clone(),
                violations,
            })
        }
    }

    /// Runs the tool for `scope`'s customer: arguments checked against
    /// `params-schema` first, the result against `result-schema` after.
    pub fn invoke(&self, scope: &CustomerScope, args: &Value) -> Result<Value, ToolError> {
        let name = self.manifest.name.as_str();
        let span = tracing::info_span!(
            "tool.call",
            tool = name,
            version = %self.manifest.version,
            customer = %scope.customer_id,
            outcome = Empty,
            micros = Empty,
        );
        let _entered = span.enter();
        let started = Instant::now();
        let outcome = self.run(scope, args);
        span.record("micros", started.elapsed().as_micros() as u64);
        span.record(
            "outcome",
            match &outcome {
                Ok(_) => "ok",
                Err(e) => e.code(),
            },
        );
        if let Err(e) = &outcome
            && !e.is_business_failure()
        {
            tracing::warn!("tool call failed: {e}");
        }
        outcome
    }

    fn run(&self, scope: &CustomerScope, args: &Value) -> Result<Value, ToolError> {
        self.check_args(args)?;
        let tool = &self.manifest.name;
        let mut store = self
            .sandbox
            .new_store(tool.as_str().into(), Some(scope.clone()));
        let returned = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| instance.call_invoke(&mut store, &args.to_string()));
        store.data().flush_output();
        let text = match returned {
            Ok(Ok(text)) => text,
            Ok(Err(refusal)) => {
                return Err(ToolError::Failed {
                    tool: tool.clone(),
                    code: refusal.code,
                    message: refusal.message,
                });
            }
            Err(e) => return Err(ToolError::from_guest(tool, self.sandbox.failure(&store, e))),
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| ToolError::InvalidResult {
            tool: tool.clone(),
            detail: format!("it is not JSON ({e})"),
        })?;
        let violations = self.manifest.result.violations(&value);
        if !violations.is_empty() {
            return Err(ToolError::InvalidResult {
                tool: tool.clone(),
                detail: result_violations(&violations),
            });
        }
        Ok(value)
    }
}

/// SHA-256 of component bytes, hex-encoded: how a reload recognises an unchanged file.
pub fn digest_of(bytes: &[u8]) -> String {
    crate::digest::sha256_hex(bytes)
}
