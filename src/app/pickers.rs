//! Native file dialogs (rfd) off the UI thread: each dialog runs on its own named thread and its
//! answer arrives over a channel, so the window keeps drawing while the dialog is open.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};

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
    answer: Receiver<Option<PathBuf>>,
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
        Ok(Self { purpose, answer })
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
