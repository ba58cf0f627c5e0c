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
    http(port, "GET", path, token, None)
}

/// A request over HTTP/1.1, with a JSON body if any: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let body = json.map_or(String::new(), |j| {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{j}",
            j.len()
        )
    });
    let end = if json.is_some() { "" } else { "\r\n" };
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}{body}{end}");
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
    start_daemon_with(api_port, tokens, &[])
}

fn start_daemon_with(api_port: u16, tokens: &Path, extra: &[&str]) -> Daemon {
    let database = format!(
        "sqlite://{}",
        tokens.with_file_name("controller.db").display()
    );
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
        .args(["--database", &database])
        .args(extra)
        .env_remove("RUST_LOG")
        .env_remove("ODIN_DATABASE")
        .env_remove("ODIN_CONFIG")
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

/// Waits for the API of a starting daemon.
fn wait_for_api(port: u16) {
    let start = Instant::now();
    while get(port, "/api/v1/health", None).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the API never came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `rescue` app's entry of `GET /api/v1/apps`.
fn rescue(port: u16, token: &str) -> serde_json::Value {
    let (status, body) = get(port, "/api/v1/apps", Some(token)).unwrap();
    assert_eq!(status, 200, "{body}");
    let apps: serde_json::Value = serde_json::from_str(&body).unwrap();
    apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "rescue")
        .cloned()
        .unwrap()
}

#[test]
fn apps_come_from_the_configuration_file_and_runtime_changes_survive_a_sigkill() {
    let dir = temp_dir("apps");
    let tokens = dir.join("api-tokens");
    let created = run(&["token", "create", "--file", tokens.to_str().unwrap()]);
    let token = text(&created.stdout).trim().to_owned();
    let config = dir.join("controller.toml");
    std::fs::write(
        &config,
        "[apps.rescue]\nenabled = true\nthreshold_dbm = -72.0\n",
    )
    .unwrap();
    let args = ["--config", config.to_str().unwrap()];

    let port = free_port();
    let mut daemon = start_daemon_with(port, &tokens, &args);
    wait_for_api(port);
    let app = rescue(port, &token);
    assert_eq!(app["enabled"], true);
    assert_eq!(app["config"]["threshold_dbm"], -72.0);
    // Disabled at run time, then the daemon is killed outright.
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/apps/rescue/disable",
        Some(&token),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        port,
        "PUT",
        "/api/v1/apps/nope/config",
        Some(&token),
        Some("{}"),
    )
    .unwrap();
    assert_eq!(
        (status, body.contains("unknown app")),
        (404, true),
        "{body}"
    );
    let (status, body) = http(
        port,
        "PUT",
        "/api/v1/apps/rescue/config",
        Some(&token),
        Some(r#"{"treshold_dbm": -60}"#),
    )
    .unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("treshold_dbm"), "{body}");
    // Give the recorder its moment (it writes within milliseconds).
    let start = Instant::now();
    loop {
        let (_, events) = get(port, "/api/v1/events?kind=app_changed", Some(&token)).unwrap();
        if events.matches("\"kind\":\"app_changed\"").count() >= 2 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{events}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, body) = get(port, "/api/v1/store", Some(&token)).unwrap();
    assert_eq!(status, 200, "{body}");
    let store: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(store["backend"], "sqlite");
    assert!(store["written"].as_u64().unwrap() >= 2, "{body}");
    assert_eq!(store["failed_attempts"], 0);
    assert_eq!(store["overflowed"], 0);
    daemon.0.kill().unwrap();
    daemon.0.wait().unwrap();

    // The runtime change outlives the restart: the file did not change.
    let port = free_port();
    let mut daemon = start_daemon_with(port, &tokens, &args);
    wait_for_api(port);
    assert_eq!(rescue(port, &token)["enabled"], false);
    daemon.0.kill().unwrap();
    daemon.0.wait().unwrap();

    // An administrator who edits the file gets the file.
    std::fs::write(&config, "[apps.rescue]\nthreshold_dbm = -75.0\n").unwrap();
    let port = free_port();
    let daemon = start_daemon_with(port, &tokens, &args);
    wait_for_api(port);
    let app = rescue(port, &token);
    assert_eq!(app["enabled"], true);
    assert_eq!(app["config"]["threshold_dbm"], -75.0);
    drop(daemon);

    // A configuration the controller cannot use is refused, clearly.
    for (file, complaint) in [
        ("[apps.nope]\n", "unknown app \"nope\""),
        (
            "[apps.rescue]\nenabled = \"yes\"\n",
            "enabled must be true or false",
        ),
        ("[apps.rescue]\nmargin = 3\n", "unknown field `margin`"),
        ("[controller]\n", "unknown section [controller]"),
        ("[apps.rescue\n", "not valid TOML"),
    ] {
        std::fs::write(&config, file).unwrap();
        let out = Command::new(BIN)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--secret",
                "s",
                "--database",
                "none",
            ])
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{file}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(complaint), "{file}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
