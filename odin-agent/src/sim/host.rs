//! [`LvapHost`]: LVAP state machines on one simulated radio, without an
//! agent core or a controller — the smallest loop that turns
//! [`lvap::Action`]s into [`RadioCmd`]s and [`RadioEvent`]s back into
//! [`lvap::Input`]s. Tests use it to check the LVAP against the medium and
//! to run migrations by hand.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;

use odin_proto::StationState;
use odin_wire::ieee80211::Frame;
use odin_wire::MacAddr;

use super::radio::SimRadio;
use crate::lvap::{self, Action, Command, Cookie, ImportError, Lvap, LvapConfig, LvapEvent};
use crate::radio::{Radio, RadioCmd, RadioEvent};
use crate::time::Instant;

/// An event an LVAP of the host reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostEvent {
    /// When.
    pub at: Instant,
    /// The LVAP.
    pub bssid: MacAddr,
    /// What.
    pub event: LvapEvent,
}

/// LVAPs on one [`SimRadio`].
///
/// Frames are routed as the agent core routes them: to the LVAP of the
/// frame's source when it was delivered on that LVAP's interface or heard
/// as a broadcast (`bssid: None`). Radio cookies are the host's own and
/// map back to the LVAP's. Times are the medium's.
#[derive(Debug)]
pub struct LvapHost {
    radio: SimRadio,
    lvaps: BTreeMap<MacAddr, Lvap>,
    by_client: HashMap<MacAddr, MacAddr>,
    cookies: HashMap<u64, (MacAddr, Cookie)>,
    next_cookie: u64,
    events: Vec<HostEvent>,
    failures: Vec<(String, String)>,
}

impl LvapHost {
    /// A host with no LVAP yet.
    pub fn new(radio: SimRadio) -> LvapHost {
        LvapHost {
            radio,
            lvaps: BTreeMap::new(),
            by_client: HashMap::new(),
            cookies: HashMap::new(),
            next_cookie: 1,
            events: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// The radio.
    pub fn radio(&self) -> &SimRadio {
        &self.radio
    }

    /// The medium's time.
    pub fn now(&self) -> Instant {
        self.radio.medium().now()
    }

    /// An LVAP by BSSID.
    pub fn lvap(&self, bssid: MacAddr) -> Option<&Lvap> {
        self.lvaps.get(&bssid)
    }

    /// Events the LVAPs reported, oldest first.
    pub fn events(&self) -> &[HostEvent] {
        &self.events
    }

    /// Radio commands that failed: (command, error).
    pub fn failures(&self) -> &[(String, String)] {
        &self.failures
    }

    /// Creates an LVAP that beacons and waits for its client. Replaces
    /// nothing: an LVAP with that BSSID or client must be removed first.
    pub fn create(&mut self, config: LvapConfig) -> odin_wire::Result<()> {
        if self.lvaps.contains_key(&config.bssid) || self.by_client.contains_key(&config.client) {
            return Err(odin_wire::Error::Unsupported);
        }
        let mut out = Vec::new();
        let lvap = Lvap::new(config, &mut out)?;
        self.insert(lvap, out);
        Ok(())
    }

    /// Takes over an associated client from another host: the target
    /// side of a migration (not authorized until [`Command::Authorize`]).
    pub fn import(&mut self, config: LvapConfig, state: StationState) -> Result<(), ImportError> {
        if self.lvaps.contains_key(&config.bssid) || self.by_client.contains_key(&config.client) {
            return Err(ImportError::WrongIdentity);
        }
        let now = self.now();
        let mut out = Vec::new();
        let lvap = Lvap::import(config, state, now, &mut out)?;
        self.insert(lvap, out);
        Ok(())
    }

    fn insert(&mut self, lvap: Lvap, actions: Vec<Action>) {
        let (bssid, client) = (lvap.config().bssid, lvap.config().client);
        self.lvaps.insert(bssid, lvap);
        self.by_client.insert(client, bssid);
        let now = self.now();
        self.apply(bssid, actions, now);
    }

    /// The state of an LVAP's associated client, for a migration.
    pub fn export(&self, bssid: MacAddr) -> Option<StationState> {
        self.lvaps.get(&bssid)?.export()
    }

    /// Gives an LVAP a command; after [`Command::Stop`] the LVAP is
    /// removed. False if there is no such LVAP.
    pub fn command(&mut self, bssid: MacAddr, command: Command) -> bool {
        if !self.lvaps.contains_key(&bssid) {
            return false;
        }
        let now = self.now();
        self.input(bssid, lvap::Input::Command(command), now);
        if command == Command::Stop {
            if let Some(lvap) = self.lvaps.remove(&bssid) {
                self.by_client.remove(&lvap.config().client);
            }
            self.cookies.retain(|_, (b, _)| *b != bssid);
        }
        true
    }

    /// The earliest time an LVAP wants a tick.
    pub fn poll_at(&self) -> Option<Instant> {
        self.lvaps.values().filter_map(Lvap::poll_at).min()
    }

    /// Ticks every LVAP that is due.
    pub fn tick(&mut self) {
        let now = self.now();
        let due: Vec<MacAddr> = self
            .lvaps
            .iter()
            .filter(|(_, l)| l.poll_at().is_some_and(|t| t <= now))
            .map(|(b, _)| *b)
            .collect();
        for bssid in due {
            self.input(bssid, lvap::Input::Tick, now);
        }
    }

    /// Handles one radio event.
    pub fn handle_event(&mut self, event: RadioEvent) {
        let now = self.now();
        match event {
            RadioEvent::Frame { bssid, frame, .. } => {
                let Some(sa) = Frame::new_checked(&frame[..]).ok().and_then(|f| f.addr2()) else {
                    return;
                };
                let Some(target) = self.by_client.get(&sa).copied() else {
                    return;
                };
                if bssid.is_none_or(|b| b == target) {
                    self.input(target, lvap::Input::Frame(&frame), now);
                }
            }
            RadioEvent::TxStatus { cookie, acked, .. } => {
                if let Some((bssid, cookie)) = self.cookies.remove(&cookie) {
                    self.input(bssid, lvap::Input::TxStatus { cookie, acked }, now);
                }
            }
            RadioEvent::StationInfo { bssid, sta, info } => {
                if self
                    .lvaps
                    .get(&bssid)
                    .is_some_and(|l| l.config().client == sta)
                {
                    let input = lvap::Input::StationInfo {
                        inactive: info.inactive,
                    };
                    self.input(bssid, input, now);
                }
            }
            RadioEvent::Heard { .. } => {}
            RadioEvent::UnexpectedData { bssid, sta } => {
                if self
                    .lvaps
                    .get(&bssid)
                    .is_some_and(|l| l.config().client == sta)
                {
                    self.input(bssid, lvap::Input::UnexpectedData, now);
                }
            }
            RadioEvent::CommandFailed { command, error } => self.failures.push((command, error)),
            // The host issues no barriers and asks for no surveys.
            RadioEvent::Done { .. } | RadioEvent::Survey { .. } => {}
        }
    }

    fn input(&mut self, bssid: MacAddr, input: lvap::Input<'_>, now: Instant) {
        let Some(lvap) = self.lvaps.get_mut(&bssid) else {
            return;
        };
        let mut out = Vec::new();
        lvap.handle(input, now, &mut out);
        self.apply(bssid, out, now);
    }

    /// Turns an LVAP's actions into radio commands.
    fn apply(&mut self, bssid: MacAddr, actions: Vec<Action>, now: Instant) {
        for action in actions {
            let (next_cookie, cookies) = (&mut self.next_cookie, &mut self.cookies);
            let cmd = RadioCmd::from_lvap_action(bssid, action, |lvap_cookie| {
                let n = *next_cookie;
                *next_cookie += 1;
                cookies.insert(n, (bssid, lvap_cookie));
                n
            });
            let cmd = match cmd {
                Ok(cmd) => cmd,
                Err(event) => {
                    self.events.push(HostEvent {
                        at: now,
                        bssid,
                        event,
                    });
                    continue;
                }
            };
            self.radio.execute(cmd);
        }
    }
}

/// Runs `hosts` for one step: handles every waiting radio event and due
/// tick, or else waits for the next event, the next tick or `deadline`.
/// False once `deadline` has passed with nothing left to do.
///
/// Deterministic: hosts are served in slice order.
pub async fn step(hosts: &mut [LvapHost], deadline: tokio::time::Instant) -> bool {
    let mut progressed = false;
    for host in hosts.iter_mut() {
        while let Some(event) = host.radio.try_next_event() {
            host.handle_event(event);
            progressed = true;
        }
        if host.poll_at().is_some_and(|t| t <= host.now()) {
            host.tick();
            progressed = true;
        }
    }
    if progressed {
        return true;
    }
    if tokio::time::Instant::now() >= deadline {
        return false;
    }
    let wake = hosts
        .iter()
        .filter_map(|h| h.poll_at().map(|t| h.radio.medium().tokio_instant(t)))
        .min()
        .map_or(deadline, |t| t.min(deadline));
    let woke = {
        let mut events: Vec<EventFuture<'_>> = hosts
            .iter_mut()
            .map(|h| Box::pin(h.radio.next_event()) as EventFuture<'_>)
            .collect();
        // Keeps `select_all` non-empty (it refuses an empty list).
        events.push(Box::pin(std::future::pending()));
        tokio::select! {
            biased;
            (event, index, _) = futures::future::select_all(events) => Some((index, event)),
            () = tokio::time::sleep_until(wake) => None,
        }
    };
    match woke {
        Some((index, Some(event))) => {
            if let Some(host) = hosts.get_mut(index) {
                host.handle_event(event);
            }
        }
        // A closed queue (cannot happen while the radio lives): wait
        // rather than spin.
        Some((_, None)) => tokio::time::sleep_until(wake).await,
        None => {}
    }
    true
}

type EventFuture<'a> = Pin<Box<dyn Future<Output = Option<RadioEvent>> + Send + 'a>>;

/// Runs `hosts` for `duration` of medium time.
pub async fn run_for(hosts: &mut [LvapHost], duration: std::time::Duration) {
    let deadline = tokio::time::Instant::now() + duration;
    while step(hosts, deadline).await {}
}
