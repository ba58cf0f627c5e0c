//! `odin-controller`: accepts agents, places each new client's LVAP on the
//! radio that hears it best and logs every controller event as one line,
//! until SIGINT or SIGTERM; with `--api-listen`, serves the REST API
//! (`odin_controller::rest`).
//!
//! ```text
//! odin-controller --listen 0.0.0.0:6777 --secret-file /etc/odin/secret --ssid odin \
//!     --api-listen 127.0.0.1:8080 --api-tokens /etc/odin/api-tokens
//! odin-controller token create --file /etc/odin/api-tokens --name dashboard
//! odin-controller token list --file /etc/odin/api-tokens
//! odin-controller token revoke --file /etc/odin/api-tokens dashboard
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use std::sync::Arc;

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

/// Odin controller: the registry of access-point agents, their radios and
/// the WiFi clients; gives each client a BSSID of its own and decides
/// which agent's radio serves it.
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

/// The daemon's options.
#[derive(Debug, clap::Args)]
struct Args {
    /// Where agents connect (TCP ADDR:PORT; 0.0.0.0 for every address).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:6777")]
    listen: String,
    /// A file holding the secret shared with the agents (both sides prove
    /// it with HMAC; it never crosses the network). Trailing newlines are
    /// ignored.
    #[arg(long, value_name = "PATH", conflicts_with = "secret")]
    secret_file: Option<PathBuf>,
    /// The shared secret itself (visible in the process list: prefer
    /// --secret-file or ODIN_SECRET).
    #[arg(long, env = "ODIN_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The network name (SSID) every LVAP advertises: what clients look
    /// for and associate with.
    #[arg(long, default_value = "odin")]
    ssid: String,
    /// How often each client's state (BSSID, where its LVAP is, the signal
    /// and traffic each radio reports) is logged; 0: never.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    status_interval: u64,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive
    /// (RUST_LOG takes precedence when set).
    #[arg(long, value_name = "FILTER", default_value = "info")]
    log_level: String,
    /// Serve the REST API (/api/v1) on this address (HOST:PORT); no API
    /// when absent. Needs --api-tokens (or --api-insecure-no-auth).
    #[arg(long, value_name = "HOST:PORT")]
    api_listen: Option<String>,
    /// The API's tokens file (SHA-256 hashes, made with `odin-controller
    /// token create`); read again whenever it changes.
    #[arg(long, value_name = "PATH", requires = "api_listen")]
    api_tokens: Option<PathBuf>,
    /// Serve the API without authentication: anyone who reaches the port
    /// can move and disconnect clients. For tests and demos on loopback
    /// only.
    #[arg(long, requires = "api_listen", conflicts_with = "api_tokens")]
    api_insecure_no_auth: bool,
    /// How a migration switches the client from the source to the
    /// target: `together` (both told to act at one moment, by the access
    /// points' synchronized clocks) or `sequential` (the target is
    /// authorized once the source has confirmed it stopped: never both,
    /// but the client is unserved for a round trip; kept to measure
    /// against).
    #[arg(long, value_name = "MODE", default_value = "together", value_parser = ["together", "sequential"])]
    switch: String,
    /// With `--switch together`: how many microseconds after the source
    /// the target starts (0: the same moment; more prefers a short loss
    /// to a duplicated frame when clocks disagree).
    #[arg(long, value_name = "MICROSECONDS", default_value_t = 0)]
    switch_target_delay_us: u64,
    /// Where the controller keeps what it knows (agents, radios, clients
    /// and their BSSIDs, LVAPs, apps, the event history):
    /// `sqlite://PATH` (the file is created on first start),
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (when several
    /// controllers share state), or `none` to keep nothing.
    #[arg(
        long,
        value_name = "URL",
        env = "ODIN_DATABASE",
        default_value = "sqlite://odin-controller.db",
        hide_env_values = true
    )]
    database: String,
    /// A configuration file (TOML) choosing and configuring the apps, one
    /// table each: `[apps.rescue]` with `enabled = true` and the app's own
    /// keys (see each app's documentation).
    #[arg(long, value_name = "PATH", env = "ODIN_CONFIG")]
    config: Option<PathBuf>,
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

/// The API's listener and tokens, when `--api-listen` is given.
async fn api_setup(args: &Args) -> Result<Option<(TcpListener, ApiTokens)>, String> {
    let Some(listen) = &args.api_listen else {
        return Ok(None);
    };
    let tokens = match (&args.api_tokens, args.api_insecure_no_auth) {
        (Some(path), _) => {
            ApiTokens::from_file(path).map_err(|e| format!("cannot load the API tokens: {e}"))?
        }
        (None, true) => ApiTokens::insecure_no_auth(),
        (None, false) => {
            return Err(
                "refusing to serve the REST API without authentication: give \
                 --api-tokens PATH (make one with `odin-controller token create --file PATH`), \
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
            "the REST API runs WITHOUT authentication (--api-insecure-no-auth): for tests and demos on loopback only"
        );
    }
    Ok(Some((listener, tokens)))
}

/// The apps' tables of the configuration file, as JSON, checked against
/// the apps this build has.
fn app_sections(path: &std::path::Path) -> Result<Vec<(String, serde_json::Value)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    let table: toml::Table = text.parse().map_err(|e| {
        format!(
            "the configuration file {} is not valid TOML: {e}",
            path.display()
        )
    })?;
    let known: Vec<&str> = odin_controller::apps::builtin()
        .iter()
        .map(|k| k.name)
        .collect();
    let mut sections = Vec::new();
    for (key, value) in &table {
        if key != "apps" {
            return Err(format!(
                "{}: unknown section [{key}] (this version reads only [apps.NAME])",
                path.display()
            ));
        }
        let Some(apps) = value.as_table() else {
            return Err(format!(
                "{}: `apps` must be a table of tables",
                path.display()
            ));
        };
        for (name, section) in apps {
            if !known.contains(&name.as_str()) {
                return Err(format!(
                    "{}: unknown app {name:?} (this controller has: {})",
                    path.display(),
                    known.join(", ")
                ));
            }
            let Some(fields) = section.as_table() else {
                return Err(format!("{}: [apps.{name}] must be a table", path.display()));
            };
            if fields.get("enabled").is_some_and(|e| !e.is_bool()) {
                return Err(format!(
                    "{}: [apps.{name}] enabled must be true or false",
                    path.display()
                ));
            }
            let json = serde_json::to_value(section)
                .map_err(|e| format!("{}: [apps.{name}]: {e}", path.display()))?;
            sections.push((name.clone(), json));
        }
    }
    Ok(sections)
}

/// Opens the store, loads it into the core; the projector that keeps it
/// up to date. `none`: nothing kept.
async fn open_store(
    args: &Args,
    core: &mut Controller,
) -> Result<Option<(Arc<dyn Storage>, Projector, Snapshot)>, String> {
    if args.database == "none" {
        warn!("--database none: nothing is kept across restarts and there is no event history");
        return Ok(None);
    }
    let storage = store::open(&args.database)
        .await
        .map_err(|e| e.to_string())?;
    let snapshot = storage.load().await.map_err(|e| e.to_string())?;
    let restored = persist::restore(core, &snapshot);
    info!(
        store = %store::redact_url(&args.database),
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

fn secret(args: &Args) -> Result<Vec<u8>, String> {
    odin_proto::auth::load_secret(args.secret_file.as_deref(), args.secret.as_deref())
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
                                "{at}: signal {:?} dBm, served {}, rx {} B, tx {} B, inactive {} ms",
                                s.signal_dbm, s.served, s.rx_bytes, s.tx_bytes, s.inactive_ms
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

async fn run(args: Args) -> Result<(), String> {
    let secret = secret(&args)?;
    // Before anything listens: a SIGTERM once the sockets are up stops
    // the daemon cleanly.
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    let api = api_setup(&args).await?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let mut core = Controller::new(ControllerConfig {
        ssid: args.ssid.as_bytes().to_vec(),
        bssid_key: odin_proto::BssidPlan::key_from_secret(&secret),
        sequential_switch: args.switch == "sequential",
        switch_target_delay: Duration::from_micros(args.switch_target_delay_us),
        ..ControllerConfig::default()
    });
    for kind in odin_controller::apps::builtin() {
        core.register_app(kind);
    }
    let sections = match &args.config {
        Some(path) => app_sections(path)?,
        None => Vec::new(),
    };
    let (storage, mut projector, snapshot) = match open_store(&args, &mut core).await? {
        Some((storage, projector, snapshot)) => (Some(storage), Some(projector), snapshot),
        None => (None, None, Snapshot::default()),
    };
    let mut starts = Vec::new();
    for (name, section) in &sections {
        let start = persist::app_start(name, section, &snapshot);
        if let Some(p) = projector.as_mut() {
            p.app_file_section(name, section.clone());
        }
        starts.push((name.clone(), start));
    }
    let recorder = projector.as_ref().map(|p| p.recorder().clone());
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let handle = server::spawn_with_store(
        listener,
        core,
        ServerConfig::new(&secret),
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
    info!(listen = %handle.local_addr(), ssid = %args.ssid, "odin-controller running");
    if let Some((api_listener, tokens)) = api {
        let store = storage
            .zip(recorder.clone())
            .map(|(storage, recorder)| rest::ApiStore { storage, recorder });
        let router = rest::router_with_store(handle.clone(), tokens, store);
        let api_shutdown = shutdown.clone();
        tasks.spawn(async move {
            if let Err(e) = rest::serve(api_listener, router, api_shutdown).await {
                tracing::error!("the REST API stopped: {e}");
            }
        });
    }

    let mut events = handle.events();
    let mut status = (args.status_interval > 0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs(args.status_interval));
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
    let cli = Cli::parse();
    if let Some(CliCommand::Token { action }) = cli.command {
        return match token_command(action) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("odin-controller: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let args = cli.daemon;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&args.log_level));
    let filter = match filter {
        Ok(f) => f,
        Err(e) => {
            eprintln!("odin-controller: bad --log-level {:?}: {e}", args.log_level);
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("odin-controller: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
