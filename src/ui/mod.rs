//! The window: [`window`] is the eframe app and lays out the panels, [`input`] turns keys and
//! dropped files into commands, and the panels, one file each. Each `*_ui` function draws the state it is given and returns
//! the [`crate::app::command::Command`]s the user asked for; none of them holds a business rule.

pub(crate) mod advanced;
pub(crate) mod benchmarks;
pub mod card;
pub(crate) mod chat_pane;
pub(crate) mod cluster;
pub(crate) mod compare;
pub(crate) mod downloads;
pub(crate) mod fonts;
pub(crate) mod frame_pacing;
pub(crate) mod get_gguf;
pub(crate) mod input;
pub(crate) mod local_list;
pub(crate) mod log_panel;
pub(crate) mod machines;
pub(crate) mod memory_bar;
pub(crate) mod memory_curve;
pub(crate) mod model_status;
pub(crate) mod path_prompt;
pub(crate) mod server_plan;
pub(crate) mod servers;
pub(crate) mod side_panel;
pub mod table;
pub(crate) mod tabs;
pub(crate) mod theme;
pub mod toolbar;
pub(crate) mod top_bar;
pub mod window;
