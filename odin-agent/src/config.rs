//! The agent daemon's settings, from flags, from a configuration file in
//! UCI syntax (`--config`: on OpenWrt `/etc/config/odin-agent`, anywhere
//! else any path), or both: a flag wins over the file.
//!
//! The file (`openwrt/odin-agent/files/odin-agent.config` is the commented
//! sample) has one `agent` section and a `radio` section per radio:
//!
//! | UCI                              | flag                          |
//! |----------------------------------|-------------------------------|
//! | `agent.controller`               | `--controller HOST:PORT`      |
//! | `agent.secret_file`              | `--secret-file PATH`          |
//! | `agent.secret`                   | `--secret` (or `ODIN_SECRET`) |
//! | `agent.id`                       | `--id NAME`                   |
//! | `agent.bridge`                   | `--bridge IFNAME`             |
//! | `agent.ht '0'`                   | `--no-ht`                     |
//! | `agent.ssid` (a list)            | `--ssid SSID`, repeated       |
//! | `agent.log_level`                | `--log-level FILTER`          |
//! | `radio.phy`, `.max_lvaps`, `.channel` | `--phy phy0,max_lvaps=8,channel=follow`, repeated |
//! | `agent.enabled`                  | (the init script's switch)    |
//!
//! `--phy` flags replace the file's radios, `--ssid` flags its SSIDs;
//! `--channel N` is the channel of every radio that does not name its own.
//! Unknown sections and options are errors, so a typo is not silently a
//! default.

use std::path::PathBuf;

use clap::Parser;

use crate::radio::channel_to_freq;
use crate::uci;

/// The log filter when none is given.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// Odin access-point agent: gives each WiFi client its own virtual access
/// point (LVAP, an AP interface with a BSSID of its own) on this machine's
/// radios, as the controller decides.
#[derive(Debug, Clone, Parser)]
#[command(name = "odin-agent", version)]
pub struct Args {
    /// A configuration file in UCI syntax (OpenWrt: /etc/config/odin-agent;
    /// the sample documents every option). Flags given as well win over it.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Check the settings (and that the secret can be read), print a
    /// summary and exit: 0 if they are usable, 1 with the reason if not.
    /// The radios themselves are not opened.
    #[arg(long)]
    pub check_config: bool,
    /// The controller's address (HOST:PORT). The agent dials it and
    /// reconnects with backoff whenever the connection drops; its clients
    /// stay served meanwhile.
    #[arg(long, value_name = "HOST:PORT")]
    pub controller: Option<String>,
    /// A file holding the secret shared with the controller (both sides
    /// prove it with HMAC; it never crosses the network). Trailing newlines
    /// are ignored.
    #[arg(long, value_name = "PATH", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
    /// The shared secret itself (visible in the process list: prefer
    /// --secret-file or ODIN_SECRET).
    #[arg(long, env = "ODIN_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// This agent's name towards the controller (unique per access point);
    /// default: the host name.
    #[arg(long, value_name = "NAME")]
    pub id: Option<String>,
    /// A wiphy to serve clients on (as `iw phy` names it), repeatable,
    /// with optional settings: `max_lvaps=N` (at most N LVAPs, below what
    /// the radio allows), `channel=auto|follow|N` (see the configuration
    /// sample). Each radio gets a monitor interface (odinmon<N>) and one
    /// AP interface per LVAP (odin<N>-0, ...); no other radio is touched.
    #[arg(
        long = "phy",
        value_name = "phyN[,max_lvaps=N][,channel=C]",
        value_parser = RadioSpec::parse
    )]
    pub phys: Vec<RadioSpec>,
    /// The channel of every radio that does not name its own: the agent
    /// sets it, and refuses to start if another program's interface holds
    /// the radio on another channel. Default: `auto`.
    #[arg(long, value_name = "N", value_parser = parse_channel_number)]
    pub channel: Option<u8>,
    /// A Linux bridge that every LVAP interface joins (as hostapd's
    /// `bridge=`), so clients reach the wired network; it must exist.
    #[arg(long, value_name = "IFNAME")]
    pub bridge: Option<String>,
    /// Do not advertise HT (802.11n): the LVAPs are 802.11g BSSs. By
    /// default they are HT on 20 MHz channels where the radio can.
    #[arg(long)]
    pub no_ht: bool,
    /// An SSID this agent may serve, repeatable. The controller names the
    /// network's SSID; when any is given here, the agent refuses a network
    /// or an LVAP whose SSID is not among them. Default: any.
    #[arg(long = "ssid", value_name = "SSID")]
    pub ssids: Vec<String>,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive
    /// such as `info,odin_agent::nl80211=trace` (RUST_LOG takes precedence
    /// when set). Default: info.
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
}

/// Where the shared secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A file that holds it.
    File(PathBuf),
    /// The secret itself.
    Inline(String),
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Secret::File(path) => f.debug_tuple("File").field(path).finish(),
            Secret::Inline(_) => f.write_str("Inline(<redacted>)"),
        }
    }
}

impl Secret {
    /// The secret's bytes (a file's trailing newlines removed); an error
    /// in words if it cannot be read or is empty.
    pub fn load(&self) -> Result<Vec<u8>, String> {
        match self {
            Secret::File(path) => odin_proto::auth::load_secret(Some(path), None),
            Secret::Inline(s) => odin_proto::auth::load_secret(None, Some(s)),
        }
    }
}

/// What the agent does with a radio's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Follow the channel of another program's interface on the radio
    /// (hostapd's, wpad's) if one holds it, else own the radio's channel
    /// (starting on its first).
    Auto,
    /// Always follow another program's interface on the radio: wait for
    /// one to hold a channel; the agent never changes it.
    Follow,
    /// Set this channel; refuse to start if another program's interface
    /// holds the radio on another channel.
    Set(u8),
}

impl core::fmt::Display for Channel {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Channel::Auto => f.write_str("auto"),
            Channel::Follow => f.write_str("follow"),
            Channel::Set(n) => write!(f, "{n}"),
        }
    }
}

impl core::str::FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Channel, String> {
        match s {
            "auto" => Ok(Channel::Auto),
            "follow" => Ok(Channel::Follow),
            n => parse_channel_number(n)
                .map(Channel::Set)
                .map_err(|_| format!("channel {n:?}: expected auto, follow or a channel number")),
        }
    }
}

/// A 2.4 or 5 GHz channel number.
fn parse_channel_number(s: &str) -> Result<u8, String> {
    s.parse::<u8>()
        .ok()
        .filter(|&n| channel_to_freq(n).is_some())
        .ok_or_else(|| format!("{s:?} is not a 2.4 or 5 GHz channel number"))
}

/// One radio as given (`--phy` or a `radio` section), before defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadioSpec {
    /// The wiphy's name.
    pub phy: String,
    /// At most this many LVAPs.
    pub max_lvaps: Option<u32>,
    /// Its channel, if it names one.
    pub channel: Option<Channel>,
}

impl RadioSpec {
    /// Parses `--phy phy0[,max_lvaps=N][,channel=auto|follow|N]`.
    pub fn parse(s: &str) -> Result<RadioSpec, String> {
        let mut parts = s.split(',');
        let phy = parts.next().unwrap_or_default();
        check_phy(phy)?;
        let mut spec = RadioSpec {
            phy: phy.to_owned(),
            max_lvaps: None,
            channel: None,
        };
        for part in parts {
            match part.split_once('=') {
                Some(("max_lvaps", n)) => spec.max_lvaps = Some(parse_max_lvaps(n)?),
                Some(("channel", c)) => spec.channel = Some(c.parse()?),
                _ => {
                    return Err(format!(
                        "{part:?}: expected max_lvaps=N or channel=auto|follow|N after the wiphy's name"
                    ))
                }
            }
        }
        Ok(spec)
    }
}

fn check_phy(phy: &str) -> Result<(), String> {
    if phy.is_empty() || phy.len() > 64 || phy.contains(['/', ' ', '\t', '\n']) {
        return Err(format!(
            "{phy:?} is not a wiphy name (as `iw phy` lists them)"
        ));
    }
    Ok(())
}

/// The most `max_lvaps` may say (the init script's UCI validation agrees:
/// `range(1,4096)`).
const MAX_LVAPS: u32 = 4096;

fn parse_max_lvaps(s: &str) -> Result<u32, String> {
    s.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LVAPS).contains(n))
        .ok_or_else(|| format!("max_lvaps {s:?}: expected a whole number from 1 to {MAX_LVAPS}"))
}

/// One radio the agent serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadioSettings {
    /// The wiphy's name (`phy0`).
    pub phy: String,
    /// At most this many LVAPs (`None`: as many as the radio allows).
    pub max_lvaps: Option<u32>,
    /// What the agent does with its channel.
    pub channel: Channel,
}

/// Everything the agent daemon is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The controller's `HOST:PORT`.
    pub controller: String,
    /// The shared secret.
    pub secret: Secret,
    /// The agent's name (`None`: the host name).
    pub id: Option<String>,
    /// The radios, in order (radio 0, 1, ...).
    pub radios: Vec<RadioSettings>,
    /// The bridge every LVAP interface joins.
    pub bridge: Option<String>,
    /// Whether LVAPs advertise HT where the radio can.
    pub ht: bool,
    /// The SSIDs the agent may serve (empty: any the controller names).
    pub ssids: Vec<String>,
    /// The log filter.
    pub log_level: String,
}

/// What a configuration file says; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// `agent.enabled` (for the init script; the agent ignores it).
    pub enabled: Option<bool>,
    /// `agent.controller`.
    pub controller: Option<String>,
    /// `agent.secret_file` or `agent.secret`.
    pub secret: Option<Secret>,
    /// `agent.id`.
    pub id: Option<String>,
    /// The `radio` sections.
    pub radios: Vec<RadioSpec>,
    /// `agent.bridge`.
    pub bridge: Option<String>,
    /// `agent.ht`.
    pub ht: Option<bool>,
    /// `agent.ssid`.
    pub ssids: Vec<String>,
    /// `agent.log_level`.
    pub log_level: Option<String>,
}

const AGENT_OPTIONS: &[&str] = &[
    "enabled",
    "controller",
    "secret_file",
    "secret",
    "id",
    "bridge",
    "ht",
    "ssid",
    "log_level",
];
const RADIO_OPTIONS: &[&str] = &["phy", "max_lvaps", "channel"];

impl FileSettings {
    /// Reads a configuration file's text. Errors name the line.
    pub fn parse(text: &str) -> Result<FileSettings, String> {
        let package = uci::parse(text).map_err(|e| e.to_string())?;
        let mut file = FileSettings::default();
        let mut agent_line = None;
        let mut radios = 0;
        for section in &package.sections {
            let at = |line: usize, what: &str| format!("line {line}: {what}");
            match section.kind.as_str() {
                "agent" => {
                    if let Some(first) = agent_line {
                        return Err(at(
                            section.line,
                            &format!("a second agent section (the first is on line {first})"),
                        ));
                    }
                    agent_line = Some(section.line);
                    file.agent_section(section)?;
                }
                "radio" => {
                    let label = format!("radio section @radio[{radios}]");
                    radios += 1;
                    file.radios.push(radio_section(section, &label)?);
                }
                other => {
                    return Err(at(
                        section.line,
                        &format!("unknown section type {other:?} (expected agent or radio)"),
                    ))
                }
            }
        }
        Ok(file)
    }

    fn agent_section(&mut self, section: &uci::Section) -> Result<(), String> {
        check_known(section, AGENT_OPTIONS, "agent section")?;
        self.enabled = bool_option(section, "enabled")?;
        self.controller = single(section, "controller")?;
        let secret_file = single(section, "secret_file")?;
        let secret = single(section, "secret")?;
        self.secret = match (secret_file, secret) {
            (Some(_), Some(_)) => {
                let line = ["secret", "secret_file"]
                    .iter()
                    .filter_map(|n| section.get(n).map(|o| o.line))
                    .max()
                    .unwrap_or(section.line);
                return Err(format!(
                    "line {line}: both secret and secret_file are set: keep one"
                ));
            }
            (Some(path), None) => Some(Secret::File(path.into())),
            (None, Some(s)) => Some(Secret::Inline(s)),
            (None, None) => None,
        };
        self.id = single(section, "id")?;
        self.bridge = single(section, "bridge")?;
        self.ht = bool_option(section, "ht")?;
        self.ssids = section
            .get("ssid")
            .map(|o| o.value.values().to_vec())
            .unwrap_or_default();
        self.log_level = single(section, "log_level")?;
        Ok(())
    }
}

fn radio_section(section: &uci::Section, label: &str) -> Result<RadioSpec, String> {
    check_known(section, RADIO_OPTIONS, label)?;
    let in_option = |name: &str, e: String| {
        let line = section.get(name).map_or(section.line, |o| o.line);
        format!("line {line}: {e}")
    };
    let phy = single(section, "phy")?.ok_or_else(|| {
        format!(
            "line {}: the {label} has no `option phy` (the wiphy, as `iw phy` names it)",
            section.line
        )
    })?;
    check_phy(&phy).map_err(|e| in_option("phy", e))?;
    let max_lvaps = single(section, "max_lvaps")?
        .map(|n| parse_max_lvaps(&n))
        .transpose()
        .map_err(|e| in_option("max_lvaps", e))?;
    let channel = single(section, "channel")?
        .map(|c| c.parse::<Channel>())
        .transpose()
        .map_err(|e| in_option("channel", e))?;
    Ok(RadioSpec {
        phy,
        max_lvaps,
        channel,
    })
}

fn check_known(section: &uci::Section, known: &[&str], label: &str) -> Result<(), String> {
    match section
        .options
        .iter()
        .find(|o| !known.contains(&o.name.as_str()))
    {
        Some(o) => Err(format!(
            "line {}: unknown option {:?} in the {label} (known: {})",
            o.line,
            o.name,
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// A single-valued option.
fn single(section: &uci::Section, name: &str) -> Result<Option<String>, String> {
    match section.get(name) {
        None => Ok(None),
        Some(uci::Opt {
            value: uci::Value::Single(v),
            ..
        }) => Ok(Some(v.clone())),
        Some(o) => Err(format!(
            "line {}: {name} takes one value: write `option {name}`, not `list {name}`",
            o.line
        )),
    }
}

/// A boolean option, as UCI spells them.
fn bool_option(section: &uci::Section, name: &str) -> Result<Option<bool>, String> {
    let Some(value) = single(section, name)? else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" | "enabled" => Ok(Some(true)),
        "0" | "off" | "false" | "no" | "disabled" => Ok(Some(false)),
        _ => {
            let line = section.get(name).map_or(section.line, |o| o.line);
            Err(format!("line {line}: {name} {value:?}: expected 1 or 0"))
        }
    }
}

impl Settings {
    /// The settings `args` give: the file of `--config` (if any) with the
    /// flags over it. Errors say what is wrong and where.
    pub fn resolve(args: &Args) -> Result<Settings, String> {
        let file = match &args.config {
            None => FileSettings::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                FileSettings::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        Settings::merge(args, file)
    }

    /// `file` with the flags of `args` over it, checked.
    pub fn merge(args: &Args, file: FileSettings) -> Result<Settings, String> {
        let controller = args.controller.clone().or(file.controller).ok_or(
            "no controller address: give --controller HOST:PORT or `option controller` in the agent section",
        )?;
        check_controller(&controller)?;
        let secret = match (&args.secret_file, &args.secret) {
            (Some(path), _) => Secret::File(path.clone()),
            (None, Some(s)) => Secret::Inline(s.clone()),
            (None, None) => file.secret.ok_or(
                "no secret: give --secret-file, --secret or ODIN_SECRET, or `option secret_file` in the agent section",
            )?,
        };
        if matches!(&secret, Secret::File(p) if p.as_os_str().is_empty()) {
            return Err("the secret file's path is empty".into());
        }
        let id = args.id.clone().or(file.id);
        if id.as_deref().is_some_and(|id| id.trim().is_empty()) {
            return Err("the agent's id is empty".into());
        }
        let specs = if args.phys.is_empty() {
            file.radios
        } else {
            args.phys.clone()
        };
        if specs.is_empty() {
            return Err(
                "no radio: give --phy phyN or a `config radio` section with `option phy`".into(),
            );
        }
        let mut radios: Vec<RadioSettings> = Vec::with_capacity(specs.len());
        for spec in specs {
            if radios.iter().any(|r| r.phy == spec.phy) {
                return Err(format!("radio {} is given twice", spec.phy));
            }
            let default = args.channel.map_or(Channel::Auto, Channel::Set);
            radios.push(RadioSettings {
                phy: spec.phy,
                max_lvaps: spec.max_lvaps,
                channel: spec.channel.unwrap_or(default),
            });
        }
        let bridge = args.bridge.clone().or(file.bridge);
        if let Some(b) = &bridge {
            if b.is_empty() || b.len() > 15 || b.contains(['/', ' ', '\t', '\n']) {
                return Err(format!("bridge {b:?} is not an interface name"));
            }
        }
        let ssids = if args.ssids.is_empty() {
            file.ssids
        } else {
            args.ssids.clone()
        };
        for (i, ssid) in ssids.iter().enumerate() {
            if ssid.is_empty() || ssid.len() > 32 {
                return Err(format!(
                    "SSID {ssid:?} has {} bytes: an SSID has 1 to 32",
                    ssid.len()
                ));
            }
            if ssids.iter().take(i).any(|s| s == ssid) {
                return Err(format!("SSID {ssid:?} is given twice"));
            }
        }
        let log_level = args
            .log_level
            .clone()
            .or(file.log_level)
            .unwrap_or_else(|| DEFAULT_LOG_LEVEL.to_owned());
        tracing_subscriber::EnvFilter::try_new(&log_level)
            .map_err(|e| format!("log level {log_level:?}: {e}"))?;
        Ok(Settings {
            controller,
            secret,
            id,
            radios,
            bridge,
            ht: !args.no_ht && file.ht.unwrap_or(true),
            ssids,
            log_level,
        })
    }

    /// The configured SSIDs as bytes, for [`crate::agent::AgentConfig::ssids`].
    pub fn ssid_bytes(&self) -> Vec<Vec<u8>> {
        self.ssids.iter().map(|s| s.as_bytes().to_vec()).collect()
    }
}

/// `HOST:PORT`, `[v6]:PORT`; not resolved here.
fn check_controller(controller: &str) -> Result<(), String> {
    let bad =
        || format!("controller {controller:?}: expected HOST:PORT (an IPv6 address in brackets)");
    let (host, port) = controller.rsplit_once(':').ok_or_else(bad)?;
    let port_ok = port.parse::<u16>().is_ok_and(|p| p != 0);
    let host_ok = !host.is_empty()
        && !host.contains(char::is_whitespace)
        && (host.starts_with('[') == host.ends_with(']'))
        && (host.starts_with('[') || !host.contains(':'));
    if port_ok && host_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// How the agent treats a radio's channel once it knows whether another
/// program's interface holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelPlan {
    /// The channel to start on when no other interface holds one (`None`:
    /// the radio's first).
    pub start: Option<u8>,
    /// The channel belongs to another program's interface: the agent
    /// stays on it and refuses the controller's channel changes.
    pub follows: bool,
}

/// The plan for radio `phy`, configured with `channel`, when `held` is
/// the interface of another program that holds the radio's channel and
/// that channel (if any). `Ok(None)`: wait (`follow`, nothing to follow
/// yet); an error when the configuration asks for what would move another
/// program's channel.
pub fn channel_plan(
    phy: &str,
    channel: Channel,
    held: Option<(&str, u8)>,
) -> Result<Option<ChannelPlan>, String> {
    let plan = |start, follows| Ok(Some(ChannelPlan { start, follows }));
    match (channel, held) {
        (Channel::Follow, None) => Ok(None),
        (Channel::Follow | Channel::Auto, Some(_)) => plan(None, true),
        (Channel::Auto, None) => plan(None, false),
        (Channel::Set(n), None) => plan(Some(n), false),
        (Channel::Set(n), Some((_, held))) if held == n => plan(Some(n), true),
        (Channel::Set(n), Some((ifname, held))) => Err(format!(
            "{phy}: the configuration sets channel {n}, but {ifname} (not this agent's) holds the radio on channel {held}; \
             the agent does not move another program's channel: configure channel {held} or `follow`, or move {ifname}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openwrt/odin-agent/files/odin-agent.config"
    );

    fn args(argv: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("odin-agent").chain(argv.iter().copied())).unwrap()
    }

    fn resolve(argv: &[&str]) -> Result<Settings, String> {
        Settings::resolve(&args(argv))
    }

    fn file(text: &str) -> Result<FileSettings, String> {
        FileSettings::parse(text)
    }

    #[test]
    fn the_sample_configuration_means_what_its_flags_mean() {
        let from_file = resolve(&["--config", SAMPLE]).unwrap();
        let from_flags = resolve(&[
            "--controller",
            "192.0.2.1:6777",
            "--secret-file",
            "/etc/odin-agent/secret",
            "--phy",
            "phy0,channel=auto",
            "--bridge",
            "br-lan",
            "--log-level",
            "info",
        ])
        .unwrap();
        assert_eq!(from_file, from_flags);
        // And spelled out, so that a change to the sample shows here.
        assert_eq!(
            from_file,
            Settings {
                controller: "192.0.2.1:6777".into(),
                secret: Secret::File("/etc/odin-agent/secret".into()),
                id: None,
                radios: vec![RadioSettings {
                    phy: "phy0".into(),
                    max_lvaps: None,
                    channel: Channel::Auto,
                }],
                bridge: Some("br-lan".into()),
                ht: true,
                ssids: vec![],
                log_level: "info".into(),
            }
        );
        // The sample ships disabled: the controller's address and the
        // secret are the user's to fill in first.
        let text = std::fs::read_to_string(SAMPLE).unwrap();
        assert_eq!(file(&text).unwrap().enabled, Some(false));
    }

    /// Every option the file has, against every flag.
    const FULL: &str = "\
config agent 'agent'
\toption enabled '1'
\toption controller '[2001:db8::1]:7000'
\toption secret 'sesame'
\toption id 'ap-kitchen'
\toption bridge 'br-odin'
\toption ht '0'
\tlist ssid 'odin'
\tlist ssid 'odin guests'
\toption log_level 'debug,odin_agent::nl80211=trace'

config radio
\toption phy 'phy1'
\toption max_lvaps '4'
\toption channel 'follow'

config radio 'second'
\toption phy 'phy0'
\toption channel '36'
";

    #[test]
    fn every_option_has_its_flag() {
        let path =
            std::env::temp_dir().join(format!("odin-agent-full-{}.conf", std::process::id()));
        std::fs::write(&path, FULL).unwrap();
        let from_file = resolve(&["--config", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(&path);
        let from_flags = resolve(&[
            "--controller",
            "[2001:db8::1]:7000",
            "--secret",
            "sesame",
            "--id",
            "ap-kitchen",
            "--bridge",
            "br-odin",
            "--no-ht",
            "--ssid",
            "odin",
            "--ssid",
            "odin guests",
            "--log-level",
            "debug,odin_agent::nl80211=trace",
            "--phy",
            "phy1,max_lvaps=4,channel=follow",
            "--phy",
            "phy0,channel=36",
        ]);
        assert_eq!(from_file, from_flags);
        let s = from_flags.unwrap();
        assert_eq!(s.secret, Secret::Inline("sesame".into()));
        assert_eq!(
            s.radios,
            [
                RadioSettings {
                    phy: "phy1".into(),
                    max_lvaps: Some(4),
                    channel: Channel::Follow
                },
                RadioSettings {
                    phy: "phy0".into(),
                    max_lvaps: None,
                    channel: Channel::Set(36)
                },
            ]
        );
        assert_eq!(s.ssid_bytes(), [b"odin".to_vec(), b"odin guests".to_vec()]);
        assert!(!s.ht);
        assert!(
            !format!("{s:?}").contains("sesame"),
            "the secret stays out of logs"
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let f = file(FULL).unwrap();
        let s = Settings::merge(
            &args(&[
                "--controller",
                "10.0.0.2:6777",
                "--secret-file",
                "/run/secret",
                "--phy",
                "phy7",
                "--channel",
                "11",
                "--ssid",
                "other",
            ]),
            f,
        )
        .unwrap();
        assert_eq!(s.controller, "10.0.0.2:6777");
        assert_eq!(s.secret, Secret::File("/run/secret".into()));
        assert_eq!(
            s.radios,
            [RadioSettings {
                phy: "phy7".into(),
                max_lvaps: None,
                channel: Channel::Set(11)
            }]
        );
        assert_eq!(s.ssids, ["other"]);
        // What the flags leave alone comes from the file.
        assert_eq!(s.id.as_deref(), Some("ap-kitchen"));
        assert_eq!(s.bridge.as_deref(), Some("br-odin"));
        assert!(!s.ht);
    }

    #[test]
    fn the_global_channel_applies_to_radios_without_their_own() {
        let s = resolve(&[
            "--controller",
            "h:1",
            "--secret",
            "x",
            "--phy",
            "phy0",
            "--phy",
            "phy1,channel=follow",
            "--channel",
            "6",
        ])
        .unwrap();
        let channels: Vec<Channel> = s.radios.iter().map(|r| r.channel).collect();
        assert_eq!(channels, [Channel::Set(6), Channel::Follow]);
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        let base = "config agent 'agent'\n\toption controller 'h:1'\n\toption secret 'x'\n";
        let cases: &[(&str, &str)] = &[
            (
                "config radio\n\toption phy 'phy0'\n\toption max_lvap '3'\n",
                "line 6: unknown option \"max_lvap\" in the radio section @radio[0]",
            ),
            (
                "config radio\n\toption max_lvaps '3'\n",
                "line 4: the radio section @radio[0] has no `option phy`",
            ),
            (
                "config radio\n\toption phy 'phy0'\n\toption max_lvaps 'many'\n",
                "line 6: max_lvaps \"many\"",
            ),
            (
                "config radio\n\toption phy 'phy0'\n\toption max_lvaps '0'\n",
                "line 6: max_lvaps \"0\"",
            ),
            (
                "config radio\n\toption phy 'phy0'\n\toption channel '15'\n",
                "line 6: channel \"15\"",
            ),
            ("config radios\n", "line 4: unknown section type \"radios\""),
            (
                "config agent 'other'\n",
                "line 4: a second agent section (the first is on line 1)",
            ),
            (
                "\toption ht 'maybe'\n",
                "line 4: ht \"maybe\": expected 1 or 0",
            ),
            (
                "\toption secret_file '/x'\n",
                "both secret and secret_file are set",
            ),
            (
                "\tlist controller 'h:2'\n",
                "line 4: controller takes one value",
            ),
            ("\toption 'bad\n", "line 4: unterminated"),
        ];
        for (extra, needle) in cases {
            let text = format!("{base}{extra}");
            let e = file(&text).unwrap_err();
            assert!(e.contains(needle), "{text:?}\n got: {e}\n want: {needle}");
        }
    }

    #[test]
    fn bad_settings_are_refused_in_words() {
        // Good settings, then each case's changes.
        let with = |controller: &str, extra: &[&str]| -> Vec<String> {
            ["--controller", controller, "--secret", "x", "--phy", "p"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect()
        };
        let check = |argv: &[String]| {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            resolve(&argv)
        };
        assert!(check(&with("h:1", &[])).is_ok());
        let long = "s".repeat(33);
        let cases: &[(Vec<String>, &str)] = &[
            (with("h", &[]), "expected HOST:PORT"),
            (with("h:0", &[]), "expected HOST:PORT"),
            (with("::1:5", &[]), "expected HOST:PORT"),
            (with("h:1", &["--phy", "p"]), "given twice"),
            (with("h:1", &["--ssid", ""]), "1 to 32"),
            (with("h:1", &["--ssid", &long]), "1 to 32"),
            (with("h:1", &["--ssid", "a", "--ssid", "a"]), "given twice"),
            (with("h:1", &["--log-level", "info,=[="]), "log level"),
            (
                with("h:1", &["--bridge", "a-very-long-name"]),
                "not an interface name",
            ),
        ];
        for (argv, needle) in cases {
            let e = check(argv).unwrap_err();
            assert!(e.contains(needle), "{argv:?}: {e}");
        }
        // What is missing.
        for (argv, needle) in [
            (
                &["--secret", "x", "--phy", "p"][..],
                "no controller address",
            ),
            (&["--controller", "h:1", "--phy", "p"], "no secret"),
            (&["--controller", "h:1", "--secret", "x"], "no radio"),
        ] {
            let e = resolve(argv).unwrap_err();
            assert!(e.contains(needle), "{argv:?}: {e}");
        }
        // Flags that do not parse at all: clap says why.
        for argv in [
            &["--phy", "phy0,max_lvaps=0"][..],
            &["--phy", "phy0,max_lvaps=4097"],
            &["--phy", "phy0,channel=200"],
            &["--phy", "phy0,speed=9"],
            &["--phy", ""],
            &["--channel", "15"],
        ] {
            let all = std::iter::once("odin-agent").chain(argv.iter().copied());
            assert!(Args::try_parse_from(all).is_err(), "{argv:?}");
        }
        assert!(resolve(&["--config", "/nonexistent/odin-agent"])
            .unwrap_err()
            .starts_with("cannot read /nonexistent/odin-agent"));
    }

    #[test]
    fn the_secret_is_read_as_the_daemons_read_it() {
        let path = std::env::temp_dir().join(format!("odin-agent-secret-{}", std::process::id()));
        std::fs::write(&path, "s3cret\n").unwrap();
        let loaded = Secret::File(path.clone()).load();
        let _ = std::fs::remove_file(&path);
        assert_eq!(loaded.unwrap(), b"s3cret");
        assert!(Secret::File(path)
            .load()
            .unwrap_err()
            .contains("cannot read"));
        assert_eq!(Secret::Inline("x".into()).load().unwrap(), b"x");
    }

    #[test]
    fn a_radio_held_by_another_program_is_followed_never_moved() {
        let plan = |start, follows| Ok(Some(ChannelPlan { start, follows }));
        let hostapd = Some(("phy0-ap0", 6));
        assert_eq!(channel_plan("phy0", Channel::Auto, None), plan(None, false));
        assert_eq!(
            channel_plan("phy0", Channel::Auto, hostapd),
            plan(None, true)
        );
        assert_eq!(
            channel_plan("phy0", Channel::Follow, hostapd),
            plan(None, true)
        );
        assert_eq!(channel_plan("phy0", Channel::Follow, None), Ok(None));
        assert_eq!(
            channel_plan("phy0", Channel::Set(11), None),
            plan(Some(11), false)
        );
        assert_eq!(
            channel_plan("phy0", Channel::Set(6), hostapd),
            plan(Some(6), true)
        );
        let e = channel_plan("phy0", Channel::Set(11), hostapd).unwrap_err();
        assert!(
            e.contains("phy0-ap0") && e.contains("channel 6") && e.contains("channel 11"),
            "{e}"
        );
    }
}
