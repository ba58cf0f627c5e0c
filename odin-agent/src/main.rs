//! `odin-agent`: the access-point daemon. Opens the named mac80211 radios
//! over nl80211, connects to the controller and serves the LVAPs it is
//! given until SIGINT or SIGTERM; then every AP is stopped and every
//! interface it created is deleted.
//!
//! ```text
//! odin-agent --controller 127.0.0.1:6777 --secret-file /etc/odin/secret \
//!     --id ap1 --phy phy0 [--phy phy1,max_lvaps=8,channel=follow] [--channel 1]
//! odin-agent --config /etc/config/odin-agent      # OpenWrt's init script
//! odin-agent --config FILE --check-config         # check, print, exit
//! ```
//!
//! The settings (flags, a UCI file, both) are [`odin_agent::config`]'s.
//! Coexistence with hostapd on a radio: the agent opens only the radios it
//! is given, creates its own interfaces and deletes only those (the kernel
//! deletes them too if the agent dies), and takes a radio's channel from
//! another program's interface when one holds it (`channel`: `auto`,
//! `follow`), refusing then the controller's channel changes; a configured
//! channel that would move another program's radio is refused at start.

use std::process::ExitCode;

use clap::Parser;
use odin_agent::config::{Args, Settings};

#[cfg(target_os = "linux")]
mod daemon {
    use std::collections::HashMap;
    use std::time::Duration;

    use netlink_sys::{protocols, Socket};
    use odin_agent::agent::{AgentConfig, AgentCore, RadioLimits};
    use odin_agent::config::{channel_plan, ChannelPlan, RadioSettings, Settings};
    use odin_agent::link::LinkConfig;
    use odin_agent::lvap::BssConfig;
    use odin_agent::nl80211::consts::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
    use odin_agent::nl80211::msg::{NlError, NlMsg, Transaction};
    use odin_agent::nl80211::radio::parse_family;
    use odin_agent::nl80211::request;
    use odin_agent::nl80211::wiphy::{parse_interfaces, parse_wiphy_dump};
    use odin_agent::nl80211::{Nl80211Config, Nl80211Radio};
    use odin_agent::radio::{freq_to_channel, Radio};
    use odin_proto::msg::RadioIndex;
    use tokio::signal::unix::{signal, SignalKind};
    use tokio_util::sync::CancellationToken;
    use tracing::info;

    /// How long a radio configured to `follow` waits for another program's
    /// interface to hold its channel (at boot, hostapd comes up after the
    /// agent may have started; a DFS channel's check takes a minute).
    const FOLLOW_WAIT: Duration = Duration::from_secs(120);

    fn host_name() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "odin-agent".to_owned())
    }

    /// Whether an interface is named as this agent names its own
    /// (`odinmon<N>`, `odin<N>-<k>`): left by an agent that was killed a
    /// moment ago (the kernel deletes them with its socket), not another
    /// program's.
    fn named_like_ours(name: &str) -> bool {
        name.strip_prefix("odin").is_some_and(|rest| {
            rest.starts_with("mon")
                || rest
                    .split_once('-')
                    .is_some_and(|(n, k)| n.bytes().all(|b| b.is_ascii_digit()) && !k.is_empty())
        })
    }

    /// The first interface of wiphy `phy` that has a channel, and that
    /// channel: another program's (hostapd's AP, a station of
    /// wpa_supplicant), since the agent has made none yet.
    fn held_channel(phy: &str) -> Result<Option<(String, u8)>, NlError> {
        let mut sock =
            Socket::new(protocols::NETLINK_GENERIC).map_err(|e| NlError::io("socket", &e))?;
        sock.bind_auto().map_err(|e| NlError::io("bind", &e))?;
        let ask = |msg: &NlMsg, seq: u32, dump: bool| {
            let flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
            sock.send(&msg.finish(flags, seq), 0)
                .map_err(|e| NlError::io(msg.name, &e))?;
            let mut answer = Transaction::new(seq, dump, msg.name);
            loop {
                let (datagram, _) = sock
                    .recv_from_full()
                    .map_err(|e| NlError::io(msg.name, &e))?;
                if let Some(result) = answer.feed(&datagram) {
                    return result;
                }
            }
        };
        let (family, _) = parse_family(&ask(&request::get_family("nl80211"), 1, false)?)?;
        let wiphy = parse_wiphy_dump(&ask(&request::get_wiphy(family, None), 2, true)?)
            .into_iter()
            .find(|w| w.name == phy)
            .ok_or_else(|| NlError::local("GET_WIPHY", format!("no wiphy {phy} (see `iw phy`)")))?;
        let interfaces = parse_interfaces(&ask(&request::get_interfaces(family), 3, true)?);
        Ok(interfaces
            .into_iter()
            .filter(|i| i.wiphy == wiphy.index && !named_like_ours(&i.name))
            .find_map(|i| Some((i.name, freq_to_channel(i.freq?)?))))
    }

    /// What to do with `radio`'s channel; for `follow`, waits until
    /// another program's interface holds it.
    async fn plan(radio: &RadioSettings) -> Result<ChannelPlan, String> {
        let phy = &radio.phy;
        let deadline = tokio::time::Instant::now() + FOLLOW_WAIT;
        let mut told = false;
        loop {
            let held = held_channel(phy).map_err(|e| format!("{phy}: {e}"))?;
            let held = held
                .as_ref()
                .map(|(name, channel)| (name.as_str(), *channel));
            if let Some(plan) = channel_plan(phy, radio.channel, held)? {
                return Ok(plan);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{phy}: configured to follow the radio's channel, but no other interface of \
                     the radio has had one for {} s (is its wifi-iface up? `wifi status`)",
                    FOLLOW_WAIT.as_secs()
                ));
            }
            if !told {
                info!(radio = %phy, "waiting for another interface of the radio to hold a channel (channel follow)");
                told = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    pub async fn run(settings: Settings) -> Result<(), String> {
        let secret = settings.secret.load()?;
        let id = settings.id.clone().unwrap_or_else(host_name);
        let mut radios = Vec::new();
        let mut limits = HashMap::new();
        for (index, radio) in settings.radios.iter().enumerate() {
            let index = RadioIndex::try_from(index).map_err(|_| "too many radios")?;
            let phy = &radio.phy;
            let plan = plan(radio).await?;
            let mut config = Nl80211Config::new(phy);
            // Several agents (or radios) may share a network namespace:
            // AP interfaces are odin<N>-0, odin<N>-1, ... for phyN.
            let digits: String = phy.chars().filter(char::is_ascii_digit).collect();
            config.ifname_prefix = format!("odin{digits}-");
            config.index = index;
            config.channel = plan.start;
            config.bridge = settings.bridge.clone();
            let opened =
                Nl80211Radio::open(&config).map_err(|e| format!("cannot open {phy}: {e}"))?;
            let info = opened.info();
            if let Some(wanted) = plan.start.filter(|_| !plan.follows) {
                if !info.channels.is_empty() && !info.channels.contains(&wanted) {
                    return Err(format!(
                        "{phy} cannot use channel {wanted} (its channels: {:?})",
                        info.channels
                    ));
                }
            }
            info!(
                radio = %phy, channel = info.channel, follows = plan.follows,
                max_lvaps = info.max_lvaps, configured_max_lvaps = ?radio.max_lvaps,
                "{}",
                if plan.follows {
                    "the radio's channel is another program's: followed, never changed"
                } else {
                    "the radio's channel is the agent's"
                }
            );
            limits.insert(
                index,
                RadioLimits {
                    max_lvaps: radio.max_lvaps,
                    fixed_channel: plan.follows,
                },
            );
            radios.push(opened);
        }
        let closers: Vec<_> = radios.iter().map(Nl80211Radio::closer).collect();
        let infos: Vec<_> = radios.iter().map(Radio::info).collect();
        // HT (20 MHz) where the radio's band has it, unless turned off;
        // VHT is not advertised yet.
        let bss = infos
            .iter()
            .zip(&radios)
            .map(|(i, radio)| {
                let bss = BssConfig::new(b"", i.channel);
                match radio.ht_capabilities() {
                    Some(ht) if settings.ht => bss.with_ht(ht),
                    _ => bss,
                }
            })
            .collect();
        let mut agent = AgentConfig::new(&id);
        agent.radio_limits = limits;
        agent.ssids = settings.ssid_bytes();
        let core = AgentCore::new(agent, infos, bss);
        let link = LinkConfig::new(&settings.controller, &secret, &id);
        info!(
            agent = %id, controller = %settings.controller,
            radios = ?core_radios(&core),
            ssids = ?settings.ssids,
            "odin-agent starting"
        );

        let shutdown = CancellationToken::new();
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        let mut int =
            signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => info!("SIGTERM: stopping"),
                _ = int.recv() => info!("SIGINT: stopping"),
            }
            stop.cancel();
        });
        odin_agent::runtime::run(core, radios, link, shutdown).await;
        // The event loop dropped the radios; their drivers wait for this.
        for closer in closers {
            closer.close().await;
        }
        info!(agent = %id, "odin-agent stopped: APs stopped, interfaces deleted");
        Ok(())
    }

    /// Each radio as the controller will see it (configured caps applied).
    fn core_radios(core: &AgentCore) -> Vec<(String, String, u8, u32)> {
        match core.hello() {
            odin_proto::msg::AgentMsg::Hello { radios, .. } => radios
                .into_iter()
                .map(|i| (i.name, i.addr.to_string(), i.channel, i.max_lvaps))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_agents_own_interface_names_are_not_another_programs() {
            for ours in ["odinmon0", "odinmon12", "odin0-0", "odin12-7", "odin-3"] {
                assert!(super::named_like_ours(ours), "{ours}");
            }
            for theirs in [
                "wlan0", "phy0-ap0", "odin", "odin0", "odinx-1", "odin0-", "xodin0-1",
            ] {
                assert!(!super::named_like_ours(theirs), "{theirs}");
            }
        }
    }
}

/// One line that says what the settings are (the secret left out).
fn summary(settings: &Settings) -> String {
    let radios: Vec<String> = settings
        .radios
        .iter()
        .map(|r| match r.max_lvaps {
            Some(max) => format!("{} (channel {}, at most {max} LVAPs)", r.phy, r.channel),
            None => format!("{} (channel {})", r.phy, r.channel),
        })
        .collect();
    format!(
        "controller {}, id {}, radios {}, bridge {}, SSIDs {}, HT {}, log level {}",
        settings.controller,
        settings.id.as_deref().unwrap_or("(the host name)"),
        radios.join(", "),
        settings.bridge.as_deref().unwrap_or("none"),
        if settings.ssids.is_empty() {
            "any".to_owned()
        } else {
            format!("{:?}", settings.ssids)
        },
        if settings.ht { "on" } else { "off" },
        settings.log_level,
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    let settings = match Settings::resolve(&args) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("odin-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.check_config {
        return match settings.secret.load() {
            Ok(_) => {
                println!("odin-agent: configuration OK: {}", summary(&settings));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("odin-agent: {e}");
                ExitCode::FAILURE
            }
        };
    }
    run(settings)
}

#[cfg(target_os = "linux")]
fn run(settings: Settings) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.log_level));
    let filter = match filter {
        Ok(f) => f,
        Err(e) => {
            eprintln!("odin-agent: bad log level {:?}: {e}", settings.log_level);
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("odin-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(daemon::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("odin-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn run(_settings: Settings) -> ExitCode {
    eprintln!("odin-agent needs Linux (nl80211)");
    ExitCode::FAILURE
}
