//! The controller core driven input by input with exact times; the
//! invariants are checked after every input.

mod apps;
mod handoff;
mod hello;
mod placement;
mod proptests;
mod reconcile;

use std::time::Duration;

use odin_proto::msg::{
    AgentMsg, Band, ClientEvent, ControllerMsg, LvapSpec, LvapStatus, Outcome, RadioIndex,
    RadioInfo, RequestId, PROTOCOL_VERSION,
};
use odin_proto::{MacAddr, StationFlags, StationState};

use super::*;

pub(crate) const A: &str = "ap-a";
pub(crate) const B: &str = "ap-b";
pub(crate) const C: &str = "ap-c";

/// A client address.
pub(crate) fn mac(n: u16) -> MacAddr {
    MacAddr([0x02, 0, 0, 0, (n >> 8) as u8, n as u8])
}

/// The n-th sequential BSSID of the default prefix (what agents report
/// in the reconciliation tests, and what a client whose derived BSSID is
/// taken gets).
pub(crate) fn bssid(n: u32) -> MacAddr {
    BssidPrefix::DEFAULT.bssid(n)
}

/// The BSSID derived for `client` with the default configuration: the one
/// the controller gives it and its agents answer its first probes with.
pub(crate) fn derived(client: MacAddr) -> MacAddr {
    let config = ControllerConfig::default();
    odin_proto::BssidPlan::new(config.bssid_prefix.octets(), config.bssid_key)
        .expect("the default prefix is valid")
        .derive(client)
}

pub(crate) fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

pub(crate) fn radio(index: RadioIndex, channel: u8, max_lvaps: u32) -> RadioInfo {
    RadioInfo {
        index,
        name: format!("phy{index}"),
        addr: MacAddr([0x02, 0xaa, 0, 0, 0, index as u8]),
        band: Band::of_channel(channel),
        channel,
        channels: vec![1, 6, 11, 36],
        ht: true,
        vht: false,
        max_lvaps,
    }
}

pub(crate) fn station(client: MacAddr, bssid: MacAddr) -> StationState {
    StationState {
        sta: client,
        bssid,
        aid: 1,
        listen_interval: 10,
        capabilities: 0x0421,
        supported_rates: vec![0x82, 0x84, 0x8b, 0x96],
        ht_capabilities: None,
        vht_capabilities: None,
        ext_capabilities: None,
        wmm: None,
        flags: StationFlags {
            authenticated: true,
            associated: true,
            authorized: true,
            wme: false,
            short_preamble: true,
        },
        last_rx_seq: Some(7),
        assoc_ies: vec![],
    }
}

/// The controller and the time.
pub(crate) struct H {
    pub c: Controller,
    pub now: Instant,
    next_session: u64,
}

impl H {
    pub fn new() -> H {
        H::with(ControllerConfig::default())
    }

    pub fn with(config: ControllerConfig) -> H {
        H {
            c: Controller::new(config),
            now: Instant::ZERO,
            next_session: 1,
        }
    }

    /// Moves the clock (never backwards).
    pub fn at(&mut self, t: Instant) -> &mut H {
        assert!(t >= self.now, "time goes forward");
        self.now = t;
        self
    }

    pub fn input(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.c.handle(input, self.now, &mut out);
        if let Err(e) = self.c.check_invariants() {
            panic!("invariant broken at {}: {e}\n{:#?}", self.now, out);
        }
        out
    }

    pub fn open(&mut self, agent: &str) -> SessionId {
        let session = SessionId(self.next_session);
        self.next_session += 1;
        let out = self.input(Input::AgentUp {
            session,
            agent: agent.into(),
        });
        assert!(out.iter().all(|o| !matches!(o, Output::Send { .. })));
        session
    }

    pub fn hello(
        &mut self,
        session: SessionId,
        radios: Vec<RadioInfo>,
        lvaps: Vec<LvapStatus>,
    ) -> Vec<Output> {
        let mut out = self.msg(
            session,
            AgentMsg::Hello {
                version: PROTOCOL_VERSION,
                software: "odin-agent test".into(),
                radios,
                lvaps,
            },
        );
        // An accepted hello is answered with the network's settings first;
        // the tests look at what follows.
        let network = out.iter().position(|o| {
            matches!(
                o,
                Output::Send {
                    msg: ControllerMsg::Network { .. },
                    ..
                }
            )
        });
        if let Some(i) = network {
            let first_send = out.iter().position(|o| matches!(o, Output::Send { .. }));
            assert_eq!(
                first_send,
                Some(i),
                "the network settings come first: {out:#?}"
            );
            out.remove(i);
        }
        out
    }

    /// Connects an agent with these radios and no LVAPs.
    pub fn up(&mut self, agent: &str, radios: Vec<RadioInfo>) -> SessionId {
        let session = self.open(agent);
        self.hello(session, radios, vec![]);
        session
    }

    pub fn msg(&mut self, session: SessionId, msg: AgentMsg) -> Vec<Output> {
        self.input(Input::Msg { session, msg })
    }

    pub fn tick(&mut self) -> Vec<Output> {
        self.input(Input::Tick)
    }

    pub fn heard(
        &mut self,
        session: SessionId,
        radio: RadioIndex,
        client: MacAddr,
        signal_dbm: i8,
    ) -> Vec<Output> {
        self.msg(
            session,
            AgentMsg::ClientHeard {
                radio,
                client,
                signal_dbm,
                ssid: vec![],
            },
        )
    }

    pub fn reply(&mut self, session: SessionId, id: RequestId, outcome: Outcome) -> Vec<Output> {
        self.msg(session, AgentMsg::Result { id, outcome })
    }

    pub fn done(&mut self, session: SessionId, id: RequestId) -> Vec<Output> {
        self.reply(session, id, Outcome::Done)
    }

    pub fn command(&mut self, command: Command) -> (CommandId, Vec<Output>) {
        let id = self.c.next_command_id();
        let out = self.input(Input::Command(command));
        (id, out)
    }

    /// Where the registry places a client's LVAP.
    pub fn host(&self, client: MacAddr) -> Option<(String, RadioIndex, LvapState)> {
        let lvap = self.c.client(&client)?.lvap.as_ref()?;
        Some((lvap.at.agent.clone(), lvap.at.radio, lvap.state))
    }

    /// Places a new client on the one agent that hears it: probe, window,
    /// `AddLvap`, `Done`. Returns its BSSID.
    pub fn place(&mut self, session: SessionId, radio: RadioIndex, client: MacAddr) -> MacAddr {
        self.heard(session, radio, client, -50);
        let end = self.now + self.c.config().placement_window;
        self.at(end);
        let out = self.tick();
        let (s, msg) = only_send(&out);
        assert_eq!(s, session);
        let ControllerMsg::AddLvap { id, lvap, .. } = msg else {
            panic!("expected AddLvap, got {msg:?}");
        };
        self.done(session, id);
        assert_eq!(self.host(client).map(|h| h.2), Some(LvapState::Active));
        lvap.bssid
    }
}

/// The messages sent.
pub(crate) fn sends(out: &[Output]) -> Vec<(SessionId, ControllerMsg)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { session, msg } => Some((*session, msg.clone())),
            _ => None,
        })
        .collect()
}

/// The one message sent.
pub(crate) fn only_send(out: &[Output]) -> (SessionId, ControllerMsg) {
    let sent = sends(out);
    assert_eq!(sent.len(), 1, "expected one message, got {out:#?}");
    sent.into_iter().next().unwrap()
}

/// The events.
pub(crate) fn events(out: &[Output]) -> Vec<ControllerEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The command result in `out`.
pub(crate) fn result_of(out: &[Output], id: CommandId) -> Option<Result<CommandOk, CommandError>> {
    events(out).into_iter().find_map(|e| match e {
        ControllerEvent::CommandResult { id: i, result } if i == id => Some(result),
        _ => None,
    })
}

pub(crate) fn spec(client: MacAddr, bssid: MacAddr, radio: RadioIndex) -> LvapSpec {
    LvapSpec {
        client,
        bssid,
        radio,
        ssid: b"odin".to_vec(),
    }
}

pub(crate) fn authorized(bssid: MacAddr, client: MacAddr, st: StationState) -> AgentMsg {
    AgentMsg::Client {
        bssid,
        client,
        event: ClientEvent::Authorized,
        station: Some(st),
    }
}

#[allow(dead_code)]
pub(crate) const SECOND: Duration = Duration::from_secs(1);
