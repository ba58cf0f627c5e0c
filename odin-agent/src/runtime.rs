//! The agent's event loop: one closed [`Event`] enum that every source
//! feeds (radio events, the controller link, timers), one `select!`, one
//! handler that passes each event to the sans-IO [`AgentCore`] and carries
//! out its outputs.

use std::time::Duration;

use odin_proto::msg::{AgentMsg, RadioIndex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::agent::{AgentCore, AgentInput, AgentOutput};
use crate::link::{self, LinkConfig, LinkEvent};
use crate::radio::{Radio, RadioCmd, RadioEvent};
use crate::time::Instant;

/// Everything the agent reacts to.
#[derive(Debug)]
pub enum Event {
    /// A radio reported something.
    Radio(RadioIndex, RadioEvent),
    /// The controller link changed or brought a message.
    Link(LinkEvent),
    /// A timer of the core is due.
    Tick,
}

/// Runs a radio in its own task: commands in, events out.
fn spawn_radio<R: Radio + 'static>(
    tasks: &TaskTracker,
    index: RadioIndex,
    mut radio: R,
    events: mpsc::Sender<Event>,
    shutdown: CancellationToken,
) -> mpsc::UnboundedSender<RadioCmd> {
    let (tx, mut rx) = mpsc::unbounded_channel::<RadioCmd>();
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                cmd = rx.recv() => match cmd {
                    Some(cmd) => radio.execute(cmd),
                    None => return,
                },
                event = radio.next_event() => match event {
                    Some(event) => {
                        if events.send(Event::Radio(index, event)).await.is_err() {
                            return;
                        }
                    }
                    None => {
                        tracing::error!(radio = index, "radio gone");
                        return;
                    }
                },
            }
        }
    });
    tx
}

/// Runs an agent until `shutdown` is cancelled.
pub async fn run<R: Radio + 'static>(
    mut core: AgentCore,
    radios: Vec<R>,
    link: LinkConfig,
    shutdown: CancellationToken,
) {
    let start = tokio::time::Instant::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let tasks = TaskTracker::new();
    let (events_tx, mut events) = mpsc::channel::<Event>(4096);
    let radio_cmds: Vec<_> = radios
        .into_iter()
        .enumerate()
        .map(|(i, radio)| {
            spawn_radio(
                &tasks,
                i as RadioIndex,
                radio,
                events_tx.clone(),
                shutdown.clone(),
            )
        })
        .collect();
    let (link_tx, mut link_events) = mpsc::channel::<LinkEvent>(4096);
    tasks.spawn(link::run(link, link_tx, shutdown.clone()));
    let mut to_controller: Option<mpsc::Sender<AgentMsg>> = None;
    let mut out = Vec::new();
    let agent = core.id().to_string();
    tracing::info!(%agent, "agent running");
    loop {
        let deadline = core
            .poll_at()
            .map(|t| start + Duration::from_micros(t.micros()));
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            Some(event) = events.recv() => event,
            Some(event) = link_events.recv() => Event::Link(event),
            () = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => Event::Tick,
        };
        let input = match event {
            Event::Radio(index, event) => AgentInput::Radio(index, event),
            Event::Link(LinkEvent::Up(tx)) => {
                to_controller = Some(tx);
                AgentInput::ControllerUp
            }
            Event::Link(LinkEvent::Msg(msg)) => AgentInput::Controller(msg),
            Event::Link(LinkEvent::Down(_)) => {
                to_controller = None;
                AgentInput::ControllerDown
            }
            Event::Tick => AgentInput::Tick,
        };
        core.handle(input, now(), &mut out);
        for output in out.drain(..) {
            match output {
                AgentOutput::Radio(index, cmd) => match radio_cmds.get(index as usize) {
                    Some(radio) => {
                        let _ = radio.send(cmd);
                    }
                    None => {
                        tracing::error!(radio = index, "command for a radio that does not exist")
                    }
                },
                AgentOutput::Controller(msg) => {
                    if let Some(tx) = &to_controller {
                        if tx.try_send(msg).is_err() {
                            tracing::warn!(%agent, "controller link congested: message dropped");
                        }
                    }
                }
            }
        }
    }
    tasks.close();
    tasks.wait().await;
    tracing::info!(%agent, "agent stopped");
}
