//! What an LVAP spends on a probe request: parsing it, building the probe
//! response, and the whole `Lvap::handle` step (parse, decide, build).
//!
//! Run: `cargo bench -p odin-agent --bench lvap`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use odin_agent::lvap::{Action, BssConfig, Input, Lvap, LvapConfig, Timeouts};
use odin_agent::time::Instant;
use odin_wire::ie::ParsedElements;
use odin_wire::ieee80211::{MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr};
use odin_wire::MacAddr;

const BSSID: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 1]);
const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 1, 0]);

/// A wildcard probe request with the elements wpa_supplicant 2.10 puts in
/// one on a 2.4 GHz hwsim radio: SSID, rates, extended rates, HT
/// capabilities, extended capabilities.
fn probe_request() -> Vec<u8> {
    #[rustfmt::skip]
    let elements: Vec<u8> = [
        &[0x00, 0x00][..],
        &[0x01, 0x08, 0x02, 0x04, 0x0b, 0x16, 0x0c, 0x12, 0x18, 0x24],
        &[0x32, 0x04, 0x30, 0x48, 0x60, 0x6c],
        &[0x2d, 0x1a, 0x6e, 0x11, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x7f, 0x0b, 0x00, 0x00, 0x0a, 0x02, 0x01, 0x40, 0x00, 0x40, 0x00, 0x00, 0x01],
    ]
    .concat();
    MgmtRepr {
        header: MgmtHeader::new(MacAddr::BROADCAST, CLIENT, MacAddr::BROADCAST),
        body: MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &elements,
        }),
    }
    .to_vec()
    .expect("a valid probe request")
}

fn bench(c: &mut Criterion) {
    let probe = probe_request();
    let bss = BssConfig::new(b"odin", 6);
    let mut group = c.benchmark_group("probe");
    group.throughput(Throughput::Elements(1));

    group.bench_function("parse_request", |b| {
        b.iter(|| {
            let repr = MgmtRepr::parse_bytes(black_box(&probe)).expect("parses");
            let MgmtBody::ProbeReq(p) = repr.body else {
                unreachable!()
            };
            black_box(ParsedElements::parse(p.elements).expect("elements parse"));
        })
    });

    group.bench_function("build_response", |b| {
        b.iter(|| {
            black_box(
                bss.probe_response(black_box(BSSID), black_box(CLIENT))
                    .expect("builds"),
            )
        })
    });

    let config = LvapConfig {
        bssid: BSSID,
        client: CLIENT,
        bss: bss.clone(),
        timeouts: Timeouts::default(),
    };
    let mut out = Vec::new();
    let mut lvap = Lvap::new(config, &mut out).expect("valid configuration");
    group.bench_function("lvap_handle", |b| {
        b.iter(|| {
            out.clear();
            lvap.handle(Input::Frame(black_box(&probe)), Instant::ZERO, &mut out);
            assert!(matches!(out.first(), Some(Action::SendFrame { .. })));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
