//! Choosing between fixed options on a server: from the log-probabilities
//! of the reply's tokens where the options part ways, the way the local
//! engine scores them.

use serde_json::Value;

use crate::llm::generation::Choice;

/// The choice the log-probabilities of `reply` (a chat completion asked
/// with `logprobs` and `top_logprobs`) give among `options`; `None` when
/// the reply has none, or none of its alternatives starts an option.
pub fn from_logprobs(reply: &Value, options: &[&str]) -> Option<Choice> {
    let tokens = reply
        .pointer("/choices/0/logprobs/content")
        .and_then(Value::as_array)?;
    let mut before = String::new();
    let mut best: Option<Vec<f32>> = None;
    for token in tokens {
        let said = before.trim_start();
        // Only where every option still agrees with what came before.
        if !options.iter().all(|o| o.starts_with(said)) {
            break;
        }
        let alternatives = token.get("top_logprobs").and_then(Value::as_array)?;
        let scores: Vec<f32> = options
            .iter()
            .map(|option| {
                let rest = &option[said.len()..];
                alternatives
                    .iter()
                    .filter_map(|alt| {
                        let text = alt.get("token")?.as_str()?;
                        let log_prob = alt.get("logprob")?.as_f64()? as f32;
                        starts(rest, text, said.is_empty()).then_some(log_prob)
                    })
                    .fold(f32::NEG_INFINITY, f32::max)
            })
            .collect();
        let distinct = scores.iter().filter(|s| s.is_finite()).count();
        // The last place that tells the options apart (or the only one).
        if distinct > 0 && (distinct == options.len() || best.is_none()) {
            best = Some(scores);
        }
        before.push_str(token.get("token").and_then(Value::as_str).unwrap_or(""));
    }
    let log_probs = best?;
    let max = log_probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = log_probs
        .iter()
        .map(|l| if l.is_finite() { (l - max).exp() } else { 0.0 })
        .collect();
    let sum: f32 = exp.iter().sum();
    let best = log_probs
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)?;
    Some(Choice {
        best,
        probabilities: exp.iter().map(|e| e / sum).collect(),
        log_probs,
    })
}

/// Whether the token `text` starts `rest`; at the very start of the reply
/// leading spaces do not count.
fn starts(rest: &str, text: &str, at_start: bool) -> bool {
    if text.is_empty() {
        return false;
    }
    if rest.starts_with(text) {
        return true;
    }
    let trimmed = text.trim_start();
    at_start && !trimmed.is_empty() && rest.trim_start().starts_with(trimmed)
}

/// The choice a constrained reply names: all probability on it.
pub fn named(value: &Value, options: &[&str]) -> Option<Choice> {
    let text = value.as_str()?;
    let best = options.iter().position(|o| *o == text)?;
    Some(Choice {
        best,
        log_probs: (0..options.len())
            .map(|i| if i == best { 0.0 } else { f32::NEG_INFINITY })
            .collect(),
        probabilities: (0..options.len())
            .map(|i| if i == best { 1.0 } else { 0.0 })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(text: &str, alternatives: &[(&str, f64)]) -> Value {
        json!({"token": text, "logprob": alternatives[0].1,
               "top_logprobs": alternatives.iter().map(|(t, l)| json!({"token": t, "logprob": l})).collect::<Vec<_>>()})
    }

    #[test]
    fn single_token_options_are_weighed_at_the_first_token() {
        let reply = json!({"choices": [{"logprobs": {"content": [
            token("4", &[("4", -0.3), ("3", -1.6), ("5", -2.5), ("Hello", -3.0)])
        ]}}]});
        let choice = from_logprobs(&reply, &["1", "2", "3", "4", "5"]).unwrap();
        assert_eq!(choice.best, 3);
        let total: f32 = choice.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-5);
        assert!(choice.probabilities[3] > choice.probabilities[2]);
        assert_eq!(choice.probabilities[0], 0.0);
    }

    #[test]
    fn options_with_a_shared_start_are_told_apart_where_they_diverge() {
        let reply = json!({"choices": [{"logprobs": {"content": [
            token("Option", &[("Option", -0.01), ("The", -5.0)]),
            token(" B", &[(" B", -0.2), (" A", -1.8)]),
        ]}}]});
        let choice = from_logprobs(&reply, &["Option A", "Option B"]).unwrap();
        assert_eq!(choice.best, 1);
        assert!(choice.probabilities[1] > 0.8);
    }

    #[test]
    fn no_logprobs_or_no_match_gives_nothing_and_a_named_reply_is_certain() {
        assert!(from_logprobs(&json!({"choices": [{}]}), &["a"]).is_none());
        let reply = json!({"choices": [{"logprobs": {"content": [token("x", &[("x", -0.1)])]}}]});
        assert!(from_logprobs(&reply, &["yes", "no"]).is_none());
        let named = named(&json!("no"), &["yes", "no"]).unwrap();
        assert_eq!(
            (named.best, named.probabilities.clone()),
            (1, vec![0.0, 1.0])
        );
        assert!(super::named(&json!("maybe"), &["yes", "no"]).is_none());
    }
}
