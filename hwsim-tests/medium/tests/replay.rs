//! The recorded VM runs in `testdata/` (see its README): every datagram
//! the kernel sent odin-medium parses, and replaying the run through a
//! fresh [`Medium`] with the same configuration gives the same answers,
//! byte for byte, as the medium sent in the VM.

use std::path::{Path, PathBuf};
use std::time::Duration;

use odin_medium::hwsim::{self, Event, TX_STAT_ACK};
use odin_medium::medium::Medium;
use odin_medium::model::{rx_rate_index, Config};
use odin_medium::netlink::messages;
use odin_medium::record::{self, Line};

struct Recording {
    name: String,
    cfg: Config,
    family: u16,
    first_seq: u32,
    lines: Vec<Line>,
}

fn recordings() -> Vec<Recording> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rec"))
        .collect();
    paths.sort();
    for p in paths {
        out.push(load(&p));
    }
    assert!(!out.is_empty(), "no recording in {}", dir.display());
    out
}

fn load(p: &Path) -> Recording {
    let text = std::fs::read_to_string(p).expect("read");
    let cfg_text =
        std::fs::read_to_string(p.with_extension("toml")).expect("the recording's configuration");
    let mut it = text.lines();
    let (family, first_seq) = record::parse_header(it.next().expect("header")).expect("header");
    Recording {
        name: p.display().to_string(),
        cfg: Config::parse(&cfg_text).expect("config"),
        family,
        first_seq,
        lines: it.filter_map(record::parse).collect(),
    }
}

#[test]
fn every_recorded_datagram_parses() {
    for r in recordings() {
        let mut frames = 0;
        for l in &r.lines {
            let Line::In(_, d) = l else { continue };
            let events = hwsim::parse(r.family, d);
            assert!(
                !events.is_empty(),
                "{}: nothing in {}",
                r.name,
                record::hex(d)
            );
            for ev in events {
                if let Event::Frame(f) = ev {
                    frames += 1;
                    assert_eq!(
                        f.transmitter[0], 0x42,
                        "hwsim names radios by their second address"
                    );
                    assert_eq!(f.freq, 2412);
                    assert!(f.frame.len() >= 10);
                    assert!(f.rates[0].idx >= 0 && f.rates[0].count > 0);
                }
            }
        }
        assert!(frames >= 50, "{}: only {frames} frames", r.name);
    }
}

#[test]
fn the_replay_answers_byte_for_byte() {
    for r in recordings() {
        let mut m = Medium::new(r.cfg.clone(), r.family, r.first_seq);
        let mut expected: Vec<Vec<u8>> = Vec::new();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let (mut statuses, mut acked, mut deliveries) = (0, 0, 0);
        for l in &r.lines {
            match l {
                Line::In(t, d) => got.extend(m.handle(d, *t)),
                Line::Out(_, d) => expected.push(d.clone()),
                Line::Ctl(t, c) => {
                    let _ = m.command(c, *t);
                }
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(got.len(), expected.len(), "{}: number of answers", r.name);
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(record::hex(g), record::hex(e), "{}: answer {i}", r.name);
            let msg = messages(g).next().expect("a message");
            let (cmd, a) = msg.genl().expect("genl");
            match cmd {
                hwsim::CMD_TX_INFO_FRAME => {
                    statuses += 1;
                    if a.u32(hwsim::ATTR_FLAGS)
                        .is_some_and(|f| f & TX_STAT_ACK != 0)
                    {
                        acked += 1;
                    }
                }
                hwsim::CMD_FRAME => {
                    deliveries += 1;
                    let rate = a.u32(hwsim::ATTR_RX_RATE).expect("rate");
                    assert!(rate < 12, "a legacy 2.4 GHz rate index");
                    assert_eq!(rate, rx_rate_index(rate as i8, 0, 2412));
                }
                c => panic!("unexpected command {c}"),
            }
        }
        // One status per frame from the kernel.
        let frames: usize = r
            .lines
            .iter()
            .filter_map(|l| {
                if let Line::In(_, d) = l {
                    Some(d)
                } else {
                    None
                }
            })
            .flat_map(|d| hwsim::parse(r.family, d))
            .filter(|e| matches!(e, Event::Frame(_)))
            .count();
        assert_eq!(statuses, frames, "{}", r.name);
        assert!(
            acked > 0 && deliveries > 0,
            "{}: acked {acked}, deliveries {deliveries}",
            r.name
        );
        let _ = Duration::ZERO;
    }
}
