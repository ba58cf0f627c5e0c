//! The `odin-controller` binary: the `token` commands, the daemon with and
//! without the API, and its configuration (file, environment, flags,
//! `--help`, `config show`).

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

/// The binary, with none of the environment variables it reads.
fn bin() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ODIN_") {
            command.env_remove(name);
        }
    }
    command.env_remove("RUST_LOG");
    command
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Runs the binary with these environment variables.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    bin().args(args).envs(env.iter().copied()).output().unwrap()
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
    let child = bin()
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
        ("[controler]\n", "unknown section [controler]"),
        ("[apps.rescue\n", "not valid TOML"),
    ] {
        std::fs::write(&config, file).unwrap();
        let out = bin()
            .args([
                "--listen",
                "127.0.0.1:0",
                "--secret",
                "s",
                "--database",
                "none",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{file}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(complaint), "{file}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every daemon setting: its flag, environment variable and file key.
/// Written out here (not taken from the code) so that a setting that
/// loses one of them fails the tests.
const SETTINGS: &[(&str, &str, &str)] = &[
    ("--ssid", "ODIN_SSID", "ssid"),
    ("--switch", "ODIN_SWITCH", "switch"),
    (
        "--switch-target-delay-us",
        "ODIN_SWITCH_TARGET_DELAY_US",
        "switch_target_delay_us",
    ),
    ("--listen", "ODIN_LISTEN", "listen"),
    ("--secret-file", "ODIN_SECRET_FILE", "secret_file"),
    ("--secret", "ODIN_SECRET", "secret"),
    ("--tls-cert", "ODIN_TLS_CERT", "tls_cert"),
    ("--tls-key", "ODIN_TLS_KEY", "tls_key"),
    ("--api-listen", "ODIN_API_LISTEN", "api_listen"),
    ("--api-tokens", "ODIN_API_TOKENS", "api_tokens"),
    (
        "--api-insecure-no-auth",
        "ODIN_API_INSECURE_NO_AUTH",
        "api_insecure_no_auth",
    ),
    ("--web-root", "ODIN_WEB_ROOT", "web_root"),
    ("--database", "ODIN_DATABASE", "database"),
    ("--log-level", "ODIN_LOG_LEVEL", "log_level"),
    (
        "--status-interval",
        "ODIN_STATUS_INTERVAL",
        "status_interval",
    ),
];

#[test]
fn help_names_every_setting_with_its_variable_and_file_key() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert!(out.status.success());
        let help = text(&out.stdout);
        for (flag, env, key) in SETTINGS {
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "{flag}: {help}"
            );
            assert!(help.contains(&format!("[env: {env}")), "{env}: {help}");
            assert!(
                help.contains(&format!("[file: controller.{key}]")),
                "{key}: {help}"
            );
        }
        assert!(help.contains("[env: ODIN_CONFIG"), "{help}");
        for heading in [
            "Network:",
            "Agents:",
            "REST API:",
            "Storage:",
            "Apps:",
            "Logging:",
        ] {
            assert!(help.contains(heading), "{heading}: {help}");
        }
        // The subcommands are still listed, and the apps of this build.
        assert!(help.contains("Commands:\n  token"), "{help}");
        assert!(help.contains("\n  config "), "{help}");
        assert!(help.contains("rescue"), "{help}");
        // Defaults are shown; the secret's value, never.
        assert!(help.contains("[default: 0.0.0.0:6777]"), "{help}");
    }
    let out = run_env(&["--help"], &[("ODIN_SECRET", "hunter2")]);
    assert!(!text(&out.stdout).contains("hunter2"));
    let out = run(&["config", "show", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("[env: ODIN_LISTEN"));
}

/// Starts the daemon with these arguments and environment, output
/// discarded.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Daemon {
    let child = bin()
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Daemon(child)
}

/// Waits for the API of a starting daemon, or for the daemon to exit.
fn api_comes_up(daemon: &mut Daemon, port: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if get(port, "/api/v1/health", None).is_some() {
            return true;
        }
        if daemon.0.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_setting_comes_from_the_file_unless_the_environment_or_a_flag_gives_it() {
    let dir = temp_dir("precedence");
    let tokens = dir.join("api-tokens");
    let created = run(&["token", "create", "--file", tokens.to_str().unwrap()]);
    let token = text(&created.stdout).trim().to_owned();
    let database = dir.join("from-the-file.db");
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    let config = dir.join("controller.toml");
    std::fs::write(
        &config,
        format!(
            "[controller]\nlisten = \"127.0.0.1:0\"\nsecret = \"s\"\nstatus_interval = 0\n\
             database = \"sqlite://{}\"\napi_listen = \"127.0.0.1:{file_port}\"\n\
             api_tokens = \"{}\"\n",
            database.display(),
            tokens.display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    // Only the file: its API address, tokens and database are used.
    let mut daemon = spawn(&["--config", config], &[]);
    assert!(
        api_comes_up(&mut daemon, file_port),
        "the file's api_listen"
    );
    assert_eq!(get(file_port, "/api/v1/agents", None).unwrap().0, 401);
    assert_eq!(
        get(file_port, "/api/v1/agents", Some(&token)).unwrap().0,
        200
    );
    assert!(database.exists(), "the file's database");
    drop(daemon);

    // The configuration file named by the environment; the environment
    // over the file.
    let env_api = format!("127.0.0.1:{env_port}");
    let env = [
        ("ODIN_CONFIG", config),
        ("ODIN_API_LISTEN", env_api.as_str()),
    ];
    let mut daemon = spawn(&[], &env);
    assert!(api_comes_up(&mut daemon, env_port), "ODIN_API_LISTEN");
    assert!(get(file_port, "/api/v1/health", None).is_none());
    drop(daemon);

    // A flag over the environment.
    let flag_api = format!("127.0.0.1:{flag_port}");
    let mut daemon = spawn(&["--api-listen", &flag_api], &env);
    assert!(api_comes_up(&mut daemon, flag_port), "--api-listen");
    assert!(get(env_port, "/api/v1/health", None).is_none());
    assert!(get(file_port, "/api/v1/health", None).is_none());
    drop(daemon);

    // A boolean from the environment: the API without tokens needs the
    // tokens file gone too, so give the rest by flags.
    let port = free_port();
    let mut daemon = spawn(
        &[
            "--listen",
            "127.0.0.1:0",
            "--database",
            "none",
            "--status-interval",
            "0",
        ],
        &[
            ("ODIN_SECRET", "s"),
            ("ODIN_API_LISTEN", &format!("127.0.0.1:{port}")),
            ("ODIN_API_INSECURE_NO_AUTH", "true"),
        ],
    );
    assert!(api_comes_up(&mut daemon, port), "ODIN_API_INSECURE_NO_AUTH");
    assert_eq!(get(port, "/api/v1/agents", None).unwrap().0, 200);
    drop(daemon);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The line of `config show` for `key`, set (`key = ...`) or not
/// (`# key ...`).
fn shown<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} ")))
        .unwrap_or_else(|| panic!("no line for {key}:\n{out}"))
}

#[test]
fn config_show_prints_each_value_with_its_source_and_no_secret() {
    let dir = temp_dir("show");
    let config = dir.join("controller.toml");
    std::fs::write(
        &config,
        "[controller]\nssid = \"from-file\"\nlisten = \"10.0.0.2:6777\"\n\
         switch = \"sequential\"\nsecret_file = \"/etc/odin/secret\"\n\
         database = \"postgres://odin:dbpassword@db.example/odin\"\n\n\
         [apps.rescue]\nenabled = false\nthreshold_dbm = -75.0\n",
    )
    .unwrap();
    let out = run_env(
        &[
            "config",
            "show",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:7000",
        ],
        &[
            ("ODIN_SSID", "from-env"),
            ("ODIN_SECRET", "hunter2"),
            ("ODIN_STATUS_INTERVAL", "30"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = text(&out.stdout);
    let expect = [
        ("ssid", "ssid = \"from-env\"", "# env ODIN_SSID"),
        ("listen", "listen = \"127.0.0.1:7000\"", "# flag --listen"),
        ("switch", "switch = \"sequential\"", "# file, line 4"),
        (
            "status_interval",
            "status_interval = 30",
            "# env ODIN_STATUS_INTERVAL",
        ),
        ("log_level", "log_level = \"info\"", "# default"),
        (
            "database",
            "database = \"postgres://odin:***@db.example/odin\"",
            "# file, line 6; password hidden",
        ),
        // The environment's secret wins over the file's secret file.
        ("secret", "# secret = (hidden)", "# env ODIN_SECRET"),
        (
            "secret_file",
            "# secret_file = \"/etc/odin/secret\"",
            "# file, line 5; not used: secret wins",
        ),
        ("api_listen", "# api_listen is not set", "# no REST API"),
    ];
    for (key, value, source) in expect {
        let line = shown(&out, key);
        assert!(line.starts_with(value), "{key}: {line}");
        assert!(line.ends_with(source), "{key}: {line}");
    }
    assert!(!out.contains("hunter2"), "{out}");
    assert!(!out.contains("dbpassword"), "{out}");
    assert!(out.contains(&format!("# Configuration file: {}", config.display())));
    assert!(out.contains("[apps.rescue]\nenabled = false\nthreshold_dbm = -75.0\n"));
    // The output is TOML again.
    let reread: toml::Table = out.parse().unwrap();
    assert_eq!(reread["controller"]["ssid"].as_str(), Some("from-env"));

    // Refused like the daemon refuses.
    let out = run(&["config", "show", "--secret", "a", "--secret-file", "b"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("the secret is given twice"));
    let out = run_env(&["config", "show"], &[("ODIN_SWITCH", "sometimes")]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid value 'sometimes'"), "{stderr}");
    assert!(
        stderr.contains("comes from the environment variable ODIN_SWITCH"),
        "{stderr}"
    );
    std::fs::write(&config, "[apps.rescue]\nmargin = 3\n").unwrap();
    let out = run(&["config", "show", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown field `margin`"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_file_is_refused_naming_the_file_the_key_and_what_was_expected() {
    let dir = temp_dir("bad-file");
    let config = dir.join("controller.toml");
    let path = config.to_str().unwrap();
    for (file, complaints) in [
        (
            "[controller]\nssid = \"odin\"\nlisen = \"0.0.0.0:6777\"\n",
            &[
                "line 3, column 1",
                "unknown key controller.lisen",
                "did you mean listen?",
            ][..],
        ),
        (
            "[controller]\nstatus_interval = \"5s\"\n",
            &[
                "line 2, column 1",
                "controller.status_interval",
                "expected a whole number of seconds, 0 or more",
                "found a string: \"5s\"",
            ][..],
        ),
        (
            "[controller]\napi_insecure_no_auth = \"yes\"\n",
            &["controller.api_insecure_no_auth", "expected true or false"][..],
        ),
        (
            "[controller]\nsecret = 1234567\n",
            &["controller.secret", "expected a string", "found an integer"][..],
        ),
        (
            "[controller]\ntls_cert = \"/c.pem\"\n",
            &["tls_cert (", ", line 2) is set but tls_key is not"][..],
        ),
    ] {
        std::fs::write(&config, file).unwrap();
        for args in [
            &["--config", path][..],
            &["config", "show", "--config", path],
        ] {
            let out = run_env(args, &[("ODIN_SECRET", "s")]);
            assert!(!out.status.success(), "{file}");
            let stderr = text(&out.stderr);
            assert!(stderr.contains(path), "{file}: {stderr}");
            for complaint in complaints {
                assert!(stderr.contains(complaint), "{file}: {stderr}");
            }
            assert!(!stderr.contains("1234567"), "{stderr}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_example_file_parses_and_gives_what_its_comments_say() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/odin-controller.example.toml");
    let out = run(&["config", "show", "--config", example]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = text(&out.stdout);
    let expect = [
        ("ssid", "\"odin\""),
        ("switch", "\"together\""),
        ("switch_target_delay_us", "0"),
        ("listen", "\"0.0.0.0:6777\""),
        ("secret_file", "\"/etc/odin/secret\""),
        ("api_listen", "\"127.0.0.1:8080\""),
        ("api_tokens", "\"/etc/odin/api-tokens\""),
        ("api_insecure_no_auth", "false"),
        ("database", "\"sqlite:///var/lib/odin/controller.db\""),
        ("log_level", "\"info\""),
        ("status_interval", "5"),
    ];
    for (key, value) in expect {
        let line = shown(&out, key);
        assert!(line.starts_with(&format!("{key} = {value} ")), "{line}");
        assert!(line.contains("# file, line "), "{line}");
    }
    for key in ["secret", "tls_cert", "tls_key"] {
        assert!(shown(&out, key).starts_with(&format!("# {key} is not set")));
    }
    assert!(out.contains("[apps.rescue]\nenabled = true\nmargin_db = 6\nthreshold_dbm = -72.0\n"));

    // Each setting's comment names its flag, its variable and the real
    // default (what `config show` prints without any configuration).
    let text_of_example = std::fs::read_to_string(example).unwrap();
    let defaults = text(&run(&["config", "show"]).stdout);
    for (flag, env, key) in SETTINGS {
        let default = match shown(&defaults, key).split_once(" = ") {
            Some((_, rest)) if !rest.starts_with('(') => {
                let value = rest.split(" # ").next().unwrap().trim();
                format!("default {value}.")
            }
            _ => "no default.".to_owned(),
        };
        let claim = format!("# Flag {flag}, environment {env}, {default}");
        assert!(
            text_of_example.lines().any(|l| l == claim),
            "the example lacks {claim:?}"
        );
    }
}

#[test]
fn tls_from_the_file_encrypts_the_agents_connections() {
    let dir = temp_dir("tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    std::fs::write(dir.join("controller.crt"), &cert_pem).unwrap();
    std::fs::write(dir.join("controller.key"), &key_pem).unwrap();
    let config = dir.join("controller.toml");
    let port = free_port();
    std::fs::write(
        &config,
        format!(
            "[controller]\nlisten = \"127.0.0.1:{port}\"\nsecret = \"s\"\ndatabase = \"none\"\n\
             status_interval = 0\ntls_cert = \"{0}/controller.crt\"\n\
             tls_key = \"{0}/controller.key\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let mut daemon = spawn(&["--config", config.to_str().unwrap()], &[]);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(daemon.0.try_wait().unwrap().is_none(), "the daemon exited");
        assert!(start.elapsed() < Duration::from_secs(10), "never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let connector = odin_proto::tls::TlsConnector::from(
            odin_proto::tls::client_config(cert_pem.as_bytes()).unwrap(),
        );
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = odin_proto::tls::server_name("localhost").unwrap();
        let handshake =
            tokio::time::timeout(Duration::from_secs(5), connector.connect(name, stream))
                .await
                .unwrap();
        assert!(handshake.is_ok(), "{handshake:?}");
    });
    drop(daemon);

    // A certificate that cannot be read stops the daemon, saying so.
    let out = run(&[
        "--config",
        config.to_str().unwrap(),
        "--tls-cert",
        "/nonexistent/controller.crt",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot read the TLS certificate"));
    std::fs::remove_dir_all(&dir).unwrap();
}
