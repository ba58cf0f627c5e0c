//! The boundary between the agent and a radio: commands the agent gives,
//! events the radio reports. Every backend (nl80211 on real and hwsim
//! radios, the simulated medium in [`crate::sim`]) implements [`Radio`].

use std::time::Duration;

use odin_proto::msg::{RadioInfo, SwitchTime};
use odin_proto::{StationFlags, StationState};
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
    /// Replace the beacon of a running AP interface (SET_BEACON).
    SetBeacon {
        /// The interface.
        bssid: MacAddr,
        /// Beacon head and tail.
        beacon: BeaconTemplate,
    },
    /// Hold every later command until the moment `until` by the system
    /// clock (a migration's switch, see [`SwitchTime`]); at once when it is
    /// past, or more than [`MAX_HOLD`] ahead (a clock gone wrong).
    Hold {
        /// The moment.
        until: SwitchTime,
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
    /// Tell the wired network that `sta` is behind this access point now:
    /// the layer-2 update frame ([`odin_wire::llc::l2_update`]) on the
    /// bridge the LVAP interfaces join, after a station is authorized
    /// (associated or migrated here), so that frames for it follow at once.
    AnnounceStation {
        /// The interface.
        bssid: MacAddr,
        /// The station.
        sta: MacAddr,
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
    /// Move the radio to another channel. Only while no LVAP beacons on
    /// it: the clients of a beaconing LVAP must be told first (a backend
    /// with LVAPs running refuses, or moves them along where the medium
    /// allows it); see [`RadioCmd::ChannelSwitch`].
    SetChannel {
        /// The channel.
        channel: u8,
    },
    /// Measure the channels (nl80211 GET_SURVEY); answered with
    /// [`RadioEvent::Survey`].
    Survey,
    /// Announce a channel switch on an LVAP's interface and carry it out
    /// (nl80211 CHANNEL_SWITCH): the interface beacons `beacon_csa`, whose
    /// Channel Switch Announcement counts down from `count` (the radio
    /// writes the count into the octets at `csa_counter_offsets` of its
    /// tail, beacon by beacon), then moves to `channel` after `count`
    /// beacon intervals and beacons `beacon_after` there. Every interface
    /// of a one-channel radio must switch with it.
    ChannelSwitch {
        /// The interface.
        bssid: MacAddr,
        /// The channel to move to.
        channel: u8,
        /// Beacon intervals until the switch (0 or 1: at once).
        count: u8,
        /// The clients stop transmitting until the switch (the CSA's mode).
        block_tx: bool,
        /// The beacon during the announcement: the current one with the
        /// Channel Switch Announcement element in its tail.
        beacon_csa: BeaconTemplate,
        /// Offsets of the count octets in `beacon_csa.tail`, each holding
        /// `count`.
        csa_counter_offsets: Vec<u16>,
        /// The beacon on the new channel.
        beacon_after: BeaconTemplate,
    },
}

impl RadioCmd {
    /// The LVAP interface a command is for (`None`: the radio itself), the
    /// key of the failures a [`RadioCmd::Barrier`] reports.
    pub fn target(&self) -> Option<MacAddr> {
        match self {
            RadioCmd::StartAp { bssid, .. }
            | RadioCmd::SetBeacon { bssid, .. }
            | RadioCmd::StopAp { bssid }
            | RadioCmd::SendFrame { bssid, .. }
            | RadioCmd::AddStation { bssid, .. }
            | RadioCmd::UpdateStation { bssid, .. }
            | RadioCmd::SetStationFlags { bssid, .. }
            | RadioCmd::RemoveStation { bssid, .. }
            | RadioCmd::QueryStation { bssid, .. }
            | RadioCmd::PollClient { bssid, .. }
            | RadioCmd::ChannelSwitch { bssid, .. }
            | RadioCmd::AnnounceStation { bssid, .. } => Some(*bssid),
            RadioCmd::Barrier { bssid, .. } => *bssid,
            RadioCmd::SetChannel { .. }
            | RadioCmd::Survey
            | RadioCmd::EarlyAnswers(_)
            | RadioCmd::Hold { .. } => None,
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
            Action::SetBeacon { beacon } => RadioCmd::SetBeacon { bssid, beacon },
            Action::ChannelSwitch {
                channel,
                count,
                beacon_csa,
                csa_counter_offsets,
                beacon_after,
            } => RadioCmd::ChannelSwitch {
                bssid,
                channel,
                count,
                block_tx: false,
                beacon_csa,
                csa_counter_offsets,
                beacon_after,
            },
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

/// The longest a [`RadioCmd::Hold`] waits: a switch moment further ahead
/// means clocks that disagree, and waiting would only stall the radio.
pub const MAX_HOLD: Duration = Duration::from_secs(1);

/// How long from now until `until` by the system clock: `Ok(zero)` when
/// it is past, `Err(ahead)` when it is more than [`MAX_HOLD`] ahead.
pub fn hold_duration(until: SwitchTime) -> Result<Duration, Duration> {
    let ahead = Duration::from_micros(until.0).saturating_sub(unix_now());
    if ahead > MAX_HOLD {
        Err(ahead)
    } else {
        Ok(ahead)
    }
}

/// Waits until `until` (see [`RadioCmd::Hold`]): the timer for all but
/// the last two milliseconds, then a precise sleep (the runtime's timer
/// has millisecond granularity; two agents must act within far less).
/// Returns how late it woke, in microseconds (negative: early).
pub async fn hold(until: SwitchTime) -> i64 {
    match hold_duration(until) {
        Ok(ahead) => {
            let coarse = ahead.saturating_sub(Duration::from_millis(2));
            if !coarse.is_zero() {
                tokio::time::sleep(coarse).await;
            }
            if let Ok(rest) = hold_duration(until) {
                if !rest.is_zero() {
                    std::thread::sleep(rest);
                }
            }
        }
        Err(ahead) => {
            tracing::warn!(
                ahead_ms = ahead.as_millis() as u64,
                "switch moment too far ahead: this agent's clock or the controller's is wrong; acting now"
            );
        }
    }
    let now = unix_now().as_micros();
    i64::try_from(now).unwrap_or(i64::MAX) - i64::try_from(until.0).unwrap_or(i64::MAX)
}

/// The system clock, since the Unix epoch (a clock before it reads zero).
fn unix_now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
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
    /// The rate of the last frame sent to it, kbit/s.
    pub tx_rate_kbps: Option<u32>,
    /// The rate of the last frame received from it, kbit/s.
    pub rx_rate_kbps: Option<u32>,
}

/// One channel of a survey (nl80211 NL80211_ATTR_SURVEY_INFO). The times
/// are the radio's cumulative counters, in milliseconds as the kernel
/// gives them: a utilisation is the difference between two surveys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SurveyEntry {
    /// The channel's centre frequency, MHz.
    pub freq: u32,
    /// Noise floor, dBm.
    pub noise_dbm: Option<i8>,
    /// The channel the radio is on.
    pub in_use: bool,
    /// Time the radio spent on the channel.
    pub time: Option<Duration>,
    /// Time the channel was sensed busy.
    pub busy: Option<Duration>,
    /// Time the extension (secondary) channel was sensed busy.
    pub ext_busy: Option<Duration>,
    /// Time spent receiving.
    pub rx: Option<Duration>,
    /// Time spent transmitting.
    pub tx: Option<Duration>,
}

/// What a radio's monitor heard of other networks: the airtime of the
/// frames whose BSSID is not one of the radio's LVAPs, and the packets it
/// could not measure, each counted since the monitor opened (see
/// `nl80211/airtime.rs`). The utilisation where the survey measures
/// nothing is the difference between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorAirtime {
    /// The radio's channel when read, MHz.
    pub freq: u32,
    /// Time other networks' frames took on the air.
    pub foreign: Duration,
    /// Packets too malformed to measure.
    pub malformed: u64,
    /// Packets without a rate to measure with.
    pub no_rate: u64,
}

/// A 2.4 or 5 GHz channel's centre frequency, MHz.
pub fn channel_to_freq(channel: u8) -> Option<u32> {
    match channel {
        1..=13 => Some(2407 + 5 * u32::from(channel)),
        14 => Some(2484),
        32..=177 => Some(5000 + 5 * u32::from(channel)),
        _ => None,
    }
}

/// The channel number of a 2.4 or 5 GHz frequency.
pub fn freq_to_channel(freq: u32) -> Option<u8> {
    match freq {
        2412..=2472 => Some(((freq - 2407) / 5) as u8),
        2484 => Some(14),
        5160..=5885 => Some(((freq - 5000) / 5) as u8),
        _ => None,
    }
}

/// How often a radio reports a station's signal ([`RadioEvent::Heard`])
/// at most: ten times a second follows a walking client closely, and
/// costs a busy channel's worth of stations a few hundred events a second.
pub const HEARD_INTERVAL: Duration = Duration::from_millis(100);

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
    /// A data frame a station sent (to any AP) was received at this
    /// signal: what the radio measures of clients it may not serve.
    /// Reported at most once per [`HEARD_INTERVAL`] per station.
    Heard {
        /// The station.
        sta: MacAddr,
        /// The signal, dBm.
        signal_dbm: i8,
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
    /// The answer to [`RadioCmd::Survey`]: what the radio measured, per
    /// channel (none when the radio keeps no survey), and what its monitor
    /// heard of other networks (`None` without a monitor).
    Survey {
        /// The channels.
        entries: Vec<SurveyEntry>,
        /// The monitor's counters.
        airtime: Option<MonitorAirtime>,
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
