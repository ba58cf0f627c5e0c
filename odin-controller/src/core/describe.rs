//! Events in words and as records: one line for a person, a kind and
//! the client and agent it concerns for the event history.

use std::fmt;

use odin_proto::MacAddr;

use serde_json::{json, Value};

use super::api::{ControllerEvent, StepDurations};

impl fmt::Display for ControllerEvent {
    /// One line for a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = match self {
        ControllerEvent::AgentUp {
            agent,
            software,
            radios,
        } => {
            let radios: Vec<String> = radios
                .iter()
                .map(|r| {
                    format!(
                        "{} {} ch {} max {} LVAPs",
                        r.name, r.addr, r.channel, r.max_lvaps
                    )
                })
                .collect();
            format!("agent {agent} up ({software}): {}", radios.join(", "))
        }
        ControllerEvent::AgentDown { agent, reason } => format!("agent {agent} down: {reason}"),
        ControllerEvent::Reconciled {
            agent,
            kept,
            adopted,
            removed,
            re_added,
        } => format!(
            "agent {agent} reconciled: {kept} kept, {adopted} adopted, {removed} removed, {re_added} re-added"
        ),
        ControllerEvent::ClientHeard {
            client,
            at,
            signal_dbm,
        } => format!("client {client} heard by {at} at {signal_dbm} dBm"),
        ControllerEvent::LvapPlaced { client, bssid, at } => {
            format!("LvapPlaced client {client} bssid {bssid} at {at}")
        }
        ControllerEvent::PlacementFailed { client, reason } => {
            format!("placement of client {client} failed: {reason}")
        }
        ControllerEvent::LvapOrphaned { client, bssid } => {
            format!("LVAP {bssid} of client {client} orphaned (its agent is gone)")
        }
        ControllerEvent::ClientJoined {
            client,
            agent,
            reassociation,
        } => format!(
            "client {client} {} at {agent}",
            if *reassociation {
                "reassociated"
            } else {
                "associated"
            }
        ),
        ControllerEvent::ClientAuthorized { client, agent } => {
            format!("client {client} authorized at {agent}")
        }
        ControllerEvent::ClientLeft {
            client,
            agent,
            reason,
        } => format!("client {client} left {agent}: {reason:?}"),
        ControllerEvent::HandoffStarted {
            handoff,
            client,
            from,
            to,
            cause,
            by,
            ..
        } => format!(
            "handoff {} of client {client} from {from} to {to} started by {by} ({cause})",
            handoff.0
        ),
        ControllerEvent::HandoffStepDone {
            handoff,
            step,
            micros,
        } => format!("handoff {} step {step} done in {micros} µs", handoff.0),
        ControllerEvent::HandoffCompleted {
            handoff,
            client,
            from,
            to,
            durations,
            ..
        } => {
            let steps = [
                ("export", durations.export_us),
                ("add", durations.add_us),
                ("remove", durations.remove_us),
                ("authorize", durations.authorize_us),
                ("switch lead", durations.switch_lead_us),
            ]
            .iter()
            .map(|(step, us)| match us {
                Some(us) => format!("{step} {us} µs"),
                None => format!("{step} -"),
            })
            .collect::<Vec<_>>()
            .join(", ");
            format!(
                "handoff {} of client {client} from {from} to {to} completed in {} µs ({steps})",
                handoff.0, durations.total_us
            )
        }
        ControllerEvent::HandoffFailed {
            handoff,
            client,
            step,
            reason,
            rollback,
            ..
        } => format!(
            "handoff {} of client {client} failed at {step}: {reason}; rollback {rollback:?}",
            handoff.0
        ),
        ControllerEvent::SubscriptionMatched {
            agent,
            subscription,
            client,
            radio,
            value,
        } => format!("subscription {subscription} matched at {agent}/{radio}: client {client} value {value}"),
        ControllerEvent::RequestFailed {
            agent,
            what,
            reason,
        } => format!("request to {agent} failed: {what}: {reason}"),
        ControllerEvent::CommandResult { id, result } => {
            format!("command {} result: {result:?}", id.0)
        }
        ControllerEvent::ChannelChanged { at, channel, by } => {
            format!("radio {at} moved to channel {channel} (asked by {by})")
        }
        ControllerEvent::LvapRemoved {
            client,
            bssid,
            at,
            by,
        } => format!("LVAP {bssid} of client {client} removed from {at} (asked by {by})"),
        ControllerEvent::LvapAdopted { client, bssid, at } => {
            format!("LVAP {bssid} of client {client} adopted at {at}")
        }
        ControllerEvent::AppChanged {
            name,
            enabled,
            config,
        } => format!(
            "app {name} {} with configuration {config}",
            if *enabled { "enabled" } else { "disabled" }
        ),
        ControllerEvent::AppFailed {
            app,
            error,
            outcome,
        } => format!("app {app} failed: {error}; {outcome:?}"),
        };
        f.write_str(&line)
    }
}

impl ControllerEvent {
    /// The fields of an event worth keeping beyond its kind, client, agent
    /// and app, and its line of text (`"text"`).
    pub fn detail(&self) -> Value {
        let mut detail = match self {
            ControllerEvent::HandoffStarted {
                handoff,
                from,
                to,
                cause,
                by,
                ..
            } => json!({
                "handoff": handoff.0, "from": from.to_string(), "to": to.to_string(),
                "cause": cause, "by": by.to_string(),
            }),
            ControllerEvent::HandoffCompleted {
                handoff,
                from,
                to,
                durations: d,
                cause,
                by,
                ..
            } => json!({
                "handoff": handoff.0, "from": from.to_string(), "to": to.to_string(),
                "cause": cause, "by": by.to_string(), "durations_us": durations(d),
            }),
            ControllerEvent::HandoffFailed {
                handoff,
                step,
                reason,
                rollback,
                by,
                ..
            } => json!({
                "handoff": handoff.0, "step": step.to_string(), "reason": reason,
                "rollback": format!("{rollback:?}"), "by": by.to_string(),
            }),
            ControllerEvent::LvapPlaced { bssid, at, .. }
            | ControllerEvent::LvapAdopted { bssid, at, .. } => {
                json!({ "bssid": bssid.to_string(), "at": at.to_string() })
            }
            ControllerEvent::LvapRemoved { bssid, at, by, .. } => {
                json!({ "bssid": bssid.to_string(), "at": at.to_string(), "by": by.to_string() })
            }
            ControllerEvent::ChannelChanged { at, channel, by } => {
                json!({ "at": at.to_string(), "channel": channel, "by": by.to_string() })
            }
            ControllerEvent::AppChanged {
                enabled, config, ..
            } => json!({ "enabled": enabled, "config": config }),
            ControllerEvent::AppFailed { error, outcome, .. } => {
                json!({ "error": error, "outcome": format!("{outcome:?}").to_lowercase() })
            }
            _ => json!({}),
        };
        detail["text"] = Value::String(self.to_string());
        detail
    }

    /// The event as JSON: `kind`, `client`, `agent`, `app` and `detail`
    /// (what the event stream and the history carry).
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind(),
            "client": self.client().map(|c| c.to_string()),
            "agent": self.agent(),
            "app": self.app(),
            "detail": self.detail(),
        })
    }

    /// The event's kind, in snake case (the event history's `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            ControllerEvent::AgentUp { .. } => "agent_up",
            ControllerEvent::AgentDown { .. } => "agent_down",
            ControllerEvent::Reconciled { .. } => "reconciled",
            ControllerEvent::ClientHeard { .. } => "client_heard",
            ControllerEvent::LvapPlaced { .. } => "lvap_placed",
            ControllerEvent::PlacementFailed { .. } => "placement_failed",
            ControllerEvent::LvapOrphaned { .. } => "lvap_orphaned",
            ControllerEvent::ClientJoined { .. } => "client_joined",
            ControllerEvent::ClientAuthorized { .. } => "client_authorized",
            ControllerEvent::ClientLeft { .. } => "client_left",
            ControllerEvent::HandoffStarted { .. } => "handoff_started",
            ControllerEvent::HandoffStepDone { .. } => "handoff_step_done",
            ControllerEvent::HandoffCompleted { .. } => "handoff_completed",
            ControllerEvent::HandoffFailed { .. } => "handoff_failed",
            ControllerEvent::ChannelChanged { .. } => "channel_changed",
            ControllerEvent::LvapRemoved { .. } => "lvap_removed",
            ControllerEvent::LvapAdopted { .. } => "lvap_adopted",
            ControllerEvent::AppChanged { .. } => "app_changed",
            ControllerEvent::AppFailed { .. } => "app_failed",
            ControllerEvent::SubscriptionMatched { .. } => "subscription_matched",
            ControllerEvent::RequestFailed { .. } => "request_failed",
            ControllerEvent::CommandResult { .. } => "command_result",
        }
    }

    /// The client it concerns, if one.
    pub fn client(&self) -> Option<MacAddr> {
        match self {
            ControllerEvent::ClientHeard { client, .. }
            | ControllerEvent::LvapPlaced { client, .. }
            | ControllerEvent::PlacementFailed { client, .. }
            | ControllerEvent::LvapOrphaned { client, .. }
            | ControllerEvent::ClientJoined { client, .. }
            | ControllerEvent::ClientAuthorized { client, .. }
            | ControllerEvent::ClientLeft { client, .. }
            | ControllerEvent::HandoffStarted { client, .. }
            | ControllerEvent::HandoffCompleted { client, .. }
            | ControllerEvent::HandoffFailed { client, .. }
            | ControllerEvent::LvapRemoved { client, .. }
            | ControllerEvent::LvapAdopted { client, .. }
            | ControllerEvent::SubscriptionMatched { client, .. } => Some(*client),
            ControllerEvent::AgentUp { .. }
            | ControllerEvent::AgentDown { .. }
            | ControllerEvent::Reconciled { .. }
            | ControllerEvent::HandoffStepDone { .. }
            | ControllerEvent::ChannelChanged { .. }
            | ControllerEvent::AppChanged { .. }
            | ControllerEvent::AppFailed { .. }
            | ControllerEvent::RequestFailed { .. }
            | ControllerEvent::CommandResult { .. } => None,
        }
    }

    /// The agent it concerns, if one (for a handoff: the target).
    pub fn agent(&self) -> Option<&str> {
        match self {
            ControllerEvent::AgentUp { agent, .. }
            | ControllerEvent::AgentDown { agent, .. }
            | ControllerEvent::Reconciled { agent, .. }
            | ControllerEvent::ClientJoined { agent, .. }
            | ControllerEvent::ClientAuthorized { agent, .. }
            | ControllerEvent::ClientLeft { agent, .. }
            | ControllerEvent::SubscriptionMatched { agent, .. }
            | ControllerEvent::RequestFailed { agent, .. } => Some(agent),
            ControllerEvent::ClientHeard { at, .. }
            | ControllerEvent::LvapPlaced { at, .. }
            | ControllerEvent::ChannelChanged { at, .. }
            | ControllerEvent::LvapRemoved { at, .. }
            | ControllerEvent::LvapAdopted { at, .. } => Some(&at.agent),
            ControllerEvent::HandoffStarted { to, .. }
            | ControllerEvent::HandoffCompleted { to, .. } => Some(&to.agent),
            ControllerEvent::PlacementFailed { .. }
            | ControllerEvent::LvapOrphaned { .. }
            | ControllerEvent::HandoffStepDone { .. }
            | ControllerEvent::HandoffFailed { .. }
            | ControllerEvent::AppChanged { .. }
            | ControllerEvent::AppFailed { .. }
            | ControllerEvent::CommandResult { .. } => None,
        }
    }

    /// The app that caused it, if one.
    pub fn app(&self) -> Option<&str> {
        use super::api::Origin;
        match self {
            ControllerEvent::HandoffStarted { by, .. }
            | ControllerEvent::HandoffCompleted { by, .. }
            | ControllerEvent::HandoffFailed { by, .. }
            | ControllerEvent::ChannelChanged { by, .. }
            | ControllerEvent::LvapRemoved { by, .. } => match by {
                Origin::App(name) => Some(name),
                Origin::Api | Origin::Controller => None,
            },
            ControllerEvent::AppChanged { name, .. } => Some(name),
            ControllerEvent::AppFailed { app, .. } => Some(app),
            _ => None,
        }
    }
}

fn durations(d: &StepDurations) -> Value {
    json!({
        "export": d.export_us,
        "add": d.add_us,
        "remove": d.remove_us,
        "authorize": d.authorize_us,
        "switch_lead": d.switch_lead_us,
        "total": d.total_us,
    })
}
