//! The comparison tables of a report as rows of text, rendered as Markdown
//! for the terminal and `summary.md` and as HTML for `report.html`: the
//! variants side by side, and reply quality per tag.

use std::fmt::Write as _;

use super::metrics::Summary;
use super::replies::ReplyMetrics;

/// A table: a caption, the column names and the rows.
pub struct Table {
    pub caption: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The reply-metric columns.
const REPLY_COLUMNS: [&str; 9] = [
    "BLEU-1",
    "BLEU-2",
    "BLEU-3",
    "BERTScore F1",
    "ref. perplexity",
    "helpfulness",
    "clarity",
    "empathy",
    "safety",
];

fn reply_cells(m: &ReplyMetrics) -> Vec<String> {
    let dash = || "—".to_string();
    let mut cells: Vec<String> = if m.references == 0 {
        (0..4).map(|_| dash()).collect()
    } else {
        let mut c: Vec<String> = m.bleu.iter().map(|b| format!("{b:.1}")).collect();
        c.push(format!("{:.3}", m.bert_f1));
        c
    };
    cells.push(m.perplexity.map_or_else(dash, |p| format!("{p:.1}")));
    if m.judged == 0 {
        cells.extend((0..4).map(|_| dash()));
    } else {
        cells.extend(m.judge.values().iter().map(|v| format!("{v:.2}")));
    }
    cells
}

/// The variants (and prompt templates) side by side.
pub fn arms(summary: &Summary) -> Table {
    let mut header = vec![
        "variant",
        "trials",
        "pass rate",
        "tool selection",
        "arguments",
        "policy",
        "references",
    ];
    header.extend(REPLY_COLUMNS);
    let rows = summary
        .arms
        .iter()
        .map(|(arm, s)| {
            let mut row = vec![
                arm.clone(),
                s.trials.to_string(),
                s.pass_rate.to_string(),
                s.tool_selection.to_string(),
                s.arguments.to_string(),
                s.policy_enforcement.to_string(),
                s.replies.references.to_string(),
            ];
            row.extend(reply_cells(&s.replies));
            row
        })
        .collect();
    Table {
        caption: "Variants side by side",
        header,
        rows,
    }
}

/// Reply quality per tag, for the tags with a reference or a judged reply.
pub fn replies_by_tag(summary: &Summary) -> Table {
    let mut header = vec!["tag", "references"];
    header.extend(REPLY_COLUMNS);
    let rows = summary
        .replies_by_tag
        .iter()
        .filter(|(_, m)| m.references > 0 || m.judged > 0)
        .map(|(tag, m)| {
            let mut row = vec![tag.clone(), m.references.to_string()];
            row.extend(reply_cells(m));
            row
        })
        .collect();
    Table {
        caption: "Reply quality by tag",
        header,
        rows,
    }
}

impl Table {
    /// The table in Markdown (nothing when it has no rows).
    pub fn markdown(&self) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let mut out = format!("\n| {} |\n|", self.header.join(" | "));
        out.push_str(&"---|".repeat(self.header.len()));
        out.push('\n');
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }

    /// The table in HTML, with `escape` applied to every cell.
    pub fn html(&self, id: &str, escape: &dyn Fn(&str) -> String) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let mut out = format!("<table id=\"{id}\"><caption>{}</caption><tr>", self.caption);
        for name in &self.header {
            let _ = write!(out, "<th>{}</th>", escape(name));
        }
        out.push_str("</tr>");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
        out
    }
}

/// What the report says about the judge.
pub fn judge_note(summary: &Summary) -> Option<String> {
    let judge = summary.judge.as_ref()?;
    Some(match &judge.weak {
        Some(why) => format!(
            "Replies were judged by {}. **The judge is weak**: {why}",
            judge.model
        ),
        None => format!("Replies were judged by {}.", judge.model),
    })
}
