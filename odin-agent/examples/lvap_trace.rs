//! Two agents' LVAPs serve one scripted client: probe, authentication,
//! association, a migration from agent A to agent B, and the client
//! leaving. Every frame on the air and every action is printed, with the
//! exact (simulated) time. Run: `cargo run -p odin-agent --example lvap_trace`

use std::time::Duration;

use odin_agent::lvap::{Action, BssConfig, Command, Input, Lvap, LvapConfig, Timeouts};
use odin_agent::time::Instant;
use odin_wire::ieee80211::{
    AssocReqRepr, AuthAlgorithm, AuthRepr, MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr,
    ReasonCode, SeqCtrl, StatusCode,
};
use odin_wire::MacAddr;

const BSSID: MacAddr = MacAddr([0x06, 0x0d, 0x1e, 0x00, 0x00, 0x01]);
const CLIENT: MacAddr = MacAddr([0x02, 0x00, 0x00, 0x00, 0x01, 0x00]);

fn show(now: Instant, who: &str, actions: &[Action]) {
    for action in actions {
        match action {
            Action::SendFrame { frame, cookie } => {
                let text = MgmtRepr::parse_bytes(frame).map_or_else(|e| format!("unparsable: {e}"), |r| r.to_string());
                let ack = cookie.map_or(String::new(), |c| format!(" (tx status wanted, cookie {})", c.0));
                println!("{now}  {who} >> air   {text}{ack}");
            }
            Action::StartAp { bssid, beacon, channel, .. } => println!(
                "{now}  {who}: START_AP bssid {bssid} channel {channel}, beacon head {} + tail {} bytes",
                beacon.head.len(),
                beacon.tail.len()
            ),
            Action::AddStation(s) => println!("{now}  {who}: NEW_STATION {} aid {} flags {:?}", s.sta, s.aid, s.flags),
            Action::UpdateStation(s) => println!(
                "{now}  {who}: SET_STATION {} aid {} rates {:02x?} listen {} flags {:?}",
                s.sta, s.aid, s.supported_rates, s.listen_interval, s.flags
            ),
            other => println!("{now}  {who}: {other:?}"),
        }
    }
}

fn client_frame(seq: &mut u16, da: MacAddr, bssid: MacAddr, body: MgmtBody<'_>) -> Vec<u8> {
    *seq += 1;
    let mut header = MgmtHeader::new(da, CLIENT, bssid);
    header.seq = SeqCtrl {
        number: *seq,
        fragment: 0,
    };
    let repr = MgmtRepr { header, body };
    let bytes = repr.to_vec().expect("a valid frame");
    println!("          client >> air   {repr}");
    bytes
}

fn main() {
    let config = LvapConfig {
        bssid: BSSID,
        client: CLIENT,
        bss: BssConfig::new(b"odin", 6),
        timeouts: Timeouts::default(),
    };
    let mut out = Vec::new();
    let mut now = Instant::ZERO;
    let mut a = Lvap::new(config.clone(), &mut out).expect("valid configuration");
    println!("== the controller created the client's LVAP on agent A");
    show(now, "A", &out);

    let mut seq = 0;
    let probe_ies = [0x00, 0x00, 0x01, 0x04, 0x02, 0x04, 0x0b, 0x16];
    let assoc_ies = [
        0x00, 0x04, b'o', b'd', b'i', b'n', 0x01, 0x08, 0x02, 0x04, 0x0b, 0x16, 0x0c, 0x12, 0x18,
        0x24, 0x32, 0x04, 0x30, 0x48, 0x60, 0x6c, 0xdd, 0x07, 0x00, 0x50, 0xf2, 0x02, 0x00, 0x01,
        0x00,
    ];
    let open = AuthRepr {
        algorithm: AuthAlgorithm::OpenSystem,
        transaction: 1,
        status: StatusCode::Success,
        rest: &[],
    };
    let script: [(u64, MacAddr, MacAddr, MgmtBody<'_>); 3] = [
        (
            0,
            MacAddr::BROADCAST,
            MacAddr::BROADCAST,
            MgmtBody::ProbeReq(ProbeReqRepr {
                elements: &probe_ies,
            }),
        ),
        (12, BSSID, BSSID, MgmtBody::Auth(open)),
        (
            3,
            BSSID,
            BSSID,
            MgmtBody::AssocReq(AssocReqRepr {
                capabilities: 0x0431,
                listen_interval: 5,
                elements: &assoc_ies,
            }),
        ),
    ];
    println!("\n== the client scans, authenticates and associates");
    for (advance, da, bssid, body) in script {
        now = now + Duration::from_millis(advance);
        let frame = client_frame(&mut seq, da, bssid, body);
        out.clear();
        a.handle(Input::Frame(&frame), now, &mut out);
        show(now, "A", &out);
    }
    let cookie = out.iter().find_map(|x| match x {
        Action::SendFrame { cookie, .. } => *cookie,
        _ => None,
    });
    if let Some(cookie) = cookie {
        now = now + Duration::from_millis(1);
        println!("          radio: the association response was acknowledged");
        out.clear();
        a.handle(
            Input::TxStatus {
                cookie,
                acked: true,
            },
            now,
            &mut out,
        );
        show(now, "A", &out);
    }

    println!("\n== ten seconds later the LVAP asks the kernel how idle the client is");
    now = now + Duration::from_secs(10);
    out.clear();
    a.handle(Input::Tick, now, &mut out);
    show(now, "A", &out);

    println!("\n== the controller moves the LVAP to agent B (same BSSID, same station)");
    let state = a.export().expect("the client is associated");
    out.clear();
    let mut b = Lvap::import(config, state, now, &mut out).expect("importable");
    show(now, "B", &out);
    out.clear();
    a.handle(Input::Command(Command::Stop), now, &mut out);
    show(now, "A", &out);
    out.clear();
    b.handle(Input::Command(Command::Authorize), now, &mut out);
    show(now, "B", &out);

    println!("\n== the client, still on BSSID {BSSID}, leaves; agent B handles it");
    now = now + Duration::from_secs(5);
    let frame = client_frame(
        &mut seq,
        BSSID,
        BSSID,
        MgmtBody::Deauth {
            reason: ReasonCode::DeauthLeaving,
            elements: &[],
        },
    );
    out.clear();
    b.handle(Input::Frame(&frame), now, &mut out);
    show(now, "B", &out);
    out.clear();
    a.handle(Input::Frame(&frame), now, &mut out);
    println!(
        "{now}  A: ignores it ({} actions; stopped LVAPs are inert)",
        out.len()
    );
}
