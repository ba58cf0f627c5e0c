//! `odin-scale`: the scale benchmark. Starts the real `odin-controller` in
//! a process of its own (on loopback, with a fresh SQLite store in a
//! temporary directory, an API token made with its own `token create`),
//! runs the load generator against it in this process, prints a table and
//! ends with one `RESULT scale ...` line.
//!
//! ```text
//! odin-scale [--agents 2000] [--clients-per-agent 50] [--measure-s 30] ...
//! ```
//!
//! `scripts/scale.sh` builds both optimized and runs it.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clap::Parser;
use odin_load::scenario::{self, Scenario};
use odin_load::LoadConfig;

/// The scale benchmark: many simulated agents and clients against one
/// real controller; prints what the controller held and how fast it
/// answered.
#[derive(Debug, Parser)]
#[command(name = "odin-scale", version)]
struct Args {
    /// Simulated agents (each its own TCP connection).
    #[arg(long, default_value_t = 2000)]
    agents: usize,
    /// Clients (LVAPs) per agent.
    #[arg(long, default_value_t = 50)]
    clients_per_agent: usize,
    /// Following agents in the ring that also hear each client.
    #[arg(long, default_value_t = 1)]
    hear_neighbours: usize,
    /// Statistics interval of every agent, milliseconds.
    #[arg(long, default_value_t = 1000)]
    stats_interval_ms: u64,
    /// Agents connecting per second during the ramp.
    #[arg(long, default_value_t = 500.0)]
    connect_per_s: f64,
    /// Clients reported per second during the ramp (over all agents).
    #[arg(long, default_value_t = 5000.0)]
    placements_per_s: f64,
    /// Seconds of measurement once every LVAP is active.
    #[arg(long, default_value_t = 30)]
    measure_s: u64,
    /// Handoffs asked through the REST API per second while measuring.
    #[arg(long, default_value_t = 20.0)]
    handoffs_per_s: f64,
    /// REST connections asking them.
    #[arg(long, default_value_t = 4)]
    handoff_workers: usize,
    /// Seconds the ramp may take.
    #[arg(long, default_value_t = 300)]
    ramp_timeout_s: u64,
    /// The controller binary (default: `odin-controller` beside this one).
    #[arg(long)]
    controller_bin: Option<PathBuf>,
    /// The controller's store: `sqlite` (a fresh file, the default
    /// deployment), `none`, or a database URL.
    #[arg(long, default_value = "sqlite")]
    database: String,
}

fn free_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

/// The controller process, killed when dropped.
struct Controller(Child);

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn controller_bin(args: &Args) -> Result<PathBuf, String> {
    if let Some(path) = &args.controller_bin {
        return Ok(path.clone());
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = me.with_file_name("odin-controller");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "no controller at {} (build it, or pass --controller-bin)",
            path.display()
        ))
    }
}

async fn wait_listening(addr: SocketAddr, child: &mut Child) -> Result<(), String> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the controller exited: {status}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "the controller did not listen on {addr} within 10 s"
    ))
}

async fn run(args: Args) -> Result<(), String> {
    let bin = controller_bin(&args)?;
    let dir = std::env::temp_dir().join(format!("odin-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let secret = b"odin-scale shared secret".to_vec();
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, &secret).map_err(|e| e.to_string())?;
    let tokens = dir.join("tokens");
    let made = Command::new(&bin)
        .args(["token", "create", "--name", "scale", "--file"])
        .arg(&tokens)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !made.status.success() {
        return Err(format!("token create failed: {}", made.status));
    }
    let token = String::from_utf8_lossy(&made.stdout).trim().to_string();
    let database = match args.database.as_str() {
        "sqlite" => format!("sqlite://{}", dir.join("odin.db").display()),
        other => other.to_string(),
    };
    let (listen, api) = (free_port()?, free_port()?);
    let log = std::fs::File::create(dir.join("controller.log")).map_err(|e| e.to_string())?;
    let child = Command::new(&bin)
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--secret-file")
        .arg(&secret_file)
        .arg("--api-listen")
        .arg(api.to_string())
        .arg("--api-tokens")
        .arg(&tokens)
        .arg("--database")
        .arg(&database)
        .args(["--log-level", "warn", "--status-interval", "0"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut controller = Controller(child);
    wait_listening(api, &mut controller.0).await?;
    eprintln!(
        "controller pid {} (agents on {listen}, API on {api}, store {database}, log {})",
        controller.0.id(),
        dir.join("controller.log").display()
    );
    let scenario = Scenario {
        load: LoadConfig {
            controller: listen,
            secret,
            agents: args.agents,
            clients_per_agent: args.clients_per_agent,
            hear_neighbours: args.hear_neighbours,
            stats_interval: Duration::from_millis(args.stats_interval_ms),
            heartbeat_interval: Duration::from_secs(1),
            connect_per_s: args.connect_per_s,
            placements_per_s: args.placements_per_s,
        },
        api,
        token: Some(token),
        measure: Duration::from_secs(args.measure_s),
        handoffs_per_s: args.handoffs_per_s,
        handoff_workers: args.handoff_workers,
        ramp_timeout: Duration::from_secs(args.ramp_timeout_s),
        pid: Some(controller.0.id()),
    };
    let report = scenario::run(&scenario, &|line| eprintln!("{line}")).await?;
    drop(controller);
    println!(
        "\nscale: {} agents x {} clients, statistics every {} ms, {} handoffs/s asked for {} s (store: {})\n",
        args.agents,
        args.clients_per_agent,
        args.stats_interval_ms,
        args.handoffs_per_s,
        args.measure_s,
        args.database
    );
    print!("{}", report.table());
    for failure in &report.failures {
        println!("failure: {failure}");
    }
    println!("{}", report.result_line());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    // Every simulated agent is a socket.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("odin-scale: cannot raise the open files limit: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("odin-scale: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odin-scale: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
