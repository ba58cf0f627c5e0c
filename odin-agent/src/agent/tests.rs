//! The agent core driven with exact inputs and times.

use odin_proto::msg::{Band, DropCount, Relation, Statistic, Subscription, SwitchTime};
use odin_wire::ieee80211::{
    AuthAlgorithm, AuthRepr, MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr, StatusCode,
};

use super::*;

const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 1, 0]);
const OTHER: MacAddr = MacAddr([0x02, 0, 0, 0, 2, 0]);
const BSSID: MacAddr = MacAddr([0x06, 0x0d, 0x1e, 0, 0, 1]);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// Radio `index` of the test agent (also used by the other test modules).
pub(super) fn radio(index: u32, max_lvaps: u32) -> RadioInfo {
    RadioInfo {
        index,
        name: format!("phy{index}"),
        addr: MacAddr([0x02, 0, 0, 0, 0x10, index as u8]),
        band: Band::Ghz2,
        channel: 6,
        channels: vec![1, 6, 11],
        ht: false,
        vht: false,
        max_lvaps,
    }
}

fn core(max_lvaps: u32) -> AgentCore {
    let radios = vec![radio(0, max_lvaps), radio(1, max_lvaps)];
    let bss = vec![BssConfig::new(b"", 6), BssConfig::new(b"", 6)];
    AgentCore::new(AgentConfig::new("ap-1"), radios, bss)
}

fn spec(client: MacAddr, bssid: MacAddr, radio: u32) -> LvapSpec {
    LvapSpec {
        client,
        bssid,
        radio,
        ssid: b"odin".to_vec(),
    }
}

fn step(core: &mut AgentCore, input: AgentInput, now: Instant) -> Vec<AgentOutput> {
    let mut out = Vec::new();
    core.handle(input, now, &mut out);
    out
}

fn up(core: &mut AgentCore) {
    let out = step(core, AgentInput::ControllerUp, ms(0));
    assert!(matches!(
        &out[..],
        [AgentOutput::Controller(AgentMsg::Hello {
            version: PROTOCOL_VERSION,
            ..
        })]
    ));
}

fn frame(sa: MacAddr, da: MacAddr, bssid: MacAddr, body: MgmtBody<'_>) -> Vec<u8> {
    MgmtRepr {
        header: MgmtHeader::new(da, sa, bssid),
        body,
    }
    .to_vec()
    .unwrap()
}

fn probe(sa: MacAddr) -> Vec<u8> {
    frame(
        sa,
        MacAddr::BROADCAST,
        MacAddr::BROADCAST,
        MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &[0, 0, 1, 1, 0x82],
        }),
    )
}

fn heard(radio: u32, frame: Vec<u8>, signal: i8) -> AgentInput {
    AgentInput::Radio(
        radio,
        RadioEvent::Frame {
            bssid: None,
            frame,
            signal_dbm: Some(signal),
        },
    )
}

fn results(out: &[AgentOutput]) -> Vec<(RequestId, Outcome)> {
    out.iter()
        .filter_map(|o| match o {
            AgentOutput::Controller(AgentMsg::Result { id, outcome }) => {
                Some((*id, outcome.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The radio's answers to every barrier in `out` (all carried out, or
/// failed with `failure`), appended to `out`.
fn confirm(
    core: &mut AgentCore,
    mut out: Vec<AgentOutput>,
    now: Instant,
    failure: Option<&str>,
) -> Vec<AgentOutput> {
    let barriers: Vec<(RadioIndex, u64)> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(r, RadioCmd::Barrier { token, .. }) => Some((*r, *token)),
            _ => None,
        })
        .collect();
    for (radio, token) in barriers {
        let failure = failure.map(str::to_owned);
        let done = RadioEvent::Done { token, failure };
        out.extend(step(core, AgentInput::Radio(radio, done), now));
    }
    out
}

#[test]
fn reports_a_new_client_at_once_then_rate_limited() {
    let mut core = core(8);
    up(&mut core);
    let out = step(&mut core, heard(1, probe(CLIENT), -48), ms(5));
    assert_eq!(
        out,
        vec![AgentOutput::Controller(AgentMsg::ClientHeard {
            radio: 1,
            client: CLIENT,
            signal_dbm: -48,
            ssid: vec![]
        })]
    );
    assert!(step(&mut core, heard(1, probe(CLIENT), -47), ms(900)).is_empty());
    assert_eq!(
        step(&mut core, heard(0, probe(CLIENT), -60), ms(901)).len(),
        1,
        "per radio"
    );
    assert_eq!(
        step(&mut core, heard(1, probe(CLIENT), -47), ms(1005)).len(),
        1
    );
    // Garbage is counted, not reported.
    assert!(step(&mut core, heard(1, vec![0x40, 0], -40), ms(1010)).is_empty());
    assert_eq!(core.counters().bad_frames, 1);
}

#[test]
fn hosts_an_lvap_and_serves_its_client_only() {
    let mut core = core(8);
    up(&mut core);
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::AddLvap {
            id: 7,
            lvap: spec(CLIENT, BSSID, 1),
            station: None,
        }),
        ms(10),
    );
    assert!(
        matches!(&out[0], AgentOutput::Radio(1, RadioCmd::StartAp { bssid: BSSID, ssid, .. }) if ssid == b"odin")
    );
    // Acknowledged once the radio carried it out.
    assert!(results(&out).is_empty());
    assert!(matches!(
        out.last(),
        Some(AgentOutput::Radio(
            1,
            RadioCmd::Barrier {
                bssid: Some(BSSID),
                ..
            }
        ))
    ));
    let out = confirm(&mut core, out, ms(11), None);
    assert_eq!(results(&out), vec![(7, Outcome::Done)]);

    // Its client's probe is answered on radio 1, not reported; another
    // client's is reported, not answered.
    let out = step(&mut core, heard(1, probe(CLIENT), -40), ms(20));
    assert!(matches!(
        &out[..],
        [AgentOutput::Radio(
            1,
            RadioCmd::SendFrame {
                bssid: BSSID,
                cookie: None,
                ..
            }
        )]
    ));
    let out = step(&mut core, heard(1, probe(OTHER), -40), ms(21));
    assert!(matches!(
        &out[..],
        [AgentOutput::Controller(AgentMsg::ClientHeard {
            client: OTHER,
            ..
        })]
    ));
    // Heard on radio 0, the client's probe only updates statistics.
    assert!(step(&mut core, heard(0, probe(CLIENT), -70), ms(22)).is_empty());

    // Authentication through the LVAP's interface.
    let auth = frame(
        CLIENT,
        BSSID,
        BSSID,
        MgmtBody::Auth(AuthRepr {
            algorithm: AuthAlgorithm::OpenSystem,
            transaction: 1,
            status: StatusCode::Success,
            rest: &[],
        }),
    );
    let out = step(
        &mut core,
        AgentInput::Radio(
            1,
            RadioEvent::Frame {
                bssid: Some(BSSID),
                frame: auth.clone(),
                signal_dbm: Some(-40),
            },
        ),
        ms(30),
    );
    assert!(matches!(
        &out[0],
        AgentOutput::Radio(1, RadioCmd::AddStation { bssid: BSSID, .. })
    ));
    assert!(out.iter().any(|o| matches!(
        o,
        AgentOutput::Controller(AgentMsg::Client {
            event: ClientEvent::Authenticated,
            ..
        })
    )));
    // The same frame delivered on another LVAP's interface is not its.
    let other_bssid = MacAddr([0x06, 0x0d, 0x1e, 0, 0, 2]);
    let out = step(
        &mut core,
        AgentInput::Radio(
            1,
            RadioEvent::Frame {
                bssid: Some(other_bssid),
                frame: auth,
                signal_dbm: Some(-40),
            },
        ),
        ms(31),
    );
    assert!(out.is_empty());
}

#[test]
fn dropped_frames_are_counted_by_cause_and_outlive_their_lvap() {
    let mut core = core(8);
    up(&mut core);
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::AddLvap {
            id: 7,
            lvap: spec(CLIENT, BSSID, 1),
            station: None,
        }),
        ms(10),
    );
    confirm(&mut core, out, ms(11), None);
    // Another station's authentication on this LVAP's interface, twice
    // (it has no LVAP here), and a frame that is not a MAC header.
    let auth = frame(
        OTHER,
        BSSID,
        BSSID,
        MgmtBody::Auth(AuthRepr {
            algorithm: AuthAlgorithm::OpenSystem,
            transaction: 1,
            status: StatusCode::Success,
            rest: &[],
        }),
    );
    for at in [20, 21] {
        let from_other = RadioEvent::Frame {
            bssid: Some(BSSID),
            frame: auth.clone(),
            signal_dbm: Some(-40),
        };
        step(&mut core, AgentInput::Radio(1, from_other), ms(at));
    }
    step(&mut core, heard(1, vec![0x40, 0], -40), ms(22));
    let expected = vec![
        DropCount {
            cause: "bad_frame".into(),
            frames: 1,
        },
        DropCount {
            cause: "no_lvap".into(),
            frames: 2,
        },
    ];
    assert_eq!(core.drops(), expected);
    // The LVAP goes; what it dropped stays counted.
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::RemoveLvap {
            id: 8,
            bssid: BSSID,
            deauthenticate: false,
            at: None,
            announce: None,
        }),
        ms(30),
    );
    confirm(&mut core, out, ms(31), None);
    assert_eq!(core.lvaps().count(), 0);
    assert_eq!(core.drops(), expected);
    let out = step(&mut core, AgentInput::Tick, ms(1000));
    assert!(out.iter().any(|o| matches!(
        o,
        AgentOutput::Controller(AgentMsg::Stats { drops, .. }) if *drops == expected
    )));
}

#[test]
fn refuses_what_it_cannot_do() {
    let mut core = core(1);
    up(&mut core);
    let add = |id, lvap| {
        AgentInput::Controller(ControllerMsg::AddLvap {
            id,
            lvap,
            station: None,
        })
    };
    let out = step(&mut core, add(1, spec(CLIENT, BSSID, 0)), ms(1));
    assert_eq!(
        results(&confirm(&mut core, out, ms(1), None)),
        vec![(1, Outcome::Done)]
    );
    // Same again: idempotent.
    assert_eq!(
        results(&step(&mut core, add(2, spec(CLIENT, BSSID, 0)), ms(2))),
        vec![(2, Outcome::Done)]
    );
    let failed =
        |out: Vec<AgentOutput>| matches!(&results(&out)[..], [(_, Outcome::Failed { .. })]);
    // Radio full, unknown radio, client already here, BSSID taken, group BSSID, long SSID.
    assert!(failed(step(
        &mut core,
        add(3, spec(OTHER, MacAddr([6, 0, 0, 0, 0, 9]), 0)),
        ms(3)
    )));
    assert!(failed(step(
        &mut core,
        add(4, spec(OTHER, MacAddr([6, 0, 0, 0, 0, 9]), 5)),
        ms(4)
    )));
    assert!(failed(step(
        &mut core,
        add(5, spec(CLIENT, MacAddr([6, 0, 0, 0, 0, 9]), 1)),
        ms(5)
    )));
    assert!(failed(step(
        &mut core,
        add(6, spec(OTHER, BSSID, 1)),
        ms(6)
    )));
    assert!(failed(step(
        &mut core,
        add(7, spec(OTHER, MacAddr([7, 0, 0, 0, 0, 9]), 1)),
        ms(7)
    )));
    let mut long = spec(OTHER, MacAddr([6, 0, 0, 0, 0, 9]), 1);
    long.ssid = vec![b'x'; 33];
    assert!(failed(step(&mut core, add(8, long), ms(8))));
    // Export or authorize an LVAP whose client is not associated, or unknown.
    assert!(failed(step(
        &mut core,
        AgentInput::Controller(ControllerMsg::ExportLvap {
            id: 9,
            bssid: BSSID
        }),
        ms(9)
    )));
    assert!(failed(step(
        &mut core,
        AgentInput::Controller(ControllerMsg::AuthorizeLvap {
            id: 10,
            bssid: OTHER,
            at: None,
            arriving: false,
        }),
        ms(10)
    )));
    assert!(failed(step(
        &mut core,
        AgentInput::Controller(ControllerMsg::SetChannel {
            id: 11,
            radio: 0,
            channel: 13
        }),
        ms(11)
    )));
    assert_eq!(core.counters().refused_commands, 9);
    // Removal is idempotent and stops the AP.
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::RemoveLvap {
            id: 12,
            bssid: BSSID,
            deauthenticate: true,
            at: None,
            announce: None,
        }),
        ms(12),
    );
    // (No client is authenticated, so there is nobody to deauthenticate.)
    assert!(!out
        .iter()
        .any(|o| matches!(o, AgentOutput::Radio(0, RadioCmd::SendFrame { .. }))));
    assert!(out
        .iter()
        .any(|o| matches!(o, AgentOutput::Radio(0, RadioCmd::StopAp { bssid: BSSID }))));
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::RemoveLvap {
            id: 13,
            bssid: BSSID,
            deauthenticate: false,
            at: None,
            announce: None,
        }),
        ms(13),
    );
    assert_eq!(
        out,
        vec![AgentOutput::Controller(AgentMsg::Result {
            id: 13,
            outcome: Outcome::Done
        })]
    );
    assert_eq!(core.lvaps().count(), 0);
}

#[test]
fn heartbeats_and_statistics_at_exact_times_and_nothing_while_away() {
    let mut core = core(8);
    assert_eq!(core.poll_at(), None);
    up(&mut core);
    assert_eq!(core.poll_at(), Some(ms(1000)));
    assert!(step(&mut core, AgentInput::Tick, ms(999)).is_empty());
    step(&mut core, heard(0, probe(CLIENT), -55), ms(500));
    let out = step(&mut core, AgentInput::Tick, ms(1000));
    assert_eq!(
        out[0],
        AgentOutput::Controller(AgentMsg::Heartbeat { seq: 1 })
    );
    let AgentOutput::Controller(AgentMsg::Stats {
        clients,
        radios,
        drops,
    }) = &out[1]
    else {
        panic!("{out:?}")
    };
    assert!(drops.is_empty(), "nothing dropped: {drops:?}");
    assert_eq!(clients.len(), 1);
    assert_eq!(
        (
            clients[0].client,
            clients[0].signal_dbm,
            clients[0].inactive_ms,
            clients[0].served
        ),
        (CLIENT, Some(-55), 500, false)
    );
    assert_eq!(radios.len(), 2);

    step(&mut core, AgentInput::ControllerDown, ms(1100));
    assert!(step(&mut core, heard(0, probe(OTHER), -55), ms(1200)).is_empty());
    assert!(step(&mut core, AgentInput::Tick, ms(2000)).is_empty());
    assert_eq!(core.counters().dropped_while_away, 1);
}

#[test]
fn subscriptions_fire_with_hysteresis_and_a_minimum_interval() {
    let mut core = core(8);
    up(&mut core);
    let subscription = Subscription {
        id: 42,
        client: Some(CLIENT),
        statistic: Statistic::SignalDbm,
        relation: Relation::Below,
        threshold: -70.0,
        hysteresis: 3.0,
        min_interval_ms: 1000,
    };
    step(
        &mut core,
        AgentInput::Controller(ControllerMsg::Subscribe {
            id: 1,
            subscription,
        }),
        ms(0),
    );
    let matched = |out: &[AgentOutput]| {
        out.iter()
            .filter_map(|o| match o {
                AgentOutput::Controller(AgentMsg::Matched {
                    subscription,
                    value,
                    ..
                }) => Some((*subscription, *value)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // Frames from the client whose probes are heard: only signal matters.
    let t = |n: u64| ms(10_000 + n);
    assert!(matched(&step(&mut core, heard(0, probe(CLIENT), -65), t(0))).is_empty());
    assert_eq!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -72), t(10))),
        vec![(42, -72.0)]
    );
    assert!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -75), t(20))).is_empty(),
        "disarmed"
    );
    assert!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -68), t(30))).is_empty(),
        "within hysteresis: still disarmed"
    );
    assert!(matched(&step(&mut core, heard(0, probe(CLIENT), -74), t(40))).is_empty());
    assert!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -67), t(50))).is_empty(),
        "re-armed"
    );
    assert!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -74), t(500))).is_empty(),
        "minimum interval"
    );
    assert!(matched(&step(&mut core, heard(0, probe(CLIENT), -66), t(600))).is_empty());
    assert_eq!(
        matched(&step(&mut core, heard(0, probe(CLIENT), -71), t(1010))),
        vec![(42, -71.0)]
    );
    // Another client does not match a subscription for this one.
    assert!(matched(&step(&mut core, heard(0, probe(OTHER), -90), t(3000))).is_empty());
    step(
        &mut core,
        AgentInput::Controller(ControllerMsg::Unsubscribe {
            id: 2,
            subscription: 42,
        }),
        t(3001),
    );
    step(&mut core, heard(0, probe(CLIENT), -60), t(3002));
    assert!(matched(&step(&mut core, heard(0, probe(CLIENT), -90), t(5000))).is_empty());
}

#[test]
fn hello_reports_what_is_served_for_reconciliation() {
    let mut core = core(8);
    up(&mut core);
    step(
        &mut core,
        AgentInput::Controller(ControllerMsg::AddLvap {
            id: 1,
            lvap: spec(CLIENT, BSSID, 0),
            station: None,
        }),
        ms(1),
    );
    step(&mut core, AgentInput::ControllerDown, ms(2));
    let out = step(&mut core, AgentInput::ControllerUp, ms(3));
    let [AgentOutput::Controller(AgentMsg::Hello { lvaps, radios, .. })] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(radios.len(), 2);
    assert_eq!(lvaps.len(), 1);
    assert_eq!(lvaps[0].lvap, spec(CLIENT, BSSID, 0));
    assert_eq!(lvaps[0].station, None);
}

fn early_answers(out: &[AgentOutput]) -> Vec<(RadioIndex, Option<EarlyAnswers>)> {
    out.iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(r, RadioCmd::EarlyAnswers(e)) => Some((*r, e.as_deref().cloned())),
            _ => None,
        })
        .collect()
}

#[test]
fn radios_answer_new_clients_while_the_controller_is_there() {
    let plan = BssidPlan::new([0x06, 0x0d, 0x1e], [9; 16]).unwrap();
    let mut core = core(8);
    up(&mut core);
    let msg = ControllerMsg::Network {
        ssid: b"odin".to_vec(),
        bssids: plan.clone(),
    };
    let out = step(&mut core, AgentInput::Controller(msg), ms(1));
    let early = |channel| EarlyAnswers {
        plan: plan.clone(),
        bss: BssConfig::new(b"odin", channel),
    };
    assert_eq!(
        early_answers(&out),
        vec![(0, Some(early(6))), (1, Some(early(6)))]
    );
    // A probe is still reported to the controller.
    let out = step(&mut core, heard(0, probe(CLIENT), -50), ms(2));
    assert!(matches!(
        &out[..],
        [AgentOutput::Controller(AgentMsg::ClientHeard { .. })]
    ));
    // A channel change changes what radio 1 advertises.
    let out = step(
        &mut core,
        AgentInput::Controller(ControllerMsg::SetChannel {
            id: 7,
            radio: 1,
            channel: 11,
        }),
        ms(3),
    );
    assert_eq!(early_answers(&out), vec![(1, Some(early(11)))]);
    // Without a controller nobody places the LVAP: the radios stop.
    let out = step(&mut core, AgentInput::ControllerDown, ms(4));
    assert_eq!(early_answers(&out), vec![(0, None), (1, None)]);
    assert!(early_answers(&step(&mut core, AgentInput::ControllerDown, ms(5))).is_empty());
}

#[test]
fn network_settings_with_an_oversized_ssid_are_refused() {
    let plan = BssidPlan::new([0x06, 0x0d, 0x1e], [9; 16]).unwrap();
    let mut core = core(8);
    up(&mut core);
    let msg = ControllerMsg::Network {
        ssid: vec![b'x'; 33],
        bssids: plan,
    };
    let out = step(&mut core, AgentInput::Controller(msg), ms(1));
    assert!(
        matches!(&out[..], [AgentOutput::Controller(AgentMsg::Error { message, .. })] if message.contains("33 bytes")),
        "{out:?}"
    );
    assert!(early_answers(&out).is_empty());
}

#[test]
fn commands_are_acknowledged_after_the_radio_and_failures_undone() {
    let mut core = core(8);
    up(&mut core);
    let add = |id| {
        AgentInput::Controller(ControllerMsg::AddLvap {
            id,
            lvap: spec(CLIENT, BSSID, 0),
            station: None,
        })
    };
    // The kernel refuses START_AP: the command fails with the kernel's
    // words and the LVAP is taken down again.
    let out = step(&mut core, add(1), ms(1));
    let out = confirm(
        &mut core,
        out,
        ms(2),
        Some("START_AP 06:0d:1e:00:00:01: Device or resource busy (errno 16)"),
    );
    assert_eq!(
        results(&out),
        vec![(
            1,
            Outcome::Failed {
                reason: "START_AP 06:0d:1e:00:00:01: Device or resource busy (errno 16)".into()
            }
        )]
    );
    assert!(out
        .iter()
        .any(|o| matches!(o, AgentOutput::Radio(0, RadioCmd::StopAp { bssid: BSSID }))));
    assert_eq!(core.lvaps().count(), 0);
    // Added again, then removed: the removal too waits for the radio.
    let out = step(&mut core, add(2), ms(3));
    assert_eq!(
        results(&confirm(&mut core, out, ms(3), None)),
        vec![(2, Outcome::Done)]
    );
    let remove = ControllerMsg::RemoveLvap {
        id: 3,
        bssid: BSSID,
        deauthenticate: false,
        at: None,
        announce: None,
    };
    let out = step(&mut core, AgentInput::Controller(remove.clone()), ms(4));
    assert!(results(&out).is_empty());
    assert_eq!(
        results(&confirm(&mut core, out, ms(4), None)),
        vec![(3, Outcome::Done)]
    );
    // Removing what is not here is done at once.
    let out = step(&mut core, AgentInput::Controller(remove), ms(5));
    assert_eq!(results(&out), vec![(3, Outcome::Done)]);
    // A result for a controller connection that is gone is not sent on
    // the next one; the failed LVAP is still undone.
    let out = step(&mut core, add(4), ms(6));
    step(&mut core, AgentInput::ControllerDown, ms(7));
    up(&mut core);
    let out = confirm(&mut core, out, ms(8), Some("START_AP: gone"));
    assert!(results(&out).is_empty());
    assert_eq!(core.lvaps().count(), 0);
}

#[test]
fn a_refused_channel_change_leaves_the_radio_where_it_was() {
    let plan = BssidPlan::new([0x06, 0x0d, 0x1e], [9; 16]).unwrap();
    let mut core = core(8);
    up(&mut core);
    let msg = ControllerMsg::Network {
        ssid: b"odin".to_vec(),
        bssids: plan.clone(),
    };
    step(&mut core, AgentInput::Controller(msg), ms(1));
    let set = ControllerMsg::SetChannel {
        id: 9,
        radio: 0,
        channel: 11,
    };
    let out = step(&mut core, AgentInput::Controller(set), ms(2));
    assert!(results(&out).is_empty());
    let why = "SET_WIPHY (channel): the radio has 1 LVAP(s) beaconing";
    let out = confirm(&mut core, out, ms(3), Some(why));
    assert_eq!(
        results(&out),
        vec![(9, Outcome::Failed { reason: why.into() })]
    );
    // Back on channel 6: what the radio answers and what the hello says.
    let back = EarlyAnswers {
        plan,
        bss: BssConfig::new(b"odin", 6),
    };
    assert_eq!(early_answers(&out).last(), Some(&(0, Some(back))));
    let AgentMsg::Hello { radios, .. } = core.hello() else {
        unreachable!()
    };
    assert_eq!(radios[0].channel, 6);
}

#[test]
fn a_radio_with_lvaps_moves_them_by_a_channel_switch_announcement() {
    let mut core = core(8);
    up(&mut core);
    for (id, client, bssid) in [
        (7, CLIENT, BSSID),
        (8, OTHER, MacAddr([0x06, 0x0d, 0x1e, 0, 0, 2])),
    ] {
        let add = ControllerMsg::AddLvap {
            id,
            lvap: spec(client, bssid, 0),
            station: None,
        };
        let out = step(&mut core, AgentInput::Controller(add), ms(10));
        confirm(&mut core, out, ms(11), None);
    }
    let set = ControllerMsg::SetChannel {
        id: 9,
        radio: 0,
        channel: 11,
    };
    let out = step(&mut core, AgentInput::Controller(set), ms(20));
    // No plain retune under beaconing LVAPs: each announces and switches.
    let switches: Vec<(MacAddr, u8, u8)> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(
                0,
                RadioCmd::ChannelSwitch {
                    bssid,
                    channel,
                    count,
                    ..
                },
            ) => Some((*bssid, *channel, *count)),
            _ => None,
        })
        .collect();
    assert_eq!(switches.len(), 2, "{out:?}");
    assert!(switches
        .iter()
        .all(|(_, channel, count)| (*channel, *count) == (11, RADIO_SWITCH_COUNT)));
    assert!(!out
        .iter()
        .any(|o| matches!(o, AgentOutput::Radio(_, RadioCmd::SetChannel { .. }))));
    let out = confirm(&mut core, out, ms(21), None);
    assert_eq!(results(&out), vec![(9, Outcome::Done)]);
    let AgentMsg::Hello { radios, .. } = core.hello() else {
        unreachable!()
    };
    assert_eq!(radios[0].channel, 11);
}

/// The state a migration carries for an associated 802.11b client.
fn associated_station() -> odin_proto::StationState {
    let mut station = odin_proto::StationState::unassociated(CLIENT, BSSID);
    station.aid = 1;
    station.listen_interval = 10;
    station.supported_rates = vec![0x82, 0x84, 0x8b, 0x96];
    station.flags.associated = true;
    station
}

#[test]
fn a_migrated_client_is_announced_to_the_wired_side_once_authorized() {
    let mut core = core(8);
    up(&mut core);
    let station = associated_station();
    let add = ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(station),
    };
    let out = step(&mut core, AgentInput::Controller(add), ms(1));
    let out = confirm(&mut core, out, ms(1), None);
    assert_eq!(results(&out), vec![(1, Outcome::Done)]);
    assert!(!out
        .iter()
        .any(|o| matches!(o, AgentOutput::Radio(_, RadioCmd::AnnounceStation { .. }))));
    let authorize = ControllerMsg::AuthorizeLvap {
        id: 2,
        bssid: BSSID,
        at: None,
        arriving: false,
    };
    let out = step(&mut core, AgentInput::Controller(authorize), ms(2));
    let radio_cmds: Vec<&RadioCmd> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(0, cmd) => Some(cmd),
            _ => None,
        })
        .collect();
    assert!(matches!(
        &radio_cmds[..],
        [
            RadioCmd::SetStationFlags { flags, .. },
            RadioCmd::AnnounceStation { bssid: BSSID, sta: CLIENT },
            RadioCmd::Barrier { .. },
        ] if flags.authorized
    ));
}

#[test]
fn a_migrated_ht_client_is_told_to_set_up_its_block_acks_again() {
    let mut core = with_imported(ht_station());
    let authorize = ControllerMsg::AuthorizeLvap {
        id: 2,
        bssid: BSSID,
        at: None,
        arriving: false,
    };
    let out = step(&mut core, AgentInput::Controller(authorize), ms(2));
    let delbas: Vec<(u8, bool)> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(
                0,
                RadioCmd::SendFrame {
                    bssid: BSSID,
                    frame,
                    ..
                },
            ) if frame.get(24..26) == Some(&[3, 2]) => {
                let params = u16::from_le_bytes([frame[26], frame[27]]);
                Some(((params >> 12) as u8, params & 0x0800 != 0))
            }
            _ => None,
        })
        .collect();
    let want: Vec<(u8, bool)> = (0..8).flat_map(|t| [(t, true), (t, false)]).collect();
    assert_eq!(delbas, want);
}

#[test]
fn a_removal_is_acknowledged_once_the_station_is_gone_before_the_teardown() {
    let mut core = core(8);
    up(&mut core);
    let add = ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: None,
    };
    let out = step(&mut core, AgentInput::Controller(add), ms(1));
    confirm(&mut core, out, ms(1), None);
    let remove = ControllerMsg::RemoveLvap {
        id: 2,
        bssid: BSSID,
        deauthenticate: false,
        at: None,
        announce: None,
    };
    let out = step(&mut core, AgentInput::Controller(remove), ms(2));
    let kinds: Vec<&str> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(0, RadioCmd::Barrier { .. }) => Some("barrier"),
            AgentOutput::Radio(0, RadioCmd::StopAp { .. }) => Some("stop"),
            AgentOutput::Radio(0, RadioCmd::RemoveStation { .. }) => Some("del-station"),
            _ => None,
        })
        .collect();
    // No station was added (the client never authenticated): the answer
    // comes before the teardown, whose own barrier answers nobody.
    assert_eq!(kinds, ["barrier", "stop", "barrier"]);
    let tokens: Vec<u64> = out
        .iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(_, RadioCmd::Barrier { token, .. }) => Some(*token),
            _ => None,
        })
        .collect();
    let done = |token, failure: Option<&str>| {
        AgentInput::Radio(
            0,
            RadioEvent::Done {
                token,
                failure: failure.map(str::to_owned),
            },
        )
    };
    let out = step(&mut core, done(tokens[0], None), ms(3));
    assert_eq!(results(&out), vec![(2, Outcome::Done)]);
    let out = step(&mut core, done(tokens[1], Some("STOP_AP: busy")), ms(4));
    assert!(results(&out).is_empty());
}

/// An agent up, hosting the LVAP of an associated client imported at 1 ms
/// (request 1), not yet authorized.
fn with_imported_lvap() -> AgentCore {
    with_imported(associated_station())
}

/// The same with this station state.
fn with_imported(station: odin_proto::StationState) -> AgentCore {
    let mut core = core(8);
    up(&mut core);
    let add = ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(station),
    };
    let out = step(&mut core, AgentInput::Controller(add), ms(1));
    confirm(&mut core, out, ms(1), None);
    core
}

/// An associated HT client's state (mac80211_hwsim's HT capabilities).
fn ht_station() -> odin_proto::StationState {
    let mut station = associated_station();
    station.ht_capabilities = Some(vec![
        0x2c, 0, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    station
}

/// The radio commands of radio 0 in `out`, by kind.
fn radio_kinds(out: &[AgentOutput]) -> Vec<&'static str> {
    out.iter()
        .filter_map(|o| match o {
            AgentOutput::Radio(0, cmd) => Some(match cmd {
                RadioCmd::Hold { .. } => "hold",
                RadioCmd::SetStationFlags { flags, .. } if flags.authorized => "authorize",
                RadioCmd::SetStationFlags { .. } => "flags",
                RadioCmd::AnnounceStation { .. } => "l2-update",
                RadioCmd::RemoveStation { .. } => "del-station",
                RadioCmd::StopAp { .. } => "stop",
                RadioCmd::SetBeacon { .. } => "set-beacon",
                RadioCmd::SendFrame { frame, .. } if frame.get(24..26) == Some(&[0, 4]) => {
                    "csa-action"
                }
                RadioCmd::SendFrame { .. } => "frame",
                RadioCmd::Barrier { .. } => "barrier",
                _ => "other",
            }),
            _ => None,
        })
        .collect()
}

#[test]
fn a_scheduled_switch_holds_the_radio_until_its_moment() {
    let mut core = with_imported_lvap();
    let at = Some(SwitchTime(1_795_000_000_123_456));
    let authorize = ControllerMsg::AuthorizeLvap {
        id: 2,
        bssid: BSSID,
        at,
        arriving: false,
    };
    let out = step(&mut core, AgentInput::Controller(authorize), ms(2));
    assert_eq!(
        radio_kinds(&out),
        ["hold", "authorize", "l2-update", "barrier"]
    );
    assert!(out.iter().any(|o| matches!(
        o,
        AgentOutput::Radio(0, RadioCmd::Hold { until }) if Some(*until) == at
    )));
    // The source's side: held, then the station goes.
    let remove = ControllerMsg::RemoveLvap {
        id: 3,
        bssid: BSSID,
        deauthenticate: false,
        at,
        announce: None,
    };
    let out = step(&mut core, AgentInput::Controller(remove), ms(3));
    assert_eq!(
        radio_kinds(&out),
        ["hold", "flags", "del-station", "barrier", "stop", "barrier"]
    );
}

#[test]
fn a_cross_channel_source_announces_the_switch_then_goes_after_the_count() {
    let mut core = with_imported_lvap();
    let authorize = ControllerMsg::AuthorizeLvap {
        id: 2,
        bssid: BSSID,
        at: None,
        arriving: false,
    };
    let out = step(&mut core, AgentInput::Controller(authorize), ms(2));
    confirm(&mut core, out, ms(2), None);
    let remove = ControllerMsg::RemoveLvap {
        id: 3,
        bssid: BSSID,
        deauthenticate: false,
        at: None,
        announce: Some(ChannelAnnouncement {
            channel: 11,
            count: 1,
        }),
    };
    let out = step(&mut core, AgentInput::Controller(remove), ms(10));
    // Told, and the beacon says it too; the station stays (what the client
    // sends before it moves is still forwarded).
    assert_eq!(radio_kinds(&out), ["csa-action", "set-beacon", "barrier"]);
    let frame = out
        .iter()
        .find_map(|o| match o {
            AgentOutput::Radio(0, RadioCmd::SendFrame { frame, .. }) => Some(frame.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(&frame[4..10], &CLIENT.0);
    assert_eq!(&frame[24..], &[0, 4, 37, 3, 0, 11, 1]);
    let out = confirm(&mut core, out, ms(10), None);
    assert_eq!(results(&out), vec![(3, Outcome::Done)]);
    // No longer this agent's: not reported, not exportable.
    let export = ControllerMsg::ExportLvap {
        id: 4,
        bssid: BSSID,
    };
    let out = step(&mut core, AgentInput::Controller(export), ms(11));
    assert!(matches!(&results(&out)[..], [(4, Outcome::Failed { .. })]));
    // The count (one beacon interval) and one more: 204.8 ms.
    let due = core.poll_at().expect("a deadline");
    assert_eq!(due, Instant::from_micros(10_000 + 204_800));
    let out = step(&mut core, AgentInput::Tick, due);
    assert_eq!(radio_kinds(&out), ["del-station", "stop", "barrier"]);
    assert!(core.poll_at() != Some(due));
}

#[test]
fn a_client_brought_back_before_its_old_copy_left_gets_a_fresh_lvap() {
    let mut core = core(8);
    up(&mut core);
    let add = ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(associated_station()),
    };
    let out = step(&mut core, AgentInput::Controller(add.clone()), ms(1));
    confirm(&mut core, out, ms(1), None);
    let remove = ControllerMsg::RemoveLvap {
        id: 2,
        bssid: BSSID,
        deauthenticate: false,
        at: None,
        announce: Some(ChannelAnnouncement {
            channel: 11,
            count: 1,
        }),
    };
    let out = step(&mut core, AgentInput::Controller(remove), ms(2));
    confirm(&mut core, out, ms(2), None);
    let out = step(&mut core, AgentInput::Controller(add), ms(50));
    let kinds = radio_kinds(&out);
    // The old copy stops first; then the new one starts.
    let stop = kinds.iter().position(|k| *k == "stop").expect("stop");
    let start = out
        .iter()
        .filter(|o| matches!(o, AgentOutput::Radio(0, _)))
        .position(|o| matches!(o, AgentOutput::Radio(_, RadioCmd::StartAp { .. })))
        .expect("start");
    assert!(stop < start, "{kinds:?}");
}

#[test]
fn the_removal_of_an_lvap_that_never_started_has_its_own_barrier() {
    let mut core = core(8);
    up(&mut core);
    let add = ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(associated_station()),
    };
    let out = step(&mut core, AgentInput::Controller(add), ms(1));
    let token = out
        .iter()
        .find_map(|o| match o {
            AgentOutput::Radio(0, RadioCmd::Barrier { token, .. }) => Some(*token),
            _ => None,
        })
        .unwrap();
    let failed = RadioEvent::Done {
        token,
        failure: Some("START_AP: Name not unique on network".into()),
    };
    let out = step(&mut core, AgentInput::Radio(0, failed), ms(2));
    assert!(matches!(&results(&out)[..], [(1, Outcome::Failed { .. })]));
    // The take-down's own failures (no interface) end at a barrier that
    // answers nobody, not at the next command's.
    let kinds = radio_kinds(&out);
    assert_eq!(kinds.last(), Some(&"barrier"), "{kinds:?}");
    let add = ControllerMsg::AddLvap {
        id: 2,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(associated_station()),
    };
    let out = step(&mut core, AgentInput::Controller(add), ms(3));
    let out = confirm(&mut core, out, ms(3), None);
    assert_eq!(results(&out), vec![(2, Outcome::Done)]);
}

#[test]
fn a_client_arriving_from_another_channel_has_its_block_acks_ended_again() {
    let mut core = with_imported(ht_station());
    let authorize = ControllerMsg::AuthorizeLvap {
        id: 2,
        bssid: BSSID,
        at: None,
        arriving: true,
    };
    let out = step(&mut core, AgentInput::Controller(authorize), ms(10));
    let delbas = |out: &[AgentOutput]| radio_kinds(out).iter().filter(|k| **k == "frame").count();
    assert_eq!(delbas(&out), 16);
    confirm(&mut core, out, ms(10), None);
    let mut again = Vec::new();
    for t in [109, 110, 259, 260] {
        let out = step(&mut core, AgentInput::Tick, ms(t));
        again.push(delbas(&out));
    }
    assert_eq!(again, [0, 16, 0, 16]);
    assert_eq!(delbas(&step(&mut core, AgentInput::Tick, ms(1000))), 0);
}

#[test]
fn an_imported_ht_client_ends_its_block_acks_before_the_switch() {
    let mut core = core(8);
    up(&mut core);
    let add = |station| ControllerMsg::AddLvap {
        id: 1,
        lvap: spec(CLIENT, BSSID, 0),
        station: Some(station),
    };
    let out = step(&mut core, AgentInput::Controller(add(ht_station())), ms(1));
    let kinds = radio_kinds(&out);
    // Beacon up, station in (not authorized), then the DELBAs: 8 TIDs,
    // both roles, while the source still serves.
    assert_eq!(
        kinds.iter().filter(|k| **k == "frame").count(),
        16,
        "{kinds:?}"
    );
    let mut core = self::core(8);
    up(&mut core);
    let out = step(
        &mut core,
        AgentInput::Controller(add(associated_station())),
        ms(1),
    );
    assert!(!radio_kinds(&out).contains(&"frame"), "no HT, no DELBA");
}

#[test]
fn a_signal_subscription_also_watches_the_serving_radios_station_reports() {
    // An associated client sends data, not management frames: its signal
    // comes from the kernel's station reports (GET_STATION).
    let mut core = core(8);
    up(&mut core);
    let subscription = Subscription {
        id: 7,
        client: None,
        statistic: Statistic::SignalDbm,
        relation: Relation::Below,
        threshold: -70.0,
        hysteresis: 0.0,
        min_interval_ms: 0,
    };
    step(
        &mut core,
        AgentInput::Controller(ControllerMsg::Subscribe {
            id: 1,
            subscription,
        }),
        ms(0),
    );
    let report = |signal: i8| {
        AgentInput::Radio(
            0,
            RadioEvent::StationInfo {
                bssid: BSSID,
                sta: CLIENT,
                info: StationInfo {
                    inactive: Duration::from_millis(20),
                    signal_dbm: Some(signal),
                    rx_bytes: 1000,
                    tx_bytes: 2000,
                    ..StationInfo::default()
                },
            },
        )
    };
    let matched = |out: &[AgentOutput]| {
        out.iter()
            .filter(|o| {
                matches!(
                    o,
                    AgentOutput::Controller(AgentMsg::Matched {
                        subscription: 7,
                        client: CLIENT,
                        radio: 0,
                        ..
                    })
                )
            })
            .count()
    };
    assert_eq!(matched(&step(&mut core, report(-60), ms(100))), 0);
    assert_eq!(matched(&step(&mut core, report(-75), ms(1100))), 1);
    // And what the radio hears of its data frames (RadioEvent::Heard,
    // the monitor's samples): back above, then below again.
    let heard = |signal_dbm: i8| {
        AgentInput::Radio(
            0,
            RadioEvent::Heard {
                sta: CLIENT,
                signal_dbm,
            },
        )
    };
    assert_eq!(matched(&step(&mut core, heard(-65), ms(1200))), 0);
    assert_eq!(matched(&step(&mut core, heard(-80), ms(1300))), 1);
}
