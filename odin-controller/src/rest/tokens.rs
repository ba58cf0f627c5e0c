//! API tokens: bearer tokens whose SHA-256 hashes (never the tokens) are
//! kept in a file, compared in constant time.
//!
//! # The file
//!
//! One token per line, `sha256:<64 hex digits>` and the token's name;
//! blank lines and lines starting with `#` are ignored:
//!
//! ```text
//! # odin-controller API tokens
//! sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 dashboard
//! sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 hwsim
//! ```
//!
//! `odin-controller token create --file PATH [--name NAME]` makes a fresh
//! random token (`odin_` and 64 hex digits: 256 bits from the operating
//! system's random source), prints it once and appends its hash;
//! `token revoke --file PATH NAME` removes it; `token list --file PATH`
//! lists the names. A name is 1-64 printable ASCII characters without
//! spaces. The file is created readable by its owner only and rewritten
//! atomically (a new file renamed over the old one) by `revoke`.
//!
//! # Reloading
//!
//! [`ApiTokens::from_file`] reads the file at once (a malformed file is an
//! error: the daemon refuses to start) and again whenever it changes, so
//! a revocation takes effect at the next request, without a restart. If a
//! changed file cannot be read or parsed, every request is refused (the
//! error is logged) until it can: a broken file never leaves a revoked
//! token valid.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// The prefix of a hash in the file.
const HASH_PREFIX: &str = "sha256:";

/// The prefix of every token this module makes (so that a leaked one is
/// recognisable by secret scanners).
pub const TOKEN_PREFIX: &str = "odin_";

/// The first lines of a new tokens file.
const HEADER: &str = "# odin-controller API tokens: one `sha256:<hex> NAME` line per token.\n\
# Manage with `odin-controller token create|revoke|list --file PATH`.\n";

/// The SHA-256 hash of a token, as kept in the file.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh random token: `odin_` and 64 hex digits.
pub fn generate_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Whether `name` can name a token: 1-64 printable ASCII characters, no
/// spaces, not starting with `#`.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_graphic())
        && !name.starts_with('#')
}

/// One token of a file: its name (hand-written lines may have none) and
/// its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenEntry {
    /// Its name.
    pub name: Option<String>,
    /// SHA-256 of the token.
    pub hash: [u8; 32],
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field("name", &self.name)
            .field(
                "hash",
                &format_args!("{HASH_PREFIX}{}", hex::encode(self.hash)),
            )
            .finish()
    }
}

/// What went wrong with a tokens file.
#[derive(Debug)]
pub enum TokenFileError {
    /// Reading or writing it failed.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A line is not `sha256:<64 hex digits> [NAME]`.
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// Why.
        why: String,
    },
    /// Two lines have the same name.
    DuplicateName {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
    },
    /// `create`: the name is taken.
    NameTaken(String),
    /// `create`: the name is not 1-64 printable characters without spaces.
    BadName(String),
    /// `revoke`: no token has that name.
    NoSuchName(String),
}

impl fmt::Display for TokenFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenFileError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            TokenFileError::Malformed { path, line, why } => {
                write!(f, "{}, line {line}: {why}", path.display())
            }
            TokenFileError::DuplicateName { path, name } => {
                write!(f, "{}: two tokens are named {name:?}", path.display())
            }
            TokenFileError::NameTaken(name) => write!(f, "a token named {name:?} exists already"),
            TokenFileError::BadName(name) => write!(
                f,
                "{name:?} cannot name a token (1-64 printable characters, no spaces, not starting with #)"
            ),
            TokenFileError::NoSuchName(name) => write!(f, "no token is named {name:?}"),
        }
    }
}

impl std::error::Error for TokenFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TokenFileError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

fn io_error(path: &Path, error: std::io::Error) -> TokenFileError {
    TokenFileError::Io {
        path: path.to_owned(),
        error,
    }
}

/// Parses one line: `None` for a blank line or a comment.
fn parse_line(line: &str) -> Result<Option<TokenEntry>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split_whitespace();
    let hash = fields.next().unwrap_or_default();
    let name = fields.next();
    if fields.next().is_some() {
        return Err("expected `sha256:<64 hex digits> NAME`, found more fields".into());
    }
    let Some(hex_digits) = hash.strip_prefix(HASH_PREFIX) else {
        return Err(format!(
            "expected `sha256:<64 hex digits> NAME`, found {:?}",
            hash.chars().take(80).collect::<String>()
        ));
    };
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut bytes)
        .map_err(|_| "the hash is not 64 hex digits".to_string())?;
    if let Some(name) = name {
        if !valid_name(name) {
            return Err(format!("{name:?} cannot name a token"));
        }
    }
    Ok(Some(TokenEntry {
        name: name.map(str::to_owned),
        hash: bytes,
    }))
}

/// Parses a tokens file's text (`path` names it in errors).
pub fn parse_tokens(path: &Path, text: &str) -> Result<Vec<TokenEntry>, TokenFileError> {
    let mut entries: Vec<TokenEntry> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let entry = parse_line(line).map_err(|why| TokenFileError::Malformed {
            path: path.to_owned(),
            line: n + 1,
            why,
        })?;
        let Some(entry) = entry else { continue };
        if let Some(name) = &entry.name {
            if entries.iter().any(|e| e.name.as_ref() == Some(name)) {
                return Err(TokenFileError::DuplicateName {
                    path: path.to_owned(),
                    name: name.clone(),
                });
            }
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Reads and parses a tokens file.
pub fn read_tokens(path: &Path) -> Result<Vec<TokenEntry>, TokenFileError> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    parse_tokens(path, &text)
}

/// A token just made: shown once, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedToken {
    /// Its name.
    pub name: String,
    /// The token itself.
    pub token: String,
}

impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Opens a file for writing, created readable and writable by its owner
/// only.
fn open_private(path: &Path, append: bool) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    if append {
        options.append(true).create(true);
    } else {
        options.write(true).create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes a fresh token named `name` (default: the first free `token-N`),
/// appends its hash to the file (created if absent) and returns it.
pub fn create_token(path: &Path, name: Option<&str>) -> Result<CreatedToken, TokenFileError> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(path, e)),
    };
    let entries = match &existing {
        Some(text) => parse_tokens(path, text)?,
        None => Vec::new(),
    };
    let taken = |n: &str| entries.iter().any(|e| e.name.as_deref() == Some(n));
    let name = match name {
        Some(name) if !valid_name(name) => return Err(TokenFileError::BadName(name.into())),
        Some(name) if taken(name) => return Err(TokenFileError::NameTaken(name.into())),
        Some(name) => name.to_owned(),
        None => (1..)
            .map(|n| format!("token-{n}"))
            .find(|n| !taken(n))
            .unwrap_or_default(),
    };
    let token = generate_token();
    let mut text = String::new();
    match &existing {
        None => text.push_str(HEADER),
        Some(old) if !old.is_empty() && !old.ends_with('\n') => text.push('\n'),
        Some(_) => {}
    }
    text.push_str(&format!(
        "{HASH_PREFIX}{} {name}\n",
        hex::encode(hash_token(&token))
    ));
    let mut file = open_private(path, true).map_err(|e| io_error(path, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(path, e))?;
    Ok(CreatedToken { name, token })
}

/// Removes the token named `name` from the file (rewritten atomically,
/// comments kept).
pub fn revoke_token(path: &Path, name: &str) -> Result<(), TokenFileError> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    parse_tokens(path, &text)?;
    let mut kept = String::with_capacity(text.len());
    let mut found = false;
    for line in text.lines() {
        // The file parsed, so every line does.
        let is_it = matches!(parse_line(line), Ok(Some(e)) if e.name.as_deref() == Some(name));
        if is_it {
            found = true;
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if !found {
        return Err(TokenFileError::NoSuchName(name.into()));
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = open_private(&tmp, false).and_then(|mut file| {
        file.write_all(kept.as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(io_error(path, e));
    }
    Ok(())
}

/// How a request's credentials fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A known token (its name, when it has one), or authentication is
    /// off.
    Accepted(Option<String>),
    /// No token was presented.
    Missing,
    /// The token is not one of ours (or the tokens file is broken).
    Invalid,
}

/// What identifies a version of the tokens file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(meta),
        }
    }
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    stamp: Option<Stamp>,
    /// The tokens, or why the file is unusable (every request refused).
    entries: Result<Vec<TokenEntry>, String>,
}

#[derive(Debug)]
enum Mode {
    /// Every request is accepted.
    Off,
    /// A fixed set.
    Fixed(Vec<TokenEntry>),
    /// A file, reloaded when it changes.
    File(Mutex<Watched>),
}

/// The tokens the API accepts (their hashes). Cheap to clone.
#[derive(Debug, Clone)]
pub struct ApiTokens {
    mode: Arc<Mode>,
}

impl ApiTokens {
    /// The tokens of a file, read now (an error if it cannot be read or
    /// parsed) and again whenever it changes.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<ApiTokens, TokenFileError> {
        let path = path.into();
        let meta = fs::metadata(&path).map_err(|e| io_error(&path, e))?;
        let entries = read_tokens(&path)?;
        if entries.is_empty() {
            tracing::warn!(path = %path.display(), "the API tokens file holds no token: every request will be refused");
        }
        Ok(ApiTokens {
            mode: Arc::new(Mode::File(Mutex::new(Watched {
                path,
                stamp: Some(Stamp::of(&meta)),
                entries: Ok(entries),
            }))),
        })
    }

    /// A fixed set of tokens (hashed here; the tokens are not kept).
    pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> ApiTokens {
        let entries = tokens
            .into_iter()
            .map(|t| TokenEntry {
                name: None,
                hash: hash_token(t),
            })
            .collect();
        ApiTokens {
            mode: Arc::new(Mode::Fixed(entries)),
        }
    }

    /// No authentication at all: every request is accepted. For tests and
    /// demos on loopback only (`--api-insecure-no-auth`): anyone who can
    /// reach the port can move and disconnect clients.
    pub fn insecure_no_auth() -> ApiTokens {
        ApiTokens {
            mode: Arc::new(Mode::Off),
        }
    }

    /// Whether requests must present a token.
    pub fn enforced(&self) -> bool {
        !matches!(*self.mode, Mode::Off)
    }

    /// Checks a presented token (`None`: none was presented). Touches the
    /// file system (a `stat`, and a read when the file changed) when the
    /// tokens come from a file.
    pub fn check(&self, presented: Option<&str>) -> Verdict {
        match &*self.mode {
            Mode::Off => Verdict::Accepted(None),
            Mode::Fixed(entries) => verdict(entries, presented),
            Mode::File(watched) => {
                let mut watched = match watched.lock() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                watched.refresh();
                match &watched.entries {
                    Ok(entries) => verdict(entries, presented),
                    Err(_) if presented.is_none() => Verdict::Missing,
                    Err(_) => Verdict::Invalid,
                }
            }
        }
    }
}

impl Watched {
    /// Reloads the file if it changed.
    fn refresh(&mut self) {
        let stamp = fs::metadata(&self.path).map(|m| Stamp::of(&m));
        let changed = match &stamp {
            Ok(s) => self.stamp != Some(*s),
            Err(_) => self.stamp.is_some() || self.entries.is_ok(),
        };
        if !changed {
            return;
        }
        self.stamp = stamp.as_ref().ok().copied();
        let loaded = match stamp {
            Ok(_) => read_tokens(&self.path).map_err(|e| e.to_string()),
            Err(e) => Err(io_error(&self.path, e).to_string()),
        };
        match &loaded {
            Ok(entries) => tracing::info!(
                path = %self.path.display(),
                tokens = entries.len(),
                "API tokens reloaded"
            ),
            Err(why) => tracing::error!(
                "API tokens file unusable, refusing every request until it is fixed: {why}"
            ),
        }
        self.entries = loaded;
    }
}

/// Compares the presented token's hash with every entry, in constant time
/// (no early exit; the comparison of each hash is constant-time).
fn verdict(entries: &[TokenEntry], presented: Option<&str>) -> Verdict {
    let Some(token) = presented else {
        return Verdict::Missing;
    };
    let hash = hash_token(token);
    let mut found = subtle::Choice::from(0);
    let mut index = 0u64;
    for (i, entry) in entries.iter().enumerate() {
        let same = entry.hash.ct_eq(&hash);
        index.conditional_assign(&(i as u64), same);
        found |= same;
    }
    if bool::from(found) {
        let name = usize::try_from(index)
            .ok()
            .and_then(|i| entries.get(i))
            .and_then(|e| e.name.clone());
        Verdict::Accepted(name)
    } else {
        Verdict::Invalid
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn lines_parse_and_refuse() {
        let p = Path::new("t");
        let hash = hex::encode(hash_token("x"));
        let text = format!("# c\n\n  sha256:{hash} ci \nsha256:{}\n", "ab".repeat(32));
        let entries = parse_tokens(p, &text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name.as_deref(), Some("ci"));
        assert_eq!(entries[1].name, None);
        for (bad, what) in [
            ("plain-token ci", "expected"),
            ("sha256:abc ci", "64 hex"),
            (&format!("sha256:{hash} a b"), "more fields"),
        ] {
            let e = parse_tokens(p, &format!("# first\n{bad}\n")).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("line 2") && text.contains(what), "{text}");
        }
        let dup = format!("sha256:{hash} a\nsha256:{hash} a\n");
        assert!(matches!(
            parse_tokens(p, &dup),
            Err(TokenFileError::DuplicateName { .. })
        ));
    }

    #[test]
    fn verdicts() {
        let tokens = ApiTokens::from_tokens(["one", "two"]);
        assert_eq!(tokens.check(Some("two")), Verdict::Accepted(None));
        assert_eq!(tokens.check(Some("three")), Verdict::Invalid);
        assert_eq!(tokens.check(None), Verdict::Missing);
        assert!(tokens.enforced());
        let off = ApiTokens::insecure_no_auth();
        assert_eq!(off.check(None), Verdict::Accepted(None));
        assert!(!off.enforced());
        assert!(generate_token().starts_with(TOKEN_PREFIX));
        assert_eq!(generate_token().len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(generate_token(), generate_token());
    }
}
