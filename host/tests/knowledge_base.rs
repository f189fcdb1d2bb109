//! The shipped knowledge base (kb/) covers every topic and states the shop's
//! facts that policies and scenarios rely on, in chunks fit for retrieval.

use std::path::Path;

use deskhand::retrieval::{ChunkingConfig, chunk_markdown};

fn pages() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb");
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
