//! What the user asked for, as values: panels return [`Command`]s and [`App::apply`] carries them
//! out in one place ([`crate::ui::input`] turns keys and dropped files into the same commands).

use super::pickers::{PathPrompt, PendingPick, PickPurpose};
use super::{App, SortColumn};
use crate::estimate::quant::Quant;

/// A request from the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the Compare plot (true) or the model table (false) in the central panel.
    ShowCompare(bool),
    /// Pick the benchmark the Compare plot shows.
    PickBenchmark(crate::catalog::scores::ScoreKey),
    /// Remember llama.cpp's launch settings for a model (a catalog id, or a file's path).
    SetLaunchSettings {
        /// The model's key ([`crate::app::App::settings_key`] for a file).
        key: String,
        /// The settings.
        settings: crate::estimate::launch_settings::LaunchSettings,
    },
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
    /// The "What if…" field's new text (checked as typed, applied by `SetWhatIf`).
    TypeWhatIf(String),
    /// Put the keyboard focus in the search box.
    FocusSearch,
    /// The search box's new text.
    SetSearch(String),
    /// Search the usual places and the added folders again.
    Rescan,
    /// Show the "Open GGUF…" dialog.
    OpenGgufDialog,
    /// Show the "Add folder…" dialog.
    AddFolderDialog,
    /// Stop searching a folder the user added.
    RemoveFolder(std::path::PathBuf),
    /// Add one file (opened or dropped).
    OpenFile(std::path::PathBuf),
    /// Load a local file; `force` skips the "would not fit" refusal.
    Launch {
        /// The GGUF to load.
        path: std::path::PathBuf,
        /// Load even though the estimate exceeds RAM + VRAM.
        force: bool,
    },
    /// Load a local file split across this PC and the other machines that answer.
    LaunchAcross(std::path::PathBuf),
    /// Keep the refused model unloaded.
    DismissRefusal,
    /// Abort the load in progress.
    CancelLoad,
    /// Free the loaded model.
    Unload,
    /// Send the typed message.
    Send,
    /// Stop the answer being written.
    Stop,
    /// Write the last answer again.
    Regenerate,
    /// Answer with llama.cpp's built-in chat format (e.g. `deepseek3`) instead of the model's own
    /// template, which failed, and write the failed answer again.
    UseBuiltInFormat(String),
    /// Start editing question `n` of the open conversation.
    StartEdit(usize),
    /// Send the edited question.
    ResendEdit,
    /// Leave the edit.
    CancelEdit,
    /// Open a new conversation.
    NewConversation,
    /// Empty the open conversation.
    ClearConversation,
    /// Open conversation `n`.
    SelectConversation(usize),
    /// Delete conversation `n`.
    DeleteConversation(usize),
    /// Take back the conversation last emptied or deleted.
    UndoRemoval,
    /// Show a tab of the narrow window.
    ShowTab(super::Tab),
    /// The search box took the focus it was asked to take.
    SearchFocused,
    /// Drop the oldest turn and ask again (context full).
    DropOldestTurn,
    /// Show the "Export…" dialog for the open conversation.
    ExportDialog,
    /// Put the loaded model's recommended sampling settings back.
    ResetSampling,
    /// Hide the chat notices.
    DismissNotices,
    /// The typed path's new text (no file dialog available).
    TypePath(String),
    /// Use the typed path.
    SubmitPath,
    /// Give up on the typed path.
    CancelPath,
    /// Ask the Hub for a model's GGUF files (by catalog id).
    ListRemote(String),
    /// The repository field's new text.
    TypeRepo(String),
    /// Add the typed repository to a model's list (by catalog id).
    AddRepo(String),
    /// Queue a download.
    Download(crate::hub::RemoteGguf),
    /// Pause, resume or cancel download `id`.
    ControlDownload(u64, super::hub_state::DownloadAction),
    /// Show or hide the "Connect to a server…" form.
    ToggleServerForm,
    /// Open the form on saved server `0`: its name and address filled in, a new key replacing
    /// the saved one (an empty key keeps it).
    EditServer(String),
    /// Open the "Connect to a server…" form filled in with a planned server's name and base URL.
    ConnectPlanned {
        /// A name for the server, e.g. "SGLang on 8× H200".
        name: String,
        /// Its base URL.
        address: String,
    },
    /// Remember the card's server-plan choice (server, engine, weights, context, cache).
    SetServerPlan(super::server_plan_view::ServerPlanChoice),
    /// Save the form's server and list its models.
    SubmitServerForm,
    /// Ask a saved server (by name) for its models again.
    ListServerModels(String),
    /// Put a served model in the model slot.
    UseServerModel {
        /// The saved server's name.
        server: String,
        /// The model's id on it.
        model: String,
    },
    /// Forget a saved server and its key.
    ForgetServer(String),
    /// Add the typed `host:port` to "Other machines".
    AddWorker,
    /// Remove entry `n` of "Other machines".
    RemoveWorker(usize),
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
                self.open_card();
            }
            Command::CloseCard => self.state.card_open = false,
            Command::OpenSelected => {
                if self.state.selected.is_some() {
                    self.open_card();
                }
            }
            Command::MoveSelection(delta) => self.move_selection(delta),
            Command::SetQuant(q) => self.state.quant = q,
            Command::SetCtx(c) => {
                self.state.ctx_tokens = c.max(crate::estimate::placement::MIN_CTX_TOKENS);
            }
            Command::SortBy(col) => {
                if self.state.sort == col {
                    self.state.ascending = !self.state.ascending;
                } else {
                    self.state.sort = col;
                    self.state.ascending = true;
                }
            }
            Command::SetWhatIf(spec) => self.state.what_if = spec,
            Command::TypeWhatIf(text) => {
                let error = (!text.trim().is_empty())
                    .then(|| super::cluster_views::what_if_machines(&text, &self.live_hw).err())
                    .flatten();
                self.what_if_typed = (text, error);
            }
            Command::FocusSearch => self.focus_search = true,
            Command::SetSearch(text) => self.search = text,
            Command::Rescan => self.local.rescan(&self.catalog.models),
            c @ (Command::ListRemote(_)
            | Command::TypeRepo(_)
            | Command::AddRepo(_)
            | Command::Download(_)
            | Command::ControlDownload(..)) => self.apply_hub(c),
            Command::SetServerPlan(choice) => self.state.server_plan = choice,
            c @ (Command::ToggleServerForm
            | Command::EditServer(_)
            | Command::ConnectPlanned { .. }
            | Command::SubmitServerForm
            | Command::ListServerModels(_)
            | Command::UseServerModel { .. }
            | Command::ForgetServer(_)) => self.apply_servers(c),
            c @ (Command::AddWorker | Command::RemoveWorker(_)) => self.apply_machines(c),
            Command::OpenGgufDialog => self.open_dialog(PickPurpose::OpenGguf, None),
            Command::AddFolderDialog => self.open_dialog(PickPurpose::AddFolder, None),
            Command::ExportDialog => {
                let c = self.chat.conversation();
                let name = format!("{}.md", file_stem(&c.title));
                self.open_dialog(PickPurpose::ExportConversation(c.id.clone()), Some(name));
            }
            Command::RemoveFolder(folder) => {
                self.local.remove_folder(&folder, &self.catalog.models);
            }
            Command::OpenFile(path) => self.local.open_file(path, &self.catalog.models),
            c @ (Command::Launch { .. } | Command::LaunchAcross(_)) => {
                self.tab = super::Tab::Chat;
                self.apply_launch(c);
            }
            Command::ShowTab(tab) => self.tab = tab,
            Command::ShowCompare(on) => self.state.compare = on,
            Command::PickBenchmark(key) => self.state.compare_key = Some(key),
            Command::SetLaunchSettings { key, settings } => {
                self.state.set_settings(&key, settings);
                self.settings_version += 1;
            }
            Command::SearchFocused => self.focus_search = false,
            Command::DismissRefusal => self.chat.session.refusal = None,
            Command::CancelLoad => self.chat.session.cancel_load(),
            Command::Unload => self.chat.session.unload(),
            c @ (Command::Send
            | Command::Stop
            | Command::Regenerate
            | Command::UseBuiltInFormat(_)
            | Command::StartEdit(_)
            | Command::ResendEdit
            | Command::CancelEdit
            | Command::NewConversation
            | Command::ClearConversation
            | Command::SelectConversation(_)
            | Command::DeleteConversation(_)
            | Command::UndoRemoval
            | Command::DropOldestTurn
            | Command::ResetSampling) => self.apply_chat(c),
            c @ (Command::TypePath(_) | Command::SubmitPath | Command::CancelPath) => {
                self.apply_path_prompt(c);
            }
            Command::DismissNotices => {
                self.chat.conversations.notices.clear();
                self.local.notice = None;
            }
        }
    }

    /// The typed-path prompt (where no file dialog can open).
    fn apply_path_prompt(&mut self, command: Command) {
        match command {
            Command::TypePath(text) => {
                if let Some(p) = &mut self.path_prompt {
                    p.text = text;
                }
            }
            Command::SubmitPath => {
                if let Some(p) = self.path_prompt.take() {
                    let text = p.text.trim();
                    if !text.is_empty() {
                        self.use_picked(p.purpose, expand_home(text));
                    }
                }
            }
            Command::CancelPath => self.path_prompt = None,
            _ => {}
        }
    }

    fn open_dialog(&mut self, purpose: PickPurpose, suggested_name: Option<String>) {
        if self.pending_pick.is_some() {
            return;
        }
        match PendingPick::open(purpose, suggested_name, self.waker()) {
            Ok(p) => self.pending_pick = Some(p),
            Err(e) => self.local.notice = Some(format!("The file dialog did not open: {e}")),
        }
    }

    /// Takes finished scans, engine events and dialog answers.
    pub(crate) fn drain_workers(&mut self) {
        self.local.drain();
        if self.hub.drain(self.state.ctx_tokens, &self.hw) {
            self.local.rescan(&self.catalog.models);
        }
        self.chat.drain_engine();
        self.servers.drain();
        self.machines
            .sync_in_use(&self.state.workers, self.chat.session.engine_workers());
        self.machines.drain();
        self.card_checks.drain();
        let Some(answer) = self.pending_pick.as_ref().and_then(PendingPick::poll) else {
            return;
        };
        let Some(pick) = self.pending_pick.take() else {
            return;
        };
        let Some(path) = answer else {
            if pick.answered_without_dialog() {
                tracing::warn!("no file dialog could open; asking for a typed path");
                let text = match (&pick.purpose, &pick.suggested_name) {
                    (PickPurpose::ExportConversation(_), Some(name)) => {
                        home_dir().join(name).display().to_string()
                    }
                    _ => String::new(),
                };
                self.path_prompt = Some(PathPrompt {
                    purpose: pick.purpose,
                    text,
                });
            }
            return;
        };
        self.use_picked(pick.purpose, path);
    }

    /// Carries out a "Get a GGUF" command.
    fn apply_hub(&mut self, command: Command) {
        match command {
            Command::ListRemote(id) => self.ask_hub(&id),
            Command::AddRepo(id) => {
                if let Some(repo) = self.hub.take_typed_repo() {
                    let added = self.state.added_repos.entry(id.clone()).or_default();
                    if !added.contains(&repo) {
                        added.push(repo);
                    }
                    self.ask_hub(&id);
                }
            }
            Command::TypeRepo(text) => self.hub.repo_typed = (text, None),
            Command::Download(file) => self.hub.download(file),
            Command::ControlDownload(id, action) => self.hub.control(id, action),
            _ => {}
        }
    }

    /// Launches a local file, on this PC or across the other machines.
    fn apply_launch(&mut self, command: Command) {
        match command {
            Command::Launch { path, force } => self.launch(&path, force),
            Command::LaunchAcross(path) => self.launch_across(&path),
            _ => {}
        }
    }

    /// Carries out an "Other machines" command.
    fn apply_machines(&mut self, command: Command) {
        match command {
            Command::AddWorker => self.machines.add_typed(&mut self.state.workers),
            Command::RemoveWorker(i) => self.machines.remove(&mut self.state.workers, i),
            _ => {}
        }
    }

    /// Carries out a chat pane command.
    fn apply_chat(&mut self, command: Command) {
        match command {
            Command::Send => self.chat.send_draft(),
            Command::Stop => self.chat.stop(),
            Command::Regenerate => self.chat.regenerate(),
            Command::UseBuiltInFormat(format) => {
                self.chat.session.chat_format = Some(format);
                self.chat.regenerate();
            }
            Command::StartEdit(i) => self.chat.start_edit(i),
            Command::ResendEdit => self.chat.resend_edit(),
            Command::CancelEdit => self.chat.draft.editing = None,
            Command::NewConversation => self.chat.new_conversation(),
            Command::ClearConversation => self.chat.clear(),
            Command::SelectConversation(i) => self.chat.select(i),
            Command::DeleteConversation(i) => self.chat.delete(i),
            Command::UndoRemoval if !self.chat.busy() => self.chat.conversations.undo(),
            Command::DropOldestTurn => self.chat.drop_oldest_and_retry(),
            Command::ResetSampling => {
                let (sampling, _) = self.chat.session.model_defaults;
                self.chat.conversation_mut().sampling = sampling;
            }
            _ => {}
        }
    }

    /// Carries out a servers command.
    fn apply_servers(&mut self, command: Command) {
        match command {
            Command::ToggleServerForm => {
                let open = !self.servers.form.open;
                self.servers.form = super::server_state::ServerForm {
                    open,
                    ..Default::default()
                };
            }
            Command::EditServer(name) => {
                if let Some(saved) = self.servers.list.get(&name) {
                    self.servers.form = super::server_state::ServerForm {
                        open: true,
                        name: saved.name.clone(),
                        address: saved.base_url.clone(),
                        editing: Some(saved.name.clone()),
                        ..Default::default()
                    };
                }
            }
            Command::ConnectPlanned { name, address } => {
                self.servers.form = super::server_state::ServerForm {
                    open: true,
                    name,
                    address,
                    ..Default::default()
                };
                self.tab = super::Tab::Chat;
            }
            Command::SubmitServerForm => self.servers.submit_form(),
            Command::ListServerModels(name) => self.servers.ask_models(&name),
            Command::UseServerModel { server, model } => {
                let Some(remote) = self.servers.remote(&server) else {
                    return;
                };
                self.servers.picked(&server, &model);
                self.tab = super::Tab::Chat;
                let defaults = self
                    .servers
                    .model_defaults(&server, &model, &self.catalog.models);
                let notify = self.waker();
                self.chat.connect(remote, &model, defaults, notify);
            }
            Command::ForgetServer(name) => self.servers.forget(&name),
            _ => {}
        }
    }

    /// Lists catalog model `id`'s repositories: the catalog's and the ones the user added.
    fn ask_hub(&mut self, id: &str) {
        let Some(m) = self.catalog.models.iter().find(|m| m.id == id) else {
            return;
        };
        let mut repos = m.gguf_repos.clone();
        for r in self.state.added_repos.get(id).into_iter().flatten() {
            if !repos.contains(r) {
                repos.push(r.clone());
            }
        }
        self.hub.ask(id, repos);
    }

    /// Does what a picked (or typed) path was asked for.
    fn use_picked(&mut self, purpose: PickPurpose, path: std::path::PathBuf) {
        match purpose {
            PickPurpose::OpenGguf => self.local.open_file(path, &self.catalog.models),
            PickPurpose::AddFolder => self.local.add_folder(path, &self.catalog.models),
            PickPurpose::ExportConversation(id) => self.chat.export(&id, &path),
        }
    }

    /// Opens the selected model's card, at its top.
    fn open_card(&mut self) {
        if !self.state.card_open {
            self.card_openings += 1;
        }
        self.state.card_open = true;
    }

    fn select(&mut self, i: usize) {
        if self.state.selected.as_deref() != self.catalog.models.get(i).map(|m| m.id.as_str()) {
            // Another model's card starts at its top too.
            self.card_openings += 1;
        }
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

/// The user's home folder (the current folder when unknown).
fn home_dir() -> std::path::PathBuf {
    std::env::var_os("HOME").map_or_else(|| ".".into(), Into::into)
}

/// A typed path with a leading `~/` taken as the home folder.
fn expand_home(text: &str) -> std::path::PathBuf {
    match text.strip_prefix("~/") {
        Some(rest) => home_dir().join(rest),
        None => text.into(),
    }
}

/// A file name from a conversation title: letters, digits and dashes.
fn file_stem(title: &str) -> String {
    let stem: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "conversation".into()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppOptions, PersistedState};

    fn app() -> App {
        App::with_state(PersistedState::default(), &AppOptions::default())
    }

    fn id_at(app: &App, index: usize) -> String {
        app.catalog.models[index].id.clone()
    }

    #[test]
    fn sorting_twice_by_a_column_reverses_it() {
        let mut a = app();
        a.apply_all(vec![Command::SortBy(SortColumn::Params)]);
        assert_eq!(
            (a.state.sort, a.state.ascending),
            (SortColumn::Params, true)
        );
        let first = a.rows[0];
        a.apply_all(vec![Command::SortBy(SortColumn::Params)]);
        assert!(!a.state.ascending);
        assert_eq!(a.rows.last(), Some(&first));
    }

    #[test]
    fn selection_moves_within_the_visible_rows_and_opens_the_card() {
        let mut a = app();
        a.apply_all(vec![Command::MoveSelection(1)]);
        assert_eq!(a.state.selected, Some(id_at(&a, a.rows[0])));
        a.apply_all(vec![Command::MoveSelection(-5)]);
        assert_eq!(a.state.selected, Some(id_at(&a, a.rows[0])));
        a.apply_all(vec![Command::OpenSelected]);
        assert!(a.state.card_open);
        assert!(
            a.views.card.is_some(),
            "the card view is computed when the card opens"
        );
        a.apply_all(vec![Command::CloseCard]);
        assert!(!a.state.card_open && a.views.card.is_none());
    }

    #[test]
    fn search_filters_rows_and_a_bad_what_if_spec_is_reported() {
        let mut a = app();
        let all = a.rows.len();
        a.apply_all(vec![Command::SetSearch("distill".into())]);
        assert!(a.rows.len() < all && !a.rows.is_empty());
        a.apply_all(vec![Command::SetWhatIf(Some("lots of GPUs".into()))]);
        assert!(a.what_if_error.is_some());
        a.apply_all(vec![Command::SetWhatIf(Some(
            "24GiB GPU, 64GiB RAM".into(),
        ))]);
        assert!(a.what_if_error.is_none());
        assert!(a.hw.simulated.is_some());
    }

    #[test]
    fn the_card_view_follows_the_context_and_caps_it_per_model() {
        let mut a = app();
        let i = a
            .catalog
            .models
            .iter()
            .position(|m| m.id == "deepseek-llm-7b")
            .expect("in the catalog");
        a.apply_all(vec![Command::OpenCard(i), Command::SetCtx(32_768)]);
        let card = a.views.card.clone().expect("open");
        assert_eq!(card.ctx.ctx_tokens, 4096);
        assert_eq!(card.ctx.capped_from, Some(32_768));
        assert_eq!(card.by_quant.len(), Quant::ALL.len());
        assert_eq!(a.fits[i].ctx_tokens, 4096);
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("What is 2+2? (quick)"), "What-is-2-2-quick");
        assert_eq!(file_stem("???"), "conversation");
    }
}
