//! Turning generated tokens into text as they come: whole characters only,
//! and never a piece of a stop string.

use super::error::LlmError;
use super::tokenizer::ModelTokenizer;

/// Incremental detokenizer with stop strings.
pub struct TextStream {
    tokens: Vec<u32>,
    /// Text decoded so far (complete characters only).
    text: String,
    /// How much of `text` was handed out.
    emitted: usize,
    stop: Vec<String>,
    stopped: bool,
}

impl TextStream {
    /// A stream that ends before any of `stop`.
    pub fn new(stop: Vec<String>) -> Self {
        TextStream {
            tokens: Vec::new(),
            text: String::new(),
            emitted: 0,
            stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
            stopped: false,
        }
    }

    /// Adds a token; returns the text that is now safe to show, if any.
    pub fn push(
        &mut self,
        tokenizer: &ModelTokenizer,
        token: u32,
    ) -> Result<Option<String>, LlmError> {
        if self.stopped {
            return Ok(None);
        }
        self.tokens.push(token);
        let decoded = tokenizer.decode(&self.tokens)?;
        // A multi-byte character split across tokens decodes as U+FFFD: wait.
        if decoded.ends_with('\u{FFFD}') {
            return Ok(None);
        }
        self.text = decoded;
        Ok(self.settle())
    }

    /// Adds text that arrived already decoded (from a model server);
    /// returns the text that is now safe to show, if any.
    pub fn push_text(&mut self, piece: &str) -> Option<String> {
        if self.stopped {
            return None;
        }
        self.text.push_str(piece);
        self.settle()
    }

    /// Cuts the text at a stop string, and releases what cannot be the
    /// start of one.
    fn settle(&mut self) -> Option<String> {
        if let Some(at) = self
            .stop
            .iter()
            .filter_map(|s| self.text.find(s.as_str()))
            .min()
        {
            self.text.truncate(at);
            self.stopped = true;
            return self.release(self.text.len());
        }
        // Hold back a tail that could still grow into a stop string.
        let hold = self
            .stop
            .iter()
            .map(|s| longest_prefix_suffix(&self.text, s))
            .max()
            .unwrap_or(0);
        self.release(self.text.len() - hold)
    }

    /// Whether a stop string was seen.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The rest of the text, at the end of generation.
    pub fn finish(&mut self) -> Option<String> {
        self.release(self.text.len())
    }

    /// All the text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn release(&mut self, upto: usize) -> Option<String> {
        let mut upto = upto.max(self.emitted);
        while !self.text.is_char_boundary(upto) {
            upto -= 1;
        }
        if upto <= self.emitted {
            return None;
        }
        let piece = self.text[self.emitted..upto].to_string();
        self.emitted = upto;
        Some(piece)
    }
}

/// The length of the longest suffix of `text` that is a proper prefix of `stop`.
fn longest_prefix_suffix(text: &str, stop: &str) -> usize {
    (1..stop.len())
        .rev()
        .find(|&n| stop.is_char_boundary(n) && text.ends_with(&stop[..n]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::longest_prefix_suffix;

    #[test]
    fn a_partial_stop_string_is_held_back() {
        assert_eq!(longest_prefix_suffix("Hello <|im", "<|im_end|>"), 4);
        assert_eq!(longest_prefix_suffix("Hello", "<|im_end|>"), 0);
        assert_eq!(longest_prefix_suffix("a\n\nUs", "\n\nUser:"), 4);
    }
}
