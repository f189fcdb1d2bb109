//! Desks: the same host serves any business from its folder. The telecom
//! desk runs its whole suite with none of the shop's plugins present and
//! never speaks of orders; a desk that adds its own plugin gets its date,
//! choice and free-text arguments filled from natural messages and a
//! missing address asked for; `--kb` and `eval retrieval` respect the data.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use common::agent::{TestAgent, shared};
use deskhand::agent::Variant;
use deskhand::desk::Desk;
use deskhand::eval::{EvalConfig, EvalContext, load_scenarios, run_suite};
use deskhand::plugins::{BUILTIN_PLUGINS_DIR, PluginRegistry, TEST_PLUGINS_DIR};
use deskhand::policy::{PolicyEngine, PolicyGate};
use deskhand::retrieval::{ChunkingConfig, KnowledgeBase};
use deskhand::store::{SqliteStore, seed};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An index of the help centre in `pages`, in `dir`.
fn index(dir: &Path, pages: &Path) -> Arc<KnowledgeBase> {
    let shared = shared();
    shared.runtime.block_on(async {
        let kb = KnowledgeBase::open(&dir.join("kb.lance"), shared.embedder.clone())
            .await
            .unwrap();
        kb.ingest(pages, ChunkingConfig::default(), &|_, _| {})
            .await
            .unwrap();
        Arc::new(kb)
    })
}

#[test]
fn the_telecom_desk_passes_its_suite_without_the_shops_plugins_and_never_speaks_of_orders() {
    let scratch = tempfile::tempdir().unwrap();
    let desk_dir = scratch.path().join("telecom");
    common::copy_dir(&repository().join("desks/telecom"), &desk_dir);
    // Only the telecom desk's components are present.
    let original = Desk::load(&desk_dir).unwrap();
    let plugins = scratch.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for name in original.plugins.only.as_ref().unwrap() {
        std::fs::copy(
            Path::new(BUILTIN_PLUGINS_DIR).join(format!("{name}.wasm")),
            plugins.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let text = std::fs::read_to_string(desk_dir.join("desk.toml")).unwrap();
    let text = text.replace(
        "[plugins]\n",
        &format!("[plugins]\ndir = {:?}\n", plugins.display().to_string()),
    );
    std::fs::write(desk_dir.join("desk.toml"), text).unwrap();
    let desk = Arc::new(Desk::load(&desk_dir).unwrap());
    assert!(
        std::fs::read_dir(&plugins).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("order"))
    );

    let shared = shared();
    let tools =
        Arc::new(PluginRegistry::load(shared.sandbox.clone(), desk.plugins.clone()).unwrap());
    assert!(tools.catalog().failures().is_empty());
    let knowledge = index(scratch.path(), &desk.kb_dir);
    let mut context = EvalContext::new(
        shared.engine.clone(),
        shared.embedder.clone(),
        shared.sandbox.clone(),
        shared.runtime.handle().clone(),
    );
    context.add_desk(desk.clone(), knowledge, tools).unwrap();
    let scenarios = load_scenarios(&desk.scenarios).unwrap();
    assert!(scenarios.len() >= 40, "{} scenarios", scenarios.len());
    let config = EvalConfig {
        variants: vec![Variant::Full],
        temperature: 0.0,
        ..EvalConfig::default()
    };
    let results = run_suite(&context, &scenarios, &config, &|_, _, _| {});
    let shop_words =
        regex::Regex::new(r"(?i)\b(orders?|shipping|shipped|refunds?|parcels?)\b").unwrap();
    for trial in &results {
        assert!(
            trial.error.is_none(),
            "{}: {:?}",
            trial.scenario,
            trial.error
        );
        for turn in &trial.turns {
            assert!(
                !shop_words.is_match(&turn.reply),
                "{}: {:?} was answered with shop words: {}",
                trial.scenario,
                turn.user,
                turn.reply
            );
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    assert!(
        passed * 10 >= results.len() * 9,
        "only {passed} of {} telecom scenarios passed",
        results.len()
    );
}

/// A clinic: one plugin of its own (a nurse's home visit), no policies.
fn clinic(dir: &Path) -> Arc<Desk> {
    std::fs::create_dir_all(dir.join("kb")).unwrap();
    std::fs::create_dir_all(dir.join("policies/tests")).unwrap();
    std::fs::write(
        dir.join("desk.toml"),
        format!(
            "[business]\nname = \"Riverside Clinic\"\n\n[voice]\ncapabilities = \"I can book a nurse's home visit.\"\n\n\
             [routes]\nsmall_talk = [\"hi\", \"thanks!\"]\nout_of_scope = [\"tell me a joke\", \"what's the weather\"]\n\n\
             [plugins]\ndir = {:?}\nload = [\"home_visit\"]\n",
            TEST_PLUGINS_DIR
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("plugins.toml"),
        "[plugins.home_visit]\nrecords = { visits = \"read-write\" }\n",
    )
    .unwrap();
    std::fs::write(dir.join("policies/policies.toml"), "").unwrap();
    std::fs::write(
        dir.join("kb/visits.md"),
        "# Home visits\n\n## Who can get a home visit?\n\nPatients who cannot travel to the clinic can ask for a nurse's visit at home.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("seed.json"),
        r#"{"customers": [{"id": "P001", "name": "Rosa Diaz", "email": "rosa@example.com"}]}"#,
    )
    .unwrap();
    Arc::new(Desk::load(dir).unwrap())
}

#[test]
fn a_desk_with_its_own_plugin_fills_dates_choices_and_notes_and_asks_for_an_address() {
    let scratch = tempfile::tempdir().unwrap();
    let desk = clinic(&scratch.path().join("clinic"));
    let shared = shared();
    let tools =
        Arc::new(PluginRegistry::load(shared.sandbox.clone(), desk.plugins.clone()).unwrap());
    assert_eq!(
        tools.catalog().plugins().count(),
        1,
        "only the clinic's plugin loads"
    );
    let policies = Arc::new(
        PolicyEngine::load_for_tools(shared.sandbox.clone(), desk.policies.clone(), tools.clone())
            .unwrap(),
    );
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    seed::seed_file(store.as_ref(), &desk.seed, common::NOW).unwrap();
    let gate = Arc::new(PolicyGate::new(tools, policies, store.clone()));
    let knowledge = index(scratch.path(), &desk.kb_dir);
    let agent = TestAgent::build(store.clone(), desk, knowledge, gate);
    let conversation = agent.conversation("P001");

    // 2026-06-15 is a Monday: "next Tuesday" is the 16th.
    let asked = agent.say(
        &conversation,
        "Can a nurse visit me at home next Tuesday in the afternoon? My knee is still swollen.",
    );
    assert_eq!(
        asked.waiting_for.as_deref(),
        Some("argument"),
        "{}",
        asked.reply
    );
    assert!(
        asked.reply.to_lowercase().contains("address"),
        "{}",
        asked.reply
    );
    assert!(asked.tools.iter().all(|t| !t.executed));

    let booked = agent.say(&conversation, "14 Elm Road, Riverside");
    let call = booked.main_tool().expect("the visit is booked");
    assert!(call.executed, "{}", booked.reply);
    assert_eq!(call.tool, "book_home_visit");
    assert_eq!(call.args["date"], "2026-06-16");
    assert_eq!(call.args["slot"], "afternoon");
    assert_eq!(call.args["address"], "14 Elm Road, Riverside");
    assert!(
        call.args["note"]
            .as_str()
            .unwrap()
            .contains("knee is still swollen"),
        "{}",
        call.args
    );
    assert!(booked.reply.contains("14 Elm Road"), "{}", booked.reply);
    assert_eq!(common::rows(store.as_ref(), "visits").len(), 1);

    // Everything in one message: nothing is asked.
    let other = agent.conversation("P001");
    let direct = agent.say(
        &other,
        "book a home visit for tomorrow morning at 3 Mill Lane, Riverside",
    );
    let call = direct.main_tool().expect("booked at once");
    assert_eq!(call.args["date"], "2026-06-16");
    assert_eq!(call.args["slot"], "morning");
}

fn deskhand(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--now",
            "2026-06-15T12:00:00Z",
        ])
        .args(args)
        .output()
        .expect("running deskhand")
}

#[test]
fn a_changed_kb_folder_is_re_ingested_and_said_so() {
    let data = tempfile::tempdir().unwrap();
    let pages = tempfile::tempdir().unwrap();
    common::copy_dir(&repository().join("desks/shop/kb"), pages.path());
    let kb = pages.path().to_str().unwrap();
    let first = deskhand(
        data.path(),
        &["--kb", kb, "ask", "--customer", "C001", "hello"],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    std::fs::write(
        pages.path().join("gift-wrapping.md"),
        "# Gift wrapping\n\n## Can you gift wrap my order?\n\nWe gift wrap any order in recycled paper with a handwritten card, for 3 EUR.\n",
    )
    .unwrap();
    let second = deskhand(
        data.path(),
        &[
            "--kb",
            kb,
            "ask",
            "--customer",
            "C001",
            "can you gift wrap my order in recycled paper?",
        ],
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("changed") && stderr.contains("gift-wrapping.md"),
        "{stderr}"
    );
    let reply = String::from_utf8_lossy(&second.stdout);
    assert!(reply.contains("handwritten card"), "{reply}");
}

#[test]
fn eval_retrieval_never_touches_the_live_knowledge_base() {
    let data = tempfile::tempdir().unwrap();
    let pages = tempfile::tempdir().unwrap();
    std::fs::write(
        pages.path().join("own.md"),
        "# Our own page\n\n## Opening hours\n\nWe are open on Sundays from 10:00 to 14:00 only.\n",
    )
    .unwrap();
    let ingest = deskhand(
        data.path(),
        &["kb", "ingest", pages.path().to_str().unwrap()],
    );
    assert!(
        ingest.status.success(),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let evaluated = deskhand(data.path(), &["eval", "retrieval"]);
    assert!(
        evaluated.status.success(),
        "{}",
        String::from_utf8_lossy(&evaluated.stderr)
    );
    assert!(String::from_utf8_lossy(&evaluated.stdout).contains("hit@5"));
    let search = deskhand(
        data.path(),
        &["kb", "search", "opening hours on sunday", "-k", "3"],
    );
    let found = String::from_utf8_lossy(&search.stdout);
    assert!(found.contains("own.md"), "the user's page is gone: {found}");
    assert!(
        !found.contains("contact-and-hours.md"),
        "the shipped pages were ingested: {found}"
    );
}
