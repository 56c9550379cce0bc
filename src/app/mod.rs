//! The window's state, with no drawing: what survives a restart, the catalog and its estimates, the
//! models on this PC, the chat. The user's requests arrive as [`command::Command`]s applied in one
//! place; derived state is brought up to date in [`refresh`]; the eframe window that draws it all
//! is [`crate::ui::window`].

pub mod advanced_view;
pub mod card_checker;
pub(crate) mod chat_session;
pub mod chat_state;
pub mod cluster_views;
pub mod command;
pub mod conversations;
pub mod draft;
pub mod hub_state;
pub mod launch;
pub mod local_state;
pub mod machines_state;
pub(crate) mod pickers;
pub mod refresh;
pub mod script;
pub mod server_plan_view;
pub mod server_state;
pub(crate) mod views;
pub(crate) mod waker;

use crate::estimate::launch_settings::LaunchSettings;
use serde::{Deserialize, Serialize};

pub use waker::Waker;

use crate::catalog::{load_catalog, LoadedCatalog};
use crate::estimate::fit::FitReport;
use crate::estimate::placement::DEFAULT_CTX_TOKENS;
use crate::estimate::quant::Quant;
use crate::estimate::weight_table::WeightTable;
use crate::hardware::poller::Poller;
use crate::hardware::HardwareSnapshot;

/// Columns the model table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    /// Catalog order.
    Catalog,
    /// Model name.
    Name,
    /// Release year.
    Release,
    /// Total parameters.
    Params,
    /// Active parameters.
    Active,
    /// The fit verdict, then estimated size.
    Fit,
}

/// The half of a narrow window that is shown (below [`NARROW_WINDOW_WIDTH`] the table and the
/// chat take turns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// The model table and the card.
    #[default]
    Models,
    /// "On this PC", the model slot and the chat.
    Chat,
}

/// Narrower than this (in points), the window shows the table and the chat as tabs.
pub const NARROW_WINDOW_WIDTH: f32 = 1100.0;

/// What survives a restart (eframe persistence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// Quantization picked in the toolbar.
    pub quant: Quant,
    /// Context length picked in the toolbar.
    pub ctx_tokens: u32,
    /// Id of the selected model.
    pub selected: Option<String>,
    /// Whether the selected model's card is open.
    pub card_open: bool,
    /// Sort column.
    pub sort: SortColumn,
    /// Sort direction.
    pub ascending: bool,
    /// GGUF repositories the user added to a model's "Get a GGUF" list, by catalog id.
    pub added_repos: std::collections::BTreeMap<String, Vec<String>>,
    /// Other machines' `seekdeck worker`s (`host:port`), as added under "Other machines".
    #[serde(default)]
    pub workers: Vec<String>,
    /// The central panel shows the Compare plot instead of the model table.
    #[serde(default)]
    pub compare: bool,
    /// The benchmark the Compare plot shows (`None`: the one most models report).
    #[serde(default)]
    pub compare_key: Option<crate::catalog::scores::ScoreKey>,
    /// llama.cpp's launch settings per model ("Advanced"), by catalog id — or, for a file that
    /// matches no catalog model, by its path. Models left at the defaults are not listed.
    #[serde(default)]
    pub launch_settings: std::collections::BTreeMap<String, LaunchSettings>,
    /// The "What if…" machine spec, if one is chosen. Not persisted: every start shows this PC
    /// unless `--assume` asks otherwise.
    #[serde(skip)]
    pub what_if: Option<String>,
    /// The card's server plan: server, engine, weights, context, cache.
    pub server_plan: server_plan_view::ServerPlanChoice,
}

impl Default for PersistedState {
    fn default() -> Self {
        Self {
            quant: Quant::Q4_K_M,
            ctx_tokens: DEFAULT_CTX_TOKENS,
            selected: None,
            card_open: false,
            sort: SortColumn::Catalog,
            ascending: true,
            added_repos: std::collections::BTreeMap::new(),
            workers: Vec::new(),
            compare: false,
            compare_key: None,
            launch_settings: std::collections::BTreeMap::new(),
            what_if: None,
            server_plan: Default::default(),
        }
    }
}

/// What the table's estimates were computed from: quantization, context, machine, What-if
/// cluster, the launch settings' version, the other machines that answer (each device's free
/// and total memory).
type FitsKey = (
    Quant,
    u32,
    HardwareSnapshot,
    Option<String>,
    u64,
    launch::WorkersKey,
);

impl PersistedState {
    /// The launch settings remembered for `key` (a catalog id or a file's path), else the
    /// defaults.
    pub fn settings_for(&self, key: &str) -> LaunchSettings {
        self.launch_settings.get(key).cloned().unwrap_or_default()
    }

    /// Remembers `settings` for `key`; the defaults are forgotten rather than stored.
    pub fn set_settings(&mut self, key: &str, settings: LaunchSettings) {
        if settings.is_default() {
            self.launch_settings.remove(key);
        } else {
            self.launch_settings.insert(key.to_owned(), settings);
        }
    }
}

/// How the app is started.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Folders searched for GGUF files besides the user's own (the usual places; tests pass
    /// temporary trees).
    pub scan_roots: Vec<crate::local::Root>,
    /// Scan when the window opens.
    pub scan_on_start: bool,
    /// Where the folders the user adds are remembered (`None`: not remembered).
    pub folders_file: Option<std::path::PathBuf>,
    /// Where conversations are saved (`None`: not saved).
    pub conversations_dir: Option<std::path::PathBuf>,
    /// Where what GGUF headers said is remembered between runs (`None`: not remembered).
    pub header_cache: Option<std::path::PathBuf>,
    /// A simulated machine from `--assume` (becomes the "What if…" choice).
    pub assume: Option<String>,
    /// Start the live hardware poller (off in tests).
    pub poll_hardware: bool,
    /// On a GPU build, have llama.cpp check the open card's GPU placement (off in tests).
    pub check_card_splits: bool,
    /// Where user catalog files are read from.
    pub user_catalog_dir: Option<std::path::PathBuf>,
    /// When set, the first frame prints `first-frame-ms: N` (time since this instant) to stderr;
    /// `make bench-window` reads it.
    pub report_first_frame_from: Option<std::time::Instant>,
    /// A scripted chat (`make bench-window`).
    pub script: Option<script::ChatScript>,
    /// seekdeck's executable for launches across machines (`None`: this process's own; tests
    /// running inside a test binary give the real one).
    pub engine_host_exe: Option<std::path::PathBuf>,
    /// The Hub "Get a GGUF" asks and downloads from (`None`: the section says it is off).
    pub hub: Option<crate::hub::HubConfig>,
    /// Where remote headers are remembered (`None`: not remembered).
    pub remote_headers: Option<std::path::PathBuf>,
    /// Where the download queue is kept (`None`: not kept).
    pub downloads_file: Option<std::path::PathBuf>,
    /// Where the OpenAI-compatible servers connected to are remembered (`None`: not remembered).
    pub servers_file: Option<std::path::PathBuf>,
    /// Where servers' API keys are kept when the system keyring is not used or not there
    /// (`None`: not kept).
    pub server_keys_file: Option<std::path::PathBuf>,
    /// Keep API keys in the operating system's keyring (the window; tests keep them in
    /// `server_keys_file` only).
    pub system_keyring: bool,
}

/// The whole window state.
pub struct App {
    /// Persisted choices.
    pub state: PersistedState,
    /// The catalog and its problems.
    pub catalog: LoadedCatalog,
    /// The latest live reading.
    pub live_hw: HardwareSnapshot,
    /// The machine estimates are made for (live or "What if…").
    pub hw: HardwareSnapshot,
    /// Error of the current "What if…" spec, if it does not parse.
    pub what_if_error: Option<String>,
    /// Search box text.
    pub search: String,
    /// The machine spec being typed in the "What if…" field, and why it does not parse (the
    /// command line's own message), checked as it is typed.
    pub what_if_typed: (String, Option<String>),
    /// The tab shown in a narrow window.
    pub tab: Tab,
    /// Counts card openings, so each opening starts at the top of the card.
    pub card_openings: u64,
    /// Weights of every model at every quantization.
    pub weights: WeightTable,
    /// Estimates per catalog model at the toolbar's settings, in catalog order.
    pub fits: Vec<FitReport>,
    /// The "What if…" cluster, when the spec names several machines (`hw` is its main one).
    pub cluster: Option<crate::estimate::cluster::ClusterMachines>,
    /// Each model across that cluster, in catalog order (all `None` without one).
    pub cluster_fits: Vec<Option<crate::estimate::cluster::ClusterFit>>,
    /// Table rows to show: catalog indices after search and sort.
    pub rows: Vec<usize>,
    /// Ask the search box to take focus next frame.
    pub focus_search: bool,
    /// Models on this PC.
    pub local: local_state::LocalState,
    /// The loaded model and the conversations.
    pub chat: chat_state::ChatState,
    /// "Get a GGUF": remote lists and downloads.
    pub hub: hub_state::HubState,
    /// OpenAI-compatible servers: saved, their keys and model lists.
    pub servers: server_state::ServerState,
    /// Other machines' workers and what each last said.
    pub machines: machines_state::OtherMachines,
    /// A file dialog that is open.
    pub pending_pick: Option<pickers::PendingPick>,
    /// A path asked for in the window, where no file dialog could open.
    pub path_prompt: Option<pickers::PathPrompt>,
    /// What the panels draw that takes computing ([`views`]).
    pub views: views::Views,
    /// llama.cpp's checks of the open card's GPU placement.
    pub card_checks: card_checker::CardChecks,
    /// Wakes the window from other threads (a no-op outside eframe).
    pub waker: Waker,
    poller: Option<Poller>,
    fits_key: Option<FitsKey>,
    /// Bumped when any model's launch settings change, so the views compare a number each
    /// frame instead of every model's settings.
    pub(crate) settings_version: u64,
    report_first_frame_from: Option<std::time::Instant>,
    script: Option<(script::ChatScript, script::ScriptStep)>,
}

impl App {
    /// Creates the app without eframe (tests, benchmarks).
    pub fn with_state(state: PersistedState, options: &AppOptions) -> Self {
        Self::with_waker(state, options, Waker::default())
    }

    /// Creates the app with a waker for its background threads; the window's constructor
    /// ([`crate::ui::window`]) passes egui's repaint, then calls [`App::start_background`].
    pub(crate) fn with_waker(
        mut state: PersistedState,
        options: &AppOptions,
        waker: Waker,
    ) -> Self {
        if let Some(spec) = &options.assume {
            state.what_if = Some(spec.clone());
        }
        let catalog = load_catalog(options.user_catalog_dir.as_deref());
        for issue in &catalog.issues {
            tracing::warn!("{issue}");
        }
        let weights = WeightTable::new(&catalog.models);
        let local = local_state::LocalState::new(
            options.scan_roots.clone(),
            options.folders_file.clone(),
            options.header_cache.clone(),
            waker.closure(),
        );
        let store = options
            .conversations_dir
            .clone()
            .map(crate::chat::store::ConversationStore::new);
        let hub = hub_state::HubState::new(
            options.hub.clone(),
            options.remote_headers.clone(),
            options.downloads_file.clone(),
            waker.closure(),
        );
        let servers = server_state::ServerState::new(
            crate::servers::ServerList::load(options.servers_file.clone()),
            crate::servers::keys::KeyStore::new(
                options.server_keys_file.clone(),
                options.system_keyring,
            ),
            waker.clone(),
        );
        let machines = machines_state::OtherMachines::new(&state.workers, waker.clone());
        let mut app = Self {
            local,
            hub,
            servers,
            machines,
            chat: chat_state::ChatState::new(store),
            pending_pick: None,
            path_prompt: None,
            views: views::Views::default(),
            card_checks: card_checker::CardChecks::none(),
            waker,
            state,
            weights,
            catalog,
            live_hw: HardwareSnapshot::unknown(),
            hw: HardwareSnapshot::unknown(),
            what_if_error: None,
            search: String::new(),
            what_if_typed: (String::new(), None),
            tab: Tab::default(),
            card_openings: 0,
            fits: Vec::new(),
            cluster: None,
            cluster_fits: Vec::new(),
            rows: Vec::new(),
            focus_search: false,
            poller: None,
            fits_key: None,
            settings_version: 0,
            report_first_frame_from: options.report_first_frame_from,
            script: options
                .script
                .clone()
                .map(|s| (s, script::ScriptStep::Start)),
        };
        app.chat
            .session
            .host_exe
            .clone_from(&options.engine_host_exe);
        if options.scan_on_start {
            app.local.rescan(&app.catalog.models);
        }
        // The saved servers' model lists, so "Use" is there when the window is.
        let saved: Vec<String> = app
            .servers
            .list
            .servers
            .iter()
            .map(|s| s.name.clone())
            .collect();
        for name in saved {
            app.servers.ask_models(&name);
        }
        app.refresh();
        app
    }

    /// A closure that wakes the window (for worker threads).
    pub(crate) fn waker(&self) -> impl Fn() + Send + Sync + 'static {
        self.waker.closure()
    }

    /// Starts the threads a live window has and tests leave out: the hardware poller and, on a
    /// GPU build, the card's split checker.
    pub(crate) fn start_background(&mut self, options: &AppOptions) {
        if options.poll_hardware {
            match Poller::spawn(self.waker()) {
                Ok(p) => self.poller = Some(p),
                Err(e) => tracing::warn!("hardware poller did not start: {e}"),
            }
        }
        if options.check_card_splits {
            self.card_checks = card_checker::CardChecks::spawn(self.waker());
        }
    }

    /// Writes the conversation being shown (not while an answer is still being written).
    pub(crate) fn save_idle_conversation(&mut self) {
        if !self.chat.busy() {
            self.chat.save_current();
        }
    }

    /// Stops any answer and saves the conversation; the window is closing.
    pub(crate) fn shut_down(&mut self) {
        self.chat.stop();
        self.chat.save_current();
    }

    /// Prints `first-frame-ms: N` once, at the first frame, when asked to (`make bench-window`).
    pub(crate) fn report_first_frame(&mut self) {
        if let Some(started) = self.report_first_frame_from.take() {
            eprintln!("first-frame-ms: {}", started.elapsed().as_millis());
        }
    }

    /// Index of the selected model in the catalog.
    pub(crate) fn selected_index(&self) -> Option<usize> {
        let id = self.state.selected.as_deref()?;
        self.catalog.models.iter().position(|m| m.id == id)
    }
}
