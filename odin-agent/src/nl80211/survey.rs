//! The answer to GET_SURVEY: one NEW_SURVEY_RESULTS message per channel
//! the driver measured, its NL80211_ATTR_SURVEY_INFO nest holding the
//! frequency, the noise floor, the in-use flag and the cumulative channel
//! times (u64 milliseconds, 64-bit aligned with pad attributes).

use std::time::Duration;

use super::consts::*;
use super::msg::Attrs;
use crate::radio::SurveyEntry;

/// One NEW_SURVEY_RESULTS message's attributes (after the generic netlink
/// header); `None` without a survey nest or a frequency.
pub fn parse_survey(attrs: &[u8]) -> Option<SurveyEntry> {
    let info = Attrs(attrs).nested(ATTR_SURVEY_INFO)?;
    let time = |ty| {
        info.u64(ty)
            .or_else(|| info.u32(ty).map(u64::from))
            .map(Duration::from_millis)
    };
    Some(SurveyEntry {
        freq: info.u32(SURVEY_INFO_FREQUENCY)?,
        noise_dbm: info.u8(SURVEY_INFO_NOISE).map(|n| n as i8),
        in_use: info.has(SURVEY_INFO_IN_USE),
        time: time(SURVEY_INFO_TIME),
        busy: time(SURVEY_INFO_TIME_BUSY),
        ext_busy: time(SURVEY_INFO_TIME_EXT_BUSY),
        rx: time(SURVEY_INFO_TIME_RX),
        tx: time(SURVEY_INFO_TIME_TX),
    })
}

/// The entries of a GET_SURVEY dump (the reply payloads, generic netlink
/// header first); other messages and malformed entries are skipped.
pub fn parse_survey_dump(replies: &[Vec<u8>]) -> Vec<SurveyEntry> {
    replies
        .iter()
        .filter(|r| r.first() == Some(&CMD_NEW_SURVEY_RESULTS))
        .filter_map(|r| parse_survey(r.get(4..)?))
        .collect()
}

/// Marks the entry of `freq` (the channel the radio is on) in use when the
/// driver flagged none: mac80211_hwsim never sets the flag (it fills its
/// survey only while scanning), real drivers such as ath9k do. True when
/// an entry was marked.
pub fn mark_in_use(entries: &mut [SurveyEntry], freq: u32) -> bool {
    if entries.iter().any(|e| e.in_use) {
        return false;
    }
    match entries.iter_mut().find(|e| e.freq == freq) {
        Some(e) => {
            e.in_use = true;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl80211::msg::NlMsg;

    /// A NEW_SURVEY_RESULTS message laid out as nl80211_send_survey()
    /// writes it: ifindex, then the nest with frequency, noise, in-use and
    /// the u64 times, each preceded by a pad attribute (type 10) where
    /// needed for 64-bit alignment.
    fn survey_msg() -> Vec<u8> {
        let mut m = NlMsg::genl(32, CMD_NEW_SURVEY_RESULTS, "x");
        m.u32(ATTR_IFINDEX, 7);
        m.nest(ATTR_SURVEY_INFO, |n| {
            n.u32(SURVEY_INFO_FREQUENCY, 2437)
                .u8(SURVEY_INFO_NOISE, (-95i8) as u8)
                .flag(SURVEY_INFO_IN_USE)
                .put(10, &[])
                .put(SURVEY_INFO_TIME, &1_000_000u64.to_ne_bytes())
                .put(10, &[])
                .put(SURVEY_INFO_TIME_BUSY, &250_000u64.to_ne_bytes())
                .put(10, &[])
                .put(SURVEY_INFO_TIME_RX, &100_000u64.to_ne_bytes())
                .put(10, &[])
                .put(SURVEY_INFO_TIME_TX, &50_000u64.to_ne_bytes());
        });
        m.finish(0x2, 9)[16..].to_vec()
    }

    #[test]
    fn every_field_of_an_entry() {
        let payload = survey_msg();
        // The payload as the byte vector: generic header, IFINDEX, the
        // nest (type 84 with the nested bit), frequency 2437 = 0x985.
        assert_eq!(&payload[..4], &[CMD_NEW_SURVEY_RESULTS, 1, 0, 0]);
        assert_eq!(&payload[4..12], &[8, 0, 3, 0, 7, 0, 0, 0]);
        assert_eq!(&payload[14..16], &(84u16 | 0x8000).to_ne_bytes());
        assert_eq!(&payload[16..24], &[8, 0, 1, 0, 0x85, 0x09, 0, 0]);
        let e = parse_survey(&payload[4..]).unwrap();
        assert_eq!(
            e,
            SurveyEntry {
                freq: 2437,
                noise_dbm: Some(-95),
                in_use: true,
                time: Some(Duration::from_secs(1000)),
                busy: Some(Duration::from_secs(250)),
                ext_busy: None,
                rx: Some(Duration::from_secs(100)),
                tx: Some(Duration::from_secs(50)),
            }
        );
        assert_eq!(parse_survey_dump(&[payload]), [e]);
    }

    #[test]
    fn hwsim_entry_without_flag_and_malformed_ones() {
        // What mac80211_hwsim reports for a channel it scanned: noise -92,
        // time and busy (an eighth), no in-use flag.
        let mut m = NlMsg::genl(32, CMD_NEW_SURVEY_RESULTS, "x");
        m.u32(ATTR_IFINDEX, 7);
        m.nest(ATTR_SURVEY_INFO, |n| {
            n.u32(SURVEY_INFO_FREQUENCY, 2412)
                .u8(SURVEY_INFO_NOISE, (-92i8) as u8)
                .put(SURVEY_INFO_TIME, &120u64.to_ne_bytes())
                .put(SURVEY_INFO_TIME_BUSY, &15u64.to_ne_bytes());
        });
        let hwsim = m.finish(0x2, 9)[16..].to_vec();
        let mut entries = parse_survey_dump(std::slice::from_ref(&hwsim));
        assert_eq!(entries.len(), 1);
        assert!(!entries[0].in_use);
        assert_eq!(entries[0].busy, Some(Duration::from_millis(15)));
        assert!(!mark_in_use(&mut entries, 2437));
        assert!(mark_in_use(&mut entries, 2412));
        assert!(entries[0].in_use);
        assert!(!mark_in_use(&mut entries, 2412), "one is flagged already");

        // No nest, no frequency, a truncated nest, another command.
        let mut none = NlMsg::genl(32, CMD_NEW_SURVEY_RESULTS, "x");
        none.u32(ATTR_IFINDEX, 7);
        let none = none.finish(0x2, 9)[16..].to_vec();
        let mut nofreq = NlMsg::genl(32, CMD_NEW_SURVEY_RESULTS, "x");
        nofreq.nest(ATTR_SURVEY_INFO, |n| {
            n.u8(SURVEY_INFO_NOISE, 0xa4);
        });
        let nofreq = nofreq.finish(0x2, 9)[16..].to_vec();
        let truncated = hwsim[..hwsim.len() - 6].to_vec();
        let mut other = hwsim.clone();
        other[0] = CMD_GET_SURVEY;
        assert!(parse_survey_dump(&[none, nofreq, truncated, other, vec![], vec![51]]).is_empty());
    }
}
