//! The window's panels, one file each. Each `*_ui` function draws the state it is given and returns
//! the [`crate::app::command::Command`]s the user asked for; none of them holds a business rule.

pub mod card;
pub mod memory_bar;
pub mod table;
pub mod theme;
pub mod toolbar;
pub mod top_bar;
