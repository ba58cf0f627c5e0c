//! The `odin-controller` binary: the `token` commands, and the daemon
//! with and without the API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_odin-controller");

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("odin-cli-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("ODIN_SECRET")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn token_create_list_revoke() {
    let dir = temp_dir("tokens");
    let file = dir.join("api-tokens");
    let f = file.to_str().unwrap();

    let created = run(&["token", "create", "--file", f, "--name", "dashboard"]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let token = text(&created.stdout).trim().to_owned();
    assert!(token.starts_with("odin_") && token.len() == 69, "{token}");
    assert!(text(&created.stderr).contains("shown only this once"));
    let second = run(&["token", "create", "--file", f]);
    assert!(second.status.success());
    assert_ne!(text(&second.stdout).trim(), token);

    let contents = std::fs::read_to_string(&file).unwrap();
    assert!(!contents.contains(&token));
    assert!(contents.contains(" dashboard\n") && contents.contains(" token-1\n"));

    let again = run(&["token", "create", "--file", f, "--name", "dashboard"]);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("exists already"));

    let list = run(&["token", "list", "--file", f]);
    assert!(list.status.success());
    let names: Vec<String> = text(&list.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["dashboard", "token-1"]);
    assert!(text(&list.stdout).contains("\tsha256:"));

    let revoked = run(&["token", "revoke", "--file", f, "dashboard"]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let list = run(&["token", "list", "--file", f]);
    assert!(!text(&list.stdout).contains("dashboard"));
    let missing = run(&["token", "revoke", "--file", f, "dashboard"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no token is named"));

    // Daemon options do not mix with the subcommand.
    let mixed = run(&["--ssid", "x", "token", "list", "--file", f]);
    assert!(!mixed.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_daemon_refuses_an_api_without_authentication() {
    let out = run(&[
        "--secret",
        "s",
        "--listen",
        "127.0.0.1:0",
        "--api-listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("refusing to serve the REST API without authentication"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["--secret", "s", "--api-tokens", "/nonexistent"]);
    assert!(!out.status.success(), "--api-tokens needs --api-listen");
    let out = run(&[
        "--secret",
        "s",
        "--listen",
        "127.0.0.1:0",
        "--api-listen",
        "127.0.0.1:0",
        "--api-tokens",
        "/nonexistent/odin-tokens",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot load the API tokens"));
}

/// A GET over HTTP/1.1: (status, body).
fn get(port: u16, path: &str, token: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_daemon(api_port: u16, tokens: &Path) -> Daemon {
    let child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--secret",
            "s",
            "--status-interval",
            "0",
        ])
        .args(["--api-listen", &format!("127.0.0.1:{api_port}")])
        .args(["--api-tokens", tokens.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Daemon(child)
}

#[test]
fn the_daemon_serves_the_api_and_stops_on_sigterm() {
    let dir = temp_dir("daemon");
    let file = dir.join("api-tokens");
    let created = run(&["token", "create", "--file", file.to_str().unwrap()]);
    let token = text(&created.stdout).trim().to_owned();
    let port = free_port();
    let mut daemon = start_daemon(port, &file);
    let start = Instant::now();
    let health = loop {
        if let Some(answer) = get(port, "/api/v1/health", None) {
            break answer;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the API never came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(health, (200, r#"{"status":"ok"}"#.to_owned()));
    assert_eq!(get(port, "/api/v1/agents", None).unwrap().0, 401);
    assert_eq!(
        get(port, "/api/v1/agents", Some(&token)).unwrap(),
        (200, r#"{"agents":[]}"#.to_owned())
    );
    let pid = daemon.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}
