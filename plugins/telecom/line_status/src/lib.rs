//! `line_status`: whether the customer's lines work, and the known outage
//! of their area, if any.
//!
//! This is the answer to "my internet is down": it says since when, and
//! whether the fault is already known (with its reference and expected
//! fix), so the customer knows whether to restart the router or wait.

use deskhand_plugin_sdk::{Effect, JsonSchema, NoFacts, Tool, ToolError, export_tool, now};
use deskhand_telecom::{LINES, LineView, line_not_found};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The line to check, e.g. "L1001" (without it, every line is checked).
    #[schemars(
        regex(pattern = r"^L[0-9]{4}$"),
        extend("x-deskhand" = {
            "kind": "identifier",
            "noun": "line",
            "nouns": ["line", "connection"],
            "collection": "lines"
        })
    )]
    line_id: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Status {
    count: usize,
    lines: Vec<LineView>,
    /// The state of every line checked, for the customer.
    message: String,
}

struct LineStatusTool;

impl Tool for LineStatusTool {
    type Args = Args;
    type Output = Status;
    type Facts = NoFacts;

    const NAME: &'static str = "line_status";
    const DESCRIPTION: &'static str = "Check whether the customer's internet, phone or mobile \
        lines are working: each line's status (up, down or degraded) and since when, its plan, \
        and the known outage in its area with the outage reference and the expected fix.";
    const EFFECT: Effect = Effect::ReadOnly;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "my internet is down",
            "is there an outage",
            "my internet has been down since yesterday",
            "check my line",
            "no connection at home",
            "is my fibre working?",
            "why is my broadband not working",
            "what's the status of line L1001",
        ]
    }

    fn call(args: Args) -> Result<Status, ToolError> {
        let now = now();
        let mut lines = match args.line_id.as_deref() {
            Some(id) => vec![LINES.get(id)?.ok_or_else(|| line_not_found(id))?],
            None => LINES.all(100)?,
        };
        lines.sort_by(|a, b| a.id.cmp(&b.id));
        let lines: Vec<LineView> = lines.iter().map(|line| LineView::of(line, now)).collect();
        let message = if lines.is_empty() {
            "There is no line on your account yet.".to_string()
        } else {
            lines
                .iter()
                .map(|line| line.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        Ok(Status {
            count: lines.len(),
            lines,
            message,
        })
    }
}

export_tool!(LineStatusTool);
