//! One loaded tool plugin: a compiled component, ready to instantiate, its
//! validated manifest, and the grant it runs under.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use serde_json::Value;
use tracing::field::Empty;

use super::call::{CallContext, CallMode};
use super::error::{LoadError, ToolError, result_violations};
use super::grants::PluginGrant;
use super::manifest::ToolManifest;
use super::remote::RemoteRunner;
use super::sandbox::Sandbox;
use super::scope::CustomerScope;
use super::staging::Staging;
use super::state::GuestState;
use crate::bindings::WitToolManifest;
use crate::bindings::tool::ToolPre;
use crate::store::StoreError;

/// How often a call whose writes conflicted with another call is run again.
const CONFLICT_ATTEMPTS: usize = 3;

/// A tool plugin that passed loading: compiled, linked and described.
///
/// Every call gets a fresh `Store` from the cached `InstancePre`, so calls
/// share no guest state; dropping the last `Arc<Plugin>` frees the code, which
/// lets calls in flight finish on the version they started with while a hot
/// reload installs the next one.
pub struct Plugin {
    path: PathBuf,
    /// The file name without `.wasm`: what the plugin's grant is filed under.
    grant_name: Arc<str>,
    digest: String,
    manifest: ToolManifest,
    runner: Runner,
    grant: RwLock<Arc<PluginGrant>>,
}

/// What runs a plugin's calls.
enum Runner {
    /// A WebAssembly component in the sandbox.
    Component {
        pre: ToolPre<GuestState>,
        sandbox: Arc<Sandbox>,
    },
    /// A tool outside the sandbox (an external MCP server's).
    Remote(RemoteRunner),
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

    /// Compiles and checks component `bytes` that were read from `path`. The
    /// plugin is granted nothing until [`set_grant`](Self::set_grant).
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
        let mut store = sandbox.new_store(file_name, None, None);
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
            grant_name: path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into(),
            digest: digest_of(bytes),
            manifest,
            runner: Runner::Component {
                pre,
                sandbox: sandbox.clone(),
            },
            grant: RwLock::new(Arc::new(PluginGrant::default())),
        })
    }

    /// A tool that runs outside the sandbox, described by `manifest`:
    /// `origin` names where it comes from (shown where a file path would
    /// be), `grant_name` what its grant is filed under, and `digest` what a
    /// reload compares to see whether it changed.
    pub fn remote(
        manifest: ToolManifest,
        origin: PathBuf,
        grant_name: &str,
        digest: String,
        runner: RemoteRunner,
    ) -> Self {
        Plugin {
            path: origin,
            grant_name: grant_name.into(),
            digest,
            manifest,
            runner: Runner::Remote(runner),
            grant: RwLock::new(Arc::new(PluginGrant::default())),
        }
    }

    /// Whether the tool runs outside the sandbox.
    pub fn is_remote(&self) -> bool {
        matches!(self.runner, Runner::Remote(_))
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

    /// The name its grant is filed under: the file name without `.wasm`.
    pub fn grant_name(&self) -> &str {
        &self.grant_name
    }

    /// SHA-256 of the component's bytes, hex-encoded.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// What the plugin may touch.
    pub fn grant(&self) -> Arc<PluginGrant> {
        self.grant.read().clone()
    }

    /// Replaces what the plugin may touch; calls in flight keep the old grant.
    pub fn set_grant(&self, grant: PluginGrant) {
        *self.grant.write() = Arc::new(grant);
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
    /// `params-schema` first, the result against `result-schema` after, and
    /// the call's writes committed together only if it succeeded.
    pub fn invoke(&self, scope: &CustomerScope, args: &Value) -> Result<Value, ToolError> {
        self.traced(CallMode::Invoke, scope, || {
            self.check_args(args)?;
            let value = match &self.runner {
                Runner::Remote(remote) => remote.call(&self.manifest.name, scope, args)?,
                Runner::Component { .. } => self.run_invoke(scope, args)?,
            };
            let violations = self.manifest.result.violations(&value);
            if !violations.is_empty() {
                return Err(ToolError::InvalidResult {
                    tool: self.manifest.name.clone(),
                    detail: result_violations(&violations),
                });
            }
            Ok(value)
        })
    }

    /// The component's `invoke`, run again (on fresh data) when its writes
    /// conflicted with another call's.
    fn run_invoke(&self, scope: &CustomerScope, args: &Value) -> Result<Value, ToolError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.run(scope, args, CallMode::Invoke) {
                Err(Conflicted { retry: true, .. }) if attempt < CONFLICT_ATTEMPTS => {
                    tracing::debug!(attempt, "records changed under the call; running it again");
                }
                Err(Conflicted { error, .. }) => return Err(error),
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Looks up what the policies need to judge a call with `args`: the
    /// tool's `facts` export, run read-only, its answer checked against the
    /// tool's `facts-schema`. A business error (the plugin's own refusal)
    /// comes back as [`ToolError::Failed`].
    pub fn facts(&self, scope: &CustomerScope, args: &Value) -> Result<Value, ToolError> {
        self.traced(CallMode::Facts, scope, || {
            self.check_args(args)?;
            if matches!(self.runner, Runner::Remote(_)) {
                return Err(ToolError::Host {
                    tool: self.manifest.name.clone(),
                    detail: "a remote tool offers no facts".into(),
                });
            }
            let value = self
                .run(scope, args, CallMode::Facts)
                .map_err(|conflicted| conflicted.error)?;
            if !value.is_object() {
                return Err(ToolError::InvalidResult {
                    tool: self.manifest.name.clone(),
                    detail: "facts must be a JSON object".into(),
                });
            }
            if let Some(schema) = &self.manifest.facts {
                let violations = schema.violations(&value);
                if !violations.is_empty() {
                    return Err(ToolError::InvalidResult {
                        tool: self.manifest.name.clone(),
                        detail: format!(
                            "its facts break its facts-schema: {}",
                            super::schema::describe(&violations)
                        ),
                    });
                }
            }
            Ok(value)
        })
    }

    fn traced(
        &self,
        mode: CallMode,
        scope: &CustomerScope,
        body: impl FnOnce() -> Result<Value, ToolError>,
    ) -> Result<Value, ToolError> {
        let tool = self.manifest.name.as_str();
        let span = match mode {
            CallMode::Facts => {
                tracing::info_span!("tool.facts", tool, customer = %scope.customer_id, outcome = Empty, micros = Empty)
            }
            CallMode::Invoke => {
                tracing::info_span!("tool.call", tool, version = %self.manifest.version, customer = %scope.customer_id, outcome = Empty, micros = Empty)
            }
        };
        let _entered = span.enter();
        let started = Instant::now();
        let outcome = body();
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
            tracing::warn!(mode = ?mode, "tool call failed: {e}");
        }
        outcome
    }

    /// One guest call in a fresh store. On success in invoke mode the staged
    /// writes are committed; any failure leaves the store untouched.
    fn run(
        &self,
        scope: &CustomerScope,
        args: &Value,
        mode: CallMode,
    ) -> Result<Value, Conflicted> {
        let tool = &self.manifest.name;
        let Runner::Component { pre, sandbox } = &self.runner else {
            unreachable!("remote tools are called in invoke");
        };
        let grant = self.grant();
        let timeout = grant.timeout_ms.map(Duration::from_millis);
        let call = CallContext {
            scope: scope.clone(),
            grant_name: self.grant_name.clone(),
            grant,
            mode,
            staging: Staging::default(),
            denials: Vec::new(),
            http_requests: 0,
            conflicts: 0,
            http: sandbox.http(),
            deadline: sandbox.deadline(timeout),
        };
        let mut store = sandbox.new_store(tool.as_str().into(), Some(call), timeout);
        let args_text = args.to_string();
        let returned = pre.instantiate(&mut store).and_then(|instance| match mode {
            CallMode::Invoke => instance.call_invoke(&mut store, &args_text),
            CallMode::Facts => instance.call_facts(&mut store, &args_text),
        });
        store.data().flush_output();
        // A call that failed after the host told it about a row written
        // meanwhile may succeed on the fresh data; one that talked to another
        // system is never repeated.
        let retry = {
            let call = store.data().call.as_ref().expect("a call has its context");
            call.conflicts > 0 && call.http_requests == 0
        };
        let fail = |error| Conflicted { error, retry };
        let text = match returned {
            Ok(Ok(text)) => text,
            Ok(Err(refusal)) => {
                let error = ToolError::Failed {
                    tool: tool.clone(),
                    code: refusal.code,
                    message: refusal.message,
                };
                return Err(fail(self.explain_denial(&store, error)));
            }
            Err(e) => {
                let failure =
                    sandbox.failure_within(&store, e, timeout.unwrap_or(sandbox.config().timeout));
                let error = ToolError::from_guest(tool, failure);
                return Err(fail(self.explain_denial(&store, error)));
            }
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            fail(ToolError::InvalidResult {
                tool: tool.clone(),
                detail: format!("it is not JSON ({e})"),
            })
        })?;
        let call = store.data().call.as_ref().expect("a call has its context");
        let writes = call.staging.writes();
        if mode == CallMode::Invoke
            && !writes.is_empty()
            && let Err(e) = scope.store.commit(&scope.customer_id, &writes)
        {
            return Err(match e {
                StoreError::Conflict(detail) => Conflicted {
                    // A call that talked to another system is not repeated.
                    retry: call.http_requests == 0,
                    error: ToolError::Conflict {
                        tool: tool.clone(),
                        detail,
                    },
                },
                other => fail(ToolError::Host {
                    tool: tool.clone(),
                    detail: format!("saving the call's changes: {other}"),
                }),
            });
        }
        Ok(value)
    }

    /// A call that failed after being refused a permission is reported as
    /// the missing permission, whatever the plugin made of the refusal.
    fn explain_denial(&self, store: &wasmtime::Store<GuestState>, error: ToolError) -> ToolError {
        match store.data().call.as_ref().and_then(|c| c.denials.first()) {
            Some(advice) => ToolError::PermissionDenied {
                tool: self.manifest.name.clone(),
                permission: advice.clone(),
            },
            None => error,
        }
    }
}

/// A failed run, and whether running it again may succeed.
struct Conflicted {
    error: ToolError,
    retry: bool,
}

/// SHA-256 of component bytes, hex-encoded: how a reload recognises an unchanged file.
pub fn digest_of(bytes: &[u8]) -> String {
    crate::digest::sha256_hex(bytes)
}
