//! The window's OpenAI-compatible servers: the saved list and their keys, the "Connect to a
//! server…" form, and each server's model list — asked on a short-lived **server-lister**
//! thread per request (ends by itself when the server answers or its timeouts pass; not joined,
//! as a blocking request cannot be interrupted). The keyring is only ever touched on those
//! threads (a locked keyring may wait for its unlock prompt): the lister stores a new key or reads
//! the saved one, and hands it back with the list for "Use". Picking a model is the chat
//! session's business.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender};

use super::waker::Waker;
use crate::catalog::Model;
use crate::engine::remote::{Client, ServedModel};
use crate::engine::{RemoteServer, SamplingParams};
use crate::servers::keys::KeyStore;
use crate::servers::{SavedServer, ServerList};

/// The "Connect to a server…" form.
#[derive(Debug, Clone, Default)]
pub struct ServerForm {
    /// Shown.
    pub open: bool,
    /// The name typed.
    pub name: String,
    /// The address typed.
    pub address: String,
    /// The API key typed (cleared once kept).
    pub key: String,
    /// Why the last submission was refused.
    pub error: Option<String>,
    /// The saved server being edited (its name as saved), if the form edits one.
    pub editing: Option<String>,
}

/// A server's answer to "which models?".
#[derive(Debug, Clone, PartialEq)]
pub enum ModelList {
    /// Asked, not answered yet.
    Asking,
    /// The models it serves.
    Listed(Vec<ServedModel>),
    /// Why there is no list, in words.
    Failed(String),
}

/// Saved servers, their keys and model lists.
pub struct ServerState {
    /// The saved servers.
    pub list: ServerList,
    keys: KeyStore,
    /// The form.
    pub form: ServerForm,
    /// Each server's models, by server name.
    pub models: BTreeMap<String, ModelList>,
    /// Where the last key went, or a save problem.
    pub note: Option<String>,
    /// Keys the listers read or stored, by server name, for "Use" (memory only).
    keys_read: BTreeMap<String, String>,
    sender: Sender<Listed>,
    answers: Receiver<Listed>,
    waker: Waker,
}

/// A lister's answer.
struct Listed {
    server: String,
    models: ModelList,
    key: Option<String>,
    note: Option<String>,
}

impl ServerState {
    /// The servers in `list`, keys in `keys`.
    pub fn new(list: ServerList, keys: KeyStore, waker: Waker) -> Self {
        let (sender, answers) = mpsc::channel();
        Self {
            list,
            keys,
            form: ServerForm::default(),
            models: BTreeMap::new(),
            note: None,
            keys_read: BTreeMap::new(),
            sender,
            answers,
            waker,
        }
    }

    /// Saves the form's server and asks it for its models (the lister keeps the typed key); the
    /// form closes. A bad address or key keeps the form open with the reason.
    pub fn submit_form(&mut self) {
        let mut server = match SavedServer::new(&self.form.name, &self.form.address) {
            Ok(s) => s,
            Err(e) => {
                self.form.error = Some(e.to_string());
                return;
            }
        };
        let key = self.form.key.trim().to_owned();
        if let Err(e) = crate::servers::keys::check_key(&key) {
            self.form.error = Some(e);
            return;
        }
        let saved = self.list.get(&server.name);
        server.has_key = !key.is_empty() || saved.is_some_and(|s| s.has_key);
        server.last_model = saved.and_then(|s| s.last_model.clone());
        let name = server.name.clone();
        if !self.list.put(server) {
            self.form.error = Some(format!(
                "at most {} servers are kept: forget one first",
                crate::servers::MAX_SERVERS
            ));
            return;
        }
        self.save();
        self.form = ServerForm::default();
        self.list_models(&name, (!key.is_empty()).then_some(key));
    }

    /// Asks server `name` for its models.
    pub fn ask_models(&mut self, name: &str) {
        self.list_models(name, None);
    }

    /// Asks server `name` for its models on a lister thread, which first stores `new_key` or
    /// reads the saved key.
    fn list_models(&mut self, name: &str, new_key: Option<String>) {
        let Some(saved) = self.list.get(name).cloned() else {
            return;
        };
        self.models.insert(name.to_owned(), ModelList::Asking);
        let (sender, waker, keys) = (self.sender.clone(), self.waker.clone(), self.keys.clone());
        let spawned = std::thread::Builder::new()
            .name("server-lister".to_owned())
            .spawn(move || {
                let mut note = None;
                let key = match new_key {
                    Some(key) => {
                        note = Some(match keys.set(&saved.name, &key) {
                            Ok(place) => format!("{}: {place}.", saved.name),
                            Err(e) => format!("{}: {e}", saved.name),
                        });
                        Some(key)
                    }
                    None if saved.has_key => keys.get(&saved.name),
                    None => None,
                };
                let server = RemoteServer {
                    name: saved.name.clone(),
                    base_url: saved.base_url.clone(),
                    api_key: key.clone(),
                    stall_secs: 0,
                };
                let models = match Client::new(&server).models() {
                    Ok(models) => ModelList::Listed(models),
                    Err(e) => ModelList::Failed(e.to_string()),
                };
                let _ = sender.send(Listed {
                    server: saved.name,
                    models,
                    key,
                    note,
                });
                waker.wake();
            });
        if let Err(e) = spawned {
            self.models.insert(
                name.to_owned(),
                ModelList::Failed(format!("no thread to ask it: {e}")),
            );
        }
    }

    /// Forgets server `name` and its key (the key on a short thread, as the keyring may wait).
    pub fn forget(&mut self, name: &str) {
        self.list.remove(name);
        self.models.remove(name);
        self.keys_read.remove(name);
        // A note about where this server's key went is about a server that is gone.
        if self.note.as_deref().is_some_and(|n| n.contains(name)) {
            self.note = None;
        }
        self.save();
        let (keys, name) = (self.keys.clone(), name.to_owned());
        let spawned = std::thread::Builder::new()
            .name("server-key-delete".to_owned())
            .spawn(move || keys.delete(&name));
        if let Err(e) = spawned {
            tracing::warn!("the key was not deleted: no thread ({e})");
        }
    }

    /// Remembers that `model` was picked on `name`.
    pub fn picked(&mut self, name: &str, model: &str) {
        self.list.set_last_model(name, model);
        self.save();
    }

    /// Server `name` as the engine needs it, with the key its lister read.
    pub fn remote(&self, name: &str) -> Option<RemoteServer> {
        let saved = self.list.get(name)?;
        Some(RemoteServer {
            name: saved.name.clone(),
            base_url: saved.base_url.clone(),
            api_key: saved
                .has_key
                .then(|| self.keys_read.get(name).cloned())
                .flatten(),
            stall_secs: 0,
        })
    }

    /// Takes the lists answered since the last call; `true` if any.
    pub fn drain(&mut self) -> bool {
        let mut changed = false;
        for answer in self.answers.try_iter() {
            if self.list.get(&answer.server).is_none() {
                continue;
            }
            if let Some(key) = answer.key {
                self.keys_read.insert(answer.server.clone(), key);
            }
            if answer.note.is_some() {
                self.note = answer.note;
            }
            self.models.insert(answer.server, answer.models);
            changed = true;
        }
        changed
    }

    fn save(&mut self) {
        if let Err(e) = self.list.save() {
            self.note = Some(e);
        }
    }
}

impl ServerState {
    /// The sampling and reasoning a conversation with `model` on `server` starts with: its
    /// catalog entry's, the answer length bounded by the context the server says it serves.
    pub fn model_defaults(
        &self,
        server: &str,
        model: &str,
        models: &[Model],
    ) -> (SamplingParams, bool) {
        let ctx_tokens = match self.models.get(server) {
            Some(ModelList::Listed(list)) => list
                .iter()
                .find(|m| m.id == model)
                .and_then(|m| m.ctx_tokens)
                .unwrap_or(0),
            _ => 0,
        };
        crate::chat::defaults::served_model_defaults(model, models, ctx_tokens)
    }
}
