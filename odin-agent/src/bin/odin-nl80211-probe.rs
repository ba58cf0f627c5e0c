//! One LVAP on a real (or hwsim) radio, without a controller: proves the
//! nl80211 backend end to end.
//!
//! ```text
//! odin-nl80211-probe --phy phy0 --ssid odin --client 02:00:00:00:01:00 \
//!     [--bssid 02:0d:1e:00:00:01] [--channel 1] [--seconds 60]
//! ```
//!
//! Radio events go to the LVAP, its actions to the radio; every frame and
//! action is logged (`RUST_LOG=debug` for more, `trace` for the netlink
//! bytes).

#[cfg(target_os = "linux")]
mod probe {
    use std::time::Duration;

    use odin_agent::lvap::{Action, BssConfig, Command, Cookie, Input, Lvap, LvapConfig, Timeouts};
    use odin_agent::nl80211::{Nl80211Config, Nl80211Radio};
    use odin_agent::radio::{Radio, RadioCmd, RadioEvent};
    use odin_agent::time::Instant;
    use odin_wire::MacAddr;
    use tracing::{info, warn};

    struct Args {
        phy: String,
        ssid: String,
        client: MacAddr,
        bssid: MacAddr,
        channel: Option<u8>,
        seconds: u64,
    }

    fn parse_args() -> Result<Args, String> {
        let mut phy = None;
        let mut ssid = None;
        let mut client = None;
        let mut bssid = MacAddr([0x02, 0x0d, 0x1e, 0, 0, 0x01]);
        let mut channel = None;
        let mut seconds = 60;
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--phy" => phy = Some(value),
                "--ssid" => ssid = Some(value),
                "--client" => client = Some(value.parse().map_err(|_| "bad --client")?),
                "--bssid" => bssid = value.parse().map_err(|_| "bad --bssid")?,
                "--channel" => channel = Some(value.parse().map_err(|_| "bad --channel")?),
                "--seconds" => seconds = value.parse().map_err(|_| "bad --seconds")?,
                _ => return Err(format!("unknown argument {flag}")),
            }
        }
        Ok(Args {
            phy: phy.ok_or("--phy is required")?,
            ssid: ssid.ok_or("--ssid is required")?,
            client: client.ok_or("--client is required")?,
            bssid,
            channel,
            seconds,
        })
    }

    /// The LVAP's actions as radio commands (one LVAP: its cookies are
    /// the radio's).
    fn carry_out(radio: &mut Nl80211Radio, bssid: MacAddr, actions: &mut Vec<Action>) {
        for action in actions.drain(..) {
            let cmd = match action {
                Action::StartAp {
                    bssid,
                    beacon,
                    ssid,
                    beacon_interval,
                    dtim_period,
                    channel,
                } => {
                    info!(%bssid, channel, "action: start AP");
                    RadioCmd::StartAp {
                        bssid,
                        beacon,
                        ssid,
                        beacon_interval,
                        dtim_period,
                    }
                }
                Action::StopAp { bssid } => {
                    info!(%bssid, "action: stop AP");
                    RadioCmd::StopAp { bssid }
                }
                Action::SendFrame { frame, cookie } => {
                    info!(
                        fc = format_args!("0x{:02x}", frame.first().copied().unwrap_or(0)),
                        len = frame.len(),
                        ?cookie,
                        "action: send frame"
                    );
                    RadioCmd::SendFrame {
                        bssid,
                        frame,
                        cookie: cookie.map(|c| c.0),
                    }
                }
                Action::AddStation(state) => {
                    info!(sta = %state.sta, flags = ?state.flags, "action: add station");
                    RadioCmd::AddStation { bssid, state }
                }
                Action::UpdateStation(state) => {
                    info!(sta = %state.sta, aid = state.aid, flags = ?state.flags, "action: update station");
                    RadioCmd::UpdateStation { bssid, state }
                }
                Action::SetStationFlags { sta, flags } => {
                    info!(%sta, ?flags, "action: set station flags");
                    RadioCmd::SetStationFlags { bssid, sta, flags }
                }
                Action::RemoveStation { sta } => {
                    info!(%sta, "action: remove station");
                    RadioCmd::RemoveStation { bssid, sta }
                }
                Action::QueryStation { sta } => RadioCmd::QueryStation { bssid, sta },
                Action::PollClient { sta, cookie } => {
                    info!(%sta, ?cookie, "action: poll client");
                    RadioCmd::PollClient {
                        bssid,
                        sta,
                        cookie: cookie.0,
                    }
                }
                Action::Event(event) => {
                    info!(?event, "LVAP event");
                    continue;
                }
            };
            radio.execute(cmd);
        }
    }

    pub async fn main() -> Result<(), String> {
        let args = parse_args()?;
        let mut config = Nl80211Config::new(&args.phy);
        config.channel = args.channel;
        let mut radio = Nl80211Radio::open(&config).map_err(|e| e.to_string())?;
        let info = radio.info();
        info!(?info, "radio");
        let bss = BssConfig::new(args.ssid.as_bytes(), info.channel);
        let start = tokio::time::Instant::now();
        let now = move || Instant::from_micros(start.elapsed().as_micros() as u64);
        let mut actions = Vec::new();
        let mut lvap = Lvap::new(
            LvapConfig {
                bssid: args.bssid,
                client: args.client,
                bss,
                timeouts: Timeouts::default(),
            },
            &mut actions,
        )
        .map_err(|e| format!("LVAP: {e:?}"))?;
        info!(bssid = %args.bssid, client = %args.client, ssid = %args.ssid, "LVAP created");
        carry_out(&mut radio, args.bssid, &mut actions);

        let deadline = tokio::time::sleep(Duration::from_secs(args.seconds));
        tokio::pin!(deadline);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("SIGTERM handler: {e}"))?;
        loop {
            let tick_at = lvap
                .poll_at()
                .map(|t| start + Duration::from_micros(t.micros()))
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                ev = radio.next_event() => {
                    let Some(ev) = ev else {
                        warn!("radio gone");
                        break;
                    };
                    match ev {
                        RadioEvent::Frame { bssid, frame, signal_dbm } => {
                            info!(
                                ?bssid, signal_dbm, len = frame.len(),
                                fc = format_args!("0x{:02x}", frame.first().copied().unwrap_or(0)),
                                sa = %frame.get(10..16).and_then(MacAddr::from_bytes).unwrap_or(MacAddr::ZERO),
                                "frame received"
                            );
                            lvap.handle(Input::Frame(&frame), now(), &mut actions);
                        }
                        RadioEvent::TxStatus { cookie, acked, .. } => {
                            info!(cookie, acked, "transmit status");
                            lvap.handle(Input::TxStatus { cookie: Cookie(cookie), acked }, now(), &mut actions);
                        }
                        RadioEvent::StationInfo { info, .. } => {
                            info!(?info, "station info");
                            lvap.handle(Input::StationInfo { inactive: info.inactive }, now(), &mut actions);
                        }
                        RadioEvent::UnexpectedData { .. } => {
                            lvap.handle(Input::UnexpectedData, now(), &mut actions);
                        }
                        RadioEvent::CommandFailed { command, error } => {
                            warn!(%command, %error, "radio command failed");
                        }
                        RadioEvent::Done { token, failure } => info!(token, ?failure, "barrier"),
                    }
                }
                _ = tokio::time::sleep_until(tick_at) => lvap.handle(Input::Tick, now(), &mut actions),
                _ = &mut deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            }
            carry_out(&mut radio, args.bssid, &mut actions);
        }
        info!(associated = lvap.is_associated(), authorized = lvap.is_authorized(), counters = ?lvap.counters(), "stopping");
        lvap.handle(Input::Command(Command::Stop), now(), &mut actions);
        carry_out(&mut radio, args.bssid, &mut actions);
        radio.close().await;
        Ok(())
    }
}

#[cfg(target_os = "linux")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match probe::main().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odin-nl80211-probe: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("odin-nl80211-probe needs Linux");
}
