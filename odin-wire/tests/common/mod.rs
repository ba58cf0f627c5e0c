//! Loading the radiotap captures shared by the capture tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pcap_file::pcap::PcapReader;
use pcap_file::DataLink;

/// The committed captures in `tests/data/`, or fresh ones when
/// `ODIN_CAPTURE_DIR` names a directory (the test command captures anew in
/// the hwsim VM on every run and checks those too).
pub fn captures() -> Vec<PathBuf> {
    let dir = match std::env::var_os("ODIN_CAPTURE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "captures missing in {}", dir.display());
    files
}

/// A capture's file name.
pub fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every packet of a capture (radiotap header + 802.11 frame).
pub fn packets(path: &Path) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(path).expect("capture opens");
    let mut reader = PcapReader::new(file).expect("a pcap file");
    assert_eq!(
        reader.header().datalink,
        DataLink::IEEE802_11_RADIOTAP,
        "{}",
        name(path)
    );
    let mut out = Vec::new();
    while let Some(packet) = reader.next_packet() {
        out.push(packet.expect("a whole packet").data.into_owned());
    }
    assert!(!out.is_empty(), "{}: no packet", name(path));
    out
}
