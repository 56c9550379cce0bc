//! Prints docs/server-plans.md: the server planner against the engines' published figures
//! (`make server-plans`).

fn main() {
    let rows = seekdeck::verify::server_plans::rows();
    print!("{}", seekdeck::verify::server_plans::markdown(&rows));
}
