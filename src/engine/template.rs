//! Renders a GGUF's Jinja chat template with minijinja: sandboxed (no file or network access), with
//! the Python string methods DeepSeek's templates call (`content.split('</think>')`, …) from
//! minijinja-contrib's `pycompat`, and `raise_exception` as the Hugging Face renderer defines it.
//! A template is code from the internet: its work is bounded by fuel (minijinja counts VM
//! instructions), its recursion by minijinja's limit, and its output by [`MAX_OUTPUT_BYTES`], so
//! a hostile one ends in an error instead of holding the engine forever.

use std::io::Write;

use minijinja::{context, Environment, Error, ErrorKind};

use super::protocol::TemplateMessage;

/// Instructions a template may run: DeepSeek's own templates render a 100-turn conversation in
/// about 20,000; a template looping without end stops here within a few hundred milliseconds.
const TEMPLATE_FUEL: u64 = 10_000_000;
/// The most text a template may write: far beyond any context window (128K tokens ≈ 0.5 MB).
const MAX_OUTPUT_BYTES: usize = 16 << 20;

/// A template that could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the model's chat template could not be rendered: {0}")]
pub struct TemplateError(pub String);

/// Renders `template` for `messages`. `bos`/`eos` are the model's special-token texts.
pub fn render(
    template: &str,
    messages: &[TemplateMessage],
    add_generation_prompt: bool,
    bos_token: &str,
    eos_token: &str,
) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    minijinja_contrib::add_to_environment(&mut env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function(
        "raise_exception",
        |message: String| -> Result<String, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, message))
        },
    );
    env.add_template("chat", template)
        .map_err(|e| TemplateError(e.to_string()))?;
    let tmpl = env
        .get_template("chat")
        .map_err(|e| TemplateError(e.to_string()))?;
    let mut out = BoundedText::default();
    tmpl.render_captured_to(
        context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            bos_token => bos_token,
            eos_token => eos_token,
        },
        &mut out,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::OutOfFuel => TemplateError(format!(
            "it ran more than {TEMPLATE_FUEL} steps without finishing (a loop that does not end?)"
        )),
        _ if out.overflowed => TemplateError(format!(
            "it wrote more than {} MiB of prompt",
            MAX_OUTPUT_BYTES >> 20
        )),
        _ => TemplateError(e.to_string()),
    })?;
    String::from_utf8(out.bytes).map_err(|e| TemplateError(e.to_string()))
}

/// The rendered prompt, refusing to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct BoundedText {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl Write for BoundedText {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("the prompt is too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile(template: &str) -> TemplateError {
        let started = std::time::Instant::now();
        let messages = [TemplateMessage::new("user", "hi")];
        let e = render(template, &messages, true, "<s>", "</s>").unwrap_err();
        assert!(
            started.elapsed().as_secs() < 20,
            "took {:?}",
            started.elapsed()
        );
        e
    }

    #[test]
    fn a_template_that_loops_without_end_runs_out_of_fuel() {
        let e = hostile(
            "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}",
        );
        // Either bound may stop it first; both say so.
        assert!(e.0.contains("steps") || e.0.contains("MiB"), "{e}");
    }

    #[test]
    fn a_template_that_writes_without_end_is_stopped() {
        let e = hostile("{% for a in range(100000) %}{{ 'y' * 10000 }}{% endfor %}");
        assert!(e.0.contains("MiB") || e.0.contains("steps"), "{e}");
    }

    #[test]
    fn deep_recursion_is_an_error() {
        let e = hostile("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        assert!(!e.0.is_empty());
    }
}
