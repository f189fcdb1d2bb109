//! Comparing variants and prompt templates in one evaluation: the
//! fine-tuned variants run on the desk's tuned model (and refuse to run
//! without one), every arm gets its reply-quality numbers against the
//! scenarios' reference replies and the judge's scores, and the reports
//! show the arms side by side.

mod common;

use std::path::Path;

use common::agent::shared;
use common::eval::shop_context;
use deskhand::agent::Variant;
use deskhand::eval::{
    EvalConfig, JudgeNote, parse_scenarios, run_suite, summarise, summary_markdown,
};

const SUITE: &str = r#"
- name: a greeting and a tracking question
  tags: [greeting, track]
  customer: C001
  turns:
    - user: "hello"
      expect:
        reference: "Hello! I'm the shop's assistant. How can I help you today?"
    - user: "where is order 1006?"
      expect:
        tool: track_order
        reference: "Order 1006 is on its way. Is there anything else I can help you with?"
"#;

#[test]
fn variants_side_by_side_with_reply_metrics_and_the_judge() {
    let scenarios = parse_scenarios(Path::new("suite.yaml"), SUITE).unwrap();
    let mut context = shop_context();
    // The plumbing is what is checked here: the tuned model is the base
    // model, so the tuned variant must score exactly as the full one.
    context
        .set_tuned_engine("shop", shared().engine.clone())
        .unwrap();
    context.judge = Some(shared().engine.clone());
    let config = EvalConfig {
        variants: vec![Variant::Full, Variant::PromptOnly, Variant::Tuned],
        temperature: 0.0,
        ..EvalConfig::default()
    };
    let results = run_suite(&context, &scenarios, &config, &|_, _, _| {});
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.error.is_none()), "{results:#?}");
    let mut summary = summarise(&results);
    let arms: Vec<&str> = summary.arms.keys().map(String::as_str).collect();
    assert_eq!(arms, ["full", "prompt-only", "tuned"]);
    for (arm, numbers) in &summary.arms {
        let replies = &numbers.replies;
        assert_eq!(replies.references, 2, "{arm}");
        assert!(
            replies.bleu.iter().all(|b| (0.0..=100.0).contains(b)),
            "{arm}: {replies:?}"
        );
        assert!(
            replies.bert_f1 > 0.0 && replies.bert_f1 <= 1.0,
            "{arm}: {replies:?}"
        );
        let perplexity = replies.perplexity.expect("perplexity of the references");
        assert!(
            perplexity.is_finite() && perplexity > 1.0,
            "{arm}: {perplexity}"
        );
        assert_eq!(replies.judged, 2, "{arm}");
        assert!(
            replies
                .judge
                .values()
                .iter()
                .all(|v| (1.0..=5.0).contains(v)),
            "{arm}: {:?}",
            replies.judge
        );
    }
    assert_eq!(summary.arms["full"], summary.arms["tuned"]);
    // The whole agent tracks the order; the model alone cannot.
    assert_eq!(summary.arms["full"].tool_selection.value(), 1.0);
    assert_eq!(summary.arms["prompt-only"].tool_selection.value(), 0.0);
    assert_eq!(summary.replies_by_tag["track"].references, 6);

    summary.judge = Some(JudgeNote {
        model: "small.gguf".into(),
        weak: Some("it is a 100 MB model".into()),
    });
    let markdown = summary_markdown(&summary);
    for part in [
        "| variant | trials | pass rate |",
        "BERTScore F1",
        "| tuned | 1 |",
        "The judge is weak",
        "| track | 6 |",
    ] {
        assert!(markdown.contains(part), "{part:?} missing from\n{markdown}");
    }
}

#[test]
fn a_tuned_variant_without_a_tuned_model_is_an_error_that_says_how_to_train_one() {
    let scenarios = parse_scenarios(Path::new("suite.yaml"), SUITE).unwrap();
    let config = EvalConfig {
        variants: vec![Variant::TunedOnly],
        ..EvalConfig::default()
    };
    let results = run_suite(&shop_context(), &scenarios, &config, &|_, _, _| {});
    let error = results[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("needs a LoRA adapter"), "{error}");
    assert!(error.contains("deskhand --desk shop tune"), "{error}");
    assert!(!results[0].passed);
}

#[test]
fn prompt_templates_are_compared_as_arms() {
    let scenarios = parse_scenarios(Path::new("suite.yaml"), SUITE).unwrap();
    let templates: Vec<String> = shared().desk.voice.templates.keys().cloned().collect();
    assert!(templates.len() >= 3, "the shop defines {templates:?}");
    let config = EvalConfig {
        variants: vec![Variant::PromptOnly],
        templates: templates.iter().take(2).cloned().map(Some).collect(),
        temperature: 0.0,
        ..EvalConfig::default()
    };
    let results = run_suite(&shop_context(), &scenarios, &config, &|_, _, _| {});
    assert!(results.iter().all(|r| r.error.is_none()), "{results:#?}");
    let summary = summarise(&results);
    let arms: Vec<String> = summary.arms.keys().cloned().collect();
    assert_eq!(
        arms,
        templates
            .iter()
            .take(2)
            .map(|t| format!("prompt-only · {t}"))
            .collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.template.is_some()));
}

#[test]
fn an_unknown_template_is_refused_with_the_desk_s_templates() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deskhand"))
        .args(["--desk", "shop", "eval", "--template", "chirpy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no prompt template \"chirpy\""), "{stderr}");
    assert!(stderr.contains("empathetic"), "{stderr}");
}

#[test]
fn the_desk_s_own_template_is_kept_unless_another_is_asked_for() {
    use deskhand::eval::{NO_TEMPLATE, voice_under};
    let voice = shared()
        .desk
        .voice
        .with_template(Some("structured"))
        .unwrap();
    // Not asking for a template evaluates the voice the desk runs under.
    assert_eq!(voice_under(&voice, None).unwrap(), voice);
    let plain = voice_under(&voice, Some(NO_TEMPLATE)).unwrap();
    assert_eq!(plain.template, None);
    assert!(
        !plain
            .closing_prompt
            .contains(voice.style.as_deref().unwrap())
    );
    let friendly = voice_under(&voice, Some("friendly")).unwrap();
    assert_eq!(friendly.template.as_deref(), Some("friendly"));
}
