//! Scripted scenario evaluation: YAML conversations with the expected tool
//! calls, policy decisions, replies and final store state, run against the
//! agent of each scenario's desk and scored (pass rate, pass^k, per-check accuracy, policy errors,
//! reply quality against reference replies and by an LLM judge, latency), with JSON, Markdown and HTML reports.
//!
//! [`load_scenarios`] reads and checks the files (unknown keys are errors,
//! with `file:line`); [`run_suite`] runs each scenario on a fresh store of its desk with
//! its own clock, policy parameters (changed mid-scenario through the policy
//! engine's reload path) and conversation; [`summarise`] and
//! [`write_reports`] turn the trials into numbers and pages.

mod checks;
mod context;
mod error;
mod fixtures;
mod loader;
mod metrics;
pub mod replies;
mod report;
mod runner;
mod scenario;
mod tables;
mod trial_policies;

pub use checks::{Check, Quality, claims_for};
pub use context::{DeskContext, EvalContext};
pub use error::EvalError;
pub use fixtures::build_data;
pub use loader::{load_file, load_scenarios, parse_scenarios};
pub use metrics::{ArmSummary, JudgeNote, Latency, Rate, Summary, summarise};
pub use report::{summary_markdown, write_reports};
pub use runner::{
    Arm, EvalConfig, NO_TEMPLATE, TrialResult, TurnResult, run_suite, run_trial, voice_under,
};
pub use scenario::{
    DEFAULT_NOW, ExpectedPolicy, FinalCollection, FinalState, Fixtures, Scenario, Step,
    TurnExpectation,
};
