//! The registry: agents and their radios, clients, LVAPs and BSSIDs.

use std::collections::BTreeMap;

use odin_proto::msg::{ClientStats, RadioIndex, RadioInfo, RadioStats};
use odin_proto::{BssidPlan, MacAddr, StationState};

use super::api::{BssidPrefix, DownReason, HandoffId, RadioRef, SessionId};
use super::time::Instant;

/// An agent the controller has seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Its identity.
    pub name: String,
    /// Its current connection, if any.
    pub session: Option<SessionId>,
    /// True once the current connection said hello.
    pub up: bool,
    /// Its software, from its last hello.
    pub software: String,
    /// Its radios, from its last hello.
    pub radios: BTreeMap<RadioIndex, Radio>,
    /// When any message was last received from it.
    pub last_heard: Option<Instant>,
    /// Why it went down the last time.
    pub last_down: Option<DownReason>,
    /// How long it takes to answer a command, in microseconds: the
    /// largest recent round trip, decaying by an eighth per answer (the
    /// lead of a migration's switch moment).
    pub round_trip_us: u64,
}

/// A radio of an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Radio {
    /// What the agent announced (the channel follows channel changes and
    /// statistics).
    pub info: RadioInfo,
    /// Its latest statistics, and when they came.
    pub stats: Option<(RadioStats, Instant)>,
}

/// A signal report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// Signal, dBm.
    pub signal_dbm: i8,
    /// When.
    pub at: Instant,
}

/// A client (a station MAC address) the controller has heard of.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// Its address.
    pub mac: MacAddr,
    /// Its BSSID, given at its first placement and kept for good.
    pub bssid: Option<MacAddr>,
    /// The last signal each radio reported for it.
    pub signals: BTreeMap<RadioRef, Heard>,
    /// Its latest station state (from `Authorized` events, exports and
    /// reconciliation), cleared when it leaves.
    pub station: Option<StationState>,
    /// Its LVAP, when one is placed (or being placed).
    pub lvap: Option<Lvap>,
    /// The latest statistics each radio reported for it.
    pub stats: BTreeMap<RadioRef, (ClientStats, Instant)>,
}

impl Client {
    pub(crate) fn new(mac: MacAddr) -> Client {
        Client {
            mac,
            bssid: None,
            signals: BTreeMap::new(),
            station: None,
            lvap: None,
            stats: BTreeMap::new(),
        }
    }
}

/// Where a client's LVAP is and what is happening to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lvap {
    /// The agent and radio that host it (for a migration: the source until
    /// the source removed it, the target afterwards).
    pub at: RadioRef,
    /// Its state.
    pub state: LvapState,
}

/// The state of an LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LvapState {
    /// `AddLvap` sent, not yet acknowledged (or authorization pending for
    /// a re-served client).
    Placing,
    /// Hosted.
    Active,
    /// A handoff is moving it.
    Migrating(HandoffId),
}

/// BSSIDs given to clients, never the same BSSID for two clients: the
/// BSSID derived from the client's address (see [`odin_proto::bssid`]),
/// which the agents can compute too, or, when another client has that one,
/// the prefix and the next free sequential suffix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BssidAllocator {
    prefix: BssidPrefix,
    plan: BssidPlan,
    next: u32,
    owners: BTreeMap<MacAddr, MacAddr>,
}

/// Suffixes are 24 bits.
const SUFFIXES: u32 = 1 << 24;

impl BssidAllocator {
    pub(crate) fn new(prefix: BssidPrefix, key: [u8; 16]) -> BssidAllocator {
        let Some(plan) = BssidPlan::new(prefix.octets(), key) else {
            unreachable!("a BssidPrefix is locally administered unicast")
        };
        BssidAllocator {
            prefix,
            plan,
            next: 1,
            owners: BTreeMap::new(),
        }
    }

    /// How BSSIDs are derived, for the agents.
    pub(crate) fn plan(&self) -> &BssidPlan {
        &self.plan
    }

    /// A free BSSID for `client`: its derived one, else the next free one
    /// of the prefix; `None` when all 2^24 are taken.
    pub(crate) fn allocate(&mut self, client: MacAddr) -> Option<MacAddr> {
        let derived = self.plan.derive(client);
        if let std::collections::btree_map::Entry::Vacant(e) = self.owners.entry(derived) {
            e.insert(client);
            return Some(derived);
        }
        for _ in 0..SUFFIXES {
            let suffix = self.next;
            self.next = (self.next + 1) % SUFFIXES;
            let bssid = self.prefix.bssid(suffix);
            if let std::collections::btree_map::Entry::Vacant(e) = self.owners.entry(bssid) {
                e.insert(client);
                return Some(bssid);
            }
        }
        None
    }

    /// Records a BSSID an agent reported (reconciliation); false when
    /// another client owns it.
    pub(crate) fn claim(&mut self, bssid: MacAddr, client: MacAddr) -> bool {
        match self.owners.get(&bssid) {
            Some(owner) => *owner == client,
            None => {
                self.owners.insert(bssid, client);
                true
            }
        }
    }

    /// The client a BSSID belongs to.
    pub(crate) fn owner(&self, bssid: &MacAddr) -> Option<MacAddr> {
        self.owners.get(bssid).copied()
    }

    /// Every BSSID and its client.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&MacAddr, &MacAddr)> {
        self.owners.iter()
    }
}
