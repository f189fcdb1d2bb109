//! Business policies as hot-reloadable WebAssembly components.
//!
//! A policy is a component of the `policy` world in `wit/`: a manifest and a
//! pure `evaluate(request) -> decision`, where the request carries the facts
//! the tool looked up for the call (its `facts` export), never anything the
//! host read itself. The pieces:
//!
//! * [`PolicyFile`]: `policies.toml`, which policies are active, for which
//!   tools, with which parameters;
//! * [`PolicySet`]: one validated revision (components, tools, parameters),
//!   identified by a content hash; it evaluates every applicable policy and
//!   combines the verdicts (deny, then escalate, then confirm, then allow);
//! * [`PolicyEngine`]: the live set, swapped whole on reload only after the
//!   candidate compiled, its parameters matched their schemas and every
//!   [test case](cases) passed;
//! * [`PolicyGate`]: the path every tool call takes: arguments validated,
//!   policies consulted, the decision audited, and the tool run only if
//!   allowed.
//!
//! Policies run in the same sandbox as tools (deadline, memory cap, no
//! ambient capability). A policy that fails denies, with a clear reason.

pub mod cases;
mod component;
mod config;
mod decision;
mod engine;
mod facts_check;
mod gate;
mod request;
mod set;

pub use cases::{CaseOutcome, PolicyCase, load_cases, run_cases};
pub use component::{FAILED_POLICY_REASON, PolicyComponent};
pub use config::{PolicyEntry, PolicyFile};
pub use decision::{Decision, PolicyDecision, Verdict};
pub use engine::{
    BUILTIN_POLICIES_DIR, PolicyEngine, PolicyError, PolicyPaths, PolicyStatus, RejectedChange,
    TEST_POLICIES_DIR,
};
pub use facts_check::{FactsCatalog, catalog_of as facts_catalog_of, check as check_facts};
pub use gate::{GatedCall, PolicyGate, ToolCall};
pub use request::PolicyRequest;
pub use set::{PolicySet, PolicySummary};
