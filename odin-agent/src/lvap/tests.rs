//! The LVAP state machine driven frame by frame with exact times.

use std::time::Duration;

use odin_proto::StationFlags;
use odin_wire::ie::{ParsedElements, RateSet};
use odin_wire::ieee80211::{
    AssocReqRepr, AuthAlgorithm, AuthRepr, MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr,
    ReasonCode, SeqCtrl, StatusCode,
};
use odin_wire::MacAddr;

use super::model::KernelModel;
use super::*;

const BSSID: MacAddr = MacAddr([0x06, 0x0d, 0x1e, 0x00, 0x00, 0x01]);
const CLIENT: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x01, 0x00]);
const OTHER: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x02, 0x00]);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// The BSS hostapd would run with `hw_mode=g`, `channel=6`,
/// `ieee80211n=1`, `wmm_enabled=1` and the SSID "odin".
fn bss() -> BssConfig {
    let region = [
        &[0x2d, 0x1a][..],
        &HT_CAP,
        &[0x3d, 0x16],
        &HT_OP,
        &[0xdd, 0x18],
        &WMM_PARAM,
    ]
    .concat();
    let elems = ParsedElements::parse(&region).unwrap();
    BssConfig {
        ssid: b"odin".to_vec(),
        channel: 6,
        beacon_interval: 100,
        dtim_period: 2,
        rates: RateSet::from_bytes(&[
            0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c,
        ])
        .unwrap(),
        short_preamble: true,
        short_slot_time: true,
        ht: Some((elems.ht_capabilities.unwrap(), elems.ht_operation.unwrap())),
        vht: None,
        wmm: elems.wmm,
        extended_capabilities: Some(vec![0, 0, 0, 0, 0, 0, 0, 0x40]),
        max_listen_interval: 65535,
        hide_ssid: false,
    }
}

// HT capabilities of mac80211_hwsim (cap info 0x116e: 20/40, SM power save
// disabled, short GI 20/40, RX STBC 1; A-MPDU 64k, 8 us; MCS 0-15).
const HT_CAP: [u8; 26] = [
    0x6e, 0x11, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
// HT operation on channel 6, no secondary channel.
const HT_OP: [u8; 22] = [
    6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
// hostapd's default WMM parameter element body (after the element header):
// OUI 00:50:f2, type 2, subtype 1, version 1, then BE, BK, VI, VO records.
const WMM_PARAM: [u8; 24] = [
    0x00, 0x50, 0xf2, 0x02, 0x01, 0x01, 0x00, 0x00, 0x03, 0xa4, 0x00, 0x00, 0x27, 0xa4, 0x00, 0x00,
    0x42, 0x43, 0x5e, 0x00, 0x62, 0x32, 0x2f, 0x00,
];

fn config() -> LvapConfig {
    LvapConfig {
        bssid: BSSID,
        client: CLIENT,
        bss: bss(),
        timeouts: Timeouts::default(),
    }
}

/// The LVAP, its actions so far and a model of the kernel it drives.
struct Harness {
    lvap: Lvap,
    kernel: KernelModel,
    seq: u16,
}

impl Harness {
    fn new() -> (Harness, Vec<Action>) {
        let mut out = Vec::new();
        let lvap = Lvap::new(config(), &mut out).unwrap();
        let mut kernel = KernelModel::default();
        kernel.apply(&out).unwrap();
        (
            Harness {
                lvap,
                kernel,
                seq: 0,
            },
            out,
        )
    }

    fn input(&mut self, input: Input<'_>, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        self.lvap.handle(input, now, &mut out);
        self.kernel.apply(&out).unwrap();
        self.kernel.check(&self.lvap).unwrap();
        out
    }

    fn frame(&mut self, body: MgmtBody<'_>, now: Instant) -> Vec<Action> {
        self.frame_from(CLIENT, BSSID, body, now)
    }

    fn frame_from(
        &mut self,
        sa: MacAddr,
        bssid: MacAddr,
        body: MgmtBody<'_>,
        now: Instant,
    ) -> Vec<Action> {
        self.seq += 1;
        let da = if matches!(body, MgmtBody::ProbeReq(_)) && bssid.is_broadcast() {
            MacAddr::BROADCAST
        } else {
            bssid
        };
        let mut header = MgmtHeader::new(da, sa, bssid);
        header.seq = SeqCtrl {
            number: self.seq,
            fragment: 0,
        };
        let bytes = MgmtRepr { header, body }.to_vec().unwrap();
        self.input(Input::Frame(&bytes), now)
    }

    fn associate(&mut self, now: Instant) -> Cookie {
        self.frame(auth(1), now);
        let out = self.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), now);
        let cookie = sent_cookie(&out).expect("association response with a cookie");
        let out = self.input(
            Input::TxStatus {
                cookie,
                acked: true,
            },
            now,
        );
        assert!(out.contains(&Action::Event(LvapEvent::Authorized)));
        cookie
    }
}

fn auth(transaction: u16) -> MgmtBody<'static> {
    MgmtBody::Auth(AuthRepr {
        algorithm: AuthAlgorithm::OpenSystem,
        transaction,
        status: StatusCode::Success,
        rest: &[],
    })
}

// The elements of an association request in the shape wpa_supplicant 2.10
// sends on mac80211_hwsim: SSID, rates, extended rates, HT capabilities,
// extended capabilities, WMM information element.
const ASSOC_IES: [u8; 71] = [
    0x00, 0x04, b'o', b'd', b'i', b'n', //
    0x01, 0x08, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, //
    0x32, 0x04, 0x30, 0x48, 0x60, 0x6c, //
    0x2d, 0x1a, 0x6e, 0x11, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, //
    0x7f, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, //
    0xdd, 0x07, 0x00, 0x50, 0xf2, 0x02, 0x00, 0x01, 0x00,
];

fn assoc_req(elements: &[u8]) -> AssocReqRepr<'_> {
    AssocReqRepr {
        capabilities: 0x0431,
        listen_interval: 5,
        elements,
    }
}

fn probe_ies(ssid: &[u8], channel: Option<u8>) -> Vec<u8> {
    let mut ies = vec![0, ssid.len() as u8];
    ies.extend_from_slice(ssid);
    ies.extend_from_slice(&[0x01, 0x04, 0x02, 0x04, 0x0b, 0x16]);
    if let Some(ch) = channel {
        ies.extend_from_slice(&[0x03, 0x01, ch]);
    }
    ies
}

fn sent_frames(out: &[Action]) -> Vec<MgmtRepr<'_>> {
    out.iter()
        .filter_map(|a| match a {
            Action::SendFrame { frame, .. } => Some(MgmtRepr::parse_bytes(frame).unwrap()),
            _ => None,
        })
        .collect()
}

fn sent_cookie(out: &[Action]) -> Option<Cookie> {
    out.iter().find_map(|a| match a {
        Action::SendFrame { cookie, .. } => *cookie,
        _ => None,
    })
}

fn events(out: &[Action]) -> Vec<LvapEvent> {
    out.iter()
        .filter_map(|a| match a {
            Action::Event(e) => Some(*e),
            _ => None,
        })
        .collect()
}

#[test]
fn starts_beaconing_with_exact_head() {
    let (_, out) = Harness::new();
    let [Action::StartAp {
        bssid,
        beacon,
        ssid,
        beacon_interval,
        dtim_period,
        channel,
    }] = &out[..]
    else {
        panic!("expected one StartAp, got {out:?}");
    };
    assert_eq!(
        (
            *bssid,
            ssid.as_slice(),
            *beacon_interval,
            *dtim_period,
            *channel
        ),
        (BSSID, &b"odin"[..], 100, 2, 6)
    );
    #[rustfmt::skip]
    let head: Vec<u8> = [
        &[0x80, 0x00, 0x00, 0x00][..],           // beacon, duration 0
        &[0xff; 6], &BSSID.0, &BSSID.0, &[0, 0], // DA, SA, BSSID, seq
        &[0; 8], &[100, 0], &[0x21, 0x04],       // timestamp, interval, ESS|short preamble|short slot
        &[0x00, 0x00],                           // SSID hidden: one client's BSS
        &[0x01, 0x08, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24],
        &[0x03, 0x01, 0x06],
    ].concat();
    assert_eq!(beacon.head, head);
    #[rustfmt::skip]
    let tail: Vec<u8> = [
        &[0x32, 0x04, 0x30, 0x48, 0x60, 0x6c][..],
        &[0x2d, 0x1a], &HT_CAP, &[0x3d, 0x16], &HT_OP,
        &[0x7f, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x40],
        &[0xdd, 0x18], &WMM_PARAM,
    ].concat();
    assert_eq!(beacon.tail, tail);
}

#[test]
fn answers_wildcard_and_directed_probes_from_its_client_only() {
    let (mut h, _) = Harness::new();
    let wildcard = probe_ies(b"", Some(6));
    let out = h.frame_from(
        CLIENT,
        MacAddr::BROADCAST,
        MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &wildcard,
        }),
        ms(10),
    );
    let frames = sent_frames(&out);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].header.da, CLIENT);
    assert_eq!(frames[0].header.sa, BSSID);
    assert_eq!(frames[0].header.bssid, BSSID);
    let MgmtBody::ProbeResp(resp) = frames[0].body else {
        panic!("not a probe response")
    };
    assert_eq!(resp.beacon_interval, 100);
    let expected = bss().probe_response(BSSID, CLIENT).unwrap();
    assert_eq!(
        out,
        vec![Action::SendFrame {
            frame: expected,
            cookie: None
        }]
    );

    let directed = probe_ies(b"odin", None);
    let out = h.frame_from(
        CLIENT,
        BSSID,
        MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &directed,
        }),
        ms(20),
    );
    assert_eq!(sent_frames(&out).len(), 1);

    // Another client's probe, another SSID, another BSSID, another channel.
    let out = h.frame_from(
        OTHER,
        MacAddr::BROADCAST,
        MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &wildcard,
        }),
        ms(30),
    );
    assert!(out.is_empty());
    let other_ssid = probe_ies(b"elsewhere", None);
    assert!(h
        .frame_from(
            CLIENT,
            MacAddr::BROADCAST,
            MgmtBody::ProbeReq(ProbeReqRepr {
                elements: &other_ssid
            }),
            ms(40)
        )
        .is_empty());
    assert!(h
        .frame_from(
            CLIENT,
            OTHER,
            MgmtBody::ProbeReq(ProbeReqRepr {
                elements: &directed
            }),
            ms(50)
        )
        .is_empty());
    let foreign = probe_ies(b"", Some(11));
    assert!(h
        .frame_from(
            CLIENT,
            MacAddr::BROADCAST,
            MgmtBody::ProbeReq(ProbeReqRepr { elements: &foreign }),
            ms(60)
        )
        .is_empty());

    let c = h.lvap.counters();
    assert_eq!(c.probes_answered, 2);
    assert_eq!(c.dropped(DropReason::NotOurClient), 1);
    assert_eq!(c.dropped(DropReason::WrongSsid), 1);
    assert_eq!(c.dropped(DropReason::WrongBssid), 1);
    assert_eq!(c.dropped(DropReason::ForeignChannel), 1);
}

#[test]
fn open_authentication_then_association_then_authorization() {
    let (mut h, _) = Harness::new();
    let out = h.frame(auth(1), ms(100));
    assert!(
        matches!(&out[0], Action::AddStation(s) if s.flags == StationFlags { authenticated: true, ..Default::default() })
    );
    let frames = sent_frames(&out);
    let MgmtBody::Auth(resp) = frames[0].body else {
        panic!("not an auth response")
    };
    assert_eq!(
        (resp.algorithm, resp.transaction, resp.status),
        (AuthAlgorithm::OpenSystem, 2, StatusCode::Success)
    );
    assert_eq!(frames[0].header.da, CLIENT);
    assert_eq!(events(&out), vec![LvapEvent::Authenticated]);

    let out = h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(112));
    let Action::UpdateStation(state) = &out[0] else {
        panic!("expected UpdateStation, got {out:?}")
    };
    assert_eq!(state.aid, 1);
    assert_eq!(state.listen_interval, 5);
    assert_eq!(
        state.supported_rates,
        vec![0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c]
    );
    assert_eq!(state.ht_capabilities.as_deref(), Some(&HT_CAP[..]));
    assert_eq!(state.wmm, Some(WmmStation { qos_info: 0 }));
    assert_eq!(
        state.flags,
        StationFlags {
            authenticated: true,
            associated: true,
            authorized: false,
            wme: true,
            short_preamble: true
        }
    );
    assert_eq!(state.assoc_ies, ASSOC_IES.to_vec());
    let frames = sent_frames(&out);
    let MgmtBody::AssocResp(resp) = frames[0].body else {
        panic!("not an assoc response")
    };
    assert_eq!((resp.status, resp.aid), (StatusCode::Success, 1));
    let elems = ParsedElements::parse(resp.elements).unwrap();
    assert!(elems.ht_capabilities.is_some() && elems.ht_operation.is_some() && elems.wmm.is_some());
    assert_eq!(
        events(&out),
        vec![LvapEvent::Associated {
            reassociation: false,
            aid: 1
        }]
    );
    assert!(h.lvap.is_associated() && !h.lvap.is_authorized());

    // A transmit status for some other frame changes nothing.
    let cookie = sent_cookie(&out).unwrap();
    assert!(h
        .input(
            Input::TxStatus {
                cookie: Cookie(cookie.0 + 100),
                acked: true
            },
            ms(113)
        )
        .is_empty());
    let out = h.input(
        Input::TxStatus {
            cookie,
            acked: true,
        },
        ms(114),
    );
    assert!(
        matches!(&out[0], Action::SetStationFlags { sta, flags } if *sta == CLIENT && flags.authorized)
    );
    assert!(h.lvap.is_authorized());
    let exported = h.lvap.export().unwrap();
    assert_eq!(exported.last_rx_seq, Some(2));
}

#[test]
fn lost_association_response_waits_for_the_retry() {
    let (mut h, _) = Harness::new();
    h.frame(auth(1), ms(0));
    let out = h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(5));
    let first = sent_cookie(&out).unwrap();
    let out = h.input(
        Input::TxStatus {
            cookie: first,
            acked: false,
        },
        ms(6),
    );
    assert_eq!(events(&out), vec![LvapEvent::AssocResponseLost]);
    assert!(!h.lvap.is_authorized());
    // The client retries: the station entry is renewed, the AID kept.
    let out = h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(20));
    assert!(
        matches!(&out[..2], [Action::RemoveStation { .. }, Action::AddStation(s)] if s.aid == 1)
    );
    let second = sent_cookie(&out).unwrap();
    assert_ne!(first, second);
    h.input(
        Input::TxStatus {
            cookie: second,
            acked: true,
        },
        ms(21),
    );
    assert!(h.lvap.is_authorized());
}

#[test]
fn refusals_carry_the_standard_status_codes() {
    let (mut h, _) = Harness::new();
    // Association before authentication: deauthentication, reason 6.
    let out = h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(0));
    let frames = sent_frames(&out);
    assert!(matches!(
        frames[0].body,
        MgmtBody::Deauth {
            reason: ReasonCode::Class2FrameFromNonauthSta,
            ..
        }
    ));
    assert_eq!(h.lvap.counters().dropped(DropReason::NotAuthenticated), 1);

    // Shared key and SAE are not supported; a wrong transaction number.
    for (alg, transaction, status) in [
        (AuthAlgorithm::SharedKey, 1, StatusCode::NotSupportedAuthAlg),
        (AuthAlgorithm::Sae, 1, StatusCode::NotSupportedAuthAlg),
        (
            AuthAlgorithm::OpenSystem,
            3,
            StatusCode::UnknownAuthTransaction,
        ),
    ] {
        let out = h.frame(
            MgmtBody::Auth(AuthRepr {
                algorithm: alg,
                transaction,
                status: StatusCode::Success,
                rest: &[],
            }),
            ms(10),
        );
        let frames = sent_frames(&out);
        let MgmtBody::Auth(resp) = frames[0].body else {
            panic!()
        };
        assert_eq!(
            (resp.algorithm, resp.transaction, resp.status),
            (alg, transaction + 1, status)
        );
        assert_eq!(events(&out), vec![LvapEvent::AuthRefused(status)]);
    }
    assert!(!h.lvap.is_associated());

    h.frame(auth(1), ms(20));
    let refuse = |h: &mut Harness, req: AssocReqRepr<'_>| {
        let out = h.frame(MgmtBody::AssocReq(req), ms(30));
        let frames = sent_frames(&out);
        let MgmtBody::AssocResp(resp) = frames[0].body else {
            panic!()
        };
        assert_eq!(resp.aid, 0);
        resp.status
    };
    // Another SSID.
    let mut wrong_ssid = ASSOC_IES.to_vec();
    wrong_ssid[2] = b'x';
    assert_eq!(
        refuse(&mut h, assoc_req(&wrong_ssid)),
        StatusCode::Unspecified
    );
    // Missing basic rate 11 Mb/s (0x96 dropped, 0x8b kept).
    let mut no_basic = ASSOC_IES.to_vec();
    no_basic[8..16].copy_from_slice(&[0x02, 0x04, 0x0b, 0x0c, 0x12, 0x18, 0x24, 0x30]);
    assert_eq!(
        refuse(&mut h, assoc_req(&no_basic)),
        StatusCode::AssocDeniedRates
    );
    // A malformed element region: the frame does not parse, so it is
    // dropped and counted (the client retries, as after a lost frame).
    assert!(h
        .frame(
            MgmtBody::AssocReq(assoc_req(&ASSOC_IES[..ASSOC_IES.len() - 1])),
            ms(30)
        )
        .is_empty());
    assert_eq!(
        h.lvap
            .counters()
            .dropped(DropReason::Parse(Error::Truncated)),
        1
    );
    // Listen interval over the configured limit.
    let mut cfg = config();
    cfg.bss.max_listen_interval = 4;
    let mut out = Vec::new();
    let mut lvap = Lvap::new(cfg, &mut out).unwrap();
    let mut kernel = KernelModel::default();
    kernel.apply(&out).unwrap();
    for (i, body) in [auth(1), MgmtBody::AssocReq(assoc_req(&ASSOC_IES))]
        .into_iter()
        .enumerate()
    {
        let mut header = MgmtHeader::new(BSSID, CLIENT, BSSID);
        header.seq.number = i as u16;
        let bytes = MgmtRepr { header, body }.to_vec().unwrap();
        out.clear();
        lvap.handle(Input::Frame(&bytes), ms(40), &mut out);
        kernel.apply(&out).unwrap();
    }
    assert_eq!(
        events(&out),
        vec![LvapEvent::AssocRefused(StatusCode::Unknown(51))]
    );
    assert!(!lvap.is_associated());
}

#[test]
fn retransmissions_are_dropped_once_seen() {
    let (mut h, _) = Harness::new();
    let mut header = MgmtHeader::new(BSSID, CLIENT, BSSID);
    header.seq.number = 77;
    let first = MgmtRepr {
        header,
        body: auth(1),
    }
    .to_vec()
    .unwrap();
    header.flags |= 0x08; // retry
    let retry = MgmtRepr {
        header,
        body: auth(1),
    }
    .to_vec()
    .unwrap();
    assert!(!h.input(Input::Frame(&first), ms(0)).is_empty());
    assert!(h.input(Input::Frame(&retry), ms(1)).is_empty());
    assert_eq!(h.lvap.counters().dropped(DropReason::Duplicate), 1);
}

#[test]
fn disassociation_keeps_authentication_and_deauthentication_ends_it() {
    let (mut h, _) = Harness::new();
    h.associate(ms(0));
    let out = h.frame(
        MgmtBody::Disassoc {
            reason: ReasonCode::DisassocStaHasLeft,
            elements: &[],
        },
        ms(1000),
    );
    assert_eq!(out[0], Action::RemoveStation { sta: CLIENT });
    assert_eq!(
        events(&out),
        vec![LvapEvent::Left(LeaveReason::Disassociated(
            ReasonCode::DisassocStaHasLeft
        ))]
    );
    // Still authenticated: associating again adds a fresh station entry.
    let out = h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(1100));
    assert!(matches!(&out[0], Action::AddStation(s) if s.flags.associated && s.aid == 1));
    let out = h.frame(
        MgmtBody::Deauth {
            reason: ReasonCode::DeauthLeaving,
            elements: &[],
        },
        ms(1200),
    );
    assert_eq!(out[0], Action::RemoveStation { sta: CLIENT });
    assert!(!h.lvap.is_associated());
    // Deauthenticated twice: nothing to do, counted.
    assert!(h
        .frame(
            MgmtBody::Deauth {
                reason: ReasonCode::DeauthLeaving,
                elements: &[]
            },
            ms(1300)
        )
        .is_empty());
}

#[test]
fn reauthentication_while_associated_resets_the_station() {
    let (mut h, _) = Harness::new();
    h.associate(ms(0));
    let out = h.frame(auth(1), ms(500));
    assert_eq!(
        &out[..2],
        &[
            Action::RemoveStation { sta: CLIENT },
            Action::Event(LvapEvent::Left(LeaveReason::Reauthenticated))
        ]
    );
    assert!(matches!(&out[2], Action::AddStation(s) if !s.flags.associated));
}

#[test]
fn authenticated_client_that_never_associates_is_removed_at_the_exact_deadline() {
    let (mut h, _) = Harness::new();
    h.frame(auth(1), ms(1_000));
    assert_eq!(h.lvap.poll_at(), Some(ms(11_000)));
    assert!(h.input(Input::Tick, ms(10_999)).is_empty());
    let out = h.input(Input::Tick, ms(11_000));
    assert_eq!(
        out,
        vec![
            Action::RemoveStation { sta: CLIENT },
            Action::Event(LvapEvent::Left(LeaveReason::AuthTimeout))
        ]
    );
    assert_eq!(h.lvap.poll_at(), None);
}

#[test]
fn inactive_client_is_polled_then_deauthenticated() {
    let (mut h, _) = Harness::new();
    h.associate(ms(0));
    assert_eq!(h.lvap.poll_at(), Some(ms(10_000)));
    assert!(h.input(Input::Tick, ms(9_999)).is_empty());
    assert_eq!(
        h.input(Input::Tick, ms(10_000)),
        vec![Action::QueryStation { sta: CLIENT }]
    );
    // Still active: nothing.
    assert!(h
        .input(
            Input::StationInfo {
                inactive: Duration::from_secs(299)
            },
            ms(10_001)
        )
        .is_empty());
    assert_eq!(
        h.input(Input::Tick, ms(20_000)),
        vec![Action::QueryStation { sta: CLIENT }]
    );
    let out = h.input(
        Input::StationInfo {
            inactive: Duration::from_secs(300),
        },
        ms(20_002),
    );
    let [Action::PollClient { sta, cookie }] = out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(sta, CLIENT);
    // The poll is acknowledged: the client stays.
    assert!(h
        .input(
            Input::TxStatus {
                cookie,
                acked: true
            },
            ms(20_010)
        )
        .is_empty());
    assert!(h.lvap.is_associated());
    // Next time the poll goes unanswered until its deadline.
    h.input(Input::Tick, ms(30_010));
    let out = h.input(
        Input::StationInfo {
            inactive: Duration::from_secs(310),
        },
        ms(30_011),
    );
    assert!(matches!(out[..], [Action::PollClient { .. }]));
    assert_eq!(h.lvap.poll_at(), Some(ms(31_011)));
    assert!(h.input(Input::Tick, ms(31_010)).is_empty());
    let out = h.input(Input::Tick, ms(31_011));
    let frames = sent_frames(&out);
    assert!(matches!(
        frames[0].body,
        MgmtBody::Deauth {
            reason: ReasonCode::DisassocDueToInactivity,
            ..
        }
    ));
    assert_eq!(out[1], Action::RemoveStation { sta: CLIENT });
    assert_eq!(events(&out), vec![LvapEvent::Left(LeaveReason::Inactive)]);
}

#[test]
fn export_then_import_moves_the_station_exactly() {
    let (mut source, _) = Harness::new();
    source.associate(ms(0));
    let state = source.lvap.export().unwrap();

    let mut out = Vec::new();
    let mut target = Lvap::import(config(), state.clone(), ms(50), &mut out).unwrap();
    let mut kernel = KernelModel::default();
    kernel.apply(&out).unwrap();
    assert!(matches!(out[0], Action::StartAp { bssid, .. } if bssid == BSSID));
    let Action::AddStation(added) = &out[1] else {
        panic!()
    };
    assert_eq!(
        StationState {
            flags: StationFlags {
                authorized: true,
                ..added.flags
            },
            ..added.clone()
        },
        state
    );
    assert!(!added.flags.authorized);
    kernel.check(&target).unwrap();

    // The switch: the source removes its station, then the target authorizes.
    let out = source.input(Input::Command(Command::Stop), ms(60));
    assert_eq!(
        out,
        vec![
            Action::RemoveStation { sta: CLIENT },
            Action::StopAp { bssid: BSSID }
        ]
    );
    out.len();
    let mut out = Vec::new();
    target.handle(Input::Command(Command::Authorize), ms(60), &mut out);
    kernel.apply(&out).unwrap();
    kernel.check(&target).unwrap();
    assert_eq!(target.export().unwrap(), state);

    // The stopped source is inert; the target knows the client's last
    // sequence number, so a retransmission of it is still a duplicate.
    assert!(source.frame(auth(1), ms(70)).is_empty());
    assert_eq!(source.lvap.counters().dropped(DropReason::Stopped), 1);
    let mut header = MgmtHeader::new(BSSID, CLIENT, BSSID);
    header.seq.number = state.last_rx_seq.unwrap();
    header.flags = 0x08;
    let dup = MgmtRepr {
        header,
        body: MgmtBody::Disassoc {
            reason: ReasonCode::Unspecified,
            elements: &[],
        },
    }
    .to_vec()
    .unwrap();
    let mut out = Vec::new();
    target.handle(Input::Frame(&dup), ms(80), &mut out);
    assert!(out.is_empty());
}

#[test]
fn import_refuses_foreign_or_unassociated_state() {
    let (mut h, _) = Harness::new();
    h.associate(ms(0));
    let state = h.lvap.export().unwrap();
    let mut out = Vec::new();
    let other = LvapConfig {
        client: OTHER,
        ..config()
    };
    assert_eq!(
        Lvap::import(other, state.clone(), ms(0), &mut out).err(),
        Some(ImportError::WrongIdentity)
    );
    let unassoc = StationState {
        flags: StationFlags::default(),
        ..state.clone()
    };
    assert_eq!(
        Lvap::import(config(), unassoc, ms(0), &mut out).err(),
        Some(ImportError::NotAssociated)
    );
    let bad_aid = StationState { aid: 2008, ..state };
    assert_eq!(
        Lvap::import(config(), bad_aid, ms(0), &mut out).err(),
        Some(ImportError::BadAid(2008))
    );
    assert!(out.is_empty());
}

#[test]
fn commands_disconnect_with_the_given_reason() {
    let (mut h, _) = Harness::new();
    h.associate(ms(0));
    let out = h.input(
        Input::Command(Command::Disassociate(ReasonCode::DisassocApBusy)),
        ms(10),
    );
    assert!(matches!(
        sent_frames(&out)[0].body,
        MgmtBody::Disassoc {
            reason: ReasonCode::DisassocApBusy,
            ..
        }
    ));
    h.frame(MgmtBody::AssocReq(assoc_req(&ASSOC_IES)), ms(20));
    let out = h.input(
        Input::Command(Command::Deauthenticate(ReasonCode::Unspecified)),
        ms(30),
    );
    assert!(matches!(
        sent_frames(&out)[0].body,
        MgmtBody::Deauth {
            reason: ReasonCode::Unspecified,
            ..
        }
    ));
    assert_eq!(events(&out), vec![LvapEvent::Left(LeaveReason::Command)]);
    // Data from the no-longer-associated client: deauthentication, reason 7.
    let out = h.input(Input::UnexpectedData, ms(40));
    assert!(matches!(
        sent_frames(&out)[0].body,
        MgmtBody::Deauth {
            reason: ReasonCode::Class3FrameFromNonassocSta,
            ..
        }
    ));
}

#[test]
fn garbage_is_counted_by_cause() {
    let (mut h, _) = Harness::new();
    for bytes in [
        &[][..],
        &[0x40][..],
        &[0x40, 0x00, 0, 0, 1, 2][..],
        &[0x08, 0x00][..],
        &[0x43; 30][..],
    ] {
        assert!(h.input(Input::Frame(bytes), ms(0)).is_empty());
    }
    let c = h.lvap.counters();
    assert_eq!(c.rx_frames, 5);
    assert_eq!(c.dropped(DropReason::Parse(Error::Truncated)), 4);
    assert_eq!(c.dropped(DropReason::Parse(Error::Malformed)), 1); // protocol version 3
    assert_eq!(c.drops().map(|(_, n)| n).sum::<u64>(), 5);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        // A mix of well-formed client frames and arbitrary bytes.
        prop_oneof![
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(BSSID, CLIENT, BSSID),
                    body: auth(1)
                }
                .to_vec()
                .unwrap()
            ),
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(BSSID, CLIENT, BSSID),
                    body: MgmtBody::AssocReq(assoc_req(&ASSOC_IES))
                }
                .to_vec()
                .unwrap()
            ),
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(BSSID, CLIENT, BSSID),
                    body: MgmtBody::ReassocReq {
                        current_ap: BSSID,
                        req: assoc_req(&ASSOC_IES)
                    }
                }
                .to_vec()
                .unwrap()
            ),
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(BSSID, CLIENT, BSSID),
                    body: MgmtBody::Disassoc {
                        reason: ReasonCode::Unspecified,
                        elements: &[]
                    }
                }
                .to_vec()
                .unwrap()
            ),
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(BSSID, CLIENT, BSSID),
                    body: MgmtBody::Deauth {
                        reason: ReasonCode::Unspecified,
                        elements: &[]
                    }
                }
                .to_vec()
                .unwrap()
            ),
            Just(
                MgmtRepr {
                    header: MgmtHeader::new(MacAddr::BROADCAST, CLIENT, MacAddr::BROADCAST),
                    body: MgmtBody::ProbeReq(ProbeReqRepr { elements: &[0, 0] })
                }
                .to_vec()
                .unwrap()
            ),
            proptest::collection::vec(any::<u8>(), 0..64),
        ]
    }

    #[derive(Debug, Clone)]
    enum Step {
        Frame(Vec<u8>),
        TxStatus(u8, bool),
        Info(u16),
        Unexpected,
        Command(u8),
        Tick,
    }

    fn step() -> impl Strategy<Value = (Step, u16)> {
        let step = prop_oneof![
            4 => body_strategy().prop_map(Step::Frame),
            2 => (0u8..8, any::<bool>()).prop_map(|(c, a)| Step::TxStatus(c, a)),
            1 => any::<u16>().prop_map(Step::Info),
            1 => Just(Step::Unexpected),
            1 => (0u8..5).prop_map(Step::Command),
            2 => Just(Step::Tick),
        ];
        (step, 0u16..20_000)
    }

    proptest! {
        /// Whatever arrives in whatever order, the LVAP never panics, never
        /// asks the kernel for something it would refuse, and its view of
        /// the client agrees with the kernel's after every step.
        #[test]
        fn any_input_sequence_keeps_the_invariants(steps in proptest::collection::vec(step(), 1..60)) {
            let (mut h, _) = Harness::new();
            let mut now = 0u64;
            for (step, advance) in steps {
                now += u64::from(advance);
                let input_owned;
                let input = match &step {
                    Step::Frame(bytes) => Input::Frame(bytes),
                    Step::TxStatus(c, acked) => Input::TxStatus { cookie: Cookie(u64::from(*c)), acked: *acked },
                    Step::Info(secs) => Input::StationInfo { inactive: Duration::from_secs(u64::from(*secs)) },
                    Step::Unexpected => Input::UnexpectedData,
                    Step::Command(c) => {
                        input_owned = match c {
                            0 => Command::Authorize,
                            1 => Command::Deauthenticate(ReasonCode::Unspecified),
                            2 => Command::Disassociate(ReasonCode::Unspecified),
                            3 => Command::Authorize,
                            _ => Command::Stop,
                        };
                        Input::Command(input_owned)
                    }
                    Step::Tick => Input::Tick,
                };
                h.input(input, ms(now));
            }
        }
    }
}
