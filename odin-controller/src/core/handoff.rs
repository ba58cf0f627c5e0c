//! The handoff orchestrator: moves a client's LVAP from one agent to
//! another, one handoff per client at a time.
//!
//! Steps, each acknowledged by the matching `Result` and bounded by
//! `step_timeout`:
//!
//! 1. `ExportLvap` at the source; the answer carries the station state.
//! 2. `AddLvap` at the target with that state (not authorized).
//! 3. and 4., **the switch**, sent together: `RemoveLvap { deauthenticate:
//!    false }` at the source and `AuthorizeLvap` at the target, both for
//!    the same moment (`at`, a [`odin_proto::msg::SwitchTime`] a little
//!    more than the slower agent's round trip ahead, when the controller
//!    knows the wall clock), so that the source stops forwarding the
//!    client's frames when the target starts: neither both (duplicates)
//!    nor none (losses) for longer than the agents' clocks and radios
//!    disagree. Across channels, the source's removal carries a Channel
//!    Switch Announcement: it tells the client to move and goes a few
//!    beacons later.
//!
//! Waiting for the removal's answer before sending the authorization (as
//! this module did first) left the client unserved for that round trip
//! plus the target's reaction: 35-40 ms in the emulated VM, two or three
//! pings lost per migration at one every 10 ms (BENCHMARKS.md).
//!
//! The handoff waits on the removal (step 3); the authorization's answer
//! is kept until then (or the request adopted as step 4 if still
//! pending). The registry names the source as the LVAP's host until step
//! 3 is acknowledged, the target afterwards. A failure on either side
//! undoes the switch so that exactly one agent serves the client.
//!
//! # Failures
//!
//! * Step 1 fails or times out: nothing changed (an export only reads);
//!   the source keeps serving.
//! * Step 2 fails or times out: `RemoveLvap` at the target (it may have
//!   half-created the LVAP; it never authorized it); the source keeps
//!   serving.
//! * Step 3 answered `Failed`: the source says it still serves (agents
//!   answer `Done` to the removal of an LVAP they do not host, so a
//!   failure means it is still there); the target's copy (authorized by
//!   the switch, or not) is removed; the source keeps serving. Step 3 timed out: the source's
//!   state is unknown (removed, or still serving authorized), so neither
//!   rolling back (the re-add could duplicate a live LVAP) nor authorizing
//!   the target (two authorized) is safe. The removal is sent again
//!   (`step_retries` times; removal is idempotent); when every retry
//!   timed out the source is declared down (`Unresponsive`: its session
//!   is closed) and the handoff finishes forward at the target. A source
//!   that comes back reconciles at its hello: the registry places the
//!   client on the target, so the source's copy is removed.
//! * Step 4 answered `Failed`: the target's copy (unauthorized) is
//!   removed, the LVAP is re-created at the source with the station state
//!   and authorized there. Step 4 timed out: the target may or may not
//!   have authorized, so the authorization is retried (it is idempotent);
//!   when every retry timed out the target is declared down and the same
//!   rollback restores the source.
//! * The rollback's own authorization at the source is retried the same
//!   way. When a rollback cannot restore the source (it fails or the
//!   source is down), the client is handed to placement: the best other
//!   agent that heard it gets the LVAP with the station state, or it waits
//!   to be heard again.
//!
//! # An agent going down mid-way
//!
//! The handoff finishes toward the side that is up. The source lost
//! before step 3 is acknowledged: the target becomes the host at once,
//! finishes adding the LVAP (with the exported state, or the state cached
//! from the client's last `Authorized` event when the export never came)
//! and authorizes it. The target lost: before step 3 the source keeps
//! serving; while step 3 is in flight the handoff waits for its answer
//! (a removed source is restored); after it, the source is restored. Both
//! lost: the client is handed to placement.
//!
//! A handoff to the agent that serves the client already completes at once
//! with [`super::CommandOk::AlreadyServing`]; to an unknown or down agent,
//! or a radio without room, it is refused; for a client that is being
//! placed or moved, it is refused with the running handoff's id.

use odin_proto::msg::{ChannelAnnouncement, ControllerMsg, RadioIndex, RequestId, SwitchTime};
use odin_proto::{MacAddr, StationState};

use super::api::{
    CommandError, CommandId, CommandOk, ControllerEvent, DownReason, HandoffId, HandoffStep,
    Origin, Output, RadioRef, Rollback, StepDurations,
};
use super::registry::{Lvap, LvapState};
use super::time::Instant;
use super::{Answer, Controller, Purpose};
use std::time::Duration;

/// Where a handoff stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Step 1 sent.
    Export,
    /// Step 2 sent.
    AddAtTarget,
    /// Step 3 sent.
    RemoveAtSource,
    /// Step 4 sent.
    AuthorizeAtTarget,
    /// Rollback: `AddLvap` with the station sent to the source.
    RestoreAtSource,
    /// Rollback: `AuthorizeLvap` sent to the source.
    AuthorizeAtSource,
}

/// A running handoff.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    /// Its id.
    pub id: HandoffId,
    /// The command that asked for it.
    pub command: CommandId,
    /// The client.
    pub client: MacAddr,
    /// The client's BSSID.
    pub bssid: MacAddr,
    /// Where the LVAP was.
    pub source: RadioRef,
    /// Where it goes.
    pub target: RadioRef,
    /// Why.
    pub cause: String,
    /// Who asked.
    pub by: Origin,
    /// Where it stands.
    pub phase: Phase,
    /// When it started.
    pub started: Instant,
    /// When the current step was first sent.
    pub phase_started: Instant,
    /// Retries of the current step so far.
    pub attempt: u32,
    /// Durations of the steps done.
    pub durations: StepDurations,
    /// The station state (exported, or cached when the source was lost).
    pub station: Option<StationState>,
    /// The registry names the target as host.
    pub moved: bool,
    /// The source went down.
    pub source_lost: bool,
    /// The target went down.
    pub target_lost: bool,
    /// During a rollback: the step that failed and why.
    pub failure: Option<(HandoffStep, String)>,
    /// The request the current step waits on.
    pub(crate) request: RequestId,
    /// The switch's authorization at the target, sent with step 3.
    pub(crate) switch_authorize: Option<RequestId>,
    /// Its answer and when it came, when before step 3's.
    pub(crate) switch_answer: Option<(Answer, Instant)>,
    /// The first attempt of steps 3 and 4 is for these moments (source,
    /// target); retries are carried out on receipt.
    pub(crate) switch_at: Option<(SwitchTime, SwitchTime)>,
    /// A cross-channel migration: what the source tells the client.
    pub announce: Option<ChannelAnnouncement>,
}

impl Handoff {
    /// Whether the handoff holds a slot on the source radio (after the
    /// target became the host, while a rollback may bring it back).
    pub fn reserves_source(&self) -> bool {
        self.moved && !self.source_lost
    }

    /// Whether the handoff holds a slot on the target radio (before the
    /// target became the host, while the target may still take it).
    pub fn reserves_target(&self) -> bool {
        !self.moved
            && !self.target_lost
            && matches!(
                self.phase,
                Phase::Export | Phase::AddAtTarget | Phase::RemoveAtSource
            )
    }
}

impl Controller {
    /// Validates and starts a handoff; `None` when it started (its result
    /// comes when it ends).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_handoff(
        &mut self,
        command: CommandId,
        client: MacAddr,
        to_agent: String,
        to_radio: Option<RadioIndex>,
        cause: String,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<Result<CommandOk, CommandError>> {
        let (lvap, bssid) = match self.active_lvap(client) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        let Some(target_agent) = self.agents.get(&to_agent) else {
            return Some(Err(CommandError::UnknownAgent(to_agent)));
        };
        if !target_agent.up {
            return Some(Err(CommandError::AgentDown(to_agent)));
        }
        if to_agent == lvap.at.agent {
            return Some(match to_radio {
                None => Ok(CommandOk::AlreadyServing),
                Some(r) if r == lvap.at.radio => Ok(CommandOk::AlreadyServing),
                Some(_) => Err(CommandError::SameAgent),
            });
        }
        if !self.is_up(&lvap.at.agent) {
            return Some(Err(CommandError::AgentDown(lvap.at.agent)));
        }
        let target = match to_radio {
            Some(radio) => {
                let at = RadioRef {
                    agent: to_agent.clone(),
                    radio,
                };
                if !target_agent.radios.contains_key(&radio) {
                    return Some(Err(CommandError::UnknownRadio(at)));
                }
                if !self.has_room(&at) {
                    return Some(Err(CommandError::NoCapacity(at.to_string())));
                }
                at
            }
            None => match self.best_radio_of(&to_agent, client, now) {
                Some(at) => at,
                None => return Some(Err(CommandError::NoCapacity(to_agent))),
            },
        };
        let id = HandoffId(self.next_handoff);
        self.next_handoff += 1;
        tracing::info!(%client, from = %lvap.at, to = %target, %cause, "handoff started");
        out.push(Output::Event(ControllerEvent::HandoffStarted {
            handoff: id,
            command,
            client,
            from: lvap.at.clone(),
            to: target.clone(),
            cause: cause.clone(),
            by: self.origin.clone(),
        }));
        let handoff = Handoff {
            id,
            command,
            client,
            bssid,
            source: lvap.at.clone(),
            target,
            cause,
            by: self.origin.clone(),
            phase: Phase::Export,
            started: now,
            phase_started: now,
            attempt: 0,
            durations: StepDurations::default(),
            station: None,
            moved: false,
            source_lost: false,
            target_lost: false,
            failure: None,
            request: 0,
            switch_authorize: None,
            switch_answer: None,
            switch_at: None,
            announce: None,
        };
        self.handoffs.insert(client, handoff);
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = Some(Lvap {
                at: lvap.at,
                state: LvapState::Migrating(id),
            });
        }
        if !self.step(client, Phase::Export, now, out) {
            self.fail(
                client,
                HandoffStep::Export,
                "the source could not be asked".into(),
                Rollback::Nothing,
                now,
                out,
            );
        }
        None
    }

    /// The radio of `agent` with room that heard `client` best recently,
    /// else its first radio with room.
    fn best_radio_of(&self, agent: &str, client: MacAddr, now: Instant) -> Option<RadioRef> {
        let since = now.saturating_sub(self.config.signal_max_age);
        let radios = &self.agents.get(agent)?.radios;
        let signal = |radio: RadioIndex| -> Option<i8> {
            let at = RadioRef {
                agent: agent.to_owned(),
                radio,
            };
            let heard = self.clients.get(&client)?.signals.get(&at)?;
            (heard.at >= since).then_some(heard.signal_dbm)
        };
        radios
            .keys()
            .map(|radio| RadioRef {
                agent: agent.to_owned(),
                radio: *radio,
            })
            .filter(|at| self.has_room(at))
            .max_by(|a, b| {
                signal(a.radio)
                    .cmp(&signal(b.radio))
                    .then(b.radio.cmp(&a.radio))
            })
    }

    /// Sends the command of `phase` (first attempt) and waits on it.
    fn step(&mut self, client: MacAddr, phase: Phase, now: Instant, out: &mut Vec<Output>) -> bool {
        if let Some(h) = self.handoffs.get_mut(&client) {
            h.phase = phase;
            h.phase_started = now;
            h.attempt = 0;
        }
        self.send_step(client, now, out)
    }

    /// Sends (again) the command of the current phase.
    fn send_step(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) -> bool {
        let Some(h) = self.handoffs.get(&client) else {
            return false;
        };
        let bssid = h.bssid;
        let station = h.station.clone();
        let (agent, msg): (String, Box<dyn FnOnce(RequestId) -> ControllerMsg>) = match h.phase {
            Phase::Export => (
                h.source.agent.clone(),
                Box::new(move |id| ControllerMsg::ExportLvap { id, bssid }),
            ),
            Phase::AddAtTarget => {
                let lvap = self.lvap_spec(client, bssid, h.target.radio);
                (
                    h.target.agent.clone(),
                    Box::new(move |id| ControllerMsg::AddLvap { id, lvap, station }),
                )
            }
            Phase::RemoveAtSource => {
                let at = h.switch_at.filter(|_| h.attempt == 0).map(|(s, _)| s);
                let announce = h.announce;
                (
                    h.source.agent.clone(),
                    Box::new(move |id| ControllerMsg::RemoveLvap {
                        id,
                        bssid,
                        deauthenticate: false,
                        at,
                        announce,
                    }),
                )
            }
            Phase::AuthorizeAtTarget => (
                h.target.agent.clone(),
                Box::new(move |id| ControllerMsg::AuthorizeLvap {
                    id,
                    bssid,
                    at: None,
                    arriving: false,
                }),
            ),
            Phase::RestoreAtSource => {
                let lvap = self.lvap_spec(client, bssid, h.source.radio);
                (
                    h.source.agent.clone(),
                    Box::new(move |id| ControllerMsg::AddLvap { id, lvap, station }),
                )
            }
            Phase::AuthorizeAtSource => (
                h.source.agent.clone(),
                Box::new(move |id| ControllerMsg::AuthorizeLvap {
                    id,
                    bssid,
                    at: None,
                    arriving: false,
                }),
            ),
        };
        let Some(request) = self.request(&agent, Purpose::Handoff { client }, now, out, msg) else {
            return false;
        };
        if let Some(h) = self.handoffs.get_mut(&client) {
            h.request = request;
        }
        true
    }

    /// Records the current step as done.
    fn step_done(
        &mut self,
        client: MacAddr,
        step: HandoffStep,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(h) = self.handoffs.get_mut(&client) else {
            return;
        };
        let micros = now.micros_since(h.phase_started);
        match step {
            HandoffStep::Export => h.durations.export_us = Some(micros),
            HandoffStep::AddAtTarget => h.durations.add_us = Some(micros),
            HandoffStep::RemoveAtSource => h.durations.remove_us = Some(micros),
            // Answered before the removal (the switch): timed then.
            HandoffStep::AuthorizeAtTarget => {
                h.durations.authorize_us.get_or_insert(micros);
            }
        }
        out.push(Output::Event(ControllerEvent::HandoffStepDone {
            handoff: h.id,
            step,
            micros,
        }));
    }

    /// Names `at` the host of the migrating LVAP.
    fn host(&mut self, client: MacAddr, on_target: bool) {
        let Some(h) = self.handoffs.get_mut(&client) else {
            return;
        };
        h.moved = on_target;
        let at = if on_target {
            h.target.clone()
        } else {
            h.source.clone()
        };
        let id = h.id;
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = Some(Lvap {
                at,
                state: LvapState::Migrating(id),
            });
        }
    }

    /// The answer to the current step of a client's handoff.
    pub(crate) fn handoff_answer(
        &mut self,
        client: MacAddr,
        answer: Answer,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(h) = self.handoffs.get(&client) else {
            return;
        };
        if answer == Answer::AgentLost {
            // Agent loss is handled per handoff by `handoff_agent_lost`.
            return;
        }
        let phase = h.phase;
        let attempt = h.attempt;
        let retries = self.config.step_retries;
        let source = h.source.agent.clone();
        let target = h.target.agent.clone();
        let reason = answer.reason();
        let bssid = h.bssid;
        let source_lost = h.source_lost;
        let target_lost = h.target_lost;
        match phase {
            Phase::Export => match answer {
                Answer::Station(station) => {
                    self.step_done(client, HandoffStep::Export, now, out);
                    if let Some(h) = self.handoffs.get_mut(&client) {
                        h.station = Some(*station);
                    }
                    self.forward(client, Phase::AddAtTarget, now, out);
                }
                Answer::Done => self.fail(
                    client,
                    HandoffStep::Export,
                    "the export carried no station state".into(),
                    Rollback::Nothing,
                    now,
                    out,
                ),
                _ => self.fail(
                    client,
                    HandoffStep::Export,
                    reason,
                    Rollback::Nothing,
                    now,
                    out,
                ),
            },
            Phase::AddAtTarget => {
                if answer.is_success() {
                    self.step_done(client, HandoffStep::AddAtTarget, now, out);
                    let (source_lost, has_station) = self
                        .handoffs
                        .get(&client)
                        .map_or((true, false), |h| (h.source_lost, h.station.is_some()));
                    match (source_lost, has_station) {
                        (false, _) => self.switch(client, now, out),
                        (true, true) => self.forward(client, Phase::AuthorizeAtTarget, now, out),
                        // A fresh LVAP: the client associates anew.
                        (true, false) => self.complete(client, now, out),
                    }
                    return;
                }
                self.cleanup_remove(&target, client, bssid, None, now, out);
                let rollback = if source_lost {
                    Rollback::Replaced
                } else {
                    Rollback::RemovedAtTarget
                };
                self.fail(client, HandoffStep::AddAtTarget, reason, rollback, now, out);
            }
            Phase::RemoveAtSource => match answer {
                Answer::Done | Answer::Station(_) => {
                    self.step_done(client, HandoffStep::RemoveAtSource, now, out);
                    if target_lost {
                        self.drop_switch_authorize(client);
                        self.set_failure(client, HandoffStep::RemoveAtSource, "target down");
                        self.restore_source(client, now, out);
                    } else {
                        self.host(client, true);
                        self.authorize_after_removal(client, now, out);
                    }
                }
                Answer::Failed(_) => {
                    self.drop_switch_authorize(client);
                    if !target_lost {
                        self.cleanup_remove(&target, client, bssid, None, now, out);
                    }
                    let step = HandoffStep::RemoveAtSource;
                    self.fail(client, step, reason, Rollback::RemovedAtTarget, now, out);
                }
                Answer::Timeout | Answer::AgentLost => {
                    self.retry_or_down(client, attempt, retries, &source, now, out);
                }
            },
            Phase::AuthorizeAtTarget => match answer {
                Answer::Done | Answer::Station(_) => {
                    self.step_done(client, HandoffStep::AuthorizeAtTarget, now, out);
                    self.complete(client, now, out);
                }
                Answer::Failed(_) => {
                    self.cleanup_remove(&target, client, bssid, None, now, out);
                    self.set_failure(client, HandoffStep::AuthorizeAtTarget, &reason);
                    self.restore_source(client, now, out);
                }
                Answer::Timeout | Answer::AgentLost => {
                    self.retry_or_down(client, attempt, retries, &target, now, out);
                }
            },
            Phase::RestoreAtSource => {
                if answer.is_success() {
                    self.forward(client, Phase::AuthorizeAtSource, now, out);
                } else {
                    self.cleanup_remove(&source, client, bssid, None, now, out);
                    self.fail_rollback(client, &reason, now, out);
                }
            }
            Phase::AuthorizeAtSource => match answer {
                Answer::Done | Answer::Station(_) => {
                    let (step, why) = self.failure_of(client);
                    self.fail(client, step, why, Rollback::RestoredAtSource, now, out);
                }
                Answer::Failed(_) => {
                    self.cleanup_remove(&source, client, bssid, None, now, out);
                    self.fail_rollback(client, &reason, now, out);
                }
                Answer::Timeout | Answer::AgentLost => {
                    self.retry_or_down(client, attempt, retries, &source, now, out);
                }
            },
        }
    }

    /// Steps 3 and 4 together: the removal at the source (the step the
    /// handoff waits on) and the authorization at the target, for the
    /// same moment when the wall clock is known.
    fn switch(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        let Some(h) = self.handoffs.get(&client) else {
            return;
        };
        let (source, target, bssid) = (h.source.clone(), h.target.clone(), h.bssid);
        let channel = |at: &RadioRef| {
            self.agents
                .get(&at.agent)
                .and_then(|a| a.radios.get(&at.radio))
                .map(|r| r.info.channel)
        };
        let announce = match (channel(&source), channel(&target)) {
            (Some(from), Some(to)) if from != to => Some(ChannelAnnouncement {
                channel: to,
                count: self.config.channel_switch_count,
            }),
            _ => None,
        };
        let rtt = |agent: &str| self.agents.get(agent).map_or(0, |a| a.round_trip_us);
        let lead = Duration::from_micros(rtt(&source.agent).max(rtt(&target.agent)) * 3 / 2)
            .clamp(self.config.switch_lead_min, self.config.switch_lead_max);
        let sequential = self.config.sequential_switch;
        let switch_at = self
            .config
            .clock_origin_unix_us
            .filter(|_| !sequential)
            .map(|origin| {
                let at = origin + (now + lead).micros();
                let delay = u64::try_from(self.config.switch_target_delay.as_micros()).unwrap_or(0);
                (SwitchTime(at), SwitchTime(at + delay))
            });
        if let Some(h) = self.handoffs.get_mut(&client) {
            h.announce = announce;
            h.switch_at = switch_at;
            if switch_at.is_some() {
                h.durations.switch_lead_us = u64::try_from(lead.as_micros()).ok();
            }
        }
        tracing::debug!(%client, ?switch_at, ?announce, "switch");
        // The removal first: it is what the handoff waits on (a source that
        // cannot be asked ends the handoff).
        self.forward(client, Phase::RemoveAtSource, now, out);
        if sequential || !self.handoffs.contains_key(&client) {
            // Sequential: step 4 once step 3 is answered
            // (`authorize_after_removal`).
            return;
        }
        let at = switch_at.map(|(_, t)| t);
        let purpose = Purpose::SwitchAuthorize { client };
        let request = self.request(&target.agent, purpose, now, out, |id| {
            ControllerMsg::AuthorizeLvap {
                id,
                bssid,
                at,
                arriving: announce.is_some(),
            }
        });
        if let Some(h) = self.handoffs.get_mut(&client) {
            h.switch_authorize = request;
        }
        // The agents wait for the moment before answering: the wait is not
        // their round trip (else the lead would feed on itself).
        if switch_at.is_some() {
            let held = u64::try_from(lead.as_micros()).unwrap_or(0);
            let remove = self.handoffs.get(&client).map(|h| h.request);
            for id in [remove, request].into_iter().flatten() {
                if let Some(p) = self.pending.get_mut(&id) {
                    p.held_us = held;
                }
            }
        }
    }

    /// The answer to the switch's authorization, kept until the removal's.
    pub(crate) fn switch_authorize_answer(
        &mut self,
        client: MacAddr,
        answer: Answer,
        now: Instant,
    ) {
        if let Some(h) = self.handoffs.get_mut(&client) {
            if h.phase == Phase::RemoveAtSource && h.switch_authorize.is_some() {
                h.switch_authorize = None;
                h.switch_answer = Some((answer, now));
            }
        }
    }

    /// Forgets the switch's authorization (its answer, if it comes, is
    /// ignored).
    fn drop_switch_authorize(&mut self, client: MacAddr) {
        if let Some(h) = self.handoffs.get_mut(&client) {
            h.switch_answer = None;
            if let Some(id) = h.switch_authorize.take() {
                self.pending.remove(&id);
            }
        }
    }

    /// The source no longer serves (step 3 acknowledged, or the source is
    /// down): step 4 is the switch's authorization, answered already,
    /// still pending (adopted as the step), or sent now.
    fn authorize_after_removal(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        let Some(h) = self.handoffs.get_mut(&client) else {
            return;
        };
        let answered = h.switch_answer.take();
        let pending = h.switch_authorize.take();
        if let Some((answer, at)) = answered {
            // As if sent as step 4 when the switch was, and answered then.
            h.phase = Phase::AuthorizeAtTarget;
            h.attempt = 0;
            if answer.is_success() {
                h.durations.authorize_us = Some(at.micros_since(h.phase_started));
            }
            self.handoff_answer(client, answer, now, out);
            return;
        }
        if let Some(id) = pending.filter(|id| self.pending.contains_key(id)) {
            h.phase = Phase::AuthorizeAtTarget;
            h.attempt = 0;
            h.request = id;
            if let Some(p) = self.pending.get_mut(&id) {
                p.purpose = Purpose::Handoff { client };
            }
            return;
        }
        self.forward(client, Phase::AuthorizeAtTarget, now, out);
    }

    /// Goes on to `phase`; if its agent cannot be asked, gives the client
    /// to placement.
    fn forward(&mut self, client: MacAddr, phase: Phase, now: Instant, out: &mut Vec<Output>) {
        if !self.step(client, phase, now, out) {
            let step = match phase {
                Phase::Export => HandoffStep::Export,
                Phase::AddAtTarget => HandoffStep::AddAtTarget,
                Phase::RemoveAtSource => HandoffStep::RemoveAtSource,
                Phase::AuthorizeAtTarget | Phase::RestoreAtSource | Phase::AuthorizeAtSource => {
                    HandoffStep::AuthorizeAtTarget
                }
            };
            let (step, why) = match self.handoffs.get(&client).and_then(|h| h.failure.clone()) {
                Some(failure) => failure,
                None => (step, "the agent could not be asked".into()),
            };
            self.fail(client, step, why, Rollback::Replaced, now, out);
        }
    }

    /// Sends a timed-out step again, or declares its agent unresponsive.
    fn retry_or_down(
        &mut self,
        client: MacAddr,
        attempt: u32,
        retries: u32,
        agent: &str,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if attempt < retries {
            if let Some(h) = self.handoffs.get_mut(&client) {
                h.attempt += 1;
            }
            if self.send_step(client, now, out) {
                return;
            }
        }
        tracing::warn!(%client, %agent, "handoff step unanswered: agent declared unresponsive");
        match self.agents.get(agent).and_then(|a| a.session) {
            // Closing the session resolves this handoff through
            // `handoff_agent_lost`.
            Some(session) => self.end_session(session, DownReason::Unresponsive, now, out),
            None => self.handoff_agent_lost(client, agent, now, out),
        }
    }

    fn set_failure(&mut self, client: MacAddr, step: HandoffStep, why: &str) {
        if let Some(h) = self.handoffs.get_mut(&client) {
            if h.failure.is_none() {
                h.failure = Some((step, why.to_owned()));
            }
        }
    }

    fn failure_of(&self, client: MacAddr) -> (HandoffStep, String) {
        self.handoffs
            .get(&client)
            .and_then(|h| h.failure.clone())
            .unwrap_or((HandoffStep::AuthorizeAtTarget, "unknown".into()))
    }

    /// Rolls back to the source: re-creates and authorizes the LVAP there,
    /// or, when the source is gone, hands the client to placement.
    fn restore_source(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        let Some(h) = self.handoffs.get(&client) else {
            return;
        };
        if h.source_lost || !self.is_up(&h.source.agent) || h.station.is_none() {
            self.fail_rollback(client, "the source cannot take it back", now, out);
            return;
        }
        self.host(client, false);
        self.forward(client, Phase::RestoreAtSource, now, out);
    }

    /// A rollback could not restore the source: placement takes over.
    fn fail_rollback(&mut self, client: MacAddr, why: &str, now: Instant, out: &mut Vec<Output>) {
        let (step, first) = self.failure_of(client);
        let reason = format!("{first}; rollback: {why}");
        let Some(h) = self.finish(client) else {
            return;
        };
        report_failure(&h, step, reason, Rollback::Replaced, out);
        // Both sides failed or went down.
        self.reserve(client, &[&h.source.agent, &h.target.agent], now, out);
    }

    /// Ends a failed handoff.
    fn fail(
        &mut self,
        client: MacAddr,
        step: HandoffStep,
        reason: String,
        rollback: Rollback,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(h) = self.finish(client) else {
            return;
        };
        report_failure(&h, step, reason, rollback.clone(), out);
        match rollback {
            Rollback::Nothing | Rollback::RemovedAtTarget | Rollback::RestoredAtSource => {
                if let Some(mut c) = self.clients.get_mut(&client) {
                    c.lvap = Some(Lvap {
                        at: h.source.clone(),
                        state: LvapState::Active,
                    });
                }
            }
            Rollback::Replaced => {
                // The source is down; the target failed or is down too.
                self.reserve(client, &[&h.target.agent], now, out);
            }
        }
    }

    /// Removes a handoff and its pending request; keeps its (fresher)
    /// station state.
    fn finish(&mut self, client: MacAddr) -> Option<Handoff> {
        self.drop_switch_authorize(client);
        let h = self.handoffs.remove(&client)?;
        self.pending.remove(&h.request);
        if let (Some(mut c), Some(station)) = (self.clients.get_mut(&client), h.station.clone()) {
            c.station = Some(station);
        }
        Some(h)
    }

    /// Ends a successful handoff: the target serves the client.
    fn complete(&mut self, client: MacAddr, now: Instant, out: &mut Vec<Output>) {
        self.drop_switch_authorize(client);
        let Some(mut h) = self.handoffs.remove(&client) else {
            return;
        };
        self.pending.remove(&h.request);
        h.durations.total_us = now.micros_since(h.started);
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = Some(Lvap {
                at: h.target.clone(),
                state: LvapState::Active,
            });
            if h.station.is_some() {
                c.station = h.station.clone();
            }
        }
        tracing::info!(%client, from = %h.source, to = %h.target, total_us = h.durations.total_us, "handoff completed");
        out.push(Output::Event(ControllerEvent::HandoffCompleted {
            handoff: h.id,
            client,
            from: h.source.clone(),
            to: h.target.clone(),
            durations: h.durations,
            cause: h.cause.clone(),
            by: h.by.clone(),
        }));
        out.push(Output::Event(ControllerEvent::CommandResult {
            id: h.command,
            result: Ok(CommandOk::HandoffCompleted {
                handoff: h.id,
                durations: h.durations,
            }),
        }));
    }

    /// `agent` (the source or the target of the client's handoff) went
    /// down; its requests are already gone.
    pub(crate) fn handoff_agent_lost(
        &mut self,
        client: MacAddr,
        agent: &str,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let Some(h) = self.handoffs.get(&client) else {
            return;
        };
        let is_source = h.source.agent == agent;
        let phase = h.phase;
        if is_source {
            if let Some(h) = self.handoffs.get_mut(&client) {
                h.source_lost = true;
            }
            match phase {
                Phase::Export => {
                    // Finish at the target with the last known state.
                    let cached = self.clients.get(&client).and_then(|c| c.station.clone());
                    if let Some(h) = self.handoffs.get_mut(&client) {
                        h.station = cached;
                    }
                    self.host(client, true);
                    self.forward(client, Phase::AddAtTarget, now, out);
                }
                Phase::AddAtTarget => self.host(client, true),
                Phase::RemoveAtSource => {
                    let target_lost = self.handoffs.get(&client).is_some_and(|h| h.target_lost);
                    if target_lost {
                        self.set_failure(client, HandoffStep::RemoveAtSource, "both agents down");
                        self.fail_rollback(client, "the source is down", now, out);
                    } else {
                        self.host(client, true);
                        self.authorize_after_removal(client, now, out);
                    }
                }
                Phase::AuthorizeAtTarget => {}
                Phase::RestoreAtSource | Phase::AuthorizeAtSource => {
                    self.fail_rollback(client, "the source went down", now, out);
                }
            }
        } else {
            if let Some(h) = self.handoffs.get_mut(&client) {
                h.target_lost = true;
            }
            let source_lost = self.handoffs.get(&client).is_some_and(|h| h.source_lost);
            match phase {
                Phase::Export => {
                    self.fail(
                        client,
                        HandoffStep::Export,
                        "target down".into(),
                        Rollback::Nothing,
                        now,
                        out,
                    );
                }
                Phase::AddAtTarget => {
                    let rollback = if source_lost {
                        Rollback::Replaced
                    } else {
                        Rollback::Nothing
                    };
                    let reason = if source_lost {
                        "both agents down"
                    } else {
                        "target down"
                    };
                    self.fail(
                        client,
                        HandoffStep::AddAtTarget,
                        reason.into(),
                        rollback,
                        now,
                        out,
                    );
                }
                // Wait for the source's answer: a removed source is restored.
                Phase::RemoveAtSource => {}
                Phase::AuthorizeAtTarget => {
                    self.set_failure(client, HandoffStep::AuthorizeAtTarget, "target down");
                    self.restore_source(client, now, out);
                }
                Phase::RestoreAtSource | Phase::AuthorizeAtSource => {}
            }
        }
    }
}

fn report_failure(
    h: &Handoff,
    step: HandoffStep,
    reason: String,
    rollback: Rollback,
    out: &mut Vec<Output>,
) {
    tracing::warn!(client = %h.client, %step, %reason, ?rollback, "handoff failed");
    out.push(Output::Event(ControllerEvent::HandoffFailed {
        handoff: h.id,
        client: h.client,
        step,
        reason: reason.clone(),
        rollback: rollback.clone(),
        by: h.by.clone(),
    }));
    out.push(Output::Event(ControllerEvent::CommandResult {
        id: h.command,
        result: Err(CommandError::HandoffFailed {
            handoff: h.id,
            step,
            reason,
            rollback,
        }),
    }));
}
