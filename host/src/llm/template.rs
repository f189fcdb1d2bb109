//! Chat templates: the GGUF's own `tokenizer.chat_template` rendered with
//! minijinja, or a fallback per architecture when the file has none.

use minijinja::{Environment, Error, ErrorKind, context};
use serde::Serialize;

use super::error::LlmError;
use super::gguf::Architecture;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    /// A message with `role` and `content`.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// ChatML, used by SmolLM2, Qwen and most small instruct models.
const CHATML: &str = "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
/// Gemma's turns; it has no system role, so a system message leads the first user turn.
const GEMMA: &str = "{{ bos_token }}{% for message in messages %}{% if message.role == 'system' %}<start_of_turn>user\n{{ message.content }}\n{% elif message.role == 'user' and loop.index0 > 0 and messages[loop.index0 - 1].role == 'system' %}{{ message.content }}<end_of_turn>\n{% else %}<start_of_turn>{{ 'model' if message.role == 'assistant' else message.role }}\n{{ message.content }}<end_of_turn>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
    /// Whether the template came from the model file (not a fallback).
    pub from_model: bool,
}

fn raise_exception(message: String) -> Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

impl ChatTemplate {
    /// The model's template, or the fallback for `architecture`.
    pub fn new(
        source: Option<&str>,
        architecture: Architecture,
        bos: String,
        eos: String,
    ) -> Result<Self, LlmError> {
        let (text, from_model) = match source {
            Some(text) if !text.trim().is_empty() => (text.to_string(), true),
            _ => (
                match architecture {
                    Architecture::Gemma3 => GEMMA,
                    _ => CHATML,
                }
                .to_string(),
                false,
            ),
        };
        let mut env = Environment::new();
        env.set_trim_blocks(false);
        env.add_function("raise_exception", raise_exception);
        env.add_template_owned("chat", text)
            .map_err(|e| LlmError::Template(e.to_string()))?;
        Ok(ChatTemplate {
            env,
            bos,
            eos,
            from_model,
        })
    }

    /// Renders `messages`, ending with the assistant's opening when
    /// `add_generation_prompt` is set.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, LlmError> {
        self.env
            .get_template("chat")
            .and_then(|t| {
                t.render(context! {
                    messages => messages,
                    add_generation_prompt => add_generation_prompt,
                    bos_token => &self.bos,
                    eos_token => &self.eos,
                })
            })
            .map_err(|e| LlmError::Template(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A system message and a user message, ready for the assistant's turn.
    fn render_system_and_user(template: &ChatTemplate) -> String {
        let messages = [
            ChatMessage::new("system", "Be brief."),
            ChatMessage::new("user", "Hi"),
        ];
        template.render(&messages, true).unwrap()
    }

    #[test]
    fn the_chatml_fallback_renders_turns_and_the_generation_prompt() {
        let template =
            ChatTemplate::new(None, Architecture::Llama, String::new(), String::new()).unwrap();
        let text = render_system_and_user(&template);
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn gemma_folds_the_system_message_into_the_first_user_turn() {
        let template =
            ChatTemplate::new(None, Architecture::Gemma3, "<bos>".into(), String::new()).unwrap();
        let text = render_system_and_user(&template);
        assert_eq!(
            text,
            "<bos><start_of_turn>user\nBe brief.\nHi<end_of_turn>\n<start_of_turn>model\n"
        );
    }

    #[test]
    fn a_template_that_raises_reports_the_message() {
        let template = ChatTemplate::new(
            Some("{{ raise_exception('roles must alternate') }}"),
            Architecture::Llama,
            String::new(),
            String::new(),
        )
        .unwrap();
        let error = template.render(&[], true).unwrap_err();
        assert!(
            error.to_string().contains("roles must alternate"),
            "{error}"
        );
    }
}
