//! The `odin-medium` binary: a thin loop around [`odin_medium::medium::Medium`].
//!
//! ```text
//! odin-medium --config medium.toml --control /run/odin-medium.sock [--record FILE]
//! odin-medium ctl --control /run/odin-medium.sock 'pos sta 20 0' show
//! ```
//!
//! Run it as root in the namespace where the hwsim radios were created
//! (the initial one): it registers on MAC80211_HWSIM there and becomes
//! the air of every radio, also of radios moved to other namespaces.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use netlink_sys::{protocols, AsyncSocket, AsyncSocketExt, TokioSocket};
use odin_medium::hwsim;
use odin_medium::medium::Medium;
use odin_medium::model::Config;
use odin_medium::netlink;
use odin_medium::record::{self, Line};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

#[derive(Debug, Parser)]
#[command(
    name = "odin-medium",
    version,
    about = "The air between mac80211_hwsim radios"
)]
struct Args {
    /// The configuration (TOML): seed, noise floor, path loss, radios and
    /// their positions, fixed links. Without it: defaults, and every
    /// radio at (0, 0).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The control socket (a Unix stream socket; line commands).
    #[arg(long, default_value = "/run/odin-medium.sock")]
    control: PathBuf,
    /// Record every datagram and command to FILE (for the tests' replay).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Stop recording after this many datagrams from the kernel.
    #[arg(long, default_value_t = 200)]
    record_limit: usize,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Sends commands to a running medium and prints the answers:
    /// `pos RADIO X Y`, `walk RADIO X1 Y1 X2 Y2 SECONDS`,
    /// `signal FROM TO`, `show`.
    Ctl {
        /// The control socket.
        #[arg(long, default_value = "/run/odin-medium.sock")]
        control: PathBuf,
        /// Commands, one per argument.
        #[arg(required = true)]
        commands: Vec<String>,
    },
}

type CtlRequest = (String, oneshot::Sender<String>);

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!("runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let r = rt.block_on(async {
        match &args.cmd {
            Some(Cmd::Ctl { control, commands }) => ctl(control, commands).await,
            None => run(&args).await,
        }
    });
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The client side of the control socket.
async fn ctl(control: &PathBuf, commands: &[String]) -> Result<(), String> {
    let mut s = UnixStream::connect(control)
        .await
        .map_err(|e| format!("{}: {e}", control.display()))?;
    let mut text = commands.join("\n");
    text.push('\n');
    s.write_all(text.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    s.shutdown().await.map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    print!("{answer}");
    if answer.lines().any(|l| l.starts_with("error")) {
        return Err("a command failed".into());
    }
    Ok(())
}

/// Sends `msg` and returns the answers until the kernel's acknowledgement
/// of `seq` (or its error).
async fn request(sock: &mut TokioSocket, msg: &[u8], seq: u32) -> Result<Vec<Vec<u8>>, String> {
    sock.send(msg)
        .await
        .map_err(|e| format!("netlink send: {e}"))?;
    let mut answers = Vec::new();
    loop {
        let (buf, _) = sock
            .recv_from_full()
            .await
            .map_err(|e| format!("netlink receive: {e}"))?;
        let mut done = None;
        for m in netlink::messages(&buf) {
            if let Some((code, s)) = netlink::error(&m) {
                if s == seq {
                    done = Some(code);
                }
            }
        }
        answers.push(buf);
        match done {
            Some(0) => return Ok(answers),
            Some(code) => return Err(format!("the kernel refused: errno {}", -code)),
            None => {}
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let cfg = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Config::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Config::default(),
    };
    let mut sock =
        TokioSocket::new(protocols::NETLINK_GENERIC).map_err(|e| format!("netlink socket: {e}"))?;
    sock.socket_mut()
        .bind_auto()
        .map_err(|e| format!("netlink bind: {e}"))?;
    // Bursts of beacons from many radios: a larger buffer than the
    // default avoids ENOBUFS (best effort).
    let _ = sock.socket_mut().set_rx_buf_sz(4 << 20);
    let answers = request(&mut sock, &netlink::get_family(hwsim::FAMILY_NAME, 1), 1)
        .await
        .map_err(|e| {
            format!(
                "looking up {}: {e} (is mac80211_hwsim loaded?)",
                hwsim::FAMILY_NAME
            )
        })?;
    let family = answers
        .iter()
        .find_map(|a| netlink::parse_family(a).and_then(Result::ok))
        .ok_or_else(|| format!("no family id for {}", hwsim::FAMILY_NAME))?;
    request(&mut sock, &hwsim::register(family, 2), 2)
        .await
        .map_err(|e| format!("HWSIM_CMD_REGISTER: {e} (another medium running?)"))?;
    let first_seq = 3;
    let start = Instant::now();
    info!(
        family,
        radios = cfg.radios.len(),
        seed = cfg.seed,
        "odin-medium registered: the air is ours"
    );
    let mut medium = Medium::new(cfg, family, first_seq);

    let mut rec = match &args.record {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            writeln!(w, "{}", record::header(family, first_seq)).map_err(|e| e.to_string())?;
            Some(w)
        }
        None => None,
    };
    let mut recorded = 0usize;

    let _ = std::fs::remove_file(&args.control);
    let listener = UnixListener::bind(&args.control)
        .map_err(|e| format!("{}: {e}", args.control.display()))?;
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<CtlRequest>(16);
    tokio::spawn(accept(listener, ctl_tx));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;

    loop {
        tokio::select! {
            r = sock.recv_from_full() => {
                let buf = match r {
                    Ok((buf, _)) => buf,
                    Err(e) => {
                        // ENOBUFS: the kernel dropped messages; go on.
                        warn!("netlink receive: {e}");
                        continue;
                    }
                };
                let now = start.elapsed();
                let out = medium.handle(&buf, now);
                for d in &out {
                    if let Err(e) = sock.send(d).await {
                        warn!("netlink send: {e}");
                    }
                }
                if let Some(w) = rec.as_mut().filter(|_| recorded < args.record_limit) {
                    recorded += 1;
                    let mut lines = vec![record::format(&Line::In(now, buf))];
                    lines.extend(out.into_iter().map(|d| record::format(&Line::Out(now, d))));
                    for l in lines {
                        if let Err(e) = writeln!(w, "{l}") {
                            warn!("record: {e}");
                        }
                    }
                    if recorded == args.record_limit {
                        info!(datagrams = recorded, "record complete");
                        let _ = w.flush();
                    }
                }
            }
            Some((line, reply)) = ctl_rx.recv() => {
                let now = start.elapsed();
                let answer = medium.command(&line, now);
                if let Some(w) = rec.as_mut().filter(|_| recorded < args.record_limit) {
                    let _ = writeln!(w, "{}", record::format(&Line::Ctl(now, line.trim().to_string())));
                }
                let _ = reply.send(answer);
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if let Some(mut w) = rec {
        let _ = w.flush();
    }
    let s = medium.stats;
    info!(
        frames = s.frames,
        delivered = s.delivered,
        acked = s.acked,
        unacked = s.unacked,
        "odin-medium stopped"
    );
    let _ = std::fs::remove_file(&args.control);
    Ok(())
}

/// Accepts control connections; each sends lines and gets the answers.
async fn accept(listener: UnixListener, tx: mpsc::Sender<CtlRequest>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!("control socket: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let (reply_tx, reply_rx) = oneshot::channel();
                if tx.send((line, reply_tx)).await.is_err() {
                    return;
                }
                let Ok(answer) = reply_rx.await else { return };
                if w.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}
