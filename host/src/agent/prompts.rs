//! The prompts the agent gives the model, in one place, so that what
//! `deskhand tune` trains on is exactly what the agent asks.

use crate::desk::Voice;
use crate::llm::ChatMessage;

/// Labels of a tie-break's two options, in order.
pub const TIE_BREAK_OPTIONS: [&str; 2] = ["Option A", "Option B"];

/// What the small-talk route means, for a tie-break.
pub const SMALL_TALK_ROUTE: &str = "a greeting, thanks or goodbye";
/// What the route to a person means, for a tie-break.
pub const HUMAN_ROUTE: &str = "the customer wants to talk to a person";

/// What a tool's route means, for a tie-break.
pub fn tool_route(name: &str, description: Option<&str>) -> String {
    match description {
        Some(description) => format!("use the tool {name}: {description}"),
        None => format!("use the tool {name}"),
    }
}

/// The model picks which of two routes fits a message; it answers with one
/// of [`TIE_BREAK_OPTIONS`].
pub fn tie_break(
    business: &str,
    message: &str,
    option_a: &str,
    option_b: &str,
) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(
            "system",
            format!(
                "You sort the customer messages of {business}. Answer with the option that fits \
                 the message best."
            ),
        ),
        ChatMessage::new(
            "user",
            format!(
                "Message: \"{message}\"\nOption A: {option_a}\nOption B: {option_b}\nWhich option fits?"
            ),
        ),
    ]
}

/// The model fills a tool's arguments (as JSON under the tool's schema)
/// from the last messages of the conversation.
pub fn argument_fill(
    tool: &str,
    description: &str,
    recent: &[&str],
    message: &str,
) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(
            "system",
            format!(
                "Fill in the arguments of the tool {tool} ({description}) from the customer's \
                 messages. Use only what the customer wrote."
            ),
        ),
        ChatMessage::new("user", format!("{}\n{message}", recent.join("\n"))),
    ]
}

/// The system prompt of a reply the model writes alone (the prompt-only and
/// RAG-only baselines), in the voice's prompt template, with the
/// help-centre passages it may use.
pub fn model_only_system(voice: &Voice, passages: &[String]) -> String {
    let mut system = format!(
        "You are {}. Answer the customer politely, briefly and truthfully.",
        voice.persona
    );
    if let Some(style) = &voice.style {
        system.push(' ');
        system.push_str(style);
    }
    if !passages.is_empty() {
        system.push_str(" Use these passages from the help centre:\n");
        for passage in passages {
            system.push_str(&format!("\n{passage}\n"));
        }
    }
    system
}
