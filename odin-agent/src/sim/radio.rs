//! [`SimRadio`]: the agent's side of a simulated radio.

use odin_proto::msg::RadioInfo;
use tokio::sync::mpsc;

use super::medium::{Medium, RadioId};
use crate::radio::{Radio, RadioCmd, RadioEvent};

/// A radio of the [`Medium`], as an agent sees it: commands go straight
/// into the medium's kernel model (synchronously, under its lock), events
/// come out of a bounded queue.
#[derive(Debug)]
pub struct SimRadio {
    medium: Medium,
    id: RadioId,
    info: RadioInfo,
    events: mpsc::Receiver<RadioEvent>,
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
        self.medium.execute(self.id, cmd);
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
