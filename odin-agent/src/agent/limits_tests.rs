//! What the configuration limits (`AgentConfig::radio_limits`, `ssids`):
//! the agent refuses, sans-IO, what it was not given.

use super::tests::radio;
use super::*;

const CLIENTS: [MacAddr; 4] = [
    MacAddr([0x02, 0, 0, 0, 1, 1]),
    MacAddr([0x02, 0, 0, 0, 1, 2]),
    MacAddr([0x02, 0, 0, 0, 1, 3]),
    MacAddr([0x02, 0, 0, 0, 1, 4]),
];

fn bssid(n: u8) -> MacAddr {
    MacAddr([0x06, 0x0d, 0x1e, 0, 0, n])
}

/// Two radios that could host 8 LVAPs each, configured with `limits`
/// and `ssids`, its controller up.
fn core(limits: &[(RadioIndex, RadioLimits)], ssids: &[&str]) -> AgentCore {
    let mut config = AgentConfig::new("ap-1");
    config.radio_limits = limits.iter().copied().collect();
    config.ssids = ssids.iter().map(|s| s.as_bytes().to_vec()).collect();
    let bss = vec![BssConfig::new(b"", 6), BssConfig::new(b"", 6)];
    let mut core = AgentCore::new(config, vec![radio(0, 8), radio(1, 8)], bss);
    let mut out = Vec::new();
    core.handle(AgentInput::ControllerUp, Instant::ZERO, &mut out);
    core
}

fn step(core: &mut AgentCore, msg: ControllerMsg) -> Vec<AgentOutput> {
    let mut out = Vec::new();
    core.handle(
        AgentInput::Controller(msg),
        Instant::from_millis(1),
        &mut out,
    );
    out
}

fn add(
    core: &mut AgentCore,
    id: RequestId,
    n: usize,
    radio: RadioIndex,
    ssid: &str,
) -> Vec<AgentOutput> {
    let lvap = LvapSpec {
        client: CLIENTS[n],
        bssid: bssid(n as u8),
        radio,
        ssid: ssid.as_bytes().to_vec(),
    };
    step(
        core,
        ControllerMsg::AddLvap {
            id,
            lvap,
            station: None,
        },
    )
}

/// The refusal in `out`, if the command was refused at once.
fn refused(out: &[AgentOutput]) -> Option<String> {
    out.iter().find_map(|o| match o {
        AgentOutput::Controller(AgentMsg::Result {
            outcome: Outcome::Failed { reason },
            ..
        }) => Some(reason.clone()),
        _ => None,
    })
}

/// Whether `out` starts an AP on `radio` (the LVAP was taken).
fn starts_ap(out: &[AgentOutput], on: RadioIndex) -> bool {
    out.iter()
        .any(|o| matches!(o, AgentOutput::Radio(r, RadioCmd::StartAp { .. }) if *r == on))
}

fn hello_max(core: &AgentCore) -> Vec<u32> {
    match core.hello() {
        AgentMsg::Hello { radios, .. } => radios.iter().map(|r| r.max_lvaps).collect(),
        other => panic!("not a hello: {other:?}"),
    }
}

#[test]
fn a_configured_cap_limits_the_lvaps_and_the_hello() {
    let cap = RadioLimits {
        max_lvaps: Some(2),
        fixed_channel: false,
    };
    let mut core = core(&[(0, cap)], &[]);
    // The controller is told the smaller maximum; radio 1 keeps its own.
    assert_eq!(hello_max(&core), [2, 8]);
    for n in 0..2 {
        let out = add(&mut core, n as u64 + 1, n, 0, "odin");
        assert_eq!(refused(&out), None, "LVAP {n}");
        assert!(starts_ap(&out, 0));
    }
    let out = add(&mut core, 3, 2, 0, "odin");
    let reason = refused(&out).expect("the third LVAP on radio 0 is refused");
    assert!(
        reason.contains("radio 0 hosts 2 LVAPs, its maximum"),
        "{reason}"
    );
    assert!(!starts_ap(&out, 0), "nothing reaches the radio");
    assert_eq!(core.lvaps().count(), 2);
    // The other radio is not limited by radio 0's cap.
    let out = add(&mut core, 4, 2, 1, "odin");
    assert_eq!(refused(&out), None);
    assert!(starts_ap(&out, 1));
}

#[test]
fn a_cap_above_the_radios_own_maximum_does_not_raise_it() {
    let cap = RadioLimits {
        max_lvaps: Some(100),
        fixed_channel: false,
    };
    let core = core(&[(0, cap), (1, RadioLimits::default())], &[]);
    assert_eq!(hello_max(&core), [8, 8]);
}

#[test]
fn a_radio_it_was_not_given_is_refused() {
    let mut core = core(&[], &[]);
    let out = add(&mut core, 1, 0, 7, "odin");
    assert_eq!(refused(&out).as_deref(), Some("no radio 7"));
    let out = step(
        &mut core,
        ControllerMsg::SetChannel {
            id: 2,
            radio: 7,
            channel: 1,
        },
    );
    assert_eq!(refused(&out).as_deref(), Some("no radio 7"));
    // Nothing at all is asked of any radio.
    assert!(out
        .iter()
        .chain(add(&mut core, 3, 1, 2, "odin").iter())
        .all(|o| matches!(o, AgentOutput::Controller(_))));
}

#[test]
fn a_followed_channel_is_never_changed_by_the_controller() {
    let follows = RadioLimits {
        max_lvaps: None,
        fixed_channel: true,
    };
    let mut core = core(&[(0, follows)], &[]);
    let set = |id, radio| ControllerMsg::SetChannel {
        id,
        radio,
        channel: 11,
    };
    let out = step(&mut core, set(1, 0));
    let reason = refused(&out).expect("refused");
    assert!(reason.contains("belongs to another interface"), "{reason}");
    assert!(out
        .iter()
        .all(|o| !matches!(o, AgentOutput::Radio(_, RadioCmd::SetChannel { .. }))));
    // The radio the agent owns moves.
    let out = step(&mut core, set(2, 1));
    assert_eq!(refused(&out), None);
    assert!(out.iter().any(|o| matches!(
        o,
        AgentOutput::Radio(1, RadioCmd::SetChannel { channel: 11 })
    )));
}

#[test]
fn only_the_configured_ssids_are_served() {
    let mut core = core(&[], &["odin", "odin guests"]);
    let plan = BssidPlan::new([0x06, 0x0d, 0x1e], [7; 16]).unwrap();
    let network = |ssid: &str| ControllerMsg::Network {
        ssid: ssid.as_bytes().to_vec(),
        bssids: plan.clone(),
    };
    let early = |out: &[AgentOutput]| {
        out.iter()
            .filter(|o| matches!(o, AgentOutput::Radio(_, RadioCmd::EarlyAnswers(Some(_)))))
            .count()
    };
    // Another network: refused in words, no radio answers its clients.
    let out = step(&mut core, network("elsewhere"));
    assert_eq!(early(&out), 0);
    assert!(out.iter().any(|o| matches!(
        o,
        AgentOutput::Controller(AgentMsg::Error { message, .. })
            if message.contains("\"elsewhere\" is not among this agent's SSIDs")
    )));
    assert_eq!(core.counters().refused_commands, 1);
    // One of ours: both radios answer.
    assert_eq!(early(&step(&mut core, network("odin guests"))), 2);
    let out = add(&mut core, 1, 0, 0, "elsewhere");
    let reason = refused(&out).expect("refused");
    assert!(reason.contains("not among this agent's SSIDs"), "{reason}");
    assert!(!starts_ap(&out, 0));
    let out = add(&mut core, 2, 0, 0, "odin");
    assert_eq!(refused(&out), None);
    assert!(starts_ap(&out, 0));
}

#[test]
fn without_configured_ssids_any_network_is_served() {
    let config = AgentConfig::new("ap-1");
    assert!(config.serves_ssid(b"anything") && config.serves_ssid(b""));
    let mut core = core(&[], &[]);
    let out = add(&mut core, 1, 0, 0, "whatever");
    assert_eq!(refused(&out), None);
}
