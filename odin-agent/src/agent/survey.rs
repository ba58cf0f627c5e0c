//! Channel utilisation per radio from its surveys: the kernel's channel
//! time counters are cumulative, so the utilisation over a stats interval
//! is the busy time between two consecutive surveys over the channel time
//! between them, for the entry of the channel the radio is on.

use std::collections::HashMap;
use std::time::Duration;

use odin_proto::msg::RadioIndex;

use crate::radio::SurveyEntry;

/// The last in-use sample of each radio and the utilisation it gave.
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
    value: Option<f32>,
}

impl Utilization {
    /// A survey of `radio` arrived.
    ///
    /// Without an in-use entry with channel and busy times, or when the
    /// radio changed channel or its counters went back (a driver resets
    /// them at a channel change), there is no utilisation until the next
    /// survey.
    pub(crate) fn record(&mut self, radio: RadioIndex, entries: &[SurveyEntry]) {
        let sample = self.radios.entry(radio).or_default();
        let now = entries
            .iter()
            .find(|e| e.in_use)
            .and_then(|e| Some((e.freq, e.time?, e.busy?)));
        sample.value = match (sample.last, now) {
            (Some((f0, t0, b0)), Some((f1, t1, b1))) if f0 == f1 && t1 > t0 && b1 >= b0 => {
                let share = (b1 - b0).as_secs_f64() / (t1 - t0).as_secs_f64();
                Some(share.clamp(0.0, 1.0) as f32)
            }
            _ => None,
        };
        sample.last = now;
    }

    /// The utilisation of `radio` over its last two surveys.
    pub(crate) fn get(&self, radio: RadioIndex) -> Option<f32> {
        self.radios.get(&radio).and_then(|s| s.value)
    }
}
