//! Sessions: hello, version, heartbeats, results, subscriptions, stats,
//! channel changes.

use odin_proto::msg::{
    AgentMsg, ClientStats, ControllerMsg, DropCount, Outcome, RadioStats, Relation, Statistic,
};

use super::*;

#[test]
fn hello_brings_the_agent_up() {
    let mut h = H::new();
    let s = h.open(A);
    assert!(!h.c.is_up(A));
    assert_eq!(h.c.poll_at(), Some(ms(3000)), "hello deadline");
    h.at(ms(10));
    let out = h.hello(s, vec![radio(0, 6, 8)], vec![]);
    assert!(h.c.is_up(A));
    let ev = events(&out);
    assert!(
        matches!(&ev[0], ControllerEvent::AgentUp { agent, radios, .. } if agent == A && radios.len() == 1)
    );
    assert_eq!(
        ev[1],
        ControllerEvent::Reconciled {
            agent: A.into(),
            kept: 0,
            adopted: 0,
            removed: 0,
            re_added: 0
        }
    );
    assert!(sends(&out).is_empty());
    assert_eq!(h.c.poll_at(), Some(ms(3010)));
}

#[test]
fn an_accepted_hello_is_answered_with_the_network_settings() {
    let mut h = H::with(ControllerConfig {
        ssid: b"campus".to_vec(),
        bssid_key: [5; 16],
        ..ControllerConfig::default()
    });
    let s = h.open(A);
    let out = h.msg(
        s,
        AgentMsg::Hello {
            version: PROTOCOL_VERSION,
            software: "odin-agent test".into(),
            radios: vec![radio(0, 6, 8)],
            lvaps: vec![],
        },
    );
    let plan = odin_proto::BssidPlan::new([0x06, 0x0d, 0x1e], [5; 16]).unwrap();
    assert_eq!(
        sends(&out),
        vec![(
            s,
            ControllerMsg::Network {
                ssid: b"campus".to_vec(),
                bssids: plan.clone()
            }
        )]
    );
    // The client then gets the BSSID the agents derive.
    let placed = h.place(s, 0, mac(1));
    assert_eq!(placed, plan.derive(mac(1)));
    assert_eq!(h.c.counters().bssid_collisions, 0);
}

#[test]
fn version_mismatch_gets_an_error_and_the_connection_closed() {
    let mut h = H::new();
    let s = h.open(A);
    let out = h.msg(
        s,
        AgentMsg::Hello {
            version: PROTOCOL_VERSION + 1,
            software: "future".into(),
            radios: vec![radio(0, 6, 8)],
            lvaps: vec![],
        },
    );
    assert!(
        matches!(&out[0], Output::Send { session, msg: ControllerMsg::Error { id: None, message } }
        if *session == s && message.contains("not supported"))
    );
    assert!(matches!(&out[1], Output::Close { session, .. } if *session == s));
    assert_eq!(
        events(&out),
        vec![ControllerEvent::AgentDown {
            agent: A.into(),
            reason: DownReason::VersionMismatch {
                version: PROTOCOL_VERSION + 1
            }
        }]
    );
    assert!(!h.c.is_up(A));
    assert_eq!(h.c.counters().version_mismatches, 1);
    // Later messages on the closed session are counted and dropped.
    let out = h.msg(s, AgentMsg::Heartbeat { seq: 1 });
    assert!(out.is_empty());
    assert_eq!(h.c.counters().unknown_sessions, 1);
    assert_eq!(h.c.poll_at(), None);
}

#[test]
fn messages_before_hello_close_the_session() {
    for msg in [
        AgentMsg::Heartbeat { seq: 0 },
        AgentMsg::Result {
            id: 1,
            outcome: Outcome::Done,
        },
        AgentMsg::Auth {
            agent: A.into(),
            nonce: "00".into(),
            proof: "00".into(),
        },
    ] {
        let mut h = H::new();
        let s = h.open(A);
        let out = h.msg(s, msg);
        assert!(
            matches!(&out[0], Output::Send { msg: ControllerMsg::Error { message, .. }, .. }
            if message.contains("before hello"))
        );
        assert!(matches!(&out[1], Output::Close { .. }));
        assert_eq!(h.c.counters().before_hello, 1);
        assert_eq!(h.c.counters().protocol_errors, 1);
        assert!(!h.c.is_up(A));
    }
}

#[test]
fn heartbeat_timeout_at_the_exact_deadline() {
    let mut h = H::new();
    let s = h.up(A, vec![radio(0, 6, 8)]);
    h.at(ms(1000));
    h.msg(s, AgentMsg::Heartbeat { seq: 1 });
    assert_eq!(h.c.poll_at(), Some(ms(4000)));
    h.at(Instant::from_micros(3_999_999));
    assert!(h.tick().is_empty());
    assert!(h.c.is_up(A));
    h.at(ms(4000));
    let out = h.tick();
    assert_eq!(
        out,
        vec![
            Output::Close {
                session: s,
                reason: "heartbeat timeout".into()
            },
            Output::Event(ControllerEvent::AgentDown {
                agent: A.into(),
                reason: DownReason::HeartbeatTimeout
            })
        ]
    );
    assert!(!h.c.is_up(A));
    assert_eq!(h.c.poll_at(), None);
}

#[test]
fn any_message_counts_as_a_heartbeat() {
    let mut h = H::new();
    let s = h.up(A, vec![radio(0, 6, 8)]);
    h.at(ms(2500));
    h.heard(s, 0, mac(1), -70);
    h.at(ms(5000));
    // The client's placement window closed long ago: AddLvap goes out.
    let out = h.tick();
    assert_eq!(sends(&out).len(), 1);
    assert!(h.c.is_up(A));
    h.at(ms(5500));
    assert!(h.tick().iter().any(|o| matches!(o, Output::Close { .. })));
}

#[test]
fn hello_timeout() {
    let mut h = H::new();
    h.open(A);
    h.at(ms(3000));
    let out = h.tick();
    assert!(events(&out).contains(&ControllerEvent::AgentDown {
        agent: A.into(),
        reason: DownReason::HelloTimeout
    }));
}

#[test]
fn unknown_result_ids_are_ignored_and_counted() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    h.heard(a, 0, mac(1), -50);
    h.at(ms(50));
    let (_, msg) = only_send(&h.tick());
    let id = msg.id().unwrap();
    // Unknown id, and the right id on the wrong session.
    assert!(h.done(a, 999).is_empty());
    assert!(h.done(b, id).is_empty());
    assert_eq!(h.c.counters().unknown_results, 2);
    assert_eq!(h.host(mac(1)).unwrap().2, LvapState::Placing);
    h.done(a, id);
    assert_eq!(h.host(mac(1)).unwrap().2, LvapState::Active);
    // A duplicate answer is unknown too.
    h.done(a, id);
    assert_eq!(h.c.counters().unknown_results, 3);
}

#[test]
fn a_second_hello_is_an_error_but_keeps_the_session() {
    let mut h = H::new();
    let s = h.up(A, vec![radio(0, 6, 8)]);
    let out = h.hello(s, vec![], vec![]);
    assert!(matches!(
        &out[..],
        [Output::Send {
            msg: ControllerMsg::Error { .. },
            ..
        }]
    ));
    assert!(h.c.is_up(A));
    assert_eq!(h.c.agents()[A].radios.len(), 1);
}

#[test]
fn a_new_connection_replaces_the_old_one() {
    let mut h = H::new();
    let s1 = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.place(s1, 0, mac(1));
    h.at(ms(100));
    let s2 = SessionId(100);
    let out = h.input(Input::AgentUp {
        session: s2,
        agent: A.into(),
    });
    assert_eq!(
        out,
        vec![
            Output::Close {
                session: s1,
                reason: "replaced by a new connection".into()
            },
            Output::Event(ControllerEvent::AgentDown {
                agent: A.into(),
                reason: DownReason::Replaced
            })
        ]
    );
    // The LVAP stays put, waiting for the new hello.
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
    let out = h.hello(
        s2,
        vec![radio(0, 6, 8)],
        vec![LvapStatus {
            lvap: spec(mac(1), b, 0),
            station: None,
        }],
    );
    assert!(sends(&out).is_empty());
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ControllerEvent::Reconciled { kept: 1, .. })));
    // The old session is gone: its messages are dropped.
    assert!(h.msg(s1, AgentMsg::Heartbeat { seq: 9 }).is_empty());
}

#[test]
fn subscriptions_go_to_every_agent_now_and_later() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let spec = SubscriptionSpec {
        client: None,
        statistic: Statistic::SignalDbm,
        relation: Relation::Below,
        threshold: -75.0,
        hysteresis: 3.0,
        min_interval_ms: 1000,
    };
    let (id, out) = h.command(Command::Subscribe(spec.clone()));
    assert_eq!(
        result_of(&out, id),
        Some(Ok(CommandOk::Subscribed { subscription: 1 }))
    );
    let (s, msg) = only_send(&out);
    assert_eq!(s, a);
    let ControllerMsg::Subscribe {
        id: rid,
        subscription,
    } = msg
    else {
        panic!("{msg:?}");
    };
    assert_eq!(subscription.id, 1);
    assert_eq!(subscription.threshold, -75.0);
    h.done(a, rid);
    // An agent coming up later gets it with its hello.
    let b = h.open(B);
    let out = h.hello(b, vec![radio(0, 1, 8)], vec![]);
    assert!(
        matches!(&sends(&out)[..], [(s, ControllerMsg::Subscribe { subscription, .. })] if *s == b && subscription.id == 1)
    );
    // A match becomes an event.
    let out = h.msg(
        a,
        AgentMsg::Matched {
            subscription: 1,
            client: mac(5),
            radio: 0,
            value: -80.0,
        },
    );
    assert_eq!(
        events(&out),
        vec![ControllerEvent::SubscriptionMatched {
            agent: A.into(),
            subscription: 1,
            client: mac(5),
            radio: 0,
            value: -80.0
        }]
    );
    // Removal goes to every up agent; later matches are dropped.
    let (id, out) = h.command(Command::Unsubscribe(1));
    assert_eq!(result_of(&out, id), Some(Ok(CommandOk::Unsubscribed)));
    assert_eq!(sends(&out).len(), 2);
    assert!(sends(&out).iter().all(|(_, m)| matches!(
        m,
        ControllerMsg::Unsubscribe {
            subscription: 1,
            ..
        }
    )));
    assert!(h
        .msg(
            a,
            AgentMsg::Matched {
                subscription: 1,
                client: mac(5),
                radio: 0,
                value: -80.0
            }
        )
        .is_empty());
    let (id, out) = h.command(Command::Unsubscribe(1));
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownSubscription(1)))
    );
    let (id, out) = h.command(Command::Subscribe(SubscriptionSpec {
        threshold: f64::NAN,
        ..spec
    }));
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::InvalidSubscription))
    );
}

#[test]
fn stats_are_kept_and_feed_the_signal_table() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    h.place(a, 0, mac(1));
    h.at(ms(2000));
    let client_stats = ClientStats {
        client: mac(1),
        radio: 0,
        signal_dbm: Some(-61),
        served: true,
        rx_bytes: 1000,
        tx_bytes: 2000,
        inactive_ms: 200,
        tx_rate_kbps: Some(54_000),
        rx_rate_kbps: None,
    };
    let radio_stats = RadioStats {
        radio: 0,
        channel: 11,
        lvaps: 1,
        utilization: Some(0.25),
    };
    h.msg(
        a,
        AgentMsg::Stats {
            clients: vec![client_stats.clone()],
            radios: vec![
                radio_stats.clone(),
                RadioStats {
                    radio: 7,
                    ..radio_stats.clone()
                },
            ],
            drops: vec![],
        },
    );
    let at = RadioRef {
        agent: A.into(),
        radio: 0,
    };
    let c = h.c.client(&mac(1)).unwrap();
    assert_eq!(c.stats[&at], (client_stats, ms(2000)));
    assert_eq!(
        c.signals[&at],
        Heard {
            signal_dbm: -61,
            at: ms(1800)
        }
    );
    let r = &h.c.agents()[A].radios[&0];
    assert_eq!(r.stats, Some((radio_stats, ms(2000))));
    assert_eq!(r.info.channel, 11);
    assert_eq!(h.c.counters().unknown_radios, 1);
}

#[test]
fn dropped_frames_only_grow_even_when_an_agent_starts_counting_again() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let stats = |pairs: &[(&str, u64)]| AgentMsg::Stats {
        clients: vec![],
        radios: vec![],
        drops: pairs
            .iter()
            .map(|(cause, frames)| DropCount {
                cause: (*cause).into(),
                frames: *frames,
            })
            .collect(),
    };
    let dropped = |h: &H| h.c.agents()[A].frames_dropped.clone();
    h.msg(a, stats(&[("duplicate", 5), ("no_lvap", 2)]));
    h.msg(a, stats(&[("duplicate", 7), ("no_lvap", 2)]));
    assert_eq!(
        dropped(&h),
        [("duplicate".to_string(), 7), ("no_lvap".to_string(), 2)].into()
    );
    // The agent restarted: its counts begin again; ours go on.
    h.msg(a, stats(&[("duplicate", 1)]));
    h.msg(a, stats(&[("duplicate", 4), ("no_lvap", 1)]));
    assert_eq!(
        dropped(&h),
        [("duplicate".to_string(), 11), ("no_lvap".to_string(), 3)].into()
    );
}

#[test]
fn set_channel() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let (id, out) = h.command(Command::SetChannel {
        agent: A.into(),
        radio: 0,
        channel: 11,
    });
    assert_eq!(result_of(&out, id), None);
    let (_, msg) = only_send(&out);
    assert!(matches!(
        msg,
        ControllerMsg::SetChannel {
            radio: 0,
            channel: 11,
            ..
        }
    ));
    let out = h.done(a, msg.id().unwrap());
    assert_eq!(result_of(&out, id), Some(Ok(CommandOk::ChannelSet)));
    assert_eq!(h.c.agents()[A].radios[&0].info.channel, 11);
    let (id, out) = h.command(Command::SetChannel {
        agent: A.into(),
        radio: 0,
        channel: 13,
    });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::InvalidChannel(13)))
    );
    let (id, out) = h.command(Command::SetChannel {
        agent: "nope".into(),
        radio: 0,
        channel: 1,
    });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownAgent("nope".into())))
    );
    // A timeout answers the command too.
    let (id, out) = h.command(Command::SetChannel {
        agent: A.into(),
        radio: 0,
        channel: 1,
    });
    assert_eq!(sends(&out).len(), 1);
    h.at(ms(500));
    let out = h.tick();
    assert_eq!(result_of(&out, id), Some(Err(CommandError::Timeout)));
    assert_eq!(h.c.counters().timeouts, 1);
}
