//! The eframe window around [`App`]: creating the app inside eframe (restored state, egui's repaint
//! as the background threads' waker), the frame (input → commands → panels → commands), and
//! persistence. The only place that lays out the panels.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::command::Command;
use crate::app::{App, AppOptions, PersistedState, Tab, Waker, NARROW_WINDOW_WIDTH};
use crate::ui;
use crate::ui::frame_pacing::FramePacer;

/// The side panel's width range, in points.
const SIDE_PANEL_WIDTH: egui::Rangef = egui::Rangef {
    min: 420.0,
    max: 560.0,
};

/// A waker that folds wake-ups into at most one redraw per interval (set by [`FramePacer`] from
/// the measured cost of a frame): the first after a quiet spell redraws at once, later ones join
/// a redraw scheduled at the end of the interval.
fn frame_capped_waker(ctx: egui::Context, interval_ms: Arc<AtomicU64>) -> Waker {
    let scheduled: Mutex<Option<Instant>> = Mutex::new(None);
    Waker::new(move || {
        let interval = Duration::from_millis(interval_ms.load(Ordering::Relaxed));
        let now = Instant::now();
        let mut at = scheduled.lock().unwrap_or_else(|e| e.into_inner());
        let when = match *at {
            Some(s) if now < s => s,
            Some(s) if now < s + interval => s + interval,
            _ => now,
        };
        *at = Some(when);
        // Never a zero delay: egui answers a zero-delay request with two frames ("to let things
        // settle"), which doubled the frames drawn while text streams.
        ctx.request_repaint_after(
            when.saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        );
    })
}

impl App {
    /// Creates the app inside eframe: restores persisted state, starts the background threads.
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
        ui::theme::install_text_sizes(&cc.egui_ctx);
        let interval = FramePacer::install(&cc.egui_ctx);
        let waker = frame_capped_waker(cc.egui_ctx.clone(), interval);
        let mut app = Self::with_waker(state, &options, waker);
        app.start_background(&options);
        app
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_poller();
        self.drain_workers();
        let mut commands = ui::input::keyboard_commands(ctx, self.state.card_open);
        commands.extend(ui::input::dropped_files(ctx));
        commands.extend(self.script_commands());
        self.apply_all(commands);
        self.refresh();
        if self.script_done() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.script_waiting() {
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        if self.hub.active() {
            // Progress, speed and time left of a download, twice a second.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        tracing::trace!(target: "seekdeck::frame", "frame");
        let mut commands: Vec<Command> = Vec::new();
        egui::Panel::top("top_bar")
            .show(ui, |ui| commands.extend(ui::top_bar::top_bar_ui(ui, self)));
        egui::Panel::top("toolbar")
            .show(ui, |ui| commands.extend(ui::toolbar::toolbar_ui(ui, self)));
        egui::Panel::bottom("log")
            .resizable(false)
            .show(ui, ui::log_panel::log_panel_ui);
        let narrow = ui.available_width() < NARROW_WINDOW_WIDTH;
        if narrow {
            egui::Panel::top("tabs").show(ui, |ui| {
                commands.extend(ui::tabs::tabs_ui(ui, self.tab, self.chat.busy()))
            });
        }
        if narrow && self.tab == Tab::Chat {
            egui::CentralPanel::default().show(ui, |ui| {
                commands.extend(ui::side_panel::side_panel_ui(ui, self))
            });
        } else {
            if !narrow {
                // A fixed width range: a long title or error wraps instead of widening the panel
                // (and the width remembered across restarts stays in range).
                egui::Panel::right("chat")
                    .resizable(true)
                    .default_size(SIDE_PANEL_WIDTH.min)
                    .size_range(SIDE_PANEL_WIDTH)
                    .show(ui, |ui| {
                        commands.extend(ui::side_panel::side_panel_ui(ui, self))
                    });
            }
            if let Some(view) = &self.views.card {
                egui::Panel::bottom("card")
                    .resizable(true)
                    .default_size(400.0)
                    .min_size(160.0)
                    .show(ui, |ui| commands.extend(ui::card::card_ui(ui, self, view)));
            }
            egui::CentralPanel::default().show(ui, |ui| {
                commands.extend(ui::compare::view_switch_ui(ui, self.state.compare));
                if self.state.compare {
                    commands.extend(ui::compare::compare_ui(ui, self));
                } else {
                    commands.extend(ui::table::table_ui(ui, self));
                }
            });
        }
        self.apply_all(commands);
        ui::input::remember_focus(ui.ctx());
        self.report_first_frame();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
        self.save_idle_conversation();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shut_down();
    }
}

/// Opens the window. `assume` is the `--assume` spec, if given; `started` is when the process
/// started, reported at the first frame when `SEEKDECK_REPORT_STARTUP` is set.
pub fn run_window(assume: Option<String>, started: std::time::Instant) -> eframe::Result {
    // OpenGL (glow) by default: under Mesa's software rasteriser a frame through wgpu (Vulkan,
    // lavapipe) took about 60 times the CPU of the same frame through OpenGL (llvmpipe), enough to
    // halve the model's tokens/s (`make bench-window`). `SEEKDECK_RENDERER=wgpu` picks wgpu.
    let renderer = std::env::var("SEEKDECK_RENDERER")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(eframe::Renderer::Glow);
    let options = eframe::NativeOptions {
        renderer,
        viewport: egui::ViewportBuilder::default()
            .with_title("seekdeck")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([720.0, 480.0])
            .with_icon(ui::top_bar::app_icon()),
        ..Default::default()
    };
    let app_options = AppOptions {
        scan_roots: crate::local::locations::user_roots(),
        scan_on_start: true,
        folders_file: crate::local::folders::folders_file(),
        header_cache: crate::local::HeaderCache::user_file(),
        conversations_dir: crate::chat::store::ConversationStore::user_default()
            .map(|s| s.dir().to_path_buf()),
        assume,
        poll_hardware: true,
        check_card_splits: true,
        user_catalog_dir: crate::paths::user_catalog_dir(),
        report_first_frame_from: std::env::var_os("SEEKDECK_REPORT_STARTUP").map(|_| started),
        script: crate::app::script::ChatScript::from_env(),
        hub: Some(crate::hub::HubConfig::from_env()),
        remote_headers: crate::hub::RemoteHeaders::user_file(),
        downloads_file: crate::hub::Downloads::user_file(),
        servers_file: crate::servers::ServerList::user_file(),
        server_keys_file: crate::servers::keys::KeyStore::user_file(),
        system_keyring: true,
        engine_host_exe: None,
    };
    eframe::run_native(
        "seekdeck",
        options,
        Box::new(move |cc| {
            ui::fonts::install_system_fallbacks(&cc.egui_ctx);
            Ok(Box::new(App::new(cc, app_options)))
        }),
    )
}
