//! An agent over the real default model, a shipped desk's plugins,
//! policies and help centre, and a freshly seeded store per test.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use deskhand::desk::Desk;

use deskhand::agent::{Agent, AgentSettings, Conversation, TurnOutcome};
use deskhand::clock::Clock;
use deskhand::llm::models::{CHAT_MODEL, EMBEDDER, ModelCache, default_cache_dir};
use deskhand::llm::{Engine, EngineConfig};
use deskhand::plugins::{PluginRegistry, Sandbox};
use deskhand::policy::{PolicyEngine, PolicyGate};
use deskhand::retrieval::{ChunkingConfig, Embedder, KnowledgeBase};
use deskhand::store::{SqliteStore, seed};

use super::{NOW, sandbox_config};

/// What every test shares: loading these once keeps the suite fast. The
/// knowledge base, tools and policies are the demo shop's.
pub struct Shared {
    pub runtime: tokio::runtime::Runtime,
    pub engine: Arc<Engine>,
    pub embedder: Arc<Embedder>,
    pub sandbox: Arc<Sandbox>,
    pub knowledge: Arc<KnowledgeBase>,
    pub tools: Arc<PluginRegistry>,
    pub policies: Arc<PolicyEngine>,
    pub desk: Arc<Desk>,
    _kb_dir: tempfile::TempDir,
}

/// One desk's loaded parts.
pub struct DeskParts {
    pub desk: Arc<Desk>,
    pub knowledge: Arc<KnowledgeBase>,
    pub tools: Arc<PluginRegistry>,
    pub policies: Arc<PolicyEngine>,
    _kb_dir: tempfile::TempDir,
}

/// A shipped desk's parts, loaded on first use.
pub fn desk_parts(id: &str) -> &'static DeskParts {
    static DESKS: OnceLock<Mutex<HashMap<String, &'static DeskParts>>> = OnceLock::new();
    let shared = shared();
    let mut desks = DESKS.get_or_init(Default::default).lock().expect("desks");
    desks.entry(id.to_string()).or_insert_with(|| {
        let desk = Arc::new(Desk::shipped(id).expect("loading the desk"));
        let (kb_dir, knowledge) = index(&shared.runtime, &shared.embedder, &desk.kb_dir);
        let tools = Arc::new(
            PluginRegistry::load(shared.sandbox.clone(), desk.plugins.clone())
                .expect("loading the plugins"),
        );
        let policies = Arc::new(
            PolicyEngine::load_for_tools(
                shared.sandbox.clone(),
                desk.policies.clone(),
                tools.clone(),
            )
            .expect("loading the policies"),
        );
        Box::leak(Box::new(DeskParts {
            desk,
            knowledge,
            tools,
            policies,
            _kb_dir: kb_dir,
        }))
    })
}

/// The help centre in `pages`, indexed in a new temporary folder.
fn index(
    runtime: &tokio::runtime::Runtime,
    embedder: &Arc<Embedder>,
    pages: &Path,
) -> (tempfile::TempDir, Arc<KnowledgeBase>) {
    let kb_dir = tempfile::tempdir().expect("temp dir");
    let knowledge = runtime.block_on(async {
        let kb = KnowledgeBase::open(&kb_dir.path().join("kb.lance"), embedder.clone())
            .await
            .expect("opening the knowledge base");
        kb.ingest(pages, ChunkingConfig::default(), &|_, _| {})
            .await
            .expect("ingesting the help centre");
        Arc::new(kb)
    });
    (kb_dir, knowledge)
}

/// The shared parts, loaded on first use.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cache = ModelCache::new(default_cache_dir());
        cache
            .ensure(&CHAT_MODEL, false)
            .expect("fetching the chat model");
        let engine = Arc::new(
            Engine::load(EngineConfig::new(cache.chat_model_path())).expect("loading the model"),
        );
        let embedder_dir = cache
            .ensure(&EMBEDDER, false)
            .expect("fetching the embedder");
        let embedder = Arc::new(Embedder::load(&embedder_dir).expect("loading the embedder"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let desk = Arc::new(Desk::default_desk().expect("loading the demo shop desk"));
        let (kb_dir, knowledge) = index(&runtime, &embedder, &desk.kb_dir);
        let sandbox = Sandbox::new(sandbox_config()).expect("sandbox");
        let tools = Arc::new(
            PluginRegistry::load(sandbox.clone(), desk.plugins.clone())
                .expect("loading the plugins"),
        );
        let policies = Arc::new(
            PolicyEngine::load_for_tools(sandbox.clone(), desk.policies.clone(), tools.clone())
                .expect("loading the policies"),
        );
        Shared {
            runtime,
            engine,
            embedder,
            sandbox,
            knowledge,
            tools,
            policies,
            desk,
            _kb_dir: kb_dir,
        }
    })
}

/// A test's agent and its own freshly seeded shop.
pub struct TestAgent {
    pub agent: Arc<Agent>,
    pub store: Arc<SqliteStore>,
}

impl TestAgent {
    /// An agent over a new demo shop seeded at [`NOW`], with the clock fixed there.
    pub fn new() -> Self {
        Self::with_knowledge(shared().knowledge.clone())
    }

    /// The same, answering questions from `knowledge`.
    pub fn with_knowledge(knowledge: Arc<KnowledgeBase>) -> Self {
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        seed::seed(store.as_ref(), NOW).expect("seeding");
        Self::over(store, knowledge)
    }

    /// An agent of the shipped desk `id` over a new store seeded with the
    /// desk's data at [`NOW`].
    pub fn on_desk(id: &str) -> Self {
        let parts = desk_parts(id);
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        seed::seed_file(store.as_ref(), &parts.desk.seed, NOW).expect("seeding");
        let gate = Arc::new(PolicyGate::new(
            parts.tools.clone(),
            parts.policies.clone(),
            store.clone(),
        ));
        Self::build(store, parts.desk.clone(), parts.knowledge.clone(), gate)
    }

    /// An agent over `store` as it is (seed it first if it is new).
    pub fn over(store: Arc<SqliteStore>, knowledge: Arc<KnowledgeBase>) -> Self {
        let shared = shared();
        let gate = Arc::new(PolicyGate::new(
            shared.tools.clone(),
            shared.policies.clone(),
            store.clone(),
        ));
        Self::build(store, shared.desk.clone(), knowledge, gate)
    }

    /// An agent of `desk` over `store` behind `gate`.
    pub fn build(
        store: Arc<SqliteStore>,
        desk: Arc<Desk>,
        knowledge: Arc<KnowledgeBase>,
        gate: Arc<PolicyGate>,
    ) -> Self {
        let shared = shared();
        let agent = Agent::builder()
            .desk(desk)
            .engine(shared.engine.clone())
            .embedder(shared.embedder.clone())
            .knowledge_base(knowledge)
            .gate(gate)
            .records(store.clone())
            .conversations(store.clone())
            .clock(Clock::fixed(NOW))
            .runtime(shared.runtime.handle().clone())
            .settings(AgentSettings::default())
            .build()
            .expect("building the agent");
        TestAgent { agent, store }
    }

    /// A new conversation of `customer`.
    pub fn conversation(&self, customer: &str) -> Conversation {
        self.agent.start(customer).expect("starting a conversation")
    }

    /// One turn, waited for.
    pub fn say(&self, conversation: &Conversation, message: &str) -> TurnOutcome {
        self.agent
            .run_turn(conversation, message, &|_| {})
            .unwrap_or_else(|e| panic!("turn {message:?} failed: {e}"))
    }

    /// The status of any order (for end-state checks).
    pub fn status(&self, order_id: &str) -> String {
        super::order_status(self.store.as_ref(), order_id)
    }

    /// Every refund in the shop.
    pub fn refund_count(&self) -> usize {
        super::rows(self.store.as_ref(), "refunds").len()
    }
}

/// A copy of the help centre plus `extra` pages, ingested into a new knowledge base.
pub fn knowledge_with(extra: &[(&str, &str)]) -> (tempfile::TempDir, Arc<KnowledgeBase>) {
    let shared = shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("kb");
    std::fs::create_dir_all(&pages).expect("kb dir");
    for entry in std::fs::read_dir(deskhand::config::builtin_kb_dir()).expect("kb") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, pages.join(path.file_name().expect("name"))).expect("copy");
    }
    for (name, text) in extra {
        std::fs::write(pages.join(name), text).expect("write page");
    }
    let knowledge = shared.runtime.block_on(async {
        let kb = KnowledgeBase::open(&dir.path().join("kb.lance"), shared.embedder.clone())
            .await
            .expect("open");
        kb.ingest(Path::new(&pages), ChunkingConfig::default(), &|_, _| {})
            .await
            .expect("ingest");
        Arc::new(kb)
    });
    (dir, knowledge)
}
