//! The agent's event loop: one closed [`Event`] enum that every source
//! feeds (radio events, the controller link, timers), one `select!`, one
//! handler that passes each event to the sans-IO [`AgentCore`] and carries
//! out its outputs in order. The loop owns the radios: a command is handed
//! to its radio (`Radio::execute` does not block) before any later output,
//! such as the result that tells the controller it is done, goes out.

use std::time::Duration;

use odin_proto::msg::{AgentMsg, RadioIndex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::agent::{AgentCore, AgentInput, AgentOutput};
use crate::link::{self, LinkConfig, LinkEvent};
use crate::radio::{Radio, RadioEvent};
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

/// The next event of any radio, with its index; pending forever when there
/// is no radio. Cancel-safe as long as every radio's `next_event` is.
async fn next_radio_event<R: Radio>(radios: &mut [R]) -> (RadioIndex, Option<RadioEvent>) {
    if radios.is_empty() {
        return std::future::pending().await;
    }
    let futures = radios.iter_mut().map(|radio| Box::pin(radio.next_event()));
    let (event, index, _) = futures::future::select_all(futures).await;
    (index as RadioIndex, event)
}

/// Runs an agent until `shutdown` is cancelled.
pub async fn run<R: Radio + 'static>(
    mut core: AgentCore,
    mut radios: Vec<R>,
    link: LinkConfig,
    shutdown: CancellationToken,
) {
    let start = tokio::time::Instant::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let tasks = TaskTracker::new();
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
            (index, event) = next_radio_event(&mut radios) => match event {
                Some(event) => Event::Radio(index, event),
                None => {
                    tracing::error!(%agent, radio = index, "radio gone: stopping");
                    break;
                }
            },
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
                // Carried out before anything later in `out` is sent: the
                // controller hears "done" only after the radio was told.
                AgentOutput::Radio(index, cmd) => match radios.get_mut(index as usize) {
                    Some(radio) => radio.execute(cmd),
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
