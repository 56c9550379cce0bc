//! The window's state and its `eframe::App` implementation; nothing else. Per-frame bookkeeping
//! lives in [`logic`], the user's requests in [`command`], drawing in [`crate::ui`].

pub mod card_checks;
pub mod chat_state;
pub mod command;
pub mod launch;
pub mod local_state;
pub mod logic;
pub mod pickers;

use serde::{Deserialize, Serialize};

use crate::catalog::{load_catalog, LoadedCatalog};
use crate::cli::DEFAULT_CTX_TOKENS;
use crate::fit::FitReport;
use crate::hardware::poller::Poller;
use crate::hardware::HardwareSnapshot;
use crate::quant::Quant;
use crate::ui;
use crate::weight_table::WeightTable;

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
    /// The "What if…" machine spec, if one is chosen. Not persisted: every start shows this PC
    /// unless `--assume` asks otherwise.
    #[serde(skip)]
    pub what_if: Option<String>,
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
            what_if: None,
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
    /// Weights of every model at every quantization.
    pub weights: WeightTable,
    /// Estimates per catalog model at the toolbar's settings, in catalog order.
    pub fits: Vec<FitReport>,
    /// Table rows to show: catalog indices after search and sort.
    pub rows: Vec<usize>,
    /// Ask the search box to take focus next frame.
    pub focus_search: bool,
    /// Models on this PC.
    pub local: local_state::LocalState,
    /// The loaded model and the conversations.
    pub chat: chat_state::ChatState,
    /// A file dialog that is open.
    pub pending_pick: Option<pickers::PendingPick>,
    /// llama.cpp's checks of the open card's GPU placement.
    pub card_checks: card_checks::CardChecks,
    /// Wakes the window from other threads (absent outside eframe).
    pub repaint: Option<egui::Context>,
    poller: Option<Poller>,
    fits_key: Option<(Quant, u32, HardwareSnapshot)>,
    report_first_frame_from: Option<std::time::Instant>,
}

impl App {
    /// Creates the app inside eframe: restores persisted state, starts the poller.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let restored: Option<PersistedState> = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY));
        Self::new_with_state(cc, restored.unwrap_or_default(), options)
    }

    /// Creates the app inside eframe from a given state (what [`App::new`] restores).
    pub fn new_with_state(
        cc: &eframe::CreationContext<'_>,
        state: PersistedState,
        options: AppOptions,
    ) -> Self {
        egui_extras::install_image_loaders(&cc.egui_ctx);
        let mut app = Self::with_state_and_repaint(state, &options, Some(cc.egui_ctx.clone()));
        if options.poll_hardware {
            let ctx = cc.egui_ctx.clone();
            match Poller::spawn(move || ctx.request_repaint()) {
                Ok(p) => app.poller = Some(p),
                Err(e) => tracing::warn!("hardware poller did not start: {e}"),
            }
        }
        if options.check_card_splits {
            let ctx = cc.egui_ctx.clone();
            app.card_checks = card_checks::CardChecks::spawn(move || ctx.request_repaint());
        }
        app
    }

    /// Creates the app without eframe (tests, benchmarks).
    pub fn with_state(state: PersistedState, options: &AppOptions) -> Self {
        Self::with_state_and_repaint(state, options, None)
    }

    fn with_state_and_repaint(
        mut state: PersistedState,
        options: &AppOptions,
        repaint: Option<egui::Context>,
    ) -> Self {
        if let Some(spec) = &options.assume {
            state.what_if = Some(spec.clone());
        }
        let catalog = load_catalog(options.user_catalog_dir.as_deref());
        for issue in &catalog.issues {
            tracing::warn!("{issue}");
        }
        let weights = WeightTable::new(&catalog.models);
        let wake = repaint.clone();
        let local = local_state::LocalState::new(
            options.scan_roots.clone(),
            options.folders_file.clone(),
            move || {
                if let Some(ctx) = &wake {
                    ctx.request_repaint();
                }
            },
        );
        let store = options
            .conversations_dir
            .clone()
            .map(crate::chat::store::ConversationStore::new);
        let mut app = Self {
            local,
            chat: chat_state::ChatState::new(store),
            pending_pick: None,
            card_checks: card_checks::CardChecks::none(),
            repaint,
            state,
            weights,
            catalog,
            live_hw: HardwareSnapshot::unknown(),
            hw: HardwareSnapshot::unknown(),
            what_if_error: None,
            search: String::new(),
            fits: Vec::new(),
            rows: Vec::new(),
            focus_search: false,
            poller: None,
            fits_key: None,
            report_first_frame_from: options.report_first_frame_from,
        };
        if options.scan_on_start {
            app.local.rescan(&app.catalog.models);
        }
        app.refresh();
        app
    }

    /// A closure that wakes the window (for worker threads).
    pub fn waker(&self) -> impl Fn() + Send + Sync + 'static {
        let ctx = self.repaint.clone();
        move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        }
    }

    /// Index of the selected model in the catalog.
    pub fn selected_index(&self) -> Option<usize> {
        let id = self.state.selected.as_deref()?;
        self.catalog.models.iter().position(|m| m.id == id)
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_poller();
        self.drain_workers();
        let mut commands = command::keyboard_commands(ctx, self);
        commands.extend(command::dropped_files(ctx));
        self.apply_all(commands);
        self.refresh();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        tracing::trace!(target: "seekdeck::frame", "frame");
        let mut commands = Vec::new();
        egui::Panel::top("top_bar")
            .show(ui, |ui| commands.extend(ui::top_bar::top_bar_ui(ui, self)));
        egui::Panel::top("toolbar")
            .show(ui, |ui| commands.extend(ui::toolbar::toolbar_ui(ui, self)));
        egui::Panel::bottom("log")
            .resizable(false)
            .show(ui, ui::log_panel::log_panel_ui);
        egui::Panel::right("chat")
            .resizable(true)
            .default_size(460.0)
            .min_size(360.0)
            .show(ui, |ui| {
                commands.extend(ui::side_panel::side_panel_ui(ui, self))
            });
        if self.state.card_open {
            if let Some(i) = self.selected_index() {
                egui::Panel::bottom("card")
                    .resizable(true)
                    .default_size(400.0)
                    .min_size(160.0)
                    .show(ui, |ui| commands.extend(ui::card::card_ui(ui, self, i)));
            }
        }
        egui::CentralPanel::default().show(ui, |ui| commands.extend(ui::table::table_ui(ui, self)));
        self.apply_all(commands);
        if let Some(started) = self.report_first_frame_from.take() {
            eprintln!("first-frame-ms: {}", started.elapsed().as_millis());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
        if self.chat.generation.is_none() {
            self.chat.save_current();
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.chat.stop();
        self.chat.save_current();
    }
}

/// Opens the window. `assume` is the `--assume` spec, if given; `started` is when the process
/// started, reported at the first frame when `SEEKDECK_REPORT_STARTUP` is set.
pub fn run_window(assume: Option<String>, started: std::time::Instant) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("seekdeck")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([720.0, 480.0])
            .with_icon(crate::ui::top_bar::app_icon()),
        ..Default::default()
    };
    let app_options = AppOptions {
        scan_roots: crate::local::locations::user_roots(),
        scan_on_start: true,
        folders_file: crate::local::folders::folders_file(),
        conversations_dir: crate::chat::store::ConversationStore::user_default()
            .map(|s| s.dir().to_path_buf()),
        assume,
        poll_hardware: true,
        check_card_splits: true,
        user_catalog_dir: crate::paths::user_catalog_dir(),
        report_first_frame_from: std::env::var_os("SEEKDECK_REPORT_STARTUP").map(|_| started),
    };
    eframe::run_native(
        "seekdeck",
        options,
        Box::new(move |cc| {
            crate::ui::fonts::install_system_fallbacks(&cc.egui_ctx);
            Ok(Box::new(App::new(cc, app_options)))
        }),
    )
}
