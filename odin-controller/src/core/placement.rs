//! Who serves a client: the placement strategy and the placement of new
//! and re-served clients.
//!
//! A [`Placement`] ranks the radios that could take a client; the core
//! tries them in that order. The core hands it only radios of up agents
//! that have room, and ignores anything it returns that was not among
//! them. [`BestSignal`] is the default.
//!
//! A new client (a probe from a client without an LVAP) opens a window of
//! `placement_window`: every report of the client during the window is a
//! candidate. When the window closes, the best candidate gets `AddLvap`;
//! a `Failed` answer or a timeout (which also sends a clean-up removal,
//! in case the LVAP was half-created) tries the next; when none is left
//! the placement is dropped and the next probe starts over. A client whose
//! agent died is placed the same way, without a window, among the agents
//! that heard it within `signal_max_age`, with its cached station state
//! (then the LVAP is authorized once added).

use std::fmt;

use odin_proto::msg::ControllerMsg;
use odin_proto::{MacAddr, StationState};

use super::api::{ControllerEvent, Output, RadioRef};
use super::registry::{Lvap, LvapState};
use super::time::Instant;
use super::timers::Timer;
use super::{Answer, Controller, Purpose};
use odin_proto::msg::RequestId;

pub use odin_app::Candidate;

/// A placement strategy: which radios should serve a client, best first.
pub trait Placement: fmt::Debug + Send {
    /// Ranks `candidates` (radios of up agents, each with room, that heard
    /// the client), best first. Candidates left out are not tried.
    fn rank(&mut self, client: MacAddr, candidates: Vec<Candidate>) -> Vec<Candidate>;
}

/// The default strategy: the strongest signal; ties go to the radio with
/// fewer LVAPs, then to the agent name and radio index in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct BestSignal;

impl Placement for BestSignal {
    fn rank(&mut self, _client: MacAddr, mut candidates: Vec<Candidate>) -> Vec<Candidate> {
        candidates.sort_by(|a, b| {
            b.signal_dbm
                .cmp(&a.signal_dbm)
                .then(a.load.cmp(&b.load))
                .then_with(|| a.at.cmp(&b.at))
        });
        candidates
    }
}

/// A placement in progress.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacementJob {
    /// When the first report came (the window's start).
    started: Instant,
    /// The state to import (a re-served client), if any.
    station: Option<StationState>,
    phase: Phase,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Collecting reports.
    Window { deadline: Instant },
    /// `AddLvap` sent to `at`.
    Adding {
        at: RadioRef,
        remaining: Vec<RadioRef>,
        request: RequestId,
    },
    /// `AuthorizeLvap` sent to `at` (an imported station).
    Authorizing {
        at: RadioRef,
        remaining: Vec<RadioRef>,
        request: RequestId,
    },
}

impl PlacementJob {
    /// A placement without a window (its candidates are already known).
    pub(crate) fn immediate(now: Instant, station: Option<StationState>) -> PlacementJob {
        PlacementJob {
            started: now,
            station,
            phase: Phase::Window { deadline: now },
        }
    }

    /// The end of the collection window, while it is open.
    pub(crate) fn window_end(&self) -> Option<Instant> {
        match self.phase {
            Phase::Window { deadline } => Some(deadline),
            Phase::Adding { .. } | Phase::Authorizing { .. } => None,
        }
    }

    /// The request the placement waits on.
    pub(crate) fn request(&self) -> Option<RequestId> {
        match self.phase {
            Phase::Window { .. } => None,
            Phase::Adding { request, .. } | Phase::Authorizing { request, .. } => Some(request),
        }
    }
}

impl Controller {
    /// An agent heard a client.
    pub(crate) fn client_heard(
        &mut self,
        at: RadioRef,
        client: MacAddr,
        signal_dbm: i8,
        ssid: &[u8],
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let known_radio = self
            .agents
            .get(&at.agent)
            .is_some_and(|a| a.radios.contains_key(&at.radio));
        if !known_radio {
            self.counters.unknown_radios += 1;
            self.counters.protocol_errors += 1;
            return;
        }
        if !client.is_unicast() {
            self.counters.protocol_errors += 1;
            return;
        }
        let mut c = self.clients.get_or_new(client);
        c.signals.insert(
            at.clone(),
            super::Heard {
                signal_dbm,
                at: now,
            },
        );
        let idle = c.lvap.is_none() && !self.placements.contains_key(&client);
        let ours = ssid.is_empty() || ssid == self.config.ssid.as_slice();
        out.push(Output::Event(ControllerEvent::ClientHeard {
            client,
            at,
            signal_dbm,
        }));
        if idle && ours {
            let station = c.station.clone();
            self.placements.insert(
                client,
                PlacementJob {
                    started: now,
                    station,
                    phase: Phase::Window {
                        deadline: now + self.config.placement_window,
                    },
                },
            );
            self.timers
                .set(now + self.config.placement_window, Timer::Window(client));
        }
    }

    /// Places the clients whose window closed.
    pub(crate) fn close_window(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        let Some(started) = self.placements.get(&client).map(|j| j.started) else {
            return;
        };
        let remaining = self.ranked(client, started, &[]);
        self.try_next(client, remaining, now, out);
    }

    /// The radios that heard `client` since `since` and could take it,
    /// best first.
    fn ranked(&mut self, client: MacAddr, since: Instant, exclude: &[&str]) -> Vec<RadioRef> {
        let Some(c) = self.clients.get(&client) else {
            return Vec::new();
        };
        let candidates: Vec<Candidate> = c
            .signals
            .iter()
            .filter(|(at, heard)| heard.at >= since && !exclude.contains(&at.agent.as_str()))
            .filter(|(at, _)| self.has_room(at))
            .filter_map(|(at, heard)| {
                let radio = self.agents.get(&at.agent)?.radios.get(&at.radio)?;
                Some(Candidate {
                    at: at.clone(),
                    signal_dbm: heard.signal_dbm,
                    heard_at: heard.at,
                    load: self.load(at),
                    max_lvaps: radio.info.max_lvaps,
                    channel: radio.info.channel,
                })
            })
            .collect();
        let allowed: Vec<RadioRef> = candidates.iter().map(|c| c.at.clone()).collect();
        // An app may decide; otherwise the strategy.
        let order: Vec<RadioRef> = match self.app_placement(client, &candidates) {
            Some((app, order)) => {
                tracing::debug!(%client, %app, ?order, "placement decided by an app");
                order
            }
            None => self
                .placement
                .rank(client, candidates)
                .into_iter()
                .map(|c| c.at)
                .collect(),
        };
        let mut ranked: Vec<RadioRef> = Vec::new();
        for at in order {
            if allowed.contains(&at) && !ranked.contains(&at) {
                ranked.push(at);
            }
        }
        ranked
    }

    /// Places again a client whose LVAP was lost (its agent died, or a
    /// handoff could keep it on neither side), with its cached station.
    pub(crate) fn reserve(
        &mut self,
        client: MacAddr,
        exclude: &[&str],
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if self
            .placements
            .get(&client)
            .is_some_and(|j| j.request().is_some())
        {
            // Already being placed.
            return;
        }
        let Some(mut c) = self.clients.get_mut(&client) else {
            return;
        };
        c.lvap = None;
        let station = c.station.clone();
        let bssid = c.bssid;
        drop(c);
        self.placements.remove(&client);
        let since = now.saturating_sub(self.config.signal_max_age);
        let remaining = self.ranked(client, since, exclude);
        if remaining.is_empty() {
            if let Some(bssid) = bssid {
                tracing::info!(%client, "no other agent heard the client: LVAP orphaned");
                out.push(Output::Event(ControllerEvent::LvapOrphaned {
                    client,
                    bssid,
                }));
            }
            return;
        }
        self.placements
            .insert(client, PlacementJob::immediate(now, station));
        self.timers.set(now, Timer::Window(client));
        self.try_next(client, remaining, now, out);
    }

    /// Places a client (whose job exists) on one radio.
    pub(crate) fn place_on(
        &mut self,
        client: MacAddr,
        at: RadioRef,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        self.try_next(client, vec![at], now, out);
    }

    /// Sends `AddLvap` to the first of `remaining` that still has room;
    /// drops the placement when none has.
    fn try_next(
        &mut self,
        client: MacAddr,
        mut remaining: Vec<RadioRef>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(job) = self.placements.get(&client) else {
            return;
        };
        let station = job.station.clone();
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = None;
        }
        while !remaining.is_empty() {
            let at = remaining.remove(0);
            if !self.has_room(&at) {
                continue;
            }
            let Some(bssid) = self.bssid_of(client) else {
                break;
            };
            let lvap = self.lvap_spec(client, bssid, at.radio);
            let purpose = Purpose::Place { client };
            let msg_station = station.clone();
            let Some(request) =
                self.request(&at.agent, purpose, now, out, |id| ControllerMsg::AddLvap {
                    id,
                    lvap,
                    station: msg_station,
                })
            else {
                continue;
            };
            if let Some(mut c) = self.clients.get_mut(&client) {
                c.lvap = Some(Lvap {
                    at: at.clone(),
                    state: LvapState::Placing,
                });
            }
            if let Some(job) = self.placements.get_mut(&client) {
                job.phase = Phase::Adding {
                    at,
                    remaining,
                    request,
                };
            }
            return;
        }
        self.placements.remove(&client);
        tracing::info!(%client, "placement failed: no agent could take the client");
        out.push(Output::Event(ControllerEvent::PlacementFailed {
            client,
            reason: "no agent with room could take the client".into(),
        }));
    }

    /// The client's BSSID, allocated at its first placement.
    fn bssid_of(&mut self, client: MacAddr) -> Option<MacAddr> {
        let mut c = self.clients.get_mut(&client)?;
        if let Some(bssid) = c.bssid {
            return Some(bssid);
        }
        let bssid = self.bssids.allocate(client)?;
        c.bssid = Some(bssid);
        if bssid != self.bssids.plan().derive(client) {
            self.counters.bssid_collisions += 1;
            tracing::warn!(%client, %bssid, "derived BSSID taken: a sequential one instead");
        }
        Some(bssid)
    }

    /// The answer to a placement's `AddLvap` or `AuthorizeLvap`.
    pub(crate) fn placement_answer(
        &mut self,
        client: MacAddr,
        answer: Answer,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(job) = self.placements.get(&client) else {
            return;
        };
        let (at, remaining, authorizing) = match &job.phase {
            Phase::Window { .. } => return,
            Phase::Adding { at, remaining, .. } => (at.clone(), remaining.clone(), false),
            Phase::Authorizing { at, remaining, .. } => (at.clone(), remaining.clone(), true),
        };
        let station = job.station.clone();
        let bssid = self.clients.get(&client).and_then(|c| c.bssid);
        if answer.is_success() {
            if !authorizing && station.is_some() {
                if let Some(bssid) = bssid {
                    let purpose = Purpose::Place { client };
                    if let Some(request) = self.request(&at.agent, purpose, now, out, |id| {
                        ControllerMsg::AuthorizeLvap {
                            id,
                            bssid,
                            at: None,
                            arriving: false,
                        }
                    }) {
                        if let Some(job) = self.placements.get_mut(&client) {
                            job.phase = Phase::Authorizing {
                                at,
                                remaining,
                                request,
                            };
                        }
                        return;
                    }
                }
                self.try_next(client, remaining, now, out);
                return;
            }
            self.placements.remove(&client);
            if let Some(mut c) = self.clients.get_mut(&client) {
                c.lvap = Some(Lvap {
                    at: at.clone(),
                    state: LvapState::Active,
                });
                if station.is_some() {
                    c.station = station;
                }
            }
            if let Some(bssid) = bssid {
                tracing::info!(%client, %bssid, %at, "LVAP placed");
                out.push(Output::Event(ControllerEvent::LvapPlaced {
                    client,
                    bssid,
                    at,
                }));
            }
            return;
        }
        tracing::info!(%client, %at, reason = %answer.reason(), "placement attempt failed");
        // A timed-out add may have half-created the LVAP, a timed-out or
        // refused authorization leaves one behind: remove it.
        let cleanup = authorizing || answer == Answer::Timeout;
        if let (true, Some(bssid)) = (cleanup, bssid) {
            self.cleanup_remove(&at.agent, client, bssid, None, now, out);
        }
        self.try_next(client, remaining, now, out);
    }
}
