//! Running scenarios: each trial on a fresh store of its desk, with its own clock, policy
//! parameters and conversation, checked turn by turn and at the end.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::checks::{self, Check, Quality};
use super::context::EvalContext;
use super::error::EvalError;
use super::fixtures::build_data;
use super::replies::{Exchange, ReplyScorer, ReplyScores};
use super::scenario::{DEFAULT_NOW, Scenario, Step};
use super::trial_policies::TrialPolicies;
use crate::agent::prompts::model_only_system;
use crate::agent::{Agent, AgentSettings, TurnOutcome, Variant};
use crate::clock::Clock;
use crate::desk::{Desk, Voice};
use crate::policy::{PolicyEngine, PolicyGate};
use crate::store::SqliteStore;

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Runs of each scenario, each with its own sampling seed.
    pub trials: usize,
    pub seed: u64,
    /// Sampling temperature of what the model writes.
    pub temperature: f32,
    pub variants: Vec<Variant>,
    /// The desk's prompt templates to compare (`None`: the desk's own voice,
    /// [`NO_TEMPLATE`]: the voice without any template).
    pub templates: Vec<Option<String>>,
    /// Scenarios run at once.
    pub jobs: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            trials: 1,
            seed: 42,
            temperature: 0.7,
            variants: vec![Variant::Full],
            templates: vec![None],
            jobs: 1,
        }
    }
}

/// One turn of a trial.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurnResult {
    pub user: String,
    pub reply: String,
    pub checks: Vec<Check>,
    /// An action ran that the expected decision forbids.
    pub dangerous: bool,
    pub quality: Quality,
    /// The scenario's reference reply, if it gives one.
    #[serde(default)]
    pub reference: Option<String>,
    /// Closeness to the reference reply and the judge's scores.
    #[serde(default)]
    pub scores: ReplyScores,
    /// Why the reply could not be scored, if it could not.
    #[serde(default)]
    pub scores_error: Option<String>,
    /// The whole turn with its trace.
    pub outcome: TurnOutcome,
}

/// One run of one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialResult {
    pub scenario: String,
    /// The desk it ran on.
    #[serde(default)]
    pub desk: String,
    pub location: String,
    pub tags: Vec<String>,
    pub variant: Variant,
    /// The prompt template the desk's voice used, if one was chosen.
    #[serde(default)]
    pub template: Option<String>,
    pub trial: usize,
    pub seed: u64,
    pub passed: bool,
    pub turns: Vec<TurnResult>,
    pub final_checks: Vec<Check>,
    /// Live policy changes, with the revision each produced.
    pub policy_changes: Vec<String>,
    /// Set when the trial could not run to the end.
    pub error: Option<String>,
    pub ms: f64,
}

impl TrialResult {
    /// What the trial compares: its variant, with its prompt template
    /// ("full", "full · empathetic").
    pub fn arm(&self) -> String {
        match &self.template {
            Some(template) => format!("{} · {template}", self.variant.as_str()),
            None => self.variant.as_str().to_string(),
        }
    }

    /// Every check of the trial.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.turns
            .iter()
            .flat_map(|t| &t.checks)
            .chain(&self.final_checks)
    }
}

/// Runs every scenario `config.trials` times per variant, `config.jobs` at a
/// time, calling `progress` after each trial (done, total, the result).
pub fn run_suite(
    context: &EvalContext,
    scenarios: &[Scenario],
    config: &EvalConfig,
    progress: &(dyn Fn(usize, usize, &TrialResult) + Sync),
) -> Vec<TrialResult> {
    let templates: &[Option<String>] = if config.templates.is_empty() {
        &[None]
    } else {
        &config.templates
    };
    let mut work: VecDeque<(usize, Arm, usize)> = VecDeque::new();
    for variant in &config.variants {
        for template in templates {
            for (index, _) in scenarios.iter().enumerate() {
                for trial in 0..config.trials.max(1) {
                    work.push_back((index, (*variant, template.clone()), trial));
                }
            }
        }
    }
    let total = work.len();
    let work = Mutex::new(work);
    let results = Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.clamp(1, 16) {
            scope.spawn(|| {
                loop {
                    let next = work.lock().expect("work queue").pop_front();
                    let Some((index, arm, trial)) = next else {
                        break;
                    };
                    let result = run_trial(context, &scenarios[index], &arm, trial, config);
                    let mut results = results.lock().expect("results");
                    results.push((index, result));
                    let (_, last) = results.last().expect("just pushed");
                    progress(results.len(), total, last);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by(|(a, ra), (b, rb)| (ra.arm(), a, ra.trial).cmp(&(rb.arm(), b, rb.trial)));
    results.into_iter().map(|(_, r)| r).collect()
}

/// The name that asks for the desk's voice without any prompt template.
pub const NO_TEMPLATE: &str = "none";

/// The desk's voice under a prompt template: `None` is the voice as the
/// desk runs it (its own `[voice] template`, if any), [`NO_TEMPLATE`] the
/// voice without one, any other name that template.
pub fn voice_under(voice: &Voice, template: Option<&str>) -> Result<Voice, String> {
    match template {
        None => Ok(voice.clone()),
        Some(NO_TEMPLATE) => voice.with_template(None),
        Some(name) => voice.with_template(Some(name)),
    }
}

/// A variant with a prompt template: what one trial runs.
pub type Arm = (Variant, Option<String>);

/// Runs one trial of one scenario.
pub fn run_trial(
    context: &EvalContext,
    scenario: &Scenario,
    arm: &Arm,
    trial: usize,
    config: &EvalConfig,
) -> TrialResult {
    let (variant, template) = arm.clone();
    let started = Instant::now();
    let seed = config.seed.wrapping_add(trial as u64);
    let mut result = TrialResult {
        scenario: scenario.name.clone(),
        desk: context
            .desk_of(scenario)
            .map(|d| d.desk.id.clone())
            .unwrap_or_default(),
        location: scenario.location(),
        tags: scenario.tags.clone(),
        variant,
        template,
        trial,
        seed,
        passed: false,
        turns: Vec::new(),
        final_checks: Vec::new(),
        policy_changes: Vec::new(),
        error: None,
        ms: 0.0,
    };
    if let Err(error) = play(context, scenario, seed, config, &mut result) {
        result.error = Some(error.to_string());
    }
    result.passed = result.error.is_none() && result.checks().all(|c| c.passed);
    result.ms = started.elapsed().as_secs_f64() * 1e3;
    result
}

fn play(
    context: &EvalContext,
    scenario: &Scenario,
    seed: u64,
    config: &EvalConfig,
    result: &mut TrialResult,
) -> Result<(), EvalError> {
    let setup = |message: String| EvalError::Setup {
        scenario: scenario.name.clone(),
        message,
    };
    let now = crate::clock::parse_rfc3339(scenario.now.as_deref().unwrap_or(DEFAULT_NOW))
        .map_err(|e| setup(format!("the clock: {e}")))?;
    let desk = context.desk_of(scenario).map_err(setup)?;
    let variant = result.variant;
    let engine = context.engine_for(desk, variant).map_err(setup)?;
    let voice = voice_under(&desk.desk.voice, result.template.as_deref()).map_err(setup)?;
    let scorer = ReplyScorer {
        embedder: &context.embedder,
        model: engine.as_ref(),
        system: model_only_system(&voice, &[]),
        judge: context.judge.as_deref(),
    };
    let served = Arc::new(Desk {
        voice,
        ..(*desk.desk).clone()
    });
    let store = Arc::new(SqliteStore::in_memory().map_err(|e| setup(e.to_string()))?);
    build_data(
        store.as_ref(),
        &desk.desk.seed,
        scenario.fixtures.as_ref(),
        now,
    )
    .map_err(|e| setup(format!("the data: {e}")))?;
    let policy_dir = tempfile::tempdir().map_err(|e| setup(e.to_string()))?;
    let policy_file =
        TrialPolicies::write(&desk.desk.policies, policy_dir.path(), &scenario.policies)
            .map_err(setup)?;
    let policies = Arc::new(
        PolicyEngine::load_for_tools(
            context.sandbox.clone(),
            policy_file.paths.clone(),
            desk.tools.clone(),
        )
        .map_err(|e| setup(format!("the policies: {e}")))?,
    );
    let gate = Arc::new(PolicyGate::new(
        desk.tools.clone(),
        policies.clone(),
        store.clone(),
    ));
    let agent = Agent::builder()
        .desk(served)
        .model(engine.clone())
        .embedder(context.embedder.clone())
        .knowledge_base(desk.knowledge.clone())
        .router(desk.router.clone())
        .gate(gate)
        .records(store.clone())
        .conversations(store.clone())
        .clock(Clock::fixed(now))
        .runtime(context.runtime.clone())
        .settings(AgentSettings {
            variant,
            seed,
            temperature: config.temperature,
            ..AgentSettings::default()
        })
        .build()
        .map_err(|e| setup(e.to_string()))?;
    let conversation = agent
        .start(&scenario.customer)
        .map_err(|e| setup(e.to_string()))?;
    let mut overrides = scenario.policies.clone();
    let mut history: Vec<(String, String)> = Vec::new();
    for step in &scenario.turns {
        match step {
            Step::User(turn) => {
                let outcome = agent
                    .run_turn(&conversation, &turn.user, &|_| {})
                    .map_err(|e| setup(format!("turn {:?}: {e}", turn.user)))?;
                let reference = turn.expect.as_ref().and_then(|e| e.reference.as_deref());
                // The metrics never decide a trial: a failure is kept with
                // the turn, and the turn is scored without them.
                let (scores, scores_error) = match scorer.score(&Exchange {
                    history: &history,
                    message: &turn.user,
                    reply: &outcome.reply,
                    reference,
                }) {
                    Ok(scores) => (scores, None),
                    Err(error) => {
                        warn!(scenario = %scenario.name, %error, "a reply could not be scored");
                        (ReplyScores::default(), Some(error))
                    }
                };
                history.push((turn.user.clone(), outcome.reply.clone()));
                result.turns.push(TurnResult {
                    user: turn.user.clone(),
                    reply: outcome.reply.clone(),
                    checks: turn
                        .expect
                        .as_ref()
                        .map(|e| checks::check_turn(e, &outcome))
                        .unwrap_or_default(),
                    dangerous: checks::is_dangerous(turn.expect.as_ref(), &outcome),
                    quality: checks::quality(&outcome, &desk.claims),
                    reference: reference.map(str::to_string),
                    scores,
                    scores_error,
                    outcome,
                });
            }
            Step::SetPolicy(change) => {
                for (policy, params) in &change.set_policy {
                    overrides
                        .entry(policy.clone())
                        .or_default()
                        .extend(params.clone());
                }
                policy_file.rewrite(&overrides).map_err(setup)?;
                // The same path a live edit of policies.toml takes.
                let revision = policies
                    .reload()
                    .map_err(|e| setup(format!("the policy change was refused: {e}")))?;
                result.policy_changes.push(revision);
            }
        }
    }
    if let Some(expect) = &scenario.expect_final {
        result.final_checks =
            checks::check_final(expect, &scenario.customer, store.as_ref(), store.as_ref());
    }
    Ok(())
}
