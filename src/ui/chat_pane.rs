//! The chat pane: conversation picker and actions, settings (system prompt, sampling), the
//! messages with a collapsible "Thinking" block and a statistics line under every answer, the
//! context meter, the context-full offer, and the input with Send / Stop.

use egui::{RichText, Ui};

use super::theme;
use crate::app::chat_state::ChatState;
use crate::app::command::Command;
use crate::app::draft::MAX_DRAFT_CHARS;
use crate::chat::{thinking, ChatMessage, Role};
use crate::engine::{FinishReason, GenerationStats};

/// Longest conversation title shown in the picker; longer ones end in "…".
const TITLE_CHARS: usize = 48;

/// Draws the chat pane. The message box, Send / Stop and the context meter sit in a panel at the
/// bottom, so no banner or long conversation can push them out of the window.
pub(crate) fn chat_pane_ui(ui: &mut Ui, chat: &mut ChatState) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Panel::bottom("chat_input")
        .resizable(false)
        .show_separator_line(false)
        .show(ui, |ui| {
            context_ui(ui, chat, &mut commands);
            input_ui(ui, chat, &mut commands);
        });
    conversation_bar_ui(ui, chat, &mut commands);
    removed_ui(ui, chat, &mut commands);
    settings_ui(ui, chat, &mut commands);
    for n in &chat.conversations.notices {
        ui.colored_label(theme::WARNING, n);
    }
    if !chat.conversations.notices.is_empty() && ui.small_button("Dismiss").clicked() {
        commands.push(Command::DismissNotices);
    }
    ui.separator();
    // Exactly the height that is left (however little), so the messages never run under the
    // message box at the bottom.
    let left = ui.available_height().max(24.0);
    egui::ScrollArea::vertical()
        .id_salt("messages")
        .auto_shrink([false, false])
        .min_scrolled_height(left)
        .max_height(left)
        .stick_to_bottom(true)
        .show(ui, |ui| messages_ui(ui, chat, &mut commands));
    commands
}

/// A title for the picker: "New conversation" when empty, cut at [`TITLE_CHARS`].
fn short_title(title: &str) -> String {
    if title.is_empty() {
        return "New conversation".to_owned();
    }
    match title.char_indices().nth(TITLE_CHARS) {
        Some((at, _)) => format!("{}…", &title[..at]),
        None => title.to_owned(),
    }
}

/// The picker on one line, the actions on the next: the buttons keep their places whatever the
/// title's length.
fn conversation_bar_ui(ui: &mut Ui, chat: &ChatState, commands: &mut Vec<Command>) {
    let idle = !chat.busy();
    ui.horizontal(|ui| {
        let label = ui.label("Conversation");
        ui.add_enabled_ui(idle, |ui| {
            egui::ComboBox::from_id_salt("conversation_pick")
                .selected_text(short_title(&chat.conversation().title))
                .truncate()
                .width(ui.available_width() - 8.0)
                .show_ui(ui, |ui| {
                    for (i, c) in chat.conversations.list.iter().enumerate() {
                        if ui
                            .selectable_label(
                                i == chat.conversations.current,
                                short_title(&c.title),
                            )
                            .clicked()
                        {
                            commands.push(Command::SelectConversation(i));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
    });
    ui.horizontal(|ui| {
        for (text, hover, command) in [
            (
                "New",
                "Start a new conversation with these settings",
                Command::NewConversation,
            ),
            (
                "Clear",
                "Remove every message of this conversation (Undo brings them back)",
                Command::ClearConversation,
            ),
            (
                "Export…",
                "Save this conversation as Markdown",
                Command::ExportDialog,
            ),
            (
                "Delete",
                "Delete this conversation (Undo brings it back)",
                Command::DeleteConversation(chat.conversations.current),
            ),
        ] {
            if ui
                .add_enabled(idle, egui::Button::new(text))
                .on_hover_text(hover)
                .clicked()
            {
                commands.push(command);
            }
        }
    });
}

/// "Conversation deleted · Undo" after Clear or Delete.
fn removed_ui(ui: &mut Ui, chat: &ChatState, commands: &mut Vec<Command>) {
    let Some(r) = &chat.conversations.removed else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "“{}” {}.",
            short_title(&r.conversation.title),
            if r.deleted { "deleted" } else { "cleared" }
        ));
        if ui
            .add_enabled(!chat.busy(), egui::Button::new("Undo"))
            .clicked()
        {
            commands.push(Command::UndoRemoval);
        }
    });
}

fn settings_ui(ui: &mut Ui, chat: &mut ChatState, commands: &mut Vec<Command>) {
    egui::CollapsingHeader::new("Settings: system prompt and sampling")
        .id_salt("chat_settings")
        .show(ui, |ui| {
            let c = chat.conversation_mut();
            let label = ui.label("System prompt");
            ui.add(
                egui::TextEdit::multiline(&mut c.system_prompt)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("Optional: how the model should behave"),
            )
            .labelled_by(label.id);
            let s = &mut c.sampling;
            egui::Grid::new("sampling_grid").num_columns(4).show(ui, |ui| {
                let l = ui.label("Temperature");
                ui.add(egui::DragValue::new(&mut s.temperature).range(0.0..=2.0).speed(0.01))
                    .labelled_by(l.id);
                let l = ui.label("Top-p");
                ui.add(egui::DragValue::new(&mut s.top_p).range(0.0..=1.0).speed(0.01))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Min-p");
                ui.add(egui::DragValue::new(&mut s.min_p).range(0.0..=1.0).speed(0.01))
                    .labelled_by(l.id);
                let l = ui.label("Max tokens");
                ui.add(egui::DragValue::new(&mut s.max_tokens).range(1..=131_072))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Seed");
                ui.add(egui::DragValue::new(&mut s.seed)).labelled_by(l.id);
                if ui
                    .button("Recommended")
                    .on_hover_text("The model's recommended settings (DeepSeek: temperature 0.6, top-p 0.95 for R1 and its distills)")
                    .clicked()
                {
                    commands.push(Command::ResetSampling);
                }
                ui.end_row();
            });
        });
}

fn messages_ui(ui: &mut Ui, chat: &mut ChatState, commands: &mut Vec<Command>) {
    let streaming = chat.busy();
    let reasoning = chat.conversation().reasoning;
    let count = chat.conversation().messages.len();
    if count == 0 {
        ui.label(RichText::new("Ask something below.").weak());
    }
    // The edit buffer is taken out while the messages are borrowed, and put back after.
    let mut editing = chat.draft.editing.take();
    for (i, message) in chat.conversation().messages.iter().enumerate() {
        let last = i + 1 == count;
        match message.role {
            Role::User => match editing.as_mut().filter(|(e, _)| *e == i) {
                Some((_, text)) => edit_ui(ui, text, commands),
                None => user_ui(ui, message, i, !streaming, commands),
            },
            Role::Assistant => answer_ui(ui, message, i, reasoning, last && streaming),
        }
    }
    chat.draft.editing = editing;
    if !streaming && chat.can_send() && count > 0 {
        let ends_with_answer = chat
            .conversation()
            .messages
            .last()
            .is_some_and(|m| m.role == Role::Assistant);
        if ends_with_answer && ui.button("Regenerate").clicked() {
            commands.push(Command::Regenerate);
        }
        if chat.session.template_failed {
            builtin_format_ui(ui, commands);
        }
    }
    if let Some(format) = &chat.session.chat_format {
        ui.label(
            RichText::new(format!(
                "Answering in llama.cpp's built-in \"{format}\" format: the model's own chat template failed."
            ))
            .weak()
            .size(11.0),
        );
    }
}

/// llama.cpp's built-in chat formats a DeepSeek model can fall back on, with the models that use
/// each (`llm_chat_template` names in the vendored llama.cpp).
const BUILTIN_FORMATS: [(&str, &str); 4] = [
    ("deepseek3", "R1, V3 and the R1 distills"),
    ("deepseek2", "V2, V2-Lite, V2.5, Coder-V2"),
    ("deepseek", "DeepSeek LLM 7B/67B, Coder 1.3B"),
    ("chatml", "a generic format most models follow"),
];

/// The way on after the model's own template failed: answer with one of llama.cpp's formats.
fn builtin_format_ui(ui: &mut Ui, commands: &mut Vec<Command>) {
    ui.label(
        RichText::new(
            "The model's own chat template failed (see the error above). Answer with one of llama.cpp's built-in formats instead:",
        )
        .color(theme::WARNING),
    );
    ui.horizontal_wrapped(|ui| {
        for (name, models) in BUILTIN_FORMATS {
            if ui
                .button(format!("Use {name}"))
                .on_hover_text(format!("llama.cpp's \"{name}\" format: {models}"))
                .clicked()
            {
                commands.push(Command::UseBuiltInFormat(name.to_owned()));
            }
        }
    });
}

fn user_ui(ui: &mut Ui, m: &ChatMessage, index: usize, idle: bool, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("You").strong().color(theme::ACCENT));
        if idle
            && ui
                .small_button("Edit")
                .on_hover_text("Edit and send again")
                .clicked()
        {
            commands.push(Command::StartEdit(index));
        }
    });
    ui.label(&m.text);
    ui.add_space(6.0);
}

fn edit_ui(ui: &mut Ui, text: &mut String, commands: &mut Vec<Command>) {
    let label = ui.label(RichText::new("Edit your question").strong());
    ui.add(egui::TextEdit::multiline(text).desired_width(f32::INFINITY))
        .labelled_by(label.id);
    ui.horizontal(|ui| {
        if ui.button("Send edited").clicked() {
            commands.push(Command::ResendEdit);
        }
        if ui.button("Cancel edit").clicked() {
            commands.push(Command::CancelEdit);
        }
    });
}

fn answer_ui(ui: &mut Ui, m: &ChatMessage, index: usize, reasoning: bool, streaming: bool) {
    ui.label(RichText::new("Assistant").strong());
    let parts = thinking::split(&m.text, reasoning);
    // A turn that failed before any reasoning arrived (a 429) has no Thinking block to show.
    let thinking = parts.thinking.filter(|t| streaming || !t.is_empty());
    if let Some(t) = thinking {
        let title = if parts.thinking_open && streaming {
            "Thinking…"
        } else {
            "Thinking"
        };
        egui::CollapsingHeader::new(RichText::new(title).italics())
            // Keyed by the message: opening another panel does not flip it.
            .id_salt(("thinking", index))
            .default_open(streaming)
            .open(if parts.thinking_open && streaming {
                Some(true)
            } else {
                None
            })
            .show(ui, |ui| {
                ui.label(RichText::new(t).weak().italics());
            });
    }
    if !parts.answer.is_empty() {
        // While it streams, the answer is plain text: a label's layout is cached between frames
        // and the text reflows as it grows; once it is complete it is shown as Markdown.
        if streaming || !looks_like_markdown(parts.answer) {
            ui.label(parts.answer);
        } else {
            markdown_ui(ui, parts.answer);
        }
        if !streaming
            && ui
                .small_button("Copy")
                .on_hover_text("Copy the answer (Markdown)")
                .clicked()
        {
            ui.copy_text(parts.answer.to_owned());
        }
    } else if streaming && parts.thinking.is_none() {
        ui.label(RichText::new("reading the prompt…").weak());
    }
    if let Some(e) = &m.error {
        ui.colored_label(theme::GAUGE_FULL, e);
    }
    if let Some(s) = &m.stats {
        let why = match m.finish {
            Some(FinishReason::Stopped) => " · stopped",
            Some(FinishReason::MaxTokens) => " · max tokens reached",
            Some(FinishReason::ContextFull) => " · context full",
            _ => "",
        };
        ui.label(
            RichText::new(format!("{}{why}", stats_line(s)))
                .weak()
                .size(11.0),
        );
    }
    ui.add_space(8.0);
}

/// Whether `text` has any Markdown a plain label would show wrongly (emphasis, code, headings,
/// lists, tables, links, quotes).
fn looks_like_markdown(text: &str) -> bool {
    text.contains(['`', '*', '_', '#', '|', '[', '>'])
        || text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("- ")
                || l.starts_with("+ ")
                || l.split_once(". ")
                    .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
}

/// Markdown as formatted text (egui_commonmark): headings, lists, tables, code blocks with their
/// own copy button. The viewer's cache lives in egui's memory, beside the widgets it serves.
fn markdown_ui(ui: &mut Ui, text: &str) {
    type Cache = std::sync::Arc<std::sync::Mutex<egui_commonmark::CommonMarkCache>>;
    let id = egui::Id::unique("seekdeck_markdown_cache");
    let cache: Cache = ui.data_mut(|d| d.get_temp_mut_or_default::<Cache>(id).clone());
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    egui_commonmark::CommonMarkViewer::new().show(ui, &mut cache, text);
}

/// An answer's statistics in words; figures that were not measured are left out.
fn stats_line(s: &GenerationStats) -> String {
    let mut parts = vec![format!("{} prompt tokens", s.prompt_tokens)];
    if s.reused_prompt_tokens > 0 {
        parts.push(format!("{} reused", s.reused_prompt_tokens));
    }
    match s.generated_tokens {
        0 => parts.push("nothing generated".into()),
        n => {
            parts.push(format!("{n} generated"));
            parts.push(format!("first token {:.2} s", s.first_token_secs));
            if n > 1 {
                parts.push(format!("{:.1} tokens/s", s.tokens_per_sec));
            }
        }
    }
    parts.join(" · ")
}

fn context_ui(ui: &mut Ui, chat: &ChatState, commands: &mut Vec<Command>) {
    if let Some((used, total)) = chat.context_use() {
        let frac = match used {
            Some(u) if total > 0 => u as f32 / total as f32,
            _ => 0.0,
        };
        let text = match used {
            Some(u) => format!("context {u} / {total} tokens"),
            None => format!("context ? / {total} tokens (counted at the next answer)"),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(text).size(11.0));
            ui.add(egui::ProgressBar::new(frac).desired_height(8.0));
        });
    }
    if chat.session.context_full && !chat.busy() {
        ui.colored_label(
            theme::WARNING,
            "The context window is full: the model cannot read more of this conversation.",
        );
        ui.horizontal(|ui| {
            if ui.button("New conversation").clicked() {
                commands.push(Command::NewConversation);
            }
            if ui
                .button("Drop oldest turn and retry")
                .on_hover_text("Forget the first question and its answer, then ask again")
                .clicked()
            {
                commands.push(Command::DropOldestTurn);
            }
        });
    }
}

fn input_ui(ui: &mut Ui, chat: &mut ChatState, commands: &mut Vec<Command>) {
    let streaming = chat.busy();
    let can_send = chat.can_send();
    let label = ui.label(RichText::new("Message").weak().size(11.0));
    // A paste longer than the box holds is cut by the box; say so (the paste is still on the
    // clipboard).
    let pasted = ui.input(|i| {
        i.events
            .iter()
            .filter_map(|e| match e {
                egui::Event::Paste(t) | egui::Event::Text(t) => Some(t.chars().count()),
                _ => None,
            })
            .max()
    });
    if let Some(n) = pasted {
        let room = MAX_DRAFT_CHARS.saturating_sub(chat.draft.text.chars().count());
        chat.draft.cut_paste = (n > room).then_some(n);
    }
    if let Some(n) = chat.draft.cut_paste {
        ui.colored_label(
            super::theme::WARNING,
            format!(
                "The paste had {n} characters; the message box holds {MAX_DRAFT_CHARS} (about twice the longest context of any DeepSeek model), so the rest was left out."
            ),
        );
    }
    let response = ui.add(
        egui::TextEdit::multiline(&mut chat.draft.text)
            .char_limit(MAX_DRAFT_CHARS)
            .id_salt("chat_input")
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text(if can_send || streaming {
                "Type a message; Enter sends, Shift+Enter starts a new line"
            } else {
                "Launch a model to chat"
            })
            .return_key(Some(egui::KeyboardShortcut::new(
                egui::Modifiers::SHIFT,
                egui::Key::Enter,
            ))),
    );
    response.clone().labelled_by(label.id);
    let enter =
        response.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter) && !i.modifiers.shift);
    ui.horizontal_wrapped(|ui| {
        if streaming {
            if ui
                .button("Stop")
                .on_hover_text("Stop the answer now")
                .clicked()
            {
                commands.push(Command::Stop);
            }
            // Live figures, redrawn when a piece arrives (no animation: it would force a redraw
            // every frame and take the CPU from the model).
            if let Some(g) = &chat.session.generation {
                let rate = g
                    .live_tokens_per_sec(std::time::Instant::now())
                    .map(|r| format!(" · {r:.1} tokens/s"))
                    .unwrap_or_default();
                let text = if g.generated_tokens == 0 {
                    "reading the prompt…".to_owned()
                } else {
                    format!("writing · {} tokens{rate}", g.generated_tokens)
                };
                ui.label(RichText::new(text).weak());
            }
        } else if ui
            .add_enabled(
                can_send && !chat.draft.text.trim().is_empty(),
                egui::Button::new("Send"),
            )
            .clicked()
            || (enter && can_send)
        {
            commands.push(Command::Send);
        }
    });
}
