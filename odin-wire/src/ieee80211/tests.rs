//! Management frames: deconstruct, construct, parse and emit against byte
//! vectors; hostile input; property round trips. Frames captured from
//! hostapd and wpa_supplicant on mac80211_hwsim are checked in
//! `tests/frames_pcap.rs`.

use super::action::ActionRepr;
use super::*;
use crate::ie::ChannelSwitch;
use crate::{Error, MacAddr};

const AP: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x00, 0x00]);
const STA: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x01, 0x00]);

fn header(da: MacAddr, sa: MacAddr, seq: u16) -> MgmtHeader {
    MgmtHeader {
        seq: SeqCtrl {
            number: seq,
            fragment: 0,
        },
        ..MgmtHeader::new(da, sa, AP)
    }
}

/// Parses `bytes`, checks it gives `expected`, then emits `expected` and
/// checks it gives `bytes` back.
fn both_ways(bytes: &[u8], expected: &MgmtRepr<'_>) {
    let parsed = MgmtRepr::parse_bytes(bytes).unwrap();
    assert_eq!(&parsed, expected);
    assert_eq!(expected.buffer_len(), bytes.len());
    assert_eq!(expected.to_vec().unwrap(), bytes);
    // Every strict prefix fails cleanly, or (cut between two elements, or
    // inside a body passed through as bytes) parses into something that
    // re-emits exactly that prefix.
    for len in 0..bytes.len() {
        if let Ok(short) = MgmtRepr::parse_bytes(&bytes[..len]) {
            assert_eq!(short.to_vec().unwrap(), &bytes[..len], "prefix {len}");
        }
    }
}

// Probe request as wpa_supplicant sends for a wildcard scan: SSID empty,
// rates, extended rates (IEEE 802.11-2020 9.3.3.9; hand-assembled).
#[rustfmt::skip]
const PROBE_REQ: [u8; 38] = [
    0x40, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x10, 0x00,
    0x00, 0x00,
    0x01, 0x08, 0x02, 0x04, 0x0b, 0x16, 0x0c, 0x12, 0x18, 0x24,
    0x32, 0x04,
];

#[test]
fn probe_request() {
    let mut bytes = PROBE_REQ.to_vec();
    bytes.extend_from_slice(&[0x30, 0x48, 0x60, 0x6c]);
    let elements = &bytes[24..];
    let expected = MgmtRepr {
        header: MgmtHeader {
            bssid: MacAddr::BROADCAST,
            ..header(MacAddr::BROADCAST, STA, 1)
        },
        body: MgmtBody::ProbeReq(ProbeReqRepr { elements }),
    };
    both_ways(&bytes, &expected);
    let frame = Frame::new_checked(&bytes[..]).unwrap();
    assert_eq!(frame.frame_control().mgmt_subtype(), MgmtSubtype::ProbeReq);
    assert_eq!(frame.addr2(), Some(STA));
}

// Beacon: timestamp, interval 100, ESS|short preamble|short slot, SSID
// "odin", rates, DS channel 6, TIM (DTIM 0 of 2) (9.3.3.2; hand-assembled).
#[rustfmt::skip]
const BEACON: [u8; 61] = [
    0x80, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x01,
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    0x64, 0x00,
    0x21, 0x04,
    0x00, 0x04, b'o', b'd', b'i', b'n',
    0x01, 0x08, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24,
    0x03, 0x01, 0x06,
    0x05, 0x04, 0x00, 0x02, 0x00, 0x00,
];

#[test]
fn beacon_and_probe_response() {
    let expected = MgmtRepr {
        header: header(MacAddr::BROADCAST, AP, 21),
        body: MgmtBody::Beacon(BeaconRepr {
            timestamp: 0x1122_3344_5566_7788,
            beacon_interval: 100,
            capabilities: capability::ESS
                | capability::SHORT_PREAMBLE
                | capability::SHORT_SLOT_TIME,
            elements: &BEACON[36..],
        }),
    };
    both_ways(&BEACON, &expected);
    let view = body::Beacon::new_checked(&BEACON[24..]).unwrap();
    assert_eq!(view.beacon_interval(), 100);

    // The same body as a probe response to the station: subtype 5.
    let mut resp = BEACON;
    resp[0] = 0x50;
    resp[4..10].copy_from_slice(&STA.0);
    let MgmtBody::Beacon(b) = expected.body else {
        unreachable!()
    };
    both_ways(
        &resp,
        &MgmtRepr {
            header: header(STA, AP, 21),
            body: MgmtBody::ProbeResp(b),
        },
    );
}

#[test]
fn authentication() {
    // Open system, transaction 1, from the station (9.3.3.11).
    #[rustfmt::skip]
    let request = [
        0xb0, 0x00, 0x3a, 0x01,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x20, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    ];
    let expected = MgmtRepr {
        header: MgmtHeader {
            duration: 314,
            ..header(AP, STA, 2)
        },
        body: MgmtBody::Auth(AuthRepr {
            algorithm: AuthAlgorithm::OpenSystem,
            transaction: 1,
            status: StatusCode::Success,
            rest: &[],
        }),
    };
    both_ways(&request, &expected);

    // SAE commit: the body after the fixed fields is not elements and is
    // not validated as such (a group 19 commit starts 0x13 0x00).
    let mut sae = request.to_vec();
    sae[24] = 3;
    sae.extend_from_slice(&[0x13, 0x00, 0xff, 0xff, 0xff]);
    let MgmtBody::Auth(a) = MgmtRepr::parse_bytes(&sae).unwrap().body else {
        panic!()
    };
    assert_eq!(a.algorithm, AuthAlgorithm::Sae);
    assert_eq!(a.rest, &[0x13, 0x00, 0xff, 0xff, 0xff]);
    // The same trailer after open system is a truncated element.
    sae[24] = 0;
    assert_eq!(MgmtRepr::parse_bytes(&sae), Err(Error::Truncated));
}

// Elements of an association request: SSID "odin", rates, WMM information
// element (9.3.3.5; hand-assembled).
#[rustfmt::skip]
const ASSOC_IES: [u8; 25] = [
    0x00, 0x04, b'o', b'd', b'i', b'n',
    0x01, 0x08, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24,
    0xdd, 0x07, 0x00, 0x50, 0xf2, 0x02, 0x00, 0x01, 0x00,
];

#[test]
fn association_and_reassociation_requests() {
    let mut bytes = vec![0x00, 0x00, 0x3a, 0x01];
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&STA.0);
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&[0x30, 0x00, 0x31, 0x04, 0x05, 0x00]);
    bytes.extend_from_slice(&ASSOC_IES);
    let req = AssocReqRepr {
        capabilities: 0x0431,
        listen_interval: 5,
        elements: &ASSOC_IES,
    };
    let expected = MgmtRepr {
        header: MgmtHeader {
            duration: 314,
            ..header(AP, STA, 3)
        },
        body: MgmtBody::AssocReq(req),
    };
    both_ways(&bytes, &expected);

    // Reassociation: subtype 2, the current AP's address after the listen interval.
    let mut re = bytes[..28].to_vec();
    re[0] = 0x20;
    re.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x00, 0x09]);
    re.extend_from_slice(&ASSOC_IES);
    let expected = MgmtRepr {
        header: expected.header,
        body: MgmtBody::ReassocReq {
            current_ap: MacAddr([2, 0, 0, 0, 0, 9]),
            req,
        },
    };
    both_ways(&re, &expected);
}

#[test]
fn association_response_sets_and_clears_the_aid_bits() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
        0x21, 0x04, 0x00, 0x00, 0x01, 0xc0,
        0x01, 0x04, 0x82, 0x84, 0x8b, 0x96,
    ];
    let resp = AssocRespRepr {
        capabilities: 0x0421,
        status: StatusCode::Success,
        aid: 1,
        elements: &bytes[30..],
    };
    both_ways(
        &bytes,
        &MgmtRepr {
            header: header(STA, AP, 0),
            body: MgmtBody::AssocResp(resp),
        },
    );
    let mut re = bytes;
    re[0] = 0x30;
    both_ways(
        &re,
        &MgmtRepr {
            header: header(STA, AP, 0),
            body: MgmtBody::ReassocResp(resp),
        },
    );

    // AID above 2007 is malformed in either direction.
    let mut bad = bytes;
    bad[28..30].copy_from_slice(&(0xc000u16 | 2008).to_le_bytes());
    assert_eq!(MgmtRepr::parse_bytes(&bad), Err(Error::Malformed));
    let too_big = MgmtRepr {
        header: header(STA, AP, 0),
        body: MgmtBody::AssocResp(AssocRespRepr { aid: 2008, ..resp }),
    };
    assert_eq!(too_big.to_vec(), Err(Error::Malformed));
}

#[test]
fn disassociation_and_deauthentication() {
    for (subtype, deauth) in [(0xa0u8, false), (0xc0, true)] {
        let mut bytes = vec![subtype, 0x00, 0x00, 0x00];
        bytes.extend_from_slice(&AP.0);
        bytes.extend_from_slice(&STA.0);
        bytes.extend_from_slice(&AP.0);
        bytes.extend_from_slice(&[0x40, 0x00, 0x08, 0x00]);
        let reason = ReasonCode::DisassocStaHasLeft;
        let body = if deauth {
            MgmtBody::Deauth {
                reason,
                elements: &[],
            }
        } else {
            MgmtBody::Disassoc {
                reason,
                elements: &[],
            }
        };
        both_ways(
            &bytes,
            &MgmtRepr {
                header: header(AP, STA, 4),
                body,
            },
        );
    }
}

#[test]
fn channel_switch_action() {
    // Spectrum management (0), channel switch (4), CSA element: mode 1 (stop
    // transmitting), channel 11, count 5; then a secondary channel offset
    // element (9.6.2.6; hand-assembled).
    let mut bytes = vec![0xd0, 0x00, 0x00, 0x00];
    bytes.extend_from_slice(&STA.0);
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&[0x00, 0x00]);
    bytes.extend_from_slice(&[0x00, 0x04, 0x25, 0x03, 0x01, 0x0b, 0x05, 0x3e, 0x01, 0x00]);
    let expected = MgmtRepr {
        header: header(STA, AP, 0),
        body: MgmtBody::Action(ActionRepr::ChannelSwitch {
            csa: ChannelSwitch {
                mode: 1,
                new_channel: 11,
                count: 5,
            },
            elements: &[0x3e, 0x01, 0x00],
        }),
    };
    both_ways(&bytes, &expected);

    // A channel switch action whose first element is not a CSA.
    let mut wrong = bytes.clone();
    wrong[26] = 0x3e;
    assert_eq!(MgmtRepr::parse_bytes(&wrong), Err(Error::Malformed));
}

#[test]
fn public_and_vendor_actions_pass_through() {
    let base = {
        let mut b = vec![0xd0, 0x00, 0x00, 0x00];
        b.extend_from_slice(&AP.0);
        b.extend_from_slice(&STA.0);
        b.extend_from_slice(&AP.0);
        b.extend_from_slice(&[0x00, 0x00]);
        b
    };
    // A public action (GAS initial request, action 10) and a vendor
    // specific one (Wi-Fi Alliance OUI 50:6f:9a), bodies kept as bytes.
    let cases: [(&[u8], ActionRepr<'_>); 4] = [
        (
            &[0x04, 0x0a, 0x01, 0x02, 0x03],
            ActionRepr::Public {
                action: 10,
                body: &[1, 2, 3],
            },
        ),
        (
            &[0x7f, 0x50, 0x6f, 0x9a, 0x09, 0xff],
            ActionRepr::Vendor {
                protected: false,
                oui: [0x50, 0x6f, 0x9a],
                body: &[0x09, 0xff],
            },
        ),
        (
            &[0x03, 0x00, 0x01],
            ActionRepr::Other {
                category: 3,
                body: &[0x00, 0x01],
            },
        ),
        (
            &[0x00, 0x00, 0x01],
            ActionRepr::SpectrumMgmt {
                action: 0,
                body: &[0x01],
            },
        ),
    ];
    for (body, repr) in cases {
        let bytes = [&base[..], body].concat();
        both_ways(
            &bytes,
            &MgmtRepr {
                header: header(AP, STA, 0),
                body: MgmtBody::Action(repr),
            },
        );
    }
    // No category, no OUI: truncated.
    assert_eq!(MgmtRepr::parse_bytes(&base), Err(Error::Truncated));
    assert_eq!(
        MgmtRepr::parse_bytes(&[&base[..], &[0x7f, 0x50]].concat()),
        Err(Error::Truncated)
    );
}

#[test]
fn what_an_ap_does_not_parse() {
    let mut bytes = BEACON;
    // Protected management frame: unsupported (its body is encrypted).
    bytes[1] = 0x40;
    assert_eq!(MgmtRepr::parse_bytes(&bytes), Err(Error::Unsupported));
    // Protocol version 1: malformed.
    bytes = BEACON;
    bytes[0] |= 0x01;
    assert_eq!(MgmtRepr::parse_bytes(&bytes), Err(Error::Malformed));
    // ATIM (subtype 9) and a data frame: unsupported.
    bytes = BEACON;
    bytes[0] = 0x90;
    assert_eq!(MgmtRepr::parse_bytes(&bytes), Err(Error::Unsupported));
    bytes[0] = 0x08;
    assert_eq!(MgmtRepr::parse_bytes(&bytes), Err(Error::Unsupported));
    // An element running past the end of the frame.
    bytes = BEACON;
    bytes[56] = 0x05;
    assert_eq!(MgmtRepr::parse_bytes(&bytes), Err(Error::Truncated));
}

#[test]
fn htc_header_round_trips() {
    let mut bytes = vec![0xc0, 0x80, 0x00, 0x00];
    bytes.extend_from_slice(&STA.0);
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&AP.0);
    bytes.extend_from_slice(&[0x00, 0x00, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00]);
    let expected = MgmtRepr {
        header: MgmtHeader {
            flags: 0x80,
            ht_control: Some(0x1234_5678),
            ..header(STA, AP, 0)
        },
        body: MgmtBody::Deauth {
            reason: ReasonCode::Unspecified,
            elements: &[],
        },
    };
    both_ways(&bytes, &expected);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn mac() -> impl Strategy<Value = MacAddr> {
        any::<[u8; 6]>().prop_map(MacAddr)
    }

    fn header() -> impl Strategy<Value = MgmtHeader> {
        (
            any::<u8>(),
            any::<u16>(),
            mac(),
            mac(),
            mac(),
            0u16..4096,
            0u8..16,
            proptest::option::of(any::<u32>()),
        )
            .prop_map(
                |(flags, duration, da, sa, bssid, number, fragment, ht_control)| MgmtHeader {
                    // The Protected bit never appears in a parsed header; +HTC
                    // follows ht_control.
                    flags: (flags & !0xc0) | if ht_control.is_some() { 0x80 } else { 0 },
                    duration,
                    da,
                    sa,
                    bssid,
                    seq: SeqCtrl { number, fragment },
                    ht_control,
                },
            )
    }

    /// A valid element region: a few (id, data) elements.
    fn elements() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..20)),
            0..5,
        )
        .prop_map(|els| {
            els.into_iter()
                .flat_map(|(id, data)| {
                    let mut e = vec![id, data.len() as u8];
                    e.extend(data);
                    e
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn emit_then_parse(h in header(), which in 0u8..8, a in any::<u16>(), b in any::<u16>(),
                           ts in any::<u64>(), ap in mac(), aid in 0u16..=2007, els in elements()) {
            let body = match which {
                0 => MgmtBody::Beacon(BeaconRepr { timestamp: ts, beacon_interval: a, capabilities: b, elements: &els }),
                1 => MgmtBody::ProbeResp(BeaconRepr { timestamp: ts, beacon_interval: a, capabilities: b, elements: &els }),
                2 => MgmtBody::ProbeReq(ProbeReqRepr { elements: &els }),
                3 => MgmtBody::Auth(AuthRepr { algorithm: AuthAlgorithm::OpenSystem, transaction: a, status: b.into(), rest: &els }),
                4 => MgmtBody::AssocReq(AssocReqRepr { capabilities: a, listen_interval: b, elements: &els }),
                5 => MgmtBody::ReassocReq { current_ap: ap, req: AssocReqRepr { capabilities: a, listen_interval: b, elements: &els } },
                6 => MgmtBody::AssocResp(AssocRespRepr { capabilities: a, status: b.into(), aid, elements: &els }),
                _ => MgmtBody::Deauth { reason: a.into(), elements: &els },
            };
            let repr = MgmtRepr { header: h, body };
            let bytes = repr.to_vec().unwrap();
            prop_assert_eq!(bytes.len(), repr.buffer_len());
            prop_assert_eq!(MgmtRepr::parse_bytes(&bytes).unwrap(), repr);
        }

        #[test]
        fn parse_never_panics_and_reemits_exactly(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(repr) = MgmtRepr::parse_bytes(&bytes) {
                let again = repr.to_vec().unwrap();
                let aid_normalised = matches!(repr.body, MgmtBody::AssocResp(_) | MgmtBody::ReassocResp(_));
                if !aid_normalised {
                    prop_assert_eq!(again, bytes);
                }
            }
        }
    }
}
