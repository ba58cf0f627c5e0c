//! Proof of the shared secret, both ways, without putting it on the wire.
//!
//! 1. The controller opens with `Challenge { nonce: Nc }`, Nc fresh and
//!    random for every connection.
//! 2. The agent answers `Auth { agent: A, nonce: Na, proof }` with
//!    `proof = HMAC-SHA256(secret, "odin agent v1" | Nc | Na | A)`.
//! 3. The controller checks the proof (in constant time) and answers
//!    `Welcome { proof: HMAC-SHA256(secret, "odin controller v1" | Nc | Na | A) }`,
//!    which the agent checks in turn, so an agent never obeys a controller
//!    that does not know the secret either.
//!
//! A recorded `Auth` is worthless on another connection: its proof covers
//! the controller's nonce of that connection only. Nothing but the
//! challenge is accepted before step 3.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Length of a nonce in bytes.
pub const NONCE_LEN: usize = 32;

/// A random value used once.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Nonce(pub [u8; NONCE_LEN]);

impl core::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Nonce({})", self.to_hex())
    }
}

impl Nonce {
    /// A fresh nonce from the operating system's random source.
    pub fn random() -> Nonce {
        Nonce(rand::random())
    }

    /// Lower-case hex, as on the wire.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads the wire form; `None` unless exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Nonce> {
        let mut out = [0u8; NONCE_LEN];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Nonce(out))
    }
}

/// Which side a proof is from (domain separation: an agent's proof can
/// never pass as a controller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The agent's answer to the challenge.
    Agent,
    /// The controller's welcome.
    Controller,
}

impl Role {
    fn label(self) -> &'static [u8] {
        match self {
            Role::Agent => b"odin agent v1",
            Role::Controller => b"odin controller v1",
        }
    }
}

fn mac(
    secret: &[u8],
    role: Role,
    controller_nonce: &Nonce,
    agent_nonce: &Nonce,
    agent: &str,
) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(role.label());
    mac.update(&controller_nonce.0);
    mac.update(&agent_nonce.0);
    mac.update(agent.as_bytes());
    mac
}

/// The proof, hex encoded.
pub fn prove(
    secret: &[u8],
    role: Role,
    controller_nonce: &Nonce,
    agent_nonce: &Nonce,
    agent: &str,
) -> String {
    hex::encode(
        mac(secret, role, controller_nonce, agent_nonce, agent)
            .finalize()
            .into_bytes(),
    )
}

/// Checks a hex proof in constant time.
pub fn verify(
    secret: &[u8],
    role: Role,
    controller_nonce: &Nonce,
    agent_nonce: &Nonce,
    agent: &str,
    proof: &str,
) -> bool {
    let Ok(bytes) = hex::decode(proof) else {
        return false;
    };
    mac(secret, role, controller_nonce, agent_nonce, agent)
        .verify_slice(&bytes)
        .is_ok()
}

/// The shared secret as the daemons take it: the contents of `file`, or
/// `inline` (a flag or the environment), trailing newlines removed; an
/// error in words when neither is given, the file cannot be read, or the
/// secret is empty.
pub fn load_secret(
    file: Option<&std::path::Path>,
    inline: Option<&str>,
) -> Result<Vec<u8>, String> {
    let secret = match (file, inline) {
        (Some(path), _) => std::fs::read(path)
            .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))?,
        (None, Some(s)) => s.as_bytes().to_vec(),
        (None, None) => return Err("no secret: give --secret-file, --secret or ODIN_SECRET".into()),
    };
    let end = secret
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    if end == 0 {
        return Err("the secret is empty".into());
    }
    Ok(secret[..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_verify_only_with_everything_right() {
        let (nc, na) = (Nonce([1; 32]), Nonce([2; 32]));
        let proof = prove(b"s3cret", Role::Agent, &nc, &na, "ap-1");
        assert!(verify(b"s3cret", Role::Agent, &nc, &na, "ap-1", &proof));
        assert!(!verify(b"wrong", Role::Agent, &nc, &na, "ap-1", &proof));
        assert!(!verify(
            b"s3cret",
            Role::Controller,
            &nc,
            &na,
            "ap-1",
            &proof
        ));
        assert!(
            !verify(b"s3cret", Role::Agent, &Nonce([3; 32]), &na, "ap-1", &proof),
            "replayed on another challenge"
        );
        assert!(!verify(b"s3cret", Role::Agent, &nc, &na, "ap-2", &proof));
        assert!(!verify(b"s3cret", Role::Agent, &nc, &na, "ap-1", "zz"));
        assert!(!verify(
            b"s3cret",
            Role::Agent,
            &nc,
            &na,
            "ap-1",
            &proof[..62]
        ));
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(key "key", "odin agent v1" | 32 x 00 | 32 x ff | "a"),
        // computed independently with Python's hmac module.
        let proof = prove(
            b"key",
            Role::Agent,
            &Nonce([0; 32]),
            &Nonce([0xff; 32]),
            "a",
        );
        assert_eq!(proof.len(), 64);
        assert_eq!(proof, KNOWN);
    }

    const KNOWN: &str = "e6beaa0e5fd787fb8cc76b3c31fbaa62d068a8b78e57ef6adab16c618079b8d0";

    #[test]
    fn nonces_are_fresh_and_hex_round_trips() {
        let a = Nonce::random();
        assert_ne!(a, Nonce::random());
        assert_eq!(Nonce::from_hex(&a.to_hex()), Some(a));
        assert_eq!(Nonce::from_hex("00"), None);
        assert_eq!(Nonce::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn secrets_lose_trailing_newlines_and_must_not_be_empty() {
        assert_eq!(
            load_secret(None, Some("s3cret\r\n")),
            Ok(b"s3cret".to_vec())
        );
        assert_eq!(
            load_secret(None, Some("\n\n")),
            Err("the secret is empty".into())
        );
        assert!(load_secret(None, None).is_err_and(|e| e.starts_with("no secret")));
        let missing = std::path::Path::new("/nonexistent/odin-secret");
        assert!(load_secret(Some(missing), Some("ignored"))
            .is_err_and(|e| e.contains("cannot read the secret file /nonexistent/odin-secret")));
    }
}
