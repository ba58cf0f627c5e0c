//! The radiotap headers of the real mac80211_hwsim captures in `tests/data/`
//! (`tests/data/README.md` says how they were made and with which channels).
//!
//! mac80211 lays its RX radiotap header out the way `RadiotapRepr::emit`
//! does (fields in bit order, natural alignment, zero padding), so besides
//! parsing, every header must re-emit byte for byte.

mod common;

use common::{captures, name, packets};
use odin_wire::radiotap::{ChannelFlags, Mcs, Radiotap, RadiotapRepr};

/// The frequencies each capture's monitor interface was tuned to, from the
/// hostapd configurations in `tests/data/README.md` (`None`: a capture this
/// test does not know yet, checked for a plausible band only).
fn configured_freqs(file: &str) -> Option<&'static [u16]> {
    match file {
        "hwsim-open-assoc.pcap" | "hwsim-open-hwsim0.pcap" | "hwsim-reassoc.pcap" => Some(&[2412]),
        "hwsim-wpa2-ht.pcap" | "hwsim-action.pcap" => Some(&[2437]),
        // chan_switch from channel 1 to 6, the monitor following.
        "hwsim-csa.pcap" => Some(&[2412, 2437]),
        "hwsim-vht.pcap" => Some(&[5180]),
        _ => None,
    }
}

/// Captured on `hwsim0`: hwsim's own radiotap (no signal), not mac80211's.
fn is_hwsim0(file: &str) -> bool {
    file.contains("hwsim0")
}

fn parse(file: &str, packet: &[u8]) -> (RadiotapRepr, usize) {
    let view = Radiotap::new_checked(packet).unwrap_or_else(|e| panic!("{file}: {e}"));
    let repr = RadiotapRepr::parse(&view).unwrap_or_else(|e| panic!("{file}: {e}"));
    (repr, usize::from(view.header_len()))
}

#[test]
fn radiotap_headers_parse_and_reemit_byte_for_byte() {
    let mut total = 0;
    for path in captures() {
        let file = name(&path);
        for packet in packets(&path) {
            let (repr, header_len) = parse(&file, &packet);
            assert_eq!(repr.stopped_at_bit, None, "{file}: unknown field");
            assert!(repr.chains.is_empty(), "{file}: hwsim reports no chains");
            let mut emitted = vec![0; repr.buffer_len()];
            repr.emit(&mut Radiotap::new_unchecked(&mut emitted[..]))
                .unwrap();
            assert_eq!(emitted, packet[..header_len], "{file}: {repr:?}");

            // No FCS on these frames (README): nothing is stripped.
            assert!(!repr.has_fcs(), "{file}");
            let view = Radiotap::new_checked(&packet[..]).unwrap();
            assert_eq!(view.frame_without_fcs(), Ok(&packet[header_len..]));
            assert!(
                view.payload().len() >= 10,
                "{file}: no 802.11 frame behind the header"
            );
            total += 1;
        }
    }
    assert!(total > 100, "only {total} packets");
}

#[test]
fn radiotap_channel_is_the_configured_one() {
    for path in captures() {
        let file = name(&path);
        let mut seen = Vec::new();
        for packet in packets(&path) {
            let (repr, _) = parse(&file, &packet);
            let channel = repr
                .channel
                .unwrap_or_else(|| panic!("{file}: no Channel field"));
            match configured_freqs(&file) {
                Some(freqs) => assert!(
                    freqs.contains(&channel.freq),
                    "{file}: {} MHz",
                    channel.freq
                ),
                None => assert!(
                    (2412..=2484).contains(&channel.freq) || (5160..=5885).contains(&channel.freq),
                    "{file}: {} MHz",
                    channel.freq
                ),
            }
            if !seen.contains(&channel.freq) {
                seen.push(channel.freq);
            }

            // The channel flags follow the band and the modulation, as in
            // ieee80211_add_rx_radiotap_header (net/mac80211/rx.c).
            let expected = if channel.freq > 5000 {
                ChannelFlags::OFDM | ChannelFlags::SPECTRUM_5GHZ
            } else if repr.mcs.is_some() || repr.vht.is_some() {
                ChannelFlags::DYNAMIC | ChannelFlags::SPECTRUM_2GHZ
            } else {
                match repr.rate {
                    Some(2 | 4 | 11 | 22) => ChannelFlags::CCK | ChannelFlags::SPECTRUM_2GHZ,
                    Some(_) => ChannelFlags::OFDM | ChannelFlags::SPECTRUM_2GHZ,
                    None => ChannelFlags::SPECTRUM_2GHZ, // hwsim0's ACKs
                }
            };
            assert_eq!(channel.flags, expected, "{file}: {repr:?}");
        }
        if let Some(freqs) = configured_freqs(&file) {
            seen.sort_unstable();
            assert_eq!(seen, freqs, "{file}: every configured channel appears");
        }
    }
}

#[test]
fn radiotap_monitor_headers_carry_a_dbm_signal_and_a_rate() {
    const LEGACY_RATES: [u8; 12] = [2, 4, 11, 22, 12, 18, 24, 36, 48, 72, 96, 108];
    for path in captures() {
        let file = name(&path);
        for packet in packets(&path) {
            let (repr, _) = parse(&file, &packet);
            let present = Radiotap::new_checked(&packet[..]).unwrap().present();
            if is_hwsim0(&file) {
                // TSFT+Flags+Rate+Channel, or Flags+Channel for ACKs.
                assert!(
                    matches!(present, 0x0f | 0x0a),
                    "{file}: present {present:#x}"
                );
                assert_eq!(repr.antenna_signal, None, "{file}");
                continue;
            }
            // mac80211's RX header: TSFT, Flags, Rate or MCS or VHT, Channel,
            // dBm antenna signal, Antenna, RX flags.
            assert!(
                matches!(present, 0x482f | 0x0008_482b | 0x0020_482b),
                "{file}: present {present:#x}"
            );
            assert!(repr.tsft.is_some() && repr.flags.is_some() && repr.rx_flags.is_some());
            assert_eq!(repr.antenna, Some(0), "{file}");
            // hwsim reports the sender's TX power minus 50 dB.
            let signal = repr
                .antenna_signal
                .unwrap_or_else(|| panic!("{file}: no signal"));
            assert!((-50..=-20).contains(&signal), "{file}: {signal} dBm");

            let rates = [repr.rate.is_some(), repr.mcs.is_some(), repr.vht.is_some()];
            assert_eq!(rates.iter().filter(|&&r| r).count(), 1, "{file}: {repr:?}");
            if let Some(rate) = repr.rate {
                assert!(LEGACY_RATES.contains(&rate), "{file}: rate {rate}");
            }
            if let Some(mcs) = repr.mcs {
                assert!(
                    mcs.known & Mcs::KNOWN_MCS != 0 && mcs.index < 32,
                    "{file}: {mcs:?}"
                );
            }
            if let Some(vht) = repr.vht {
                let [user0, ..] = vht.mcs_nss;
                let (mcs, nss) = (user0 >> 4, user0 & 0x0f);
                assert!(mcs <= 11 && (1..=8).contains(&nss), "{file}: {vht:?}");
            }
        }
    }
}
