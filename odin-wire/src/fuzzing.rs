//! The bodies of the fuzz targets in `fuzz/`, kept here so that `cargo
//! test` replays the seed corpus in `fuzz/seeds/` with the same checks.
//! Each function panics exactly when an invariant of this crate breaks.

use crate::ie::{ElementRepr, Elements};
use crate::ieee80211::{Frame, MgmtBody, MgmtRepr};
use crate::radiotap::{Radiotap, RadiotapRepr};

/// Every element of a region either fails to parse with a reason or
/// re-emits to exactly its own bytes.
fn elements_round_trip(region: &[u8]) {
    let mut iter = Elements::new(region);
    for element in iter.by_ref() {
        let Ok(element) = element else { break };
        let Ok(repr) = ElementRepr::parse(element) else {
            continue;
        };
        let mut out = Vec::new();
        repr.emit_to_vec(&mut out)
            .expect("a parsed element re-emits");
        let mut raw = vec![0; element.buffer_len()];
        element.emit(&mut raw).expect("a raw element re-emits");
        assert_eq!(
            out,
            raw,
            "element {:?} did not re-emit exactly",
            element.id()
        );
    }
}

/// Radiotap: every getter of the view on anything; then parse, and when
/// it parses, emit the representation and parse that again: the same
/// representation must come back (for what emit writes: every standard
/// field and the per-chain signals, not where parsing stopped).
pub fn radiotap(data: &[u8]) {
    let unchecked = Radiotap::new_unchecked(data);
    let _ = (
        unchecked.version(),
        unchecked.header_len(),
        unchecked.present(),
    );
    let _ = (
        unchecked.header(),
        unchecked.payload(),
        unchecked.present_words().count(),
    );
    let _ = unchecked.frame_without_fcs();
    if let Ok(fields) = unchecked.fields() {
        fields.for_each(drop);
    }
    let Ok(packet) = Radiotap::new_checked(data) else {
        return;
    };
    let Ok(repr) = RadiotapRepr::parse(&packet) else {
        return;
    };
    let _ = repr.strip_fcs(packet.payload());
    let mut buffer = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Radiotap::new_unchecked(&mut buffer[..]))
        .expect("emit into buffer_len bytes");
    let emitted = Radiotap::new_checked(&buffer[..]).expect("emitted header checks");
    assert_eq!(usize::from(emitted.header_len()), buffer.len());
    let reparsed = RadiotapRepr::parse(&emitted).expect("emitted header parses");
    assert_eq!(
        reparsed,
        RadiotapRepr {
            stopped_at_bit: None,
            ..repr
        }
    );
}

/// A management frame: every getter of the view, then parse; what parses
/// re-emits byte for byte (but for the association ID's two top bits,
/// which emit always sets) and its elements round-trip one by one.
pub fn mgmt_frame(data: &[u8]) {
    let Ok(frame) = Frame::new_checked(data) else {
        return;
    };
    let _ = (
        frame.duration(),
        frame.addr2(),
        frame.addr3(),
        frame.seq_ctrl(),
    );
    let _ = (
        frame.addr4(),
        frame.qos_control(),
        frame.ht_control(),
        frame.payload(),
    );
    let Ok(repr) = MgmtRepr::parse(&frame) else {
        return;
    };
    let emitted = repr.to_vec().expect("a parsed frame re-emits");
    assert_eq!(emitted.len(), data.len());
    let normalised = matches!(repr.body, MgmtBody::AssocResp(_) | MgmtBody::ReassocResp(_));
    if !normalised {
        assert_eq!(emitted, data, "re-emission differs");
    }
    assert_eq!(
        MgmtRepr::parse_bytes(&emitted).expect("emitted frame parses"),
        repr
    );
    if let Some(region) = repr.body.elements() {
        elements_round_trip(region);
    }
}
