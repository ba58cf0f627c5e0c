//! The radio's monitor interface: how an agent hears clients that have no
//! LVAP on it yet.
//!
//! An AP interface's socket receives only the frames mac80211 delivers to
//! that interface: frames addressed to its BSSID and group-addressed ones.
//! A radio without an LVAP has no such socket, so a new client's probe
//! requests would go unheard. Each radio therefore has one monitor
//! interface (`odinmon<wiphy index>`, NEW_INTERFACE type monitor with the
//! default flags, on the radio's channel, up), read with an `AF_PACKET`
//! socket (`pnet_datalink`: a safe API over the raw socket) in a thread of
//! its own. Each captured packet is a radiotap header and an 802.11 frame;
//! the signal comes from the radiotap antenna signal, the FCS is removed
//! when the radiotap flags say it is there, and frames that failed their
//! FCS check are dropped.
//!
//! # Each frame once per radio
//!
//! The monitor sees everything on the channel, including what the AP
//! interfaces receive and transmit. The driver reports a monitor frame
//! (as `RadioEvent::Frame { bssid: None, .. }`) only when
//! [`monitor_reports`] says so:
//!
//! * management frames only, sent by a station: the transmitter (addr2)
//!   is not the BSSID (addr3) (this drops beacons, probe responses and
//!   everything else an AP sends, our own LVAPs' frames included);
//! * not addressed (addr1) to one of this radio's LVAP BSSIDs: that LVAP's
//!   interface socket delivers those, with the interface;
//! * a group-addressed frame (a broadcast probe request) goes through the
//!   same deduplication as the copies the AP interfaces' sockets deliver,
//!   so whichever copy comes first is reported and the others are dropped.
//!
//! So a probe request from a client without an LVAP here is reported once
//! (by the monitor when the radio has no LVAP, else by whichever socket
//! delivers it first), and a client's frames to its own LVAP are reported
//! once, with that LVAP's BSSID, by the interface's socket.
//!
//! # Stations' signals
//!
//! Data frames are not reported, but the signal they were heard at is: a
//! data frame a station sends to an AP (To DS set, From DS clear; ours or
//! another's) gives `RadioEvent::Heard` with its transmitter and signal,
//! at most once per `HEARD_INTERVAL` per station ([`SignalSampler`], in
//! the capture thread). That is how an agent measures clients it does not
//! serve (the raw material of mobility decisions) and its own clients
//! between the kernel's station reports.
//!
//! # Other networks' airtime
//!
//! Every packet is also measured ([`airtime::classify`]): the airtime of
//! frames whose BSSID is not one of this radio's LVAPs is added to the
//! radio's [`AirtimeCounters`], which the driver reads at each survey.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use odin_wire::radiotap::{Flags, Radiotap, RadiotapRepr, TxFlags};
use odin_wire::MacAddr;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::airtime::{self, AirtimeCounters};
use super::msg::NlError;
use crate::lvap::EarlyAnswers;

/// How long the capture thread waits for a packet before it checks
/// whether it should stop.
const READ_TIMEOUT: Duration = Duration::from_millis(200);

/// A frame the monitor captured: the 802.11 frame without FCS and the
/// signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The 802.11 frame, without FCS.
    pub frame: Vec<u8>,
    /// The signal, dBm (radiotap antenna signal).
    pub signal_dbm: Option<i8>,
}

/// What the capture thread passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitored {
    /// A management frame.
    Frame(Captured),
    /// A station's data frame was heard at this signal (sampled: see
    /// [`SignalSampler`]).
    Signal {
        /// The station (the transmitter).
        sta: MacAddr,
        /// The signal, dBm.
        signal_dbm: i8,
    },
}

/// One packet of a monitor interface (radiotap + 802.11), decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A management frame.
    Mgmt(Captured),
    /// A data frame a station sent to an AP (To DS set, From DS clear),
    /// with a signal: its transmitter.
    StationData {
        /// The transmitter (addr2).
        sta: MacAddr,
        /// The signal, dBm.
        signal_dbm: i8,
    },
}

/// One packet of a monitor interface; `None` for anything else than a
/// management frame or a station's data frame with a signal (malformed
/// radiotap, bad FCS, control frames, frames shorter than their header).
pub fn decode(packet: &[u8]) -> Option<Decoded> {
    let view = Radiotap::new_checked(packet).ok()?;
    let repr = RadiotapRepr::parse(&view).ok()?;
    if repr.flags.is_some_and(|f| f.contains(Flags::BAD_FCS)) {
        return None;
    }
    let frame = repr.strip_fcs(view.payload()).ok()?;
    if frame.len() < 24 {
        return None;
    }
    match (frame[0] & 0x0c, frame[1] & 0x03) {
        // Management (type 0) with the three addresses.
        (0x00, _) => Some(Decoded::Mgmt(Captured {
            frame: frame.to_vec(),
            signal_dbm: repr.antenna_signal,
        })),
        // Data (type 2), To DS only: a station talking to its AP.
        (0x08, 0x01) => Some(Decoded::StationData {
            sta: MacAddr::from_bytes(&frame[10..16])?,
            signal_dbm: repr.antenna_signal?,
        }),
        _ => None,
    }
}

/// One packet of a monitor interface as a management frame; `None` for
/// anything else.
pub fn decode_capture(packet: &[u8]) -> Option<Captured> {
    match decode(packet)? {
        Decoded::Mgmt(captured) => Some(captured),
        Decoded::StationData { .. } => None,
    }
}

/// Which stations' data signals to pass on: each station at most once per
/// [`crate::radio::HEARD_INTERVAL`]. Remembers at most [`Self::CAPACITY`]
/// stations (a busy channel's neighbours included); past that, it forgets
/// the ones not heard within the interval.
#[derive(Debug)]
pub struct SignalSampler {
    last: HashMap<MacAddr, std::time::Instant>,
    interval: Duration,
}

impl SignalSampler {
    /// Stations remembered at most.
    pub const CAPACITY: usize = 4096;

    /// A sampler passing each station at most once per `interval`.
    pub fn new(interval: Duration) -> SignalSampler {
        SignalSampler {
            last: HashMap::new(),
            interval,
        }
    }

    /// Whether a frame of `sta` heard at `now` is passed on.
    pub fn sample(&mut self, sta: MacAddr, now: std::time::Instant) -> bool {
        if let Some(last) = self.last.get(&sta) {
            if now.saturating_duration_since(*last) < self.interval {
                return false;
            }
        } else if self.last.len() >= Self::CAPACITY {
            let interval = self.interval;
            self.last
                .retain(|_, t| now.saturating_duration_since(*t) < interval);
            if self.last.len() >= Self::CAPACITY {
                return false;
            }
        }
        self.last.insert(sta, now);
        true
    }
}

/// Whether the driver reports a management frame the monitor captured,
/// given whether an address is the BSSID of one of this radio's LVAPs (see
/// the module documentation). Group-addressed frames that pass still go
/// through the driver's deduplication.
pub fn monitor_reports(frame: &[u8], is_lvap: impl Fn(&MacAddr) -> bool) -> bool {
    let addr = |at: usize| frame.get(at..at + 6).and_then(MacAddr::from_bytes);
    let (Some(addr1), Some(addr2), Some(addr3)) = (addr(4), addr(10), addr(16)) else {
        return false;
    };
    if frame.first().is_none_or(|fc| fc & 0x0c != 0) {
        return false;
    }
    addr2 != addr3 && !is_lvap(&addr1) && !is_lvap(&addr2)
}

/// The capture thread of a monitor interface; stopped when dropped.
#[derive(Debug)]
pub struct Capture {
    stop: Arc<AtomicBool>,
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What the capture thread answers by itself (new clients' probes, see
/// [`EarlyAnswers`]); the driver keeps it current.
#[derive(Debug, Default)]
pub struct Responder {
    /// How to answer; `None`: no answers.
    pub early: Option<EarlyAnswers>,
    /// The BSSIDs of this radio's LVAP interfaces (they answer their own
    /// client).
    pub local: HashSet<MacAddr>,
}

/// The responder, shared by the driver and the capture thread.
pub type SharedResponder = Arc<RwLock<Responder>>;

impl Responder {
    /// What `packet` is for the airtime, with this radio's LVAPs as they
    /// are now.
    fn airtime(shared: &SharedResponder, packet: &[u8]) -> airtime::Heard {
        match shared.read() {
            Ok(r) => airtime::classify(packet, |b| r.local.contains(b)),
            Err(_) => airtime::classify(packet, |_| false),
        }
    }

    /// The answer to a captured frame, if any.
    fn answer(shared: &SharedResponder, frame: &[u8]) -> Option<Vec<u8>> {
        let r = shared.read().ok()?;
        r.early.as_ref()?.answer(frame, |b| r.local.contains(b))
    }
}

/// The radiotap header of injected frames: the TX flags alone (an ACK
/// expected, so mac80211 retries; its rate control picks the rate).
pub fn injection_header() -> Vec<u8> {
    let repr = RadiotapRepr::injection(TxFlags::empty());
    let mut header = vec![0u8; repr.buffer_len()];
    if repr
        .emit(&mut Radiotap::new_unchecked(&mut header))
        .is_err()
    {
        unreachable!("the buffer has the header's length");
    }
    header
}

/// The interface `ifindex` as pnet's channel wants it named.
fn packet_interface(name: &str, ifindex: u32) -> pnet_datalink::NetworkInterface {
    pnet_datalink::NetworkInterface {
        name: name.to_owned(),
        description: String::new(),
        index: ifindex,
        mac: None,
        ips: Vec::new(),
        flags: 0,
    }
}

/// Sends one Ethernet frame on the interface `ifindex` (a bridge) through
/// an `AF_PACKET` socket opened for it and closed at once: frames are rare
/// (one per arriving station), and a socket kept open would receive a copy
/// of everything the bridge carries.
pub fn send_ethernet(name: &str, ifindex: u32, frame: &[u8]) -> Result<(), NlError> {
    let iface = packet_interface(name, ifindex);
    let what = format!("AF_PACKET socket on {name}");
    let config = pnet_datalink::Config {
        read_buffer_size: 64,
        ..pnet_datalink::Config::default()
    };
    let mut tx = match pnet_datalink::channel(&iface, config) {
        Ok(pnet_datalink::Channel::Ethernet(tx, _)) => tx,
        Ok(_) => return Err(NlError::local(&what, "unexpected channel type")),
        Err(e) => return Err(NlError::io(&what, &e)),
    };
    match tx.send_to(frame, None) {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(NlError::io(&format!("send on {name}"), &e)),
        None => Err(NlError::local(&format!("send on {name}"), "no room")),
    }
}

/// Opens an `AF_PACKET` socket on the monitor interface `ifindex` and
/// forwards its management frames to `out` from a thread, until the
/// returned [`Capture`] is dropped or `out` is closed. The thread answers
/// what `responder` says at once, on the same socket, before forwarding,
/// and adds every packet's airtime to `airtime`.
pub fn start_capture(
    name: &str,
    ifindex: u32,
    out: mpsc::UnboundedSender<Monitored>,
    responder: SharedResponder,
    airtime: Arc<AirtimeCounters>,
) -> Result<Capture, NlError> {
    let iface = packet_interface(name, ifindex);
    let config = pnet_datalink::Config {
        read_buffer_size: 8192,
        read_timeout: Some(READ_TIMEOUT),
        promiscuous: false,
        ..pnet_datalink::Config::default()
    };
    let what = format!("AF_PACKET socket on {name}");
    let (mut tx, mut rx) = match pnet_datalink::channel(&iface, config) {
        Ok(pnet_datalink::Channel::Ethernet(tx, rx)) => (tx, rx),
        Ok(_) => return Err(NlError::local(&what, "unexpected channel type")),
        Err(e) => return Err(NlError::io(&what, &e)),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread_name = format!("capture {name}");
    let ifname = name.to_owned();
    std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            let mut errors = 0u64;
            let header = injection_header();
            let mut packet_buf = header.clone();
            let mut sampler = SignalSampler::new(crate::radio::HEARD_INTERVAL);
            while !stopped.load(Ordering::Relaxed) && !out.is_closed() {
                let next = rx.next();
                if let Ok(packet) = &next {
                    airtime.add(Responder::airtime(&responder, packet));
                }
                match next {
                    Ok(packet) => match decode(packet) {
                        Some(Decoded::StationData { sta, signal_dbm })
                            if sampler.sample(sta, std::time::Instant::now()) =>
                        {
                            if out.send(Monitored::Signal { sta, signal_dbm }).is_err() {
                                break;
                            }
                        }
                        Some(Decoded::Mgmt(captured)) => {
                            if let Some(answer) = Responder::answer(&responder, &captured.frame) {
                                packet_buf.truncate(header.len());
                                packet_buf.extend_from_slice(&answer);
                                match tx.send_to(&packet_buf, None) {
                                    Some(Ok(())) => debug!(ifname = %ifname, "early probe response injected"),
                                    Some(Err(e)) => warn!(ifname = %ifname, error = %e, "early probe response not injected"),
                                    None => warn!(ifname = %ifname, "early probe response not injected: no room"),
                                }
                            }
                            if out.send(Monitored::Frame(captured)).is_err() {
                                break;
                            }
                        }
                        Some(Decoded::StationData { .. }) | None => {}
                    },
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    // The interface goes away when the radio closes.
                    Err(_) if stopped.load(Ordering::Relaxed) => break,
                    Err(e) => {
                        errors += 1;
                        if errors.is_power_of_two() {
                            warn!(ifname = %ifname, error = %e, errors, "monitor capture");
                        }
                        std::thread::sleep(READ_TIMEOUT);
                    }
                }
            }
            debug!(ifname = %ifname, "monitor capture stopped");
        })
        .map_err(|e| NlError::io(&what, &e))?;
    Ok(Capture { stop })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STA: [u8; 6] = [0x02, 0, 0, 0, 0x02, 0];
    const LVAP: [u8; 6] = [0x06, 0x0d, 0x1e, 0, 0, 1];
    const BCAST: [u8; 6] = [0xff; 6];

    fn mgmt(fc: u8, a1: [u8; 6], a2: [u8; 6], a3: [u8; 6]) -> Vec<u8> {
        let mut f = vec![fc, 0, 0, 0];
        f.extend_from_slice(&a1);
        f.extend_from_slice(&a2);
        f.extend_from_slice(&a3);
        f.extend_from_slice(&[0x10, 0]);
        f.extend_from_slice(&[0, 0]); // wildcard SSID
        f
    }

    fn is_lvap(a: &MacAddr) -> bool {
        a.0 == LVAP
    }

    #[test]
    fn reports_a_broadcast_probe_from_a_station() {
        assert!(monitor_reports(&mgmt(0x40, BCAST, STA, BCAST), is_lvap));
    }

    #[test]
    fn leaves_frames_to_an_lvap_to_its_interface() {
        assert!(!monitor_reports(&mgmt(0xb0, LVAP, STA, LVAP), is_lvap));
        assert!(!monitor_reports(&mgmt(0x40, LVAP, STA, LVAP), is_lvap));
    }

    #[test]
    fn drops_what_aps_send() {
        // Our own probe response, a beacon of another AP, our deauth.
        assert!(!monitor_reports(&mgmt(0x50, STA, LVAP, LVAP), is_lvap));
        let other = [0x02, 0, 0, 0, 0x09, 0];
        assert!(!monitor_reports(&mgmt(0x80, BCAST, other, other), is_lvap));
        assert!(!monitor_reports(&mgmt(0xc0, STA, LVAP, LVAP), is_lvap));
    }

    #[test]
    fn reports_a_station_talking_to_another_ap() {
        let other = [0x02, 0, 0, 0, 0x09, 0];
        assert!(monitor_reports(&mgmt(0xb0, other, STA, other), is_lvap));
    }

    #[test]
    fn drops_data_and_short_frames() {
        let mut data = mgmt(0x08, LVAP, STA, LVAP);
        data[0] = 0x08;
        assert!(!monitor_reports(&data, |_| false));
        assert!(!monitor_reports(&[0x40, 0, 0], |_| false));
    }

    #[test]
    fn injection_header_is_the_minimal_one() {
        // Version 0, length 10, present = TX flags (bit 15), flags 0: the
        // header of mac80211's injection documentation without a rate.
        assert_eq!(injection_header(), [0, 0, 10, 0, 0, 0x80, 0, 0, 0, 0]);
    }

    #[test]
    fn decodes_radiotap_with_signal_and_fcs() {
        // Radiotap: version 0, length 10, present = flags | antenna
        // signal; flags = FCS at the end, signal -42 dBm.
        let mut packet = vec![0, 0, 10, 0, 0x22, 0, 0, 0, 0x10, 0xd6];
        let frame = mgmt(0x40, BCAST, STA, BCAST);
        packet.extend_from_slice(&frame);
        packet.extend_from_slice(&[1, 2, 3, 4]); // FCS
        let c = decode_capture(&packet).expect("a management frame");
        assert_eq!(c.frame, frame);
        assert_eq!(c.signal_dbm, Some(-42));
        // The same with a bad FCS flag is dropped.
        packet[8] = 0x10 | 0x40;
        assert_eq!(decode_capture(&packet), None);
    }

    /// A radiotap header with the FCS flag and a signal, then `frame` and
    /// an FCS.
    fn captured_packet(frame: &[u8], signal: i8) -> Vec<u8> {
        let mut packet = vec![0, 0, 10, 0, 0x22, 0, 0, 0, 0x10, signal as u8];
        packet.extend_from_slice(frame);
        packet.extend_from_slice(&[1, 2, 3, 4]);
        packet
    }

    #[test]
    fn a_stations_data_frame_gives_its_signal_and_an_aps_does_not() {
        // Data, To DS: station to AP (a QoS null counts as well).
        let mut to_ap = mgmt(0x08, LVAP, STA, LVAP);
        to_ap[1] = 0x01;
        assert_eq!(
            decode(&captured_packet(&to_ap, -61)),
            Some(Decoded::StationData {
                sta: MacAddr(STA),
                signal_dbm: -61
            })
        );
        to_ap[0] = 0xc8;
        assert!(matches!(
            decode(&captured_packet(&to_ap, -61)),
            Some(Decoded::StationData { .. })
        ));
        // From DS (what an AP sends), a WDS frame, no signal: nothing.
        let mut from_ap = mgmt(0x08, STA, LVAP, LVAP);
        from_ap[1] = 0x02;
        assert_eq!(decode(&captured_packet(&from_ap, -61)), None);
        let mut wds = to_ap.clone();
        wds[1] = 0x03;
        assert_eq!(decode(&captured_packet(&wds, -61)), None);
        let mut no_signal = vec![0, 0, 9, 0, 0x02, 0, 0, 0, 0x10];
        no_signal.extend_from_slice(&to_ap);
        no_signal.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(decode(&no_signal), None);
        assert_eq!(decode_capture(&captured_packet(&to_ap, -61)), None);
    }

    #[test]
    fn the_sampler_passes_each_station_once_per_interval_and_stays_bounded() {
        let t0 = std::time::Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut sampler = SignalSampler::new(Duration::from_millis(100));
        let a = MacAddr(STA);
        let b = MacAddr([0x02, 0, 0, 0, 0x03, 0]);
        assert!(sampler.sample(a, ms(0)));
        assert!(!sampler.sample(a, ms(50)));
        assert!(sampler.sample(b, ms(50)));
        assert!(!sampler.sample(a, ms(99)));
        assert!(sampler.sample(a, ms(100)));
        // Full: stations not heard within the interval are forgotten to
        // make room; while all are recent, a new one waits.
        let mut full = SignalSampler::new(Duration::from_millis(100));
        for i in 0..SignalSampler::CAPACITY {
            let mac = MacAddr([0x02, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            assert!(full.sample(mac, ms(0)));
        }
        let newcomer = MacAddr([0x02, 0xff, 0, 0, 0, 0]);
        assert!(!full.sample(newcomer, ms(10)));
        assert!(full.sample(newcomer, ms(200)));
        assert_eq!(full.last.len(), 1);
    }
}
