//! The shipped knowledge base (kb/) covers every topic and states the shop's
//! facts that policies and scenarios rely on, in chunks fit for retrieval.

use std::path::Path;

use deskhand::retrieval::{ChunkingConfig, chunk_markdown};

fn pages() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/kb");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_topic_has_a_page() {
    let names: Vec<String> = pages().into_iter().map(|(name, _)| name).collect();
    assert!(names.len() >= 15, "{names:?}");
    for topic in [
        "shipping",
        "delivery",
        "tracking",
        "cancel",
        "return",
        "refund",
        "exchange",
        "payment",
        "invoice",
        "password",
        "newsletter",
        "warranty",
        "damaged",
        "contact",
        "privacy",
    ] {
        assert!(
            names.iter().any(|n| n.contains(topic)),
            "no page about {topic}: {names:?}"
        );
    }
}

#[test]
fn the_shop_facts_are_stated() {
    let all: String = pages()
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join("\n");
    for fact in [
        "**until it ships**, and only **within 10 days of purchase**",
        "**within 30 days of delivery**",
        "**unused** and in their\n**original packaging**",
        "**to your original payment method within 5 business days of approval**",
        "**above 200 €** are reviewed by a specialist",
        "**3–5 business days**",
        "**4.90 €**",
        "**free for orders above 50 €**",
        "**1–2 business days** and costs **9.90 €**",
        "**Visa, Mastercard, American Express, PayPal and gift cards**",
        "do **not** offer cash on delivery",
        "**2-year warranty**",
        "**Monday to Friday, 9:00–18:00 CET**",
        "**help@deskhand-shop.example**",
        "**emailed to you when your order ships**",
        "**download it from your\naccount page**",
    ] {
        assert!(
            all.contains(fact),
            "the knowledge base does not say {fact:?}"
        );
    }
}

#[test]
fn every_page_chunks_into_titled_sections_of_a_sensible_size() {
    let config = ChunkingConfig::default();
    for (name, text) in pages() {
        let chunks = chunk_markdown(&name, &text, config);
        assert!(chunks.len() >= 2, "{name} has {} chunks", chunks.len());
        for chunk in &chunks {
            assert!(!chunk.title.is_empty(), "{name} has no title");
            assert!(
                chunk.text.chars().count() <= config.max_chars + config.overlap_chars + 200,
                "{name}: a chunk is too long"
            );
            assert!(
                chunk.text.split_whitespace().count() >= 8,
                "{name}: a chunk is too short: {:?}",
                chunk.text
            );
        }
    }
}

mod lancedb_store {
    use std::path::Path;
    use std::sync::Arc;

    use deskhand::llm::models::{EMBEDDER, ModelCache, default_cache_dir};
    use deskhand::retrieval::{ChunkingConfig, Embedder, KnowledgeBase, SearchMode};

    fn embedder() -> Arc<Embedder> {
        let dir = ModelCache::new(default_cache_dir())
            .ensure(&EMBEDDER, false)
            .expect("fetching the embedder");
        Arc::new(Embedder::load(&dir).unwrap())
    }

    /// A private copy of kb/ that a test may edit.
    fn kb_copy() -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/kb");
        for entry in std::fs::read_dir(source).unwrap().flatten() {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
        copy
    }

    /// An empty knowledge base in a temporary folder (kept alive by the guard).
    async fn empty_kb() -> (tempfile::TempDir, KnowledgeBase) {
        let store = tempfile::tempdir().unwrap();
        let kb = KnowledgeBase::open(&store.path().join("kb.lance"), embedder())
            .await
            .unwrap();
        (store, kb)
    }

    async fn ingest(kb: &KnowledgeBase, dir: &Path) -> deskhand::retrieval::IngestReport {
        kb.ingest(dir, ChunkingConfig::default(), &|_, _| {})
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn reingesting_does_no_work_and_a_changed_page_replaces_only_its_chunks() {
        let pages = kb_copy();
        let (_store, kb) = empty_kb().await;
        let first = ingest(&kb, pages.path()).await;
        assert_eq!(first.documents, 15);
        assert_eq!(first.embedded, first.chunks);
        assert_eq!(kb.len().await.unwrap(), first.chunks);

        let again = ingest(&kb, pages.path()).await;
        assert_eq!(again.embedded, 0);
        assert!(again.changed.is_empty() && again.removed.is_empty());

        let refunds = pages.path().join("refunds.md");
        let text = std::fs::read_to_string(&refunds).unwrap();
        std::fs::write(
            &refunds,
            text.replace(
                "within 5 business days of approval",
                "within 3 business days of approval",
            ),
        )
        .unwrap();
        std::fs::remove_file(pages.path().join("newsletter.md")).unwrap();
        let edited = ingest(&kb, pages.path()).await;
        assert_eq!(edited.changed, ["refunds.md"]);
        assert_eq!(edited.removed, ["newsletter.md"]);
        assert_eq!(
            edited.embedded,
            deskhand::retrieval::chunk_markdown(
                "refunds.md",
                &std::fs::read_to_string(&refunds).unwrap(),
                ChunkingConfig::default()
            )
            .len()
        );
        assert_eq!(kb.len().await.unwrap(), edited.chunks);

        let hits = kb
            .search("how many days until my refund", SearchMode::Hybrid, 3)
            .await
            .unwrap();
        assert!(hits[0].text.contains("3 business days"), "{hits:#?}");
        let newsletter = kb
            .search("unsubscribe from the newsletter", SearchMode::Fts, 5)
            .await
            .unwrap();
        assert!(
            newsletter.iter().all(|h| h.source != "newsletter.md"),
            "a removed page is still found"
        );
    }

    #[tokio::test]
    async fn every_mode_finds_the_page_that_answers() {
        let pages = kb_copy();
        let (_store, kb) = empty_kb().await;
        ingest(&kb, pages.path()).await;
        for (question, page) in [
            ("how long does a refund take", "refunds.md"),
            ("do you take paypal", "payment-methods.md"),
            ("what are your opening hours", "contact-and-hours.md"),
            ("my mug arrived broken", "damaged-or-wrong-items.md"),
        ] {
            for mode in [SearchMode::Vector, SearchMode::Fts, SearchMode::Hybrid] {
                let hits = kb.search(question, mode, 5).await.unwrap();
                assert!(
                    hits.iter().any(|h| h.source == page),
                    "{mode:?} {question:?}: {hits:#?}"
                );
                assert!(
                    hits.windows(2).all(|w| w[0].score >= w[1].score),
                    "ranked by score"
                );
            }
        }
        let best = kb
            .search("how long does a refund take", SearchMode::Hybrid, 1)
            .await
            .unwrap();
        assert_eq!(best[0].source, "refunds.md");
        assert!(best[0].similarity > 0.6, "{}", best[0].similarity);
        let nonsense = kb
            .search(
                "quantum chromodynamics of black holes",
                SearchMode::Vector,
                1,
            )
            .await
            .unwrap();
        assert!(
            nonsense[0].similarity < best[0].similarity - 0.3,
            "weak retrieval has a low similarity"
        );
    }

    #[tokio::test]
    async fn hybrid_retrieval_meets_its_goal_on_the_labelled_questions() {
        let (_store, kb) = empty_kb().await;
        ingest(
            &kb,
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/kb"),
        )
        .await;
        let questions = deskhand::retrieval::load_questions(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../desks/shop/retrieval/questions.yaml"),
        )
        .unwrap();
        assert!(questions.len() >= 120);
        let scores = deskhand::retrieval::evaluate(&kb, &questions)
            .await
            .unwrap();
        let hybrid = scores
            .iter()
            .find(|s| s.mode == SearchMode::Hybrid)
            .unwrap();
        assert!(
            hybrid.hit_at_5 >= 0.95,
            "hybrid hit@5 {} misses {:?}",
            hybrid.hit_at_5,
            hybrid.misses
        );
        assert!(hybrid.mrr >= 0.85, "hybrid MRR {}", hybrid.mrr);
        for s in &scores {
            assert!(
                s.hit_at_1 <= s.hit_at_5 && s.mrr <= 1.0 && s.mrr >= s.hit_at_1,
                "{s:?}"
            );
        }
    }
}
