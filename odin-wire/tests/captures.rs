//! Real frames from hostapd and wpa_supplicant on mac80211_hwsim
//! (`tests/data/`, captured with `hwsim-tests/scenarios/capture-frames.sh`;
//! `tests/data/README.md` says how and lists every frame).
//!
//! Every management frame parses, re-emits byte for byte, and its elements
//! parse and re-emit one by one (radiotap headers: `radiotap_pcap.rs`);
//! together the captures cover every management subtype an AP handles.
//! With `ODIN_CAPTURE_DIR` set, the same checks run on captures just made
//! in the hwsim VM.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{captures, name, packets};

use odin_wire::ie::ParsedElements;
use odin_wire::ieee80211::{Frame, FrameType, MgmtBody, MgmtRepr, MgmtSubtype};
use odin_wire::radiotap::Radiotap;

/// Every 802.11 frame of a capture, without radiotap header and FCS.
fn frames(path: &Path) -> Vec<Vec<u8>> {
    packets(path)
        .iter()
        .map(|packet| {
            let view = Radiotap::new_checked(&packet[..])
                .unwrap_or_else(|e| panic!("{}: {e}", name(path)));
            view.frame_without_fcs()
                .unwrap_or_else(|e| panic!("{}: {e}", name(path)))
                .to_vec()
        })
        .collect()
}

#[test]
fn management_frames_parse_and_reemit_exactly() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for path in captures() {
        for frame in frames(&path) {
            let view = match Frame::new_checked(&frame[..]) {
                Ok(view) => view,
                // Control frames of hwsim0 are shorter than a MAC header
                // only if broken: none are.
                Err(e) => panic!("{}: {e} in {frame:02x?}", path.display()),
            };
            let fc = view.frame_control();
            if fc.frame_type() != FrameType::Management {
                *seen.entry(format!("{:?}", fc.frame_type())).or_default() += 1;
                continue;
            }
            let repr = MgmtRepr::parse(&view)
                .unwrap_or_else(|e| panic!("{}: {:?}: {e}", path.display(), fc.mgmt_subtype()));
            assert_eq!(repr.to_vec().unwrap(), frame, "{}: {repr}", path.display());
            if let Some(region) = repr.body.elements() {
                ParsedElements::parse(region)
                    .unwrap_or_else(|e| panic!("{}: {repr}: {e}", path.display()));
            }
            // The same checks the fuzzer makes, element by element.
            odin_wire::fuzzing::mgmt_frame(&frame);
            let kind = match repr.body {
                MgmtBody::Action(a) => format!("Action category {}", a.category()),
                _ => format!("{:?}", repr.body.subtype()),
            };
            *seen.entry(kind).or_default() += 1;
        }
    }
    for subtype in [
        MgmtSubtype::Beacon,
        MgmtSubtype::ProbeReq,
        MgmtSubtype::ProbeResp,
        MgmtSubtype::Auth,
        MgmtSubtype::AssocReq,
        MgmtSubtype::AssocResp,
        MgmtSubtype::ReassocReq,
        MgmtSubtype::ReassocResp,
        MgmtSubtype::Disassoc,
        MgmtSubtype::Deauth,
    ] {
        assert!(
            seen.contains_key(&format!("{subtype:?}")),
            "no {subtype:?} in the captures: {seen:?}"
        );
    }
    assert!(
        seen.keys().any(|k| k.starts_with("Action")),
        "no action frame: {seen:?}"
    );
}

#[test]
fn captured_elements_are_the_ones_configured() {
    let mut rsn = false;
    let mut vht = false;
    let mut csa = false;
    let mut ht = false;
    for path in captures() {
        for frame in frames(&path) {
            let Ok(repr) = MgmtRepr::parse_bytes(&frame) else {
                continue;
            };
            let MgmtBody::Beacon(beacon) = repr.body else {
                continue;
            };
            let elems = ParsedElements::parse(beacon.elements).unwrap();
            let ssid = elems.ssid.unwrap_or_default();
            rsn |= ssid == b"odin-wpa2" && elems.rsn.is_some();
            ht |= ssid == b"odin-wpa2" && elems.ht_capabilities.is_some_and(|c| c.short_gi_20());
            vht |= ssid == b"odin-vht"
                && elems.vht_operation.is_some()
                && elems.ds_channel == Some(36);
            csa |= ssid == b"odin-csa" && elems.channel_switch.is_some_and(|c| c.new_channel == 6);
        }
    }
    assert!(
        rsn && ht && vht && csa,
        "rsn {rsn} ht {ht} vht {vht} csa {csa}"
    );
}
