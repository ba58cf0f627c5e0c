//! Random sequences of inputs: the core never panics and keeps its
//! invariants.

use odin_proto::msg::{AgentMsg, ClientEvent, ControllerMsg, LeaveReason, Outcome};
use proptest::prelude::*;

use super::*;

const AGENTS: [&str; 3] = [A, B, C];

#[derive(Debug, Clone)]
enum Op {
    Open(usize),
    Hello {
        agent: usize,
        max: [u32; 2],
        reported: Vec<(u16, u32, u32)>,
        version_ok: bool,
    },
    Close(usize),
    Heard {
        agent: usize,
        radio: u32,
        client: u16,
        signal: i8,
    },
    /// Answers the k-th pending request.
    Answer {
        k: usize,
        outcome: u8,
    },
    /// A result with a random id on an agent's session.
    Random {
        agent: usize,
        id: u64,
        outcome: u8,
    },
    Authorized {
        agent: usize,
        client: u16,
    },
    Left {
        agent: usize,
        client: u16,
    },
    Handoff {
        client: u16,
        agent: usize,
        radio: Option<u32>,
    },
    Disconnect(u16),
    SetChannel {
        agent: usize,
        channel: u8,
    },
    Heartbeat(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let agent = 0..AGENTS.len();
    let client = 0u16..6;
    prop_oneof![
        1 => agent.clone().prop_map(Op::Open),
        2 => (
            agent.clone(),
            [0u32..4, 0u32..4],
            prop::collection::vec((0u16..6, 0u32..8, 0u32..3), 0..4),
            prop::bool::weighted(0.9)
        )
            .prop_map(|(agent, max, reported, version_ok)| Op::Hello {
                agent,
                max,
                reported,
                version_ok
            }),
        1 => agent.clone().prop_map(Op::Close),
        6 => (agent.clone(), 0u32..3, client.clone(), -90i8..-20).prop_map(
            |(agent, radio, client, signal)| Op::Heard {
                agent,
                radio,
                client,
                signal
            }
        ),
        12 => (0usize..8, 0u8..8).prop_map(|(k, outcome)| Op::Answer { k, outcome }),
        1 => (agent.clone(), 0u64..80, 0u8..4).prop_map(|(agent, id, outcome)| Op::Random {
            agent,
            id,
            outcome
        }),
        1 => (agent.clone(), client.clone()).prop_map(|(agent, client)| Op::Authorized { agent, client }),
        1 => (agent.clone(), client.clone()).prop_map(|(agent, client)| Op::Left { agent, client }),
        5 => (client.clone(), agent.clone(), prop::option::of(0u32..3)).prop_map(
            |(client, agent, radio)| Op::Handoff {
                client,
                agent,
                radio
            }
        ),
        1 => client.clone().prop_map(Op::Disconnect),
        1 => (agent.clone(), prop::sample::select(vec![1u8, 6, 11, 13])).prop_map(|(agent, channel)| {
            Op::SetChannel { agent, channel }
        }),
        4 => agent.clone().prop_map(Op::Heartbeat),
        1 => (0u64..1200).prop_map(Op::Advance),
        6 => (0u64..120).prop_map(Op::Advance),
    ]
}

fn outcome(n: u8, client: MacAddr, bssid: MacAddr) -> Outcome {
    match n {
        0..=3 => Outcome::Done,
        4 => Outcome::Failed {
            reason: "random".into(),
        },
        _ => Outcome::Station {
            station: station(client, bssid),
        },
    }
}

struct Model {
    h: H,
    sessions: [Option<SessionId>; 3],
    next: u64,
}

impl Model {
    fn run(&mut self, op: Op) {
        let out = match op {
            Op::Open(agent) => {
                let session = SessionId(self.next);
                self.next += 1;
                self.sessions[agent] = Some(session);
                self.h.input(Input::AgentUp {
                    session,
                    agent: AGENTS[agent].into(),
                })
            }
            Op::Hello {
                agent,
                max,
                reported,
                version_ok,
            } => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                let lvaps = reported
                    .into_iter()
                    .map(|(client, b, radio)| LvapStatus {
                        lvap: spec(mac(client), bssid(b), radio),
                        station: Some(station(mac(client), bssid(b))),
                    })
                    .collect();
                self.h.msg(
                    session,
                    AgentMsg::Hello {
                        version: if version_ok { PROTOCOL_VERSION } else { 0 },
                        software: String::new(),
                        radios: vec![radio(0, 6, max[0]), radio(1, 36, max[1])],
                        lvaps,
                    },
                )
            }
            Op::Close(agent) => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                self.h.input(Input::AgentDown { session })
            }
            Op::Heard {
                agent,
                radio,
                client,
                signal,
            } => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                self.h.heard(session, radio, mac(client), signal)
            }
            Op::Answer { k, outcome: n } => {
                let Some((id, session)) = self
                    .h
                    .c
                    .pending
                    .iter()
                    .nth(k % self.h.c.pending.len().max(1))
                    .map(|(id, p)| (*id, p.session))
                else {
                    return;
                };
                // An export answered with success carries a station.
                let export =
                    self.h.c.handoffs.values().find(|h| {
                        h.request == id && h.phase == crate::core::handoff::Phase::Export
                    });
                let answer = match (export, outcome(n, mac(0), bssid(1))) {
                    (Some(h), Outcome::Done) => Outcome::Station {
                        station: station(h.client, h.bssid),
                    },
                    (_, other) => other,
                };
                self.h.reply(session, id, answer)
            }
            Op::Random {
                agent,
                id,
                outcome: n,
            } => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                self.h.reply(session, id, outcome(n, mac(1), bssid(1)))
            }
            Op::Authorized { agent, client } => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                let b = self
                    .h
                    .c
                    .client(&mac(client))
                    .and_then(|c| c.bssid)
                    .unwrap_or(bssid(3));
                self.h
                    .msg(session, authorized(b, mac(client), station(mac(client), b)))
            }
            Op::Left { agent, client } => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                let b = self
                    .h
                    .c
                    .client(&mac(client))
                    .and_then(|c| c.bssid)
                    .unwrap_or(bssid(3));
                self.h.msg(
                    session,
                    AgentMsg::Client {
                        bssid: b,
                        client: mac(client),
                        event: ClientEvent::Left {
                            reason: LeaveReason::Inactive,
                        },
                        station: None,
                    },
                )
            }
            Op::Handoff {
                client,
                agent,
                radio,
            } => {
                self.h
                    .command(Command::Handoff {
                        client: mac(client),
                        to_agent: AGENTS[agent].into(),
                        to_radio: radio,
                        cause: "prop".into(),
                    })
                    .1
            }
            Op::Disconnect(client) => {
                self.h
                    .command(Command::Disconnect {
                        client: mac(client),
                    })
                    .1
            }
            Op::SetChannel { agent, channel } => {
                self.h
                    .command(Command::SetChannel {
                        agent: AGENTS[agent].into(),
                        radio: 0,
                        channel,
                    })
                    .1
            }
            Op::Heartbeat(agent) => {
                let Some(session) = self.sessions[agent] else {
                    return;
                };
                self.h.msg(session, AgentMsg::Heartbeat { seq: 0 })
            }
            Op::Advance(millis) => {
                let t = self.h.now + Duration::from_millis(millis);
                self.h.at(t);
                self.h.tick()
            }
        };
        check_outputs(&self.h.c, &out);
    }
}

/// Every message goes to a live session or one closed right after it.
fn check_outputs(c: &Controller, out: &[Output]) {
    for (i, o) in out.iter().enumerate() {
        if let Output::Send { session, msg } = o {
            let closed_after = out[i..]
                .iter()
                .any(|o| matches!(o, Output::Close { session: s, .. } if s == session));
            assert!(
                c.sessions.contains_key(session) || closed_after,
                "{msg:?} sent to dead {session:?}"
            );
            if let ControllerMsg::AddLvap { lvap, .. } = msg {
                assert!(lvap.bssid.is_local() && lvap.bssid.is_unicast());
            }
        }
    }
}

/// 512 cases, or `ODIN_PROPTEST_CASES` for a longer hunt.
fn cases() -> u32 {
    std::env::var("ODIN_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_inputs_keep_the_invariants(ops in prop::collection::vec(op(), 1..120)) {
        let mut m = Model { h: H::new(), sessions: [None; 3], next: 1 };
        for (i, name) in AGENTS.iter().enumerate() {
            m.sessions[i] = Some(m.h.up(name, vec![radio(0, 6, 2), radio(1, 36, 1)]));
            m.next += 1;
        }
        for op in ops {
            m.run(op);
        }
        // Time heals: after every deadline passed, nothing waits forever.
        for _ in 0..20 {
            match m.h.c.poll_at() {
                Some(t) => {
                    m.h.at(t.max(m.h.now));
                    m.h.tick();
                }
                None => break,
            }
        }
        prop_assert!(m.h.c.handoffs.is_empty());
        prop_assert_eq!(m.h.c.pending_requests(), 0);
    }
}
