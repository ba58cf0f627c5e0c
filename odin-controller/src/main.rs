//! `odin-controller`: accepts agents, places each new client's LVAP on the
//! radio that hears it best and logs every controller event as one line,
//! until SIGINT or SIGTERM; with `api_listen`, serves the REST API
//! (`odin_controller::rest`).
//!
//! Every daemon setting is a flag, an environment variable and a key of
//! the configuration file's `[controller]` table, in that order of
//! precedence, then a built-in default (`odin_controller::config`);
//! `config show` prints the result with each value's source.
//!
//! ```text
//! odin-controller --listen 0.0.0.0:6777 --secret-file /etc/odin/secret --ssid odin \
//!     --api-listen 127.0.0.1:8080 --api-tokens /etc/odin/api-tokens
//! odin-controller --config /etc/odin/controller.toml
//! odin-controller config show --config /etc/odin/controller.toml
//! odin-controller token create --file /etc/odin/api-tokens --name dashboard
//! odin-controller token list --file /etc/odin/api-tokens
//! odin-controller token revoke --file /etc/odin/api-tokens dashboard
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::sync::Arc;

use odin_controller::config::{self, Layer, Secret, SecretText, Settings, Source, Sourced};
use odin_controller::core::{Command, Controller, ControllerConfig};
use odin_controller::persist::{self, Projector};
use odin_controller::rest::{self, tokens, ApiTokens};
use odin_controller::server::{self, ControllerHandle, ServerConfig};
use odin_controller::store::{self, Recorder, RecorderConfig, Snapshot, Storage};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// Odin controller: the central brain of an Odin WiFi network. Access
/// points run `odin-agent` and connect here; the controller gives every
/// WiFi client a BSSID of its own and decides which access point serves
/// it, moving clients between access points without them noticing.
///
/// Without a subcommand it runs the controller daemon.
#[derive(Debug, Parser)]
#[command(
    name = "odin-controller",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<CliCommand>,
    #[command(flatten)]
    daemon: Args,
}

#[derive(Debug, Subcommand)]
enum CliCommand {
    /// Manage the REST API's bearer tokens (a file of their SHA-256
    /// hashes, one `sha256:<hex> NAME` line each).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Check the configuration and show what the daemon would run with.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Make a fresh random token: it is printed once on standard output
    /// (keep it), and only its hash is appended to the file (created,
    /// owner-only, if absent).
    Create {
        /// The tokens file (what the daemon's --api-tokens reads).
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// Its name, for `list` and `revoke` (default: token-N).
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a token; a running controller refuses it from its next
    /// request on.
    Revoke {
        /// The tokens file.
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// The token's name.
        name: String,
    },
    /// List the tokens' names and hashes.
    List {
        /// The tokens file.
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print the configuration the daemon would run with, as TOML, with
    /// where each value comes from (flag, env, file or default). Takes
    /// the daemon's options, the configuration file and the environment
    /// exactly as the daemon does; the secret is never printed. Exits
    /// with an error if the daemon would refuse the configuration.
    Show {
        #[command(flatten)]
        daemon: Box<Args>,
    },
}

/// The daemon's options. Each one can also be set by its environment
/// variable and by its key in the configuration file's `[controller]`
/// table: `decorate` adds both, and the heading, from `config::SETTINGS`.
/// The defaults are the only thing clap fills in by itself: which values
/// came from a flag or the environment is read from `ArgMatches`.
#[derive(Debug, clap::Args)]
struct Args {
    /// The configuration file (TOML): any of the settings below in a
    /// [controller] table, and the apps, one [apps.NAME] table each. See
    /// odin-controller.example.toml.
    #[arg(long, value_name = "PATH", env = config::CONFIG_ENV)]
    config: Option<PathBuf>,

    /// The network name (SSID) every access point advertises for the
    /// clients: what they look for and associate with.
    #[arg(long, value_name = "NAME", default_value = config::DEFAULT_SSID)]
    ssid: String,
    /// How a client is moved from one access point to another:
    /// `together` (both act at one agreed moment, by the access points'
    /// synchronized clocks: NTP or better PTP) or `sequential` (the new
    /// one starts once the old one has confirmed it stopped: never both,
    /// but the client goes unserved for a round trip).
    #[arg(
        long,
        value_name = "MODE",
        default_value = config::DEFAULT_SWITCH,
        value_parser = clap::builder::PossibleValuesParser::new(config::SWITCH_MODES)
    )]
    switch: String,
    /// With `switch` `together`: how many microseconds after the old
    /// access point stops the new one starts (0: the same moment; more
    /// prefers a short loss to a duplicated frame when clocks disagree).
    #[arg(long, value_name = "MICROSECONDS", default_value_t = config::DEFAULT_SWITCH_TARGET_DELAY_US)]
    switch_target_delay_us: u64,

    /// Where the access points' agents connect: an address and TCP port
    /// (0.0.0.0 for every address of this machine).
    #[arg(long, value_name = "ADDR:PORT", default_value = config::DEFAULT_LISTEN)]
    listen: String,
    /// A file holding the secret shared with the agents (both sides prove
    /// they know it; it never crosses the network). Trailing newlines are
    /// ignored. Required, unless the secret is given with --secret.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// The shared secret itself (visible in the process list: prefer
    /// --secret-file, or this environment variable).
    #[arg(long, value_name = "SECRET")]
    secret: Option<String>,
    /// Encrypt the agents' connections with TLS using this certificate
    /// (PEM, the chain from the controller's own); the agents must then
    /// connect with TLS and trust it. Needs --tls-key. Without it the
    /// agents connect over plain TCP (still authenticated by the secret).
    #[arg(long, value_name = "PATH")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PATH")]
    tls_key: Option<PathBuf>,

    /// Serve the REST API (/api/v1) on this address and TCP port. Not set:
    /// no REST API. Needs --api-tokens (or --api-insecure-no-auth).
    #[arg(long, value_name = "ADDR:PORT")]
    api_listen: Option<String>,
    /// The REST API's tokens file (their SHA-256 hashes, made with
    /// `odin-controller token create`); read again whenever it changes.
    #[arg(long, value_name = "PATH")]
    api_tokens: Option<PathBuf>,
    /// Serve the REST API without authentication: anyone who reaches the
    /// port can move and disconnect clients. For tests and demos on
    /// loopback only.
    #[arg(long, value_parser = BoolishValueParser::new())]
    api_insecure_no_auth: bool,
    /// Serve the web dashboard from this directory (the build of `web/`,
    /// `web/dist`) at / on the REST API's address: its files need no
    /// token (the page asks for one). Not set: only the API.
    #[arg(long, value_name = "DIR")]
    web_root: Option<PathBuf>,

    /// Where the controller keeps what it knows (access points, radios,
    /// clients and their BSSIDs, apps, the event history):
    /// `sqlite://PATH` (the file is created on first start),
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (when several
    /// controllers share state), or `none` to keep nothing.
    #[arg(long, value_name = "URL", default_value = config::DEFAULT_DATABASE)]
    database: String,

    /// What to log: error, warn, info, debug, trace, or a tracing filter
    /// such as `info,odin_controller=debug`. RUST_LOG is read too, below
    /// ODIN_LOG_LEVEL.
    #[arg(long, value_name = "FILTER", default_value = config::DEFAULT_LOG_LEVEL)]
    log_level: String,
    /// How often each client's state (BSSID, which access point serves
    /// it, the signal and traffic each one reports) is logged; 0: never.
    #[arg(long, value_name = "SECONDS", default_value_t = config::DEFAULT_STATUS_INTERVAL)]
    status_interval: u64,
}

/// The help below the options: the apps, and how the three places of a
/// setting rank.
fn after_help() -> String {
    let mut text = String::from(
        "Apps:\n  \
         Apps are chosen and configured in the configuration file, one table each:\n      \
         [apps.rescue]\n      \
         enabled = true\n      \
         threshold_dbm = -72.0\n  \
         A change made at run time through the REST API (/api/v1/apps) is kept across\n  \
         restarts until that app's table in the file is edited. This controller has:\n",
    );
    for kind in odin_controller::apps::builtin() {
        text.push_str(&format!("      {:<12}{}\n", kind.name, kind.about));
    }
    text.push_str(
        "\nConfiguration:\n  \
         Every option above can be given three ways: as a flag, by the environment\n  \
         variable shown as [env: ...], or in the configuration file (--config) under\n  \
         [controller] with the key shown as [file: controller.KEY]. The first of these\n  \
         that gives a value wins (flag, then environment, then file); otherwise the\n  \
         default applies. `odin-controller config show` prints the result and where each\n  \
         value came from.",
    );
    text
}

/// Adds to every daemon option its environment variable, its file key and
/// its heading (from `config::SETTINGS`), and the help's epilogue.
fn decorate(cmd: clap::Command) -> clap::Command {
    let mut cmd = cmd.after_help(after_help());
    for info in config::SETTINGS {
        cmd = cmd.mut_arg(info.key, |arg| {
            let file = format!("[file: controller.{}]", info.key);
            let help = arg
                .get_help()
                .map_or_else(|| file.clone(), |h| format!("{h} {file}"));
            let long = arg.get_long_help().map(|h| format!("{h}\n{file}"));
            let arg = arg
                .env(info.env)
                .hide_env_values(info.hide_env_value)
                .help_heading(info.heading)
                .help(help);
            match long {
                Some(long) => arg.long_help(long),
                None => arg,
            }
        });
    }
    cmd
}

/// The command line's definition, with `config show` decorated like the
/// daemon.
fn cli_command() -> clap::Command {
    decorate(Cli::command()).mut_subcommand("config", |c| {
        c.mut_subcommand("show", |show| decorate(show).after_help(""))
    })
}

/// The value of option `id` if a flag or an environment variable gave it
/// (not clap's default).
fn given<T: Clone>(matches: &ArgMatches, id: &str, value: &T) -> Option<Sourced<T>> {
    let source = match matches.value_source(id)? {
        ValueSource::CommandLine => Source::Flag,
        ValueSource::EnvVariable => Source::Env(config::env_var(id)),
        _ => return None,
    };
    Some(Sourced::new(value.clone(), source))
}

/// Like [`given`], for an option without a default.
fn given_opt<T: Clone>(matches: &ArgMatches, id: &str, value: &Option<T>) -> Option<Sourced<T>> {
    value.as_ref().and_then(|v| given(matches, id, v))
}

/// For a value clap refused: which environment variable it came from, if
/// it came from one (clap's message names only the flag).
fn env_note(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let (ContextValue::String(arg), ContextValue::String(value)) = (
        error.get(ContextKind::InvalidArg)?,
        error.get(ContextKind::InvalidValue)?,
    ) else {
        return None;
    };
    let flag = arg.split(' ').next()?;
    let info = config::SETTINGS.iter().find(|s| s.flag() == flag)?;
    let from_env = std::env::var(info.env).ok()?;
    (from_env == *value).then(|| {
        format!(
            "note: the value comes from the environment variable {}",
            info.env
        )
    })
}

/// What the command line and the environment say.
fn cli_layer(args: &Args, m: &ArgMatches) -> Layer {
    let mut layer = Layer {
        ssid: given(m, "ssid", &args.ssid),
        switch: given(m, "switch", &args.switch),
        switch_target_delay_us: given(m, "switch_target_delay_us", &args.switch_target_delay_us),
        listen: given(m, "listen", &args.listen),
        secret_file: given_opt(m, "secret_file", &args.secret_file),
        secret: given_opt(m, "secret", &args.secret.clone().map(SecretText)),
        tls_cert: given_opt(m, "tls_cert", &args.tls_cert),
        tls_key: given_opt(m, "tls_key", &args.tls_key),
        api_listen: given_opt(m, "api_listen", &args.api_listen),
        api_tokens: given_opt(m, "api_tokens", &args.api_tokens),
        api_insecure_no_auth: given(m, "api_insecure_no_auth", &args.api_insecure_no_auth),
        web_root: given_opt(m, "web_root", &args.web_root),
        database: given(m, "database", &args.database),
        log_level: given(m, "log_level", &args.log_level),
        status_interval: given(m, "status_interval", &args.status_interval),
    };
    // RUST_LOG, the usual variable of Rust programs, counts as the
    // environment's log level when ODIN_LOG_LEVEL is not set.
    if layer.log_level.is_none() {
        if let Some(filter) = std::env::var("RUST_LOG").ok().filter(|f| !f.is_empty()) {
            layer.log_level = Some(Sourced::new(filter, Source::Env("RUST_LOG")));
        }
    }
    layer
}

/// The settings the daemon runs with: the command line and environment
/// over the configuration file over the defaults.
fn settings(args: &Args, matches: &ArgMatches) -> Result<Settings, String> {
    let config = given_opt(matches, "config", &args.config);
    config::load(config, cli_layer(args, matches))
}

/// `config show`: the settings as TOML with their sources, once the apps'
/// tables are checked the way the daemon would use them.
fn config_show(args: &Args, matches: &ArgMatches) -> Result<(), String> {
    let settings = settings(args, matches)?;
    let kinds = odin_controller::apps::builtin();
    for app in &settings.apps {
        let mut config = app.section.clone();
        if let Some(table) = config.as_object_mut() {
            table.remove("enabled");
        }
        if let Some(kind) = kinds.iter().find(|k| k.name == app.name) {
            (kind.create)(&config).map_err(|e| {
                let file = settings
                    .config
                    .as_ref()
                    .map(|c| c.value.display().to_string());
                format!("{}: [apps.{}]: {e}", file.unwrap_or_default(), app.name)
            })?;
        }
    }
    print!("{}", settings.to_toml());
    Ok(())
}

/// Runs a `token` subcommand.
fn token_command(action: TokenAction) -> Result<(), String> {
    match action {
        TokenAction::Create { file, name } => {
            let created =
                tokens::create_token(&file, name.as_deref()).map_err(|e| e.to_string())?;
            println!("{}", created.token);
            eprintln!(
                "token {:?} created and its hash added to {}; the token is shown only this once",
                created.name,
                file.display()
            );
        }
        TokenAction::Revoke { file, name } => {
            tokens::revoke_token(&file, &name).map_err(|e| e.to_string())?;
            eprintln!("token {name:?} revoked");
        }
        TokenAction::List { file } => {
            for entry in tokens::read_tokens(&file).map_err(|e| e.to_string())? {
                println!(
                    "{}\tsha256:{}",
                    entry.name.as_deref().unwrap_or("(unnamed)"),
                    hex::encode(entry.hash)
                );
            }
        }
    }
    Ok(())
}

/// The API's listener and tokens, when `api_listen` is set.
async fn api_setup(settings: &Settings) -> Result<Option<(TcpListener, ApiTokens)>, String> {
    let Some(listen) = &settings.api_listen else {
        return Ok(None);
    };
    let listen = &listen.value;
    let tokens = match (&settings.api_tokens, settings.api_insecure_no_auth.value) {
        (Some(path), _) => ApiTokens::from_file(&path.value)
            .map_err(|e| format!("cannot load the API tokens: {e}"))?,
        (None, true) => ApiTokens::insecure_no_auth(),
        (None, false) => {
            return Err(
                "refusing to serve the REST API without authentication: give \
                 --api-tokens PATH (or ODIN_API_TOKENS, or api_tokens in the configuration \
                 file; make one with `odin-controller token create --file PATH`), \
                 or --api-insecure-no-auth for a test or demo on loopback"
                    .into(),
            )
        }
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen} for the API: {e}"))?;
    if !tokens.enforced() {
        let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
        warn!(
            loopback,
            "the REST API runs WITHOUT authentication (api_insecure_no_auth): for tests and demos on loopback only"
        );
    }
    Ok(Some((listener, tokens)))
}

/// Opens the store, loads it into the core; the projector that keeps it
/// up to date. `none`: nothing kept.
async fn open_store(
    database: &str,
    core: &mut Controller,
) -> Result<Option<(Arc<dyn Storage>, Projector, Snapshot)>, String> {
    if database == "none" {
        warn!("database none: nothing is kept across restarts and there is no event history");
        return Ok(None);
    }
    let storage = store::open(database).await.map_err(|e| e.to_string())?;
    let snapshot = storage.load().await.map_err(|e| e.to_string())?;
    let restored = persist::restore(core, &snapshot);
    info!(
        store = %store::redact_url(database),
        agents = restored.agents,
        clients = restored.clients,
        refused = restored.refused,
        lvaps_on_record = restored.lvaps,
        skipped_rows = snapshot.skipped_rows,
        "store opened; the agents' hellos will say where the LVAPs are"
    );
    let recorder = Recorder::spawn(Arc::clone(&storage), RecorderConfig::default());
    Ok(Some((storage, Projector::new(recorder), snapshot)))
}

/// The secret shared with the agents.
fn secret(settings: &Settings) -> Result<Vec<u8>, String> {
    match settings.agent_secret().map(|s| s.value) {
        Some(Secret::File(path)) => odin_proto::auth::load_secret(Some(&path), None),
        Some(Secret::Inline(SecretText(text))) => odin_proto::auth::load_secret(None, Some(&text)),
        None => Err("no secret shared with the agents: give --secret-file PATH \
             (ODIN_SECRET_FILE, or secret_file in the configuration file) or the secret \
             itself (ODIN_SECRET)"
            .into()),
    }
}

/// TLS for the agents' connections, when a certificate is configured.
fn tls(settings: &Settings) -> Result<Option<odin_proto::tls::TlsAcceptor>, String> {
    let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
        return Ok(None);
    };
    let cert = odin_proto::tls::read_pem(&cert.value)
        .map_err(|e| format!("cannot read the TLS certificate: {e}"))?;
    let key = odin_proto::tls::read_pem(&key.value)
        .map_err(|e| format!("cannot read the TLS private key: {e}"))?;
    let config = odin_proto::tls::server_config(&cert, &key).map_err(|e| format!("TLS: {e}"))?;
    Ok(Some(odin_proto::tls::TlsAcceptor::from(config)))
}

/// Logs every client's state, one line each.
async fn log_status(handle: &ControllerHandle) {
    let lines = handle
        .inspect(|core| {
            core.clients()
                .values()
                .map(|c| {
                    let lvap = c
                        .lvap
                        .as_ref()
                        .map_or("none".to_owned(), |l| format!("{} ({:?})", l.at, l.state));
                    let signals: Vec<String> = c
                        .signals
                        .iter()
                        .map(|(at, h)| format!("{at} {} dBm", h.signal_dbm))
                        .collect();
                    let stats: Vec<String> = c
                        .stats
                        .iter()
                        .map(|(at, (s, _))| {
                            format!(
                                "{at}: signal {:?} dBm, served {}, rx {} B, tx {} B, inactive {} ms, rate tx {:?} rx {:?} kbit/s",
                                s.signal_dbm, s.served, s.rx_bytes, s.tx_bytes, s.inactive_ms, s.tx_rate_kbps, s.rx_rate_kbps
                            )
                        })
                        .collect();
                    format!(
                        "client {} bssid {} lvap {lvap}; heard: {}; stats: {}",
                        c.mac,
                        c.bssid.map_or("none".to_owned(), |b| b.to_string()),
                        signals.join(", "),
                        stats.join("; ")
                    )
                })
                .collect::<Vec<_>>()
        })
        .await;
    if let Ok(lines) = lines {
        for line in lines {
            info!("status: {line}");
        }
    }
}

async fn run(settings: Settings) -> Result<(), String> {
    let secret = secret(&settings)?;
    let tls = tls(&settings)?;
    // Before anything listens: a SIGTERM once the sockets are up stops
    // the daemon cleanly.
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    // Every agent is a socket: the usual soft limit of 1,024 descriptors
    // would cap a controller near a thousand agents.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => info!(
            limit,
            "open files limit (each agent takes one; the store and the API a few)"
        ),
        Err(e) => warn!(error = %e, "cannot raise the open files limit"),
    }
    let api = api_setup(&settings).await?;
    let listen = &settings.listen.value;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let mut core = Controller::new(ControllerConfig {
        ssid: settings.ssid.value.as_bytes().to_vec(),
        bssid_key: odin_proto::BssidPlan::key_from_secret(&secret),
        sequential_switch: settings.switch.value == "sequential",
        switch_target_delay: Duration::from_micros(settings.switch_target_delay_us.value),
        ..ControllerConfig::default()
    });
    for kind in odin_controller::apps::builtin() {
        core.register_app(kind);
    }
    let (storage, mut projector, snapshot) =
        match open_store(&settings.database.value, &mut core).await? {
            Some((storage, projector, snapshot)) => (Some(storage), Some(projector), snapshot),
            None => (None, None, Snapshot::default()),
        };
    let mut starts = Vec::new();
    for app in &settings.apps {
        let start = persist::app_start(&app.name, &app.section, &snapshot);
        if let Some(p) = projector.as_mut() {
            p.app_file_section(&app.name, app.section.clone());
        }
        starts.push((app.name.clone(), start));
    }
    let recorder = projector.as_ref().map(|p| p.recorder().clone());
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut server_config = ServerConfig::new(&secret);
    server_config.tls = tls;
    let handle = server::spawn_with_store(
        listener,
        core,
        server_config,
        projector,
        shutdown.clone(),
        &tasks,
    )
    .map_err(|e| format!("cannot start the controller: {e}"))?;
    for (name, start) in starts {
        let command = if start.enabled {
            Command::EnableApp {
                name: name.clone(),
                config: Some(start.config),
            }
        } else {
            Command::ConfigureApp {
                name: name.clone(),
                config: start.config,
            }
        };
        match handle.command(command).await {
            Ok(Ok(_)) => {
                info!(app = %name, enabled = start.enabled, from = start.source, "app configured")
            }
            Ok(Err(e)) => return Err(format!("app {name}: {e}")),
            Err(e) => return Err(e.to_string()),
        }
    }
    info!(
        listen = %handle.local_addr(),
        tls = settings.tls_cert.is_some(),
        ssid = %settings.ssid.value,
        config = ?settings.config.as_ref().map(|c| c.value.display().to_string()),
        "odin-controller running"
    );
    if let Some((api_listener, tokens)) = api {
        let store = storage
            .zip(recorder.clone())
            .map(|(storage, recorder)| rest::ApiStore { storage, recorder });
        let mut router = rest::router_with_store(handle.clone(), tokens, store);
        if let Some(web_root) = &settings.web_root {
            if !web_root.value.join("index.html").is_file() {
                warn!(
                    dir = %web_root.value.display(),
                    "web_root has no index.html (build the dashboard: cd web && npm ci && npm run build)"
                );
            }
            info!(dir = %web_root.value.display(), "serving the dashboard at /");
            router = rest::with_dashboard(router, &web_root.value);
        }
        let api_shutdown = shutdown.clone();
        tasks.spawn(async move {
            if let Err(e) = rest::serve(api_listener, router, api_shutdown).await {
                tracing::error!("the REST API stopped: {e}");
            }
        });
    }

    let mut events = handle.events();
    let interval = settings.status_interval.value;
    let mut status = (interval > 0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs(interval));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: stopping"); break; }
            _ = int.recv() => { info!("SIGINT: stopping"); break; }
            event = events.recv() => match event {
                Ok(event) => info!("event: {event}"),
                Err(RecvError::Lagged(n)) => warn!(missed = n, "event log fell behind"),
                Err(RecvError::Closed) => return Err("the controller stopped".into()),
            },
            _ = async {
                match status.as_mut() {
                    Some(t) => t.tick().await,
                    None => std::future::pending().await,
                }
            } => log_status(&handle).await,
        }
    }
    shutdown.cancel();
    tasks.close();
    tasks.wait().await;
    if let Some(recorder) = recorder {
        // What the last events changed, written before leaving.
        match tokio::time::timeout(Duration::from_secs(5), recorder.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!("the store's last writes failed: {e}"),
            Err(_) => warn!("the store's last writes did not finish within 5 s"),
        }
    }
    info!("odin-controller stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let fail = |e: String| {
        eprintln!("odin-controller: {e}");
        std::process::ExitCode::FAILURE
    };
    let matches = match cli_command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => {
            let _ = e.print();
            if let Some(note) = env_note(&e) {
                eprintln!("{note}");
            }
            std::process::exit(e.exit_code());
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Some(CliCommand::Token { action }) => {
            return match token_command(action) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        Some(CliCommand::Config {
            action: ConfigAction::Show { daemon },
        }) => {
            let show = matches
                .subcommand_matches("config")
                .and_then(|m| m.subcommand_matches("show"));
            let Some(show) = show else {
                return fail("config show: no arguments".into());
            };
            return match config_show(&daemon, show) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        None => {}
    }
    let settings = match settings(&cli.daemon, &matches) {
        Ok(settings) => settings,
        Err(e) => return fail(e),
    };
    // `Settings::merge` has checked the filter already.
    let filter = match tracing_subscriber::EnvFilter::try_new(&settings.log_level.value) {
        Ok(f) => f,
        Err(e) => return fail(format!("bad log level {:?}: {e}", settings.log_level.value)),
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
    match run(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            fail(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        cli_command().debug_assert();
    }
}
