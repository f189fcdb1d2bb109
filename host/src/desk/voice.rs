//! The assistant's voice: the fixed sentences a desk says, and the
//! instructions its model sentences are written under. Every sentence has a
//! business-neutral default that names the business, so a desk only writes
//! what it wants to say differently.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use super::file::{TemplateSection, VoiceSection};

/// What the assistant says in fixed words. Texts may use `{{ business }}`
/// and, where noted, other values (minijinja).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Voice {
    /// Who the assistant is, for the model's instructions ("the assistant of …").
    pub persona: String,
    /// The first sentence to a new customer.
    pub greeting: String,
    /// What the desk can do, said after the greeting.
    pub capabilities: String,
    /// The answer to a message the desk does not handle.
    pub out_of_scope: String,
    /// After a handoff; `{{ reference }}` is the handoff's number.
    pub handoff: String,
    /// When the help centre has no answer.
    pub no_answer: String,
    /// When the tool a message needs is not loaded.
    pub unavailable: String,
    /// When a reference names nothing of the customer's; `{{ noun }}` and
    /// `{{ id }}` name what was looked for.
    pub not_found: String,
    /// The model's instruction for a closing sentence.
    pub closing_prompt: String,
    /// The model's instruction for a greeting or thanks.
    pub small_talk_prompt: String,
    /// What the knowledge route means, for the model's tie-break.
    pub knowledge_route: String,
    /// What the out-of-scope route means, for the model's tie-break.
    pub out_of_scope_route: String,
    /// The prompt template in use, by name.
    pub template: Option<String>,
    /// The template's instruction, added to every prompt the model writes a
    /// reply under.
    pub style: Option<String>,
    /// The desk's named prompt templates.
    pub templates: BTreeMap<String, VoiceTemplate>,
    /// The prompts before any template, so that templates can be swapped.
    #[serde(skip)]
    untemplated: Prompts,
}

/// A named way of asking the model for its sentences.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct VoiceTemplate {
    pub style: Option<String>,
    pub persona: Option<String>,
    pub closing_prompt: Option<String>,
    pub small_talk_prompt: Option<String>,
}

/// The prompts a template changes.
#[derive(Debug, Clone, PartialEq, Default)]
struct Prompts {
    persona: String,
    closing_prompt: String,
    small_talk_prompt: String,
}

impl Voice {
    /// The desk's voice: its own sentences, the defaults for the rest, with
    /// `{{ business }}` filled in.
    pub fn new(business: &str, section: &VoiceSection) -> Result<Voice, String> {
        let pick = |own: &Option<String>, default: &str| -> Result<String, String> {
            let text = own.as_deref().unwrap_or(default);
            // Placeholders filled later are kept as they are written.
            render(
                text,
                &[
                    ("business", business),
                    ("reference", "{{ reference }}"),
                    ("noun", "{{ noun }}"),
                    ("id", "{{ id }}"),
                ],
            )
        };
        let templates = section
            .templates
            .iter()
            .map(|(name, t)| Ok((name.clone(), render_template(t, &pick)?)))
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        let voice = Voice {
            persona: pick(
                &section.persona,
                "the customer-support assistant of {{ business }}",
            )?,
            greeting: pick(
                &section.greeting,
                "Hello! I'm the assistant of {{ business }}.",
            )?,
            capabilities: pick(
                &section.capabilities,
                "I can help with your account and answer questions from our help centre. How can I help?",
            )?,
            out_of_scope: pick(
                &section.out_of_scope,
                "I'm sorry, but I can only help with questions about {{ business }} and your \
                 account with us. Is there something like that I can do for you?",
            )?,
            handoff: pick(
                &section.handoff,
                "I've passed this on to a colleague (reference #{{ reference }}), \
                 who will follow up with you personally as soon as possible. Thank you for your patience.",
            )?,
            no_answer: pick(
                &section.no_answer,
                "I'm sorry, I couldn't find that in our help centre, and I don't want to guess. \
                 Would you like me to pass your question on to a colleague?",
            )?,
            unavailable: pick(
                &section.unavailable,
                "I'm sorry, I can't do that right now. Would you like me to pass this on to a colleague?",
            )?,
            not_found: pick(
                &section.not_found,
                "I'm sorry, I can't find {{ noun }} {{ id }} on your account. \
                 Please check the number.",
            )?,
            closing_prompt: pick(
                &section.closing_prompt,
                "You are the polite assistant of {{ business }}. The customer has just been told \
                 the text below. Write one short closing sentence offering further help. Do not \
                 repeat or add any facts, numbers or actions.",
            )?,
            small_talk_prompt: pick(
                &section.small_talk_prompt,
                "You are the friendly assistant of {{ business }}. Reply to the customer's \
                 message with one short, warm sentence. Do not mention numbers or actions.",
            )?,
            knowledge_route: pick(
                &section.knowledge_route,
                "a question about how {{ business }} works, answered from the help centre",
            )?,
            out_of_scope_route: pick(
                &section.out_of_scope_route,
                "something unrelated to {{ business }}",
            )?,
            template: None,
            style: None,
            templates,
            untemplated: Prompts::default(),
        };
        let voice = Voice {
            untemplated: Prompts {
                persona: voice.persona.clone(),
                closing_prompt: voice.closing_prompt.clone(),
                small_talk_prompt: voice.small_talk_prompt.clone(),
            },
            ..voice
        };
        match &section.template {
            Some(name) => voice.with_template(Some(name)),
            None => Ok(voice),
        }
    }

    /// This voice under the named prompt template (`None`: under none); an
    /// unknown name is an error that lists the desk's templates.
    pub fn with_template(&self, name: Option<&str>) -> Result<Voice, String> {
        let base = &self.untemplated;
        let mut voice = Voice {
            persona: base.persona.clone(),
            closing_prompt: base.closing_prompt.clone(),
            small_talk_prompt: base.small_talk_prompt.clone(),
            template: None,
            style: None,
            ..self.clone()
        };
        let Some(name) = name else {
            return Ok(voice);
        };
        let template = self.templates.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.templates.keys().map(String::as_str).collect();
            if known.is_empty() {
                format!("there is no prompt template {name:?}: the desk defines none ([voice.templates.NAME] in desk.toml)")
            } else {
                format!(
                    "there is no prompt template {name:?}; the desk's templates are: {}",
                    known.join(", ")
                )
            }
        })?;
        let styled = |prompt: &str| match &template.style {
            Some(style) => format!("{prompt} {style}"),
            None => prompt.to_string(),
        };
        if let Some(persona) = &template.persona {
            voice.persona = persona.clone();
        }
        voice.closing_prompt = styled(
            template
                .closing_prompt
                .as_deref()
                .unwrap_or(&base.closing_prompt),
        );
        voice.small_talk_prompt = styled(
            template
                .small_talk_prompt
                .as_deref()
                .unwrap_or(&base.small_talk_prompt),
        );
        voice.template = Some(name.to_string());
        voice.style = template.style.clone();
        Ok(voice)
    }

    /// The handoff sentence for handoff number `reference`.
    pub fn handoff(&self, reference: i64) -> String {
        render(&self.handoff, &[("reference", &reference.to_string())])
            .unwrap_or_else(|_| self.handoff.clone())
    }

    /// The "not on your account" sentence.
    pub fn not_found(&self, noun: &str, id: &str) -> String {
        render(&self.not_found, &[("noun", noun), ("id", id)])
            .unwrap_or_else(|_| self.not_found.clone())
    }
}

/// A text of the desk's, or the default, with `{{ business }}` filled in.
type Pick<'a> = dyn Fn(&Option<String>, &str) -> Result<String, String> + 'a;

/// A template's texts with `{{ business }}` filled in.
fn render_template(template: &TemplateSection, pick: &Pick<'_>) -> Result<VoiceTemplate, String> {
    let own = |text: &Option<String>| -> Result<Option<String>, String> {
        text.as_ref().map(|_| pick(text, "")).transpose()
    };
    Ok(VoiceTemplate {
        style: own(&template.style)?,
        persona: own(&template.persona)?,
        closing_prompt: own(&template.closing_prompt)?,
        small_talk_prompt: own(&template.small_talk_prompt)?,
    })
}

/// `text` rendered as a minijinja template with string values.
pub fn render(text: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    let context: std::collections::BTreeMap<&str, &str> = values.iter().copied().collect();
    env.render_str(text, context)
        .map_err(|e| format!("the text {text:?} is not a valid template: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_the_business_and_keep_their_placeholders() {
        let voice = Voice::new("Lumen Telecom", &VoiceSection::default()).unwrap();
        assert!(voice.greeting.contains("Lumen Telecom"));
        assert!(voice.handoff(42).contains("#42"), "{}", voice.handoff(42));
        assert_eq!(
            voice.not_found("bill", "B1"),
            "I'm sorry, I can't find bill B1 on your account. Please check the number."
        );
    }

    #[test]
    fn a_desk_sentence_replaces_the_default() {
        let section = VoiceSection {
            out_of_scope: Some("Only {{ business }} questions, please.".into()),
            ..VoiceSection::default()
        };
        let voice = Voice::new("the shop", &section).unwrap();
        assert_eq!(voice.out_of_scope, "Only the shop questions, please.");
    }

    #[test]
    fn templates_change_the_prompts_and_can_be_swapped() {
        let mut section = VoiceSection::default();
        section.templates.insert(
            "warm".into(),
            TemplateSection {
                style: Some("Be warm to {{ business }}'s customers.".into()),
                ..TemplateSection::default()
            },
        );
        section.templates.insert(
            "formal".into(),
            TemplateSection {
                persona: Some("the formal desk of {{ business }}".into()),
                ..TemplateSection::default()
            },
        );
        section.template = Some("warm".into());
        let voice = Voice::new("Lumen", &section).unwrap();
        assert_eq!(voice.template.as_deref(), Some("warm"));
        assert!(
            voice
                .closing_prompt
                .ends_with("Be warm to Lumen's customers.")
        );
        assert!(
            voice
                .small_talk_prompt
                .ends_with("Be warm to Lumen's customers.")
        );
        // Swapping starts from the prompts without a template.
        let formal = voice.with_template(Some("formal")).unwrap();
        assert_eq!(formal.persona, "the formal desk of Lumen");
        assert!(!formal.closing_prompt.contains("Be warm"));
        assert_eq!(formal.style, None);
        let plain = formal.with_template(None).unwrap();
        assert_eq!(
            plain,
            Voice::new(
                "Lumen",
                &VoiceSection {
                    template: None,
                    ..section.clone()
                }
            )
            .unwrap()
        );
        let error = voice.with_template(Some("chirpy")).unwrap_err();
        assert!(error.contains("formal, warm"), "{error}");
    }
}
