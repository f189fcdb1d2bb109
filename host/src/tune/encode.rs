//! Examples as token ids with the model's own chat template, and which of
//! them are trained: only what the assistant wrote (its turns and their
//! end-of-turn token), never the system prompt or the customer's words.

use std::path::Path;

use super::data::Example;
use super::error::TuneError;
use crate::llm::{ChatTemplate, GgufFile, ModelTokenizer};

/// An example as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub tokens: Vec<u32>,
    /// Whether each token is one the loss counts.
    pub trained: Vec<bool>,
}

impl Encoded {
    /// Tokens whose prediction the loss counts.
    pub fn trained_tokens(&self) -> usize {
        self.trained.iter().skip(1).filter(|&&t| t).count()
    }
}

/// The tokenizer and chat template of a model.
pub struct Encoder {
    tokenizer: ModelTokenizer,
    template: ChatTemplate,
    bos_text: String,
}

impl Encoder {
    /// The tokenizer and template of the GGUF file at `path`.
    pub fn for_model(path: &Path) -> Result<Encoder, TuneError> {
        let file = GgufFile::open(path)?;
        Encoder::from_file(&file)
    }

    pub fn from_file(file: &GgufFile) -> Result<Encoder, TuneError> {
        let tokenizer = ModelTokenizer::from_gguf(file)?;
        let text = |id: Option<u32>| id.and_then(|i| tokenizer.token_text(i)).unwrap_or_default();
        let bos_text = text(tokenizer.bos());
        let template = ChatTemplate::new(
            file.str("tokenizer.chat_template"),
            file.architecture,
            bos_text.clone(),
            text(Some(tokenizer.eos())),
        )?;
        Ok(Encoder {
            tokenizer,
            template,
            bos_text,
        })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &ModelTokenizer {
        &self.tokenizer
    }

    fn render(
        &self,
        example: &Example,
        upto: usize,
        generation_prompt: bool,
    ) -> Result<String, TuneError> {
        let text = self
            .template
            .render(&example.chat()[..upto], generation_prompt)?;
        Ok(match text.strip_prefix(self.bos_text.as_str()) {
            Some(rest) if !self.bos_text.is_empty() => rest.to_string(),
            _ => text,
        })
    }

    /// Tokens of `example`, at most `max_len`; `None` if nothing trained
    /// is left within them.
    pub fn encode(&self, example: &Example, max_len: usize) -> Result<Option<Encoded>, TuneError> {
        let mut tokens = Vec::new();
        let mut trained = Vec::new();
        if self.tokenizer.add_bos()
            && let Some(bos) = self.tokenizer.bos()
        {
            tokens.push(bos);
            trained.push(false);
        }
        let mut covered = String::new();
        let mut push = |text: &str, train: bool| -> Result<(), TuneError> {
            let ids = self.tokenizer.encode(text)?;
            trained.extend(std::iter::repeat_n(train, ids.len()));
            tokens.extend(ids);
            Ok(())
        };
        for (i, message) in example.messages.iter().enumerate() {
            if message.role != "assistant" {
                continue;
            }
            let prompt = self.render(example, i, true)?;
            let full = self.render(example, i + 1, false)?;
            let (Some(context), Some(answer)) = (
                prompt.strip_prefix(covered.as_str()),
                full.strip_prefix(prompt.as_str()),
            ) else {
                return Err(TuneError::Data(
                    "the model's chat template does not render a conversation as a prefix of its continuation; tune with a ChatML model".into(),
                ));
            };
            push(context, false)?;
            push(answer, true)?;
            covered = full;
        }
        tokens.truncate(max_len);
        trained.truncate(max_len);
        let encoded = Encoded { tokens, trained };
        Ok((encoded.trained_tokens() > 0).then_some(encoded))
    }
}
