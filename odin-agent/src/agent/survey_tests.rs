//! Channel utilisation: the agent surveys every radio at each stats
//! interval and reports busy / channel time between consecutive surveys.

use std::time::Duration;

use super::tests::radio;
use super::*;
use crate::radio::{MonitorAirtime, SurveyEntry};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn core() -> AgentCore {
    let bss = vec![BssConfig::new(b"", 6), BssConfig::new(b"", 6)];
    AgentCore::new(
        AgentConfig::new("ap-1"),
        vec![radio(0, 8), radio(1, 8)],
        bss,
    )
}

fn step(core: &mut AgentCore, input: AgentInput, now: Instant) -> Vec<AgentOutput> {
    let mut out = Vec::new();
    core.handle(input, now, &mut out);
    out
}

/// An in-use entry on 2437 MHz with cumulative times in ms, and another
/// channel the radio once scanned.
fn survey(time_ms: u64, busy_ms: u64) -> AgentInput {
    let ms = |n| Some(Duration::from_millis(n));
    AgentInput::Radio(
        0,
        RadioEvent::Survey {
            entries: vec![
                SurveyEntry {
                    freq: 2412,
                    noise_dbm: Some(-92),
                    time: ms(120),
                    busy: ms(100),
                    ..SurveyEntry::default()
                },
                SurveyEntry {
                    freq: 2437,
                    noise_dbm: Some(-95),
                    in_use: true,
                    time: ms(time_ms),
                    busy: ms(busy_ms),
                    rx: ms(busy_ms / 2),
                    ..SurveyEntry::default()
                },
            ],
            airtime: None,
        },
    )
}

/// The utilisation of each radio in the stats of a tick at `now`, and
/// the radios surveyed after it.
fn tick(core: &mut AgentCore, now: Instant) -> (Vec<Option<f32>>, Vec<RadioIndex>) {
    let out = step(core, AgentInput::Tick, now);
    let utilization = out
        .iter()
        .find_map(|o| match o {
            AgentOutput::Controller(AgentMsg::Stats { radios, .. }) => {
                Some(radios.iter().map(|r| r.utilization).collect())
            }
            _ => None,
        })
        .expect("stats");
    let surveyed = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(r, RadioCmd::Survey) => Some(*r),
            _ => None,
        })
        .collect();
    (utilization, surveyed)
}

#[test]
fn utilization_is_busy_over_time_between_two_surveys() {
    let mut core = core();
    // Nothing is surveyed while the controller is away.
    assert!(step(&mut core, AgentInput::Tick, ms(0)).is_empty());
    step(&mut core, AgentInput::ControllerUp, ms(0));
    // Each stats interval: the stats, then a survey of every radio.
    assert_eq!(tick(&mut core, ms(1000)), (vec![None, None], vec![0, 1]));

    // One survey is a baseline only: the counters are cumulative.
    step(&mut core, survey(10_000, 4_000), ms(1001));
    assert_eq!(tick(&mut core, ms(2000)).0, [None, None]);
    // 1000 ms more on the channel, 250 ms of it busy: 25 %.
    step(&mut core, survey(11_000, 4_250), ms(2001));
    assert_eq!(tick(&mut core, ms(3000)).0, [Some(0.25), None]);
    // The next interval is measured on its own.
    step(&mut core, survey(12_000, 5_000), ms(3001));
    assert_eq!(tick(&mut core, ms(4000)).0, [Some(0.75), None]);
}

#[test]
fn no_utilization_across_a_reset_a_channel_change_or_without_times() {
    let mut core = core();
    step(&mut core, AgentInput::ControllerUp, ms(0));
    step(&mut core, survey(10_000, 4_000), ms(1));
    step(&mut core, survey(11_000, 4_500), ms(2));
    assert_eq!(tick(&mut core, ms(1000)).0, [Some(0.5), None]);
    // The counters went back (a driver resets them on a channel change).
    step(&mut core, survey(500, 100), ms(1001));
    assert_eq!(tick(&mut core, ms(2000)).0, [None, None]);
    step(&mut core, survey(1_500, 200), ms(2001));
    assert_eq!(tick(&mut core, ms(3000)).0, [Some(0.1), None]);
    // The in-use entry moved to another channel.
    let moved = AgentInput::Radio(
        0,
        RadioEvent::Survey {
            entries: vec![SurveyEntry {
                freq: 2462,
                in_use: true,
                time: Some(Duration::from_millis(2_500)),
                busy: Some(Duration::from_millis(300)),
                ..SurveyEntry::default()
            }],
            airtime: None,
        },
    );
    step(&mut core, moved, ms(3001));
    assert_eq!(tick(&mut core, ms(4000)).0, [None, None]);
    // No in-use entry at all (mac80211_hwsim before any scan), or one
    // without a busy time: nothing to report.
    let empty = AgentInput::Radio(
        0,
        RadioEvent::Survey {
            entries: vec![],
            airtime: None,
        },
    );
    step(&mut core, empty, ms(4001));
    assert_eq!(tick(&mut core, ms(5000)).0, [None, None]);
    let no_busy = |t| {
        AgentInput::Radio(
            1,
            RadioEvent::Survey {
                entries: vec![SurveyEntry {
                    freq: 2437,
                    in_use: true,
                    time: Some(Duration::from_millis(t)),
                    ..SurveyEntry::default()
                }],
                airtime: None,
            },
        )
    };
    step(&mut core, no_busy(1_000), ms(5001));
    step(&mut core, no_busy(2_000), ms(5002));
    assert_eq!(tick(&mut core, ms(6000)).0, [None, None]);
    // A survey of a radio the agent does not have changes nothing.
    let stranger = AgentInput::Radio(
        9,
        RadioEvent::Survey {
            entries: vec![],
            airtime: None,
        },
    );
    assert!(step(&mut core, stranger, ms(6001)).is_empty());
}

/// A survey as mac80211_hwsim gives it (the scanned channel's frozen
/// counters, nothing in use) with the monitor's counters: other
/// networks' airtime so far (ms), on `freq`.
fn heard(radio: RadioIndex, freq: u32, foreign_ms: u64, malformed: u64) -> AgentInput {
    AgentInput::Radio(
        radio,
        RadioEvent::Survey {
            entries: vec![SurveyEntry {
                freq: 2412,
                noise_dbm: Some(-92),
                time: Some(Duration::from_millis(120)),
                busy: Some(Duration::from_millis(15)),
                ..SurveyEntry::default()
            }],
            airtime: Some(MonitorAirtime {
                freq,
                foreign: Duration::from_millis(foreign_ms),
                malformed,
                no_rate: 1,
            }),
        },
    )
}

#[test]
fn without_a_survey_share_the_monitors_airtime_counts() {
    let mut core = core();
    step(&mut core, AgentInput::ControllerUp, ms(0));
    // One reading is a baseline; the next, 1,000 ms later by the agent's
    // clock, 300 ms of other networks' frames more: 30 %.
    step(&mut core, heard(0, 2412, 5_000, 0), ms(1_000));
    assert_eq!(tick(&mut core, ms(1_500)).0, [None, None]);
    step(&mut core, heard(0, 2412, 5_300, 0), ms(2_000));
    assert_eq!(tick(&mut core, ms(2_500)).0, [Some(0.3), None]);
    // 500 ms later, nothing heard: 0, a measurement.
    step(&mut core, heard(0, 2412, 5_300, 2), ms(2_500));
    assert_eq!(tick(&mut core, ms(3_500)).0, [Some(0.0), None]);
    // The radio moved: a new baseline; the counters went back (a new
    // monitor): another.
    step(&mut core, heard(0, 2437, 5_400, 2), ms(3_500));
    assert_eq!(tick(&mut core, ms(4_500)).0, [None, None]);
    step(&mut core, heard(0, 2437, 100, 2), ms(4_500));
    assert_eq!(tick(&mut core, ms(5_500)).0, [None, None]);
    // More than the time between the readings (the agent's clock and the
    // capture's disagree): at most 1.
    step(&mut core, heard(0, 2437, 1_300, 2), ms(5_500));
    assert_eq!(tick(&mut core, ms(6_500)).0, [Some(1.0), None]);

    // A survey that measures wins over the monitor.
    let both = |time_ms: u64, busy_ms: u64, foreign_ms: u64| {
        AgentInput::Radio(
            1,
            RadioEvent::Survey {
                entries: vec![SurveyEntry {
                    freq: 2437,
                    in_use: true,
                    time: Some(Duration::from_millis(time_ms)),
                    busy: Some(Duration::from_millis(busy_ms)),
                    ..SurveyEntry::default()
                }],
                airtime: Some(MonitorAirtime {
                    freq: 2437,
                    foreign: Duration::from_millis(foreign_ms),
                    ..MonitorAirtime::default()
                }),
            },
        )
    };
    step(&mut core, both(10_000, 1_000, 0), ms(6_500));
    step(&mut core, both(11_000, 1_600, 100), ms(7_500));
    assert_eq!(tick(&mut core, ms(8_500)).0[1], Some(0.6));

    // What the monitors could not measure is among the drops.
    let drops = core.drops();
    let count = |cause: &str| {
        drops
            .iter()
            .find(|d| d.cause == cause)
            .map_or(0, |d| d.frames)
    };
    assert_eq!(
        (count("airtime_malformed"), count("airtime_no_rate")),
        (2, 1)
    );
}
