//! The record of a run: one line per event, so that a run in the VM can
//! be replayed through [`crate::medium::Medium`] in a test and every
//! answer compared byte for byte.
//!
//! ```text
//! # odin-medium record family=30 first_seq=3
//! 1234 in 3c000000...     a datagram from the kernel (hex), at 1234 µs
//! 1240 out 48000000...    a datagram the medium sent
//! 5000 ctl pos sta 20 0   a control command
//! ```

use std::time::Duration;

/// One line of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A datagram from the kernel.
    In(Duration, Vec<u8>),
    /// A datagram the medium sent.
    Out(Duration, Vec<u8>),
    /// A control command.
    Ctl(Duration, String),
}

/// The header line.
pub fn header(family: u16, first_seq: u32) -> String {
    format!("# odin-medium record family={family} first_seq={first_seq}")
}

/// Parses the header: (family, first sequence number).
pub fn parse_header(line: &str) -> Option<(u16, u32)> {
    let rest = line.strip_prefix("# odin-medium record ")?;
    let mut family = None;
    let mut seq = None;
    for w in rest.split_whitespace() {
        if let Some(v) = w.strip_prefix("family=") {
            family = v.parse().ok();
        } else if let Some(v) = w.strip_prefix("first_seq=") {
            seq = v.parse().ok();
        }
    }
    Some((family?, seq?))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Formats one line (without the newline).
pub fn format(line: &Line) -> String {
    match line {
        Line::In(t, b) => format!("{} in {}", t.as_micros(), hex(b)),
        Line::Out(t, b) => format!("{} out {}", t.as_micros(), hex(b)),
        Line::Ctl(t, c) => format!("{} ctl {}", t.as_micros(), c),
    }
}

/// Parses one line; None for comments, blank lines and anything malformed.
pub fn parse(line: &str) -> Option<Line> {
    let mut it = line.splitn(3, ' ');
    let t = Duration::from_micros(it.next()?.parse().ok()?);
    let kind = it.next()?;
    let rest = it.next()?;
    match kind {
        "in" => Some(Line::In(t, unhex(rest)?)),
        "out" => Some(Line::Out(t, unhex(rest)?)),
        "ctl" => Some(Line::Ctl(t, rest.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        for l in [
            Line::In(Duration::from_micros(5), vec![1, 2, 0xff]),
            Line::Out(Duration::from_micros(7), vec![]),
            Line::Ctl(Duration::from_micros(9), "pos sta 20 0".into()),
        ] {
            assert_eq!(parse(&format(&l)), Some(l));
        }
        assert_eq!(parse_header(&header(30, 3)), Some((30, 3)));
        assert_eq!(parse("12 in 0"), None);
        assert_eq!(parse("# comment"), None);
    }
}
