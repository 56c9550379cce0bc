//! Renders a GGUF's Jinja chat template with minijinja: sandboxed (no file or network access), with
//! the Python string methods DeepSeek's templates call (`content.split('</think>')`, …) from
//! minijinja-contrib's `pycompat`, and `raise_exception` as the Hugging Face renderer defines it.

use minijinja::{context, Environment, Error, ErrorKind};

use super::protocol::TemplateMessage;

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
    tmpl.render(context! {
        messages => messages,
        add_generation_prompt => add_generation_prompt,
        bos_token => bos_token,
        eos_token => eos_token,
    })
    .map_err(|e| TemplateError(e.to_string()))
}
