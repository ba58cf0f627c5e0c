//! Information elements of real captures: every management frame with
//! elements in `tests/data/*.pcap` (radiotap or plain 802.11 link type)
//! must parse with `ParsedElements::parse`, and re-emitting each element
//! must give back the exact bytes.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use odin_wire::ie::{ElementRepr, Elements, ParsedElements};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;

/// Offset of the element region in a management frame body, by subtype:
/// the fixed fields before it.
fn fixed_fields(subtype: u8) -> Option<usize> {
    Some(match subtype {
        0 => 4,      // association request
        1 | 3 => 6,  // association / reassociation response
        2 => 10,     // reassociation request
        4 => 0,      // probe request
        5 | 8 => 12, // probe response, beacon
        _ => return None,
    })
}

/// Strips a radiotap header, and the FCS when its flags say there is one.
fn strip_radiotap(packet: &[u8]) -> Option<&[u8]> {
    let len = usize::from(u16::from_le_bytes(packet.get(2..4)?.try_into().ok()?));
    let header = packet.get(..len)?;
    // Present words, chained by bit 31.
    let mut offset = 4;
    let first = u32::from_le_bytes(header.get(4..8)?.try_into().ok()?);
    let mut word = first;
    while word & (1 << 31) != 0 {
        offset += 4;
        word = u32::from_le_bytes(header.get(offset..offset + 4)?.try_into().ok()?);
    }
    offset += 4;
    let mut fcs = false;
    if first & 0b10 != 0 {
        if first & 1 != 0 {
            offset = offset.next_multiple_of(8) + 8; // TSFT
        }
        fcs = header.get(offset)? & 0x10 != 0;
    }
    let frame = packet.get(len..)?;
    if fcs {
        frame.get(..frame.len().checked_sub(4)?)
    } else {
        Some(frame)
    }
}

/// Checks one 802.11 frame; `Ok(Some(n))` with its element count when it is
/// a management frame with elements, `Ok(None)` when it is skipped.
fn check_frame(frame: &[u8]) -> Result<Option<usize>, String> {
    let (Some(&fc0), Some(&fc1)) = (frame.first(), frame.get(1)) else {
        return Ok(None);
    };
    let (ftype, subtype) = ((fc0 >> 2) & 0b11, fc0 >> 4);
    if ftype != 0 || fc1 & 0x40 != 0 {
        return Ok(None); // not management, or protected
    }
    let Some(fixed) = fixed_fields(subtype) else {
        return Ok(None);
    };
    let header = if fc1 & 0x80 != 0 { 28 } else { 24 };
    let Some(region) = frame.get(header + fixed..) else {
        return Err(format!(
            "subtype {subtype}: frame shorter than its fixed fields"
        ));
    };
    ParsedElements::parse(region)
        .map_err(|e| format!("subtype {subtype}: ParsedElements::parse: {e}: {region:02x?}"))?;
    let mut out = Vec::with_capacity(region.len());
    let mut count = 0;
    for element in Elements::new(region) {
        let element = element.map_err(|e| format!("{e}"))?;
        let repr = ElementRepr::parse(element).map_err(|e| format!("{e}: {element:?}"))?;
        repr.emit_to_vec(&mut out)
            .map_err(|e| format!("emit {repr:?}: {e}"))?;
        count += 1;
    }
    if out != region {
        return Err(format!(
            "subtype {subtype}: re-emitted {out:02x?}\n  instead of {region:02x?}"
        ));
    }
    Ok(Some(count))
}

#[derive(Debug, Default)]
struct Stats {
    packets: usize,
    checked: usize,
    elements: usize,
    skipped_truncated: usize,
}

fn check_pcap(bytes: &[u8]) -> Result<Stats, String> {
    let mut reader = PcapReader::new(bytes).map_err(|e| e.to_string())?;
    let datalink = reader.header().datalink;
    let mut stats = Stats::default();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(|e| e.to_string())?;
        stats.packets += 1;
        if packet.data.len() < packet.orig_len as usize {
            stats.skipped_truncated += 1;
            continue;
        }
        let frame = match datalink {
            DataLink::IEEE802_11_RADIOTAP => match strip_radiotap(&packet.data) {
                Some(frame) => frame,
                None => return Err(format!("packet {}: bad radiotap header", stats.packets)),
            },
            DataLink::IEEE802_11 => &packet.data,
            other => return Err(format!("link type {other:?} is not 802.11")),
        };
        match check_frame(frame) {
            Ok(Some(n)) => {
                stats.checked += 1;
                stats.elements += n;
            }
            Ok(None) => {}
            Err(e) => return Err(format!("packet {}: {e}", stats.packets)),
        }
    }
    Ok(stats)
}

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn captured_elements_parse_and_round_trip() {
    let files = captures();
    if files.is_empty() {
        eprintln!("no tests/data/*.pcap yet: nothing to check");
    }
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        match check_pcap(&bytes) {
            Ok(stats) => eprintln!("{}: {stats:?}", path.display()),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

// The harness itself, on a capture built here.

/// A real 37C3 beacon (bins/frames/beacon.bin of the ieee80211-rs crate,
/// github.com/Frostie314159/ieee80211-rs), MAC header included.
const BEACON_37C3: [&str; 9] = [
    "80000000ffffffffffffbc9fe428f420bc9fe428f420104902c5c928070000006400111500043337433301069824b048",
    "606c03012c05190001021000000000000000080000000000000000000080000207064445202408172001002302120030",
    "1a0100000fac040100000fac040100000fac01a8000000000fac060b05c90061204e33050124282c3033050234383c40",
    "4306000c05480548460573d001000d2d1aad0903ffffffff000000000000000001000000000000000000003d162c0005",
    "000000000000000000000000000000000000007f0a04000800000000400040bf0c91f98b33aaff0000aaff0020c00500",
    "00000000c302002eff20230501089a4010006008881fc3831c010800aaffaaff3b1cc7711cc7711cc771ff0724f43f00",
    "15fcffff0e260f03a4162fa9ff4575ff6232ffdd180050f20201010f0003a4000027a4000042435e0062322f00dd168c",
    "fdf0040000494c51030209720100000000feff0000dd078cfdf004010100dd07000b8601040812dd0b000b8601030041",
    "50363932",
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn pcap_of(datalink: DataLink, packets: &[Vec<u8>]) -> Vec<u8> {
    let header = PcapHeader {
        datalink,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).expect("pcap header");
    for p in packets {
        let packet = PcapPacket {
            timestamp: Duration::ZERO,
            orig_len: p.len() as u32,
            data: Cow::Borrowed(p),
        };
        writer.write_packet(&packet).expect("pcap packet");
    }
    writer.into_writer()
}

#[test]
fn harness_on_a_built_capture() {
    let beacon = hex(&BEACON_37C3.concat());
    // Radiotap with no fields; radiotap with TSFT and flags saying FCS
    // (followed by a dummy FCS); plain 802.11.
    let plain_rt = [&[0u8, 0, 8, 0, 0, 0, 0, 0][..], &beacon].concat();
    let mut fcs_rt = vec![0u8, 0, 24, 0, 0x03, 0, 0, 0];
    fcs_rt.extend_from_slice(&[0; 8]); // TSFT
    fcs_rt.extend_from_slice(&[0x10, 0, 0, 0, 0, 0, 0, 0]); // flags: FCS, padding
    fcs_rt.extend_from_slice(&beacon);
    fcs_rt.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    // A data frame, skipped.
    let data_frame = [&[0u8, 0, 8, 0, 0, 0, 0, 0][..], &[0x08, 0x00], &[0u8; 22]].concat();

    let rt = pcap_of(
        DataLink::IEEE802_11_RADIOTAP,
        &[plain_rt, fcs_rt, data_frame],
    );
    let stats = check_pcap(&rt).unwrap();
    assert_eq!(
        (stats.packets, stats.checked, stats.elements),
        (3, 2, 2 * 27)
    );

    let plain = pcap_of(DataLink::IEEE802_11, std::slice::from_ref(&beacon));
    assert_eq!(check_pcap(&plain).unwrap().checked, 1);

    // A broken element is reported.
    let mut bad = beacon.clone();
    let last = bad.len() - 1;
    bad.truncate(last);
    assert!(check_pcap(&pcap_of(DataLink::IEEE802_11, &[bad])).is_err());
}
