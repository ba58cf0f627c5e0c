//! The core's deadlines in one queue, so that finding the next one and
//! the ones due costs a logarithm rather than a walk over every agent,
//! request and placement (with 2,000 agents, that walk after every input
//! was most of the controller's time).
//!
//! The queue is lazy: a deadline that changes (an agent heard again) or
//! goes away (a request answered) leaves its old entry behind. An entry
//! counts only while the state it names still has exactly that deadline
//! ([`Controller::timer_due`]); stale entries are dropped from the top
//! after every input (`settle`), so the top is always a live deadline,
//! and skipped when they come due. `check_invariants` compares the queue
//! with a walk over the state.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use odin_proto::msg::RequestId;
use odin_proto::MacAddr;

use super::api::SessionId;
use super::time::Instant;
use super::Controller;

/// What a deadline belongs to. The order is the order in which deadlines
/// due at one tick are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    /// An adopted LVAP waiting to be authorized (`stranded`).
    Stranded(MacAddr),
    /// An agent's session: silent for the heartbeat timeout.
    Session(SessionId),
    /// A command waiting for its result.
    Request(RequestId),
    /// A client's placement window.
    Window(MacAddr),
}

/// The queue of deadlines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Timer)>>,
}

impl Timers {
    /// Adds a deadline (an older one of the same timer goes stale).
    pub(crate) fn set(&mut self, at: Instant, timer: Timer) {
        self.heap.push(Reverse((at, timer)));
    }

    /// The earliest entry.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Entries held, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Takes the earliest entry if it is due by `now`.
    fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        if self.next().is_some_and(|at| at <= now) {
            self.heap.pop().map(|Reverse(entry)| entry)
        } else {
            None
        }
    }
}

impl Controller {
    /// The deadline the state gives `timer` now.
    pub(crate) fn timer_due(&self, timer: Timer) -> Option<Instant> {
        match timer {
            Timer::Stranded(client) => self.stranded.get(&client).map(|(_, _, at)| *at),
            Timer::Session(id) => self
                .sessions
                .get(&id)
                .map(|s| s.last_heard + self.config.heartbeat_timeout),
            Timer::Request(id) => self.pending.get(&id).map(|p| p.deadline),
            Timer::Window(client) => self.placements.get(&client).and_then(|j| j.window_end()),
        }
    }

    /// Drops stale entries from the top of the queue, so that its first
    /// entry is a live deadline. Called after every input.
    pub(crate) fn settle(&mut self) {
        while let Some(Reverse((at, timer))) = self.timers.heap.peek().copied() {
            if self.timer_due(timer) == Some(at) {
                break;
            }
            self.timers.heap.pop();
        }
    }

    /// The live deadlines due by `now`, in the order they are handled:
    /// by kind, then by key.
    pub(crate) fn due_timers(&mut self, now: Instant) -> Vec<Timer> {
        let mut due = Vec::new();
        while let Some((at, timer)) = self.timers.pop_due(now) {
            if self.timer_due(timer) == Some(at) {
                due.push(timer);
            }
        }
        due.sort_unstable();
        due.dedup();
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_gives_the_earliest_first_and_only_what_is_due() {
        let mut t = Timers::default();
        let at = |ms: u64| Instant::from_micros(ms * 1000);
        t.set(at(30), Timer::Request(2));
        t.set(at(10), Timer::Session(SessionId(1)));
        t.set(at(20), Timer::Request(1));
        assert_eq!(t.next(), Some(at(10)));
        assert_eq!(
            t.pop_due(at(15)),
            Some((at(10), Timer::Session(SessionId(1))))
        );
        assert_eq!(t.pop_due(at(15)), None);
        assert_eq!(t.len(), 2);
        assert_eq!(t.pop_due(at(30)), Some((at(20), Timer::Request(1))));
        assert_eq!(t.pop_due(at(30)), Some((at(30), Timer::Request(2))));
        assert_eq!(t.next(), None);
    }
}
