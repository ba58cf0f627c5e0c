//! The layer-2 update frame an access point sends onto its wired network
//! when a station arrives (IEEE 802.11F, kept by 802.11r-era APs and by
//! hostapd): a broadcast IEEE 802.3 frame from the station's address
//! carrying an empty LLC XID response. Switches and bridges on the way
//! learn the station's address behind this access point's port, so frames
//! for it follow at once, before the station itself sends anything.

use crate::MacAddr;

/// The frame's length: the 802.3 header (14 bytes) and 6 bytes of LLC.
pub const L2_UPDATE_LEN: usize = 20;

/// The layer-2 update frame for `station`.
///
/// Destination broadcast, source the station, 802.3 length 6; LLC: DSAP
/// null (0x00), SSAP null as a response (0x01), control XID with the F bit
/// (0xaf), XID information: format 0x81, class 1 (type 1 LLC), receive
/// window 0.
pub fn l2_update(station: MacAddr) -> [u8; L2_UPDATE_LEN] {
    let mut f = [0u8; L2_UPDATE_LEN];
    let (dst, rest) = f.split_at_mut(6);
    dst.copy_from_slice(&MacAddr::BROADCAST.0);
    let (src, rest) = rest.split_at_mut(6);
    src.copy_from_slice(&station.0);
    rest.copy_from_slice(&[0x00, 0x06, 0x00, 0x01, 0xaf, 0x81, 0x01, 0x00]);
    f
}

/// The station a layer-2 update frame announces; `None` for any other
/// frame.
pub fn parse_l2_update(frame: &[u8]) -> Option<MacAddr> {
    let (header, llc) = (frame.get(..14)?, frame.get(14..20)?);
    if header.get(..6)? != MacAddr::BROADCAST.0 || header.get(12..14)? != [0x00, 0x06] {
        return None;
    }
    if llc != [0x00, 0x01, 0xaf, 0x81, 0x01, 0x00] {
        return None;
    }
    MacAddr::from_bytes(header.get(6..12)?).filter(|m| m.is_unicast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_hostapd_sends() {
        // hostapd's struct l2_update for 02:00:00:00:02:00, byte for byte.
        let sta = MacAddr([0x02, 0, 0, 0, 0x02, 0]);
        assert_eq!(
            l2_update(sta),
            [
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0x02, 0, 0x00, 0x06, 0x00, 0x01,
                0xaf, 0x81, 0x01, 0x00
            ]
        );
        assert_eq!(parse_l2_update(&l2_update(sta)), Some(sta));
    }

    #[test]
    fn other_frames_are_not_updates() {
        let sta = MacAddr([0x02, 0, 0, 0, 0x02, 0]);
        let good = l2_update(sta);
        assert_eq!(parse_l2_update(&good[..19]), None);
        for at in [0, 12, 13, 14, 15, 16, 17] {
            let mut bad = good;
            bad[at] ^= 0x10;
            assert_eq!(parse_l2_update(&bad), None, "byte {at}");
        }
        let mut group = good;
        group[6] |= 1;
        assert_eq!(parse_l2_update(&group), None);
    }
}
