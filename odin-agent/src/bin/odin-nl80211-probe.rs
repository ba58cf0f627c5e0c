//! One LVAP on a real (or hwsim) radio, without a controller: proves the
//! nl80211 backend end to end.
//!
//! ```text
//! odin-nl80211-probe --phy phy0 --ssid odin --client 02:00:00:00:01:00 \
//!     [--bssid 02:0d:1e:00:00:01] [--channel 1] [--seconds 60] \
//!     [--set-channel 6 [--ap-delay 3]] [--survey 2] \
//!     [--switch-channel 11 [--switch-count 5] [--switch-after 3]]
//! ```
//!
//! Radio events go to the LVAP, its actions to the radio; every frame and
//! action is logged (`RUST_LOG=debug` for more, `trace` for the netlink
//! bytes).
//!
//! * `--set-channel N`: SET_WIPHY to channel N before the LVAP starts
//!   (which then beacons there), then `--ap-delay` seconds of pause.
//! * `--survey S`: GET_SURVEY every S seconds; each entry is logged.
//! * `--switch-channel N`: `--switch-after` seconds (default 3) after the
//!   client is authorized, CHANNEL_SWITCH the LVAP to channel N in
//!   `--switch-count` (default 5) beacon intervals. The LVAP itself keeps
//!   its configured channel (its probe responses still name the old one):
//!   moving the LVAP is the agent's work, not this probe's.
//! * `--try-set-channel N`: once the client is authorized, SET_WIPHY to
//!   channel N, which the backend refuses while the LVAP beacons (logged
//!   as a failed command).

#[cfg(target_os = "linux")]
mod probe {
    use std::time::Duration;

    use odin_agent::lvap::{Action, BssConfig, Command, Cookie, Input, Lvap, LvapConfig, Timeouts};
    use odin_agent::nl80211::{Nl80211Config, Nl80211Radio};
    use odin_agent::radio::{Radio, RadioCmd, RadioEvent, SurveyEntry};
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
        set_channel: Option<u8>,
        ap_delay: u64,
        survey: u64,
        switch_channel: Option<u8>,
        switch_count: u8,
        switch_after: u64,
        try_set_channel: Option<u8>,
    }

    fn parse_args() -> Result<Args, String> {
        let mut phy = None;
        let mut ssid = None;
        let mut client = None;
        let mut bssid = MacAddr([0x02, 0x0d, 0x1e, 0, 0, 0x01]);
        let mut channel = None;
        let mut seconds = 60;
        let mut set_channel = None;
        let mut ap_delay = 0;
        let mut survey = 0;
        let mut switch_channel = None;
        let mut switch_count = 5;
        let mut switch_after = 3;
        let mut try_set_channel = None;
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
                "--set-channel" => {
                    set_channel = Some(value.parse().map_err(|_| "bad --set-channel")?)
                }
                "--ap-delay" => ap_delay = value.parse().map_err(|_| "bad --ap-delay")?,
                "--survey" => survey = value.parse().map_err(|_| "bad --survey")?,
                "--switch-channel" => {
                    switch_channel = Some(value.parse().map_err(|_| "bad --switch-channel")?)
                }
                "--switch-count" => {
                    switch_count = value.parse().map_err(|_| "bad --switch-count")?
                }
                "--switch-after" => {
                    switch_after = value.parse().map_err(|_| "bad --switch-after")?
                }
                "--try-set-channel" => {
                    try_set_channel = Some(value.parse().map_err(|_| "bad --try-set-channel")?)
                }
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
            set_channel,
            ap_delay,
            survey,
            switch_channel,
            switch_count,
            switch_after,
            try_set_channel,
        })
    }

    fn log_survey(entries: &[SurveyEntry]) {
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
        info!(count = entries.len(), "survey");
        for e in entries {
            info!(
                freq = e.freq,
                in_use = e.in_use,
                noise_dbm = e.noise_dbm,
                time_ms = ms(e.time),
                busy_ms = ms(e.busy),
                ext_busy_ms = ms(e.ext_busy),
                rx_ms = ms(e.rx),
                tx_ms = ms(e.tx),
                "survey entry"
            );
        }
    }

    /// Waits for the radio's answer to a barrier, logging what comes before.
    async fn barrier(radio: &mut Nl80211Radio, token: u64) -> Result<(), String> {
        radio.execute(RadioCmd::Barrier { token, bssid: None });
        let wait = async {
            while let Some(ev) = radio.next_event().await {
                match ev {
                    RadioEvent::Done { token: t, failure } if t == token => return failure,
                    RadioEvent::CommandFailed { command, error } => {
                        warn!(%command, %error, "radio command failed")
                    }
                    RadioEvent::Survey { entries, .. } => log_survey(&entries),
                    _ => {}
                }
            }
            Some("radio gone".to_owned())
        };
        match tokio::time::timeout(Duration::from_secs(10), wait).await {
            Ok(None) => Ok(()),
            Ok(Some(failure)) => Err(failure),
            Err(_) => Err("no answer to the barrier within 10 s".to_owned()),
        }
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
                Action::SetBeacon { beacon } => {
                    info!(%bssid, "action: set beacon");
                    RadioCmd::SetBeacon { bssid, beacon }
                }
                Action::ChannelSwitch {
                    channel,
                    count,
                    beacon_csa,
                    csa_counter_offsets,
                    beacon_after,
                } => {
                    info!(%bssid, channel, count, "action: channel switch");
                    RadioCmd::ChannelSwitch {
                        bssid,
                        channel,
                        count,
                        block_tx: false,
                        beacon_csa,
                        csa_counter_offsets,
                        beacon_after,
                    }
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
        let mut info = radio.info();
        info!(?info, "radio");
        if let Some(channel) = args.set_channel {
            radio.execute(RadioCmd::SetChannel { channel });
            barrier(&mut radio, u64::MAX).await?;
            info = radio.info();
            info!(channel = info.channel, "radio moved before the AP starts");
            tokio::time::sleep(Duration::from_secs(args.ap_delay)).await;
        }
        let bss = BssConfig::new(args.ssid.as_bytes(), info.channel);
        let start = tokio::time::Instant::now();
        let now = move || Instant::from_micros(start.elapsed().as_micros() as u64);
        let mut actions = Vec::new();
        let mut lvap = Lvap::new(
            LvapConfig {
                bssid: args.bssid,
                client: args.client,
                bss: bss.clone(),
                timeouts: Timeouts::default(),
            },
            &mut actions,
        )
        .map_err(|e| format!("LVAP: {e:?}"))?;
        info!(bssid = %args.bssid, client = %args.client, ssid = %args.ssid, "LVAP created");
        carry_out(&mut radio, args.bssid, &mut actions);

        let deadline = tokio::time::sleep(Duration::from_secs(args.seconds));
        tokio::pin!(deadline);
        let far = || tokio::time::Instant::now() + Duration::from_secs(3600);
        let mut survey_at = if args.survey > 0 {
            tokio::time::Instant::now()
        } else {
            far()
        };
        // When to switch channel: set once the client is authorized.
        let mut switch_at: Option<tokio::time::Instant> = None;
        let mut authorized = false;
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
                        RadioEvent::Heard { .. } => {}
                        RadioEvent::CommandFailed { command, error } => {
                            warn!(%command, %error, "radio command failed");
                        }
                        RadioEvent::Done { token, failure } => info!(token, ?failure, "barrier"),
                        RadioEvent::Survey { entries, .. } => log_survey(&entries),
                    }
                }
                _ = tokio::time::sleep_until(survey_at) => {
                    radio.execute(RadioCmd::Survey);
                    survey_at = tokio::time::Instant::now() + Duration::from_secs(args.survey);
                }
                _ = tokio::time::sleep_until(switch_at.unwrap_or_else(far)) => {
                    switch_at = None;
                    if let Some(channel) = args.switch_channel {
                        let count = args.switch_count;
                        let (beacon_csa, csa_counter_offsets) = bss
                            .channel_switch_beacon(args.bssid, channel, count, false)
                            .map_err(|e| format!("CSA beacon: {e:?}"))?;
                        let beacon_after = BssConfig { channel, ..bss.clone() }
                            .beacon(args.bssid)
                            .map_err(|e| format!("beacon after the switch: {e:?}"))?;
                        info!(from = info.channel, to = channel, count, ?csa_counter_offsets, "channel switch");
                        radio.execute(RadioCmd::ChannelSwitch {
                            bssid: args.bssid,
                            channel,
                            count,
                            block_tx: false,
                            beacon_csa,
                            csa_counter_offsets,
                            beacon_after,
                        });
                    }
                }
                _ = tokio::time::sleep_until(tick_at) => lvap.handle(Input::Tick, now(), &mut actions),
                _ = &mut deadline => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            }
            carry_out(&mut radio, args.bssid, &mut actions);
            if !authorized && lvap.is_authorized() {
                authorized = true;
                if let Some(channel) = args.try_set_channel {
                    info!(
                        channel,
                        "SET_WIPHY with the LVAP beaconing (expected to be refused)"
                    );
                    radio.execute(RadioCmd::SetChannel { channel });
                }
                if args.switch_channel.is_some() {
                    switch_at =
                        Some(tokio::time::Instant::now() + Duration::from_secs(args.switch_after));
                    info!(
                        after_s = args.switch_after,
                        "client authorized: channel switch scheduled"
                    );
                }
            }
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
