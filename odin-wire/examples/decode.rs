//! Prints every frame of radiotap pcap files the way the agent sees them:
//! radiotap fields, then the management frame, or why it was dropped.
//! Run: `cargo run -p odin-wire --example decode -- odin-wire/tests/data/*.pcap`

use odin_wire::ieee80211::{Frame, FrameType, MgmtRepr};
use odin_wire::radiotap::{Radiotap, RadiotapRepr};
use pcap_file::pcap::PcapReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Err("usage: decode FILE.pcap...".into());
    }
    for path in paths {
        println!("== {path}");
        let mut reader = PcapReader::new(std::fs::File::open(&path)?)?;
        let mut n = 0;
        while let Some(packet) = reader.next_packet() {
            let packet = packet?;
            n += 1;
            let line = match Radiotap::new_checked(&packet.data[..])
                .and_then(|v| Ok((RadiotapRepr::parse(&v)?, v)))
            {
                Err(e) => format!("radiotap dropped: {e}"),
                Ok((rt, view)) => {
                    let radio = format!(
                        "{:>4} MHz {:>4} dBm",
                        rt.channel.map_or(0, |c| c.freq),
                        rt.antenna_signal
                            .map_or_else(|| "?".to_string(), |s| s.to_string())
                    );
                    let frame = view.frame_without_fcs().unwrap_or(&[]);
                    let what = match Frame::new_checked(frame) {
                        Err(e) => format!("dropped: {e}"),
                        Ok(f) if f.frame_control().frame_type() != FrameType::Management => {
                            format!(
                                "{:?} frame, {} bytes",
                                f.frame_control().frame_type(),
                                frame.len()
                            )
                        }
                        Ok(f) => match MgmtRepr::parse(&f) {
                            Ok(repr) => repr.to_string(),
                            Err(e) => {
                                format!("{:?} dropped: {e}", f.frame_control().mgmt_subtype())
                            }
                        },
                    };
                    format!("{radio}  {what}")
                }
            };
            println!("{n:4}  {line}");
        }
    }
    Ok(())
}
