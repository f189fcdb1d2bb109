//! Splitting help-centre pages into chunks along their headings.
//!
//! Each `##` section becomes a chunk, prefixed with the page title so that a
//! chunk read alone still says what it is about. A section longer than
//! `max_chars` is split at paragraph (then sentence) boundaries into pieces
//! that overlap by about `overlap_chars`, so no fact is cut in half without
//! also appearing whole in a neighbour.

/// How big chunks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkingConfig {
    /// Longest chunk body, in characters (default 900).
    pub max_chars: usize,
    /// Characters repeated between neighbouring pieces of a long section (default 150).
    pub overlap_chars: usize,
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        ChunkingConfig {
            max_chars: 900,
            overlap_chars: 150,
        }
    }
}

/// One retrievable piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The document's path relative to the knowledge base, e.g. `refunds.md`.
    pub source: String,
    /// The page title (the `#` heading).
    pub title: String,
    /// The section heading (the `##` heading), or the title for the intro.
    pub heading: String,
    /// The text that is embedded and indexed: title, heading and body.
    pub text: String,
    /// Position of the chunk within its document.
    pub index: usize,
    /// SHA-256 of `text`, hex: what makes re-ingesting an unchanged base free.
    pub hash: String,
}

/// Splits one Markdown document.
pub fn chunk_markdown(source: &str, markdown: &str, config: ChunkingConfig) -> Vec<Chunk> {
    let mut title = String::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut heading: Option<String> = None;
    let mut body = String::new();
    for line in markdown.lines() {
        if let Some(text) = line.strip_prefix("# ") {
            title = text.trim().to_string();
        } else if let Some(text) = line.strip_prefix("## ") {
            sections.push((
                heading.take().unwrap_or_default(),
                std::mem::take(&mut body),
            ));
            heading = Some(text.trim().to_string());
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections.push((heading.unwrap_or_default(), body));
    let mut chunks = Vec::new();
    for (heading, body) in sections {
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        let heading = if heading.is_empty() {
            title.clone()
        } else {
            heading
        };
        for piece in split_long(body, config) {
            let text = if heading == title {
                format!("{title}\n\n{piece}")
            } else {
                format!("{title} — {heading}\n\n{piece}")
            };
            chunks.push(Chunk {
                source: source.to_string(),
                title: title.clone(),
                heading: heading.clone(),
                hash: crate::digest::sha256_hex(text.as_bytes()),
                text,
                index: chunks.len(),
            });
        }
    }
    chunks
}

/// Splits a section body into pieces of at most `max_chars`, at paragraph or
/// sentence boundaries, each starting with the tail of the previous one.
fn split_long(body: &str, config: ChunkingConfig) -> Vec<String> {
    if body.chars().count() <= config.max_chars {
        return vec![body.to_string()];
    }
    let units: Vec<&str> = body
        .split("\n\n")
        .flat_map(|paragraph| paragraph.split_inclusive(". "))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    let mut pieces = Vec::new();
    let mut current = String::new();
    for unit in units {
        if !current.is_empty()
            && current.chars().count() + unit.chars().count() + 1 > config.max_chars
        {
            pieces.push(current.clone());
            let tail: String = current
                .chars()
                .rev()
                .take(config.overlap_chars)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // Start the overlap at a word boundary.
            current = match tail.find(' ') {
                Some(space) => tail[space + 1..].to_string(),
                None => tail,
            };
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(unit);
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# Refunds\n\nIntro line.\n\n## How long does a refund take?\n\nWithin 5 business days.\n\n## Large refunds\n\nAbove 200 € a specialist reviews it.\n";

    #[test]
    fn sections_become_chunks_that_carry_their_title_and_heading() {
        let chunks = chunk_markdown("refunds.md", PAGE, ChunkingConfig::default());
        let headings: Vec<&str> = chunks.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(
            headings,
            ["Refunds", "How long does a refund take?", "Large refunds"]
        );
        assert_eq!(
            chunks[1].text,
            "Refunds — How long does a refund take?\n\nWithin 5 business days."
        );
        assert!(
            chunks
                .iter()
                .all(|c| c.source == "refunds.md" && c.title == "Refunds")
        );
        assert_eq!(
            chunks.iter().map(|c| c.index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn the_hash_changes_only_with_the_text() {
        let a = chunk_markdown("refunds.md", PAGE, ChunkingConfig::default());
        let b = chunk_markdown(
            "refunds.md",
            &PAGE.replace("200 €", "250 €"),
            ChunkingConfig::default(),
        );
        assert_eq!(a[1].hash, b[1].hash);
        assert_ne!(a[2].hash, b[2].hash);
    }

    #[test]
    fn long_sections_are_split_with_overlap_and_nothing_is_lost() {
        let sentences: Vec<String> = (0..40)
            .map(|i| format!("Fact number {i} is here."))
            .collect();
        let page = format!("# Facts\n\n## All of them\n\n{}\n", sentences.join(" "));
        let config = ChunkingConfig {
            max_chars: 200,
            overlap_chars: 40,
        };
        let chunks = chunk_markdown("facts.md", &page, config);
        assert!(chunks.len() > 3);
        for chunk in &chunks {
            let body = chunk.text.split_once("\n\n").unwrap().1;
            assert!(body.chars().count() <= 200 + 40, "{body}");
        }
        for sentence in &sentences {
            assert!(
                chunks.iter().any(|c| c.text.contains(sentence.as_str())),
                "{sentence} was lost"
            );
        }
        // Each piece after the first starts with words from the end of the previous one.
        for pair in chunks.windows(2) {
            let next = pair[1].text.split_once("\n\n").unwrap().1;
            let first_word = next.split(' ').next().unwrap();
            assert!(pair[0].text.contains(first_word));
        }
    }
}
