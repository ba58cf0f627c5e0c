//! The LVAP state machine against a real client: the frames that
//! wpa_supplicant 2.10 sent to hostapd 2.10 in the hwsim VM
//! (`odin-wire/tests/data/hwsim-open-assoc.pcap`: scan, authentication,
//! association, disconnections and reconnections) are fed to an LVAP whose
//! BSSID is that hostapd's, at the capture's own times. Wherever hostapd
//! answered, the LVAP must answer with the same kind of frame and the same
//! outcome (status, transaction, AID).

use std::path::Path;

use odin_agent::lvap::model::KernelModel;
use odin_agent::lvap::{Action, BssConfig, Input, Lvap, LvapConfig, Timeouts};
use odin_agent::time::Instant;
use odin_wire::ieee80211::{MgmtBody, MgmtRepr};
use odin_wire::radiotap::Radiotap;
use odin_wire::MacAddr;
use pcap_file::pcap::PcapReader;

const AP: MacAddr = MacAddr([0x02, 0, 0, 0, 0x00, 0]);
const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0x02, 0]);

/// The outcome of a response, for comparing ours with hostapd's.
fn outcome(repr: &MgmtRepr<'_>) -> Option<String> {
    Some(match repr.body {
        MgmtBody::ProbeResp(_) => "probe response".to_string(),
        MgmtBody::Auth(a) => format!("auth trans {} {:?}", a.transaction, a.status),
        MgmtBody::AssocResp(r) => format!("assoc response {:?} aid {}", r.status, r.aid),
        MgmtBody::ReassocResp(r) => format!("reassoc response {:?} aid {}", r.status, r.aid),
        _ => return None,
    })
}

#[test]
fn answers_wpa_supplicant_as_hostapd_did() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../odin-wire/tests/data/hwsim-open-assoc.pcap");
    let mut reader = PcapReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let config = LvapConfig {
        bssid: AP,
        client: CLIENT,
        bss: BssConfig::new(b"odin-open", 1),
        timeouts: Timeouts::default(),
    };
    let mut out = Vec::new();
    let mut lvap = Lvap::new(config, &mut out).unwrap();
    let mut kernel = KernelModel::default();
    kernel.apply(&out).unwrap();

    let mut ours: Vec<String> = Vec::new();
    let mut hostapd: Vec<String> = Vec::new();
    let mut start = None;
    while let Some(packet) = reader.next_packet() {
        let packet = packet.unwrap();
        let t0 = *start.get_or_insert(packet.timestamp);
        let now = Instant::from_micros((packet.timestamp - t0).as_micros() as u64);
        let radiotap = Radiotap::new_checked(&packet.data[..]).unwrap();
        let frame = radiotap.frame_without_fcs().unwrap();
        let Ok(repr) = MgmtRepr::parse_bytes(frame) else {
            continue;
        };
        if repr.header.sa == AP && repr.header.da == CLIENT {
            hostapd.extend(outcome(&repr));
        }
        if repr.header.sa != CLIENT {
            continue;
        }
        out.clear();
        lvap.handle(Input::Frame(frame), now, &mut out);
        kernel.apply(&out).unwrap();
        kernel.check(&lvap).unwrap();
        for action in &out {
            if let Action::SendFrame { frame, cookie } = action {
                let sent = MgmtRepr::parse_bytes(frame).unwrap();
                ours.extend(outcome(&sent));
                // The capture shows the client carrying on: it acknowledged.
                if let Some(cookie) = *cookie {
                    let mut acks = Vec::new();
                    lvap.handle(
                        Input::TxStatus {
                            cookie,
                            acked: true,
                        },
                        now,
                        &mut acks,
                    );
                    kernel.apply(&acks).unwrap();
                }
            }
        }
    }
    // Authentications and associations must match one for one. The capture
    // was trimmed of repeated probe responses (hwsim-tests/tools/
    // pcap_trim.py), so hostapd's probe responses are a subset of ours.
    let exchanges = |v: &[String]| {
        v.iter()
            .filter(|s| !s.starts_with("probe"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(exchanges(&ours), exchanges(&hostapd));
    assert!(exchanges(&ours).len() >= 8, "{ours:?}");
    let probes = |v: &[String]| v.iter().filter(|s| s.starts_with("probe")).count();
    assert!(
        probes(&hostapd) > 0 && probes(&ours) >= probes(&hostapd),
        "ours {ours:?}\nhostapd {hostapd:?}"
    );
}
