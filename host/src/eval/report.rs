//! Reports of a run: `results.json` (everything, per trial, with full
//! traces), `summary.md`, and `report.html`, one self-contained page with
//! inline SVG charts and every conversation expandable.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::error::EvalError;
use super::metrics::{Latency, Rate, Summary};
use super::runner::TrialResult;
use super::tables;

/// What `results.json` holds.
#[derive(Serialize)]
struct Results<'a> {
    summary: &'a Summary,
    trials: &'a [TrialResult],
}

/// The summary as Markdown: the terminal prints it too.
pub fn summary_markdown(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# deskhand evaluation\n");
    let _ = writeln!(
        out,
        "{} scenarios, {} trials. **Pass rate {}**.\n",
        summary.scenarios, summary.trials, summary.pass_rate
    );
    let _ = writeln!(out, "| metric | value |\n|---|---|");
    let rows = metric_rows(summary);
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = writeln!(out, "\n| step | p50 | p95 | count |\n|---|---|---|---|");
    for (step, l) in &summary.step_latency {
        let _ = writeln!(
            out,
            "| {step} | {:.1} ms | {:.1} ms | {} |",
            l.p50, l.p95, l.count
        );
    }
    if summary.arms.len() > 1 || summary.replies.references > 0 || summary.replies.judged > 0 {
        out.push_str(&tables::arms(summary).markdown());
    }
    out.push_str(&tables::replies_by_tag(summary).markdown());
    if let Some(note) = tables::judge_note(summary) {
        let _ = writeln!(out, "\n{note}");
    }
    for (title, rates) in [("variant", &summary.by_variant), ("tag", &summary.by_tag)] {
        let _ = writeln!(out, "\n| {title} | pass rate |\n|---|---|");
        for (name, rate) in rates {
            let _ = writeln!(out, "| {name} | {rate} |");
        }
    }
    out
}

/// The headline metrics, in the order every report shows them.
fn metric_rows(summary: &Summary) -> Vec<(&'static str, String)> {
    let pass_k: Vec<String> = summary
        .pass_hat_k
        .iter()
        .enumerate()
        .map(|(k, v)| format!("pass^{} {v:.3}", k + 1))
        .collect();
    vec![
        ("pass rate", summary.pass_rate.to_string()),
        ("pass^k", pass_k.join(", ")),
        ("tool selection", summary.tool_selection.to_string()),
        ("arguments", summary.arguments.to_string()),
        ("policy enforcement", summary.policy_enforcement.to_string()),
        (
            "dangerous errors (action ran that policy forbids)",
            summary.dangerous_errors.to_string(),
        ),
        ("end state", summary.end_state.to_string()),
        ("reply assertions", summary.reply_assertions.to_string()),
        ("polite tone", summary.polite.to_string()),
        ("reason given on deny", summary.reason_on_deny.to_string()),
        (
            "no claimed action that did not happen",
            summary.no_false_claims.to_string(),
        ),
        ("turn latency p50 / p95", latency(&summary.turn_latency)),
        (
            "first reply text p50 / p95",
            latency(&summary.first_text_latency),
        ),
        (
            "tokens (prompt / generated)",
            format!("{} / {}", summary.prompt_tokens, summary.generated_tokens),
        ),
    ]
}

fn latency(l: &Latency) -> String {
    format!("{:.0} ms / {:.0} ms", l.p50, l.p95)
}

/// Writes `results.json`, `summary.md` and `report.html` into `dir`.
pub fn write_reports(
    dir: &Path,
    summary: &Summary,
    trials: &[TrialResult],
) -> Result<(), EvalError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvalError::Report { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = serde_json::to_string_pretty(&Results { summary, trials }).unwrap_or_default();
    let path = dir.join("results.json");
    std::fs::write(&path, json).map_err(io(&path))?;
    let path = dir.join("summary.md");
    std::fs::write(&path, summary_markdown(summary)).map_err(io(&path))?;
    let path = dir.join("report.html");
    std::fs::write(&path, html(summary, trials)).map_err(io(&path))?;
    Ok(())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of rates, as inline SVG.
fn bars(title: &str, rates: &[(String, Rate)]) -> String {
    let row = 22;
    let height = rates.len() * row + 30;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg role=\"img\" width=\"520\" height=\"{height}\" \
         viewBox=\"0 0 520 {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape(title)
    );
    for (i, (name, rate)) in rates.iter().enumerate() {
        let y = 10 + i * row;
        let width = (rate.value() * 300.0).round();
        let colour = if rate.value() >= 0.9 {
            "#2e7d32"
        } else if rate.value() >= 0.6 {
            "#f9a825"
        } else {
            "#c62828"
        };
        let _ = write!(
            svg,
            "<text x=\"150\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"158\" y=\"{y}\" width=\"{width}\" height=\"16\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{:.0} % ({}/{})</text>",
            y + 12,
            escape(name),
            164.0 + width,
            y + 12,
            rate.value() * 100.0,
            rate.passed,
            rate.total
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A histogram of turn latencies, as inline SVG.
fn histogram(trials: &[TrialResult]) -> String {
    let values: Vec<f64> = trials
        .iter()
        .flat_map(|t| t.turns.iter().map(|turn| turn.outcome.total_ms))
        .collect();
    let max = values.iter().copied().fold(1.0, f64::max);
    let buckets = 20;
    let mut counts = vec![0usize; buckets];
    for v in &values {
        counts[((v / max) * (buckets as f64 - 1.0)).round() as usize] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut svg = String::from(
        "<figure><figcaption>Turn latency (ms)</figcaption><svg role=\"img\" width=\"520\" \
         height=\"170\" viewBox=\"0 0 520 170\" xmlns=\"http://www.w3.org/2000/svg\">",
    );
    for (i, count) in counts.iter().enumerate() {
        let h = (*count as f64 / top as f64 * 120.0).round();
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"{h}\" fill=\"#1565c0\"><title>{count} turns</title></rect>",
            10 + i * 25,
            130.0 - h
        );
    }
    let _ = write!(
        svg,
        "<text x=\"10\" y=\"150\" font-size=\"12\">0</text><text x=\"470\" y=\"150\" font-size=\"12\">{max:.0}</text></svg></figure>"
    );
    svg
}

fn html(summary: &Summary, trials: &[TrialResult]) -> String {
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>deskhand evaluation</title>\
         <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.pass{color:#2e7d32}.fail{color:#c62828}\
         details{margin:.4em 0;border:1px solid #ddd;padding:.4em}summary{cursor:pointer}.user{color:#555}\
         .steps td{font-size:12px}figure{display:inline-block;margin:1em}</style></head><body>",
    );
    let _ = write!(
        page,
        "<h1>deskhand evaluation</h1><p>{} scenarios, {} trials.</p>\
         <table id=\"summary\"><caption>Summary</caption><tr><th>metric</th><th>value</th></tr>",
        summary.scenarios, summary.trials
    );
    for (name, value) in metric_rows(summary) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    page.push_str("</table><table id=\"steps\"><caption>Latency per step</caption><tr><th>step</th><th>p50</th><th>p95</th><th>count</th></tr>");
    for (step, l) in &summary.step_latency {
        let _ = write!(
            page,
            "<tr><td>{step}</td><td>{:.1} ms</td><td>{:.1} ms</td><td>{}</td></tr>",
            l.p50, l.p95, l.count
        );
    }
    page.push_str("</table>");
    page.push_str(&tables::arms(summary).html("variants", &escape));
    page.push_str(&tables::replies_by_tag(summary).html("replies-by-tag", &escape));
    if let Some(note) = tables::judge_note(summary) {
        let _ = write!(
            page,
            "<p id=\"judge\">{}</p>",
            escape(&note).replace("**", "")
        );
    }
    let as_list = |m: &std::collections::BTreeMap<String, Rate>| {
        m.iter().map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>()
    };
    page.push_str(&bars("Pass rate by variant", &as_list(&summary.by_variant)));
    page.push_str(&bars("Pass rate by tag", &as_list(&summary.by_tag)));
    page.push_str(&histogram(trials));
    page.push_str("<h2>Scenarios</h2>");
    for trial in trials {
        let status = if trial.passed {
            "<span class=\"pass\">pass</span>"
        } else {
            "<span class=\"fail\">FAIL</span>"
        };
        let _ = write!(
            page,
            "<details><summary>{status} {} <small>({}, trial {}, seed {}, {:.0} ms) {}</small></summary>",
            escape(&trial.scenario),
            escape(&trial.arm()),
            trial.trial + 1,
            trial.seed,
            trial.ms,
            escape(&trial.location)
        );
        if let Some(error) = &trial.error {
            let _ = write!(page, "<p class=\"fail\">{}</p>", escape(error));
        }
        for turn in &trial.turns {
            let _ = write!(
                page,
                "<p class=\"user\"><b>customer:</b> {}</p><p><b>deskhand:</b> {}</p><ul>",
                escape(&turn.user),
                escape(&turn.reply)
            );
            if let Some(reference) = &turn.reference {
                let _ = write!(
                    page,
                    "<li class=\"reference\">reference: {}</li>",
                    escape(reference)
                );
            }
            if let (Some(bleu), Some(bert)) = (&turn.scores.bleu, &turn.scores.bert_score) {
                let _ = write!(
                    page,
                    "<li>BLEU-2 {:.1}, BERTScore F1 {:.3}</li>",
                    bleu.bleu(2),
                    bert.f1
                );
            }
            if let Some(judge) = &turn.scores.judge {
                let _ = write!(
                    page,
                    "<li>judge: helpfulness {:.1}, clarity {:.1}, empathy {:.1}, safety {:.1}</li>",
                    judge.helpfulness, judge.clarity, judge.empathy, judge.safety
                );
            }
            for check in &turn.checks {
                let class = if check.passed { "pass" } else { "fail" };
                let _ = write!(
                    page,
                    "<li class=\"{class}\">{}: {}</li>",
                    check.kind,
                    escape(&check.detail)
                );
            }
            if turn.dangerous {
                page.push_str(
                    "<li class=\"fail\">dangerous: an action ran that policy forbids</li>",
                );
            }
            for claim in &turn.quality.false_claims {
                let _ = write!(
                    page,
                    "<li class=\"fail\">claims {claim} without it happening</li>"
                );
            }
            page.push_str("</ul><details><summary>trace</summary><table class=\"steps\">");
            for step in &turn.outcome.steps {
                let _ = write!(
                    page,
                    "<tr><td>{}</td><td>{:.1} ms</td><td>{}</td></tr>",
                    step.kind.as_str(),
                    step.ms,
                    escape(&step.summary)
                );
            }
            page.push_str("</table></details>");
        }
        if !trial.final_checks.is_empty() {
            page.push_str("<p><b>end state</b></p><ul>");
            for check in &trial.final_checks {
                let class = if check.passed { "pass" } else { "fail" };
                let _ = write!(page, "<li class=\"{class}\">{}</li>", escape(&check.detail));
            }
            page.push_str("</ul>");
        }
        page.push_str("</details>");
    }
    page.push_str("</body></html>\n");
    page
}
