//! Answering a new client's probe requests before its LVAP exists.
//!
//! A client scans a channel for a few tens of milliseconds. Its LVAP is
//! placed by the controller (a report, a placement window, a command, an
//! AP interface created), which takes longer, so the probes of the
//! client's first scan would go unanswered and the client would find the
//! network only in its next scan, seconds later (wpa_supplicant: 5 s).
//!
//! The controller shares how it derives a client's BSSID
//! ([`odin_proto::bssid`]), so the radio itself answers a new client's
//! probe at once, from its monitor interface, with the probe response the
//! client's LVAP will send. Every agent that hears the probe answers with
//! the same BSSID, so the client sees one BSS; by the time it
//! authenticates (or retries: mac80211 tries three times), the controller
//! has placed the LVAP on one of them. The answer happens in the radio
//! backend, next to the capture, because the way through the agent's
//! event loop is longer than a scan's dwell time on a slow access point.

use odin_proto::BssidPlan;
use odin_wire::ieee80211::{MgmtBody, MgmtRepr};
use odin_wire::MacAddr;

use super::{answers_probe, BssConfig};

/// What a radio needs to answer new clients' probes: the plan and the
/// radio's BSS (SSID, channel, rates).
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyAnswers {
    /// How clients' BSSIDs are derived.
    pub plan: BssidPlan,
    /// What the LVAPs of this radio advertise.
    pub bss: BssConfig,
}

impl EarlyAnswers {
    /// The probe response for `frame`, when it is a probe request from a
    /// unicast client that the client's LVAP would answer, and its derived
    /// BSSID is not one of this radio's own LVAPs (`is_local`: that
    /// LVAP's interface answers itself).
    pub fn answer(&self, frame: &[u8], is_local: impl Fn(&MacAddr) -> bool) -> Option<Vec<u8>> {
        let repr = MgmtRepr::parse_bytes(frame).ok()?;
        let MgmtBody::ProbeReq(probe) = repr.body else {
            return None;
        };
        let client = repr.header.sa;
        if !client.is_unicast() || self.bss.ssid.is_empty() {
            return None;
        }
        let bssid = self.plan.derive(client);
        if is_local(&bssid) {
            return None;
        }
        answers_probe(&self.bss, bssid, &repr.header, probe.elements).ok()?;
        self.bss.probe_response(bssid, client).ok()
    }
}

#[cfg(test)]
mod tests {
    use odin_wire::ieee80211::{MgmtHeader, ProbeReqRepr};

    use super::*;

    const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 1, 0]);
    const ELSEWHERE: MacAddr = MacAddr([0x06, 0x0d, 0x1e, 0, 0, 1]);

    fn early() -> EarlyAnswers {
        EarlyAnswers {
            plan: BssidPlan::new([0x06, 0x0d, 0x1e], [9; 16]).unwrap(),
            bss: BssConfig::new(b"odin", 6),
        }
    }

    fn probe(sa: MacAddr, da: MacAddr, elements: &[u8]) -> Vec<u8> {
        MgmtRepr {
            header: MgmtHeader::new(da, sa, da),
            body: MgmtBody::ProbeReq(ProbeReqRepr { elements }),
        }
        .to_vec()
        .unwrap()
    }

    #[test]
    fn answers_as_the_clients_lvap_would() {
        let e = early();
        let derived = e.plan.derive(CLIENT);
        let expected = e.bss.probe_response(derived, CLIENT).unwrap();
        let none = |_: &MacAddr| false;
        for wanted in [
            probe(CLIENT, MacAddr::BROADCAST, &[0, 0]),
            probe(CLIENT, MacAddr::BROADCAST, b"\x00\x04odin"),
            probe(CLIENT, MacAddr::BROADCAST, &[0, 0, 3, 1, 6]),
            probe(CLIENT, derived, &[0, 0]),
        ] {
            assert_eq!(
                e.answer(&wanted, none),
                Some(expected.clone()),
                "{wanted:02x?}"
            );
        }
    }

    #[test]
    fn leaves_everything_else_alone() {
        let e = early();
        let none = |_: &MacAddr| false;
        for unwanted in [
            probe(CLIENT, MacAddr::BROADCAST, b"\x00\x05other"),
            probe(CLIENT, ELSEWHERE, &[0, 0]),
            probe(CLIENT, MacAddr::BROADCAST, &[0, 0, 3, 1, 11]),
            probe(CLIENT, MacAddr::BROADCAST, &[1, 1, 0x82]),
            probe(MacAddr::BROADCAST, MacAddr::BROADCAST, &[0, 0]),
            vec![0x40, 0, 0],
            vec![],
        ] {
            assert_eq!(e.answer(&unwanted, none), None, "{unwanted:02x?}");
        }
        // An authentication request is not a probe.
        let mut auth = probe(CLIENT, MacAddr::BROADCAST, &[0, 0]);
        auth[0] = 0xb0;
        assert_eq!(e.answer(&auth, none), None);
        // The client's LVAP is on this radio: its interface answers.
        let derived = e.plan.derive(CLIENT);
        let probe = probe(CLIENT, MacAddr::BROADCAST, &[0, 0]);
        assert_eq!(e.answer(&probe, |b| *b == derived), None);
        // No SSID yet: nothing to advertise.
        let mut blank = early();
        blank.bss.ssid.clear();
        assert_eq!(blank.answer(&probe, none), None);
    }
}
