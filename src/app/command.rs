//! What the user asked for, as values: panels return [`Command`]s and [`App::apply`] carries them
//! out in one place. Keyboard shortcuts are turned into the same commands.

use egui::{Key, Modifiers};

use super::{App, SortColumn};
use crate::quant::Quant;

/// A request from the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Select a model by catalog index.
    Select(usize),
    /// Select a model and open its card.
    OpenCard(usize),
    /// Close the card.
    CloseCard,
    /// Open the selected model's card.
    OpenSelected,
    /// Move the selection by this many visible rows.
    MoveSelection(i32),
    /// Change quantization.
    SetQuant(Quant),
    /// Change context length.
    SetCtx(u32),
    /// Sort by a column (toggles direction when already sorted by it).
    SortBy(SortColumn),
    /// Simulate a machine (`None`: this PC).
    SetWhatIf(Option<String>),
    /// Put the keyboard focus in the search box.
    FocusSearch,
    /// The search box's new text.
    SetSearch(String),
}

/// Keyboard shortcuts: arrows move the selection, Enter opens the card, Escape closes it,
/// Ctrl+F focuses search. Arrows and Enter are left alone while a text field has focus.
pub fn keyboard_commands(ctx: &egui::Context, app: &App) -> Vec<Command> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|i| {
        let mut out = Vec::new();
        if i.consume_key(Modifiers::COMMAND, Key::F) {
            out.push(Command::FocusSearch);
        }
        if typing {
            return out;
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowDown) {
            out.push(Command::MoveSelection(1));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowUp) {
            out.push(Command::MoveSelection(-1));
        }
        if i.consume_key(Modifiers::NONE, Key::Enter) {
            out.push(Command::OpenSelected);
        }
        if i.consume_key(Modifiers::NONE, Key::Escape) && app.state.card_open {
            out.push(Command::CloseCard);
        }
        out
    })
}

impl App {
    /// Carries out a list of commands, then brings derived state up to date.
    pub fn apply_all(&mut self, commands: Vec<Command>) {
        if commands.is_empty() {
            return;
        }
        for c in commands {
            self.apply(c);
        }
        self.refresh();
    }

    /// Carries out one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Select(i) => self.select(i),
            Command::OpenCard(i) => {
                self.select(i);
                self.state.card_open = true;
            }
            Command::CloseCard => self.state.card_open = false,
            Command::OpenSelected => self.state.card_open = self.state.selected.is_some(),
            Command::MoveSelection(delta) => self.move_selection(delta),
            Command::SetQuant(q) => self.state.quant = q,
            Command::SetCtx(c) => self.state.ctx_tokens = c.max(1),
            Command::SortBy(col) => {
                if self.state.sort == col {
                    self.state.ascending = !self.state.ascending;
                } else {
                    self.state.sort = col;
                    self.state.ascending = true;
                }
            }
            Command::SetWhatIf(spec) => self.state.what_if = spec,
            Command::FocusSearch => self.focus_search = true,
            Command::SetSearch(text) => self.search = text,
        }
    }

    fn select(&mut self, i: usize) {
        if let Some(m) = self.catalog.models.get(i) {
            self.state.selected = Some(m.id.clone());
        }
    }

    fn move_selection(&mut self, delta: i32) {
        if self.rows.is_empty() {
            return;
        }
        let pos = self
            .selected_index()
            .and_then(|i| self.rows.iter().position(|&r| r == i));
        let next = match pos {
            None if delta > 0 => 0,
            None => self.rows.len() - 1,
            Some(p) => (p as i64 + i64::from(delta)).clamp(0, self.rows.len() as i64 - 1) as usize,
        };
        self.select(self.rows[next]);
    }
}
