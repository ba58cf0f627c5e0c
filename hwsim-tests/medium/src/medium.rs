//! The medium, sans-IO: what each transmitted frame becomes (deliveries
//! and one transmit status), and the control commands. Time is a value
//! (`now`, since the medium started); datagrams in, datagrams out.
//!
//! A frame, attempt by attempt (at most the tries of the transmitter's
//! rate table, in order):
//!
//! - every other radio hears the attempt with the probability of the
//!   model (its link's SNR against the attempt's rate); a radio gets the
//!   frame once, at the first attempt it hears, at the link's signal;
//! - a group-addressed frame, or one flagged "no acknowledgement", has a
//!   single attempt and is never acknowledged;
//! - a unicast frame is acknowledged when the radio owning its receiver
//!   address (addr1) heard the attempt and its acknowledgement, sent back
//!   at the band's lowest rate over the reverse link, got through too;
//!   the tries stop there. Unknown receivers never acknowledge;
//! - the transmitter gets HWSIM_CMD_TX_INFO_FRAME with its own flags (plus
//!   HWSIM_TX_STAT_ACK when acknowledged), the tries used per rate (the
//!   rates after the last one tried set to -1), the cookie and the signal
//!   of the link to the addressed radio (the best link for a group frame).
//!
//! Which radio owns an address: its permanent address (the hwsim address
//! with bit 0x40 cleared), what the kernel announces with ADD_MAC_ADDR,
//! and the transmitter address (addr2) of every frame a radio sends.
//!
//! A radio's channel is the frequency of the last frame it sent: it only
//! acknowledges on that channel. Frames are still offered to radios
//! tuned elsewhere (a scanning radio listens on other channels without
//! telling anyone); hwsim drops them at radios not on the frame's channel.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use tracing::{debug, info, warn};

use crate::hwsim::{self, Event, Mac, TxFrame, TxRate, MAX_RATES, TX_CTL_NO_ACK, TX_STAT_ACK};
use crate::model::{
    ack_needed_snr_db, fmt_mac, needed_snr_db, parse_mac, rx_rate_index, Config, Rng,
};

/// A point on the floor plan, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pos {
    /// East.
    pub x: f64,
    /// North.
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Walk {
    from: Pos,
    to: Pos,
    start: Duration,
    secs: f64,
}

/// A radio the medium knows.
#[derive(Debug, Clone)]
pub struct Radio {
    /// Its name.
    pub name: String,
    /// Its hwsim address (the kernel's name for it on the family).
    pub addr: Mac,
    pos: Pos,
    walk: Option<Walk>,
    tx_power_dbm: f64,
    freq: u32,
    /// Frames it sent.
    pub sent: u64,
    /// Of those, acknowledged.
    pub acked: u64,
    /// Frames delivered to it.
    pub received: u64,
}

impl Radio {
    /// Where it stands at `now`.
    pub fn position(&self, now: Duration) -> Pos {
        match self.walk {
            None => self.pos,
            Some(w) => {
                let t = now.saturating_sub(w.start).as_secs_f64();
                let f = if w.secs <= 0.0 {
                    1.0
                } else {
                    (t / w.secs).min(1.0)
                };
                Pos {
                    x: w.from.x + (w.to.x - w.from.x) * f,
                    y: w.from.y + (w.to.y - w.from.y) * f,
                }
            }
        }
    }
}

/// Counters over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames from the kernel.
    pub frames: u64,
    /// Deliveries to radios.
    pub delivered: u64,
    /// Unicast frames acknowledged.
    pub acked: u64,
    /// Unicast frames never acknowledged.
    pub unacked: u64,
    /// Our messages the kernel refused (deliveries to a radio that is
    /// down, statuses of frames it no longer holds).
    pub refused: u64,
}

/// The medium.
#[derive(Debug)]
pub struct Medium {
    cfg: Config,
    family: u16,
    seq: u32,
    rng: Rng,
    radios: Vec<Radio>,
    /// Interface address -> radio index.
    owners: HashMap<Mac, usize>,
    /// Fixed link signals, (from, to) -> dBm.
    links: HashMap<(usize, usize), f64>,
    /// Counters.
    pub stats: Stats,
}

fn is_group(addr1: &[u8]) -> bool {
    addr1.first().is_some_and(|b| b & 1 == 1)
}

impl Medium {
    /// A medium with `cfg`'s radios, talking to the hwsim family `family`;
    /// the first datagram it builds has sequence number `first_seq`.
    pub fn new(cfg: Config, family: u16, first_seq: u32) -> Medium {
        let mut m = Medium {
            rng: Rng::new(cfg.seed),
            family,
            seq: first_seq,
            radios: Vec::new(),
            owners: HashMap::new(),
            links: HashMap::new(),
            stats: Stats::default(),
            cfg,
        };
        for r in m.cfg.radios.clone() {
            let Some(addr) = parse_mac(&r.addr) else {
                continue;
            };
            let i = m.add_radio(hwsim::radio_addr(addr), &r.name);
            m.radios[i].pos = Pos { x: r.x, y: r.y };
            if let Some(p) = r.tx_power_dbm {
                m.radios[i].tx_power_dbm = p;
            }
        }
        for l in m.cfg.links.clone() {
            if let (Some(a), Some(b)) = (m.find(&l.from), m.find(&l.to)) {
                m.links.insert((a, b), l.signal_dbm);
            }
        }
        m
    }

    fn add_radio(&mut self, addr: Mac, name: &str) -> usize {
        let i = self.radios.len();
        self.radios.push(Radio {
            name: name.to_string(),
            addr,
            pos: Pos::default(),
            walk: None,
            tx_power_dbm: self.cfg.tx_power_dbm,
            freq: 0,
            sent: 0,
            acked: 0,
            received: 0,
        });
        let mut perm = addr;
        perm[0] &= !0x40;
        self.owners.insert(perm, i);
        self.owners.insert(addr, i);
        i
    }

    /// The radios.
    pub fn radios(&self) -> &[Radio] {
        &self.radios
    }

    /// A radio by name or by (permanent or hwsim) address.
    pub fn find(&self, key: &str) -> Option<usize> {
        if let Some(i) = self.radios.iter().position(|r| r.name == key) {
            return Some(i);
        }
        let a = hwsim::radio_addr(parse_mac(key)?);
        self.radios.iter().position(|r| r.addr == a)
    }

    fn radio_by_addr(&mut self, addr: Mac) -> usize {
        match self.radios.iter().position(|r| r.addr == addr) {
            Some(i) => i,
            None => {
                let name = fmt_mac(&addr);
                warn!(radio = %name, "a radio the configuration does not name: placed at (0, 0)");
                self.add_radio(addr, &name)
            }
        }
    }

    /// The signal (dBm, whole) of a frame from radio `from` at radio `to`
    /// at time `now`.
    pub fn signal(&self, from: usize, to: usize, now: Duration) -> i32 {
        if let Some(s) = self.links.get(&(from, to)) {
            return s.round() as i32;
        }
        let (a, b) = (&self.radios[from], &self.radios[to]);
        let (pa, pb) = (a.position(now), b.position(now));
        let d = (pa.x - pb.x).hypot(pa.y - pb.y);
        self.cfg.path_loss.signal_dbm(a.tx_power_dbm, d).round() as i32
    }

    fn next_seq(&mut self) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        s
    }

    /// Everything a datagram from the kernel leads to: the datagrams to
    /// send back, in order.
    pub fn handle(&mut self, datagram: &[u8], now: Duration) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for ev in hwsim::parse(self.family, datagram) {
            match ev {
                Event::Frame(f) => self.frame(&f, now, &mut out),
                Event::AddMac { radio, addr } => {
                    let i = self.radio_by_addr(radio);
                    info!(radio = %self.radios[i].name, addr = %fmt_mac(&addr), "interface address added");
                    self.owners.insert(addr, i);
                }
                Event::DelMac { radio, addr } => {
                    let i = self.radio_by_addr(radio);
                    info!(radio = %self.radios[i].name, addr = %fmt_mac(&addr), "interface address removed");
                    if self.owners.get(&addr) == Some(&i) && addr != radio {
                        self.owners.remove(&addr);
                    }
                }
                Event::Ack { code, seq } if code < 0 => {
                    // Normal for deliveries to radios not yet up.
                    self.stats.refused += 1;
                    debug!(code, seq, "the kernel refused a message");
                }
                Event::Ack { .. } | Event::Other(_) => {}
            }
        }
        out
    }

    /// One transmitted frame: deliveries, then the transmit status.
    // Radios are indexes into several tables (positions, `heard`), and
    // the loop body calls methods of `self`.
    #[allow(clippy::needless_range_loop)]
    pub fn frame(&mut self, f: &TxFrame, now: Duration, out: &mut Vec<Vec<u8>>) {
        self.stats.frames += 1;
        let tx = self.radio_by_addr(f.transmitter);
        self.radios[tx].sent += 1;
        if f.freq != 0 {
            self.radios[tx].freq = f.freq;
        }
        let freq = if f.freq != 0 {
            f.freq
        } else {
            self.radios[tx].freq
        };
        let addr1: Option<Mac> = f.frame.get(4..10).and_then(|a| a.try_into().ok());
        if let Some(addr2) = f.frame.get(10..16).and_then(|a| <Mac>::try_from(a).ok()) {
            // A frame's transmitter address belongs to the radio that sent
            // it (control frames without addr2 are shorter than 16 bytes).
            if f.frame.len() >= 24 && !is_group(&addr2) {
                self.owners.insert(addr2, tx);
            }
        }
        let group = addr1.is_none_or(|a| is_group(&a));
        let wants_ack = !group && f.flags & TX_CTL_NO_ACK == 0;
        let dest = if wants_ack {
            addr1
                .and_then(|a| self.owners.get(&a).copied())
                .filter(|&d| d != tx && (self.radios[d].freq == 0 || self.radios[d].freq == freq))
        } else {
            None
        };

        let n = self.radios.len();
        let noise = self.cfg.noise_floor_dbm;
        let mut heard = vec![false; n];
        let mut used = [TxRate { idx: -1, count: 0 }; MAX_RATES];
        let mut acked = false;
        'tries: for (k, r) in f.rates.iter().enumerate() {
            if r.idx < 0 || r.count == 0 {
                break;
            }
            let needed = needed_snr_db(r.idx, f.rate_flags[k], freq);
            let tries = if wants_ack { r.count } else { 1 };
            for t in 1..=tries {
                used[k] = TxRate {
                    idx: r.idx,
                    count: t,
                };
                for rx in 0..n {
                    // The addressed radio hears every attempt until it
                    // acknowledged one (its ACK may be lost); the others
                    // need to hear the frame once.
                    if rx == tx || (heard[rx] && Some(rx) != dest) {
                        continue;
                    }
                    let s = self.signal(tx, rx, now);
                    let p = self.cfg.loss.success(f64::from(s) - noise, needed);
                    if !self.rng.chance(p) {
                        continue;
                    }
                    if !heard[rx] {
                        heard[rx] = true;
                        let rate = rx_rate_index(r.idx, f.rate_flags[k], freq);
                        out.push(hwsim::deliver(
                            self.family,
                            self.seq,
                            self.radios[rx].addr,
                            &f.frame,
                            rate,
                            s,
                            freq,
                        ));
                        self.seq = self.seq.wrapping_add(1);
                        self.radios[rx].received += 1;
                        self.stats.delivered += 1;
                    }
                    if Some(rx) == dest {
                        let back = self.signal(rx, tx, now);
                        let p_ack = self
                            .cfg
                            .loss
                            .success(f64::from(back) - noise, ack_needed_snr_db(freq));
                        acked = self.rng.chance(p_ack);
                    }
                }
                if acked || !wants_ack {
                    break 'tries;
                }
            }
        }
        let mut flags = f.flags;
        if acked {
            flags |= TX_STAT_ACK;
            self.radios[tx].acked += 1;
            self.stats.acked += 1;
        } else if wants_ack {
            self.stats.unacked += 1;
        }
        let signal = match dest {
            Some(d) => self.signal(d, tx, now),
            None => (0..n)
                .filter(|&r| r != tx)
                .map(|r| self.signal(r, tx, now))
                .max()
                .unwrap_or(noise as i32),
        };
        debug!(
            from = %self.radios[tx].name,
            len = f.frame.len(),
            freq,
            cookie = f.cookie,
            acked,
            receivers = heard.iter().filter(|h| **h).count(),
            "frame"
        );
        let seq = self.next_seq();
        out.push(hwsim::tx_info(
            self.family,
            seq,
            f.transmitter,
            flags,
            signal,
            &used,
            f.cookie,
        ));
    }

    /// Carries out one control command and answers it (one or more
    /// lines, each ending in a newline). Commands:
    ///
    /// - `pos RADIO X Y`: put RADIO at (X, Y) metres (stops a walk);
    /// - `walk RADIO X1 Y1 X2 Y2 SECONDS`: walk from (X1, Y1) to (X2, Y2)
    ///   at constant speed, starting now;
    /// - `signal FROM TO`: the signal of the link now, dBm;
    /// - `show`: every radio, its position and counters.
    ///
    /// RADIO is a configured name or an address (permanent or hwsim).
    pub fn command(&mut self, line: &str, now: Duration) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
        match words.as_slice() {
            [] => String::new(),
            ["pos", r, x, y] => match (self.find(r), num(x), num(y)) {
                (Some(i), Some(x), Some(y)) => {
                    self.radios[i].pos = Pos { x, y };
                    self.radios[i].walk = None;
                    info!(radio = %self.radios[i].name, x, y, "moved");
                    format!("ok {} at {x} {y}\n", self.radios[i].name)
                }
                (None, ..) => format!("error: no radio {r}\n"),
                _ => "error: pos RADIO X Y (metres)\n".into(),
            },
            ["walk", r, x1, y1, x2, y2, s] => {
                match (self.find(r), num(x1), num(y1), num(x2), num(y2), num(s)) {
                    (Some(i), Some(x1), Some(y1), Some(x2), Some(y2), Some(secs)) if secs >= 0.0 => {
                        let (from, to) = (Pos { x: x1, y: y1 }, Pos { x: x2, y: y2 });
                        self.radios[i].walk = Some(Walk {
                            from,
                            to,
                            start: now,
                            secs,
                        });
                        self.radios[i].pos = to;
                        info!(radio = %self.radios[i].name, x1, y1, x2, y2, secs, "walking");
                        format!("ok {} walks to {x2} {y2} in {secs} s\n", self.radios[i].name)
                    }
                    (None, ..) => format!("error: no radio {r}\n"),
                    _ => "error: walk RADIO X1 Y1 X2 Y2 SECONDS\n".into(),
                }
            }
            ["signal", a, b] => match (self.find(a), self.find(b)) {
                (Some(a), Some(b)) if a != b => format!("{}\n", self.signal(a, b, now)),
                _ => "error: signal FROM TO (two different radios)\n".into(),
            },
            ["show"] => {
                let mut s = String::new();
                for r in &self.radios {
                    let p = r.position(now);
                    let _ = writeln!(
                        s,
                        "{} {} x={:.2} y={:.2} freq={} sent={} acked={} received={}",
                        r.name,
                        fmt_mac(&r.addr),
                        p.x,
                        p.y,
                        r.freq,
                        r.sent,
                        r.acked,
                        r.received
                    );
                }
                let st = self.stats;
                let _ = writeln!(
                    s,
                    "frames={} delivered={} acked={} unacked={} refused={}",
                    st.frames, st.delivered, st.acked, st.unacked, st.refused
                );
                s
            }
            _ => "error: commands: pos RADIO X Y | walk RADIO X1 Y1 X2 Y2 SECONDS | signal FROM TO | show\n"
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hwsim::TX_CTL_REQ_TX_STATUS;
    use crate::netlink::messages;

    const FAMILY: u16 = 30;
    const AP: Mac = [0x42, 0, 0, 0, 0, 0];
    const STA: Mac = [0x42, 0, 0, 0, 1, 0];

    fn medium(sta_x: f64) -> Medium {
        let cfg = Config::parse(&format!(
            "[[radio]]\nname = \"ap\"\naddr = \"02:00:00:00:00:00\"\n\
             [[radio]]\nname = \"sta\"\naddr = \"02:00:00:00:01:00\"\nx = {sta_x:?}\n"
        ))
        .expect("config");
        Medium::new(cfg, FAMILY, 100)
    }

    /// A data frame from the AP's interface (02:00:00:00:00:00) to `to`.
    fn frame(to: Mac, rate: i8, count: u8, flags: u32) -> TxFrame {
        let mut f = vec![0x08, 0x02, 0, 0];
        f.extend_from_slice(&to);
        f.extend_from_slice(&[2, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&[2, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(b"payload");
        let none = TxRate { idx: -1, count: 0 };
        TxFrame {
            transmitter: AP,
            frame: f,
            flags,
            freq: 2412,
            rates: [
                TxRate { idx: rate, count },
                TxRate { idx: 0, count: 2 },
                none,
                none,
            ],
            rate_flags: [0; 4],
            cookie: 77,
        }
    }

    /// Deliveries as (receiver, rate, signal).
    type Deliveries = Vec<(Mac, u32, i32)>;

    /// The deliveries, and the status's flags, tries and signal.
    fn run(m: &mut Medium, f: &TxFrame) -> (Deliveries, u32, Vec<TxRate>, i32) {
        let mut out = Vec::new();
        m.frame(f, Duration::ZERO, &mut out);
        let mut delivered = Vec::new();
        let mut status = None;
        for d in &out {
            let msg = messages(d).next().expect("one message");
            let (cmd, a) = msg.genl().expect("genl");
            match cmd {
                hwsim::CMD_FRAME => delivered.push((
                    a.get(hwsim::ATTR_ADDR_RECEIVER)
                        .expect("rx")
                        .try_into()
                        .expect("mac"),
                    a.u32(hwsim::ATTR_RX_RATE).expect("rate"),
                    a.u32(hwsim::ATTR_SIGNAL).expect("signal") as i32,
                )),
                hwsim::CMD_TX_INFO_FRAME => {
                    assert!(status.is_none(), "one status per frame");
                    assert_eq!(a.u64(hwsim::ATTR_COOKIE), Some(77));
                    assert_eq!(a.get(hwsim::ATTR_ADDR_TRANSMITTER), Some(&AP[..]));
                    let t = a.get(hwsim::ATTR_TX_INFO).expect("tx info");
                    let tries = t
                        .chunks_exact(2)
                        .map(|c| TxRate {
                            idx: c[0] as i8,
                            count: c[1],
                        })
                        .collect();
                    status = Some((
                        a.u32(hwsim::ATTR_FLAGS).expect("flags"),
                        tries,
                        a.u32(hwsim::ATTR_SIGNAL).expect("signal") as i32,
                    ));
                }
                c => panic!("command {c}"),
            }
        }
        let (flags, tries, signal) = status.expect("a status");
        (delivered, flags, tries, signal)
    }

    #[test]
    fn a_near_unicast_frame_is_delivered_and_acknowledged_at_the_first_try() {
        let mut m = medium(5.0);
        let (d, flags, tries, signal) = run(
            &mut m,
            &frame([2, 0, 0, 0, 1, 0], 11, 3, TX_CTL_REQ_TX_STATUS),
        );
        // 20 - 40 - 30 log10(5) = -40.97 dBm.
        assert_eq!(d, vec![(STA, 11, -41)]);
        assert_eq!(flags, TX_CTL_REQ_TX_STATUS | TX_STAT_ACK);
        assert_eq!(tries[0], TxRate { idx: 11, count: 1 });
        assert_eq!(tries[1].idx, -1);
        assert_eq!(signal, -41);
        assert_eq!(m.stats.acked, 1);
    }

    #[test]
    fn out_of_range_nothing_arrives_and_every_try_is_spent() {
        // 2 km: -119 dBm, SNR -24 dB: nothing at any rate.
        let mut m = medium(2000.0);
        let (d, flags, tries, _) = run(&mut m, &frame([2, 0, 0, 0, 1, 0], 11, 3, 0));
        assert!(d.is_empty());
        assert_eq!(flags & TX_STAT_ACK, 0);
        assert_eq!(tries[0], TxRate { idx: 11, count: 3 });
        assert_eq!(tries[1], TxRate { idx: 0, count: 2 });
    }

    #[test]
    fn fast_rates_fail_where_slow_ones_get_through() {
        // 150 m: -85 dBm, SNR 10 dB: 54 Mbit/s (22 dB) never, 1 Mbit/s
        // (1 dB) always.
        let mut m = medium(150.0);
        let (d, flags, tries, _) = run(&mut m, &frame([2, 0, 0, 0, 1, 0], 11, 2, 0));
        assert_eq!(d, vec![(STA, 0, -85)]);
        assert_ne!(flags & TX_STAT_ACK, 0);
        assert_eq!(tries[0], TxRate { idx: 11, count: 2 });
        assert_eq!(tries[1], TxRate { idx: 0, count: 1 });
    }

    #[test]
    fn group_frames_have_one_try_and_no_ack() {
        let mut m = medium(5.0);
        let (d, flags, tries, _) = run(&mut m, &frame([0xff; 6], 0, 4, 0));
        assert_eq!(d.len(), 1);
        assert_eq!(flags & TX_STAT_ACK, 0);
        assert_eq!(tries[0], TxRate { idx: 0, count: 1 });
        assert_eq!(tries[1].idx, -1);
    }

    #[test]
    fn no_ack_frames_are_not_acknowledged() {
        let mut m = medium(5.0);
        let (d, flags, _, _) = run(&mut m, &frame([2, 0, 0, 0, 1, 0], 0, 4, TX_CTL_NO_ACK));
        assert_eq!(d.len(), 1);
        assert_eq!(flags, TX_CTL_NO_ACK);
    }

    #[test]
    fn unknown_receivers_hear_nothing_acknowledged() {
        let mut m = medium(5.0);
        let (d, flags, tries, _) = run(&mut m, &frame([2, 9, 9, 9, 9, 9], 4, 2, 0));
        assert_eq!(d.len(), 1, "the other radio still hears it");
        assert_eq!(flags & TX_STAT_ACK, 0);
        assert_eq!(tries[0].count, 2);
    }

    #[test]
    fn addresses_are_learned_from_transmissions() {
        let mut m = medium(5.0);
        // The client's radio sends from a changed address.
        let mut f = frame([2, 0, 0, 0, 0, 0], 0, 1, 0);
        f.transmitter = STA;
        f.frame[10..16].copy_from_slice(&[2, 0xaa, 0, 0, 0, 1]);
        let _ = run_from(&mut m, &f);
        let (_, flags, _, _) = run(&mut m, &frame([2, 0xaa, 0, 0, 0, 1], 0, 1, 0));
        assert_ne!(flags & TX_STAT_ACK, 0);
    }

    fn run_from(m: &mut Medium, f: &TxFrame) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        m.frame(f, Duration::ZERO, &mut out);
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        // 135 m: SNR about 11 dB, around 54 Mbit/s and 24 Mbit/s's
        // thresholds: random outcomes.
        let frames: Vec<TxFrame> = (0..50)
            .map(|i| frame([2, 0, 0, 0, 1, 0], (i % 12) as i8, 4, 0))
            .collect();
        let a: Vec<_> = {
            let mut m = medium(135.0);
            frames.iter().flat_map(|f| run_from(&mut m, f)).collect()
        };
        let b: Vec<_> = {
            let mut m = medium(135.0);
            frames.iter().flat_map(|f| run_from(&mut m, f)).collect()
        };
        assert_eq!(a, b);
        // Both outcomes happen at this distance.
        let statuses: Vec<u32> = a
            .iter()
            .filter_map(|d| {
                let (cmd, at) = messages(d).next()?.genl()?;
                (cmd == hwsim::CMD_TX_INFO_FRAME).then(|| at.u32(hwsim::ATTR_FLAGS))?
            })
            .collect();
        assert_eq!(statuses.len(), 50);
        assert!(statuses.iter().any(|f| f & TX_STAT_ACK != 0));
        let tries_beyond_first: usize = a.len() - 50;
        assert!(tries_beyond_first > 0);
    }

    #[test]
    fn commands_move_and_walk() {
        let mut m = medium(5.0);
        assert_eq!(m.command("signal sta ap", Duration::ZERO), "-41\n");
        assert!(m.command("pos sta 20 0", Duration::ZERO).starts_with("ok"));
        assert_eq!(m.command("signal ap sta", Duration::ZERO), "-59\n");
        let t0 = Duration::from_secs(10);
        assert!(m.command("walk sta 20 0 40 0 4", t0).starts_with("ok"));
        let p = m.radios()[1].position(t0 + Duration::from_secs(1));
        assert_eq!((p.x, p.y), (25.0, 0.0));
        assert_eq!(
            m.command("signal ap sta", t0 + Duration::from_secs(9)),
            "-68\n"
        );
        assert!(m
            .command("show", t0)
            .contains("sta 42:00:00:00:01:00 x=20.00"));
        for bad in [
            "pos nobody 1 2",
            "pos sta x 1",
            "walk sta 1 2 3",
            "signal ap ap",
            "fly",
        ] {
            assert!(m.command(bad, t0).starts_with("error"), "{bad}");
        }
        assert_eq!(m.command("  ", t0), "");
    }
}
