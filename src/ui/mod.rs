//! The window: [`window`] is the eframe app and lays out the panels, [`input`] turns keys and
//! dropped files into commands, and the panels, one file each. Each `*_ui` function draws the state it is given and returns
//! the [`crate::app::command::Command`]s the user asked for; none of them holds a business rule.

pub mod card;
pub mod chat_pane;
pub mod fonts;
pub mod input;
pub mod local_list;
pub mod log_panel;
pub mod memory_bar;
pub mod model_status;
pub mod side_panel;
pub mod table;
pub mod theme;
pub mod toolbar;
pub mod top_bar;
pub mod window;
