//! `odin-agent`: the access-point daemon. Opens the named mac80211 radios
//! over nl80211, connects to the controller and serves the LVAPs it is
//! given until SIGINT or SIGTERM; then every AP is stopped and every
//! interface it created is deleted.
//!
//! ```text
//! odin-agent --controller 127.0.0.1:6777 --secret-file /etc/odin/secret \
//!     --id ap1 --phy phy0 [--phy phy1] [--channel 1] [--log-level info]
//! ```

#[cfg(target_os = "linux")]
mod daemon {
    use std::path::PathBuf;

    use clap::Parser;
    use odin_agent::agent::{AgentConfig, AgentCore};
    use odin_agent::link::LinkConfig;
    use odin_agent::lvap::BssConfig;
    use odin_agent::nl80211::{Nl80211Config, Nl80211Radio};
    use odin_agent::radio::Radio;
    use tokio::signal::unix::{signal, SignalKind};
    use tokio_util::sync::CancellationToken;
    use tracing::{info, warn};

    /// Odin access-point agent: gives each WiFi client its own virtual
    /// access point (LVAP, an AP interface with a BSSID of its own) on
    /// this machine's radios, as the controller decides.
    #[derive(Debug, Parser)]
    #[command(name = "odin-agent", version)]
    pub struct Args {
        /// The controller's address (HOST:PORT). The agent dials it and
        /// reconnects with backoff whenever the connection drops; its
        /// clients stay served meanwhile.
        #[arg(long, value_name = "HOST:PORT")]
        controller: String,
        /// A file holding the secret shared with the controller (both sides
        /// prove it with HMAC; it never crosses the network). Trailing
        /// newlines are ignored.
        #[arg(long, value_name = "PATH", conflicts_with = "secret")]
        secret_file: Option<PathBuf>,
        /// The shared secret itself (visible in the process list: prefer
        /// --secret-file or ODIN_SECRET).
        #[arg(long, env = "ODIN_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// This agent's name towards the controller (unique per access
        /// point); default: the host name.
        #[arg(long, value_name = "NAME")]
        id: Option<String>,
        /// A wiphy to serve clients on (as `iw phy` names it), repeatable.
        /// Each gets a monitor interface (odinmon<N>) to hear clients, and
        /// one AP interface per LVAP (odin<N>-0, odin<N>-1, ...).
        #[arg(long = "phy", value_name = "phyN", required = true)]
        phys: Vec<String>,
        /// The channel the LVAPs beacon on; default: the channel an
        /// interface of the radio already uses, else its first channel.
        #[arg(long, value_name = "N")]
        channel: Option<u8>,
        /// A Linux bridge that every LVAP interface joins (as hostapd's
        /// `bridge=`), so clients reach the wired network; it must exist.
        /// Without it, the LVAP interfaces stand alone.
        #[arg(long, value_name = "IFNAME")]
        bridge: Option<String>,
        /// Do not advertise HT (802.11n): the LVAPs are 802.11g BSSs. By
        /// default they are HT on 20 MHz channels where the radio can.
        #[arg(long)]
        no_ht: bool,
        /// Log filter: error, warn, info, debug, trace, or a tracing
        /// directive such as `info,odin_agent::nl80211=trace` (RUST_LOG
        /// takes precedence when set).
        #[arg(long, value_name = "FILTER", default_value = "info")]
        log_level: String,
    }

    impl Args {
        pub fn log_level(&self) -> &str {
            &self.log_level
        }
    }

    fn secret(args: &Args) -> Result<Vec<u8>, String> {
        odin_proto::auth::load_secret(args.secret_file.as_deref(), args.secret.as_deref())
    }

    fn host_name() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "odin-agent".to_owned())
    }

    pub async fn run(args: Args) -> Result<(), String> {
        let secret = secret(&args)?;
        let id = args.id.clone().unwrap_or_else(host_name);
        let mut radios = Vec::new();
        for (index, phy) in args.phys.iter().enumerate() {
            let mut config = Nl80211Config::new(phy);
            // Several agents (or radios) may share a network namespace:
            // AP interfaces are odin<N>-0, odin<N>-1, ... for phyN.
            let digits: String = phy.chars().filter(char::is_ascii_digit).collect();
            config.ifname_prefix = format!("odin{digits}-");
            config.index = u32::try_from(index).map_err(|_| "too many radios")?;
            config.channel = args.channel;
            config.bridge = args.bridge.clone();
            let radio =
                Nl80211Radio::open(&config).map_err(|e| format!("cannot open {phy}: {e}"))?;
            radios.push(radio);
        }
        let closers: Vec<_> = radios.iter().map(Nl80211Radio::closer).collect();
        let infos: Vec<_> = radios.iter().map(Radio::info).collect();
        for info in &infos {
            if args.channel.is_some_and(|c| c != info.channel) {
                warn!(
                    radio = %info.name, channel = info.channel,
                    "an interface of the radio already uses this channel: --channel ignored"
                );
            }
        }
        // HT (20 MHz) where the radio's band has it, unless --no-ht; VHT
        // is not advertised yet.
        let bss = infos
            .iter()
            .zip(&radios)
            .map(|(i, radio)| {
                let bss = BssConfig::new(b"", i.channel);
                match radio.ht_capabilities() {
                    Some(ht) if !args.no_ht => bss.with_ht(ht),
                    _ => bss,
                }
            })
            .collect();
        let core = AgentCore::new(AgentConfig::new(&id), infos.clone(), bss);
        let link = LinkConfig::new(&args.controller, &secret, &id);
        info!(
            agent = %id, controller = %args.controller,
            radios = ?infos.iter().map(|i| (&i.name, i.addr.to_string(), i.channel, i.max_lvaps)).collect::<Vec<_>>(),
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
}

#[cfg(target_os = "linux")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    let args = daemon::Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(args.log_level()));
    let filter = match filter {
        Ok(f) => f,
        Err(e) => {
            eprintln!("odin-agent: bad --log-level {:?}: {e}", args.log_level());
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
    match daemon::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("odin-agent: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("odin-agent needs Linux (nl80211)");
}
