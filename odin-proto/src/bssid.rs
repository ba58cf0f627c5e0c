//! Where a client's BSSID comes from.
//!
//! The controller gives every client a BSSID of its own, for good. Its
//! first choice is *derived* from the client's address: the network's
//! three-octet prefix and three octets of HMAC-SHA256 over the client's
//! address, keyed with a network key. The controller tells its agents the
//! plan ([`crate::msg::ControllerMsg::Network`]), so an agent that hears a
//! new client's first probe request knows the BSSID the client will get
//! and answers at once, from its monitor interface, while the controller
//! places the LVAP. A client therefore finds the network in its first scan
//! instead of its next one (wpa_supplicant scans again only after 5 s).
//!
//! Two clients whose derived BSSIDs collide (about one pair in 2^24 / n
//! for n clients) cannot both have it: the controller gives the later one
//! a sequential BSSID, and that client's first probes are answered with a
//! BSSID it will not get (it authenticates in vain and finds its real
//! BSSID in its next scan). The key keeps collisions from being chosen by
//! an attacker who picks client addresses.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::MacAddr;

type HmacSha256 = Hmac<Sha256>;

/// The derivation: a prefix (locally administered, unicast) and a key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPlan", into = "RawPlan")]
pub struct BssidPlan {
    prefix: [u8; 3],
    key: [u8; 16],
}

impl core::fmt::Debug for BssidPlan {
    // The key stays out of logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [a, b, c] = self.prefix;
        write!(f, "BssidPlan({a:02x}:{b:02x}:{c:02x}:..)")
    }
}

impl BssidPlan {
    /// A plan; `None` when the prefix's first octet is not a locally
    /// administered unicast one.
    pub fn new(prefix: [u8; 3], key: [u8; 16]) -> Option<BssidPlan> {
        (prefix[0] & 0x03 == 0x02).then_some(BssidPlan { prefix, key })
    }

    /// A plan whose key is derived from the secret the controller shares
    /// with its agents, so that it survives a controller restart without
    /// being stored.
    pub fn from_secret(prefix: [u8; 3], secret: &[u8]) -> Option<BssidPlan> {
        BssidPlan::new(prefix, BssidPlan::key_from_secret(secret))
    }

    /// The key [`BssidPlan::from_secret`] uses: HMAC-SHA256 of a fixed
    /// label under the secret, 16 bytes of it.
    pub fn key_from_secret(secret: &[u8]) -> [u8; 16] {
        let digest = hmac(secret, b"odin bssid key v1");
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }

    /// The prefix.
    pub fn prefix(&self) -> [u8; 3] {
        self.prefix
    }

    /// The BSSID derived for `client`.
    pub fn derive(&self, client: MacAddr) -> MacAddr {
        let digest = hmac(&self.key, &client.0);
        let [a, b, c] = self.prefix;
        MacAddr([a, b, c, digest[0], digest[1], digest[2]])
    }

    /// Whether `bssid` has this plan's prefix.
    pub fn has_prefix(&self, bssid: MacAddr) -> bool {
        bssid.0[..3] == self.prefix
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else {
        unreachable!("HMAC takes any key length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The plan on the wire: `"06:0d:1e"` and the key in hex.
#[derive(Serialize, Deserialize)]
struct RawPlan {
    prefix: String,
    key: String,
}

impl From<BssidPlan> for RawPlan {
    fn from(p: BssidPlan) -> RawPlan {
        let [a, b, c] = p.prefix;
        RawPlan {
            prefix: format!("{a:02x}:{b:02x}:{c:02x}"),
            key: hex::encode(p.key),
        }
    }
}

impl TryFrom<RawPlan> for BssidPlan {
    type Error = String;

    fn try_from(raw: RawPlan) -> Result<BssidPlan, String> {
        let octets: Vec<u8> = raw
            .prefix
            .split(':')
            .map(|o| u8::from_str_radix(o, 16).map_err(|_| ()))
            .collect::<Result<_, ()>>()
            .map_err(|()| format!("bad BSSID prefix {:?}", raw.prefix))?;
        let prefix: [u8; 3] = octets
            .try_into()
            .map_err(|_| format!("BSSID prefix {:?} is not three octets", raw.prefix))?;
        let key: [u8; 16] = hex::decode(&raw.key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or("the BSSID key is not 16 bytes of hex")?;
        BssidPlan::new(prefix, key).ok_or_else(|| {
            format!(
                "BSSID prefix {:?} is not locally administered unicast",
                raw.prefix
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: [u8; 3] = [0x06, 0x0d, 0x1e];

    #[test]
    fn derivation_is_stable_and_keyed() {
        let plan = BssidPlan::new(PREFIX, [7; 16]).expect("valid");
        let client = MacAddr([0x02, 0, 0, 0, 0x02, 0]);
        let b = plan.derive(client);
        assert_eq!(b, plan.derive(client));
        assert!(plan.has_prefix(b));
        assert!(b.is_unicast());
        // Another key, another BSSID; another client, another BSSID.
        let other = BssidPlan::new(PREFIX, [8; 16]).expect("valid");
        assert_ne!(other.derive(client), b);
        assert_ne!(plan.derive(MacAddr([0x02, 0, 0, 0, 0x03, 0])), b);
        // Pinned: HMAC-SHA256(key = 16 x 0x07, 02:00:00:00:02:00), first
        // three octets, as Python's hmac module computes them.
        assert_eq!(b, MacAddr([0x06, 0x0d, 0x1e, 0x26, 0x5b, 0x2e]));
    }

    #[test]
    fn from_secret_is_stable() {
        let a = BssidPlan::from_secret(PREFIX, b"s3cret").expect("valid");
        assert_eq!(a, BssidPlan::from_secret(PREFIX, b"s3cret").expect("valid"));
        assert_ne!(a, BssidPlan::from_secret(PREFIX, b"other").expect("valid"));
    }

    #[test]
    fn refuses_global_or_group_prefixes() {
        assert!(BssidPlan::new([0x00, 1, 2], [0; 16]).is_none());
        assert!(BssidPlan::new([0x03, 1, 2], [0; 16]).is_none());
    }

    #[test]
    fn wire_form_round_trips_and_bad_ones_are_refused() {
        let plan = BssidPlan::new(PREFIX, [0xab; 16]).expect("valid");
        let json = serde_json::to_string(&plan).expect("serializes");
        assert_eq!(
            json,
            r#"{"prefix":"06:0d:1e","key":"abababababababababababababababab"}"#
        );
        assert_eq!(serde_json::from_str::<BssidPlan>(&json).ok(), Some(plan));
        for bad in [
            r#"{"prefix":"00:0d:1e","key":"abababababababababababababababab"}"#,
            r#"{"prefix":"06:0d","key":"abababababababababababababababab"}"#,
            r#"{"prefix":"06:0d:zz","key":"abababababababababababababababab"}"#,
            r#"{"prefix":"06:0d:1e","key":"abab"}"#,
            r#"{"prefix":"06:0d:1e","key":"not hex at all, not hex at all!!"}"#,
        ] {
            assert!(serde_json::from_str::<BssidPlan>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let plan = BssidPlan::new(PREFIX, [0xab; 16]).expect("valid");
        assert_eq!(format!("{plan:?}"), "BssidPlan(06:0d:1e:..)");
    }
}
