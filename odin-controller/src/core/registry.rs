//! The registry: agents and their radios, clients, LVAPs and BSSIDs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// largest recent round trip, decaying by an eighth per answer and by
    /// half for every two seconds without one (the lead of a migration's
    /// switch moment: a burst of load long past must not slow the
    /// migrations that follow).
    pub round_trip_us: u64,
    /// When the last answer came.
    pub round_trip_at: Option<Instant>,
    /// Frames it dropped, by cause, since the controller first heard of
    /// it: only ever grows (an agent that restarts counts from zero again;
    /// what it reports is added from there).
    pub frames_dropped: BTreeMap<String, u64>,
    /// Its own counts as last reported, to tell the growth.
    pub drops_reported: BTreeMap<String, u64>,
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

/// The clients, with the clients whose LVAP each radio holds kept up to
/// date as they change, so that a radio's load is a lookup rather than a
/// walk over every client (a placement asks it of every candidate radio;
/// with 100,000 clients the walk was the controller's bottleneck).
///
/// Every change goes through [`ClientMut`], which compares where the
/// client's LVAP was before and after and moves the count; nothing else
/// can reach a client mutably. `Controller::check_invariants` recounts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clients {
    map: BTreeMap<MacAddr, Client>,
    hosted: HashMap<RadioRef, BTreeSet<MacAddr>>,
}

impl Clients {
    /// Every client, by address.
    pub(crate) fn map(&self) -> &BTreeMap<MacAddr, Client> {
        &self.map
    }

    pub(crate) fn get(&self, mac: &MacAddr) -> Option<&Client> {
        self.map.get(mac)
    }

    pub(crate) fn contains_key(&self, mac: &MacAddr) -> bool {
        self.map.contains_key(mac)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &MacAddr> {
        self.map.keys()
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Client> {
        self.map.values()
    }

    /// A client, to change.
    pub(crate) fn get_mut(&mut self, mac: &MacAddr) -> Option<ClientMut<'_>> {
        let client = self.map.get_mut(mac)?;
        Some(ClientMut::new(client, &mut self.hosted))
    }

    /// A client, created (knowing nothing) when new.
    pub(crate) fn get_or_new(&mut self, mac: MacAddr) -> ClientMut<'_> {
        let client = self.map.entry(mac).or_insert_with(|| Client::new(mac));
        ClientMut::new(client, &mut self.hosted)
    }

    /// Adds a client that was not known (a known one is left as it is).
    pub(crate) fn insert_new(&mut self, client: Client) {
        if self.map.contains_key(&client.mac) {
            return;
        }
        if let Some(lvap) = &client.lvap {
            self.hosted
                .entry(lvap.at.clone())
                .or_default()
                .insert(client.mac);
        }
        self.map.insert(client.mac, client);
    }

    /// The clients whose LVAP is hosted or being placed on a radio.
    pub(crate) fn on(&self, at: &RadioRef) -> Option<&BTreeSet<MacAddr>> {
        self.hosted.get(at)
    }

    /// The index recomputed from the clients, for invariant checks: the
    /// first radio whose kept set differs, with (kept, counted) sizes.
    pub(crate) fn miscounted(&self) -> Option<(RadioRef, usize, usize)> {
        let mut counted: HashMap<&RadioRef, BTreeSet<MacAddr>> = HashMap::new();
        for c in self.map.values() {
            if let Some(lvap) = &c.lvap {
                counted.entry(&lvap.at).or_default().insert(c.mac);
            }
        }
        let empty = BTreeSet::new();
        let kept = self
            .hosted
            .iter()
            .find(|(at, set)| counted.get(at).unwrap_or(&empty) != *set)
            .map(|(at, set)| {
                (
                    at.clone(),
                    set.len(),
                    counted.get(at).map_or(0, BTreeSet::len),
                )
            });
        kept.or_else(|| {
            counted
                .iter()
                .find(|(at, _)| !self.hosted.contains_key(**at))
                .map(|(at, set)| ((*at).clone(), 0, set.len()))
        })
    }
}

/// A client being changed: when it goes out of scope, the radio its LVAP
/// left and the one it is on now are corrected in the index.
#[derive(Debug)]
pub(crate) struct ClientMut<'a> {
    client: &'a mut Client,
    hosted: &'a mut HashMap<RadioRef, BTreeSet<MacAddr>>,
    before: Option<RadioRef>,
}

impl<'a> ClientMut<'a> {
    fn new(
        client: &'a mut Client,
        hosted: &'a mut HashMap<RadioRef, BTreeSet<MacAddr>>,
    ) -> ClientMut<'a> {
        let before = client.lvap.as_ref().map(|l| l.at.clone());
        ClientMut {
            client,
            hosted,
            before,
        }
    }
}

impl core::ops::Deref for ClientMut<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client
    }
}

impl core::ops::DerefMut for ClientMut<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
    }
}

impl Drop for ClientMut<'_> {
    fn drop(&mut self) {
        let after = self.client.lvap.as_ref().map(|l| &l.at);
        if self.before.as_ref() == after {
            return;
        }
        let mac = self.client.mac;
        if let Some(before) = self.before.take() {
            if let Some(set) = self.hosted.get_mut(&before) {
                set.remove(&mac);
                if set.is_empty() {
                    self.hosted.remove(&before);
                }
            }
        }
        if let Some(after) = after {
            self.hosted.entry(after.clone()).or_default().insert(mac);
        }
    }
}
