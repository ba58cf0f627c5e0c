//! [`Nl80211Radio`]: the [`Radio`] of a mac80211 wiphy.
//!
//! One tokio task (the driver) owns every socket and carries the commands
//! out in order:
//!
//! * a command socket for requests (and their replies and acks),
//! * a socket subscribed to the "mlme" multicast group (transmit status of
//!   frames and client probes),
//! * a route socket to bring interfaces up,
//! * per AP interface, its own socket that registered for the management
//!   frames; the kernel sends those frames to it with sequence number 0,
//!   and a small reader task per interface forwards them to the driver.
//!
//! * the radio's monitor interface, read by a capture thread (see
//!   [`super::monitor`]), so that clients without an LVAP here are heard.
//!
//! Closing the interface's socket ends its registrations, so `StopAp`
//! stops the reader. Interfaces (the monitor too) are created owned by the
//! command socket: if the agent dies, the kernel deletes them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netlink_sys::{protocols, AsyncSocket, AsyncSocketExt, Socket, TokioSocket};
use odin_proto::msg::{Band, RadioIndex, RadioInfo};
use odin_wire::ie::HtCapabilities;
use odin_wire::MacAddr;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, info, trace, warn};

use super::airtime::AirtimeCounters;
use super::consts::*;
use super::monitor::{self, Capture, Captured, Monitored, Responder, SharedResponder};
use super::msg::{hex, messages, Attrs, NlError, NlMsg, Transaction};
use super::request::{self, channel_to_freq, freq_to_channel, AP_FRAME_TYPES};
use super::survey::{mark_in_use, parse_survey_dump};
use super::wiphy::{parse_interfaces, parse_wiphy_dump, Interface, Wiphy};
use crate::lvap::BeaconTemplate;
use crate::radio::{MonitorAirtime, Radio, RadioCmd, RadioEvent, StationInfo, SurveyEntry};

/// How long an identical group-addressed frame heard on another interface
/// of the radio (or the monitor) counts as the same reception. Generous:
/// a station's frames differ in their sequence number, so only copies of
/// one transmission are identical, and the copies of a slow (emulated)
/// machine may be tens of milliseconds apart.
const DEDUP_WINDOW: Duration = Duration::from_millis(250);

/// How to open a radio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nl80211Config {
    /// The wiphy's name (`phy0`).
    pub phy: String,
    /// The agent's index for it.
    pub index: RadioIndex,
    /// The channel to use when no interface of the wiphy has one yet
    /// (default: the first enabled channel).
    pub channel: Option<u8>,
    /// Interface names are this prefix and a number (at most 15 bytes).
    pub ifname_prefix: String,
    /// The monitor interface's name (at most 15 bytes); `None`: no
    /// monitor, so clients are heard only once they have an LVAP here.
    pub monitor: Option<String>,
    /// A bridge every AP interface joins once it is up (as hostapd's
    /// `bridge=`), so that the clients' traffic reaches the wired side.
    pub bridge: Option<String>,
}

impl Nl80211Config {
    /// Radio `phy` as radio 0, AP interfaces named `odin0`, `odin1`, ...,
    /// the monitor `odinmon<N>` for `phyN` (`odinmon` and the name's digits).
    pub fn new(phy: &str) -> Nl80211Config {
        let digits: String = phy.chars().filter(char::is_ascii_digit).collect();
        Nl80211Config {
            phy: phy.to_owned(),
            index: 0,
            channel: None,
            ifname_prefix: "odin".to_owned(),
            monitor: Some(format!("odinmon{digits}")),
            bridge: None,
        }
    }
}

enum Control {
    Cmd(RadioCmd),
    Close(oneshot::Sender<()>),
}

/// A mac80211 radio driven over nl80211.
///
/// Dropping it ends the driver too, but without waiting for it: call
/// [`Nl80211Radio::close`] (or, when something else owns the radio, such
/// as [`crate::runtime::run`], [`Closer::close`] after it is done) so that
/// the APs are stopped and the interfaces deleted before the process ends.
#[derive(Debug)]
pub struct Nl80211Radio {
    info: RadioInfo,
    /// The HT capabilities an LVAP advertises, per band (2.4, 5 GHz).
    ht: [Option<HtCapabilities>; 2],
    /// The radio's channel (MHz) as the driver last set it.
    freq: Arc<AtomicU32>,
    cmds: mpsc::UnboundedSender<Control>,
    events: mpsc::UnboundedReceiver<RadioEvent>,
    task: JoinHandle<()>,
}

impl core::fmt::Debug for Control {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Control::Cmd(c) => c.fmt(f),
            Control::Close(_) => f.write_str("Close"),
        }
    }
}

/// Resolves the nl80211 family: its id and the "mlme" group's id.
fn resolve_family(sock: &Socket, seq: &mut u32) -> Result<(u16, u32), NlError> {
    parse_family(&blocking_request(
        sock,
        &request::get_family("nl80211"),
        seq,
        false,
    )?)
}

/// The family id and the "mlme" multicast group id from the answer to
/// GETFAMILY nl80211.
pub fn parse_family(replies: &[Vec<u8>]) -> Result<(u16, u32), NlError> {
    let attrs = replies
        .first()
        .and_then(|r| r.get(4..))
        .map(Attrs)
        .ok_or_else(|| NlError::local("GETFAMILY nl80211", "no reply"))?;
    let family = attrs
        .u16(CTRL_ATTR_FAMILY_ID)
        .ok_or_else(|| NlError::local("GETFAMILY nl80211", "no family id"))?;
    let mlme = attrs
        .nested(CTRL_ATTR_MCAST_GROUPS)
        .iter()
        .flat_map(|g| g.iter())
        .find_map(|(_, g)| {
            let g = Attrs(g);
            (g.str(CTRL_ATTR_MCAST_GRP_NAME).as_deref() == Some("mlme"))
                .then(|| g.u32(CTRL_ATTR_MCAST_GRP_ID))
                .flatten()
        })
        .ok_or_else(|| NlError::local("GETFAMILY nl80211", "no \"mlme\" multicast group"))?;
    Ok((family, mlme))
}

fn blocking_request(
    sock: &Socket,
    msg: &NlMsg,
    seq: &mut u32,
    dump: bool,
) -> Result<Vec<Vec<u8>>, NlError> {
    *seq += 1;
    let flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
    let bytes = msg.finish(flags, *seq);
    trace!(command = msg.name, bytes = %hex(&bytes), "netlink send");
    sock.send(&bytes, 0)
        .map_err(|e| NlError::io(msg.name, &e))?;
    let mut t = Transaction::new(*seq, dump, msg.name);
    loop {
        let (buf, _) = sock
            .recv_from_full()
            .map_err(|e| NlError::io(msg.name, &e))?;
        trace!(command = msg.name, bytes = %hex(&buf), "netlink recv");
        if let Some(r) = t.feed(&buf) {
            return r;
        }
    }
}

/// A socket with its own sequence numbers, for requests from the driver.
struct AsyncNl {
    sock: TokioSocket,
    seq: u32,
}

impl AsyncNl {
    fn open(protocol: isize, what: &str) -> Result<AsyncNl, NlError> {
        let mut sock = TokioSocket::new(protocol).map_err(|e| NlError::io(what, &e))?;
        let s = sock.socket_mut();
        s.bind_auto().map_err(|e| NlError::io(what, &e))?;
        // Best effort: the kernel's explanation of an error, and short acks.
        let _ = s.set_ext_ack(true);
        let _ = s.set_cap_ack(true);
        Ok(AsyncNl { sock, seq: 0 })
    }

    async fn request(&mut self, msg: &NlMsg, dump: bool) -> Result<Vec<Vec<u8>>, NlError> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
        let bytes = msg.finish(flags, self.seq);
        trace!(command = msg.name, bytes = %hex(&bytes), "netlink send");
        self.sock
            .send(&bytes)
            .await
            .map_err(|e| NlError::io(msg.name, &e))?;
        let mut t = Transaction::new(self.seq, dump, msg.name);
        loop {
            let (buf, _) = self
                .sock
                .recv_from_full()
                .await
                .map_err(|e| NlError::io(msg.name, &e))?;
            trace!(command = msg.name, bytes = %hex(&buf), "netlink recv");
            if let Some(r) = t.feed(&buf) {
                return r;
            }
        }
    }
}

impl Nl80211Radio {
    /// Opens the wiphy named in `config`: resolves nl80211, reads the
    /// wiphy and its interfaces, and starts the driver task. Must be
    /// called within a tokio runtime.
    pub fn open(config: &Nl80211Config) -> Result<Nl80211Radio, NlError> {
        let mut sock =
            Socket::new(protocols::NETLINK_GENERIC).map_err(|e| NlError::io("socket", &e))?;
        sock.bind_auto().map_err(|e| NlError::io("bind", &e))?;
        let _ = sock.set_ext_ack(true);
        let mut seq = 0;
        let (family, mlme_group) = resolve_family(&sock, &mut seq)?;
        let wiphys = parse_wiphy_dump(&blocking_request(
            &sock,
            &request::get_wiphy(family, None),
            &mut seq,
            true,
        )?);
        let wiphy = wiphys
            .into_iter()
            .find(|w| w.name == config.phy)
            .ok_or_else(|| NlError::local("GET_WIPHY", format!("no wiphy {}", config.phy)))?;
        let ifaces = parse_interfaces(&blocking_request(
            &sock,
            &request::get_interfaces(family),
            &mut seq,
            true,
        )?);
        let info = radio_info(config, &wiphy, &ifaces)?;
        let bridge = match &config.bridge {
            None => None,
            Some(name) => Some((name.clone(), bridge_ifindex(name)?)),
        };
        let freq = channel_to_freq(info.channel)
            .ok_or_else(|| NlError::local("open", format!("channel {}", info.channel)))?;
        info!(
            phy = %wiphy.name, wiphy = wiphy.index, family, mlme_group, addr = %info.addr,
            channel = info.channel, freq, ht = info.ht, vht = info.vht,
            max_lvaps = info.max_lvaps, channels = ?info.channels,
            interfaces = ?ifaces.iter().filter(|i| i.wiphy == wiphy.index).map(|i| &i.name).collect::<Vec<_>>(),
            "nl80211 radio"
        );

        let ctrl = AsyncNl::open(protocols::NETLINK_GENERIC, "command socket")?;
        let route = AsyncNl::open(protocols::NETLINK_ROUTE, "route socket")?;
        let mlme = AsyncNl::open(protocols::NETLINK_GENERIC, "mlme socket")?;
        mlme.sock
            .socket_ref()
            .add_membership(mlme_group)
            .map_err(|e| NlError::io("join the mlme multicast group", &e))?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (frame_tx, frame_rx) = mpsc::unbounded_channel();
        let shared_freq = Arc::new(AtomicU32::new(freq));
        let driver = Driver {
            after_hold: false,
            family,
            wiphy: wiphy.index,
            freq,
            shared_freq: Arc::clone(&shared_freq),
            survey_unsupported: false,
            prefix: config.ifname_prefix.clone(),
            ctrl,
            route,
            ifaces: HashMap::new(),
            monitor: None,
            cookies: HashMap::new(),
            recent_group: VecDeque::new(),
            events: ev_tx,
            frames: frame_tx,
            next_ifnum: 0,
            bridge,
            responder: SharedResponder::default(),
            failures: HashMap::new(),
        };
        let task = tokio::spawn(driver.run(cmd_rx, frame_rx, mlme, config.monitor.clone()));
        let ht = [1, 36].map(|c| wiphy.ht_for_channel(c).map(|b| b.ap_capabilities()));
        Ok(Nl80211Radio {
            info,
            ht,
            freq: shared_freq,
            cmds: cmd_tx,
            events: ev_rx,
            task,
        })
    }

    /// The HT capabilities an LVAP on this radio's current band advertises
    /// (see [`crate::nl80211::wiphy::BandHt::ap_capabilities`]), if the band has HT.
    pub fn ht_capabilities(&self) -> Option<HtCapabilities> {
        let band = usize::from(self.info().channel > 14);
        self.ht.get(band).copied().flatten()
    }

    /// Stops every AP, deletes the interfaces and ends the driver.
    pub async fn close(self) {
        self.closer().close().await;
        let _ = self.task.await;
    }

    /// A handle that closes the radio later, from elsewhere. While it
    /// exists the driver outlives the radio: it runs until
    /// [`Closer::close`] (or until the handle is dropped).
    pub fn closer(&self) -> Closer {
        Closer {
            name: self.info.name.clone(),
            cmds: self.cmds.clone(),
        }
    }
}

/// Closes an [`Nl80211Radio`] owned by someone else (see
/// [`Nl80211Radio::closer`]).
#[derive(Debug)]
pub struct Closer {
    name: String,
    cmds: mpsc::UnboundedSender<Control>,
}

impl Closer {
    /// Stops every AP, deletes the interfaces (the monitor too) and waits
    /// until the driver is done.
    pub async fn close(self) {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Control::Close(tx)).is_ok() {
            let _ = rx.await;
        }
        debug!(radio = %self.name, "nl80211 radio closed");
    }
}

fn radio_info(
    config: &Nl80211Config,
    wiphy: &Wiphy,
    ifaces: &[Interface],
) -> Result<RadioInfo, NlError> {
    let own: Vec<&Interface> = ifaces.iter().filter(|i| i.wiphy == wiphy.index).collect();
    let channels = wiphy.channels();
    let channel = own
        .iter()
        .find_map(|i| i.freq.and_then(freq_to_channel))
        .or(config.channel)
        .or_else(|| channels.first().copied())
        .ok_or_else(|| NlError::local("GET_WIPHY", "no usable channel"))?;
    let addr = wiphy
        .addr
        .or_else(|| own.iter().find_map(|i| i.mac))
        .unwrap_or(MacAddr::ZERO);
    Ok(RadioInfo {
        index: config.index,
        name: wiphy.name.clone(),
        addr,
        band: Band::of_channel(channel),
        channel,
        channels,
        ht: wiphy.ht,
        vht: wiphy.vht,
        max_lvaps: wiphy.max_ap_interfaces,
    })
}

impl Radio for Nl80211Radio {
    fn info(&self) -> RadioInfo {
        let mut info = self.info.clone();
        if let Some(channel) = freq_to_channel(self.freq.load(Ordering::Relaxed)) {
            info.channel = channel;
            info.band = Band::of_channel(channel);
        }
        info
    }

    fn execute(&mut self, cmd: RadioCmd) {
        if self.cmds.send(Control::Cmd(cmd)).is_err() {
            warn!(radio = %self.info.name, "nl80211 driver is gone; command dropped");
        }
    }

    fn next_event(&mut self) -> impl core::future::Future<Output = Option<RadioEvent>> + Send {
        self.events.recv()
    }
}

/// A frame an interface's reader received.
struct Rx {
    bssid: MacAddr,
    frame: Vec<u8>,
    signal_dbm: Option<i8>,
}

struct Iface {
    ifindex: u32,
    name: String,
    reader: JoinHandle<()>,
    started: bool,
}

/// The radio's monitor interface and its capture.
struct Monitor {
    ifindex: u32,
    name: String,
    capture: Capture,
    /// Other networks' airtime, added up by the capture thread.
    airtime: Arc<AirtimeCounters>,
}

struct Driver {
    /// The command before was a [`RadioCmd::Hold`]: time the next one.
    after_hold: bool,
    family: u16,
    wiphy: u32,
    /// The radio's channel, MHz: where the next START_AP beacons.
    freq: u32,
    /// `freq`, for [`Nl80211Radio::info`].
    shared_freq: Arc<AtomicU32>,
    /// GET_SURVEY failed with EOPNOTSUPP once: the driver keeps no survey.
    survey_unsupported: bool,
    prefix: String,
    ctrl: AsyncNl,
    route: AsyncNl,
    ifaces: HashMap<MacAddr, Iface>,
    monitor: Option<Monitor>,
    /// The kernel's cookies of frames and polls waiting for a status: the
    /// interface and the agent's cookie.
    cookies: HashMap<u64, (MacAddr, u64)>,
    /// Group-addressed frames reported lately, for deduplication.
    recent_group: VecDeque<(tokio::time::Instant, Vec<u8>)>,
    events: mpsc::UnboundedSender<RadioEvent>,
    frames: mpsc::UnboundedSender<Rx>,
    next_ifnum: u32,
    /// The bridge AP interfaces join: its name and index.
    bridge: Option<(String, u32)>,
    /// What the monitor's capture thread answers by itself.
    responder: SharedResponder,
    /// The first failure per interface since its last barrier.
    failures: HashMap<Option<MacAddr>, String>,
}

/// The index of the bridge `name`, checked to be a bridge.
fn bridge_ifindex(name: &str) -> Result<u32, NlError> {
    let dir = std::path::Path::new("/sys/class/net").join(name);
    let index = std::fs::read_to_string(dir.join("ifindex"))
        .map_err(|e| NlError::local("bridge", format!("no interface {name}: {e}")))?;
    if !dir.join("bridge").is_dir() {
        return Err(NlError::local("bridge", format!("{name} is not a bridge")));
    }
    index
        .trim()
        .parse()
        .map_err(|_| NlError::local("bridge", format!("bad ifindex for {name}: {index}")))
}

impl Driver {
    async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<Control>,
        mut frames: mpsc::UnboundedReceiver<Rx>,
        mlme: AsyncNl,
        monitor_name: Option<String>,
    ) {
        let mut captured = match monitor_name {
            Some(name) => match self.open_monitor(&name).await {
                Ok(rx) => Some(rx),
                Err(e) => {
                    warn!(
                        monitor = %name, error = %e,
                        "no monitor interface: clients without an LVAP on this radio will not be heard"
                    );
                    None
                }
            },
            None => None,
        };
        let closed = loop {
            tokio::select! {
                c = cmds.recv() => match c {
                    Some(Control::Cmd(cmd)) => self.execute(cmd).await,
                    Some(Control::Close(done)) => break Some(done),
                    None => break None,
                },
                Some(rx) = frames.recv() => self.received(rx),
                c = next_captured(&mut captured) => match c {
                    Some(Monitored::Frame(c)) => self.captured(c),
                    Some(Monitored::Signal { sta, signal_dbm }) => {
                        self.emit(RadioEvent::Heard { sta, signal_dbm });
                    }
                    None => {
                        warn!("monitor capture ended");
                        captured = None;
                    }
                },
                r = mlme.sock.recv_from_full() => match r {
                    Ok((buf, _)) => self.mlme_event(&buf),
                    Err(e) => warn!(error = %e, "mlme socket"),
                },
            }
        };
        let bssids: Vec<MacAddr> = self.ifaces.keys().copied().collect();
        for bssid in bssids {
            if let Err(e) = self.stop_ap(bssid).await {
                warn!(%bssid, error = %e, "cleanup");
            }
        }
        if let Some(m) = self.monitor.take() {
            drop(m.capture);
            match self
                .ctrl
                .request(&request::del_interface(self.family, m.ifindex), false)
                .await
            {
                Ok(_) => info!(ifname = %m.name, "monitor interface deleted"),
                Err(e) => warn!(ifname = %m.name, error = %e, "cleanup"),
            }
        }
        if let Some(done) = closed {
            let _ = done.send(());
        }
    }

    /// Creates the monitor interface on the radio's channel, brings it up
    /// and starts its capture.
    async fn open_monitor(
        &mut self,
        name: &str,
    ) -> Result<mpsc::UnboundedReceiver<Monitored>, NlError> {
        if name.len() > 15 {
            return Err(NlError::local(
                "NEW_INTERFACE (monitor)",
                format!("name {name} too long"),
            ));
        }
        let replies = self
            .ctrl
            .request(
                &request::new_monitor_interface(self.family, self.wiphy, name),
                false,
            )
            .await?;
        let ifindex = parse_interfaces(&replies)
            .first()
            .map(|i| i.ifindex)
            .ok_or_else(|| {
                NlError::local("NEW_INTERFACE (monitor)", "no interface in the reply")
            })?;
        let result = self.start_monitor(name, ifindex).await;
        match result {
            Ok(rx) => Ok(rx),
            Err(e) => {
                let _ = self
                    .ctrl
                    .request(&request::del_interface(self.family, ifindex), false)
                    .await;
                Err(e)
            }
        }
    }

    async fn start_monitor(
        &mut self,
        name: &str,
        ifindex: u32,
    ) -> Result<mpsc::UnboundedReceiver<Monitored>, NlError> {
        self.route
            .request(&request::link_set_up(ifindex, true), false)
            .await?;
        // The monitor follows the AP interfaces' channel once one is up;
        // before that it listens where we say.
        if let Err(e) = self
            .ctrl
            .request(
                &request::set_monitor_channel(self.family, ifindex, self.freq),
                false,
            )
            .await
        {
            warn!(ifname = name, freq = self.freq, error = %e, "monitor channel not set");
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let airtime = Arc::new(AirtimeCounters::default());
        let capture = monitor::start_capture(
            name,
            ifindex,
            tx,
            Arc::clone(&self.responder),
            Arc::clone(&airtime),
        )?;
        info!(
            ifname = name,
            ifindex,
            freq = self.freq,
            "monitor interface up, capturing"
        );
        self.monitor = Some(Monitor {
            ifindex,
            name: name.to_owned(),
            capture,
            airtime,
        });
        Ok(rx)
    }

    /// A frame of the monitor: reported when [`monitor::monitor_reports`]
    /// says so (once per radio, see the module documentation there).
    fn captured(&mut self, c: Captured) {
        if !monitor::monitor_reports(&c.frame, |a| self.ifaces.contains_key(a)) {
            return;
        }
        if is_group(&c.frame) && self.seen_group(&c.frame) {
            trace!("duplicate group-addressed frame (monitor) dropped");
            return;
        }
        self.emit(RadioEvent::Frame {
            bssid: None,
            frame: c.frame,
            signal_dbm: c.signal_dbm,
        });
    }

    /// Whether this group-addressed frame was reported within
    /// [`DEDUP_WINDOW`]; remembers it otherwise.
    fn seen_group(&mut self, frame: &[u8]) -> bool {
        let now = tokio::time::Instant::now();
        while self
            .recent_group
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > DEDUP_WINDOW)
        {
            self.recent_group.pop_front();
        }
        if self.recent_group.iter().any(|(_, f)| f == frame) {
            return true;
        }
        self.recent_group.push_back((now, frame.to_vec()));
        false
    }

    fn emit(&self, ev: RadioEvent) {
        let _ = self.events.send(ev);
    }

    /// Sends the layer-2 update frame for `sta` on the bridge, if the LVAP
    /// interfaces have one (without a bridge the agent has no wired side
    /// to tell).
    fn announce(&self, bssid: MacAddr, sta: MacAddr) -> Result<(), NlError> {
        self.iface(bssid, "L2 update")?;
        let Some((name, index)) = &self.bridge else {
            return Ok(());
        };
        monitor::send_ethernet(name, *index, &odin_wire::llc::l2_update(sta))?;
        debug!(%sta, %bssid, bridge = %name, "layer-2 update sent");
        Ok(())
    }

    /// The capture thread's responder, to change it.
    fn responder(&self) -> std::sync::RwLockWriteGuard<'_, Responder> {
        // Nothing panics holding the lock; were it poisoned, its data is
        // still whole (plain assignments).
        self.responder
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn iface(&self, bssid: MacAddr, command: &str) -> Result<u32, NlError> {
        self.ifaces
            .get(&bssid)
            .map(|i| i.ifindex)
            .ok_or_else(|| NlError::local(command, format!("no AP interface for {bssid}")))
    }

    async fn execute(&mut self, cmd: RadioCmd) {
        let what = describe(&cmd);
        let target = cmd.target();
        debug!(command = %what, "radio command");
        let started = std::time::Instant::now();
        let after_hold = std::mem::take(&mut self.after_hold);
        let result = match cmd {
            RadioCmd::Barrier { token, bssid } => {
                let failure = self.failures.remove(&bssid);
                self.emit(RadioEvent::Done { token, failure });
                Ok(())
            }
            RadioCmd::StartAp {
                bssid,
                beacon,
                ssid,
                beacon_interval,
                dtim_period,
            } => {
                self.start_ap(
                    bssid,
                    &beacon.head,
                    &beacon.tail,
                    &ssid,
                    beacon_interval,
                    dtim_period,
                )
                .await
            }
            RadioCmd::StopAp { bssid } => self.stop_ap(bssid).await,
            RadioCmd::SetBeacon { bssid, beacon } => match self.iface(bssid, "SET_BEACON") {
                Ok(ifx) => {
                    let beacon = request::Beacon {
                        head: &beacon.head,
                        tail: &beacon.tail,
                    };
                    self.ctrl
                        .request(&request::set_beacon(self.family, ifx, &beacon), false)
                        .await
                        .map(drop)
                }
                Err(e) => Err(e),
            },
            RadioCmd::Hold { until } => {
                let late_us = crate::radio::hold(until).await;
                info!(late_us, "switch: held until the moment");
                self.after_hold = true;
                Ok(())
            }
            RadioCmd::SendFrame {
                bssid,
                frame,
                cookie,
            } => self.send_frame(bssid, &frame, cookie).await,
            RadioCmd::EarlyAnswers(early) => {
                self.responder().early = early.map(|e| *e);
                Ok(())
            }
            RadioCmd::AddStation { bssid, state } => match self.iface(bssid, "NEW_STATION") {
                Ok(ifx) => self
                    .ctrl
                    .request(&request::new_station(self.family, ifx, &state), false)
                    .await
                    .map(drop),
                Err(e) => Err(e),
            },
            RadioCmd::UpdateStation { bssid, state } => match self.iface(bssid, "SET_STATION") {
                Ok(ifx) => self
                    .ctrl
                    .request(&request::update_station(self.family, ifx, &state), false)
                    .await
                    .map(drop),
                Err(e) => Err(e),
            },
            RadioCmd::SetStationFlags { bssid, sta, flags } => {
                match self.iface(bssid, "SET_STATION") {
                    Ok(ifx) => self
                        .ctrl
                        .request(
                            &request::set_station_flags(self.family, ifx, sta, &flags),
                            false,
                        )
                        .await
                        .map(drop),
                    Err(e) => Err(e),
                }
            }
            RadioCmd::RemoveStation { bssid, sta } => match self.iface(bssid, "DEL_STATION") {
                Ok(ifx) => {
                    let r = self
                        .ctrl
                        .request(&request::del_station(self.family, ifx, sta), false)
                        .await;
                    match r {
                        // Already gone is what we wanted.
                        Err(e) if e.errno == 2 => Ok(()),
                        r => r.map(drop),
                    }
                }
                Err(e) => Err(e),
            },
            RadioCmd::QueryStation { bssid, sta } => self.query_station(bssid, sta).await,
            RadioCmd::PollClient { bssid, sta, cookie } => {
                match self.iface(bssid, "PROBE_CLIENT") {
                    Ok(ifx) => {
                        let r = self
                            .ctrl
                            .request(&request::probe_client(self.family, ifx, sta), false)
                            .await;
                        r.and_then(|replies| {
                            self.remember_cookie(&replies, bssid, cookie, "PROBE_CLIENT")
                        })
                    }
                    Err(e) => Err(e),
                }
            }
            RadioCmd::SetChannel { channel } => self.set_channel(channel).await,
            RadioCmd::Survey => self.survey().await,
            RadioCmd::AnnounceStation { bssid, sta } => self.announce(bssid, sta),
            RadioCmd::ChannelSwitch {
                bssid,
                channel,
                count,
                block_tx,
                beacon_csa,
                csa_counter_offsets,
                beacon_after,
            } => {
                self.channel_switch(
                    bssid,
                    channel,
                    count,
                    block_tx,
                    &beacon_csa,
                    &csa_counter_offsets,
                    &beacon_after,
                )
                .await
            }
        };
        if after_hold {
            // The switch's first command: how long the kernel took.
            let us = started.elapsed().as_micros() as u64;
            info!(command = %what, us, "switch: carried out");
        }
        if let Err(e) = result {
            warn!(command = %what, error = %e, "radio command failed");
            self.failures
                .entry(target)
                .or_insert_with(|| format!("{what}: {e}"));
            self.emit(RadioEvent::CommandFailed {
                command: what,
                error: e.to_string(),
            });
        }
    }

    async fn start_ap(
        &mut self,
        bssid: MacAddr,
        head: &[u8],
        tail: &[u8],
        ssid: &[u8],
        beacon_interval: u16,
        dtim_period: u8,
    ) -> Result<(), NlError> {
        if !self.ifaces.contains_key(&bssid) {
            self.create_interface(bssid).await?;
        }
        let ifindex = self.iface(bssid, "START_AP")?;
        let msg = request::start_ap(
            self.family,
            &request::StartAp {
                ifindex,
                head,
                tail,
                beacon_interval,
                dtim_period,
                ssid,
                freq: self.freq,
                ht20: has_element(tail, 61),
                hidden: !ssid.is_empty() && beacon_ssid_len(head) == Some(0),
            },
        );
        self.ctrl.request(&msg, false).await?;
        if let Some(i) = self.ifaces.get_mut(&bssid) {
            i.started = true;
            info!(%bssid, ifname = %i.name, ifindex, freq = self.freq, "AP started");
        }
        Ok(())
    }

    /// The radio's channel changed (SET_WIPHY, or a channel switch done).
    fn retuned(&mut self, freq: u32) {
        self.freq = freq;
        self.shared_freq.store(freq, Ordering::Relaxed);
    }

    /// SET_WIPHY: moves the radio while no LVAP beacons on it, through the
    /// monitor interface (cfg80211 sets a radio's channel this way only
    /// while monitors alone run on it, else EBUSY). Without a monitor the
    /// channel is only remembered: the next START_AP names it. With LVAPs
    /// beaconing it is refused here: their clients must be told with a
    /// channel switch, whose beacons are the LVAPs' own
    /// ([`RadioCmd::ChannelSwitch`]).
    async fn set_channel(&mut self, channel: u8) -> Result<(), NlError> {
        let command = "SET_WIPHY (channel)";
        let freq = channel_to_freq(channel)
            .ok_or_else(|| NlError::local(command, format!("no channel {channel}")))?;
        let beaconing: Vec<&str> = self
            .ifaces
            .values()
            .filter(|i| i.started)
            .map(|i| i.name.as_str())
            .collect();
        if !beaconing.is_empty() {
            return Err(NlError::local(
                command,
                format!(
                    "channel {channel}: the radio has {} LVAP(s) beaconing on {} MHz ({}); \
                     their clients must follow a channel switch (CHANNEL_SWITCH per LVAP, \
                     RadioCmd::ChannelSwitch)",
                    beaconing.len(),
                    self.freq,
                    beaconing.join(", ")
                ),
            ));
        }
        match &self.monitor {
            Some(m) => {
                self.ctrl
                    .request(
                        &request::set_wiphy_channel(self.family, m.ifindex, freq),
                        false,
                    )
                    .await?;
                info!(channel, freq, via = %m.name, "radio channel set (SET_WIPHY)");
            }
            None => info!(
                channel,
                freq, "radio channel set for the next START_AP (no monitor)"
            ),
        }
        self.retuned(freq);
        Ok(())
    }

    /// GET_SURVEY on the monitor (or any AP interface: the survey is the
    /// radio's), answered with [`RadioEvent::Survey`] with the monitor's
    /// airtime counters. The entry of the radio's channel is marked in use
    /// when the driver marks none ([`mark_in_use`]). Without an interface
    /// to ask, after the driver said EOPNOTSUPP once, or when GET_SURVEY
    /// fails, the answer is an empty survey (still with the counters).
    async fn survey(&mut self) -> Result<(), NlError> {
        let airtime = self.monitor.as_ref().map(|m| {
            let totals = m.airtime.read();
            MonitorAirtime {
                freq: self.freq,
                foreign: Duration::from_micros(totals.foreign_us),
                malformed: totals.malformed,
                no_rate: totals.no_rate,
            }
        });
        let (entries, result) = match self.survey_entries().await {
            Ok(entries) => (entries, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        self.emit(RadioEvent::Survey { entries, airtime });
        result
    }

    /// The survey's entries (empty without an interface to ask or after
    /// EOPNOTSUPP).
    async fn survey_entries(&mut self) -> Result<Vec<SurveyEntry>, NlError> {
        if self.survey_unsupported {
            return Ok(Vec::new());
        }
        let ifindex = self
            .monitor
            .as_ref()
            .map(|m| m.ifindex)
            .or_else(|| self.ifaces.values().map(|i| i.ifindex).min());
        let Some(ifindex) = ifindex else {
            // No monitor (it failed to open) and no LVAP: nothing to name
            // the radio by. Not worth a failure every stats interval.
            debug!("survey: no interface on the radio to ask");
            return Ok(Vec::new());
        };
        let replies = match self
            .ctrl
            .request(&request::get_survey(self.family, ifindex), true)
            .await
        {
            Ok(r) => r,
            Err(e) if e.errno == 95 => {
                // EOPNOTSUPP: said once, then empty surveys.
                self.survey_unsupported = true;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let mut entries = parse_survey_dump(&replies);
        if mark_in_use(&mut entries, self.freq) {
            trace!(
                freq = self.freq,
                "survey: the radio's channel marked in use"
            );
        }
        debug!(?entries, "survey");
        Ok(entries)
    }

    /// CHANNEL_SWITCH on `bssid`'s interface. The kernel reports the
    /// switch's start and end on the mlme group ([`Driver::mlme_event`]);
    /// the radio's channel changes at the end.
    #[allow(clippy::too_many_arguments)]
    async fn channel_switch(
        &mut self,
        bssid: MacAddr,
        channel: u8,
        count: u8,
        block_tx: bool,
        beacon_csa: &BeaconTemplate,
        offsets: &[u16],
        beacon_after: &BeaconTemplate,
    ) -> Result<(), NlError> {
        let command = "CHANNEL_SWITCH";
        let ifindex = self.iface(bssid, command)?;
        let freq = channel_to_freq(channel)
            .ok_or_else(|| NlError::local(command, format!("no channel {channel}")))?;
        // cfg80211 checks the same and answers EINVAL; say which.
        if offsets.is_empty() {
            return Err(NlError::local(command, "no CSA counter offset"));
        }
        if let Some(bad) = offsets
            .iter()
            .find(|&&o| beacon_csa.tail.get(usize::from(o)) != Some(&count))
        {
            return Err(NlError::local(
                command,
                format!("CSA counter offset {bad} does not hold the count {count} in the tail"),
            ));
        }
        let msg = request::channel_switch(
            self.family,
            &request::ChannelSwitch {
                ifindex,
                freq,
                ht20: has_element(&beacon_after.tail, 61),
                count,
                block_tx,
                beacon_after: request::Beacon {
                    head: &beacon_after.head,
                    tail: &beacon_after.tail,
                },
                beacon_csa: request::Beacon {
                    head: &beacon_csa.head,
                    tail: &beacon_csa.tail,
                },
                counter_offsets_beacon: offsets,
                probe_resp: None,
            },
        );
        self.ctrl.request(&msg, false).await?;
        info!(%bssid, ifindex, from = self.freq, to = freq, count, block_tx, "channel switch announced");
        Ok(())
    }

    /// NEW_INTERFACE, address check, up, management socket and frame
    /// registrations, reader task.
    async fn create_interface(&mut self, bssid: MacAddr) -> Result<(), NlError> {
        let name = format!("{}{}", self.prefix, self.next_ifnum);
        self.next_ifnum += 1;
        if name.len() > 15 {
            return Err(NlError::local(
                "NEW_INTERFACE",
                format!("name {name} too long"),
            ));
        }
        let replies = self
            .ctrl
            .request(
                &request::new_ap_interface(self.family, self.wiphy, &name, bssid),
                false,
            )
            .await?;
        let created = parse_interfaces(&replies);
        let iface = created
            .first()
            .ok_or_else(|| NlError::local("NEW_INTERFACE", "no interface in the reply"))?;
        let ifindex = iface.ifindex;
        let result = self
            .set_up_interface(bssid, ifindex, iface.mac, &name)
            .await;
        if let Err(e) = result {
            let _ = self
                .ctrl
                .request(&request::del_interface(self.family, ifindex), false)
                .await;
            return Err(e);
        }
        Ok(())
    }

    async fn set_up_interface(
        &mut self,
        bssid: MacAddr,
        ifindex: u32,
        mac: Option<MacAddr>,
        name: &str,
    ) -> Result<(), NlError> {
        if mac != Some(bssid) {
            debug!(%bssid, ?mac, "setting the interface address");
            self.route
                .request(&request::link_set_address(ifindex, bssid), false)
                .await?;
        }
        self.route
            .request(&request::link_set_up(ifindex, true), false)
            .await?;
        if let Some((bridge, master)) = &self.bridge {
            self.route
                .request(&request::link_set_master(ifindex, *master), false)
                .await
                .map_err(|mut e| {
                    e.command = format!("RTM_NEWLINK (add {name} to bridge {bridge})");
                    e
                })?;
        }
        let mut mgmt = AsyncNl::open(protocols::NETLINK_GENERIC, "management socket")?;
        for (ty, what) in AP_FRAME_TYPES {
            mgmt.request(&request::register_frame(self.family, ifindex, ty), false)
                .await
                .map_err(|mut e| {
                    e.command = format!("REGISTER_FRAME {what} (0x{ty:04x}) on {name}");
                    e
                })?;
        }
        let reader = tokio::spawn(read_frames(mgmt, bssid, self.family, self.frames.clone()));
        info!(%bssid, ifname = name, ifindex, "AP interface up, frames registered");
        self.responder().local.insert(bssid);
        self.ifaces.insert(
            bssid,
            Iface {
                ifindex,
                name: name.to_owned(),
                reader,
                started: false,
            },
        );
        Ok(())
    }

    async fn stop_ap(&mut self, bssid: MacAddr) -> Result<(), NlError> {
        let Some(iface) = self.ifaces.remove(&bssid) else {
            return Err(NlError::local(
                "STOP_AP",
                format!("no AP interface for {bssid}"),
            ));
        };
        iface.reader.abort();
        self.responder().local.remove(&bssid);
        self.cookies.retain(|_, (b, _)| *b != bssid);
        let mut first_error = None;
        if iface.started {
            if let Err(e) = self
                .ctrl
                .request(&request::stop_ap(self.family, iface.ifindex), false)
                .await
            {
                first_error = Some(e);
            }
        }
        if let Err(e) = self
            .ctrl
            .request(&request::del_interface(self.family, iface.ifindex), false)
            .await
        {
            first_error.get_or_insert(e);
        }
        info!(%bssid, ifname = %iface.name, "AP stopped, interface deleted");
        first_error.map_or(Ok(()), Err)
    }

    async fn send_frame(
        &mut self,
        bssid: MacAddr,
        frame: &[u8],
        cookie: Option<u64>,
    ) -> Result<(), NlError> {
        let ifindex = self.iface(bssid, "FRAME")?;
        let replies = self
            .ctrl
            .request(
                &request::frame(self.family, ifindex, frame, cookie.is_some()),
                false,
            )
            .await?;
        match cookie {
            Some(c) => self.remember_cookie(&replies, bssid, c, "FRAME"),
            None => Ok(()),
        }
    }

    fn remember_cookie(
        &mut self,
        replies: &[Vec<u8>],
        bssid: MacAddr,
        ours: u64,
        command: &str,
    ) -> Result<(), NlError> {
        let kernel = replies
            .iter()
            .find_map(|r| Attrs(r.get(4..)?).u64(ATTR_COOKIE))
            .ok_or_else(|| NlError::local(command, "no cookie in the reply"))?;
        trace!(kernel, ours, "cookie");
        self.cookies.insert(kernel, (bssid, ours));
        Ok(())
    }

    async fn query_station(&mut self, bssid: MacAddr, sta: MacAddr) -> Result<(), NlError> {
        let ifindex = self.iface(bssid, "GET_STATION")?;
        let replies = self
            .ctrl
            .request(&request::get_station(self.family, ifindex, sta), false)
            .await?;
        let info = replies
            .iter()
            .find_map(|r| parse_station_info(r.get(4..)?))
            .ok_or_else(|| NlError::local("GET_STATION", "no station information"))?;
        self.emit(RadioEvent::StationInfo { bssid, sta, info });
        Ok(())
    }

    /// A frame from an interface's socket: group-addressed ones are
    /// reported once per radio (without an interface), the rest with the
    /// interface they were addressed to.
    fn received(&mut self, rx: Rx) {
        let bssid = if is_group(&rx.frame) {
            if self.seen_group(&rx.frame) {
                trace!(bssid = %rx.bssid, "duplicate group-addressed frame dropped");
                return;
            }
            None
        } else {
            Some(rx.bssid)
        };
        self.emit(RadioEvent::Frame {
            bssid,
            frame: rx.frame,
            signal_dbm: rx.signal_dbm,
        });
    }

    /// An event of the mlme group: transmit status of our frames and polls.
    fn mlme_event(&mut self, buf: &[u8]) {
        trace!(bytes = %hex(buf), "mlme event");
        for msg in messages(buf) {
            if msg.ty != self.family {
                continue;
            }
            let Some((cmd, attrs)) = msg.genl() else {
                continue;
            };
            match cmd {
                CMD_FRAME_TX_STATUS | CMD_PROBE_CLIENT => {
                    let Some(kernel) = attrs.u64(ATTR_COOKIE) else {
                        continue;
                    };
                    if let Some((bssid, cookie)) = self.cookies.remove(&kernel) {
                        let acked = attrs.has(ATTR_ACK);
                        trace!(%bssid, cookie, acked, "transmit status");
                        self.emit(RadioEvent::TxStatus {
                            bssid,
                            cookie,
                            acked,
                        });
                    }
                }
                CMD_CH_SWITCH_STARTED_NOTIFY | CMD_CH_SWITCH_NOTIFY => {
                    let ifindex = attrs.u32(ATTR_IFINDEX);
                    let Some((bssid, name)) = self
                        .ifaces
                        .iter()
                        .find(|(_, i)| Some(i.ifindex) == ifindex)
                        .map(|(b, i)| (*b, i.name.clone()))
                    else {
                        continue;
                    };
                    let freq = attrs.u32(ATTR_WIPHY_FREQ);
                    let count = attrs.u32(ATTR_CH_SWITCH_COUNT);
                    if cmd == CMD_CH_SWITCH_STARTED_NOTIFY {
                        info!(%bssid, ifname = %name, ?freq, ?count, "channel switch started (kernel)");
                    } else {
                        info!(%bssid, ifname = %name, ?freq, "channel switch done (kernel)");
                        if let Some(freq) = freq {
                            self.retuned(freq);
                        }
                    }
                }
                CMD_UNEXPECTED_FRAME => {
                    let ifindex = attrs.u32(ATTR_IFINDEX);
                    let sta = attrs.get(ATTR_MAC).and_then(MacAddr::from_bytes);
                    let bssid = self
                        .ifaces
                        .iter()
                        .find(|(_, i)| Some(i.ifindex) == ifindex)
                        .map(|(b, _)| *b);
                    if let (Some(bssid), Some(sta)) = (bssid, sta) {
                        self.emit(RadioEvent::UnexpectedData { bssid, sta });
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether a frame's receiver address (addr1) is a group address.
fn is_group(frame: &[u8]) -> bool {
    frame.get(4).is_some_and(|b| b & 1 == 1)
}

/// The next frame of the monitor's capture; pending forever without one.
async fn next_captured(
    captured: &mut Option<mpsc::UnboundedReceiver<Monitored>>,
) -> Option<Monitored> {
    match captured {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Reads the frames the kernel sends an interface's management socket.
async fn read_frames(mgmt: AsyncNl, bssid: MacAddr, family: u16, out: mpsc::UnboundedSender<Rx>) {
    loop {
        let buf = match mgmt.sock.recv_from_full().await {
            Ok((buf, _)) => buf,
            Err(e) => {
                // ENOBUFS: we were too slow and lost frames; go on.
                warn!(%bssid, error = %e, "management socket");
                continue;
            }
        };
        for msg in messages(&buf) {
            if msg.ty != family {
                continue;
            }
            let Some((CMD_FRAME, attrs)) = msg.genl() else {
                continue;
            };
            let Some(frame) = attrs.get(ATTR_FRAME) else {
                continue;
            };
            let signal_dbm = attrs
                .u32(ATTR_RX_SIGNAL_DBM)
                .and_then(|s| i8::try_from(s as i32).ok());
            if out
                .send(Rx {
                    bssid,
                    frame: frame.to_vec(),
                    signal_dbm,
                })
                .is_err()
            {
                return;
            }
        }
    }
}

/// NL80211_ATTR_STA_INFO of a GET_STATION reply (attributes after the
/// generic netlink header).
pub fn parse_station_info(attrs: &[u8]) -> Option<StationInfo> {
    let info = Attrs(attrs).nested(ATTR_STA_INFO)?;
    Some(StationInfo {
        inactive: Duration::from_millis(u64::from(info.u32(STA_INFO_INACTIVE_TIME)?)),
        signal_dbm: info.u8(STA_INFO_SIGNAL).map(|s| s as i8),
        rx_bytes: info
            .u64(STA_INFO_RX_BYTES64)
            .or_else(|| info.u32(STA_INFO_RX_BYTES).map(u64::from))
            .unwrap_or(0),
        tx_bytes: info
            .u64(STA_INFO_TX_BYTES64)
            .or_else(|| info.u32(STA_INFO_TX_BYTES).map(u64::from))
            .unwrap_or(0),
        tx_rate_kbps: bitrate_kbps(&info, STA_INFO_TX_BITRATE),
        rx_rate_kbps: bitrate_kbps(&info, STA_INFO_RX_BITRATE),
    })
}

/// A nested rate info's bit rate, kbit/s (the kernel gives 100 kbit/s
/// units: the 32-bit attribute, or the 16-bit one older kernels send; a
/// rate it cannot compute, such as a legacy rate it does not know, is
/// absent).
fn bitrate_kbps(info: &Attrs<'_>, ty: u16) -> Option<u32> {
    let rate = info.nested(ty)?;
    let units = rate
        .u32(RATE_INFO_BITRATE32)
        .or_else(|| rate.u16(RATE_INFO_BITRATE).map(u32::from))?;
    (units > 0).then(|| units.saturating_mul(100))
}

/// The length of the SSID element of a beacon head (the first element,
/// after the 24-byte header and 12 bytes of fixed fields).
fn beacon_ssid_len(head: &[u8]) -> Option<u8> {
    match head.get(36..38) {
        Some([0, len]) => Some(*len),
        _ => None,
    }
}

/// Whether an element region holds an element with this id.
fn has_element(mut elements: &[u8], id: u8) -> bool {
    while let [eid, len, rest @ ..] = elements {
        if *eid == id {
            return true;
        }
        elements = rest.get(usize::from(*len)..).unwrap_or(&[]);
    }
    false
}

/// A command in words, for logs and [`RadioEvent::CommandFailed`].
fn describe(cmd: &RadioCmd) -> String {
    match cmd {
        RadioCmd::StartAp { bssid, ssid, .. } => {
            format!("START_AP {bssid} ssid {}", String::from_utf8_lossy(ssid))
        }
        RadioCmd::StopAp { bssid } => format!("STOP_AP {bssid}"),
        RadioCmd::SetBeacon { bssid, .. } => format!("SET_BEACON {bssid}"),
        RadioCmd::Hold { until } => format!("hold until {} us", until.0),
        RadioCmd::SendFrame {
            bssid,
            frame,
            cookie,
        } => format!(
            "FRAME from {bssid} fc 0x{:02x} len {} cookie {cookie:?}",
            frame.first().copied().unwrap_or(0),
            frame.len()
        ),
        RadioCmd::EarlyAnswers(Some(e)) => format!(
            "answer new clients' probes on channel {} for SSID {:?}",
            e.bss.channel,
            String::from_utf8_lossy(&e.bss.ssid)
        ),
        RadioCmd::EarlyAnswers(None) => "stop answering new clients' probes".to_owned(),
        RadioCmd::Barrier { token, bssid } => format!("barrier {token} for {bssid:?}"),
        RadioCmd::AddStation { bssid, state } => {
            format!(
                "NEW_STATION {} on {bssid} flags {:?}",
                state.sta, state.flags
            )
        }
        RadioCmd::UpdateStation { bssid, state } => format!(
            "SET_STATION (association) {} on {bssid} aid {}",
            state.sta, state.aid
        ),
        RadioCmd::SetStationFlags { bssid, sta, flags } => {
            format!("SET_STATION (flags) {sta} on {bssid} {flags:?}")
        }
        RadioCmd::RemoveStation { bssid, sta } => format!("DEL_STATION {sta} on {bssid}"),
        RadioCmd::QueryStation { bssid, sta } => format!("GET_STATION {sta} on {bssid}"),
        RadioCmd::PollClient { bssid, sta, .. } => format!("PROBE_CLIENT {sta} on {bssid}"),
        RadioCmd::SetChannel { channel } => format!("SET_WIPHY channel {channel}"),
        RadioCmd::Survey => "GET_SURVEY".to_owned(),
        RadioCmd::AnnounceStation { bssid, sta } => format!("L2 update {sta} for {bssid}"),
        RadioCmd::ChannelSwitch {
            bssid,
            channel,
            count,
            ..
        } => format!("CHANNEL_SWITCH {bssid} to channel {channel} in {count} beacons"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ht_operation_in_a_tail() {
        assert!(has_element(&[0x32, 1, 0x30, 61, 2, 0, 0], 61));
        assert!(!has_element(&[0x32, 1, 0x30, 0xdd, 1, 61], 61));
        assert!(!has_element(&[61], 61));
        assert!(!has_element(&[0x32, 9, 0], 61));
    }
}
