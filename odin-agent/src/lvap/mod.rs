//! The LVAP state machine: one per client, sans-IO.
//!
//! An LVAP is a BSS of its own (its own BSSID) that serves exactly one
//! client station. [`Lvap::handle`] takes an [`Input`] (a received
//! management frame, a transmit status, station statistics, a command or a
//! tick) and the current time, and pushes [`Action`]s (start/stop
//! beaconing, send a frame, add/update/remove the kernel's station, report
//! an event). It never reads a clock, touches a socket or spawns anything,
//! so a test drives it with exact frames and exact times, and every radio
//! backend (nl80211, the simulated medium) runs the same code.
//!
//! # Invariants
//!
//! * Only frames whose source is the LVAP's client change its state;
//!   anything else is dropped and counted by [`DropReason`].
//! * The kernel holds a station entry for the client exactly when the
//!   state is `Authenticated { in_kernel: true }` or `Associated`; every
//!   transition emits the add/remove action that keeps this true.
//! * `authorized` is set only after the client acknowledged our
//!   association response (open network), or by an explicit
//!   [`Command::Authorize`] for a station imported by a migration.
//! * Once [`Command::Stop`] was handled the LVAP is inert: it emits
//!   nothing more for any input.
//! * A (re)association keeps the client's AID: each LVAP is a BSS of its
//!   own, so AID 1 is given to the first association and carried through
//!   migrations unchanged; there is never a conflict on the target.

mod bss;
mod early;
pub mod model;

pub use bss::{AssocFeatures, BeaconTemplate, BssConfig};
pub use early::EarlyAnswers;

use std::time::Duration;

use odin_proto::{StationFlags, StationState, WmmStation};
use odin_wire::ie::{ElementRepr, ParsedElements, RateSet, Wmm};
use odin_wire::ieee80211::{
    AssocReqRepr, AuthAlgorithm, AuthRepr, MgmtBody, MgmtRepr, ReasonCode, StatusCode,
};
use odin_wire::{Error, MacAddr};

use crate::time::Instant;

/// An identifier the LVAP gives a frame whose transmit status it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cookie(pub u64);

/// Timers of an LVAP. The defaults follow hostapd's where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long an authenticated client may take to associate before its
    /// station entry is removed.
    pub auth_to_assoc: Duration,
    /// How often the kernel is asked for the station's inactivity.
    pub station_poll: Duration,
    /// Inactivity after which the client is polled with a null frame
    /// (hostapd's `ap_max_inactivity`, 300 s).
    pub max_inactivity: Duration,
    /// How long the null-frame poll may go unacknowledged before the client
    /// is deauthenticated.
    pub client_poll: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            auth_to_assoc: Duration::from_secs(10),
            station_poll: Duration::from_secs(10),
            max_inactivity: Duration::from_secs(300),
            client_poll: Duration::from_secs(1),
        }
    }
}

/// Everything an LVAP is created with.
#[derive(Debug, Clone, PartialEq)]
pub struct LvapConfig {
    /// The LVAP's own BSSID (locally administered, unique to the client).
    pub bssid: MacAddr,
    /// The one client this LVAP serves.
    pub client: MacAddr,
    /// What the BSS advertises.
    pub bss: BssConfig,
    /// Timers.
    pub timeouts: Timeouts,
}

/// What happens to an LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A management frame received on the LVAP's interface or on the
    /// radio's monitor, without FCS.
    Frame(&'a [u8]),
    /// The transmit status of a frame sent with a cookie.
    TxStatus {
        /// The cookie given with the frame.
        cookie: Cookie,
        /// Whether the receiver acknowledged it.
        acked: bool,
    },
    /// The kernel's report on the client (answer to [`Action::QueryStation`]).
    StationInfo {
        /// Time since the last frame from the client.
        inactive: Duration,
    },
    /// The kernel saw a data frame from the client while it was not
    /// associated (nl80211 "unexpected frame").
    UnexpectedData,
    /// An order from the agent (and so from the controller).
    Command(Command),
    /// Time passed: check the timers.
    Tick,
}

/// Orders the agent gives an LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Let an imported station's data flow (the switch of a migration).
    Authorize,
    /// Deauthenticate the client (it will have to start over).
    Deauthenticate(ReasonCode),
    /// Disassociate the client (it stays authenticated).
    Disassociate(ReasonCode),
    /// Tear the LVAP down silently (the source side of a migration, or
    /// the LVAP's removal): remove the station, stop beaconing, send
    /// nothing to the client.
    Stop,
    /// The source side of a cross-channel migration: tell the client to
    /// move to `channel` (a Channel Switch Announcement action frame, and
    /// the element in the beacon), ending its block-ack agreements with
    /// this kernel first. The station stays until [`Command::Stop`], so
    /// whatever the client sends before it moves is still forwarded.
    AnnounceSwitch {
        /// The channel the client is to move to.
        channel: u8,
        /// Beacon intervals until it moves (0 or 1: at once).
        count: u8,
    },
    /// The radio moves to another channel and this LVAP with it: the
    /// client is told by an action frame and by the beacons' announcement,
    /// counting down `count` beacon intervals, and the interface switches
    /// (the kernel keeps the station, so nothing else changes for the
    /// client); probe responses name the new channel from then on.
    SwitchChannel {
        /// The channel.
        channel: u8,
        /// Beacon intervals until the switch (2 or more, so that every
        /// LVAP of the radio is switching before the first one moves).
        count: u8,
    },
    /// The target side of a cross-channel migration, after
    /// [`Command::Authorize`]: the client is still on its old channel when
    /// the authorization's DELBAs go out, and may start a block-ack
    /// agreement there that its old access point answers too late (the
    /// suspected cause of a one-second stall seen in the VM in about one
    /// run in three). The DELBAs go again at each of these times after
    /// now, once it is here, to end such a half-made agreement; the stall
    /// was still seen once after this (BENCHMARKS.md).
    ExpectArrival {
        /// When to send them again, after now.
        after: [Duration; 2],
    },
}

/// What the LVAP asks the agent to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start beaconing (nl80211 START_AP on the LVAP's interface).
    StartAp {
        /// The BSSID.
        bssid: MacAddr,
        /// The beacon, split around the TIM.
        beacon: BeaconTemplate,
        /// SSID bytes.
        ssid: Vec<u8>,
        /// Beacon interval in TU.
        beacon_interval: u16,
        /// DTIM period.
        dtim_period: u8,
        /// Primary channel.
        channel: u8,
    },
    /// Replace the beacon (SET_BEACON).
    SetBeacon {
        /// The beacon, split around the TIM.
        beacon: BeaconTemplate,
    },
    /// Announce a channel switch and carry it out (nl80211 CHANNEL_SWITCH
    /// on the LVAP's interface; see `RadioCmd::ChannelSwitch`).
    ChannelSwitch {
        /// The channel to move to.
        channel: u8,
        /// Beacon intervals until the switch.
        count: u8,
        /// The beacon during the announcement.
        beacon_csa: BeaconTemplate,
        /// Offsets of the count octets in `beacon_csa.tail`.
        csa_counter_offsets: Vec<u16>,
        /// The beacon on the new channel.
        beacon_after: BeaconTemplate,
    },
    /// Stop beaconing (STOP_AP).
    StopAp {
        /// The BSSID.
        bssid: MacAddr,
    },
    /// Transmit a management frame from the LVAP's interface.
    SendFrame {
        /// The frame, without FCS.
        frame: Vec<u8>,
        /// When set, report [`Input::TxStatus`] with this cookie.
        cookie: Option<Cookie>,
    },
    /// Create the kernel's station entry (NEW_STATION) with this state.
    AddStation(StationState),
    /// Update a not-yet-associated station entry with the full
    /// association parameters (SET_STATION).
    UpdateStation(StationState),
    /// Change only the flags of a station entry (SET_STATION).
    SetStationFlags {
        /// The client.
        sta: MacAddr,
        /// The new flags.
        flags: StationFlags,
    },
    /// Remove the kernel's station entry (DEL_STATION).
    RemoveStation {
        /// The client.
        sta: MacAddr,
    },
    /// Ask the kernel for the station's statistics (GET_STATION).
    QueryStation {
        /// The client.
        sta: MacAddr,
    },
    /// Poll the client with a null data frame (PROBE_CLIENT); report the
    /// acknowledgement as [`Input::TxStatus`] with the cookie.
    PollClient {
        /// The client.
        sta: MacAddr,
        /// The cookie for the transmit status.
        cookie: Cookie,
    },
    /// Something the controller should hear about.
    Event(LvapEvent),
}

/// Why a client stopped being associated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// The client sent a disassociation.
    Disassociated(ReasonCode),
    /// The client sent a deauthentication.
    Deauthenticated(ReasonCode),
    /// The client authenticated again while associated.
    Reauthenticated,
    /// The client did not answer a poll after its inactivity limit.
    Inactive,
    /// It authenticated but did not associate in time.
    AuthTimeout,
    /// A command removed it.
    Command,
}

/// Events for the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LvapEvent {
    /// Open-system authentication succeeded.
    Authenticated,
    /// An authentication was refused.
    AuthRefused(StatusCode),
    /// The client (re)associated; not yet authorized.
    Associated {
        /// A reassociation request rather than an association request.
        reassociation: bool,
        /// The AID given.
        aid: u16,
    },
    /// An association was refused.
    AssocRefused(StatusCode),
    /// The client may now exchange data.
    Authorized,
    /// The client's association response went unacknowledged; the client
    /// stays associated but unauthorized until it retries.
    AssocResponseLost,
    /// The client left (or was made to leave).
    Left(LeaveReason),
    /// The client sent an action frame the LVAP does not act on.
    ActionFrame {
        /// The category.
        category: u8,
    },
}

/// Whether the BSS `bss` with `bssid` answers a probe request (its header
/// and elements): addressed to `bssid` or broadcast (DA and BSSID), for
/// its SSID or the wildcard, and not naming another channel in its DS
/// parameter set (a probe heard from an adjacent channel). The LVAP asks
/// this of its client's probes; the agent of a new client's first ones.
pub fn answers_probe(
    bss: &BssConfig,
    bssid: MacAddr,
    header: &odin_wire::ieee80211::MgmtHeader,
    elements: &[u8],
) -> Result<(), DropReason> {
    let to_us = |addr: MacAddr| addr.is_broadcast() || addr == bssid;
    if !to_us(header.da) || !to_us(header.bssid) {
        return Err(DropReason::WrongBssid);
    }
    let elems = ParsedElements::parse(elements).map_err(DropReason::Parse)?;
    let ssid = elems.ssid.ok_or(DropReason::Parse(Error::Malformed))?;
    if !ssid.is_empty() && ssid != bss.ssid.as_slice() {
        return Err(DropReason::WrongSsid);
    }
    match elems.ds_channel {
        Some(channel) if channel != bss.channel => Err(DropReason::ForeignChannel),
        _ => Ok(()),
    }
}

/// Why a received frame changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// The frame did not parse.
    Parse(Error),
    /// Sent by another station than the LVAP's client.
    NotOurClient,
    /// Addressed to another BSSID.
    WrongBssid,
    /// A probe for another SSID.
    WrongSsid,
    /// A probe naming another channel in its DS parameter set.
    ForeignChannel,
    /// A retransmission of the last frame.
    Duplicate,
    /// A frame that needs authentication, from an unauthenticated client.
    NotAuthenticated,
    /// A frame an access point does not act on (a beacon, a response).
    Unhandled,
    /// The LVAP was stopped.
    Stopped,
}

impl DropReason {
    /// Every reason, for building counters.
    pub const ALL: [DropReason; 12] = [
        DropReason::Parse(Error::Truncated),
        DropReason::Parse(Error::BadLength),
        DropReason::Parse(Error::Malformed),
        DropReason::Parse(Error::Unsupported),
        DropReason::NotOurClient,
        DropReason::WrongBssid,
        DropReason::WrongSsid,
        DropReason::ForeignChannel,
        DropReason::Duplicate,
        DropReason::NotAuthenticated,
        DropReason::Unhandled,
        DropReason::Stopped,
    ];

    /// A stable name for metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Parse(e) => e.as_str(),
            DropReason::NotOurClient => "not_our_client",
            DropReason::WrongBssid => "wrong_bssid",
            DropReason::WrongSsid => "wrong_ssid",
            DropReason::ForeignChannel => "foreign_channel",
            DropReason::Duplicate => "duplicate",
            DropReason::NotAuthenticated => "not_authenticated",
            DropReason::Unhandled => "unhandled",
            DropReason::Stopped => "stopped",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// Counters of one LVAP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LvapCounters {
    /// Frames received from anyone.
    pub rx_frames: u64,
    /// Probe requests answered.
    pub probes_answered: u64,
    /// Dropped frames, indexed like [`DropReason::ALL`].
    dropped: [u64; 12],
}

impl LvapCounters {
    /// Frames dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped.get(reason.index()).copied().unwrap_or(0)
    }

    /// Every non-zero drop counter.
    pub fn drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .into_iter()
            .zip(self.dropped)
            .filter(|(_, n)| *n > 0)
    }

    fn count(&mut self, reason: DropReason) {
        if let Some(slot) = self.dropped.get_mut(reason.index()) {
            *slot += 1;
        }
    }
}

/// Where the client stands with this LVAP.
#[derive(Debug, Clone, PartialEq)]
enum Sta {
    /// Not authenticated; no kernel station.
    None,
    /// Authenticated, not associated.
    Authenticated { since: Instant, in_kernel: bool },
    /// Associated (authorized or not).
    Associated(Box<Assoc>),
}

#[derive(Debug, Clone, PartialEq)]
struct Assoc {
    station: StationState,
    /// The association response whose acknowledgement authorizes the client.
    pending_response: Option<Cookie>,
    next_station_poll: Instant,
    /// An inactivity poll in flight and when it expires.
    client_poll: Option<(Cookie, Instant)>,
    /// When to end the client's block-ack agreements again (a client
    /// arriving from another channel, see [`Command::ExpectArrival`]).
    block_ack_again: Vec<Instant>,
}

/// Why a station state cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The state belongs to another client or BSSID than this LVAP's.
    WrongIdentity,
    /// The station was not associated.
    NotAssociated,
    /// The AID is outside 1-2007.
    BadAid(u16),
    /// The LVAP's BSS cannot be put on the air (an SSID over 32 bytes).
    BadBss(Error),
}

impl core::fmt::Display for ImportError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ImportError::WrongIdentity => {
                f.write_str("station state is for another client or BSSID")
            }
            ImportError::NotAssociated => f.write_str("station state is not associated"),
            ImportError::BadAid(aid) => write!(f, "association ID {aid} is outside 1-2007"),
            ImportError::BadBss(e) => write!(f, "the BSS cannot be built: {e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// One LVAP: the state machine serving one client.
#[derive(Debug, Clone)]
pub struct Lvap {
    config: LvapConfig,
    sta: Sta,
    stopped: bool,
    /// The sequence number of the client's last management frame.
    last_rx_seq: Option<u16>,
    /// The AID the client was given, kept across reassociations.
    aid: Option<u16>,
    next_cookie: u64,
    counters: LvapCounters,
}

impl Lvap {
    /// Creates an LVAP that beacons and waits for its client.
    pub fn new(mut config: LvapConfig, out: &mut Vec<Action>) -> odin_wire::Result<Lvap> {
        config.bss.hide_ssid = true;
        let lvap = Lvap {
            config,
            sta: Sta::None,
            stopped: false,
            last_rx_seq: None,
            aid: None,
            next_cookie: 1,
            counters: LvapCounters::default(),
        };
        out.push(lvap.start_ap()?);
        Ok(lvap)
    }

    /// Creates an LVAP that takes over an associated client from another
    /// agent: it beacons and adds the station with the imported state, not
    /// yet authorized; [`Command::Authorize`] lets data flow.
    pub fn import(
        mut config: LvapConfig,
        state: StationState,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Result<Lvap, ImportError> {
        if state.sta != config.client || state.bssid != config.bssid {
            return Err(ImportError::WrongIdentity);
        }
        if !state.flags.associated {
            return Err(ImportError::NotAssociated);
        }
        if !(1..=2007).contains(&state.aid) {
            return Err(ImportError::BadAid(state.aid));
        }
        config.bss.hide_ssid = true;
        let mut station = state;
        station.flags.authorized = false;
        let next_station_poll = now + config.timeouts.station_poll;
        let lvap = Lvap {
            last_rx_seq: station.last_rx_seq,
            aid: Some(station.aid),
            sta: Sta::Associated(Box::new(Assoc {
                station: station.clone(),
                pending_response: None,
                next_station_poll,
                client_poll: None,
                block_ack_again: Vec::new(),
            })),
            config,
            stopped: false,
            next_cookie: 1,
            counters: LvapCounters::default(),
        };
        out.push(lvap.start_ap().map_err(ImportError::BadBss)?);
        out.push(Action::AddStation(station));
        // Before the switch, while the source still serves: the client
        // ends its block-ack agreements with the source's kernel now, so
        // that none holds back (reorder buffer, sequence numbers this
        // kernel does not share) the first frames after the switch; the
        // source's kernel, which did not hear them end, starts no new
        // one. Measured in the VM: with DELBAs only at the authorization,
        // a ping in two was lost just after most switches, which without
        // HT lost none. Authorize sends them again.
        lvap.end_block_ack(out);
        Ok(lvap)
    }

    /// The LVAP's configuration.
    pub fn config(&self) -> &LvapConfig {
        &self.config
    }

    /// Counters.
    pub fn counters(&self) -> &LvapCounters {
        &self.counters
    }

    /// The BSS's beacon interval, TU.
    pub fn beacon_interval(&self) -> u16 {
        self.config.bss.beacon_interval
    }

    /// True once the client is associated.
    pub fn is_associated(&self) -> bool {
        matches!(self.sta, Sta::Associated(_))
    }

    /// True once the client may exchange data.
    pub fn is_authorized(&self) -> bool {
        matches!(&self.sta, Sta::Associated(a) if a.station.flags.authorized)
    }

    /// True after [`Command::Stop`].
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The complete state of the associated client, for a migration.
    pub fn export(&self) -> Option<StationState> {
        match &self.sta {
            Sta::Associated(a) => {
                let mut state = a.station.clone();
                state.last_rx_seq = self.last_rx_seq;
                Some(state)
            }
            _ => None,
        }
    }

    /// The next time [`Input::Tick`] has something to do, if any.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.stopped {
            return None;
        }
        match &self.sta {
            Sta::None => None,
            Sta::Authenticated { since, .. } => Some(*since + self.config.timeouts.auth_to_assoc),
            Sta::Associated(a) => {
                let next = match a.client_poll {
                    Some((_, deadline)) => deadline.min(a.next_station_poll),
                    None => a.next_station_poll,
                };
                Some(a.block_ack_again.iter().copied().fold(next, Instant::min))
            }
        }
    }

    /// Feeds one input at time `now`; actions are appended to `out`.
    pub fn handle(&mut self, input: Input<'_>, now: Instant, out: &mut Vec<Action>) {
        if self.stopped {
            if let Input::Frame(_) = input {
                self.counters.rx_frames += 1;
                self.counters.count(DropReason::Stopped);
            }
            return;
        }
        match input {
            Input::Frame(bytes) => {
                self.counters.rx_frames += 1;
                if let Err(reason) = self.frame(bytes, now, out) {
                    self.counters.count(reason);
                }
            }
            Input::TxStatus { cookie, acked } => self.tx_status(cookie, acked, now, out),
            Input::StationInfo { inactive } => self.station_info(inactive, now, out),
            Input::UnexpectedData => {
                if !self.is_associated() {
                    self.send_goodbye(true, ReasonCode::Class3FrameFromNonassocSta, out);
                }
            }
            Input::Command(command) => self.command(command, now, out),
            Input::Tick => self.tick(now, out),
        }
    }

    fn start_ap(&self) -> odin_wire::Result<Action> {
        let bss = &self.config.bss;
        Ok(Action::StartAp {
            bssid: self.config.bssid,
            beacon: bss.beacon(self.config.bssid)?,
            ssid: bss.ssid.clone(),
            beacon_interval: bss.beacon_interval,
            dtim_period: bss.dtim_period,
            channel: bss.channel,
        })
    }

    fn cookie(&mut self) -> Cookie {
        let cookie = Cookie(self.next_cookie);
        self.next_cookie += 1;
        cookie
    }

    fn send(
        &self,
        frame: odin_wire::Result<Vec<u8>>,
        cookie: Option<Cookie>,
        out: &mut Vec<Action>,
    ) {
        // Frames are built from our own configuration and the client's
        // validated elements; a failure here means a configuration that
        // cannot be put on the air (an SSID over 32 bytes), which the
        // agent refuses before creating the LVAP.
        match frame {
            Ok(frame) => out.push(Action::SendFrame { frame, cookie }),
            Err(error) => tracing::error!(bssid = %self.config.bssid, %error, "cannot build frame"),
        }
    }

    fn send_goodbye(&self, deauth: bool, reason: ReasonCode, out: &mut Vec<Action>) {
        let frame = BssConfig::goodbye(self.config.bssid, self.config.client, deauth, reason);
        self.send(frame, None, out);
    }

    /// Removes the kernel station if there is one and forgets the client.
    fn drop_station(&mut self, out: &mut Vec<Action>) {
        let in_kernel = match self.sta {
            Sta::None => false,
            Sta::Authenticated { in_kernel, .. } => in_kernel,
            Sta::Associated(_) => true,
        };
        if in_kernel {
            out.push(Action::RemoveStation {
                sta: self.config.client,
            });
        }
        self.sta = Sta::None;
    }

    fn frame(
        &mut self,
        bytes: &[u8],
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Result<(), DropReason> {
        let repr = MgmtRepr::parse_bytes(bytes).map_err(DropReason::Parse)?;
        let header = repr.header;
        if header.sa != self.config.client {
            return Err(DropReason::NotOurClient);
        }
        if header.retry() && self.last_rx_seq == Some(header.seq.number) {
            return Err(DropReason::Duplicate);
        }
        self.last_rx_seq = Some(header.seq.number);
        let bssid = self.config.bssid;
        let ours = header.da == bssid && header.bssid == bssid;
        match repr.body {
            MgmtBody::ProbeReq(probe) => self.probe(&repr.header, probe.elements, out),
            _ if !ours => Err(DropReason::WrongBssid),
            MgmtBody::Auth(auth) => {
                self.auth(&auth, now, out);
                Ok(())
            }
            MgmtBody::AssocReq(req) => self.assoc(false, &req, now, out),
            MgmtBody::ReassocReq { req, .. } => self.assoc(true, &req, now, out),
            MgmtBody::Disassoc { reason, .. } => {
                if !self.is_associated() {
                    return Err(DropReason::NotAuthenticated);
                }
                // The client stays authenticated; the kernel station goes.
                out.push(Action::RemoveStation {
                    sta: self.config.client,
                });
                self.sta = Sta::Authenticated {
                    since: now,
                    in_kernel: false,
                };
                out.push(Action::Event(LvapEvent::Left(LeaveReason::Disassociated(
                    reason,
                ))));
                Ok(())
            }
            MgmtBody::Deauth { reason, .. } => {
                if matches!(self.sta, Sta::None) {
                    return Err(DropReason::NotAuthenticated);
                }
                self.drop_station(out);
                self.aid = None;
                out.push(Action::Event(LvapEvent::Left(
                    LeaveReason::Deauthenticated(reason),
                )));
                Ok(())
            }
            MgmtBody::Action(action) => {
                if !self.is_associated() {
                    return Err(DropReason::NotAuthenticated);
                }
                out.push(Action::Event(LvapEvent::ActionFrame {
                    category: action.category(),
                }));
                Ok(())
            }
            MgmtBody::ActionNoAck(_)
            | MgmtBody::Beacon(_)
            | MgmtBody::ProbeResp(_)
            | MgmtBody::AssocResp(_)
            | MgmtBody::ReassocResp(_) => Err(DropReason::Unhandled),
        }
    }

    fn probe(
        &mut self,
        header: &odin_wire::ieee80211::MgmtHeader,
        elements: &[u8],
        out: &mut Vec<Action>,
    ) -> Result<(), DropReason> {
        let bssid = self.config.bssid;
        answers_probe(&self.config.bss, bssid, header, elements)?;
        let frame = self.config.bss.probe_response(bssid, self.config.client);
        self.send(frame, None, out);
        self.counters.probes_answered += 1;
        Ok(())
    }

    fn auth(&mut self, auth: &AuthRepr<'_>, now: Instant, out: &mut Vec<Action>) {
        let (bssid, client) = (self.config.bssid, self.config.client);
        let reply = |status| {
            BssConfig::auth_response(
                bssid,
                client,
                auth.algorithm,
                auth.transaction.wrapping_add(1),
                status,
            )
        };
        let refusal = if auth.algorithm != AuthAlgorithm::OpenSystem {
            Some(StatusCode::NotSupportedAuthAlg)
        } else if auth.transaction != 1 {
            Some(StatusCode::UnknownAuthTransaction)
        } else {
            None
        };
        if let Some(status) = refusal {
            self.send(reply(status), None, out);
            out.push(Action::Event(LvapEvent::AuthRefused(status)));
            return;
        }
        let in_kernel = match &self.sta {
            Sta::None => false,
            Sta::Authenticated { in_kernel, .. } => *in_kernel,
            Sta::Associated(_) => {
                // Authenticating again resets the association (as hostapd
                // does): the old station entry goes, a fresh one comes.
                out.push(Action::RemoveStation { sta: client });
                out.push(Action::Event(LvapEvent::Left(LeaveReason::Reauthenticated)));
                false
            }
        };
        if !in_kernel {
            out.push(Action::AddStation(self.unassociated_station()));
        }
        self.sta = Sta::Authenticated {
            since: now,
            in_kernel: true,
        };
        self.send(reply(StatusCode::Success), None, out);
        out.push(Action::Event(LvapEvent::Authenticated));
    }

    fn unassociated_station(&self) -> StationState {
        StationState::unassociated(self.config.client, self.config.bssid)
    }

    /// Checks a (re)association request; on success the station state it
    /// leads to, on failure the status to answer.
    fn assoc_decision(
        &self,
        req: &AssocReqRepr<'_>,
    ) -> Result<(StationState, AssocFeatures), StatusCode> {
        let bss = &self.config.bss;
        let elems = ParsedElements::parse(req.elements).map_err(|_| StatusCode::Unspecified)?;
        if elems.ssid != Some(bss.ssid.as_slice()) {
            return Err(StatusCode::Unspecified);
        }
        if req.listen_interval > bss.max_listen_interval {
            return Err(StatusCode::Unknown(51)); // listen interval too large
        }
        let client_rates = RateSet::from_elements(elems.supported_rates, elems.extended_rates);
        if client_rates.is_empty() {
            return Err(StatusCode::Unspecified);
        }
        if !bss.rates.contains_all_basic(&client_rates) {
            return Err(StatusCode::AssocDeniedRates);
        }
        let rates = bss.rates.intersect(&client_rates);
        let ht = bss.ht.is_some() && elems.ht_capabilities.is_some();
        let vht = ht && bss.vht.is_some() && elems.vht_capabilities.is_some();
        let wmm = match (&bss.wmm, elems.wmm) {
            (Some(_), Some(Wmm::Information { qos_info, .. })) => Some(WmmStation { qos_info }),
            (Some(_), Some(Wmm::Parameter(p))) => Some(WmmStation {
                qos_info: p.qos_info,
            }),
            _ => None,
        };
        let features = AssocFeatures {
            ht,
            vht,
            wmm: wmm.is_some(),
        };
        let station = StationState {
            sta: self.config.client,
            bssid: self.config.bssid,
            aid: self.aid.unwrap_or(1),
            listen_interval: req.listen_interval,
            capabilities: req.capabilities,
            supported_rates: rates.as_bytes().to_vec(),
            ht_capabilities: elems
                .ht_capabilities
                .filter(|_| ht)
                .and_then(|c| element_body(ElementRepr::HtCapabilities(c))),
            vht_capabilities: elems
                .vht_capabilities
                .filter(|_| vht)
                .and_then(|c| element_body(ElementRepr::VhtCapabilities(c))),
            ext_capabilities: elems.extended_capabilities.map(<[u8]>::to_vec),
            wmm,
            flags: StationFlags {
                authenticated: true,
                associated: true,
                authorized: false,
                wme: wmm.is_some(),
                short_preamble: bss.short_preamble
                    && req.capabilities & odin_wire::ieee80211::capability::SHORT_PREAMBLE != 0,
            },
            last_rx_seq: None,
            assoc_ies: req.elements.to_vec(),
        };
        Ok((station, features))
    }

    fn assoc(
        &mut self,
        reassociation: bool,
        req: &AssocReqRepr<'_>,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Result<(), DropReason> {
        let (bssid, client) = (self.config.bssid, self.config.client);
        if matches!(self.sta, Sta::None) {
            self.send_goodbye(true, ReasonCode::Class2FrameFromNonauthSta, out);
            return Err(DropReason::NotAuthenticated);
        }
        let (station, features) = match self.assoc_decision(req) {
            Ok(ok) => ok,
            Err(status) => {
                let frame =
                    self.config
                        .bss
                        .assoc_response(bssid, client, reassociation, status, 0, None);
                self.send(frame, None, out);
                out.push(Action::Event(LvapEvent::AssocRefused(status)));
                return Ok(());
            }
        };
        match &self.sta {
            Sta::Authenticated {
                in_kernel: true, ..
            } => out.push(Action::UpdateStation(station.clone())),
            Sta::Authenticated {
                in_kernel: false, ..
            } => out.push(Action::AddStation(station.clone())),
            Sta::Associated(_) => {
                // The kernel refuses to change an associated station's
                // rates and capabilities: start its entry afresh.
                out.push(Action::RemoveStation { sta: client });
                out.push(Action::AddStation(station.clone()));
            }
            Sta::None => {}
        }
        let aid = station.aid;
        self.aid = Some(aid);
        let cookie = self.cookie();
        let frame = self.config.bss.assoc_response(
            bssid,
            client,
            reassociation,
            StatusCode::Success,
            aid,
            Some(&features),
        );
        self.send(frame, Some(cookie), out);
        self.sta = Sta::Associated(Box::new(Assoc {
            station,
            pending_response: Some(cookie),
            next_station_poll: now + self.config.timeouts.station_poll,
            client_poll: None,
            block_ack_again: Vec::new(),
        }));
        out.push(Action::Event(LvapEvent::Associated { reassociation, aid }));
        Ok(())
    }

    fn tx_status(&mut self, cookie: Cookie, acked: bool, now: Instant, out: &mut Vec<Action>) {
        let client = self.config.client;
        let Sta::Associated(assoc) = &mut self.sta else {
            return;
        };
        if assoc.pending_response == Some(cookie) {
            assoc.pending_response = None;
            if acked {
                assoc.station.flags.authorized = true;
                out.push(Action::SetStationFlags {
                    sta: client,
                    flags: assoc.station.flags,
                });
                out.push(Action::Event(LvapEvent::Authorized));
            } else {
                out.push(Action::Event(LvapEvent::AssocResponseLost));
            }
        } else if matches!(assoc.client_poll, Some((c, _)) if c == cookie) {
            assoc.client_poll = None;
            if !acked {
                self.inactivity_disconnect(out);
            } else {
                assoc.next_station_poll = now + self.config.timeouts.station_poll;
            }
        }
    }

    fn station_info(&mut self, inactive: Duration, now: Instant, out: &mut Vec<Action>) {
        let max = self.config.timeouts.max_inactivity;
        let deadline = now + self.config.timeouts.client_poll;
        let client = self.config.client;
        let cookie = Cookie(self.next_cookie);
        let Sta::Associated(assoc) = &mut self.sta else {
            return;
        };
        if inactive >= max && assoc.client_poll.is_none() {
            self.next_cookie += 1;
            assoc.client_poll = Some((cookie, deadline));
            out.push(Action::PollClient {
                sta: client,
                cookie,
            });
        }
    }

    fn inactivity_disconnect(&mut self, out: &mut Vec<Action>) {
        self.send_goodbye(true, ReasonCode::DisassocDueToInactivity, out);
        self.drop_station(out);
        self.aid = None;
        out.push(Action::Event(LvapEvent::Left(LeaveReason::Inactive)));
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        let timeouts = self.config.timeouts;
        let client = self.config.client;
        match &mut self.sta {
            Sta::None => {}
            Sta::Authenticated { since, .. } => {
                if now.saturating_since(*since) >= timeouts.auth_to_assoc {
                    self.drop_station(out);
                    out.push(Action::Event(LvapEvent::Left(LeaveReason::AuthTimeout)));
                }
            }
            Sta::Associated(assoc) => {
                if matches!(assoc.client_poll, Some((_, deadline)) if now >= deadline) {
                    assoc.client_poll = None;
                    self.inactivity_disconnect(out);
                    return;
                }
                if now >= assoc.next_station_poll {
                    assoc.next_station_poll = now + timeouts.station_poll;
                    out.push(Action::QueryStation { sta: client });
                }
                let due = assoc.block_ack_again.iter().any(|t| *t <= now);
                assoc.block_ack_again.retain(|t| *t > now);
                if due {
                    self.end_block_ack(out);
                }
            }
        }
    }

    /// A DELBA per TID in both roles: every block-ack agreement between
    /// the client and a kernel ends. Only an associated HT client has any:
    /// for another, nothing.
    fn end_block_ack(&self, out: &mut Vec<Action>) {
        let Sta::Associated(assoc) = &self.sta else {
            return;
        };
        if assoc.station.ht_capabilities.is_none() {
            return;
        }
        for tid in 0..8 {
            for initiator in [true, false] {
                let frame = BssConfig::delba(self.config.bssid, self.config.client, tid, initiator);
                self.send(frame, None, out);
            }
        }
    }

    fn command(&mut self, command: Command, now: Instant, out: &mut Vec<Action>) {
        let client = self.config.client;
        match command {
            Command::Authorize => {
                let mut newly = false;
                if let Sta::Associated(assoc) = &mut self.sta {
                    if !assoc.station.flags.authorized {
                        assoc.station.flags.authorized = true;
                        assoc.pending_response = None;
                        newly = true;
                        out.push(Action::SetStationFlags {
                            sta: client,
                            flags: assoc.station.flags,
                        });
                        out.push(Action::Event(LvapEvent::Authorized));
                    }
                }
                // An imported HT client keeps the block-ack agreements it
                // made with the kernel that served it before, whose
                // sequence state this kernel does not have: its reorder
                // buffers would hold back this kernel's frames and its
                // aggregates would wait for answers. End every agreement,
                // both roles, every TID: the client sets them up again
                // with the kernel that serves it now.
                if newly {
                    self.end_block_ack(out);
                }
            }
            Command::ExpectArrival { after } => {
                if let Sta::Associated(assoc) = &mut self.sta {
                    if assoc.station.ht_capabilities.is_some() {
                        assoc.block_ack_again = after.iter().map(|d| now + *d).collect();
                    }
                }
            }
            Command::AnnounceSwitch { channel, count } => {
                if !self.is_associated() {
                    return;
                }
                // The client's agreements are with this kernel; it sets
                // them up again with the target's on the new channel.
                self.end_block_ack(out);
                // Mode 0: the client goes on transmitting until it moves
                // (at once with a count of 0 or 1), to this BSS, which
                // still forwards; the target serves it on arrival.
                let bssid = self.config.bssid;
                let frame = BssConfig::channel_switch_action(bssid, client, channel, count, false);
                self.send(frame, None, out);
                match self
                    .config
                    .bss
                    .channel_switch_beacon(bssid, channel, count, false)
                {
                    Ok((beacon, _)) => out.push(Action::SetBeacon { beacon }),
                    Err(error) => tracing::error!(%bssid, %error, "cannot build the CSA beacon"),
                }
            }
            Command::SwitchChannel { channel, count } => {
                let bssid = self.config.bssid;
                let bss = &self.config.bss;
                let after = BssConfig {
                    channel,
                    ..bss.clone()
                };
                let beacons = bss
                    .channel_switch_beacon(bssid, channel, count, false)
                    .and_then(|csa| Ok((csa, after.beacon(bssid)?)));
                let ((beacon_csa, csa_counter_offsets), beacon_after) = match beacons {
                    Ok(beacons) => beacons,
                    Err(error) => {
                        tracing::error!(%bssid, %error, "cannot build the channel switch's beacons");
                        return;
                    }
                };
                if self.is_associated() {
                    let frame =
                        BssConfig::channel_switch_action(bssid, client, channel, count, false);
                    self.send(frame, None, out);
                }
                out.push(Action::ChannelSwitch {
                    channel,
                    count,
                    beacon_csa,
                    csa_counter_offsets,
                    beacon_after,
                });
                self.config.bss = after;
            }
            Command::Deauthenticate(reason) => {
                if !matches!(self.sta, Sta::None) {
                    self.send_goodbye(true, reason, out);
                    self.drop_station(out);
                    self.aid = None;
                    out.push(Action::Event(LvapEvent::Left(LeaveReason::Command)));
                }
            }
            Command::Disassociate(reason) => {
                if self.is_associated() {
                    self.send_goodbye(false, reason, out);
                    out.push(Action::RemoveStation { sta: client });
                    self.sta = Sta::Authenticated {
                        since: now,
                        in_kernel: false,
                    };
                    out.push(Action::Event(LvapEvent::Left(LeaveReason::Command)));
                }
            }
            Command::Stop => {
                self.drop_station(out);
                out.push(Action::StopAp {
                    bssid: self.config.bssid,
                });
                self.stopped = true;
            }
        }
    }
}

/// The body of an element (without its two header octets).
fn element_body(element: ElementRepr<'_>) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(element.buffer_len());
    element.emit_to_vec(&mut bytes).ok()?;
    bytes.drain(..2);
    Some(bytes)
}

#[cfg(test)]
mod tests;
