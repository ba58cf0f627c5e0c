use std::time::Duration;

use odin_proto::{StationFlags, StationState};
use odin_wire::MacAddr;

use super::propagation::Grid;
use super::*;
use crate::lvap::BssConfig;
use crate::radio::{Radio, RadioCmd, RadioEvent};

const BSSID: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 1]);
const BSSID2: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 2]);
const BSSID3: MacAddr = MacAddr([0x06, 0, 0, 0, 0, 3]);
const STA: MacAddr = MacAddr([0x02, 0, 0, 0, 0x10, 1]);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn path_loss_numbers() {
    let pl = PathLoss::default();
    assert!(close(pl.signal_dbm(0.0), -20.0), "floored at 1 m");
    assert!(close(pl.signal_dbm(1.0), -20.0));
    assert!(close(pl.signal_dbm(10.0), -50.0));
    assert!(close(pl.signal_dbm(100.0), -80.0));
    assert!(close(pl.signal_dbm(1000.0), -110.0));
    assert!((pl.distance_for(-80.0) - 100.0).abs() < 1e-6);
    assert!(close(pl.distance_for(0.0), 1.0));
    assert!(pl.signal_dbm(f64::NAN).is_nan());
}

#[test]
fn loss_probability_numbers() {
    let loss = LossModel::default();
    assert!(close(loss.floor_dbm(), -101.0));
    assert!(close(loss.ceiling_dbm(), -69.0));
    assert!(close(loss.p_receive(-85.0), 0.5));
    assert!(close(loss.p_receive(-81.0), 1.0 / (1.0 + (-2f64).exp())));
    assert!((loss.p_receive(-81.0) - 0.880_797).abs() < 1e-6);
    assert!((loss.p_receive(-89.0) - 0.119_203).abs() < 1e-6);
    assert!(close(loss.p_receive(-69.0), 1.0));
    assert!(close(loss.p_receive(-40.0), 1.0));
    assert!(loss.p_receive(-69.1) < 1.0);
    assert!(loss.p_receive(-101.0) > 0.0);
    assert!(close(loss.p_receive(-101.1), 0.0));
    assert!(close(loss.p_receive(f64::NAN), 0.0));
    let step = LossModel {
        midpoint_dbm: -80.0,
        width_db: 0.0,
    };
    assert!(close(step.p_receive(-80.0), 1.0));
    assert!(close(step.p_receive(-80.1), 0.0));
}

#[test]
fn rng_is_seeded_and_uniform() {
    let mut a = SimRng::new(42);
    let mut b = SimRng::new(42);
    let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
    let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
    assert_eq!(xs, ys);
    assert_ne!(SimRng::new(43).next_u64(), xs[0]);
    let mut r = SimRng::new(1);
    let n = 100_000;
    let hits = (0..n).filter(|_| r.chance(0.25)).count();
    assert!((hits as f64 / n as f64 - 0.25).abs() < 0.01);
    // Certain outcomes draw nothing.
    let mut c = SimRng::new(9);
    assert!(c.chance(1.0) && !c.chance(0.0));
    assert_eq!(c.next_u64(), SimRng::new(9).next_u64());
}

#[test]
fn grid_finds_neighbours_only_on_the_channel() {
    let mut grid = Grid::new(100.0);
    grid.insert(0, 1, Position::new(0.0, 0.0));
    grid.insert(1, 1, Position::new(150.0, 50.0));
    grid.insert(2, 1, Position::new(350.0, 0.0));
    grid.insert(3, 6, Position::new(10.0, 0.0));
    grid.insert(4, 1, Position::new(f64::NAN, f64::NAN));
    grid.insert(5, 1, Position::new(f64::INFINITY, 0.0));
    let mut near = Vec::new();
    grid.near(1, Position::new(50.0, 50.0), &mut near);
    assert_eq!(near, [0, 1, 4]);
    grid.remove(1, 1, Position::new(150.0, 50.0));
    near.clear();
    grid.near(1, Position::new(50.0, 50.0), &mut near);
    assert_eq!(near, [0, 4]);
}

fn drain(radio: &mut SimRadio) -> Vec<RadioEvent> {
    std::iter::from_fn(|| radio.try_next_event()).collect()
}

fn failed(events: &[RadioEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, RadioEvent::CommandFailed { .. }))
        .count()
}

fn start_ap(bssid: MacAddr) -> RadioCmd {
    let bss = BssConfig::new(b"odin", 1);
    RadioCmd::StartAp {
        bssid,
        beacon: bss.beacon(bssid).unwrap(),
        ssid: b"odin".to_vec(),
        beacon_interval: 100,
        dtim_period: 2,
    }
}

fn station(flags: StationFlags, aid: u16, rates: &[u8]) -> StationState {
    StationState {
        sta: STA,
        bssid: BSSID,
        aid,
        listen_interval: 5,
        capabilities: 0x0421,
        supported_rates: rates.to_vec(),
        ht_capabilities: None,
        vht_capabilities: None,
        ext_capabilities: None,
        wmm: None,
        flags,
        last_rx_seq: None,
        assoc_ies: Vec::new(),
    }
}

const AUTH: StationFlags = StationFlags {
    authenticated: true,
    associated: false,
    authorized: false,
    wme: false,
    short_preamble: false,
};
const ASSOC: StationFlags = StationFlags {
    associated: true,
    ..AUTH
};
const AUTHORIZED: StationFlags = StationFlags {
    authorized: true,
    ..ASSOC
};

/// Runs `cmd` and returns how many commands failed.
fn run(radio: &mut SimRadio, cmd: RadioCmd) -> usize {
    radio.execute(cmd);
    failed(&drain(radio))
}

#[tokio::test(start_paused = true)]
async fn station_tables_follow_the_kernel() {
    let medium = Medium::spawn(MediumConfig::default());
    let mut config =
        SimRadioConfig::new("r0", MacAddr([2, 0, 0, 0, 0, 0xa0]), 1, Position::default());
    config.max_lvaps = 2;
    config.channels = vec![1, 6, 11];
    let mut radio = medium.add_radio(config);
    let id = radio.id();
    let (sta, b) = (STA, BSSID);

    assert_eq!(run(&mut radio, start_ap(b)), 0);
    assert_eq!(run(&mut radio, start_ap(b)), 1, "already beaconing");
    assert_eq!(run(&mut radio, start_ap(BSSID2)), 0);
    assert_eq!(run(&mut radio, start_ap(BSSID3)), 1, "max_lvaps");
    assert_eq!(medium.interfaces(id), [b, BSSID2]);

    let unknown = BSSID3;
    let add = |bssid, s: StationState| RadioCmd::AddStation { bssid, state: s };
    assert_eq!(run(&mut radio, add(unknown, station(AUTH, 0, &[]))), 1);
    assert_eq!(run(&mut radio, add(b, station(AUTHORIZED, 0, &[]))), 1);
    assert_eq!(
        run(&mut radio, add(b, station(ASSOC, 0, &[0x82]))),
        1,
        "no AID"
    );
    assert_eq!(run(&mut radio, add(b, station(AUTH, 0, &[]))), 0);
    assert_eq!(run(&mut radio, add(b, station(AUTH, 0, &[]))), 1, "exists");
    let flags = |flags| RadioCmd::SetStationFlags {
        bssid: b,
        sta,
        flags,
    };
    assert_eq!(run(&mut radio, flags(AUTHORIZED)), 1, "not associated");
    let update = |s| RadioCmd::UpdateStation { bssid: b, state: s };
    assert_eq!(run(&mut radio, update(station(ASSOC, 1, &[0x82, 0x84]))), 0);
    assert_eq!(
        run(&mut radio, update(station(ASSOC, 1, &[0x82]))),
        1,
        "parameters of an associated station"
    );
    assert!(medium.serving_radios(sta).is_empty());
    assert_eq!(run(&mut radio, flags(AUTHORIZED)), 0);
    assert_eq!(medium.serving_radios(sta), [id]);
    let entry = medium.station(id, b, sta).unwrap();
    assert_eq!((entry.flags, entry.aid), (AUTHORIZED, 1));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    radio.execute(RadioCmd::QueryStation { bssid: b, sta });
    let events = drain(&mut radio);
    let [RadioEvent::StationInfo { info, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(info.inactive, Duration::from_millis(1500));
    assert_eq!((info.rx_bytes, info.signal_dbm), (0, None));

    // The same client on a second interface: two serving entries would be
    // two radios only if on two radios.
    let remove = RadioCmd::RemoveStation { bssid: b, sta };
    assert_eq!(run(&mut radio, remove.clone()), 0);
    assert!(medium.serving_radios(sta).is_empty());
    assert_eq!(run(&mut radio, remove), 1);
    assert_eq!(run(&mut radio, RadioCmd::QueryStation { bssid: b, sta }), 1);
    let poll = RadioCmd::PollClient {
        bssid: b,
        sta,
        cookie: 7,
    };
    assert_eq!(run(&mut radio, poll), 1);

    // Frames: only management frames from the interface's own address.
    let bss = BssConfig::new(b"odin", 1);
    let frame = bss.probe_response(b, sta).unwrap();
    let send = |bssid, frame: &Vec<u8>| RadioCmd::SendFrame {
        bssid,
        frame: frame.clone(),
        cookie: Some(1),
    };
    assert_eq!(run(&mut radio, send(unknown, &frame)), 1);
    assert_eq!(run(&mut radio, send(BSSID2, &frame)), 1, "wrong source");
    assert_eq!(run(&mut radio, send(b, &vec![0x08, 0x01, 0, 0])), 1);
    assert_eq!(run(&mut radio, send(b, &frame)), 0);
    // Nobody there: the status comes after the airtime, not acknowledged.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let events = drain(&mut radio);
    assert_eq!(
        events,
        [RadioEvent::TxStatus {
            bssid: b,
            cookie: 1,
            acked: false
        }]
    );

    // Stopping an interface takes its authorized station with it.
    assert_eq!(run(&mut radio, add(b, station(AUTHORIZED, 1, &[0x82]))), 0);
    assert_eq!(medium.serving_radios(sta), [id]);
    assert_eq!(run(&mut radio, RadioCmd::StopAp { bssid: b }), 0);
    assert!(medium.serving_radios(sta).is_empty());
    assert_eq!(run(&mut radio, RadioCmd::StopAp { bssid: b }), 1);
    assert_eq!(medium.interfaces(id), [BSSID2]);

    assert_eq!(run(&mut radio, RadioCmd::SetChannel { channel: 6 }), 0);
    assert_eq!(radio.info().channel, 6);
    assert_eq!(run(&mut radio, RadioCmd::SetChannel { channel: 3 }), 1);
    assert_eq!(medium.traffic(sta).peak_serving, 1);
    assert_eq!(medium.traffic(sta).double_serving, 0);
    assert_eq!(medium.stats().commands_failed, 16);
}

#[tokio::test(start_paused = true)]
async fn beacons_keep_their_interval() {
    let medium = Medium::spawn(MediumConfig::default());
    let mut radio = medium.add_radio(SimRadioConfig::new(
        "r0",
        MacAddr([2, 0, 0, 0, 0, 0xa0]),
        1,
        Position::default(),
    ));
    radio.execute(start_ap(BSSID));
    tokio::time::sleep(Duration::from_millis(1025)).await;
    // 102.4 ms apart, the first one interval after START_AP.
    assert_eq!(medium.stats().beacons, 10);
    radio.execute(RadioCmd::StopAp { bssid: BSSID });
    radio.execute(start_ap(BSSID));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The old interface's beacon job did not survive it.
    assert_eq!(medium.stats().beacons, 10);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(medium.stats().beacons, 11);
}

fn surveyed(radio: &mut SimRadio) -> Vec<crate::radio::SurveyEntry> {
    radio.execute(RadioCmd::Survey);
    let events = drain(radio);
    match &events[..] {
        [RadioEvent::Survey { entries, .. }] => entries.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_survey_counts_airtime_on_the_radios_channel() {
    let medium = Medium::spawn(MediumConfig::default());
    let mut radio = medium.add_radio(SimRadioConfig::new(
        "r0",
        MacAddr([2, 0, 0, 0, 0, 0xa0]),
        1,
        Position::default(),
    ));
    // Another radio on another channel: its beacons occupy channel 6 only.
    let mut other = medium.add_radio(SimRadioConfig::new(
        "r1",
        MacAddr([2, 0, 0, 0, 0, 0xa1]),
        6,
        Position::default(),
    ));
    radio.execute(start_ap(BSSID));
    other.execute(start_ap(BSSID2));
    other.execute(start_ap(BSSID3));
    tokio::time::sleep(Duration::from_millis(1025)).await;
    let [entry] = surveyed(&mut radio)[..] else {
        panic!()
    };
    // Ten beacons of 200 us each.
    assert_eq!(
        entry,
        crate::radio::SurveyEntry {
            freq: 2412,
            in_use: true,
            time: Some(Duration::from_millis(1025)),
            busy: Some(Duration::from_micros(2000)),
            ..Default::default()
        }
    );
    assert_eq!(
        surveyed(&mut other)[0].busy,
        Some(Duration::from_micros(4000))
    );
    // Retuned: the counters start again, on the new channel's air.
    radio.execute(RadioCmd::SetChannel { channel: 6 });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let [entry] = surveyed(&mut radio)[..] else {
        panic!()
    };
    assert_eq!(
        (entry.freq, entry.time),
        (2437, Some(Duration::from_millis(500)))
    );
    // Four beacons (at 1126.4 ms to 1433.6 ms) of each of the three
    // interfaces now on channel 6: its own and the other radio's two.
    assert_eq!(entry.busy, Some(Duration::from_micros(12 * 200)));
    // A channel without a frequency has nothing to report.
    radio.execute(RadioCmd::SetChannel { channel: 0 });
    assert!(surveyed(&mut radio).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_client_follows_a_channel_switch() {
    let medium = Medium::spawn(MediumConfig::default());
    let radio = medium.add_radio(SimRadioConfig::new(
        "r0",
        MacAddr([2, 0, 0, 0, 0, 0xa0]),
        1,
        Position::default(),
    ));
    let id = radio.id();
    let bss = BssConfig::new(b"odin", 1);
    let mut hosts = [LvapHost::new(radio)];
    hosts[0]
        .create(crate::lvap::LvapConfig {
            bssid: BSSID,
            client: STA,
            bss: bss.clone(),
            timeouts: crate::lvap::Timeouts::default(),
        })
        .unwrap();
    let client = medium
        .add_client(
            STA,
            b"odin",
            1,
            Position::new(5.0, 0.0),
            ClientConfig::default(),
        )
        .unwrap();
    run_for(&mut hosts, Duration::from_secs(1)).await;
    assert!(client.is_connected());
    let channel = |medium: &Medium| medium.radio_info(id).map(|i| i.channel);

    // What the medium refuses, as the kernel does: an unknown interface,
    // the current channel, a counter offset not holding the count.
    let (beacon_csa, offsets) = bss.channel_switch_beacon(BSSID, 6, 5, false).unwrap();
    let beacon_after = BssConfig {
        channel: 6,
        ..bss.clone()
    }
    .beacon(BSSID)
    .unwrap();
    let switch = |bssid, channel, count, offsets: Vec<u16>| RadioCmd::ChannelSwitch {
        bssid,
        channel,
        count,
        block_tx: false,
        beacon_csa: beacon_csa.clone(),
        csa_counter_offsets: offsets,
        beacon_after: beacon_after.clone(),
    };
    let failures = medium.stats().commands_failed;
    medium.execute(id, switch(BSSID2, 6, 5, offsets.clone()));
    medium.execute(id, switch(BSSID, 1, 5, offsets.clone()));
    medium.execute(id, switch(BSSID, 6, 4, offsets.clone()));
    medium.execute(id, switch(BSSID, 6, 5, vec![]));
    medium.execute(id, switch(BSSID, 6, 5, vec![3]));
    assert_eq!(medium.stats().commands_failed, failures + 5);

    // Announced in 5 beacons: 4, 3, 2, 1 on channel 1, then channel 6.
    let start = medium.now();
    let acked = client.counters().data_acked;
    medium.execute(id, switch(BSSID, 6, 5, offsets.clone()));
    medium.execute(id, switch(BSSID, 11, 5, offsets.clone()));
    assert_eq!(
        medium.stats().commands_failed,
        failures + 6,
        "one at a time"
    );
    run_for(&mut hosts, Duration::from_millis(300)).await;
    assert_eq!(channel(&medium), Some(1), "still announcing");
    run_for(&mut hosts, Duration::from_millis(700)).await;
    assert_eq!(channel(&medium), Some(6));
    let log = client.log();
    let moved = log
        .iter()
        .find(|e| matches!(e.event, ClientEvent::ChannelSwitched { .. }))
        .expect("the client followed");
    assert_eq!(
        moved.event,
        ClientEvent::ChannelSwitched {
            bssid: BSSID,
            channel: 6
        }
    );
    // At the fourth beacon after the command (102.4 ms apart).
    let after = moved.at.saturating_since(start);
    assert!(
        after > Duration::from_millis(307) && after <= Duration::from_millis(410),
        "{after:?}"
    );
    assert_eq!(client.snapshot().map(|c| c.channel()), Some(6));
    run_for(&mut hosts, Duration::from_secs(2)).await;
    assert!(client.is_connected());
    assert_eq!(client.disconnections(), 0);
    // Data kept flowing: about one frame per 100 ms, all acknowledged.
    assert!(client.counters().data_acked >= acked + 25);
    assert_eq!(client.counters().data_lost, 0);

    // A count of 1 switches at once, no beacon tells the client: it loses
    // its BSS.
    let (now_csa, now_offsets) = bss.channel_switch_beacon(BSSID, 11, 1, false).unwrap();
    medium.execute(
        id,
        RadioCmd::ChannelSwitch {
            bssid: BSSID,
            channel: 11,
            count: 1,
            block_tx: false,
            beacon_csa: now_csa,
            csa_counter_offsets: now_offsets,
            beacon_after: BssConfig { channel: 11, ..bss }.beacon(BSSID).unwrap(),
        },
    );
    assert_eq!(channel(&medium), Some(11));
    run_for(&mut hosts, Duration::from_millis(1500)).await;
    assert_eq!(client.disconnections(), 1);
}
