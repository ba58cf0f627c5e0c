//! [`SimRadio`]: the agent's side of a simulated radio.

use odin_proto::msg::RadioInfo;
use tokio::sync::mpsc;

use super::medium::{Medium, RadioId};
use std::sync::{Arc, Mutex, PoisonError};

use crate::radio::{hold_duration, Radio, RadioCmd, RadioEvent};

/// A radio of the [`Medium`], as an agent sees it: commands go straight
/// into the medium's kernel model (synchronously, under its lock), events
/// come out of a bounded queue.
#[derive(Debug)]
pub struct SimRadio {
    medium: Medium,
    id: RadioId,
    info: RadioInfo,
    events: mpsc::Receiver<RadioEvent>,
    /// A [`RadioCmd::Hold`] running: the commands held behind it, carried
    /// out when its moment comes (by a task of its own).
    held: Arc<Mutex<Option<Vec<RadioCmd>>>>,
}

impl SimRadio {
    pub(crate) fn new(medium: Medium, id: RadioId, events: mpsc::Receiver<RadioEvent>) -> SimRadio {
        let info = medium.radio_info(id).unwrap_or_else(|| RadioInfo {
            index: 0,
            name: String::new(),
            addr: odin_wire::MacAddr::ZERO,
            band: odin_proto::msg::Band::Ghz2,
            channel: 0,
            channels: Vec::new(),
            ht: false,
            vht: false,
            max_lvaps: 0,
        });
        SimRadio {
            medium,
            id,
            info,
            events,
            held: Arc::default(),
        }
    }

    /// Its id in the medium.
    pub fn id(&self) -> RadioId {
        self.id
    }

    /// The medium it is on.
    pub fn medium(&self) -> &Medium {
        &self.medium
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&mut self) -> Option<RadioEvent> {
        self.events.try_recv().ok()
    }
}

impl Radio for SimRadio {
    fn info(&self) -> RadioInfo {
        self.medium
            .radio_info(self.id)
            .unwrap_or_else(|| self.info.clone())
    }

    fn execute(&mut self, cmd: RadioCmd) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        match (held.as_mut(), cmd) {
            (Some(queue), cmd) => queue.push(cmd),
            (None, RadioCmd::Hold { until }) => {
                let wait = hold_duration(until).unwrap_or_default();
                let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                    return;
                };
                if wait.is_zero() {
                    return;
                }
                // The moment comes on its own timer, whatever the agent's
                // loop is doing, as a kernel's would.
                *held = Some(Vec::new());
                let (medium, id, shared) = (self.medium.clone(), self.id, self.held.clone());
                runtime.spawn(async move {
                    tokio::time::sleep(wait).await;
                    let mut held = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    for cmd in held.take().unwrap_or_default() {
                        // A later hold among them is carried out at once
                        // (the medium holds nothing itself).
                        medium.execute(id, cmd);
                    }
                });
            }
            (None, cmd) => self.medium.execute(self.id, cmd),
        }
    }

    fn next_event(&mut self) -> impl core::future::Future<Output = Option<RadioEvent>> + Send {
        // `recv` is cancel-safe: the agent's `select!` may drop it.
        self.events.recv()
    }
}

/// An access point that goes away loses power: its interfaces vanish from
/// the air with it.
impl Drop for SimRadio {
    fn drop(&mut self) {
        self.medium.power_off(self.id);
    }
}
