//! Reconciliation at hello.

use odin_proto::msg::ControllerMsg;

use super::*;

fn status(
    client: MacAddr,
    bssid: MacAddr,
    radio: RadioIndex,
    st: Option<StationState>,
) -> LvapStatus {
    LvapStatus {
        lvap: spec(client, bssid, radio),
        station: st,
    }
}

fn reconciled(out: &[Output]) -> (usize, usize, usize, usize) {
    events(out)
        .into_iter()
        .find_map(|e| match e {
            ControllerEvent::Reconciled {
                kept,
                adopted,
                removed,
                re_added,
                ..
            } => Some((kept, adopted, removed, re_added)),
            _ => None,
        })
        .expect("a Reconciled event")
}

#[test]
fn an_lvap_placed_here_stays_and_its_station_is_refreshed() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b1 = h.place(a, 0, mac(1));
    let a2 = h.open(A);
    let st = station(mac(1), b1);
    let out = h.hello(
        a2,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), b1, 0, Some(st.clone()))],
    );
    assert_eq!(reconciled(&out), (1, 0, 0, 0));
    assert!(sends(&out).is_empty());
    assert_eq!(h.c.client(&mac(1)).unwrap().station, Some(st));
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn an_lvap_placed_elsewhere_or_with_another_bssid_is_removed() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b1 = h.place(a, 0, mac(1));
    let b2 = h.place(a, 0, mac(2));
    // B comes back from an outage still serving both clients, one under a
    // stale BSSID.
    let b = h.open(B);
    let out = h.hello(
        b,
        vec![radio(0, 6, 8)],
        vec![
            status(mac(1), b1, 0, None),
            status(mac(2), bssid(77), 0, None),
        ],
    );
    assert_eq!(reconciled(&out), (0, 0, 2, 0));
    let sent = sends(&out);
    assert_eq!(sent.len(), 2);
    assert!(
        matches!(&sent[0], (s, ControllerMsg::RemoveLvap { bssid, deauthenticate: false, .. }) if *s == b && *bssid == b1)
    );
    assert!(
        matches!(&sent[1], (s, ControllerMsg::RemoveLvap { bssid: x, deauthenticate: false, .. }) if *s == b && *x == bssid(77))
    );
    assert_eq!(h.host(mac(1)).unwrap().0, A);
    assert_eq!(h.host(mac(2)).unwrap().0, A);
    assert_eq!(h.c.client(&mac(2)).unwrap().bssid, Some(b2));
}

#[test]
fn an_lvap_placed_here_but_not_reported_is_sent_again() {
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b1 = h.place(a, 0, mac(1));
    let st = station(mac(1), b1);
    h.msg(a, authorized(b1, mac(1), st.clone()));
    let a2 = h.open(A);
    let out = h.hello(a2, vec![radio(0, 6, 8)], vec![]);
    assert_eq!(reconciled(&out), (0, 0, 0, 1));
    let (s, msg) = only_send(&out);
    assert_eq!(s, a2);
    let ControllerMsg::AddLvap { id, lvap, station } = msg else {
        panic!("{msg:?}")
    };
    assert_eq!(lvap, spec(mac(1), b1, 0));
    assert_eq!(station, Some(st));
    let (_, msg) = only_send(&h.done(a2, id));
    assert!(matches!(msg, ControllerMsg::AuthorizeLvap { bssid, .. } if bssid == b1));
    h.done(a2, msg.id().unwrap());
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
}

#[test]
fn a_restarted_controller_adopts_and_the_first_report_wins() {
    let mut h = H::new();
    let a = h.open(A);
    let st = station(mac(1), bssid(5));
    let out = h.hello(
        a,
        vec![radio(0, 6, 8)],
        vec![
            status(mac(1), bssid(5), 0, Some(st.clone())),
            status(mac(2), derived(mac(3)), 0, None),
        ],
    );
    assert_eq!(reconciled(&out), (0, 2, 0, 0));
    assert!(sends(&out).is_empty());
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
    assert_eq!(h.c.client(&mac(1)).unwrap().station, Some(st));
    // B reports mac(1) too (it was never removed there): the first stays.
    let b = h.open(B);
    let out = h.hello(
        b,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), bssid(5), 0, None)],
    );
    assert_eq!(reconciled(&out), (0, 0, 1, 0));
    assert!(matches!(only_send(&out), (s, ControllerMsg::RemoveLvap { .. }) if s == b));
    // Adopted BSSIDs are never handed out again: mac(3)'s derived one is
    // mac(2)'s, so mac(3) gets the first sequential one.
    assert_eq!(h.place(a, 0, mac(3)), bssid(1));
    assert_eq!(h.c.counters().bssid_collisions, 1);
    assert_eq!(h.c.client(&mac(1)).unwrap().bssid, Some(bssid(5)));
    // A BSSID reported for another client than its owner is removed.
    let c = h.open(C);
    let out = h.hello(
        c,
        vec![radio(0, 6, 8)],
        vec![status(mac(4), bssid(5), 0, None)],
    );
    assert_eq!(reconciled(&out), (0, 0, 1, 0));
    assert_eq!(h.host(mac(4)), None);
}

#[test]
fn an_adopted_lvap_without_room_is_placed_elsewhere() {
    let mut h = H::new();
    let b = h.up(B, vec![radio(0, 6, 8)]);
    // B heard mac(2) (its placement window is open).
    h.heard(b, 0, mac(2), -60);
    let a = h.open(A);
    let st = station(mac(2), bssid(9));
    let out = h.hello(
        a,
        vec![radio(0, 6, 1)],
        vec![
            status(mac(1), bssid(8), 0, None),
            status(mac(2), bssid(9), 0, Some(st.clone())),
            status(mac(3), bssid(10), 4, None),
        ],
    );
    assert_eq!(reconciled(&out), (0, 1, 2, 0));
    let sent = sends(&out);
    // mac(2) and mac(3) removed at A; mac(2) (heard by B) added there with
    // its station; mac(3) heard by nobody else.
    assert_eq!(sent.len(), 3);
    assert!(
        matches!(&sent[2], (s, ControllerMsg::AddLvap { station: Some(x), .. }) if *s == b && *x == st)
    );
    assert_eq!(h.host(mac(1)).unwrap().0, A);
    assert_eq!(h.host(mac(2)), Some((B.into(), 0, LvapState::Placing)));
    assert_eq!(h.host(mac(3)), None);
}

/// A migration cut short by a controller restart: the target holds the
/// client imported but not authorized, the source the authorized copy.
fn cut_short(authorized_first: bool) -> (H, SessionId, SessionId, Vec<Output>, Vec<Output>) {
    let mut h = H::new();
    let b1 = bssid(1);
    let mut unauthorized = station(mac(1), b1);
    unauthorized.flags.authorized = false;
    let authorized = station(mac(1), b1);
    let (first, second) = if authorized_first {
        (authorized, unauthorized)
    } else {
        (unauthorized, authorized)
    };
    let a = h.open(A);
    let out_a = h.hello(
        a,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), b1, 0, Some(first))],
    );
    let b = h.open(B);
    let out_b = h.hello(
        b,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), b1, 0, Some(second))],
    );
    (h, a, b, out_a, out_b)
}

#[test]
fn of_two_reported_copies_the_authorized_one_wins_whichever_comes_first() {
    // The unauthorized copy first: the authorized one takes over and the
    // other is removed.
    let (h, a, _b, _, out_b) = cut_short(false);
    assert_eq!(h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
    assert!(sends(&out_b).iter().any(|(s, m)| *s == a && matches!(m, ControllerMsg::RemoveLvap { bssid: x, deauthenticate: false, .. } if *x == bssid(1))));
    assert_eq!(reconciled(&out_b), (0, 1, 1, 0));
    // The authorized copy first: the later unauthorized one is removed.
    let (h, _a, b, _, out_b) = cut_short(true);
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Active)));
    assert!(sends(&out_b)
        .iter()
        .any(|(s, m)| *s == b && matches!(m, ControllerMsg::RemoveLvap { .. })));
}

#[test]
fn a_lone_unauthorized_copy_is_authorized_after_one_heartbeat_timeout() {
    let mut h = H::new();
    let mut st = station(mac(1), bssid(1));
    st.flags.authorized = false;
    let a = h.open(A);
    h.at(ms(1_000));
    h.hello(
        a,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), bssid(1), 0, Some(st))],
    );
    let timeout = h.c.config().heartbeat_timeout;
    let deadline = ms(1_000) + timeout;
    // Keep the agent alive, and nothing is sent before the deadline.
    h.at(deadline.saturating_sub(Duration::from_millis(1)));
    h.msg(a, AgentMsg::Heartbeat { seq: 1 });
    assert!(sends(&h.tick()).is_empty());
    h.at(deadline);
    let out = h.tick();
    assert!(
        sends(&out).iter().any(|(s, m)| *s == a
            && matches!(m, ControllerMsg::AuthorizeLvap { bssid: x, .. } if *x == bssid(1))),
        "{out:?}"
    );
}

#[test]
fn a_placement_under_way_yields_to_an_agent_that_serves_the_client() {
    // A restarted controller: agent A is back first and hears a probe
    // from a client that agent B, still reconnecting, serves.
    let mut h = H::new();
    let a = h.up(A, vec![radio(0, 6, 8)]);
    h.heard(a, 0, mac(1), -60);
    h.at(ms(50));
    let out = h.tick();
    let (_, add) = only_send(&out);
    let ControllerMsg::AddLvap {
        id: add_id, lvap, ..
    } = add
    else {
        panic!("expected AddLvap, got {add:?}");
    };
    assert_eq!(h.host(mac(1)), Some((A.into(), 0, LvapState::Placing)));
    // B says hello, serving the client (authorized) under that BSSID.
    h.at(ms(60));
    let b = h.open(B);
    let mut st = station(mac(1), lvap.bssid);
    st.flags.authorized = true;
    let out = h.hello(
        b,
        vec![radio(0, 6, 8)],
        vec![status(mac(1), lvap.bssid, 0, Some(st))],
    );
    assert_eq!(reconciled(&out), (0, 1, 1, 0));
    assert_eq!(h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
    // What the placement made at A goes; B's copy is left alone.
    let sent = sends(&out);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(
        matches!(&sent[0], (s, ControllerMsg::RemoveLvap { bssid, .. }) if *s == a && *bssid == lvap.bssid),
        "{sent:#?}"
    );
    // A's late answer to the abandoned AddLvap changes nothing.
    h.at(ms(70));
    let out = h.done(a, add_id);
    assert!(sends(&out).is_empty());
    assert_eq!(h.host(mac(1)), Some((B.into(), 0, LvapState::Active)));
    assert_eq!(h.c.counters().unknown_results, 0);
}
