//! The body of the `lvap` fuzz target, kept here so that `cargo test`
//! replays its seeds in `fuzz/seeds/lvap/` with the same checks.

use std::time::Duration;

use odin_wire::ieee80211::{Frame, ReasonCode};
use odin_wire::MacAddr;

use crate::lvap::model::KernelModel;
use crate::lvap::{BssConfig, Command, Cookie, Input, Lvap, LvapConfig, Timeouts};
use crate::time::Instant;

/// The LVAP under fuzzing serves this client with this BSSID.
pub const BSSID: MacAddr = MacAddr([0x06, 0x0d, 0x1e, 0, 0, 1]);
/// The fuzzed LVAP's client.
pub const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 1, 0]);

/// Reads `data` as a script of inputs for one LVAP and checks, after every
/// input, that the kernel would accept every action and agrees with the
/// LVAP's view (see [`KernelModel`]). Panics when an invariant breaks.
///
/// Script: one opcode byte, then its operands. Opcode `& 7`:
/// 0-2 a frame (length byte, then the bytes; opcode bit 3 rewrites the
/// addresses to the client and the BSSID so that frames reach deep states),
/// 3 a transmit status (cookie byte, acked bit), 4 station info
/// (inactivity byte, in 5 s steps), 5 a command, 6 a tick, 7 unexpected data.
/// Each input advances the time by `opcode >> 4` times 700 ms.
pub fn lvap(data: &[u8]) {
    let config = LvapConfig {
        bssid: BSSID,
        client: CLIENT,
        bss: BssConfig::new(b"odin", 6),
        timeouts: Timeouts::default(),
    };
    let mut out = Vec::new();
    let Ok(mut lvap) = Lvap::new(config, &mut out) else {
        return;
    };
    let mut kernel = KernelModel::default();
    kernel.apply(&out).expect("the first actions are valid");
    let mut now = Instant::ZERO;
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now = now + Duration::from_millis(700 * u64::from(op >> 4));
        let mut frame_buf = Vec::new();
        let input = match op & 7 {
            0..=2 => {
                let Some((&len, tail)) = rest.split_first() else {
                    break;
                };
                let len = usize::from(len).min(tail.len());
                let (bytes, tail) = tail.split_at(len);
                rest = tail;
                frame_buf.extend_from_slice(bytes);
                if op & 8 != 0 {
                    let mut frame = Frame::new_unchecked(&mut frame_buf[..]);
                    if frame.check_len().is_ok() {
                        frame.set_addr1(BSSID);
                        frame.set_addr2(CLIENT);
                        frame.set_addr3(BSSID);
                    }
                }
                Input::Frame(&frame_buf)
            }
            3 => {
                let Some((&c, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                Input::TxStatus {
                    cookie: Cookie(u64::from(c & 0x7f)),
                    acked: c & 0x80 != 0,
                }
            }
            4 => {
                let Some((&secs, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                Input::StationInfo {
                    inactive: Duration::from_secs(5 * u64::from(secs)),
                }
            }
            5 => Input::Command(match op >> 3 & 3 {
                0 => Command::Authorize,
                1 => Command::Deauthenticate(ReasonCode::Unspecified),
                2 => Command::Disassociate(ReasonCode::Unspecified),
                _ => Command::Stop,
            }),
            6 => Input::Tick,
            _ => Input::UnexpectedData,
        };
        out.clear();
        lvap.handle(input, now, &mut out);
        if let Err(violation) = kernel.apply(&out).and_then(|()| kernel.check(&lvap)) {
            panic!("invariant broken after {input:?}: {}", violation.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Replays every seed of the fuzz targets through their checks.
    #[test]
    fn seeds_replay() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        let mut count = 0;
        for (target, run) in [
            ("lvap", super::lvap as fn(&[u8])),
            ("mgmt_frame", odin_wire::fuzzing::mgmt_frame),
            ("radiotap", odin_wire::fuzzing::radiotap),
        ] {
            let dir = seeds.join(target);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.unwrap().path();
                run(&std::fs::read(&path).unwrap());
                count += 1;
            }
        }
        assert!(count >= 10, "only {count} seeds found");
    }
}
