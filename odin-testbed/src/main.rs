//! The run command's live network: a controller, simulated agents and
//! walking clients in one process, every controller event printed as it
//! happens, and a migration every few seconds.
//!
//! `odin-testbed [--agents N] [--clients N] [--seconds S]` (S = 0: until
//! Ctrl-C).

use std::time::Duration;

use odin_controller::core::{Command, ControllerEvent};
use odin_testbed::{Testbed, TestbedConfig};
use tokio::sync::broadcast::error::RecvError;

struct Args {
    agents: usize,
    clients: usize,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        agents: 3,
        clients: 6,
        seconds: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "--agents" => args.agents = value("--agents")? as usize,
            "--clients" => args.clients = value("--clients")? as usize,
            "--seconds" => args.seconds = value("--seconds")?,
            "-h" | "--help" => {
                return Err("usage: odin-testbed [--agents N (1-50)] [--clients N (0-1000)] [--seconds S (0: until Ctrl-C)]".into())
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if !(1..=50).contains(&args.agents) || args.clients > 1000 {
        return Err("agents must be 1-50 and clients at most 1000".into());
    }
    Ok(args)
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
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let mut config = TestbedConfig::line(args.agents, args.clients);
    config.heartbeat = Duration::from_secs(1);
    config.controller.heartbeat_timeout = Duration::from_secs(3);
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
    let stamp = move || format!("{:>8.3}s", start.elapsed().as_secs_f64());
    let mut handoffs = tokio::time::interval(Duration::from_secs(3));
    handoffs.tick().await;
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
            _ = handoffs.tick() => {
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
