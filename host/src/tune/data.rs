//! Training examples: conversations in the chat format that PEFT's and
//! TRL's tooling use (`{"messages": [{"role": …, "content": …}, …]}` per
//! line of a JSONL file), where the model learns the assistant's turns.

use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::error::TuneError;
use crate::llm::ChatMessage;

/// One conversation to learn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub messages: Vec<Message>,
    /// Where it came from ("tool routing", "help centre", "customer service", a file).
    #[serde(default, alias = "category")]
    pub source: String,
}

/// One message of an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Example {
    /// A system prompt, one question and its answer.
    pub fn exchange(source: &str, system: &str, user: &str, assistant: &str) -> Example {
        let m = |role: &str, content: &str| Message {
            role: role.into(),
            content: content.into(),
        };
        Example {
            messages: vec![
                m("system", system),
                m("user", user),
                m("assistant", assistant),
            ],
            source: source.into(),
        }
    }

    /// The messages as the chat template takes them.
    pub fn chat(&self) -> Vec<ChatMessage> {
        self.messages
            .iter()
            .map(|m| ChatMessage::new(&m.role, m.content.clone()))
            .collect()
    }

    fn check(&self) -> Result<(), String> {
        if !self.messages.iter().any(|m| m.role == "assistant") {
            return Err("no assistant message to learn from".into());
        }
        if let Some(m) = self
            .messages
            .iter()
            .find(|m| !["system", "user", "assistant"].contains(&m.role.as_str()))
        {
            return Err(format!(
                "role {:?} is none of system, user, assistant",
                m.role
            ));
        }
        Ok(())
    }
}

/// Reads a JSONL file of examples; every bad line is reported with its
/// number, and nothing is read if one is bad.
pub fn read_jsonl(path: &Path) -> Result<Vec<Example>, TuneError> {
    let text = std::fs::read_to_string(path).map_err(|e| TuneError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse_jsonl(&text, &path.display().to_string())
}

/// Parses JSONL text of examples; `source` names it in errors and in the
/// examples that name no source.
pub fn parse_jsonl(text: &str, source: &str) -> Result<Vec<Example>, TuneError> {
    let mut examples = Vec::new();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Example>(line)
            .map_err(|e| e.to_string())
            .and_then(|e| e.check().map(|_| e))
        {
            Ok(mut example) => {
                if example.source.is_empty() {
                    example.source = source.to_string();
                }
                examples.push(example);
            }
            Err(why) => problems.push(format!("line {}: {why}", number + 1)),
        }
    }
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        return Err(TuneError::Data(format!(
            "{source}: {} bad lines ({}); each line must be {{\"messages\": [{{\"role\": \"user\", \"content\": \"…\"}}, {{\"role\": \"assistant\", \"content\": \"…\"}}]}}",
            problems.len(),
            shown.join("; ")
        )));
    }
    Ok(examples)
}

/// Splits `examples` into training and validation sets: a seeded shuffle,
/// then `fraction` of each source held out (at least one of a source with
/// two or more examples), so every kind of example is validated.
pub fn split(examples: Vec<Example>, fraction: f64, seed: u64) -> (Vec<Example>, Vec<Example>) {
    let mut by_source: std::collections::BTreeMap<String, Vec<Example>> = Default::default();
    for example in examples {
        by_source
            .entry(example.source.clone())
            .or_default()
            .push(example);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut validation) = (Vec::new(), Vec::new());
    for (_, mut group) in by_source {
        group.shuffle(&mut rng);
        let held = if group.len() >= 2 {
            ((group.len() as f64 * fraction).round() as usize).max(1)
        } else {
            0
        };
        validation.extend(group.drain(..held));
        train.extend(group);
    }
    train.shuffle(&mut rng);
    (train, validation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_and_good_ones_read() {
        let good = r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello!"}]}"#;
        assert_eq!(parse_jsonl(good, "f").unwrap().len(), 1);
        let bad =
            format!("{good}\n{{\"messages\":[{{\"role\":\"user\",\"content\":\"x\"}}]}}\nnot json");
        let error = parse_jsonl(&bad, "f.jsonl").unwrap_err().to_string();
        assert!(error.contains("line 2: no assistant"), "{error}");
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn the_split_holds_out_part_of_every_source() {
        let examples: Vec<Example> = (0..20)
            .map(|i| {
                Example::exchange(
                    if i % 2 == 0 { "a" } else { "b" },
                    "s",
                    &format!("q{i}"),
                    "a",
                )
            })
            .collect();
        let (train, validation) = split(examples.clone(), 0.1, 7);
        assert_eq!(train.len() + validation.len(), 20);
        assert!(
            validation.iter().any(|e| e.source == "a")
                && validation.iter().any(|e| e.source == "b")
        );
        assert_eq!(split(examples, 0.1, 7).1, validation, "the split is seeded");
    }
}
