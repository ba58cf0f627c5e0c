//! Channel utilisation per radio, measured each stats interval.
//!
//! From the driver's survey where it measures: the kernel's channel time
//! counters are cumulative, so the utilisation over a stats interval is
//! the busy time between two consecutive surveys over the channel time
//! between them, for the entry of the channel the radio is on. That busy
//! time counts everything the radio sensed: other networks, its own
//! clients and itself, and energy that is not 802.11 at all.
//!
//! Otherwise from the monitor: the airtime of the frames of other
//! networks it heard (frames whose BSSID is not one of the radio's LVAPs,
//! `nl80211/airtime.rs`), also cumulative, over the time between the two
//! readings as the agent's clock has them. mac80211_hwsim's survey is
//! of this kind: an AP radio's is empty, and a scanning radio's holds the
//! time a scan stayed on each channel left, with a busy time it makes up
//! (an eighth of it) that never moves, so two surveys never give a share. The monitor's figure leaves out the
//! radio's own LVAPs' traffic (it would follow the radio to any channel),
//! acknowledgements and contention: it is what a move would leave behind,
//! a lower bound of what a survey would report.
//!
//! The survey wins when it gives a share (not the larger of the two: a
//! real survey's busy time already covers every frame the monitor could
//! measure).

use std::collections::HashMap;
use std::time::Duration;

use odin_proto::msg::RadioIndex;

use crate::radio::{MonitorAirtime, SurveyEntry};
use crate::time::Instant;

/// The last samples of each radio and the utilisation they gave.
#[derive(Debug, Default)]
pub(crate) struct Utilization {
    radios: HashMap<RadioIndex, Sample>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Sample {
    /// Frequency, channel time and busy time of the last survey's in-use
    /// entry.
    last: Option<(u32, Duration, Duration)>,
    /// Busy share between the last two surveys, 0-1.
    survey: Option<f32>,
    /// The monitor's last reading and when it came.
    heard: Option<(MonitorAirtime, Instant)>,
    /// Other networks' airtime share between the last two readings, 0-1.
    airtime: Option<f32>,
}

impl Utilization {
    /// A survey of `radio` arrived at `now`, with its monitor's counters.
    ///
    /// Without an in-use entry with channel and busy times, or when the
    /// radio changed channel or its counters went back (a driver resets
    /// them at a channel change), there is no survey share until the next
    /// survey; the same for the monitor's share (a new monitor starts from
    /// zero).
    pub(crate) fn record(
        &mut self,
        radio: RadioIndex,
        entries: &[SurveyEntry],
        airtime: Option<&MonitorAirtime>,
        now: Instant,
    ) {
        let sample = self.radios.entry(radio).or_default();
        let current = entries
            .iter()
            .find(|e| e.in_use)
            .and_then(|e| Some((e.freq, e.time?, e.busy?)));
        sample.survey = match (sample.last, current) {
            (Some((f0, t0, b0)), Some((f1, t1, b1))) if f0 == f1 && t1 > t0 && b1 >= b0 => {
                Some(share(b1 - b0, t1 - t0))
            }
            _ => None,
        };
        sample.last = current;
        sample.airtime = match (sample.heard, airtime) {
            (Some((a0, t0)), Some(a1))
                if a0.freq == a1.freq && a1.foreign >= a0.foreign && now > t0 =>
            {
                Some(share(a1.foreign - a0.foreign, now.saturating_since(t0)))
            }
            _ => None,
        };
        sample.heard = airtime.map(|a| (*a, now));
    }

    /// The utilisation of `radio` over its last two surveys: the survey's
    /// share, else the monitor's.
    pub(crate) fn get(&self, radio: RadioIndex) -> Option<f32> {
        self.radios.get(&radio).and_then(|s| s.survey.or(s.airtime))
    }

    /// Packets the radios' monitors could not measure: (malformed, without
    /// a rate), as their last readings have them.
    pub(crate) fn unmeasured(&self) -> (u64, u64) {
        self.radios
            .values()
            .filter_map(|s| s.heard.map(|(a, _)| (a.malformed, a.no_rate)))
            .fold((0, 0), |(m, r), (m1, r1)| (m + m1, r + r1))
    }
}

/// `part` over `whole`, 0-1.
fn share(part: Duration, whole: Duration) -> f32 {
    (part.as_secs_f64() / whole.as_secs_f64()).clamp(0.0, 1.0) as f32
}
