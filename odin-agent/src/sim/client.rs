//! A simulated client station (sans-IO): scans, authenticates, associates,
//! sends data, watches its BSS's beacons, and logs what happened to it.
//!
//! It behaves like mac80211's MLME under wpa_supplicant, simplified: a
//! wildcard probe on its one channel, the strongest answer for its SSID
//! wins, open-system authentication and association with 200 ms timeouts
//! and three tries each, then a data frame every `traffic_interval`; the
//! link is lost after `beacon_loss` without a beacon of its BSS, or on a
//! deauthentication or disassociation from it, and then it scans again. It
//! follows a Channel Switch Announcement in its BSS's beacons, as mac80211
//! does: it moves when it hears the beacon that counts 1 (the AP's last on
//! the old channel), or at the time that beacon was due if it missed it.
//! The medium feeds it received frames, the acknowledgement of each frame
//! it sent and ticks at [`SimClient::poll_at`]; it never reads a clock.

use std::collections::VecDeque;
use std::time::Duration;

use odin_wire::ie::{ElementId, ElementRepr, Elements, ParsedElements, Rates, Wmm};
use odin_wire::ieee80211::{
    capability, ActionRepr, AssocReqRepr, AuthAlgorithm, AuthRepr, Frame, FrameControl, FrameType,
    MgmtBody, MgmtHeader, MgmtRepr, MgmtSubtype, ProbeReqRepr, ReasonCode, SeqCtrl, StatusCode,
};
use odin_wire::MacAddr;

use crate::time::Instant;

/// 1, 2, 5.5, 11, 6, 9, 12, 18 Mb/s (Supported Rates).
const RATES: [u8; 8] = [0x02, 0x04, 0x0b, 0x16, 0x0c, 0x12, 0x18, 0x24];
/// 24, 36, 48, 54 Mb/s (Extended Supported Rates).
const EXT_RATES: [u8; 4] = [0x30, 0x48, 0x60, 0x6c];
/// RFC 1042 LLC/SNAP header for IPv4, the start of every data body we send.
const LLC_SNAP_IPV4: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00];

/// Timers and traffic of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long a scan collects probe responses.
    pub scan_dwell: Duration,
    /// Pause before scanning again after a scan found nothing or a
    /// connection attempt failed.
    pub scan_retry: Duration,
    /// How long to wait for an authentication response.
    pub auth_timeout: Duration,
    /// How long to wait for an association response.
    pub assoc_timeout: Duration,
    /// Requests sent before giving up on a BSS (mac80211: 3).
    pub max_tries: u8,
    /// The link is lost after this long without a beacon of its BSS.
    pub beacon_loss: Duration,
    /// A data frame to the BSS this often once connected; zero: none.
    pub traffic_interval: Duration,
    /// The length of each data frame's body, bytes.
    pub data_len: usize,
    /// Listen interval sent at association, in beacon intervals.
    pub listen_interval: u16,
    /// Entries kept in the log (the oldest are dropped first).
    pub log_capacity: usize,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            scan_dwell: Duration::from_millis(50),
            scan_retry: Duration::from_millis(500),
            auth_timeout: Duration::from_millis(200),
            assoc_timeout: Duration::from_millis(200),
            max_tries: 3,
            beacon_loss: Duration::from_secs(1),
            traffic_interval: Duration::from_millis(100),
            data_len: 100,
            listen_interval: 5,
            log_capacity: 256,
        }
    }
}

/// What a client hears or is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClientInput<'a> {
    /// A frame received (without FCS) and its signal.
    Frame {
        /// The frame.
        frame: &'a [u8],
        /// Its signal, dBm.
        signal_dbm: f64,
    },
    /// Whether the last frame of this kind that the client sent was
    /// acknowledged (broadcast frames: always true once sent).
    TxStatus {
        /// The kind of frame.
        kind: TxKind,
        /// Acknowledged.
        acked: bool,
    },
    /// Time passed: check the timers.
    Tick,
}

/// The kinds of frame a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxKind {
    /// A wildcard probe request (broadcast).
    ProbeReq,
    /// An authentication request.
    Auth,
    /// An association request.
    Assoc,
    /// A data frame to the BSS.
    Data,
}

/// A frame the client puts on the air.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The frame, without FCS.
    pub frame: Vec<u8>,
    /// What it is.
    pub kind: TxKind,
}

/// Why a connection attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// No authentication response after every try.
    AuthTimeout,
    /// The AP refused the authentication.
    AuthRefused(StatusCode),
    /// No association response after every try.
    AssocTimeout,
    /// The AP refused the association.
    AssocRefused(StatusCode),
    /// The AP deauthenticated or disassociated us while we joined.
    Kicked(ReasonCode),
}

/// Why an established connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// No beacon of the BSS for `beacon_loss`.
    BeaconLoss,
    /// The AP sent a deauthentication.
    Deauthenticated(ReasonCode),
    /// The AP sent a disassociation.
    Disassociated(ReasonCode),
}

/// Something that happened to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEvent {
    /// A scan began (a probe request went out).
    ScanStarted,
    /// A scan ended without an answer for our SSID.
    ScanEmpty,
    /// Authenticating with the strongest BSS heard.
    Joining {
        /// The BSS.
        bssid: MacAddr,
        /// Its probe response's signal, dBm (rounded).
        signal_dbm: i32,
    },
    /// Open-system authentication succeeded.
    Authenticated {
        /// The BSS.
        bssid: MacAddr,
    },
    /// Association succeeded: connected.
    Associated {
        /// The BSS.
        bssid: MacAddr,
        /// The association ID given.
        aid: u16,
    },
    /// A connection attempt failed.
    JoinFailed {
        /// The BSS.
        bssid: MacAddr,
        /// Why.
        reason: FailReason,
    },
    /// A connection ended.
    Disconnected {
        /// The BSS.
        bssid: MacAddr,
        /// Why.
        reason: DisconnectReason,
    },
    /// Followed its BSS's channel switch announcement.
    ChannelSwitched {
        /// The BSS.
        bssid: MacAddr,
        /// The new channel.
        channel: u8,
    },
}

/// One log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntry {
    /// When.
    pub at: Instant,
    /// What.
    pub event: ClientEvent,
}

/// Counters of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientCounters {
    /// Scans started.
    pub scans: u64,
    /// Data frames sent.
    pub data_sent: u64,
    /// Data frames acknowledged.
    pub data_acked: u64,
    /// Data frames not acknowledged.
    pub data_lost: u64,
    /// Beacons of its BSS received while connected.
    pub beacons: u64,
    /// Frames received (all kinds).
    pub frames_received: u64,
    /// Connections established.
    pub connections: u64,
    /// Connections lost.
    pub disconnections: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Scanning {
        until: Instant,
        best: Option<(MacAddr, f64)>,
    },
    WaitScan {
        at: Instant,
    },
    Authenticating {
        bssid: MacAddr,
        tries: u8,
        deadline: Instant,
    },
    Associating {
        bssid: MacAddr,
        tries: u8,
        deadline: Instant,
    },
    Connected {
        bssid: MacAddr,
        aid: u16,
        last_beacon: Instant,
        next_data: Option<Instant>,
    },
}

/// A client station.
#[derive(Debug, Clone)]
pub struct SimClient {
    mac: MacAddr,
    ssid: Vec<u8>,
    channel: u8,
    config: ClientConfig,
    state: State,
    seq: SeqCtrl,
    data_seq: u64,
    log: VecDeque<LogEntry>,
    counters: ClientCounters,
    /// A channel switch its BSS announced: when, which BSS, to where.
    switch: Option<(Instant, MacAddr, u8)>,
}

impl SimClient {
    /// A client that starts scanning at `now` (its probe goes to `out`).
    pub fn new(
        mac: MacAddr,
        ssid: &[u8],
        channel: u8,
        config: ClientConfig,
        now: Instant,
        out: &mut Vec<Transmit>,
    ) -> SimClient {
        let mut client = SimClient {
            mac,
            ssid: ssid.to_vec(),
            channel,
            config,
            state: State::WaitScan { at: now },
            seq: SeqCtrl::default(),
            data_seq: 0,
            log: VecDeque::new(),
            counters: ClientCounters::default(),
            switch: None,
        };
        client.start_scan(now, out);
        client
    }

    /// Its address.
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// The SSID it looks for.
    pub fn ssid(&self) -> &[u8] {
        &self.ssid
    }

    /// The channel it scans and works on.
    pub fn channel(&self) -> u8 {
        self.channel
    }

    /// Its configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The BSS it is connected to.
    pub fn bssid(&self) -> Option<MacAddr> {
        match self.state {
            State::Connected { bssid, .. } => Some(bssid),
            _ => None,
        }
    }

    /// The AID it was given, when connected.
    pub fn aid(&self) -> Option<u16> {
        match self.state {
            State::Connected { aid, .. } => Some(aid),
            _ => None,
        }
    }

    /// The BSS whose frames it takes: the one it joins or is connected to.
    /// The medium delivers beacons only to the clients listening to them
    /// (a station's receive filter).
    pub fn listening_to(&self) -> Option<MacAddr> {
        match self.state {
            State::Authenticating { bssid, .. }
            | State::Associating { bssid, .. }
            | State::Connected { bssid, .. } => Some(bssid),
            State::Scanning { .. } | State::WaitScan { .. } => None,
        }
    }

    /// True when associated.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected { .. })
    }

    /// Connections lost so far (beacon loss, deauthentication,
    /// disassociation).
    pub fn disconnections(&self) -> u64 {
        self.counters.disconnections
    }

    /// Counters.
    pub fn counters(&self) -> ClientCounters {
        self.counters
    }

    /// The log, oldest first (at most `log_capacity` entries).
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> + '_ {
        self.log.iter()
    }

    /// The next time [`ClientInput::Tick`] has something to do.
    pub fn poll_at(&self) -> Option<Instant> {
        let state = self.state_poll_at();
        match self.switch {
            Some((at, _, _)) => Some(state.map_or(at, |s| s.min(at))),
            None => state,
        }
    }

    fn state_poll_at(&self) -> Option<Instant> {
        Some(match self.state {
            State::Scanning { until, .. } => until,
            State::WaitScan { at } => at,
            State::Authenticating { deadline, .. } | State::Associating { deadline, .. } => {
                deadline
            }
            State::Connected {
                last_beacon,
                next_data,
                ..
            } => {
                let lost = last_beacon + self.config.beacon_loss;
                next_data.map_or(lost, |d| d.min(lost))
            }
        })
    }

    /// Feeds one input at `now`; frames to send go to `out`.
    pub fn handle(&mut self, input: ClientInput<'_>, now: Instant, out: &mut Vec<Transmit>) {
        match input {
            ClientInput::Frame { frame, signal_dbm } => self.frame(frame, signal_dbm, now, out),
            ClientInput::TxStatus { kind, acked } => {
                if kind == TxKind::Data {
                    if acked {
                        self.counters.data_acked += 1;
                    } else {
                        self.counters.data_lost += 1;
                    }
                }
            }
            ClientInput::Tick => self.tick(now, out),
        }
    }

    fn record(&mut self, now: Instant, event: ClientEvent) {
        if self.config.log_capacity == 0 {
            return;
        }
        while self.log.len() >= self.config.log_capacity {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry { at: now, event });
    }

    fn next_seq(&mut self) -> SeqCtrl {
        let seq = self.seq;
        self.seq = seq.next();
        seq
    }

    fn mgmt(&mut self, da: MacAddr, bssid: MacAddr, body: MgmtBody<'_>) -> Option<Vec<u8>> {
        let mut header = MgmtHeader::new(da, self.mac, bssid);
        header.seq = self.next_seq();
        // Built from constants and our own SSID (checked at creation by
        // the medium); a failure would only drop this frame.
        MgmtRepr { header, body }.to_vec().ok()
    }

    fn push_rates(elements: &mut Vec<u8>) {
        for element in [
            Rates::new(&RATES).map(ElementRepr::SupportedRates),
            Rates::new(&EXT_RATES).map(ElementRepr::ExtendedRates),
        ]
        .into_iter()
        .flatten()
        {
            // Constant, valid elements.
            let _ = element.emit_to_vec(elements);
        }
    }

    fn start_scan(&mut self, now: Instant, out: &mut Vec<Transmit>) {
        self.switch = None;
        self.counters.scans += 1;
        self.record(now, ClientEvent::ScanStarted);
        let mut elements = Vec::with_capacity(32);
        let _ = ElementRepr::Ssid(&[]).emit_to_vec(&mut elements);
        Self::push_rates(&mut elements);
        let _ = ElementRepr::DsParams {
            channel: self.channel,
        }
        .emit_to_vec(&mut elements);
        let body = MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &elements,
        });
        if let Some(frame) = self.mgmt(MacAddr::BROADCAST, MacAddr::BROADCAST, body) {
            out.push(Transmit {
                frame,
                kind: TxKind::ProbeReq,
            });
        }
        self.state = State::Scanning {
            until: now + self.config.scan_dwell,
            best: None,
        };
    }

    fn send_auth(&mut self, bssid: MacAddr, tries: u8, now: Instant, out: &mut Vec<Transmit>) {
        let body = MgmtBody::Auth(AuthRepr {
            algorithm: AuthAlgorithm::OpenSystem,
            transaction: 1,
            status: StatusCode::Success,
            rest: &[],
        });
        if let Some(frame) = self.mgmt(bssid, bssid, body) {
            out.push(Transmit {
                frame,
                kind: TxKind::Auth,
            });
        }
        self.state = State::Authenticating {
            bssid,
            tries,
            deadline: now + self.config.auth_timeout,
        };
    }

    fn send_assoc(&mut self, bssid: MacAddr, tries: u8, now: Instant, out: &mut Vec<Transmit>) {
        let mut elements = Vec::with_capacity(64);
        let ssid = self.ssid.clone();
        let _ = ElementRepr::Ssid(&ssid).emit_to_vec(&mut elements);
        Self::push_rates(&mut elements);
        let _ = ElementRepr::Wmm(Wmm::Information {
            version: 1,
            qos_info: 0,
        })
        .emit_to_vec(&mut elements);
        let body = MgmtBody::AssocReq(AssocReqRepr {
            capabilities: capability::ESS
                | capability::SHORT_PREAMBLE
                | capability::SHORT_SLOT_TIME,
            listen_interval: self.config.listen_interval,
            elements: &elements,
        });
        if let Some(frame) = self.mgmt(bssid, bssid, body) {
            out.push(Transmit {
                frame,
                kind: TxKind::Assoc,
            });
        }
        self.state = State::Associating {
            bssid,
            tries,
            deadline: now + self.config.assoc_timeout,
        };
    }

    fn data_frame(&mut self, bssid: MacAddr) -> Vec<u8> {
        let header_len = 24;
        let mut bytes = vec![0u8; header_len + self.config.data_len.max(LLC_SNAP_IPV4.len() + 8)];
        let seq = self.next_seq();
        {
            let mut frame = Frame::new_unchecked(&mut bytes[..]);
            // Data, subtype 0, To DS.
            frame.set_frame_control(FrameControl(0x0108));
            frame.set_addr1(bssid);
            frame.set_addr2(self.mac);
            frame.set_addr3(bssid);
            frame.set_seq_ctrl(seq);
        }
        let body = bytes.get_mut(header_len..).unwrap_or_default();
        let (llc, rest) = body.split_at_mut(LLC_SNAP_IPV4.len().min(body.len()));
        llc.copy_from_slice(LLC_SNAP_IPV4.get(..llc.len()).unwrap_or_default());
        if let Some(counter) = rest.get_mut(..8) {
            counter.copy_from_slice(&self.data_seq.to_be_bytes());
        }
        self.data_seq += 1;
        bytes
    }

    /// Gives up on `bssid` and scans again after `scan_retry`.
    fn fail(&mut self, bssid: MacAddr, reason: FailReason, now: Instant) {
        self.record(now, ClientEvent::JoinFailed { bssid, reason });
        self.state = State::WaitScan {
            at: now + self.config.scan_retry,
        };
    }

    /// Loses the connection and scans again at once.
    fn disconnect(
        &mut self,
        bssid: MacAddr,
        reason: DisconnectReason,
        now: Instant,
        out: &mut Vec<Transmit>,
    ) {
        self.counters.disconnections += 1;
        self.record(now, ClientEvent::Disconnected { bssid, reason });
        self.start_scan(now, out);
    }

    /// A beacon of its BSS announced a channel switch in `count` beacon
    /// intervals of `interval`.
    fn switch_announced(
        &mut self,
        bssid: MacAddr,
        to: u8,
        count: u8,
        interval: Duration,
        now: Instant,
    ) {
        if to == self.channel {
            return;
        }
        // The AP moves right after the beacon that counts 1.
        let at = now + interval * u32::from(count.saturating_sub(1));
        self.switch = Some((at, bssid, to));
        if count <= 1 {
            self.follow_switch(now);
        }
    }

    /// Moves to the announced channel once it is time.
    fn follow_switch(&mut self, now: Instant) {
        let Some((at, bssid, channel)) = self.switch else {
            return;
        };
        if now < at {
            return;
        }
        self.switch = None;
        if self.bssid() == Some(bssid) {
            self.channel = channel;
            self.record(now, ClientEvent::ChannelSwitched { bssid, channel });
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Transmit>) {
        self.follow_switch(now);
        match self.state {
            State::Scanning { until, best } if now >= until => match best {
                Some((bssid, signal)) => {
                    self.record(
                        now,
                        ClientEvent::Joining {
                            bssid,
                            signal_dbm: signal.round() as i32,
                        },
                    );
                    self.send_auth(bssid, 1, now, out);
                }
                None => {
                    self.record(now, ClientEvent::ScanEmpty);
                    self.state = State::WaitScan {
                        at: now + self.config.scan_retry,
                    };
                }
            },
            State::WaitScan { at } if now >= at => self.start_scan(now, out),
            State::Authenticating {
                bssid,
                tries,
                deadline,
            } if now >= deadline => {
                if tries < self.config.max_tries {
                    self.send_auth(bssid, tries + 1, now, out);
                } else {
                    self.fail(bssid, FailReason::AuthTimeout, now);
                }
            }
            State::Associating {
                bssid,
                tries,
                deadline,
            } if now >= deadline => {
                if tries < self.config.max_tries {
                    self.send_assoc(bssid, tries + 1, now, out);
                } else {
                    self.fail(bssid, FailReason::AssocTimeout, now);
                }
            }
            State::Connected {
                bssid,
                aid,
                last_beacon,
                next_data,
            } => {
                if now >= last_beacon + self.config.beacon_loss {
                    self.disconnect(bssid, DisconnectReason::BeaconLoss, now, out);
                    return;
                }
                let Some(mut due) = next_data else { return };
                if now < due {
                    return;
                }
                let frame = self.data_frame(bssid);
                self.counters.data_sent += 1;
                out.push(Transmit {
                    frame,
                    kind: TxKind::Data,
                });
                // One frame per tick; a late tick skips the missed slots.
                while due <= now {
                    due = due + self.config.traffic_interval;
                }
                self.state = State::Connected {
                    bssid,
                    aid,
                    last_beacon,
                    next_data: Some(due),
                };
            }
            _ => {}
        }
    }

    fn frame(&mut self, bytes: &[u8], signal_dbm: f64, now: Instant, out: &mut Vec<Transmit>) {
        self.counters.frames_received += 1;
        let Ok(view) = Frame::new_checked(bytes) else {
            return;
        };
        let fc = view.frame_control();
        if fc.frame_type() != FrameType::Management {
            return;
        }
        let (da, Some(sa)) = (view.addr1(), view.addr2()) else {
            return;
        };
        if da != self.mac && !da.is_broadcast() {
            return;
        }
        // Beacons are the bulk: look at the header only.
        if fc.mgmt_subtype() == MgmtSubtype::Beacon {
            if let State::Connected {
                bssid,
                ref mut last_beacon,
                ..
            } = self.state
            {
                if sa == bssid {
                    *last_beacon = now;
                    self.counters.beacons += 1;
                    if let Some((to, count, interval)) = channel_switch(bytes) {
                        self.switch_announced(bssid, to, count, interval, now);
                    }
                }
            }
            return;
        }
        let Ok(repr) = MgmtRepr::parse_bytes(bytes) else {
            return;
        };
        let from = repr.header.bssid;
        match (self.state, repr.body) {
            (State::Scanning { until, best }, MgmtBody::ProbeResp(resp)) if da == self.mac => {
                let ssid = ParsedElements::parse(resp.elements)
                    .ok()
                    .and_then(|e| e.ssid);
                if ssid != Some(self.ssid.as_slice()) {
                    return;
                }
                if best.is_none_or(|(_, s)| signal_dbm > s) {
                    self.state = State::Scanning {
                        until,
                        best: Some((from, signal_dbm)),
                    };
                }
            }
            (State::Authenticating { bssid, .. }, MgmtBody::Auth(auth))
                if from == bssid && sa == bssid =>
            {
                if auth.algorithm != AuthAlgorithm::OpenSystem || auth.transaction != 2 {
                    return;
                }
                if auth.status == StatusCode::Success {
                    self.record(now, ClientEvent::Authenticated { bssid });
                    self.send_assoc(bssid, 1, now, out);
                } else {
                    self.fail(bssid, FailReason::AuthRefused(auth.status), now);
                }
            }
            (State::Associating { bssid, .. }, MgmtBody::AssocResp(resp))
                if from == bssid && sa == bssid =>
            {
                if resp.status == StatusCode::Success {
                    self.counters.connections += 1;
                    self.record(
                        now,
                        ClientEvent::Associated {
                            bssid,
                            aid: resp.aid,
                        },
                    );
                    let interval = self.config.traffic_interval;
                    self.state = State::Connected {
                        bssid,
                        aid: resp.aid,
                        last_beacon: now,
                        next_data: (!interval.is_zero()).then(|| now + interval),
                    };
                } else {
                    self.fail(bssid, FailReason::AssocRefused(resp.status), now);
                }
            }
            (
                State::Authenticating { bssid, .. } | State::Associating { bssid, .. },
                MgmtBody::Deauth { reason, .. } | MgmtBody::Disassoc { reason, .. },
            ) if from == bssid && sa == bssid => {
                self.fail(bssid, FailReason::Kicked(reason), now);
            }
            (
                State::Connected { bssid, .. },
                MgmtBody::Action(ActionRepr::ChannelSwitch { csa, .. }),
            ) if from == bssid && sa == bssid => {
                // The count is in beacon intervals; LVAPs beacon every 100 TU.
                let interval = Duration::from_micros(102_400);
                self.switch_announced(bssid, csa.new_channel, csa.count, interval, now);
            }
            (State::Connected { bssid, .. }, MgmtBody::Deauth { reason, .. })
                if from == bssid && sa == bssid =>
            {
                self.disconnect(bssid, DisconnectReason::Deauthenticated(reason), now, out);
            }
            (State::Connected { bssid, .. }, MgmtBody::Disassoc { reason, .. })
                if from == bssid && sa == bssid =>
            {
                self.disconnect(bssid, DisconnectReason::Disassociated(reason), now, out);
            }
            _ => {}
        }
    }
}

/// The Channel Switch Announcement of a beacon, if it has one: the new
/// channel, the count and the beacon interval.
fn channel_switch(beacon: &[u8]) -> Option<(u8, u8, Duration)> {
    // MAC header (24), timestamp (8), beacon interval (2), capability (2).
    let interval = u16::from_le_bytes(*beacon.get(32..34)?.first_chunk::<2>()?);
    let element = Elements::new(beacon.get(36..)?)
        .map_while(Result::ok)
        .find(|e| e.id() == ElementId::ChannelSwitch)?;
    let ElementRepr::ChannelSwitch(csa) = ElementRepr::parse(element).ok()? else {
        return None;
    };
    Some((
        csa.new_channel,
        csa.count,
        Duration::from_micros(u64::from(interval) * 1024),
    ))
}

#[cfg(test)]
mod tests;
