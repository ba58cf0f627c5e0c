//! The writer between the controller and its [`Storage`].
//!
//! [`Recorder::record`] puts an op on a bounded queue and returns: it never
//! waits, so the controller's frame path never waits for a disk or a
//! network. One task takes up to `batch` ops at a time, drops those a later
//! op of the same batch overwrites entirely ([`coalesce`]), and applies the
//! rest in one transaction. A batch that fails is kept as it is and tried
//! again after a growing pause (`backoff_min` doubling up to `backoff_max`),
//! for as long as it takes; ops recorded meanwhile wait behind it, so the
//! order is kept. Every failed attempt is counted and logged; an op that
//! finds the queue full is counted and logged (at most once a second), so
//! nothing is lost without a trace.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::sql::coalesce;
use super::{Storage, StoreError, StoreOp};

/// How a [`Recorder`] queues and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Ops (and flush requests) the queue holds before `record` refuses
    /// one (counted in [`RecorderStats::overflowed`]).
    pub capacity: usize,
    /// Ops written per transaction at most.
    pub batch: usize,
    /// The pause after the first failed attempt.
    pub backoff_min: Duration,
    /// The longest pause between attempts.
    pub backoff_max: Duration,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            capacity: 1_000_000,
            batch: 512,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// What a [`Recorder`] has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecorderStats {
    /// Ops recorded and not yet written (in the queue or in the batch being
    /// written).
    pub queued: u64,
    /// Ops written (including those a later op of their batch made moot).
    pub written: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Attempts to write a batch that failed (each was retried).
    pub failed_attempts: u64,
    /// Ops refused because the queue was full (or the writer was gone).
    pub overflowed: u64,
    /// Ops not sent to the database because a later op of the same batch
    /// overwrote them entirely (counted in `written`).
    pub coalesced: u64,
    /// The current batch's last attempt failed; it is being retried.
    pub failing: bool,
    /// The last failed attempt's error (kept after the store recovers).
    pub last_error: Option<String>,
}

/// A handle on the writer task; clones share it. The task ends when the
/// last handle is dropped and the queue is written out.
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
enum Msg {
    Op(StoreOp),
    /// Answered once every op queued before it is written.
    Flush(oneshot::Sender<()>),
}

#[derive(Debug)]
struct Shared {
    backend: &'static str,
    recorded: AtomicU64,
    written: AtomicU64,
    batches: AtomicU64,
    failed_attempts: AtomicU64,
    overflowed: AtomicU64,
    coalesced: AtomicU64,
    failing: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// The error of the batch being retried, while it fails.
    failure: watch::Sender<Option<String>>,
    overflow_log: RateLimit,
}

impl Shared {
    /// Nothing counted yet, for a writer on `backend`.
    fn new(backend: &'static str) -> Shared {
        Shared {
            backend,
            recorded: AtomicU64::new(0),
            written: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            failed_attempts: AtomicU64::new(0),
            overflowed: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            last_error: Mutex::new(None),
            failure: watch::Sender::new(None),
            overflow_log: RateLimit::new(Duration::from_secs(1)),
        }
    }
}

impl Recorder {
    /// Starts the writer task on the current Tokio runtime (panics outside
    /// one, as `tokio::spawn` does).
    pub fn spawn(storage: Arc<dyn Storage>, config: RecorderConfig) -> Recorder {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let shared = Arc::new(Shared::new(storage.backend()));
        tokio::spawn(write_loop(storage, config, rx, shared.clone()));
        Recorder { tx, shared }
    }

    /// Queues `op`. Never blocks and never waits: if the queue is full the
    /// op is counted in [`RecorderStats::overflowed`] and logged as an
    /// error (at most one line a second, with the count).
    pub fn record(&self, op: StoreOp) {
        match self.tx.try_send(Msg::Op(op)) {
            Ok(()) => {
                self.shared.recorded.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                let total = self.shared.overflowed.fetch_add(1, Ordering::Relaxed) + 1;
                let why = match e {
                    mpsc::error::TrySendError::Full(_) => "the store's queue is full",
                    mpsc::error::TrySendError::Closed(_) => "the store's writer has stopped",
                };
                if let Some(since_last) = self.shared.overflow_log.allow() {
                    tracing::error!(
                        backend = self.shared.backend,
                        lost_since_last_report = since_last,
                        lost_total = total,
                        "{why}: ops are not being stored"
                    );
                }
            }
        }
    }

    /// Waits until every op recorded before this call is written. Returns
    /// [`StoreError::Failing`] at once if the store is failing now (the
    /// writes are still retried), and [`StoreError::Closed`] if the writer
    /// is gone.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let mut failure = self.shared.failure.subscribe();
        if let Some(e) = failure.borrow_and_update().clone() {
            return Err(StoreError::Failing(e));
        }
        let (done_tx, done_rx) = oneshot::channel();
        tokio::select! {
            sent = self.tx.send(Msg::Flush(done_tx)) => {
                sent.map_err(|_| StoreError::Closed)?;
            }
            e = failing(&mut failure) => return Err(e),
        }
        tokio::select! {
            done = done_rx => done.map_err(|_| StoreError::Closed),
            e = failing(&mut failure) => Err(e),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> RecorderStats {
        let s = &self.shared;
        let recorded = s.recorded.load(Ordering::Relaxed);
        let written = s.written.load(Ordering::Relaxed);
        RecorderStats {
            queued: recorded.saturating_sub(written),
            written,
            batches: s.batches.load(Ordering::Relaxed),
            failed_attempts: s.failed_attempts.load(Ordering::Relaxed),
            overflowed: s.overflowed.load(Ordering::Relaxed),
            coalesced: s.coalesced.load(Ordering::Relaxed),
            failing: s.failing.load(Ordering::Relaxed),
            last_error: s.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
        }
    }
}

/// Resolves when the writer reports a failure.
async fn failing(failure: &mut watch::Receiver<Option<String>>) -> StoreError {
    loop {
        if let Some(e) = failure.borrow_and_update().clone() {
            return StoreError::Failing(e);
        }
        if failure.changed().await.is_err() {
            // The sender lives in `Shared`, which the caller holds: cannot
            // happen, but never resolve rather than report a false failure.
            std::future::pending::<()>().await;
        }
    }
}

async fn write_loop(
    storage: Arc<dyn Storage>,
    config: RecorderConfig,
    mut rx: mpsc::Receiver<Msg>,
    shared: Arc<Shared>,
) {
    let batch_max = config.batch.max(1);
    let mut ops = Vec::with_capacity(batch_max);
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Op(op) => ops.push(op),
                Msg::Flush(done) => flushes.push(done),
            }
            if ops.len() < batch_max {
                next = rx.try_recv().ok();
            }
        }
        if !ops.is_empty() {
            let count = ops.len() as u64;
            let batch = coalesce(std::mem::take(&mut ops));
            let dropped = count - batch.len() as u64;
            write_batch(&*storage, &config, &shared, &batch).await;
            shared.coalesced.fetch_add(dropped, Ordering::Relaxed);
            shared.written.fetch_add(count, Ordering::Relaxed);
            shared.batches.fetch_add(1, Ordering::Relaxed);
        }
        for done in flushes.drain(..) {
            // The flusher may have given up (the store was failing).
            let _ = done.send(());
        }
    }
    tracing::debug!(backend = shared.backend, "store writer done");
}

/// Applies `batch` until it succeeds, pausing longer after each failure.
async fn write_batch(
    storage: &dyn Storage,
    config: &RecorderConfig,
    shared: &Shared,
    batch: &[StoreOp],
) {
    let mut backoff = config.backoff_min;
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        match storage.apply(batch).await {
            Ok(()) => {
                if attempt > 1 {
                    tracing::info!(
                        backend = shared.backend,
                        attempt,
                        ops = batch.len(),
                        "the store is writing again"
                    );
                }
                shared.failing.store(false, Ordering::Relaxed);
                shared.failure.send_replace(None);
                return;
            }
            Err(e) => {
                let error = e.to_string();
                shared.failed_attempts.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = shared.last_error.lock() {
                    *last = Some(error.clone());
                }
                shared.failing.store(true, Ordering::Relaxed);
                shared.failure.send_replace(Some(error.clone()));
                tracing::warn!(
                    backend = shared.backend,
                    attempt,
                    ops = batch.len(),
                    retry_in_ms = backoff.as_millis() as u64,
                    error = %error,
                    "writing to the store failed; retrying the same batch"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2)
                    .min(config.backoff_max)
                    .max(config.backoff_min);
            }
        }
    }
}

/// Lets one event through per `every`, and says how many were held back.
#[derive(Debug)]
struct RateLimit {
    start: Instant,
    every_ms: u64,
    /// Milliseconds since `start` of the last event let through, plus one
    /// (0: none yet).
    last: AtomicU64,
    held: AtomicU64,
}

impl RateLimit {
    fn new(every: Duration) -> Self {
        RateLimit {
            start: Instant::now(),
            every_ms: every.as_millis() as u64,
            last: AtomicU64::new(0),
            held: AtomicU64::new(0),
        }
    }

    /// `Some(events since the last one let through, this one included)` if
    /// this one may go, `None` if it is held back. Never blocks.
    fn allow(&self) -> Option<u64> {
        let now = self.start.elapsed().as_millis() as u64 + 1;
        let last = self.last.load(Ordering::Relaxed);
        if last != 0 && now < last.saturating_add(self.every_ms) {
            self.held.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if self
            .last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            // Another thread let one through just now.
            self.held.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.held.swap(0, Ordering::Relaxed) + 1)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;
    use odin_proto::MacAddr;

    use super::*;
    use crate::store::{EventFilter, EventRecord, Snapshot, StoredEvent};

    /// Fails the first `failures` attempts, then keeps what it is given.
    #[derive(Debug, Default)]
    struct Flaky {
        failures: AtomicUsize,
        attempts: AtomicUsize,
        applied: Mutex<Vec<Vec<StoreOp>>>,
        /// While set, `apply` never returns.
        stuck: AtomicBool,
    }

    impl Flaky {
        fn failing(n: usize) -> Arc<Flaky> {
            let f = Flaky::default();
            f.failures.store(n, Ordering::SeqCst);
            Arc::new(f)
        }

        fn ops(&self) -> Vec<StoreOp> {
            self.applied
                .lock()
                .unwrap()
                .iter()
                .flatten()
                .cloned()
                .collect()
        }
    }

    #[async_trait]
    impl Storage for Flaky {
        async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError> {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            while self.stuck.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let left = self.failures.load(Ordering::SeqCst);
            if left > 0 {
                self.failures.store(left - 1, Ordering::SeqCst);
                return Err(StoreError::Database {
                    backend: "flaky",
                    reason: format!("disk on fire ({left} more)"),
                });
            }
            self.applied.lock().unwrap().push(ops.to_vec());
            Ok(())
        }

        async fn load(&self) -> Result<Snapshot, StoreError> {
            Ok(Snapshot::default())
        }

        async fn events(&self, _: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
            Ok(Vec::new())
        }

        fn backend(&self) -> &'static str {
            "flaky"
        }
    }

    fn event(n: u64) -> StoreOp {
        StoreOp::AppendEvent(EventRecord {
            at_unix_us: n,
            kind: "test".into(),
            client: Some(MacAddr([2, 0, 0, 0, 0, (n % 256) as u8])),
            agent: None,
            app: None,
            detail: serde_json::json!({ "n": n }),
        })
    }

    async fn wait_written(recorder: &Recorder, n: u64) {
        for _ in 0..100_000 {
            if recorder.stats().written >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not written: {:?}", recorder.stats());
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_retried_nothing_lost_order_kept() {
        let store = Flaky::failing(5);
        let recorder = Recorder::spawn(
            store.clone(),
            RecorderConfig {
                batch: 64,
                ..RecorderConfig::default()
            },
        );
        let ops: Vec<StoreOp> = (0..1000).map(event).collect();
        for op in &ops {
            recorder.record(op.clone());
        }
        wait_written(&recorder, 1000).await;
        recorder.flush().await.unwrap();
        assert_eq!(store.ops(), ops, "every op, once, in order");
        let stats = recorder.stats();
        assert_eq!(stats.failed_attempts, 5);
        assert_eq!(stats.written, 1000);
        assert_eq!(stats.queued, 0);
        assert_eq!(stats.overflowed, 0);
        assert!(!stats.failing);
        assert!(stats
            .last_error
            .as_deref()
            .unwrap()
            .contains("disk on fire (1 more)"));
        // The failed batch was retried as it was: the first batch written
        // is the first 64 ops (or what was queued when it was taken).
        let batches = store.applied.lock().unwrap().clone();
        assert_eq!(stats.batches, batches.len() as u64);
        assert!(batches.iter().all(|b| b.len() <= 64));
        assert_eq!(store.attempts.load(Ordering::SeqCst), batches.len() + 5);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_grows_to_its_limit() {
        let store = Flaky::failing(8);
        let recorder = Recorder::spawn(store.clone(), RecorderConfig::default());
        let t0 = tokio::time::Instant::now();
        recorder.record(event(1));
        wait_written(&recorder, 1).await;
        // 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 + 5 + 5 seconds of pauses.
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(16_300) && waited < Duration::from_millis(16_500),
            "{waited:?}"
        );
        assert_eq!(recorder.stats().failed_attempts, 8);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn record_never_waits_for_a_stuck_store() {
        let store = Arc::new(Flaky::default());
        store.stuck.store(true, Ordering::SeqCst);
        let recorder = Recorder::spawn(
            store.clone(),
            RecorderConfig {
                capacity: 100,
                batch: 10,
                ..RecorderConfig::default()
            },
        );
        // Let the writer take a first batch and get stuck in `apply`.
        recorder.record(event(0));
        while store.attempts.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // On this one thread the writer cannot run while we record: if
        // `record` waited for it, this would never end.
        let t0 = Instant::now();
        for n in 1..=10_000 {
            recorder.record(event(n));
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
        let stats = recorder.stats();
        assert_eq!(stats.overflowed, 10_000 - 100, "{stats:?}");
        assert_eq!(stats.queued, 101);
        assert_eq!(stats.written, 0);
        // Unstick: what was accepted is written, in order.
        store.stuck.store(false, Ordering::SeqCst);
        recorder.flush().await.unwrap();
        let expected: Vec<StoreOp> = (0..=100).map(event).collect();
        assert_eq!(store.ops(), expected);
        assert_eq!(recorder.stats().overflowed, 9_900);
    }

    #[tokio::test(start_paused = true)]
    async fn flush_reports_a_failing_store_then_succeeds() {
        let store = Flaky::failing(3);
        let recorder = Recorder::spawn(store.clone(), RecorderConfig::default());
        recorder.record(event(1));
        let err = recorder.flush().await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Failing(e) if e.contains("disk on fire")),
            "{err}"
        );
        assert!(recorder.stats().failing);
        // While it fails, flush answers at once.
        assert!(recorder.flush().await.is_err());
        wait_written(&recorder, 1).await;
        recorder.record(event(2));
        recorder.flush().await.unwrap();
        assert_eq!(store.ops(), vec![event(1), event(2)]);
        let stats = recorder.stats();
        assert_eq!(stats.failed_attempts, 3);
        assert!(!stats.failing);
        assert!(stats.last_error.is_some());
    }

    #[tokio::test]
    async fn flush_with_nothing_recorded_returns() {
        let store = Arc::new(Flaky::default());
        let recorder = Recorder::spawn(store.clone(), RecorderConfig::default());
        recorder.flush().await.unwrap();
        assert_eq!(recorder.stats(), RecorderStats::default());
    }

    #[tokio::test]
    async fn overwritten_ops_are_coalesced_within_a_batch() {
        let store = Arc::new(Flaky::default());
        store.stuck.store(true, Ordering::SeqCst);
        let recorder = Recorder::spawn(store.clone(), RecorderConfig::default());
        let agent = |up: bool, at: u64| StoreOp::UpsertAgent {
            name: "a".into(),
            software: "s".into(),
            up,
            at_unix_us: at,
        };
        // The first op goes alone (the writer is waiting); the others queue
        // up behind the stuck store and form one batch.
        recorder.record(agent(true, 0));
        while store.attempts.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        for at in 1..=100 {
            recorder.record(agent(at % 2 == 0, at));
        }
        recorder.record(event(7));
        store.stuck.store(false, Ordering::SeqCst);
        recorder.flush().await.unwrap();
        let batches = store.applied.lock().unwrap().clone();
        assert_eq!(
            batches,
            vec![vec![agent(true, 0)], vec![agent(true, 100), event(7)]]
        );
        let stats = recorder.stats();
        assert_eq!(stats.written, 102);
        assert_eq!(stats.coalesced, 99);
    }

    #[tokio::test]
    async fn record_after_the_writer_is_gone_is_counted() {
        let (tx, rx) = mpsc::channel(4);
        drop(rx);
        let recorder = Recorder {
            tx,
            shared: Arc::new(Shared::new("none")),
        };
        recorder.record(event(1));
        assert_eq!(recorder.stats().overflowed, 1);
        assert_eq!(recorder.flush().await, Err(StoreError::Closed));
    }

    #[test]
    fn rate_limit_lets_one_through_per_period_and_counts_the_rest() {
        let limit = RateLimit::new(Duration::from_secs(3600));
        assert_eq!(limit.allow(), Some(1));
        for _ in 0..999 {
            assert_eq!(limit.allow(), None);
        }
        let limit = RateLimit::new(Duration::ZERO);
        assert_eq!(limit.allow(), Some(1));
        // With no period, every call may go (none held back).
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(limit.allow(), Some(1));
    }
}
