use super::*;
use crate::lvap::BssConfig;

const ME: MacAddr = MacAddr([0x02, 0, 0, 0, 0x10, 1]);
const X: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 1]);
const Y: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 2]);
const Z: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 3]);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn one(out: &mut Vec<Transmit>) -> Transmit {
    assert_eq!(out.len(), 1, "{out:?}");
    out.pop().unwrap()
}

fn probe_resp(bssid: MacAddr, ssid: &[u8]) -> Vec<u8> {
    BssConfig::new(ssid, 1).probe_response(bssid, ME).unwrap()
}

fn beacon(bssid: MacAddr) -> Vec<u8> {
    let t = BssConfig::new(b"odin", 1).beacon(bssid).unwrap();
    [&t.head[..], &[5, 4, 0, 2, 0, 0], &t.tail[..]].concat()
}

fn feed(c: &mut SimClient, frame: &[u8], signal: f64, at: Instant, out: &mut Vec<Transmit>) {
    c.handle(
        ClientInput::Frame {
            frame,
            signal_dbm: signal,
        },
        at,
        out,
    );
}

/// Scans, joins the strongest BSS for its SSID, associates, connected at
/// 70 ms: the probe, authentication and association requests it sends.
fn connected() -> (SimClient, Vec<Transmit>) {
    let mut out = Vec::new();
    let mut c = SimClient::new(ME, b"odin", 1, ClientConfig::default(), ms(0), &mut out);
    let probe = one(&mut out);
    assert_eq!(probe.kind, TxKind::ProbeReq);
    let repr = MgmtRepr::parse_bytes(&probe.frame).unwrap();
    assert_eq!(repr.header.da, MacAddr::BROADCAST);
    assert_eq!(repr.header.sa, ME);
    let MgmtBody::ProbeReq(req) = repr.body else {
        panic!("{repr:?}")
    };
    let elems = ParsedElements::parse(req.elements).unwrap();
    assert_eq!(elems.ssid, Some(&[][..]));
    assert_eq!(elems.ds_channel, Some(1));
    assert_eq!(elems.supported_rates.unwrap().len(), 8);
    assert_eq!(c.poll_at(), Some(ms(50)));

    // Answers: X for us, Y for us and stronger, Z stronger still but for
    // another SSID.
    feed(&mut c, &probe_resp(X, b"odin"), -60.0, ms(5), &mut out);
    feed(&mut c, &probe_resp(Y, b"odin"), -50.0, ms(6), &mut out);
    feed(&mut c, &probe_resp(Z, b"other"), -40.0, ms(7), &mut out);
    assert!(out.is_empty());
    c.handle(ClientInput::Tick, ms(49), &mut out);
    assert!(out.is_empty(), "the dwell is not over");

    c.handle(ClientInput::Tick, ms(50), &mut out);
    let auth = one(&mut out);
    assert_eq!(auth.kind, TxKind::Auth);
    let repr = MgmtRepr::parse_bytes(&auth.frame).unwrap();
    assert_eq!((repr.header.da, repr.header.bssid), (Y, Y));
    let MgmtBody::Auth(a) = repr.body else {
        panic!("{repr:?}")
    };
    assert_eq!((a.algorithm, a.transaction), (AuthAlgorithm::OpenSystem, 1));
    assert_eq!(c.listening_to(), Some(Y));
    assert_eq!(c.poll_at(), Some(ms(250)));

    let resp =
        BssConfig::auth_response(Y, ME, AuthAlgorithm::OpenSystem, 2, StatusCode::Success).unwrap();
    feed(&mut c, &resp, -50.0, ms(60), &mut out);
    let assoc = one(&mut out);
    assert_eq!(assoc.kind, TxKind::Assoc);
    let repr = MgmtRepr::parse_bytes(&assoc.frame).unwrap();
    let MgmtBody::AssocReq(req) = repr.body else {
        panic!("{repr:?}")
    };
    assert_eq!(req.listen_interval, 5);
    let elems = ParsedElements::parse(req.elements).unwrap();
    assert_eq!(elems.ssid, Some(&b"odin"[..]));
    assert_eq!(elems.extended_rates.unwrap().len(), 4);
    assert!(matches!(elems.wmm, Some(Wmm::Information { .. })));
    assert_eq!(c.poll_at(), Some(ms(260)));

    let bss = BssConfig::new(b"odin", 1);
    let resp = bss
        .assoc_response(Y, ME, false, StatusCode::Success, 1, None)
        .unwrap();
    feed(&mut c, &resp, -50.0, ms(70), &mut out);
    assert!(out.is_empty());
    assert!(c.is_connected());
    assert_eq!((c.bssid(), c.aid()), (Some(Y), Some(1)));
    (c, out)
}

#[test]
fn joins_the_strongest_bss_and_sends_data() {
    let (mut c, mut out) = connected();
    assert_eq!(c.poll_at(), Some(ms(170)));
    c.handle(ClientInput::Tick, ms(170), &mut out);
    let data = one(&mut out);
    assert_eq!(data.kind, TxKind::Data);
    assert_eq!(data.frame.len(), 24 + 100);
    let view = Frame::new_checked(&data.frame[..]).unwrap();
    let fc = view.frame_control();
    assert_eq!(fc.frame_type(), FrameType::Data);
    assert!(fc.to_ds() && !fc.from_ds());
    assert_eq!((view.addr1(), view.addr2()), (Y, Some(ME)));
    assert_eq!(&data.frame[24..32], &LLC_SNAP_IPV4);
    c.handle(
        ClientInput::TxStatus {
            kind: TxKind::Data,
            acked: true,
        },
        ms(171),
        &mut out,
    );
    assert_eq!(c.poll_at(), Some(ms(270)));
    c.handle(ClientInput::Tick, ms(270), &mut out);
    one(&mut out);
    c.handle(
        ClientInput::TxStatus {
            kind: TxKind::Data,
            acked: false,
        },
        ms(271),
        &mut out,
    );
    let n = c.counters();
    assert_eq!((n.data_sent, n.data_acked, n.data_lost), (2, 1, 1));

    let log: Vec<(u64, ClientEvent)> = c.log().map(|e| (e.at.millis(), e.event)).collect();
    assert_eq!(
        log,
        [
            (0, ClientEvent::ScanStarted),
            (
                50,
                ClientEvent::Joining {
                    bssid: Y,
                    signal_dbm: -50
                }
            ),
            (60, ClientEvent::Authenticated { bssid: Y }),
            (70, ClientEvent::Associated { bssid: Y, aid: 1 }),
        ]
    );
}

#[test]
fn beacon_loss_disconnects_and_rescans() {
    let (mut c, mut out) = connected();
    let cfg = ClientConfig {
        traffic_interval: Duration::ZERO,
        ..ClientConfig::default()
    };
    c.config = cfg;
    // Connected at 70 ms, no traffic: only the beacon-loss timer.
    c.state = State::Connected {
        bssid: Y,
        aid: 1,
        last_beacon: ms(70),
        next_data: None,
    };
    assert_eq!(c.poll_at(), Some(ms(1070)));
    // A beacon of another BSS does not count; one of ours does.
    feed(&mut c, &beacon(X), -50.0, ms(400), &mut out);
    assert_eq!(c.poll_at(), Some(ms(1070)));
    feed(&mut c, &beacon(Y), -50.0, ms(500), &mut out);
    assert_eq!(c.poll_at(), Some(ms(1500)));
    assert_eq!(c.counters().beacons, 1);
    c.handle(ClientInput::Tick, ms(1499), &mut out);
    assert!(out.is_empty());
    c.handle(ClientInput::Tick, ms(1500), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::ProbeReq);
    assert!(!c.is_connected());
    assert_eq!(c.disconnections(), 1);
    assert_eq!(
        c.log().last().map(|e| (e.at, e.event)),
        Some((ms(1500), ClientEvent::ScanStarted))
    );
    assert!(c.log().any(|e| e.event
        == ClientEvent::Disconnected {
            bssid: Y,
            reason: DisconnectReason::BeaconLoss
        }));
}

#[test]
fn deauthentication_from_its_bss_only() {
    let (mut c, mut out) = connected();
    let reason = ReasonCode::Class3FrameFromNonassocSta;
    // From another BSS: ignored.
    let other = BssConfig::goodbye(X, ME, true, reason).unwrap();
    feed(&mut c, &other, -50.0, ms(80), &mut out);
    assert!(c.is_connected());
    let deauth = BssConfig::goodbye(Y, ME, true, reason).unwrap();
    feed(&mut c, &deauth, -50.0, ms(90), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::ProbeReq);
    assert_eq!(c.disconnections(), 1);
    assert!(c.log().any(|e| e.at == ms(90)
        && e.event
            == ClientEvent::Disconnected {
                bssid: Y,
                reason: DisconnectReason::Deauthenticated(reason)
            }));
}

#[test]
fn retries_then_gives_up_then_scans_again() {
    let mut out = Vec::new();
    let mut c = SimClient::new(ME, b"odin", 1, ClientConfig::default(), ms(0), &mut out);
    out.clear();
    // Nothing answers: an empty scan, another one 500 ms later.
    c.handle(ClientInput::Tick, ms(50), &mut out);
    assert!(out.is_empty());
    assert_eq!(c.poll_at(), Some(ms(550)));
    c.handle(ClientInput::Tick, ms(550), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::ProbeReq);
    feed(&mut c, &probe_resp(X, b"odin"), -70.0, ms(560), &mut out);
    c.handle(ClientInput::Tick, ms(600), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::Auth);
    // Three authentication tries 200 ms apart, then back to scanning.
    c.handle(ClientInput::Tick, ms(800), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::Auth);
    c.handle(ClientInput::Tick, ms(1000), &mut out);
    assert_eq!(one(&mut out).kind, TxKind::Auth);
    c.handle(ClientInput::Tick, ms(1200), &mut out);
    assert!(out.is_empty());
    assert_eq!(c.poll_at(), Some(ms(1700)));
    assert_eq!(c.listening_to(), None);
    let log: Vec<(u64, ClientEvent)> = c.log().map(|e| (e.at.millis(), e.event)).collect();
    assert_eq!(
        log,
        [
            (0, ClientEvent::ScanStarted),
            (50, ClientEvent::ScanEmpty),
            (550, ClientEvent::ScanStarted),
            (
                600,
                ClientEvent::Joining {
                    bssid: X,
                    signal_dbm: -70
                }
            ),
            (
                1200,
                ClientEvent::JoinFailed {
                    bssid: X,
                    reason: FailReason::AuthTimeout
                }
            ),
        ]
    );
    assert_eq!(c.counters().scans, 2);
}

#[test]
fn garbage_and_refusals_do_not_break_it() {
    let mut out = Vec::new();
    let mut c = SimClient::new(ME, b"odin", 1, ClientConfig::default(), ms(0), &mut out);
    out.clear();
    for junk in [&[][..], &[0x80], &[0xb0, 0, 1, 2, 3], &[0xff; 40]] {
        feed(&mut c, junk, -40.0, ms(1), &mut out);
    }
    assert!(out.is_empty());
    feed(&mut c, &probe_resp(X, b"odin"), -70.0, ms(2), &mut out);
    c.handle(ClientInput::Tick, ms(50), &mut out);
    out.clear();
    let refused =
        BssConfig::auth_response(X, ME, AuthAlgorithm::OpenSystem, 2, StatusCode::Unspecified)
            .unwrap();
    feed(&mut c, &refused, -70.0, ms(55), &mut out);
    assert!(c.log().any(|e| e.event
        == ClientEvent::JoinFailed {
            bssid: X,
            reason: FailReason::AuthRefused(StatusCode::Unspecified)
        }));
    assert_eq!(c.poll_at(), Some(ms(555)));
}

#[test]
fn the_log_is_bounded() {
    let mut out = Vec::new();
    let config = ClientConfig {
        log_capacity: 3,
        ..ClientConfig::default()
    };
    let mut c = SimClient::new(ME, b"odin", 1, config, ms(0), &mut out);
    for i in 1..100 {
        let at = c.poll_at().unwrap();
        c.handle(ClientInput::Tick, at, &mut out);
        assert!(c.log().count() <= 3, "{i}");
    }
    assert_eq!(c.log().count(), 3);
}

/// A beacon of `bssid` announcing a switch to `to` in `count` beacons.
fn csa_beacon(bssid: MacAddr, to: u8, count: u8) -> Vec<u8> {
    let (t, _) = BssConfig::new(b"odin", 1)
        .channel_switch_beacon(bssid, to, count, false)
        .unwrap();
    [&t.head[..], &[5, 4, 0, 2, 0, 0], &t.tail[..]].concat()
}

#[test]
fn follows_its_bss_channel_switch() {
    let (mut c, mut out) = connected();
    let at = |n: u64| ms(70 + n);
    assert_eq!(channel_switch(&beacon(Y)), None);
    assert_eq!(
        channel_switch(&csa_beacon(Y, 6, 4)),
        Some((6, 4, Duration::from_micros(102_400)))
    );
    assert_eq!(channel_switch(&csa_beacon(Y, 6, 4)[..40]), None);

    // Another BSS's announcement is not ours.
    feed(&mut c, &csa_beacon(X, 6, 1), -50.0, at(10), &mut out);
    assert_eq!(c.channel(), 1);
    // Count 4 heard: the AP moves after the beacon that counts 1, three
    // intervals later; hearing that one moves the client at once.
    feed(&mut c, &csa_beacon(Y, 6, 4), -50.0, at(100), &mut out);
    assert_eq!(c.channel(), 1);
    assert!(c.poll_at() <= Some(at(100 + 307)));
    feed(&mut c, &csa_beacon(Y, 6, 1), -50.0, at(407), &mut out);
    assert_eq!(c.channel(), 6);
    assert_eq!(
        c.log().last().map(|e| (e.at, e.event)),
        Some((
            at(407),
            ClientEvent::ChannelSwitched {
                bssid: Y,
                channel: 6
            }
        ))
    );
    // It missed the last beacons of a second switch: it moves when the
    // one that counts 1 was due.
    feed(&mut c, &csa_beacon(Y, 11, 3), -50.0, at(1000), &mut out);
    c.handle(ClientInput::Tick, at(1204), &mut out);
    assert_eq!(c.channel(), 6);
    c.handle(ClientInput::Tick, at(1205), &mut out);
    assert_eq!(c.channel(), 11);
    assert!(c.is_connected());
    assert_eq!(c.disconnections(), 0);
}
