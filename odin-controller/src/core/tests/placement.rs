//! Placement of new clients, BSSIDs, and re-serving the clients of a dead
//! agent.

use odin_proto::msg::{AgentMsg, ControllerMsg, Outcome};

use super::*;

#[test]
fn the_best_signal_within_the_window_wins() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 1, 8), radio(1, 36, 8)]);
    let c = h.up(C, vec![radio(0, 11, 8)]);
    h.at(ms(100));
    h.heard(a, 0, mac(1), -60);
    assert_eq!(h.c.poll_at(), Some(ms(150)));
    h.at(ms(110));
    h.heard(b, 0, mac(1), -55);
    h.heard(b, 1, mac(1), -50);
    h.at(ms(149));
    assert!(h.tick().is_empty());
    h.heard(c, 0, mac(1), -70);
    h.at(ms(150));
    let out = h.tick();
    assert_eq!(
        sends(&out),
        vec![(
            b,
            ControllerMsg::AddLvap {
                id: 1,
                lvap: spec(mac(1), derived(mac(1)), 1),
                station: None
            }
        )]
    );
    assert_eq!(h.host(mac(1)), Some((B.into(), 1, LvapState::Placing)));
    // A report after the window changes nothing.
    h.at(ms(151));
    h.heard(c, 0, mac(1), -20);
    h.at(ms(152));
    let out = h.done(b, 1);
    assert_eq!(
        events(&out),
        vec![ControllerEvent::LvapPlaced {
            client: mac(1),
            bssid: derived(mac(1)),
            at: RadioRef {
                agent: B.into(),
                radio: 1
            }
        }]
    );
    assert_eq!(h.host(mac(1)), Some((B.into(), 1, LvapState::Active)));
}

#[test]
fn ties_go_to_fewer_lvaps_then_to_the_name() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    // Same signal, same load: the name decides (A).
    h.heard(b, 0, mac(1), -50);
    h.heard(a, 0, mac(1), -50);
    h.at(ms(50));
    let (s, msg) = only_send(&h.tick());
    assert_eq!(s, a);
    h.done(a, msg.id().unwrap());
    // Now A hosts one: B wins the tie.
    h.heard(a, 0, mac(2), -50);
    h.heard(b, 0, mac(2), -50);
    h.at(ms(100));
    let (s, _) = only_send(&h.tick());
    assert_eq!(s, b);
}

#[test]
fn placement_respects_capacity_counting_pending_ones() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 1)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    h.heard(a, 0, mac(1), -40);
    h.at(ms(50));
    let (s, _) = only_send(&h.tick());
    assert_eq!(s, a);
    // A's one slot is taken by the LVAP being placed: mac(2) goes to B
    // although A hears it better.
    h.heard(a, 0, mac(2), -30);
    h.heard(b, 0, mac(2), -80);
    h.at(ms(100));
    let (s, _) = only_send(&h.tick());
    assert_eq!(s, b);
    // Nobody with room: dropped.
    h.heard(a, 0, mac(3), -30);
    h.at(ms(150));
    let out = h.tick();
    assert!(sends(&out).is_empty());
    assert!(
        matches!(&events(&out)[..], [ControllerEvent::PlacementFailed { client, .. }] if *client == mac(3))
    );
    assert_eq!(h.host(mac(3)), None);
}

#[test]
fn a_failure_tries_the_next_a_timeout_cleans_up_and_none_left_drops() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    let c = h.up(C, vec![radio(0, 6, 8)]);
    h.heard(a, 0, mac(1), -40);
    h.heard(b, 0, mac(1), -50);
    h.heard(c, 0, mac(1), -60);
    h.at(ms(50));
    let (s, msg) = only_send(&h.tick());
    assert_eq!(s, a);
    h.at(ms(60));
    let out = h.reply(
        a,
        msg.id().unwrap(),
        Outcome::Failed {
            reason: "no interface".into(),
        },
    );
    let (s, msg) = only_send(&out);
    assert_eq!(s, b);
    assert!(matches!(&msg, ControllerMsg::AddLvap { lvap, .. } if lvap.bssid == derived(mac(1))));
    // B does not answer: clean-up removal there, then C.
    h.at(ms(560));
    let out = h.tick();
    assert_eq!(
        sends(&out),
        vec![
            (
                b,
                ControllerMsg::RemoveLvap {
                    id: 3,
                    bssid: derived(mac(1)),
                    deauthenticate: false,
                    at: None,
                    announce: None,
                }
            ),
            (
                c,
                ControllerMsg::AddLvap {
                    id: 4,
                    lvap: spec(mac(1), derived(mac(1)), 0),
                    station: None
                }
            ),
        ]
    );
    let out = h.reply(
        c,
        4,
        Outcome::Failed {
            reason: "full".into(),
        },
    );
    assert!(matches!(
        &events(&out)[..],
        [ControllerEvent::PlacementFailed { .. }]
    ));
    assert_eq!(h.host(mac(1)), None);
    // The next probe starts over, with the same BSSID.
    h.at(ms(1000));
    h.heard(c, 0, mac(1), -60);
    h.at(ms(1050));
    let (s, msg) = only_send(&h.tick());
    assert_eq!(s, c);
    assert!(matches!(&msg, ControllerMsg::AddLvap { lvap, .. } if lvap.bssid == derived(mac(1))));
}

#[test]
fn probes_for_another_ssid_start_no_placement() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    h.msg(
        a,
        AgentMsg::ClientHeard {
            radio: 0,
            client: mac(1),
            signal_dbm: -40,
            ssid: b"other".to_vec(),
        },
    );
    h.at(ms(50));
    assert!(h.tick().is_empty());
    assert!(h.c.client(&mac(1)).is_some());
    // Unknown radio and a multicast "client" are counted and dropped.
    h.heard(a, 9, mac(2), -40);
    h.heard(a, 0, MacAddr([0x01, 0, 0x5e, 0, 0, 1]), -40);
    assert_eq!(h.c.counters().unknown_radios, 1);
    assert_eq!(h.c.counters().protocol_errors, 2);
    h.at(ms(100));
    assert!(h.tick().is_empty());
}

#[test]
fn bssids_are_stable_across_leaving_and_returning() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b1 = h.place(a, 0, mac(1));
    assert_eq!(b1, derived(mac(1)));
    // It leaves: the LVAP stays, the station state is forgotten.
    h.msg(
        a,
        AgentMsg::Client {
            bssid: b1,
            client: mac(1),
            event: ClientEvent::Left {
                reason: odin_proto::msg::LeaveReason::Disassociated,
            },
            station: None,
        },
    );
    assert_eq!(h.host(mac(1)).unwrap().2, LvapState::Active);
    // Disconnected: the LVAP goes.
    let (id, out) = h.command(Command::Disconnect { client: mac(1) });
    let (_, msg) = only_send(&out);
    assert!(
        matches!(msg, ControllerMsg::RemoveLvap { deauthenticate: true, bssid, .. } if bssid == b1)
    );
    let out = h.done(a, msg.id().unwrap());
    assert_eq!(result_of(&out, id), Some(Ok(CommandOk::Disconnected)));
    assert_eq!(h.host(mac(1)), None);
    let b2 = h.place(a, 0, mac(2));
    assert_eq!(b2, derived(mac(2)));
    // It returns: the same BSSID.
    assert_eq!(h.place(a, 0, mac(1)), b1);
}

#[test]
fn a_thousand_clients_get_a_thousand_bssids() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 2048)]);
    for n in 0..1000 {
        h.heard(a, 0, mac(n), -50);
    }
    h.at(ms(50));
    let out = h.tick();
    let sent = sends(&out);
    assert_eq!(sent.len(), 1000);
    let mut seen = BTreeSet::new();
    for (_, msg) in &sent {
        let ControllerMsg::AddLvap { id, lvap, .. } = msg else {
            panic!("{msg:?}");
        };
        assert!(lvap.bssid.is_local() && lvap.bssid.is_unicast());
        assert_eq!(&lvap.bssid.as_bytes()[..3], &[0x06, 0x0d, 0x1e]);
        assert!(seen.insert(lvap.bssid), "duplicate {}", lvap.bssid);
        h.done(a, *id);
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(
        h.c.load(&RadioRef {
            agent: A.into(),
            radio: 0
        }),
        1000
    );
}

#[test]
fn a_dead_agents_clients_are_re_served_with_their_station_state() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    let c = h.up(C, vec![radio(0, 6, 8)]);
    let b1 = h.place(a, 0, mac(1));
    let st = station(mac(1), b1);
    let out = h.msg(a, authorized(b1, mac(1), st.clone()));
    assert_eq!(
        events(&out),
        vec![ControllerEvent::ClientAuthorized {
            client: mac(1),
            agent: A.into()
        }]
    );
    // A second client nobody else hears.
    let b2 = h.place(a, 0, mac(2));
    // B and C hear mac(1); C better.
    h.at(ms(1000));
    h.heard(b, 0, mac(1), -70);
    h.heard(c, 0, mac(1), -65);
    h.msg(b, AgentMsg::Heartbeat { seq: 1 });
    h.msg(c, AgentMsg::Heartbeat { seq: 1 });
    h.at(ms(3099));
    assert!(h.tick().is_empty());
    h.at(ms(3100));
    let out = h.tick();
    assert!(events(&out).contains(&ControllerEvent::AgentDown {
        agent: A.into(),
        reason: DownReason::HeartbeatTimeout
    }));
    assert!(events(&out).contains(&ControllerEvent::LvapOrphaned {
        client: mac(2),
        bssid: b2
    }));
    let (s, msg) = only_send(&out);
    assert_eq!(s, c);
    let ControllerMsg::AddLvap { id, lvap, station } = msg else {
        panic!()
    };
    assert_eq!(lvap, spec(mac(1), b1, 0));
    assert_eq!(station, Some(st.clone()));
    let (s, msg) = only_send(&h.done(c, id));
    assert_eq!(s, c);
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { bssid, .. } if bssid == b1));
    let out = h.done(c, msg.id().unwrap());
    assert!(events(&out).contains(&ControllerEvent::LvapPlaced {
        client: mac(1),
        bssid: b1,
        at: RadioRef {
            agent: C.into(),
            radio: 0
        }
    }));
    assert_eq!(h.host(mac(1)), Some((C.into(), 0, LvapState::Active)));
    // The orphan waits until it is heard again: then placed with its BSSID.
    assert_eq!(h.host(mac(2)), None);
    h.msg(b, AgentMsg::Heartbeat { seq: 2 });
    h.heard(b, 0, mac(2), -60);
    h.at(ms(3150));
    let (s, msg) = only_send(&h.tick());
    assert_eq!(s, b);
    assert!(matches!(msg, ControllerMsg::AddLvap { lvap, station: None, .. } if lvap.bssid == b2));
}

#[test]
fn a_custom_placement_strategy_decides() {
    #[derive(Debug)]
    struct Last;
    impl Placement for Last {
        fn rank(&mut self, _client: MacAddr, mut c: Vec<Candidate>) -> Vec<Candidate> {
            c.sort_by(|a, b| b.at.cmp(&a.at));
            // Also suggests a radio that is not a candidate: ignored.
            c.insert(
                0,
                Candidate {
                    at: RadioRef {
                        agent: "ghost".into(),
                        radio: 0,
                    },
                    signal_dbm: 0,
                    heard_at: Instant::ZERO,
                    load: 0,
                    max_lvaps: 1,
                    channel: 1,
                },
            );
            c
        }
    }
    let mut h = H {
        c: Controller::with_placement(ControllerConfig::default(), Box::new(Last)),
        ..H::new()
    };
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    h.heard(a, 0, mac(1), -30);
    h.heard(b, 0, mac(1), -90);
    h.at(ms(50));
    let (s, _) = only_send(&h.tick());
    assert_eq!(s, b);
}

#[test]
fn a_client_that_is_gone_loses_its_lvap_but_not_its_bssid() {
    use odin_proto::msg::LeaveReason;
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    for (n, reason) in [
        (1, LeaveReason::Deauthenticated),
        (2, LeaveReason::Inactive),
        (3, LeaveReason::AuthTimeout),
    ] {
        let bssid = h.place(a, 0, mac(n));
        let left = AgentMsg::Client {
            bssid,
            client: mac(n),
            event: ClientEvent::Left { reason },
            station: None,
        };
        let out = h.msg(a, left);
        let (s, msg) = only_send(&out);
        assert_eq!(s, a);
        assert!(
            matches!(msg, ControllerMsg::RemoveLvap { bssid: b, deauthenticate: false, .. } if b == bssid),
            "{reason:?}: {msg:?}"
        );
        assert_eq!(h.host(mac(n)), None, "{reason:?}");
        h.done(a, msg.id().unwrap());
        // Back again: the same BSSID.
        assert_eq!(h.place(a, 0, mac(n)), bssid, "{reason:?}");
    }
}
