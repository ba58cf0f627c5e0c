//! The run command's live network: a controller, simulated agents and
//! walking clients in one process, every controller event printed as it
//! happens, and a migration every few seconds; optionally the REST API
//! and the web dashboard on it.
//!
//! `odin-testbed [--agents N] [--clients N] [--seconds S] [--handoff-every S]
//! [--api-listen ADDR (--api-tokens FILE | --api-token TOKEN) [--web-root DIR]]
//! [--database URL]` (seconds 0: until Ctrl-C; handoff-every 0: no demo
//! handoffs; database: the controller's store, which the API's event
//! history reads). With the API, a line `REST API on http://ADDR/` says
//! where it listens.

use std::path::PathBuf;
use std::time::Duration;

use odin_controller::core::{Command, ControllerEvent};
use odin_controller::rest::{self, ApiTokens};
use odin_testbed::{Testbed, TestbedConfig};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;

const USAGE: &str = "usage: odin-testbed [--agents N (1-50)] [--clients N (0-1000)] \
    [--seconds S (0: until Ctrl-C)] [--handoff-every S (0: none; default 3)] \
    [--api-listen ADDR:PORT (--api-tokens FILE | --api-token TOKEN) [--web-root DIR]] \
    [--database URL (sqlite://PATH, postgres://...: the controller's store and event history)]";

struct Args {
    agents: usize,
    clients: usize,
    seconds: u64,
    handoff_every: u64,
    api_listen: Option<String>,
    api_tokens: Option<PathBuf>,
    api_token: Option<String>,
    web_root: Option<PathBuf>,
    database: Option<String>,
}

/// The command line (without the program's name).
fn parse_args(command_line: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        agents: 3,
        clients: 6,
        seconds: 0,
        handoff_every: 3,
        api_listen: None,
        api_tokens: None,
        api_token: None,
        web_root: None,
        database: None,
    };
    let mut it = command_line.into_iter();
    while let Some(flag) = it.next() {
        let mut text = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "--agents" => args.agents = number(&flag, text(&flag)?)? as usize,
            "--clients" => args.clients = number(&flag, text(&flag)?)? as usize,
            "--seconds" => args.seconds = number(&flag, text(&flag)?)?,
            "--handoff-every" => args.handoff_every = number(&flag, text(&flag)?)?,
            "--api-listen" => args.api_listen = Some(text(&flag)?),
            "--api-tokens" => args.api_tokens = Some(text(&flag)?.into()),
            "--api-token" => args.api_token = Some(text(&flag)?),
            "--web-root" => args.web_root = Some(text(&flag)?.into()),
            "--database" => args.database = Some(text(&flag)?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if !(1..=50).contains(&args.agents) || args.clients > 1000 {
        return Err("agents must be 1-50 and clients at most 1000".into());
    }
    let auth = args.api_tokens.is_some() || args.api_token.is_some();
    if args.api_listen.is_none() && (auth || args.web_root.is_some()) {
        return Err("--api-tokens, --api-token and --web-root need --api-listen".into());
    }
    if args.api_listen.is_some() && !auth {
        return Err("--api-listen needs --api-tokens FILE or --api-token TOKEN".into());
    }
    if args.api_tokens.is_some() && args.api_token.is_some() {
        return Err("--api-tokens and --api-token: give one".into());
    }
    Ok(args)
}

/// Binds the REST API's listener and reads its tokens, when `--api-listen`
/// is given.
async fn api_setup(args: &Args) -> Result<Option<(TcpListener, ApiTokens)>, String> {
    let Some(listen) = &args.api_listen else {
        return Ok(None);
    };
    let tokens = match (&args.api_tokens, &args.api_token) {
        (Some(path), _) => ApiTokens::from_file(path)
            .map_err(|e| format!("--api-tokens {}: {e}", path.display()))?,
        (None, Some(token)) => ApiTokens::from_tokens([token.as_str()]),
        (None, None) => return Err("--api-listen needs a token".into()),
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("--api-listen {listen}: {e}"))?;
    Ok(Some((listener, tokens)))
}

/// One line per event worth a person's attention.
fn describe(event: &ControllerEvent) -> Option<String> {
    match event {
        ControllerEvent::ClientHeard { .. }
        | ControllerEvent::HandoffStepDone { .. }
        | ControllerEvent::SubscriptionMatched { .. }
        | ControllerEvent::CommandResult { .. } => None,
        other => Some(other.to_string()),
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let api = match api_setup(&args).await {
        Ok(api) => api,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let mut config = TestbedConfig::line(args.agents, args.clients);
    config.heartbeat = Duration::from_secs(1);
    config.controller.heartbeat_timeout = Duration::from_secs(3);
    config.database = args.database.clone();
    let start = tokio::time::Instant::now();
    let bed = match Testbed::start(config).await {
        Ok(bed) => bed,
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::exit(1);
        }
    };
    let mut events = bed.controller.events();
    println!(
        "controller on {}, {} agents, {} clients on SSID \"odin\" (simulated medium); Ctrl-C stops",
        bed.controller.local_addr(),
        bed.agents.len(),
        bed.clients.len()
    );
    let api_stop = tokio_util::sync::CancellationToken::new();
    let api_task = api.map(|(listener, tokens)| {
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut router = rest::router_with_store(bed.controller.clone(), tokens, bed.store.clone());
        if let Some(dir) = &args.web_root {
            if !dir.join("index.html").is_file() {
                eprintln!(
                    "warning: {} has no index.html (cd web && npm run build)",
                    dir.display()
                );
            }
            router = rest::with_dashboard(router, dir);
            println!("dashboard from {} at http://{addr}/", dir.display());
        }
        println!("REST API on http://{addr}/");
        tokio::spawn(rest::serve(listener, router, api_stop.clone()))
    });
    let stamp = move || format!("{:>8.3}s", start.elapsed().as_secs_f64());
    let mut handoffs = (args.handoff_every > 0).then(|| {
        tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(args.handoff_every),
            Duration::from_secs(args.handoff_every),
        )
    });
    let deadline = async {
        if args.seconds == 0 {
            std::future::pending::<()>().await
        } else {
            tokio::time::sleep(Duration::from_secs(args.seconds)).await
        }
    };
    tokio::pin!(deadline);
    let mut next_client = 0usize;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = &mut deadline => break,
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(line) = describe(&event) {
                        println!("{} {line}", stamp());
                    }
                }
                Err(RecvError::Lagged(n)) => println!("{} ({n} events skipped)", stamp()),
                Err(RecvError::Closed) => break,
            },
            Some(_) = async {
                match handoffs.as_mut() {
                    Some(timer) => Some(timer.tick().await),
                    None => None,
                }
            } => {
                if bed.clients.is_empty() || bed.agents.len() < 2 {
                    continue;
                }
                let client = bed.clients[next_client % bed.clients.len()].mac();
                next_client += 1;
                let Some((from, _)) = bed.placement(client).await else { continue };
                let from_index = bed.agents.iter().position(|a| a.name == from).unwrap_or(0);
                let to = bed.agent_name((from_index + 1) % bed.agents.len());
                let controller = bed.controller.clone();
                tokio::spawn(async move {
                    let command = Command::Handoff { client, to_agent: to, to_radio: None, cause: "demo: round robin".into() };
                    if let Ok(Err(e)) = controller.command(command).await {
                        println!("handoff of {client} refused: {e}");
                    }
                });
            }
        }
    }
    println!("{} stopping", stamp());
    api_stop.cancel();
    if let Some(task) = api_task {
        let _ = task.await;
    }
    for client in &bed.clients {
        let traffic = bed.medium.traffic(client.mac());
        println!(
            "client {}: bssid {:?}, disconnections {}, data frames sent {} forwarded {} duplicated {}",
            client.mac(),
            client.bssid(),
            client.disconnections(),
            traffic.data_sent,
            traffic.forwarded,
            traffic.duplicates
        );
    }
    bed.stop().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn defaults_and_flags() {
        let args = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((args.agents, args.clients, args.seconds), (3, 6, 0));
        assert_eq!(args.handoff_every, 3);
        assert!(args.api_listen.is_none() && args.web_root.is_none());
        let args =
            parse("--handoff-every 0 --api-listen 127.0.0.1:0 --api-token t --web-root web/dist")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.handoff_every, 0);
        assert_eq!(args.api_listen.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(args.api_token.as_deref(), Some("t"));
        assert_eq!(args.web_root, Some(PathBuf::from("web/dist")));
    }

    #[test]
    fn the_api_flags_go_together() {
        let refused = |line: &str, why: &str| match parse(line) {
            Ok(_) => panic!("{line:?} accepted"),
            Err(e) => assert!(e.contains(why), "{line:?}: {e}"),
        };
        refused("--api-listen 127.0.0.1:0", "needs --api-tokens");
        refused("--web-root web/dist", "need --api-listen");
        refused("--api-token t", "need --api-listen");
        refused(
            "--api-listen 127.0.0.1:0 --api-token t --api-tokens f",
            "give one",
        );
        refused("--handoff-every soon", "not a number");
        refused("--api-listen", "needs a value");
    }
}
