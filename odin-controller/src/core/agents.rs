//! Agent sessions: hello and version check, heartbeats, reconciliation,
//! the messages of an up agent, and what an agent's death does.
//!
//! # Reconciliation
//!
//! At hello the agent reports the LVAPs it serves. For each report, in
//! order:
//!
//! * the registry places the client's LVAP on this agent under this BSSID:
//!   it stays (the reported radio and station state are taken);
//! * the registry gives the client another BSSID, or places its LVAP on
//!   another agent (including one that reported it earlier, or a placement
//!   in flight): `RemoveLvap { deauthenticate: false }`;
//! * the registry knows no LVAP for the client: adopted (the controller
//!   restarted, or the client's agent died and nobody else heard it), if
//!   the BSSID is not another client's and the radio exists and has room;
//!   otherwise removed, and the client (with the reported station state)
//!   is placed on another agent that heard it.
//!
//! Then every LVAP the registry places on this agent that was not reported
//! is sent again (`AddLvap` with the cached station state, then
//! `AuthorizeLvap`), if its radio still exists and has room; otherwise the
//! client is placed elsewhere.

use std::collections::BTreeMap;

use odin_proto::msg::{
    AgentMsg, ClientEvent, ClientStats, ControllerMsg, DropCount, LeaveReason, LvapStatus,
    RadioIndex, RadioInfo, RadioStats, PROTOCOL_VERSION,
};
use odin_proto::{MacAddr, StationState};

use super::api::{ControllerEvent, DownReason, Output, RadioRef, SessionId};
use super::placement::PlacementJob;
use super::registry::{Agent, Lvap, LvapState, Radio};
use super::time::Instant;
use super::timers::Timer;
use super::{Answer, Controller, Purpose, Session};

impl Controller {
    /// A connection authenticated as `name`.
    pub(crate) fn session_opened(
        &mut self,
        session: SessionId,
        name: String,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if self.sessions.contains_key(&session) {
            tracing::warn!(?session, "session id reused: ignored");
            self.counters.protocol_errors += 1;
            return;
        }
        let agent = self.agents.entry(name.clone()).or_insert_with(|| Agent {
            name: name.clone(),
            session: None,
            up: false,
            software: String::new(),
            radios: BTreeMap::new(),
            last_heard: None,
            last_down: None,
            round_trip_us: 0,
            round_trip_at: None,
            frames_dropped: BTreeMap::new(),
            drops_reported: BTreeMap::new(),
        });
        let old = agent.session.replace(session);
        agent.up = false;
        agent.last_heard = Some(now);
        self.sessions.insert(
            session,
            Session {
                agent: name,
                hello: false,
                last_heard: now,
            },
        );
        self.timers
            .set(now + self.config.heartbeat_timeout, Timer::Session(session));
        if let Some(old) = old {
            self.end_session(old, DownReason::Replaced, now, out);
        }
    }

    /// The connection closed.
    pub(crate) fn session_closed(
        &mut self,
        session: SessionId,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        self.end_session(session, DownReason::ConnectionClosed, now, out);
    }

    /// Ends a session: closes it (unless it closed by itself), resolves its
    /// requests and handoffs, and re-serves the agent's clients elsewhere
    /// unless a newer session of the agent replaces it.
    pub(crate) fn end_session(
        &mut self,
        session: SessionId,
        reason: DownReason,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(s) = self.sessions.remove(&session) else {
            return;
        };
        let name = s.agent;
        if reason != DownReason::ConnectionClosed {
            out.push(Output::Close {
                session,
                reason: reason.to_string(),
            });
        }
        let mut replaced = true;
        if let Some(agent) = self.agents.get_mut(&name) {
            if agent.session == Some(session) {
                agent.session = None;
                agent.up = false;
                replaced = false;
            }
            agent.last_down = Some(reason.clone());
        }
        tracing::info!(agent = %name, %reason, "agent down");
        out.push(Output::Event(ControllerEvent::AgentDown {
            agent: name.clone(),
            reason,
        }));
        // Its requests: handoffs are resolved below, per handoff.
        let ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.session == session)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(p) = self.pending.remove(&id) {
                if !matches!(p.purpose, Purpose::Handoff { .. }) {
                    self.resolve(p, Answer::AgentLost, now, out);
                }
            }
        }
        let moving: Vec<MacAddr> = self
            .handoffs
            .iter()
            .filter(|(_, h)| h.source.agent == name || h.target.agent == name)
            .map(|(client, _)| *client)
            .collect();
        for client in moving {
            self.handoff_agent_lost(client, &name, now, out);
        }
        if replaced {
            // The new session's hello reconciles the LVAPs hosted here.
            return;
        }
        let hosted: Vec<MacAddr> = self
            .clients
            .values()
            .filter(|c| {
                c.lvap
                    .as_ref()
                    .is_some_and(|l| l.at.agent == name && l.state == LvapState::Active)
            })
            .map(|c| c.mac)
            .collect();
        for client in hosted {
            self.reserve(client, &[&name], now, out);
        }
    }

    /// A message from an agent.
    pub(crate) fn message(
        &mut self,
        session: SessionId,
        msg: AgentMsg,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        self.counters.messages_in.count(&msg);
        let Some(s) = self.sessions.get_mut(&session) else {
            self.counters.unknown_sessions += 1;
            self.counters.protocol_errors += 1;
            return;
        };
        s.last_heard = now;
        let hello_done = s.hello;
        self.timers
            .set(now + self.config.heartbeat_timeout, Timer::Session(session));
        let name = s.agent.clone();
        if let Some(agent) = self.agents.get_mut(&name) {
            agent.last_heard = Some(now);
        }
        tracing::trace!(agent = %name, kind = super::message_kind(&msg), "message");
        if !hello_done {
            match msg {
                AgentMsg::Hello {
                    version,
                    software,
                    radios,
                    lvaps,
                } => self.hello(session, &name, version, software, radios, lvaps, now, out),
                other => {
                    self.counters.before_hello += 1;
                    self.counters.protocol_errors += 1;
                    let why = format!("{} before hello", super::message_kind(&other));
                    out.push(Output::Send {
                        session,
                        msg: ControllerMsg::Error {
                            id: None,
                            message: why.clone(),
                        },
                    });
                    self.end_session(session, DownReason::ProtocolError(why), now, out);
                }
            }
            return;
        }
        match msg {
            AgentMsg::Auth { .. } | AgentMsg::Hello { .. } => {
                self.counters.protocol_errors += 1;
                out.push(Output::Send {
                    session,
                    msg: ControllerMsg::Error {
                        id: None,
                        message: format!("unexpected {}", super::message_kind(&msg)),
                    },
                });
            }
            AgentMsg::Heartbeat { .. } => {}
            AgentMsg::ClientHeard {
                radio,
                client,
                signal_dbm,
                ssid,
            } => {
                let at = RadioRef { agent: name, radio };
                self.client_heard(at, client, signal_dbm, &ssid, now, out);
            }
            AgentMsg::Client {
                bssid,
                client,
                event,
                station,
            } => self.client_event(&name, bssid, client, event, station, now, out),
            AgentMsg::Stats {
                clients,
                radios,
                drops,
            } => self.stats(&name, clients, radios, drops, now),
            AgentMsg::Matched {
                subscription,
                client,
                radio,
                value,
            } => {
                // A match of a subscription removed meanwhile is dropped.
                if self.subscriptions.contains_key(&subscription) {
                    out.push(Output::Event(ControllerEvent::SubscriptionMatched {
                        agent: name,
                        subscription,
                        client,
                        radio,
                        value,
                    }));
                }
            }
            AgentMsg::Result { id, outcome } => {
                self.result(session, id, Answer::from_outcome(outcome), now, out);
            }
            AgentMsg::Error { id, message } => {
                self.counters.agent_errors += 1;
                tracing::warn!(agent = %name, ?id, %message, "agent reported an error");
                if let Some(id) = id {
                    if self.pending.get(&id).is_some_and(|p| p.session == session) {
                        self.result(session, id, Answer::Failed(message), now, out);
                    }
                }
            }
        }
    }

    fn result(
        &mut self,
        session: SessionId,
        id: u64,
        answer: Answer,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if self.pending.get(&id).is_none_or(|p| p.session != session) {
            self.counters.unknown_results += 1;
            return;
        }
        if let Some(pending) = self.pending.remove(&id) {
            if let Some(agent) = self.agents.get_mut(&pending.agent) {
                let sample = now
                    .micros_since(pending.sent)
                    .saturating_sub(pending.held_us);
                let quiet_s = agent
                    .round_trip_at
                    .map_or(0, |at| now.micros_since(at) / 1_000_000);
                let decayed =
                    (agent.round_trip_us - agent.round_trip_us / 8) >> (quiet_s / 2).min(63);
                agent.round_trip_us = sample.max(decayed);
                agent.round_trip_at = Some(now);
            }
            self.resolve(pending, answer, now, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn hello(
        &mut self,
        session: SessionId,
        name: &str,
        version: u16,
        software: String,
        radios: Vec<RadioInfo>,
        lvaps: Vec<LvapStatus>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if version != PROTOCOL_VERSION {
            self.counters.version_mismatches += 1;
            self.counters.protocol_errors += 1;
            out.push(Output::Send {
                session,
                msg: ControllerMsg::Error {
                    id: None,
                    message: format!(
                        "protocol version {version} is not supported; this controller speaks {PROTOCOL_VERSION}"
                    ),
                },
            });
            self.end_session(session, DownReason::VersionMismatch { version }, now, out);
            return;
        }
        let mut by_index = BTreeMap::new();
        for info in radios {
            if by_index.contains_key(&info.index) {
                self.counters.protocol_errors += 1;
                continue;
            }
            by_index.insert(info.index, Radio { info, stats: None });
        }
        let announced: Vec<RadioInfo> = by_index.values().map(|r| r.info.clone()).collect();
        if let Some(s) = self.sessions.get_mut(&session) {
            s.hello = true;
        }
        if let Some(agent) = self.agents.get_mut(name) {
            agent.up = true;
            agent.software = software.clone();
            agent.radios = by_index;
        }
        tracing::info!(agent = %name, %software, radios = announced.len(), lvaps = lvaps.len(), "agent up");
        out.push(Output::Event(ControllerEvent::AgentUp {
            agent: name.to_owned(),
            software,
            radios: announced,
        }));
        out.push(Output::Send {
            session,
            msg: ControllerMsg::Network {
                ssid: self.config.ssid.clone(),
                bssids: self.bssids.plan().clone(),
            },
        });
        let subscriptions: Vec<_> = self.subscriptions.values().cloned().collect();
        for subscription in &subscriptions {
            self.send_subscription(name, subscription, now, out);
        }
        self.reconcile(name, lvaps, now, out);
    }

    fn reconcile(
        &mut self,
        name: &str,
        lvaps: Vec<LvapStatus>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let (mut kept, mut adopted, mut removed, mut re_added) = (0, 0, 0, 0);
        let mut reported: Vec<MacAddr> = Vec::new();
        let mut elsewhere: Vec<MacAddr> = Vec::new();
        for status in lvaps {
            let client = status.lvap.client;
            let bssid = status.lvap.bssid;
            let at = RadioRef {
                agent: name.to_owned(),
                radio: status.lvap.radio,
            };
            let station = status.station.filter(|s| s.sta == client);
            let verdict = self.reconcile_one(client, bssid, &at, station);
            match verdict.clone() {
                Verdict::Kept => {
                    kept += 1;
                    reported.push(client);
                }
                Verdict::Adopted
                | Verdict::PlacementAbandoned { .. }
                | Verdict::TakenOver { .. } => {
                    adopted += 1;
                    reported.push(client);
                    match verdict {
                        Verdict::PlacementAbandoned { old } => {
                            removed += 1;
                            tracing::info!(%client, serving = %at, placing_on = %old, "an agent serves the client being placed: its copy wins");
                            let request = self.placements.remove(&client).and_then(|j| j.request());
                            if let Some(p) = request.and_then(|r| self.pending.get_mut(&r)) {
                                p.purpose = Purpose::Abandoned { client };
                            }
                            self.cleanup_remove(&old.agent, client, bssid, None, now, out);
                        }
                        Verdict::TakenOver { old } => {
                            removed += 1;
                            self.stranded.remove(&client);
                            self.cleanup_remove(&old.agent, client, bssid, None, now, out);
                        }
                        _ => self.authorize_if_stranded(name, client, bssid, now),
                    }
                    out.push(Output::Event(ControllerEvent::LvapAdopted {
                        client,
                        bssid,
                        at: at.clone(),
                    }));
                }
                Verdict::Remove { place_elsewhere } => {
                    removed += 1;
                    self.cleanup_remove(name, client, bssid, None, now, out);
                    if place_elsewhere && !elsewhere.contains(&client) {
                        elsewhere.push(client);
                    }
                }
            }
        }
        let unreported: Vec<(MacAddr, RadioRef, Option<StationState>)> = self
            .clients
            .values()
            .filter(|c| !reported.contains(&c.mac))
            .filter_map(|c| {
                let lvap = c.lvap.as_ref()?;
                (lvap.at.agent == name && lvap.state == LvapState::Active)
                    .then(|| (c.mac, lvap.at.clone(), c.station.clone()))
            })
            .collect();
        for (client, at, station) in unreported {
            if let Some(mut c) = self.clients.get_mut(&client) {
                c.lvap = None;
            }
            if !self.has_room(&at) {
                elsewhere.push(client);
                continue;
            }
            re_added += 1;
            self.placements
                .insert(client, PlacementJob::immediate(now, station));
            self.timers.set(now, Timer::Window(client));
            self.place_on(client, at, now, out);
        }
        for client in elsewhere {
            self.reserve(client, &[name], now, out);
        }
        out.push(Output::Event(ControllerEvent::Reconciled {
            agent: name.to_owned(),
            kept,
            adopted,
            removed,
            re_added,
        }));
    }

    /// What to do with one reported LVAP.
    fn reconcile_one(
        &mut self,
        client: MacAddr,
        bssid: MacAddr,
        at: &RadioRef,
        station: Option<StationState>,
    ) -> Verdict {
        if !client.is_unicast() || !bssid.is_unicast() {
            self.counters.protocol_errors += 1;
            return Verdict::Remove {
                place_elsewhere: false,
            };
        }
        let radio_exists = self
            .agents
            .get(&at.agent)
            .is_some_and(|a| a.radios.contains_key(&at.radio));
        let fits = radio_exists && self.has_room(at);
        let mut c = self.clients.get_or_new(client);
        if c.bssid.is_some_and(|b| b != bssid) {
            return Verdict::Remove {
                place_elsewhere: false,
            };
        }
        if let Some(lvap) = &c.lvap {
            let here = lvap.at.agent == at.agent && lvap.state == LvapState::Active;
            // Two agents report the client (a migration was cut short by a
            // controller restart): the copy that carries its data, the
            // authorized one, wins over one that does not.
            let ours_authorized = station.as_ref().is_some_and(|s| s.flags.authorized);
            let theirs_authorized = c.station.as_ref().is_some_and(|s| s.flags.authorized);
            if !here
                && lvap.state == LvapState::Active
                && ours_authorized
                && !theirs_authorized
                && fits
            {
                let old = lvap.at.clone();
                c.station = station;
                c.lvap = Some(Lvap {
                    at: at.clone(),
                    state: LvapState::Active,
                });
                return Verdict::TakenOver { old };
            }
            if lvap.state == LvapState::Placing
                && lvap.at.agent != at.agent
                && ours_authorized
                && fits
            {
                let old = lvap.at.clone();
                c.station = station;
                c.lvap = Some(Lvap {
                    at: at.clone(),
                    state: LvapState::Active,
                });
                return Verdict::PlacementAbandoned { old };
            }
            if !here {
                return Verdict::Remove {
                    place_elsewhere: false,
                };
            }
            if let Some(station) = station {
                c.station = Some(station);
            }
            // Where the agent has it (it knows), if that radio still exists
            // and has room (its limit may have shrunk).
            c.lvap = None;
            drop(c);
            if radio_exists && self.has_room(at) {
                if let Some(mut c) = self.clients.get_mut(&client) {
                    c.lvap = Some(Lvap {
                        at: at.clone(),
                        state: LvapState::Active,
                    });
                }
                return Verdict::Kept;
            }
            return Verdict::Remove {
                place_elsewhere: true,
            };
        }
        // Not placed anywhere: adopt.
        if station.is_some() {
            c.station = station;
        }
        drop(c);
        if !self.bssids.claim(bssid, client) {
            return Verdict::Remove {
                place_elsewhere: false,
            };
        }
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.bssid = Some(bssid);
        }
        if !radio_exists || !self.has_room(at) {
            return Verdict::Remove {
                place_elsewhere: true,
            };
        }
        self.placements.remove(&client);
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = Some(Lvap {
                at: at.clone(),
                state: LvapState::Active,
            });
        }
        Verdict::Adopted
    }

    /// An adopted LVAP whose client is associated but not authorized is
    /// what a migration cut short by a controller restart leaves. Another
    /// agent may still hold the authorized copy and not have reconnected
    /// yet, so the authorization waits one heartbeat timeout; if no better
    /// copy turned up by then, this one is the only one: let its data flow.
    fn authorize_if_stranded(
        &mut self,
        agent: &str,
        client: MacAddr,
        bssid: MacAddr,
        now: Instant,
    ) {
        let stranded = self
            .clients
            .get(&client)
            .and_then(|c| c.station.as_ref())
            .is_some_and(|s| s.flags.associated && !s.flags.authorized);
        if stranded {
            let at = now + self.config.heartbeat_timeout;
            self.stranded.insert(client, (agent.to_owned(), bssid, at));
            self.timers.set(at, Timer::Stranded(client));
        }
    }

    /// Authorizes a stranded LVAP whose wait is over, if it is still where
    /// it was adopted.
    pub(crate) fn repair_stranded(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        if let Some((agent, bssid, _)) = self.stranded.remove(&client) {
            let still_there = self.clients.get(&client).is_some_and(|c| {
                c.bssid == Some(bssid)
                    && c.lvap
                        .as_ref()
                        .is_some_and(|l| l.at.agent == agent && l.state == LvapState::Active)
            });
            if still_there {
                self.request(&agent, Purpose::Repair { client }, now, out, |id| {
                    ControllerMsg::AuthorizeLvap {
                        id,
                        bssid,
                        at: None,
                        arriving: false,
                    }
                });
            }
        }
    }

    /// A client event from an agent.
    #[allow(clippy::too_many_arguments)]
    fn client_event(
        &mut self,
        agent: &str,
        bssid: MacAddr,
        client: MacAddr,
        event: ClientEvent,
        station: Option<StationState>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let target = self.handoffs.get(&client).map(|h| h.target.agent.clone());
        let Some(mut c) = self.clients.get_mut(&client) else {
            self.counters.stray_client_events += 1;
            return;
        };
        let hosts = c.lvap.as_ref().is_some_and(|l| l.at.agent == agent);
        let ours = c.bssid == Some(bssid) && (hosts || target.as_deref() == Some(agent));
        if !ours {
            self.counters.stray_client_events += 1;
            return;
        }
        let agent = agent.to_owned();
        match event {
            ClientEvent::Authenticated => {}
            ClientEvent::Associated { reassociation } => {
                out.push(Output::Event(ControllerEvent::ClientJoined {
                    client,
                    agent,
                    reassociation,
                }));
            }
            ClientEvent::Authorized => {
                if let Some(station) = station.filter(|s| s.sta == client) {
                    c.station = Some(station);
                }
                out.push(Output::Event(ControllerEvent::ClientAuthorized {
                    client,
                    agent,
                }));
            }
            ClientEvent::Left { reason } => {
                c.station = None;
                // A client that said goodbye (deauthentication), stopped
                // answering or never associated is gone: its LVAP goes too
                // (it would beacon for nobody and take an interface). Its
                // BSSID stays its own; when it comes back it is placed
                // again. A disassociated client is still authenticated and
                // usually reassociates: its LVAP stays.
                let gone = matches!(
                    reason,
                    LeaveReason::Deauthenticated | LeaveReason::Inactive | LeaveReason::AuthTimeout
                );
                let active_here = c
                    .lvap
                    .as_ref()
                    .is_some_and(|l| l.at.agent == agent && l.state == LvapState::Active);
                out.push(Output::Event(ControllerEvent::ClientLeft {
                    client,
                    agent: agent.clone(),
                    reason,
                }));
                if gone && active_here {
                    c.lvap = None;
                    drop(c);
                    tracing::info!(%client, %agent, %bssid, ?reason, "client gone: its LVAP is removed");
                    self.cleanup_remove(&agent, client, bssid, None, now, out);
                }
            }
        }
    }

    /// Statistics from an agent.
    fn stats(
        &mut self,
        agent: &str,
        clients: Vec<ClientStats>,
        radios: Vec<RadioStats>,
        drops: Vec<DropCount>,
        now: Instant,
    ) {
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        for DropCount { cause, frames } in drops {
            // A count that went down: the agent started again from zero.
            let last = a.drops_reported.get(&cause).copied().unwrap_or(0);
            let grown = if frames >= last {
                frames - last
            } else {
                frames
            };
            if grown > 0 {
                *a.frames_dropped.entry(cause.clone()).or_default() += grown;
            }
            a.drops_reported.insert(cause, frames);
        }
        for stats in radios {
            match a.radios.get_mut(&stats.radio) {
                Some(radio) => {
                    radio.info.channel = stats.channel;
                    radio.stats = Some((stats, now));
                }
                None => {
                    self.counters.unknown_radios += 1;
                    self.counters.protocol_errors += 1;
                }
            }
        }
        // One key per radio of the message, cloned only into a client that
        // has none for it yet: a message carries a hundred clients or so,
        // and thousands come every second.
        let refs: BTreeMap<RadioIndex, RadioRef> = a
            .radios
            .keys()
            .map(|radio| {
                let at = RadioRef {
                    agent: agent.to_owned(),
                    radio: *radio,
                };
                (*radio, at)
            })
            .collect();
        for stats in clients {
            let Some(at) = refs.get(&stats.radio) else {
                self.counters.unknown_radios += 1;
                self.counters.protocol_errors += 1;
                continue;
            };
            // Only clients already known: statistics do not create clients.
            let Some(mut c) = self.clients.get_mut(&stats.client) else {
                continue;
            };
            if let Some(signal_dbm) = stats.signal_dbm {
                let heard = super::Heard {
                    signal_dbm,
                    at: now.saturating_sub(std::time::Duration::from_millis(stats.inactive_ms)),
                };
                match c.signals.get_mut(at) {
                    Some(old) if old.at < heard.at => *old = heard,
                    Some(_) => {}
                    None => {
                        c.signals.insert(at.clone(), heard);
                    }
                }
            }
            match c.stats.get_mut(at) {
                Some(old) => *old = (stats, now),
                None => {
                    c.stats.insert(at.clone(), (stats, now));
                }
            }
        }
    }
}

/// The fate of a reported LVAP.
#[derive(Clone)]
enum Verdict {
    Kept,
    Adopted,
    /// Adopted from an agent whose copy is authorized, in place of an
    /// unauthorized copy adopted earlier from `old` (which goes).
    TakenOver {
        old: RadioRef,
    },
    /// Adopted from an agent whose copy is authorized, while a placement
    /// of the client on `old` was under way (the client probed another
    /// agent first after a controller restart): the placement is
    /// abandoned and what it made at `old` removed.
    PlacementAbandoned {
        old: RadioRef,
    },
    Remove {
        place_elsewhere: bool,
    },
}
