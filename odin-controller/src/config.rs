//! The daemon's settings and where each one comes from.
//!
//! Every setting of the `odin-controller` daemon can be given in four
//! places. The first of these that gives a value wins:
//!
//! 1. a command-line flag (`--listen 0.0.0.0:6777`);
//! 2. an environment variable (`ODIN_LISTEN=0.0.0.0:6777`);
//! 3. the `[controller]` table of the configuration file given with
//!    `--config` or `ODIN_CONFIG` (`listen = "0.0.0.0:6777"`);
//! 4. the built-in default.
//!
//! [`SETTINGS`] lists them all with their file key (the flag's name with
//! `_` for `-`), their environment variable and their heading in `--help`.
//! The same file holds the apps, one `[apps.NAME]` table each, read exactly
//! as before this module existed (see [`crate::persist::app_start`]).
//!
//! The binary parses the command line (clap tells a flag from an
//! environment variable from a default) into a [`Layer`]; [`load`] reads
//! the file into another and merges them into [`Settings`], which
//! [`Settings::to_toml`] prints with each value's source (secrets hidden).
//!
//! The file is checked strictly: an unknown section or key, or a value of
//! the wrong type, is refused with the file's path, the line and column,
//! the key and what was expected.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;
use toml::Spanned;

/// The default of `listen`: every address, port 6777.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:6777";
/// The default of `ssid`.
pub const DEFAULT_SSID: &str = "odin";
/// The default of `switch`.
pub const DEFAULT_SWITCH: &str = "together";
/// The default of `switch_target_delay_us`.
pub const DEFAULT_SWITCH_TARGET_DELAY_US: u64 = 0;
/// The default of `database`: an SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite://odin-controller.db";
/// The default of `log_level`.
pub const DEFAULT_LOG_LEVEL: &str = "info";
/// The default of `status_interval`, in seconds.
pub const DEFAULT_STATUS_INTERVAL: u64 = 5;

/// The values of `switch`.
pub const SWITCH_MODES: &[&str] = &["together", "sequential"];

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "ODIN_CONFIG";

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable (its name).
    Env(&'static str),
    /// The configuration file (the line of the key).
    File {
        /// The line, from 1.
        line: usize,
    },
    /// Nobody set it: the built-in default.
    Default,
}

impl Source {
    /// The higher, the stronger: flag 3, environment 2, file 1, default 0.
    pub fn rank(&self) -> u8 {
        match self {
            Source::Flag => 3,
            Source::Env(_) => 2,
            Source::File { .. } => 1,
            Source::Default => 0,
        }
    }

    /// How `config show` names the source of `key`: `flag --listen`,
    /// `env ODIN_LISTEN`, `file, line 3` or `default`.
    pub fn describe(&self, key: &str) -> String {
        match self {
            Source::Flag => format!("flag --{}", key.replace('_', "-")),
            Source::Env(var) => format!("env {var}"),
            Source::File { line } => format!("file, line {line}"),
            Source::Default => "default".to_owned(),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Sourced<T> {
    /// `value`, from `source`.
    pub fn new(value: T, source: Source) -> Sourced<T> {
        Sourced { value, source }
    }
}

/// What kind of value a setting takes, for checking the file and for the
/// messages that say what was expected.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string; what it means (for the message).
    Text(&'static str),
    /// A string naming a file.
    Path,
    /// A string that is a secret: never printed back.
    Secret,
    /// A whole number, 0 or more, of this unit.
    Whole(&'static str),
    /// `true` or `false`.
    Bool,
    /// One of these strings.
    Choice(&'static [&'static str]),
}

impl Kind {
    /// What a value of this kind looks like, for error messages.
    pub fn expected(&self) -> String {
        match self {
            Kind::Text(what) => format!("a string ({what})"),
            Kind::Path => "a string (the path of a file)".to_owned(),
            Kind::Secret => "a string (the secret itself)".to_owned(),
            Kind::Whole(unit) => format!("a whole number of {unit}, 0 or more"),
            Kind::Bool => "true or false".to_owned(),
            Kind::Choice(choices) => {
                let quoted: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
        }
    }
}

/// One daemon setting: its file key (also the flag without `--`, with `_`
/// for `-`), its environment variable and where `--help` lists it.
#[derive(Debug, Clone, Copy)]
pub struct SettingInfo {
    /// The key in the file's `[controller]` table; the clap argument id.
    pub key: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// The heading of `--help` it is listed under.
    pub heading: &'static str,
    /// What values it takes.
    pub kind: Kind,
    /// The environment variable's value is not shown by `--help`.
    pub hide_env_value: bool,
    /// What happens when a setting without a default is not set (empty for
    /// settings with a default).
    pub when_unset: &'static str,
}

impl SettingInfo {
    /// The command-line flag, `--secret-file` for `secret_file`.
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }
}

/// The heading of the WiFi network's settings.
pub const NETWORK: &str = "Network";
/// The heading of the agents' link.
pub const AGENTS: &str = "Agents";
/// The heading of the REST API.
pub const REST_API: &str = "REST API";
/// The heading of the store.
pub const STORAGE: &str = "Storage";
/// The heading of the logs.
pub const LOGGING: &str = "Logging";

/// Every daemon setting, in the order of `--help` and `config show`.
pub const SETTINGS: &[SettingInfo] = &[
    SettingInfo {
        key: "ssid",
        env: "ODIN_SSID",
        heading: NETWORK,
        kind: Kind::Text("the network name, such as \"odin\""),
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "switch",
        env: "ODIN_SWITCH",
        heading: NETWORK,
        kind: Kind::Choice(SWITCH_MODES),
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "switch_target_delay_us",
        env: "ODIN_SWITCH_TARGET_DELAY_US",
        heading: NETWORK,
        kind: Kind::Whole("microseconds"),
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "listen",
        env: "ODIN_LISTEN",
        heading: AGENTS,
        kind: Kind::Text("an address and port, such as \"0.0.0.0:6777\""),
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "secret_file",
        env: "ODIN_SECRET_FILE",
        heading: AGENTS,
        kind: Kind::Path,
        hide_env_value: false,
        when_unset: "the secret must then be given with secret",
    },
    SettingInfo {
        key: "secret",
        env: "ODIN_SECRET",
        heading: AGENTS,
        kind: Kind::Secret,
        hide_env_value: true,
        when_unset: "the secret must then be given with secret_file",
    },
    SettingInfo {
        key: "tls_cert",
        env: "ODIN_TLS_CERT",
        heading: AGENTS,
        kind: Kind::Path,
        hide_env_value: false,
        when_unset: "agents connect over plain TCP",
    },
    SettingInfo {
        key: "tls_key",
        env: "ODIN_TLS_KEY",
        heading: AGENTS,
        kind: Kind::Path,
        hide_env_value: false,
        when_unset: "agents connect over plain TCP",
    },
    SettingInfo {
        key: "api_listen",
        env: "ODIN_API_LISTEN",
        heading: REST_API,
        kind: Kind::Text("an address and port, such as \"127.0.0.1:8080\""),
        hide_env_value: false,
        when_unset: "no REST API",
    },
    SettingInfo {
        key: "api_tokens",
        env: "ODIN_API_TOKENS",
        heading: REST_API,
        kind: Kind::Path,
        hide_env_value: false,
        when_unset: "no tokens: the REST API needs them (or api_insecure_no_auth)",
    },
    SettingInfo {
        key: "api_insecure_no_auth",
        env: "ODIN_API_INSECURE_NO_AUTH",
        heading: REST_API,
        kind: Kind::Bool,
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "web_root",
        env: "ODIN_WEB_ROOT",
        heading: REST_API,
        kind: Kind::Text("the path of a directory: the dashboard's build, such as \"web/dist\""),
        hide_env_value: false,
        when_unset: "no dashboard: only the API",
    },
    SettingInfo {
        key: "database",
        env: "ODIN_DATABASE",
        heading: STORAGE,
        kind: Kind::Text(
            "a database URL: \"sqlite://PATH\", \
             \"postgres://USER:PASSWORD@HOST:PORT/DATABASE\" or \"none\"",
        ),
        hide_env_value: true,
        when_unset: "",
    },
    SettingInfo {
        key: "log_level",
        env: "ODIN_LOG_LEVEL",
        heading: LOGGING,
        kind: Kind::Text("a log filter, such as \"info\" or \"info,odin_controller=debug\""),
        hide_env_value: false,
        when_unset: "",
    },
    SettingInfo {
        key: "status_interval",
        env: "ODIN_STATUS_INTERVAL",
        heading: LOGGING,
        kind: Kind::Whole("seconds"),
        hide_env_value: false,
        when_unset: "",
    },
];

/// The setting with file key `key`.
pub fn setting(key: &str) -> Option<&'static SettingInfo> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The environment variable of the setting `key` (empty if there is no
/// such setting).
pub fn env_var(key: &str) -> &'static str {
    setting(key).map_or("", |s| s.env)
}

/// A secret given inline; its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// The secret shared with the agents, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// Read from this file (trailing newlines ignored).
    File(PathBuf),
    /// Given as it is.
    Inline(SecretText),
}

/// The values one place (the command line with the environment, or the
/// file) gives; `None` where it gives none.
///
/// Each field is the setting of the same name in [`SETTINGS`].
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub ssid: Option<Sourced<String>>,
    pub switch: Option<Sourced<String>>,
    pub switch_target_delay_us: Option<Sourced<u64>>,
    pub listen: Option<Sourced<String>>,
    pub secret_file: Option<Sourced<PathBuf>>,
    pub secret: Option<Sourced<SecretText>>,
    pub tls_cert: Option<Sourced<PathBuf>>,
    pub tls_key: Option<Sourced<PathBuf>>,
    pub api_listen: Option<Sourced<String>>,
    pub api_tokens: Option<Sourced<PathBuf>>,
    pub api_insecure_no_auth: Option<Sourced<bool>>,
    pub web_root: Option<Sourced<PathBuf>>,
    pub database: Option<Sourced<String>>,
    pub log_level: Option<Sourced<String>>,
    pub status_interval: Option<Sourced<u64>>,
}

/// One app's table of the configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSection {
    /// The app's name (`rescue` for `[apps.rescue]`).
    pub name: String,
    /// The table as JSON: `enabled` and the app's own keys, exactly as the
    /// store keeps it beside the app's state.
    pub section: serde_json::Value,
}

/// What the configuration file says.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    /// The `[controller]` settings.
    pub layer: Layer,
    /// The `[apps.NAME]` tables, in the file's order of names.
    pub apps: Vec<AppSection>,
}

/// The settings the daemon runs with, each with its source.
///
/// Each field is the setting of the same name in [`SETTINGS`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file, if any.
    pub config: Option<Sourced<PathBuf>>,
    pub ssid: Sourced<String>,
    pub switch: Sourced<String>,
    pub switch_target_delay_us: Sourced<u64>,
    pub listen: Sourced<String>,
    pub secret_file: Option<Sourced<PathBuf>>,
    pub secret: Option<Sourced<SecretText>>,
    pub tls_cert: Option<Sourced<PathBuf>>,
    pub tls_key: Option<Sourced<PathBuf>>,
    pub api_listen: Option<Sourced<String>>,
    pub api_tokens: Option<Sourced<PathBuf>>,
    pub api_insecure_no_auth: Sourced<bool>,
    pub web_root: Option<Sourced<PathBuf>>,
    pub database: Sourced<String>,
    pub log_level: Sourced<String>,
    pub status_interval: Sourced<u64>,
    /// The apps' tables of the file.
    pub apps: Vec<AppSection>,
}

/// Reads the configuration file `config` (if any) and merges it under the
/// command line and environment `cli`.
pub fn load(config: Option<Sourced<PathBuf>>, cli: Layer) -> Result<Settings, String> {
    let file = match &config {
        Some(path) => Some(read_file(&path.value)?),
        None => None,
    };
    Settings::merge(config, cli, file)
}

/// Reads and checks a configuration file.
pub fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    parse_file(&text, path)
}

/// The position of each key of a table (the values themselves are read
/// from the parsed `toml::Table`).
type Spans = BTreeMap<Spanned<String>, IgnoredAny>;

/// The positions of the `[controller]` table's keys.
#[derive(Deserialize)]
struct ControllerSpans {
    #[serde(default)]
    controller: Spans,
}

/// Checks the text of a configuration file; `path` names it in messages.
pub fn parse_file(text: &str, path: &Path) -> Result<FileConfig, String> {
    let file = path.display();
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("the configuration file {file} is not valid TOML: {e}"))?;
    let top: Spans = toml::from_str(text)
        .map_err(|e| format!("the configuration file {file} is not valid TOML: {e}"))?;
    for key in top.keys() {
        let (line, _) = line_col(text, key.span().start);
        match (key.get_ref().as_str(), table.get(key.get_ref())) {
            ("apps", _) => {}
            ("controller", Some(toml::Value::Table(_))) => {}
            ("controller", value) => {
                return Err(format!(
                    "{file}, line {line}: `controller` must be a table ([controller]), \
                     found {}",
                    value.map_or("nothing".to_owned(), a_type)
                ))
            }
            (other, _) => {
                return Err(format!(
                    "{file}, line {line}: unknown section [{other}] (this file has \
                     [controller] for the controller's settings and [apps.NAME] for \
                     each app)"
                ))
            }
        }
    }
    let controller: ControllerSpans = toml::from_str(text)
        .map_err(|e| format!("the configuration file {file} is not valid TOML: {e}"))?;
    let mut entries: Vec<_> = controller.controller.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let values = table.get("controller").and_then(toml::Value::as_table);
    let mut layer = Layer::default();
    for (key, _) in entries {
        let (line, column) = line_col(text, key.span().start);
        let name = key.get_ref().as_str();
        let Some(info) = setting(name) else {
            let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
            let hint = SETTINGS
                .iter()
                .map(|s| (edit_distance(s.key, name), s.key))
                .min()
                .filter(|(distance, _)| *distance <= 2)
                .map_or(String::new(), |(_, key)| format!(" (did you mean {key}?)"));
            return Err(format!(
                "{file}, line {line}, column {column}: unknown key controller.{name}{hint}; \
                 the keys of [controller] are: {}",
                known.join(", ")
            ));
        };
        let Some(value) = values.and_then(|t| t.get(name)) else {
            continue;
        };
        let source = Source::File { line };
        set(&mut layer, info, value, source).map_err(|found| {
            format!(
                "{file}, line {line}, column {column}: controller.{name}: expected {}, \
                 found {found}",
                info.kind.expected()
            )
        })?;
    }
    let apps = app_sections(&table, path)?;
    Ok(FileConfig { layer, apps })
}

/// Sets `info`'s field of `layer` from a file value; the error describes
/// what was found instead.
fn set(
    layer: &mut Layer,
    info: &SettingInfo,
    value: &toml::Value,
    source: Source,
) -> Result<(), String> {
    let found = || match info.kind {
        Kind::Secret => a_type(value),
        _ => format!("{}: {}", a_type(value), toml_value(value)),
    };
    let text = || -> Result<String, String> {
        match (value, info.kind) {
            (toml::Value::String(s), Kind::Choice(choices)) if !choices.contains(&s.as_str()) => {
                Err(found())
            }
            (toml::Value::String(s), _) => Ok(s.clone()),
            _ => Err(found()),
        }
    };
    let whole = || match value {
        toml::Value::Integer(n) => u64::try_from(*n).map_err(|_| found()),
        _ => Err(found()),
    };
    let at = |v| Sourced::new(v, source);
    match info.key {
        "ssid" => layer.ssid = Some(at(text()?)),
        "switch" => layer.switch = Some(at(text()?)),
        "switch_target_delay_us" => {
            layer.switch_target_delay_us = Some(Sourced::new(whole()?, source))
        }
        "listen" => layer.listen = Some(at(text()?)),
        "secret_file" => layer.secret_file = Some(Sourced::new(text()?.into(), source)),
        "secret" => layer.secret = Some(Sourced::new(SecretText(text()?), source)),
        "tls_cert" => layer.tls_cert = Some(Sourced::new(text()?.into(), source)),
        "tls_key" => layer.tls_key = Some(Sourced::new(text()?.into(), source)),
        "api_listen" => layer.api_listen = Some(at(text()?)),
        "api_tokens" => layer.api_tokens = Some(Sourced::new(text()?.into(), source)),
        "api_insecure_no_auth" => match value {
            toml::Value::Boolean(b) => layer.api_insecure_no_auth = Some(Sourced::new(*b, source)),
            _ => return Err(found()),
        },
        "web_root" => layer.web_root = Some(Sourced::new(text()?.into(), source)),
        "database" => layer.database = Some(at(text()?)),
        "log_level" => layer.log_level = Some(at(text()?)),
        "status_interval" => layer.status_interval = Some(Sourced::new(whole()?, source)),
        _ => return Err(format!("a setting this version cannot read ({})", info.key)),
    }
    Ok(())
}

/// The apps' tables of the configuration file, as JSON, checked against
/// the apps this build has.
fn app_sections(table: &toml::Table, path: &Path) -> Result<Vec<AppSection>, String> {
    let known: Vec<&str> = crate::apps::builtin().iter().map(|k| k.name).collect();
    let Some(value) = table.get("apps") else {
        return Ok(Vec::new());
    };
    let Some(apps) = value.as_table() else {
        return Err(format!(
            "{}: `apps` must be a table of tables",
            path.display()
        ));
    };
    let mut sections = Vec::new();
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
        sections.push(AppSection {
            name: name.clone(),
            section: json,
        });
    }
    Ok(sections)
}

impl Settings {
    /// The secret shared with the agents: `secret` or `secret_file`,
    /// whichever comes from the higher place (both from the same place is
    /// refused by [`Settings::merge`]).
    pub fn agent_secret(&self) -> Option<Sourced<Secret>> {
        let file = self
            .secret_file
            .as_ref()
            .map(|p| Sourced::new(Secret::File(p.value.clone()), p.source));
        let inline = self
            .secret
            .as_ref()
            .map(|s| Sourced::new(Secret::Inline(s.value.clone()), s.source));
        match (file, inline) {
            (Some(f), Some(i)) if i.source.rank() > f.source.rank() => Some(i),
            (Some(f), _) => Some(f),
            (None, i) => i,
        }
    }

    /// Merges the command line and environment `cli` over the file's
    /// settings over the defaults, and checks the settings that go
    /// together.
    pub fn merge(
        config: Option<Sourced<PathBuf>>,
        cli: Layer,
        file: Option<FileConfig>,
    ) -> Result<Settings, String> {
        let file = file.unwrap_or_default();
        let f = file.layer;
        let or = |given: Option<Sourced<String>>, fallback: &str| {
            given.unwrap_or_else(|| Sourced::new(fallback.to_owned(), Source::Default))
        };
        let settings = Settings {
            config,
            ssid: or(cli.ssid.or(f.ssid), DEFAULT_SSID),
            switch: or(cli.switch.or(f.switch), DEFAULT_SWITCH),
            switch_target_delay_us: cli
                .switch_target_delay_us
                .or(f.switch_target_delay_us)
                .unwrap_or(Sourced::new(
                    DEFAULT_SWITCH_TARGET_DELAY_US,
                    Source::Default,
                )),
            listen: or(cli.listen.or(f.listen), DEFAULT_LISTEN),
            secret_file: cli.secret_file.or(f.secret_file),
            secret: cli.secret.or(f.secret),
            tls_cert: cli.tls_cert.or(f.tls_cert),
            tls_key: cli.tls_key.or(f.tls_key),
            api_listen: cli.api_listen.or(f.api_listen),
            api_tokens: cli.api_tokens.or(f.api_tokens),
            api_insecure_no_auth: cli
                .api_insecure_no_auth
                .or(f.api_insecure_no_auth)
                .unwrap_or(Sourced::new(false, Source::Default)),
            web_root: cli.web_root.or(f.web_root),
            database: or(cli.database.or(f.database), DEFAULT_DATABASE),
            log_level: or(cli.log_level.or(f.log_level), DEFAULT_LOG_LEVEL),
            status_interval: cli
                .status_interval
                .or(f.status_interval)
                .unwrap_or(Sourced::new(DEFAULT_STATUS_INTERVAL, Source::Default)),
            apps: file.apps,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that contradict each other or need another.
    fn check(&self) -> Result<(), String> {
        let from = |key: &str, source: Source| match (source, &self.config) {
            (Source::File { line }, Some(file)) => {
                format!("{key} ({}, line {line})", file.value.display())
            }
            _ => format!("{key} ({})", source.describe(key)),
        };
        if let (Some(file), Some(inline)) = (&self.secret_file, &self.secret) {
            if file.source.rank() == inline.source.rank() {
                return Err(format!(
                    "the secret is given twice, {} and {}: keep one",
                    from("secret_file", file.source),
                    from("secret", inline.source)
                ));
            }
        }
        if !SWITCH_MODES.contains(&self.switch.value.as_str()) {
            return Err(format!(
                "{}: expected {}, found {:?}",
                from("switch", self.switch.source),
                Kind::Choice(SWITCH_MODES).expected(),
                self.switch.value
            ));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), None) => {
                return Err(format!(
                    "{} is set but tls_key is not: TLS needs the certificate and its \
                     private key",
                    from("tls_cert", cert.source)
                ))
            }
            (None, Some(key)) => {
                return Err(format!(
                    "{} is set but tls_cert is not: TLS needs the certificate and its \
                     private key",
                    from("tls_key", key.source)
                ))
            }
            _ => {}
        }
        let insecure = &self.api_insecure_no_auth;
        if self.api_listen.is_none() {
            if let Some(tokens) = &self.api_tokens {
                return Err(format!(
                    "{} is set but api_listen is not: without api_listen (--api-listen, \
                     ODIN_API_LISTEN) there is no REST API to protect",
                    from("api_tokens", tokens.source)
                ));
            }
            if let Some(web_root) = &self.web_root {
                return Err(format!(
                    "{} is set but api_listen is not: the dashboard is served on the REST \
                     API's address (--api-listen, ODIN_API_LISTEN)",
                    from("web_root", web_root.source)
                ));
            }
            if insecure.value {
                return Err(format!(
                    "{} is set but api_listen is not: without api_listen (--api-listen, \
                     ODIN_API_LISTEN) there is no REST API",
                    from("api_insecure_no_auth", insecure.source)
                ));
            }
        }
        if let (Some(tokens), true) = (&self.api_tokens, insecure.value) {
            return Err(format!(
                "{} and {} contradict each other: keep one",
                from("api_tokens", tokens.source),
                from("api_insecure_no_auth", insecure.source)
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log_level.value) {
            return Err(format!(
                "{}: {:?} is not a log filter: {e}",
                from("log_level", self.log_level.source),
                self.log_level.value
            ));
        }
        Ok(())
    }

    /// The value of `key` as `config show` prints it.
    pub fn shown(&self, key: &str) -> Shown {
        let text = |s: &Sourced<String>| Shown::Value(toml_string(&s.value), s.source);
        let path = |p: &Option<Sourced<PathBuf>>| {
            p.as_ref().map_or(Shown::Unset, |p| {
                Shown::Value(toml_string(&p.value.to_string_lossy()), p.source)
            })
        };
        let whole = |n: &Sourced<u64>| Shown::Value(n.value.to_string(), n.source);
        match key {
            "ssid" => text(&self.ssid),
            "switch" => text(&self.switch),
            "switch_target_delay_us" => whole(&self.switch_target_delay_us),
            "listen" => text(&self.listen),
            "secret_file" => path(&self.secret_file),
            "secret" => self
                .secret
                .as_ref()
                .map_or(Shown::Unset, |s| Shown::Hidden(s.source)),
            "tls_cert" => path(&self.tls_cert),
            "tls_key" => path(&self.tls_key),
            "api_listen" => self.api_listen.as_ref().map_or(Shown::Unset, text),
            "api_tokens" => path(&self.api_tokens),
            "api_insecure_no_auth" => Shown::Value(
                self.api_insecure_no_auth.value.to_string(),
                self.api_insecure_no_auth.source,
            ),
            "web_root" => path(&self.web_root),
            "database" => Shown::Value(
                toml_string(&crate::store::redact_url(&self.database.value)),
                self.database.source,
            ),
            "log_level" => text(&self.log_level),
            "status_interval" => whole(&self.status_interval),
            _ => Shown::Unset,
        }
    }

    /// The settings as a TOML configuration file, each value followed by
    /// its source; the secret is never printed, a database password is
    /// masked.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# The configuration odin-controller runs with. After each value, where it\n\
             # comes from: flag, env (the variable), file (the line) or default. The first\n\
             # of these that gives a value wins: flag, environment, file, default.\n",
        );
        match &self.config {
            Some(path) => {
                let _ = writeln!(
                    out,
                    "# Configuration file: {} ({}).",
                    path.value.display(),
                    path.source.describe("config")
                );
            }
            None => out.push_str("# No configuration file (--config, ODIN_CONFIG).\n"),
        }
        out.push_str("\n[controller]\n");
        let mut heading = "";
        for info in SETTINGS {
            if info.heading != heading {
                heading = info.heading;
                let _ = writeln!(out, "\n# {heading}");
            }
            // The one of secret and secret_file that is set but loses.
            let unused = match (info.key, self.agent_secret().map(|s| s.value)) {
                ("secret_file", Some(Secret::Inline(_))) => Some("secret"),
                ("secret", Some(Secret::File(_))) => Some("secret_file"),
                _ => None,
            };
            let (line, note) = match self.shown(info.key) {
                Shown::Value(value, source) => {
                    let mut note = source.describe(info.key);
                    if info.key == "database" && self.database.value.contains('@') {
                        note.push_str("; password hidden");
                    }
                    match unused {
                        Some(winner) => {
                            note.push_str(&format!("; not used: {winner} wins"));
                            (format!("# {} = {value}", info.key), note)
                        }
                        None => (format!("{} = {value}", info.key), note),
                    }
                }
                Shown::Hidden(source) => {
                    let mut note = source.describe(info.key);
                    if let Some(winner) = unused {
                        note.push_str(&format!("; not used: {winner} wins"));
                    }
                    (format!("# {} = (hidden)", info.key), note)
                }
                Shown::Unset => (
                    format!("# {} is not set", info.key),
                    info.when_unset.to_owned(),
                ),
            };
            let _ = writeln!(out, "{line:<44} # {note}");
        }
        out.push_str(
            "\n# Apps: the file's [apps.NAME] tables. A change made at run time through the\n\
             # REST API is kept across restarts until the app's table here is edited.\n",
        );
        if self.apps.is_empty() {
            out.push_str("# (none in the file)\n");
        }
        for app in &self.apps {
            let _ = writeln!(out, "\n[apps.{}]", toml_key(&app.name));
            if let Some(fields) = app.section.as_object() {
                for (key, value) in fields {
                    let _ = writeln!(out, "{} = {}", toml_key(key), json_as_toml(value));
                }
            }
        }
        out
    }
}

/// A setting's value as `config show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// The value as TOML, and its source.
    Value(String, Source),
    /// Set, but a secret: only its source is shown.
    Hidden(Source),
    /// Not set and no default.
    Unset,
}

/// The line and column (from 1) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// "a string", "an integer", ... for messages.
fn a_type(value: &toml::Value) -> String {
    let kind = value.type_str();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

/// How many single-character edits turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `s` as a TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key as TOML: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A float as TOML (which wants a `.` or an exponent, and spells the
/// infinities `inf`).
fn toml_float(f: f64) -> String {
    if f.is_nan() {
        "nan".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{f:?}")
    }
}

/// A TOML value written back as TOML, on one line.
fn toml_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => toml_string(s),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(f) => toml_float(*f),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(table) => {
            let fields: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), toml_value(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}

/// An app's JSON configuration (which came from TOML) written as TOML.
fn json_as_toml(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "\"\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => toml_float(f),
            (None, None) => n.to_string(),
        },
        Value::String(s) => toml_string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_as_toml).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), json_as_toml(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileConfig, String> {
        parse_file(text, Path::new("/etc/odin/controller.toml"))
    }

    #[test]
    fn a_file_sets_every_kind_of_value() {
        let file = parse(
            "[controller]\nssid = \"lab\"\nstatus_interval = 0\n\
             api_insecure_no_auth = true\napi_listen = \"127.0.0.1:1\"\n\
             [apps.rescue]\nthreshold_dbm = -72.0\n",
        )
        .unwrap();
        assert_eq!(
            file.layer.ssid,
            Some(Sourced::new("lab".to_owned(), Source::File { line: 2 }))
        );
        assert_eq!(file.layer.status_interval.unwrap().value, 0);
        assert!(file.layer.api_insecure_no_auth.unwrap().value);
        assert_eq!(file.apps.len(), 1);
        assert_eq!(file.apps[0].section["threshold_dbm"], -72.0);
    }

    #[test]
    fn unknown_keys_and_wrong_types_say_where_and_what() {
        let e = parse("[controller]\nssid = \"x\"\nlisten_addr = \"1\"\n").unwrap_err();
        assert!(
            e.contains("/etc/odin/controller.toml, line 3, column 1"),
            "{e}"
        );
        assert!(e.contains("unknown key controller.listen_addr"), "{e}");
        let e = parse("[controller]\nlisen = \"1\"\n").unwrap_err();
        assert!(e.contains("did you mean listen?"), "{e}");
        let e = parse("[controller]\n\nlisten = 6777\n").unwrap_err();
        assert!(e.contains("line 3, column 1: controller.listen"), "{e}");
        assert!(e.contains("expected a string"), "{e}");
        assert!(e.contains("found an integer: 6777"), "{e}");
        let e = parse("[controller]\nssid = { name = \"x\" }\n").unwrap_err();
        assert!(e.contains("controller.ssid: expected a string"), "{e}");
        assert!(e.contains("found a table: { name = \"x\" }"), "{e}");
        let e = parse("[controller]\nstatus_interval = -1\n").unwrap_err();
        assert!(e.contains("a whole number of seconds, 0 or more"), "{e}");
        let e = parse("[controller]\nswitch = \"fast\"\n").unwrap_err();
        assert!(e.contains("one of \"together\", \"sequential\""), "{e}");
        let e = parse("[controller]\nsecret = 12345\n").unwrap_err();
        assert!(!e.contains("12345"), "a secret is never echoed: {e}");
        let e = parse("controler = 1\n").unwrap_err();
        assert!(e.contains("unknown section [controler]"), "{e}");
        let e = parse("controller = 1\n").unwrap_err();
        assert!(e.contains("must be a table"), "{e}");
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_file_over_defaults() {
        let file = parse("[controller]\nssid = \"file\"\nlisten = \"1.2.3.4:5\"\n").unwrap();
        let cli = Layer {
            ssid: Some(Sourced::new("env".to_owned(), Source::Env("ODIN_SSID"))),
            ..Layer::default()
        };
        let s = Settings::merge(None, cli, Some(file)).unwrap();
        assert_eq!(s.ssid.value, "env");
        assert_eq!(s.listen.value, "1.2.3.4:5");
        assert_eq!(s.listen.source, Source::File { line: 3 });
        assert_eq!(s.database.source, Source::Default);
    }

    #[test]
    fn the_secret_comes_from_the_highest_place() {
        let file = parse("[controller]\nsecret_file = \"/f\"\n").unwrap();
        let cli = Layer {
            secret: Some(Sourced::new(
                SecretText("s3cr3t".into()),
                Source::Env("ODIN_SECRET"),
            )),
            ..Layer::default()
        };
        let s = Settings::merge(None, cli.clone(), Some(file.clone())).unwrap();
        assert_eq!(
            s.agent_secret().map(|s| s.value),
            Some(Secret::Inline(SecretText("s3cr3t".into())))
        );
        let shown = s.to_toml();
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("# secret_file = \"/f\""), "{shown}");
        assert!(shown.contains("not used: secret wins"), "{shown}");
        let flag = Layer {
            secret_file: Some(Sourced::new("/g".into(), Source::Flag)),
            ..cli.clone()
        };
        let s = Settings::merge(None, flag, Some(file)).unwrap();
        assert_eq!(
            s.agent_secret().map(|s| s.value),
            Some(Secret::File("/g".into()))
        );
        let both = Layer {
            secret_file: Some(Sourced::new("/g".into(), Source::Env("ODIN_SECRET_FILE"))),
            ..cli
        };
        let e = Settings::merge(None, both, None).unwrap_err();
        assert!(e.contains("the secret is given twice"), "{e}");
    }

    #[test]
    fn the_dashboard_directory_from_each_place() {
        let file = parse(
            "[controller]\napi_listen = \"127.0.0.1:1\"\napi_insecure_no_auth = true\n\
             web_root = \"/srv/odin/web\"\n",
        )
        .unwrap();
        let s = Settings::merge(None, Layer::default(), Some(file.clone())).unwrap();
        assert_eq!(
            s.web_root,
            Some(Sourced::new(
                "/srv/odin/web".into(),
                Source::File { line: 4 }
            ))
        );
        assert!(
            s.to_toml().contains("web_root = \"/srv/odin/web\""),
            "{}",
            s.to_toml()
        );
        let env = Layer {
            web_root: Some(Sourced::new(
                "web/dist".into(),
                Source::Env("ODIN_WEB_ROOT"),
            )),
            ..Layer::default()
        };
        let s = Settings::merge(None, env.clone(), Some(file.clone())).unwrap();
        assert_eq!(s.web_root.map(|w| w.value), Some("web/dist".into()));
        let flag = Layer {
            web_root: Some(Sourced::new("/flag".into(), Source::Flag)),
            ..env
        };
        let s = Settings::merge(None, flag, Some(file)).unwrap();
        assert_eq!(s.web_root.unwrap().source, Source::Flag);
        let s = Settings::merge(None, Layer::default(), None).unwrap();
        assert_eq!(s.web_root, None);
        assert!(
            s.to_toml().contains("# web_root is not set"),
            "{}",
            s.to_toml()
        );
        // Without the API there is nothing to serve it on.
        let e = parse("[controller]\nweb_root = \"/srv\"\n")
            .and_then(|f| Settings::merge(None, Layer::default(), Some(f)))
            .unwrap_err();
        assert!(
            e.contains("web_root") && e.contains("api_listen is not"),
            "{e}"
        );
        let e = parse("[controller]\nweb_root = 1\n").unwrap_err();
        assert!(e.contains("controller.web_root: expected a string"), "{e}");
    }

    #[test]
    fn toml_output_escapes() {
        assert_eq!(toml_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(toml_key("a b"), r#""a b""#);
        assert_eq!(toml_float(-72.0), "-72.0");
        assert_eq!(edit_distance("lisen", "listen"), 1);
    }
}
