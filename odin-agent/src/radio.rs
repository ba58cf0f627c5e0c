//! The boundary between the agent and a radio: commands the agent gives,
//! events the radio reports. Every backend (nl80211 on real and hwsim
//! radios, the simulated medium in [`crate::sim`]) implements [`Radio`].

use std::time::Duration;

use odin_proto::{msg::RadioInfo, StationFlags, StationState};
use odin_wire::MacAddr;

use crate::lvap::{Action, BeaconTemplate, Cookie, EarlyAnswers, LvapEvent};

/// What the agent asks of a radio. `bssid` names the LVAP's AP interface.
#[derive(Debug, Clone, PartialEq)]
pub enum RadioCmd {
    /// Create the AP interface for `bssid` (if needed) and start beaconing.
    StartAp {
        /// The BSSID (the interface's address).
        bssid: MacAddr,
        /// Beacon head and tail.
        beacon: BeaconTemplate,
        /// SSID.
        ssid: Vec<u8>,
        /// Beacon interval, TU.
        beacon_interval: u16,
        /// DTIM period.
        dtim_period: u8,
    },
    /// Stop beaconing and delete the interface.
    StopAp {
        /// The BSSID.
        bssid: MacAddr,
    },
    /// Transmit a management frame from `bssid`'s interface.
    SendFrame {
        /// The interface.
        bssid: MacAddr,
        /// The frame, without FCS.
        frame: Vec<u8>,
        /// Report the transmit status with this cookie.
        cookie: Option<u64>,
    },
    /// Report [`RadioEvent::Done`] once every command before this one was
    /// carried out, with the first failure among the commands for `bssid`
    /// (`None`: the radio's own commands, such as a channel change) since
    /// the previous barrier for it. The agent acknowledges a controller's
    /// command only then.
    Barrier {
        /// Echoed in the event.
        token: u64,
        /// Whose failures to report.
        bssid: Option<MacAddr>,
    },
    /// Answer new clients' probe requests from the radio itself (see
    /// [`crate::lvap::EarlyAnswers`]), or stop with `None`.
    EarlyAnswers(Option<Box<EarlyAnswers>>),
    /// NEW_STATION.
    AddStation {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        state: StationState,
    },
    /// SET_STATION with the association parameters.
    UpdateStation {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        state: StationState,
    },
    /// SET_STATION with flags only.
    SetStationFlags {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
        /// The flags.
        flags: StationFlags,
    },
    /// DEL_STATION.
    RemoveStation {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
    },
    /// GET_STATION; answered with [`RadioEvent::StationInfo`].
    QueryStation {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
    },
    /// PROBE_CLIENT: a null frame; answered with [`RadioEvent::TxStatus`].
    PollClient {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
        /// Cookie for the status.
        cookie: u64,
    },
    /// Move the radio to another channel.
    SetChannel {
        /// The channel.
        channel: u8,
    },
}

impl RadioCmd {
    /// The LVAP interface a command is for (`None`: the radio itself), the
    /// key of the failures a [`RadioCmd::Barrier`] reports.
    pub fn target(&self) -> Option<MacAddr> {
        match self {
            RadioCmd::StartAp { bssid, .. }
            | RadioCmd::StopAp { bssid }
            | RadioCmd::SendFrame { bssid, .. }
            | RadioCmd::AddStation { bssid, .. }
            | RadioCmd::UpdateStation { bssid, .. }
            | RadioCmd::SetStationFlags { bssid, .. }
            | RadioCmd::RemoveStation { bssid, .. }
            | RadioCmd::QueryStation { bssid, .. }
            | RadioCmd::PollClient { bssid, .. } => Some(*bssid),
            RadioCmd::Barrier { bssid, .. } => *bssid,
            RadioCmd::SetChannel { .. } | RadioCmd::EarlyAnswers(_) => None,
        }
    }

    /// The radio command for an LVAP's action on the interface `bssid`, or
    /// the LVAP's event when the action is one. `cookie` turns an LVAP's
    /// frame cookie into a radio-wide one (and remembers the pair).
    pub fn from_lvap_action(
        bssid: MacAddr,
        action: Action,
        mut cookie: impl FnMut(Cookie) -> u64,
    ) -> Result<RadioCmd, LvapEvent> {
        Ok(match action {
            Action::StartAp {
                bssid,
                beacon,
                ssid,
                beacon_interval,
                dtim_period,
                ..
            } => RadioCmd::StartAp {
                bssid,
                beacon,
                ssid,
                beacon_interval,
                dtim_period,
            },
            Action::StopAp { bssid } => RadioCmd::StopAp { bssid },
            Action::SendFrame { frame, cookie: c } => RadioCmd::SendFrame {
                bssid,
                frame,
                cookie: c.map(&mut cookie),
            },
            Action::AddStation(state) => RadioCmd::AddStation { bssid, state },
            Action::UpdateStation(state) => RadioCmd::UpdateStation { bssid, state },
            Action::SetStationFlags { sta, flags } => {
                RadioCmd::SetStationFlags { bssid, sta, flags }
            }
            Action::RemoveStation { sta } => RadioCmd::RemoveStation { bssid, sta },
            Action::QueryStation { sta } => RadioCmd::QueryStation { bssid, sta },
            Action::PollClient { sta, cookie: c } => RadioCmd::PollClient {
                bssid,
                sta,
                cookie: cookie(c),
            },
            Action::Event(event) => return Err(event),
        })
    }
}

/// What the kernel reports about a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StationInfo {
    /// Time since the station was last heard.
    pub inactive: Duration,
    /// Signal of its last frame, dBm.
    pub signal_dbm: Option<i8>,
    /// Bytes received from it.
    pub rx_bytes: u64,
    /// Bytes sent to it.
    pub tx_bytes: u64,
}

/// What a radio reports.
#[derive(Debug, Clone, PartialEq)]
pub enum RadioEvent {
    /// A management frame heard. `bssid` is the AP interface it was
    /// delivered on (a frame addressed to it, or a broadcast frame), `None`
    /// when only the monitor heard it.
    Frame {
        /// The interface, if any.
        bssid: Option<MacAddr>,
        /// The frame, without FCS.
        frame: Vec<u8>,
        /// Its signal, dBm.
        signal_dbm: Option<i8>,
    },
    /// The transmit status of a frame sent with a cookie.
    TxStatus {
        /// The interface.
        bssid: MacAddr,
        /// The cookie.
        cookie: u64,
        /// Acknowledged by the receiver.
        acked: bool,
    },
    /// The answer to [`RadioCmd::QueryStation`].
    StationInfo {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
        /// What the kernel knows.
        info: StationInfo,
    },
    /// Data from a station the interface does not have associated.
    UnexpectedData {
        /// The interface.
        bssid: MacAddr,
        /// The sender.
        sta: MacAddr,
    },
    /// The answer to [`RadioCmd::Barrier`].
    Done {
        /// The barrier's token.
        token: u64,
        /// The first failure since the previous barrier for the same
        /// interface: the command and the error, in words.
        failure: Option<String>,
    },
    /// A command failed; the agent reports it and carries on.
    CommandFailed {
        /// The command, in words.
        command: String,
        /// Why.
        error: String,
    },
}

/// A radio backend.
///
/// `execute` must not block: a backend that talks to the kernel queues the
/// command and reports failures as [`RadioEvent::CommandFailed`]. Events
/// come out of `next_event` in the order they happened.
pub trait Radio: Send {
    /// What the radio is and can do.
    fn info(&self) -> RadioInfo;

    /// Carries out a command.
    fn execute(&mut self, cmd: RadioCmd);

    /// The next event; `None` when the radio is gone.
    fn next_event(&mut self) -> impl core::future::Future<Output = Option<RadioEvent>> + Send;
}
