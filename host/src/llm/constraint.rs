//! Output that is valid by construction: JSON Schema constraints compiled by
//! llguidance into token masks over the model's own vocabulary.

use std::sync::Arc;

use llguidance::api::TopLevelGrammar;
use llguidance::{Matcher, ParserFactory};
use serde_json::Value;
use toktrie::{TokEnv, TokRxInfo, TokTrie, TokenId, TokenizerEnv};

use super::error::LlmError;
use super::tokenizer::ModelTokenizer;

/// The vocabulary as llguidance sees it.
struct VocabularyEnv {
    trie: TokTrie,
    tokenizer: Arc<ModelTokenizer>,
}

impl TokenizerEnv for VocabularyEnv {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    fn tokenize_bytes(&self, bytes: &[u8]) -> Vec<TokenId> {
        self.tokenizer
            .encode(&String::from_utf8_lossy(bytes))
            .unwrap_or_default()
    }
}

/// Compiles JSON Schemas into matchers for one model's vocabulary.
pub struct ConstraintCompiler {
    factory: ParserFactory,
}

/// How JSON is laid out: compact, so no tokens are spent on whitespace.
fn layout(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "x-guidance".into(),
            serde_json::json!({
                "whitespace_flexible": false,
                "item_separator": ",",
                "key_separator": ":",
                "lenient": true
            }),
        );
    }
    schema
}

impl ConstraintCompiler {
    /// Builds the token trie of `tokenizer`'s vocabulary.
    pub fn new(tokenizer: Arc<ModelTokenizer>) -> Result<Self, LlmError> {
        let mut info = TokRxInfo::new(tokenizer.vocab_size() as u32, tokenizer.eos());
        info.tok_bos = tokenizer.bos();
        let trie = TokTrie::from(&info, tokenizer.token_bytes());
        let env: TokEnv = Arc::new(VocabularyEnv { trie, tokenizer });
        let factory =
            ParserFactory::new_simple(&env).map_err(|e| LlmError::Constraint(e.to_string()))?;
        Ok(ConstraintCompiler { factory })
    }

    /// A matcher that only lets through JSON valid against `schema`.
    pub fn json(&self, schema: &Value) -> Result<Matcher, LlmError> {
        let grammar = TopLevelGrammar::from_json_schema(layout(schema));
        let parser = self.factory.create_parser(grammar).map_err(|e| {
            LlmError::Constraint(format!("the JSON Schema cannot be compiled: {e}"))
        })?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(error) = matcher.get_error() {
            return Err(LlmError::Constraint(error));
        }
        Ok(matcher)
    }
}

/// Masks `logits` to what `matcher` allows next.
pub fn apply_mask(matcher: &mut Matcher, logits: &mut [f32]) -> Result<(), LlmError> {
    let mask = matcher
        .compute_mask()
        .map_err(|e| LlmError::Constraint(e.to_string()))?;
    let size = mask.len();
    for (token, logit) in logits.iter_mut().enumerate() {
        if token >= size || !mask.is_allowed(token as TokenId) {
            *logit = f32::NEG_INFINITY;
        }
    }
    Ok(())
}
