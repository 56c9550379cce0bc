//! Native file dialogs (rfd) off the UI thread: each dialog runs on its own named thread and its
//! answer arrives over a channel, so the window keeps drawing while the dialog is open. Where no
//! dialog can open (no desktop portal or GTK, as under a bare X server), rfd answers "nothing
//! picked" at once; an answer faster than a person can cancel is taken to mean that, and the
//! window asks for a typed path instead ([`PathPrompt`]).

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A "nothing picked" faster than this is no dialog at all.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(1500);

/// A path typed instead of picked, for a dialog that could not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrompt {
    /// What the path is for.
    pub purpose: PickPurpose,
    /// The text typed so far.
    pub text: String,
}

/// What a dialog was opened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickPurpose {
    /// "Open GGUF…".
    OpenGguf,
    /// "Add folder…".
    AddFolder,
    /// "Export…" of the conversation with this id.
    ExportConversation(String),
}

/// An open dialog.
pub struct PendingPick {
    /// Why it was opened.
    pub purpose: PickPurpose,
    /// The file name offered (exports).
    pub suggested_name: Option<String>,
    answer: Receiver<Option<PathBuf>>,
    opened: Instant,
}

impl PendingPick {
    /// Opens the dialog for `purpose`; `notify` wakes the window when it closes.
    pub fn open(
        purpose: PickPurpose,
        suggested_name: Option<String>,
        notify: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, answer) = mpsc::channel();
        let p = purpose.clone();
        let offered = suggested_name.clone();
        std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let dialog = rfd::FileDialog::new();
                let picked = match p {
                    PickPurpose::OpenGguf => dialog
                        .set_title("Open a GGUF model")
                        .add_filter("GGUF model", &["gguf"])
                        .pick_file(),
                    PickPurpose::AddFolder => dialog
                        .set_title("Add a folder to search for GGUF models")
                        .pick_folder(),
                    PickPurpose::ExportConversation(_) => dialog
                        .set_title("Export the conversation as Markdown")
                        .add_filter("Markdown", &["md"])
                        .set_file_name(suggested_name.unwrap_or_else(|| "conversation.md".into()))
                        .save_file(),
                };
                let _ = tx.send(picked);
                notify();
            })?;
        Ok(Self {
            purpose,
            suggested_name: offered,
            answer,
            opened: Instant::now(),
        })
    }

    /// Whether an empty answer came too fast to be a person's Cancel: no dialog opened.
    pub fn answered_without_dialog(&self) -> bool {
        self.opened.elapsed() < NO_DIALOG_WITHIN
    }

    /// The answer, once the dialog has closed: `Some(None)` when cancelled.
    pub(crate) fn poll(&self) -> Option<Option<PathBuf>> {
        match self.answer.try_recv() {
            Ok(answer) => Some(answer),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(None),
        }
    }
}
