//! Handoffs: the four steps, a failure or timeout at each, agents going
//! down mid-way, refusals.

use std::time::Duration;

use odin_proto::msg::{AgentMsg, ChannelAnnouncement, ControllerMsg, Outcome, SwitchTime};

use super::*;

/// A and B up (one radio each, channel 6); mac(1) served by A with a
/// cached station; the time is 1 s.
struct Setup {
    h: H,
    a: SessionId,
    b: SessionId,
    bssid: MacAddr,
    st: StationState,
}

fn setup() -> Setup {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    let bssid = h.place(a, 0, mac(1));
    let st = station(mac(1), bssid);
    h.msg(a, authorized(bssid, mac(1), st.clone()));
    h.at(ms(1000));
    h.heard(b, 0, mac(1), -55);
    Setup { h, a, b, bssid, st }
}

fn handoff_to(h: &mut H, agent: &str) -> (CommandId, Vec<Output>) {
    h.command(Command::Handoff {
        client: mac(1),
        to_agent: agent.into(),
        to_radio: None,
        cause: "test".into(),
    })
}

/// The exported state differs from the cached one (a later sequence
/// number): the handoff must carry the fresh one.
fn exported(st: &StationState) -> StationState {
    StationState {
        last_rx_seq: Some(99),
        ..st.clone()
    }
}

fn failed(out: &[Output]) -> (HandoffStep, Rollback) {
    events(out)
        .into_iter()
        .find_map(|e| match e {
            ControllerEvent::HandoffFailed { step, rollback, .. } => Some((step, rollback)),
            _ => None,
        })
        .expect("a HandoffFailed event")
}

/// Runs steps 1 (at 1002 ms) and 2 (sent then); returns the id of step 2.
fn through_export(s: &mut Setup) -> RequestId {
    let (_, out) = handoff_to(&mut s.h, B);
    let (_, export) = only_send(&out);
    s.h.at(ms(1002));
    let out = s.h.reply(
        s.a,
        export.id().unwrap(),
        Outcome::Station {
            station: exported(&s.st),
        },
    );
    only_send(&out).1.id().unwrap()
}

/// The switch's two messages, in this order: the removal at the source
/// and the authorization at the target; their ids.
fn switch_sends(s: &Setup, out: &[Output]) -> (RequestId, RequestId) {
    let sent = sends(out);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        matches!(&sent[0], (sess, ControllerMsg::RemoveLvap { deauthenticate: false, bssid, .. }) if *sess == s.a && *bssid == s.bssid),
        "{sent:#?}"
    );
    assert!(
        matches!(&sent[1], (sess, ControllerMsg::AuthorizeLvap { bssid, .. }) if *sess == s.b && *bssid == s.bssid),
        "{sent:#?}"
    );
    (sent[0].1.id().unwrap(), sent[1].1.id().unwrap())
}

/// Runs steps 1-2 and sends the switch (steps 3 and 4, at 1007 ms);
/// returns the ids of the removal and the authorization.
fn through_add(s: &mut Setup) -> (RequestId, RequestId) {
    let add = through_export(s);
    s.h.at(ms(1007));
    let out = s.h.done(s.b, add);
    switch_sends(s, &out)
}

/// Runs steps 1-2, the switch, and answers the removal (at 1010 ms); the
/// authorization (still unanswered) is step 4 now: returns its id.
fn through_remove(s: &mut Setup) -> RequestId {
    let (remove, authorize) = through_add(s);
    s.h.at(ms(1010));
    assert!(sends(&s.h.done(s.a, remove)).is_empty());
    authorize
}

#[test]
fn a_full_migration_with_exact_step_durations() {
    let mut s = setup();
    let (cmd, out) = handoff_to(&mut s.h, B);
    let from = RadioRef {
        agent: A.into(),
        radio: 0,
    };
    let to = RadioRef {
        agent: B.into(),
        radio: 0,
    };
    assert!(events(&out).contains(&ControllerEvent::HandoffStarted {
        handoff: HandoffId(1),
        command: cmd,
        client: mac(1),
        from: from.clone(),
        to: to.clone(),
        cause: "test".into(),
        by: Origin::Api,
    }));
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(matches!(msg, ControllerMsg::ExportLvap { bssid, .. } if bssid == s.bssid));
    assert_eq!(h_load(&s.h, B), 1, "the target's slot is reserved");

    s.h.at(ms(1002));
    let out = s.h.reply(
        s.a,
        msg.id().unwrap(),
        Outcome::Station {
            station: exported(&s.st),
        },
    );
    assert!(events(&out).contains(&ControllerEvent::HandoffStepDone {
        handoff: HandoffId(1),
        step: HandoffStep::Export,
        micros: 2000
    }));
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    let ControllerMsg::AddLvap { id, lvap, station } = msg else {
        panic!("{msg:?}")
    };
    assert_eq!(lvap, spec(mac(1), s.bssid, 0));
    assert_eq!(station, Some(exported(&s.st)));

    s.h.at(ms(1007));
    let out = s.h.done(s.b, id);
    // The switch: both at once; without a wall clock, on receipt, and on
    // the same channel, no announcement.
    let (remove, authorize) = switch_sends(&s, &out);
    for (_, msg) in sends(&out) {
        assert!(matches!(
            msg,
            ControllerMsg::RemoveLvap {
                at: None,
                announce: None,
                ..
            } | ControllerMsg::AuthorizeLvap { at: None, .. }
        ));
    }
    assert_eq!(
        s.h.host(mac(1)),
        Some((A.into(), 0, LvapState::Migrating(HandoffId(1))))
    );

    s.h.at(ms(1010));
    let out = s.h.done(s.a, remove);
    assert!(sends(&out).is_empty(), "step 4 was sent with step 3");
    assert_eq!(
        s.h.host(mac(1)),
        Some((B.into(), 0, LvapState::Migrating(HandoffId(1))))
    );
    assert_eq!(
        h_load(&s.h, A),
        1,
        "the source's slot is held for a rollback"
    );
    assert_eq!(h_load(&s.h, B), 1);

    s.h.at(ms(1014));
    let out = s.h.done(s.b, authorize);
    // Steps 3 and 4 are timed from the switch's sending.
    let durations = StepDurations {
        export_us: Some(2000),
        add_us: Some(5000),
        remove_us: Some(3000),
        authorize_us: Some(7000),
        switch_lead_us: None,
        total_us: 14_000,
    };
    assert!(events(&out).contains(&ControllerEvent::HandoffCompleted {
        handoff: HandoffId(1),
        client: mac(1),
        from,
        to,
        durations,
        cause: "test".into(),
        by: Origin::Api,
    }));
    assert_eq!(
        result_of(&out, cmd),
        Some(Ok(CommandOk::HandoffCompleted {
            handoff: HandoffId(1),
            durations
        }))
    );
    assert!(sends(&out).is_empty());
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
    assert_eq!(
        s.h.c.client(&mac(1)).unwrap().station,
        Some(exported(&s.st))
    );
    assert_eq!(s.h.c.pending_requests(), 0);
    assert_eq!(h_load(&s.h, A), 0);
}

fn h_load(h: &H, agent: &str) -> u32 {
    h.c.load(&RadioRef {
        agent: agent.into(),
        radio: 0,
    })
}

#[test]
fn step_1_failure_or_timeout_undoes_nothing() {
    for timeout in [false, true] {
        let mut s = setup();
        let (cmd, out) = handoff_to(&mut s.h, B);
        let id = only_send(&out).1.id().unwrap();
        let out = if timeout {
            s.h.at(ms(1499));
            assert!(s.h.tick().is_empty());
            s.h.at(ms(1500));
            s.h.tick()
        } else {
            s.h.reply(
                s.a,
                id,
                Outcome::Failed {
                    reason: "no".into(),
                },
            )
        };
        assert!(sends(&out).is_empty());
        assert_eq!(failed(&out), (HandoffStep::Export, Rollback::Nothing));
        assert!(matches!(
            result_of(&out, cmd),
            Some(Err(CommandError::HandoffFailed {
                step: HandoffStep::Export,
                ..
            }))
        ));
        assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
        assert_eq!(h_load(&s.h, B), 0);
    }
}

#[test]
fn step_2_failure_or_timeout_removes_at_the_target() {
    for timeout in [false, true] {
        let mut s = setup();
        let add = through_export(&mut s);
        let out = if timeout {
            s.h.at(ms(1502));
            s.h.tick()
        } else {
            s.h.reply(
                s.b,
                add,
                Outcome::Failed {
                    reason: "no".into(),
                },
            )
        };
        let (sess, msg) = only_send(&out);
        assert_eq!(sess, s.b);
        assert!(
            matches!(msg, ControllerMsg::RemoveLvap { deauthenticate: false, bssid, .. } if bssid == s.bssid)
        );
        assert_eq!(
            failed(&out),
            (HandoffStep::AddAtTarget, Rollback::RemovedAtTarget)
        );
        assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
        // The fresher exported state is kept.
        assert_eq!(
            s.h.c.client(&mac(1)).unwrap().station,
            Some(exported(&s.st))
        );
    }
}

#[test]
fn step_3_failure_keeps_the_source_and_removes_the_target() {
    let mut s = setup();
    let (remove, _) = through_add(&mut s);
    let out = s.h.reply(
        s.a,
        remove,
        Outcome::Failed {
            reason: "busy".into(),
        },
    );
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    assert!(matches!(
        msg,
        ControllerMsg::RemoveLvap {
            deauthenticate: false,
            ..
        }
    ));
    assert_eq!(
        failed(&out),
        (HandoffStep::RemoveAtSource, Rollback::RemovedAtTarget)
    );
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn step_3_timeout_retries_then_declares_the_source_down_and_finishes_forward() {
    let mut s = setup();
    let (first, _) = through_add(&mut s);
    // Keep B alive through the retries.
    s.h.at(ms(1507));
    let out = s.h.tick();
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(
        matches!(msg, ControllerMsg::RemoveLvap { id, deauthenticate: false, .. } if id != first)
    );
    // A late answer to the first attempt is unknown now.
    s.h.msg(s.b, AgentMsg::Heartbeat { seq: 1 });
    s.h.at(ms(2007));
    let out = s.h.tick();
    assert!(matches!(only_send(&out), (sess, ControllerMsg::RemoveLvap { .. }) if sess == s.a));
    // Never authorized at the target while the source may serve.
    s.h.at(ms(2507));
    let out = s.h.tick();
    assert!(out.contains(&Output::Close {
        session: s.a,
        reason: "unresponsive to commands".into()
    }));
    assert!(events(&out).contains(&ControllerEvent::AgentDown {
        agent: A.into(),
        reason: DownReason::Unresponsive
    }));
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { .. }));
    assert_eq!(s.h.host(mac(1)).unwrap().0, B);
    s.h.at(ms(2510));
    let out = s.h.done(s.b, msg.id().unwrap());
    let done = events(&out).into_iter().find_map(|e| match e {
        ControllerEvent::HandoffCompleted { durations, .. } => Some(durations),
        _ => None,
    });
    assert_eq!(
        done,
        Some(StepDurations {
            export_us: Some(2000),
            add_us: Some(5000),
            remove_us: None,
            // From the switch (1007 ms), its retries included.
            authorize_us: Some(1_503_000),
            switch_lead_us: None,
            total_us: 1_510_000,
        })
    );
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
}

#[test]
fn step_4_failure_restores_the_source() {
    let mut s = setup();
    let auth = through_remove(&mut s);
    s.h.at(ms(1020));
    let out = s.h.reply(
        s.b,
        auth,
        Outcome::Failed {
            reason: "no".into(),
        },
    );
    let sent = sends(&out);
    assert_eq!(sent.len(), 2);
    assert!(
        matches!(&sent[0], (sess, ControllerMsg::RemoveLvap { deauthenticate: false, .. }) if *sess == s.b)
    );
    let (sess, ControllerMsg::AddLvap { id, lvap, station }) = sent[1].clone() else {
        panic!("{sent:?}")
    };
    assert_eq!(sess, s.a);
    assert_eq!(lvap, spec(mac(1), s.bssid, 0));
    assert_eq!(station, Some(exported(&s.st)));
    assert_eq!(s.h.host(mac(1)).unwrap().0, A);
    let out = s.h.done(s.a, id);
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { .. }));
    let out = s.h.done(s.a, msg.id().unwrap());
    assert_eq!(
        failed(&out),
        (HandoffStep::AuthorizeAtTarget, Rollback::RestoredAtSource)
    );
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn step_4_timeout_retries_then_declares_the_target_down_and_restores_the_source() {
    let mut s = setup();
    through_remove(&mut s);
    s.h.msg(s.a, AgentMsg::Heartbeat { seq: 1 });
    s.h.at(ms(1510));
    assert!(
        matches!(only_send(&s.h.tick()), (sess, ControllerMsg::AuthorizeLvap { .. }) if sess == s.b)
    );
    s.h.msg(s.a, AgentMsg::Heartbeat { seq: 2 });
    s.h.at(ms(2010));
    assert!(
        matches!(only_send(&s.h.tick()), (sess, ControllerMsg::AuthorizeLvap { .. }) if sess == s.b)
    );
    s.h.at(ms(2510));
    let out = s.h.tick();
    assert!(events(&out).contains(&ControllerEvent::AgentDown {
        agent: B.into(),
        reason: DownReason::Unresponsive
    }));
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(matches!(
        msg,
        ControllerMsg::AddLvap {
            station: Some(_),
            ..
        }
    ));
    let (_, msg) = only_send(&s.h.done(s.a, msg.id().unwrap()));
    let out = s.h.done(s.a, msg.id().unwrap());
    assert_eq!(
        failed(&out),
        (HandoffStep::AuthorizeAtTarget, Rollback::RestoredAtSource)
    );
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn a_failed_restore_hands_the_client_to_placement() {
    let mut s = setup();
    let auth = through_remove(&mut s);
    let out = s.h.reply(
        s.b,
        auth,
        Outcome::Failed {
            reason: "no".into(),
        },
    );
    let add = sends(&out)[1].1.id().unwrap();
    // The source refuses too: placement among the others (B excluded, it
    // refused): none, so the LVAP waits to be heard again.
    let out = s.h.reply(
        s.a,
        add,
        Outcome::Failed {
            reason: "gone".into(),
        },
    );
    assert_eq!(
        failed(&out),
        (HandoffStep::AuthorizeAtTarget, Rollback::Replaced)
    );
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ControllerEvent::LvapOrphaned { .. })));
    assert_eq!(s.h.host(mac(1)), None);
    assert_eq!(
        s.h.c.client(&mac(1)).unwrap().station,
        Some(exported(&s.st))
    );
}

#[test]
fn source_down_during_step_2_finishes_at_the_target() {
    let mut s = setup();
    let add = through_export(&mut s);
    s.h.at(ms(1004));
    let out = s.h.input(Input::AgentDown { session: s.a });
    assert!(sends(&out).is_empty());
    assert_eq!(s.h.host(mac(1)).unwrap().0, B);
    s.h.at(ms(1007));
    let out = s.h.done(s.b, add);
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { .. }));
    let out = s.h.done(s.b, msg.id().unwrap());
    assert!(events(&out).iter().any(|e| matches!(e,
        ControllerEvent::HandoffCompleted { durations, .. } if durations.remove_us.is_none())));
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
}

#[test]
fn source_down_during_step_1_uses_the_cached_state() {
    let mut s = setup();
    handoff_to(&mut s.h, B);
    let out = s.h.input(Input::AgentDown { session: s.a });
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    assert!(
        matches!(msg, ControllerMsg::AddLvap { ref station, .. } if *station == Some(s.st.clone()))
    );
    let (_, msg) = only_send(&s.h.done(s.b, msg.id().unwrap()));
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { .. }));
    s.h.done(s.b, msg.id().unwrap());
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
}

#[test]
fn target_down_before_step_3_keeps_the_source() {
    let mut s = setup();
    through_export(&mut s);
    let out = s.h.input(Input::AgentDown { session: s.b });
    assert!(sends(&out).is_empty());
    assert_eq!(failed(&out), (HandoffStep::AddAtTarget, Rollback::Nothing));
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn target_down_during_step_3_waits_for_the_source_then_restores_it() {
    let mut s = setup();
    let (remove, _) = through_add(&mut s);
    let out = s.h.input(Input::AgentDown { session: s.b });
    assert!(sends(&out).is_empty());
    assert_eq!(h_load(&s.h, B), 0);
    // The source removed it: restore it there.
    let out = s.h.done(s.a, remove);
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(matches!(
        msg,
        ControllerMsg::AddLvap {
            station: Some(_),
            ..
        }
    ));
    let (_, msg) = only_send(&s.h.done(s.a, msg.id().unwrap()));
    let out = s.h.done(s.a, msg.id().unwrap());
    assert_eq!(
        failed(&out),
        (HandoffStep::RemoveAtSource, Rollback::RestoredAtSource)
    );
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn target_down_during_step_4_restores_the_source() {
    let mut s = setup();
    through_remove(&mut s);
    let out = s.h.input(Input::AgentDown { session: s.b });
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.a);
    assert!(matches!(
        msg,
        ControllerMsg::AddLvap {
            station: Some(_),
            ..
        }
    ));
    assert_eq!(s.h.host(mac(1)).unwrap().0, A);
}

#[test]
fn both_down_hands_the_client_to_placement() {
    let mut s = setup();
    let c = s.h.up(C, vec![radio(0, 6, 8)]);
    s.h.heard(c, 0, mac(1), -60);
    through_add(&mut s);
    s.h.input(Input::AgentDown { session: s.b });
    let out = s.h.input(Input::AgentDown { session: s.a });
    assert_eq!(
        failed(&out),
        (HandoffStep::RemoveAtSource, Rollback::Replaced)
    );
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, c);
    assert!(
        matches!(msg, ControllerMsg::AddLvap { ref station, .. } if *station == Some(exported(&s.st)))
    );
    assert_eq!(s.h.host(mac(1)), Some((C.into(), 0, LvapState::Placing)));
}

#[test]
fn refusals() {
    let mut s = setup();
    let (id, out) = handoff_to(&mut s.h, A);
    assert_eq!(result_of(&out, id), Some(Ok(CommandOk::AlreadyServing)));
    assert!(sends(&out).is_empty());
    let (id, out) = s.h.command(Command::Handoff {
        client: mac(1),
        to_agent: A.into(),
        to_radio: Some(1),
        cause: String::new(),
    });
    assert_eq!(result_of(&out, id), Some(Err(CommandError::SameAgent)));
    let (id, out) = handoff_to(&mut s.h, "nope");
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownAgent("nope".into())))
    );
    s.h.open(C);
    let (id, out) = handoff_to(&mut s.h, C);
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::AgentDown(C.into())))
    );
    let (id, out) = s.h.command(Command::Handoff {
        client: mac(1),
        to_agent: B.into(),
        to_radio: Some(3),
        cause: String::new(),
    });
    assert!(matches!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownRadio(_)))
    ));
    let (id, out) = s.h.command(Command::Handoff {
        client: mac(9),
        to_agent: B.into(),
        to_radio: None,
        cause: String::new(),
    });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownClient(mac(9))))
    );
    // One at a time.
    let (_, out) = handoff_to(&mut s.h, B);
    assert_eq!(sends(&out).len(), 1);
    let (id, out) = handoff_to(&mut s.h, B);
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::HandoffInProgress(HandoffId(1))))
    );
    assert!(sends(&out).is_empty());
    let (id, out) = s.h.command(Command::Disconnect { client: mac(1) });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::HandoffInProgress(HandoffId(1))))
    );
}

#[test]
fn a_full_radio_refuses() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 1)]);
    h.place(a, 0, mac(1));
    h.place(b, 0, mac(2));
    let (id, out) = handoff_to(&mut h, B);
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::NoCapacity(B.into())))
    );
    let (id, out) = h.command(Command::Handoff {
        client: mac(1),
        to_agent: B.into(),
        to_radio: Some(0),
        cause: String::new(),
    });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::NoCapacity(format!("{B}/0"))))
    );
}

#[test]
fn an_authorization_answered_before_the_removal_waits_for_it() {
    let mut s = setup();
    let (remove, authorize) = through_add(&mut s);
    s.h.at(ms(1009));
    let out = s.h.done(s.b, authorize);
    assert!(
        out.is_empty(),
        "nothing happens until the source answers: {out:#?}"
    );
    assert_eq!(s.h.host(mac(1)).unwrap().0, A);
    s.h.at(ms(1012));
    let out = s.h.done(s.a, remove);
    let done = events(&out).into_iter().find_map(|e| match e {
        ControllerEvent::HandoffCompleted { durations, .. } => Some(durations),
        _ => None,
    });
    let d = done.expect("completed");
    assert_eq!((d.remove_us, d.authorize_us), (Some(5000), Some(2000)));
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
    assert_eq!(s.h.c.pending_requests(), 0);
}

#[test]
fn a_refused_switch_authorization_restores_the_source() {
    let mut s = setup();
    let (remove, authorize) = through_add(&mut s);
    let out = s.h.reply(
        s.b,
        authorize,
        Outcome::Failed {
            reason: "no".into(),
        },
    );
    assert!(out.is_empty());
    let out = s.h.done(s.a, remove);
    let sent = sends(&out);
    assert!(
        matches!(&sent[0], (sess, ControllerMsg::RemoveLvap { .. }) if *sess == s.b),
        "{sent:#?}"
    );
    assert!(
        matches!(&sent[1], (sess, ControllerMsg::AddLvap { station: Some(_), .. }) if *sess == s.a),
        "{sent:#?}"
    );
}

#[test]
fn a_source_that_refuses_the_switch_keeps_the_client_and_the_target_copy_goes() {
    let mut s = setup();
    let (remove, authorize) = through_add(&mut s);
    // The target authorized (for a moment both forward) ...
    assert!(s.h.done(s.b, authorize).is_empty());
    // ... the source could not stop: the target's copy goes.
    let out = s.h.reply(
        s.a,
        remove,
        Outcome::Failed {
            reason: "busy".into(),
        },
    );
    let (sess, msg) = only_send(&out);
    assert_eq!(sess, s.b);
    assert!(matches!(msg, ControllerMsg::RemoveLvap { .. }));
    assert_eq!(
        failed(&out),
        (HandoffStep::RemoveAtSource, Rollback::RemovedAtTarget)
    );
    assert_eq!(s.h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
    assert_eq!(s.h.c.pending_requests(), 1, "only the clean-up");
}

#[test]
fn the_source_lost_during_the_switch_adopts_the_pending_authorization() {
    let mut s = setup();
    let (_, authorize) = through_add(&mut s);
    let out = s.h.input(Input::AgentDown { session: s.a });
    assert!(
        sends(&out).is_empty(),
        "the authorization is on its way already"
    );
    assert_eq!(s.h.host(mac(1)).unwrap().0, B);
    let out = s.h.done(s.b, authorize);
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ControllerEvent::HandoffCompleted { .. })));
    assert_eq!(s.h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
}

#[test]
fn with_a_wall_clock_the_switch_is_scheduled_for_one_moment() {
    const ORIGIN: u64 = 1_795_000_000_000_000;
    let config = ControllerConfig {
        clock_origin_unix_us: Some(ORIGIN),
        switch_target_delay: Duration::from_micros(300),
        ..ControllerConfig::default()
    };
    let mut h = H::with(config);
    let a = h.up(A, vec![radio(0, 6, 8)]);
    // B on another channel: a cross-channel migration.
    let b = h.up(B, vec![radio(0, 11, 8)]);
    let bssid = h.place(a, 0, mac(1));
    h.msg(a, authorized(bssid, mac(1), station(mac(1), bssid)));
    h.at(ms(1000));
    let (_, out) = handoff_to(&mut h, B);
    let export = only_send(&out).1.id().unwrap();
    // A answers in 30 ms: its round trip sets the lead.
    h.at(ms(1030));
    let out = h.reply(
        a,
        export,
        Outcome::Station {
            station: station(mac(1), bssid),
        },
    );
    let add = only_send(&out).1.id().unwrap();
    h.at(ms(1040));
    let out = h.done(b, add);
    let sent = sends(&out);
    assert_eq!(sent.len(), 2);
    // 1.5 times the slower round trip (30 ms) ahead of 1040 ms.
    let moment = ORIGIN + 1_040_000 + 45_000;
    let ControllerMsg::RemoveLvap { at, announce, .. } = &sent[0].1 else {
        panic!("{sent:#?}")
    };
    assert_eq!(*at, Some(SwitchTime(moment)));
    assert_eq!(
        *announce,
        Some(ChannelAnnouncement {
            channel: 11,
            count: 1
        })
    );
    let ControllerMsg::AuthorizeLvap { at, arriving, .. } = &sent[1].1 else {
        panic!("{sent:#?}")
    };
    assert_eq!(
        *at,
        Some(SwitchTime(moment + 300)),
        "the target a little later"
    );
    assert!(*arriving, "the client comes from another channel");
    // A retry is carried out on receipt.
    h.msg(b, AgentMsg::Heartbeat { seq: 1 });
    h.at(ms(1540));
    let out = h.tick();
    assert!(
        matches!(
            only_send(&out).1,
            ControllerMsg::RemoveLvap {
                at: None,
                announce: Some(_),
                ..
            }
        ),
        "{out:#?}"
    );
}

#[test]
fn the_sequential_switch_authorizes_once_the_source_stopped() {
    let config = ControllerConfig {
        clock_origin_unix_us: Some(1_795_000_000_000_000),
        sequential_switch: true,
        ..ControllerConfig::default()
    };
    let mut h = H::with(config);
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    let bssid = h.place(a, 0, mac(1));
    h.msg(a, authorized(bssid, mac(1), station(mac(1), bssid)));
    let (_, out) = handoff_to(&mut h, B);
    let export = only_send(&out).1.id().unwrap();
    let out = h.reply(
        a,
        export,
        Outcome::Station {
            station: station(mac(1), bssid),
        },
    );
    let add = only_send(&out).1.id().unwrap();
    let (sess, remove) = only_send(&h.done(b, add));
    assert_eq!(sess, a);
    assert!(matches!(remove, ControllerMsg::RemoveLvap { at: None, .. }));
    let (sess, authorize) = only_send(&h.done(a, remove.id().unwrap()));
    assert_eq!(sess, b);
    assert!(matches!(
        authorize,
        ControllerMsg::AuthorizeLvap { at: None, .. }
    ));
    h.done(b, authorize.id().unwrap());
    assert_eq!(h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
}
