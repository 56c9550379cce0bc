//! DeepSeek-R1's own chat template (tests/data/deepseek-r1.jinja, the `chat_template` of the
//! January 2025 DeepSeek-R1 tokenizer_config.json) rendered by seekdeck: a two-turn conversation
//! comes out exactly as DeepSeek's renderer produces it, with the earlier `<think>` part removed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seekdeck::engine::template::render;
use seekdeck::engine::TemplateMessage;

const R1: &str = include_str!("data/deepseek-r1.jinja");
const BOS: &str = "<｜begin▁of▁sentence｜>";
const EOS: &str = "<｜end▁of▁sentence｜>";

#[test]
fn r1_two_turns_drop_the_earlier_thinking() {
    let messages = [
        TemplateMessage::new("system", "You are helpful."),
        TemplateMessage::new("user", "What is 2+2?"),
        TemplateMessage::new(
            "assistant",
            "<think>\nTwo plus two is four.\n</think>\n\n2+2 = 4.",
        ),
        TemplateMessage::new("user", "And 3+3?"),
    ];
    let out = render(R1, &messages, true, BOS, EOS).unwrap();
    assert_eq!(
        out,
        "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>What is 2+2?<｜Assistant｜>\n\n2+2 = 4.<｜end▁of▁sentence｜><｜User｜>And 3+3?<｜Assistant｜><think>\n"
    );
}

#[test]
fn r1_without_generation_prompt_and_without_system() {
    let messages = [
        TemplateMessage::new("user", "hi"),
        TemplateMessage::new("assistant", "hello"),
    ];
    let out = render(R1, &messages, false, BOS, EOS).unwrap();
    assert_eq!(
        out,
        "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>hello<｜end▁of▁sentence｜>"
    );
}

#[test]
fn broken_templates_are_errors_not_panics() {
    let err = render("{% for %}", &[], true, BOS, EOS).unwrap_err();
    assert!(err.to_string().contains("chat template"));
    let err = render(
        "{{ raise_exception('no system role') }}",
        &[],
        true,
        BOS,
        EOS,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no system role"));
}

#[test]
fn a_long_conversation_renders_well_within_the_template_fuel() {
    // 500 turns with thinking parts: DeepSeek's template does real work per message (splitting
    // off `</think>`), far below the fuel that stops a runaway template.
    let mut messages = vec![TemplateMessage::new("system", "You are helpful.")];
    for i in 0..500 {
        messages.push(TemplateMessage::new("user", &format!("Question {i}?")));
        messages.push(TemplateMessage::new(
            "assistant",
            &format!("<think>\nthinking {i}\n</think>\n\nAnswer {i}."),
        ));
    }
    messages.push(TemplateMessage::new("user", "Last one?"));
    let out = render(R1, &messages, true, BOS, EOS).unwrap();
    assert!(out.contains("Answer 499.") && !out.contains("thinking 499"));
}
