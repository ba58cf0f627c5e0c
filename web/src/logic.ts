// The dashboard's pure logic: no DOM, no fetch, so vitest checks it.
//
// - the handoff timeline, folded from controller events (history and stream);
// - each client's rx/tx byte rates, from successive statistics samples;
// - each client's signal history, one sample per poll, per AP that hears it.

import type { Client, Durations, OdinEvent } from './api';

// ---------------------------------------------------------------------------
// The handoff timeline.

export const HANDOFF_KINDS = ['handoff_started', 'handoff_step_done', 'handoff_completed', 'handoff_failed'];

export interface HandoffStep {
  name: string;
  micros: number;
}

export interface HandoffEntry {
  /** The controller's handoff id. */
  id: number;
  client: string | null;
  from: string | null;
  to: string | null;
  cause: string | null;
  /** Who asked: `api`, an app's name, or `controller`. */
  by: string | null;
  /** When it started (or, failing that, when we first heard of it), ms since the epoch. */
  at: number;
  status: 'running' | 'completed' | 'failed';
  /** The steps done so far, as the stream reports them. */
  steps: HandoffStep[];
  /** Each step's duration in µs, once completed. */
  durations: Durations | null;
  /** Why it failed: the step, the reason and the rollback. */
  failure: string | null;
}

/** The newest entries kept. */
export const TIMELINE_LENGTH = 100;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `"handoff 7 step add at target done in 489 µs"` -> {id 7, add, 489}. */
export function parseStepText(text: string): { id: number; step: HandoffStep } | null {
  const m = /^handoff (\d+) step (\S+)(?: .*)? done in (\d+) µs/.exec(text);
  return m ? { id: Number(m[1]), step: { name: m[2], micros: Number(m[3]) } } : null;
}

/** When an event happened: the history's timestamp, or `now` for a live one. */
export function eventTime(event: OdinEvent, now: number): number {
  return event.at_unix_us !== undefined ? Math.floor(event.at_unix_us / 1000) : now;
}

/**
 * The timeline after `event` (newest first). Events of other kinds leave it
 * as it is (the same array), so a caller can fold every event through it.
 */
export function reduceTimeline(timeline: HandoffEntry[], event: OdinEvent, now: number): HandoffEntry[] {
  const d = event.detail ?? {};
  let id = typeof d.handoff === 'number' ? d.handoff : null;
  let step: HandoffStep | null = null;
  if (event.kind === 'handoff_step_done') {
    const parsed = parseStepText(str(d.text) ?? '');
    if (!parsed) return timeline;
    id = parsed.id;
    step = parsed.step;
  } else if (!HANDOFF_KINDS.includes(event.kind)) {
    return timeline;
  }
  if (id === null) return timeline;
  const at = eventTime(event, now);
  const index = timeline.findIndex((e) => e.id === id && (event.client === null || e.client === null || e.client === event.client));
  const old: HandoffEntry =
    index >= 0
      ? timeline[index]
      : { id, client: null, from: null, to: null, cause: null, by: null, at, status: 'running', steps: [], durations: null, failure: null };
  const next: HandoffEntry = { ...old, client: old.client ?? event.client };
  switch (event.kind) {
    case 'handoff_started':
      Object.assign(next, { from: str(d.from), to: str(d.to), cause: str(d.cause), by: str(d.by), at });
      break;
    case 'handoff_step_done':
      if (step && !next.steps.some((s) => s.name === step.name)) next.steps = [...next.steps, step];
      break;
    case 'handoff_completed':
      Object.assign(next, {
        from: str(d.from) ?? next.from,
        to: str(d.to) ?? next.to,
        cause: str(d.cause) ?? next.cause,
        by: str(d.by) ?? next.by,
        status: 'completed',
        durations: (d.durations_us as Durations | undefined) ?? null,
      });
      break;
    case 'handoff_failed':
      Object.assign(next, {
        by: str(d.by) ?? next.by,
        status: 'failed',
        failure: `at ${str(d.step) ?? '?'}: ${str(d.reason) ?? '?'} (rollback ${str(d.rollback) ?? '?'})`,
      });
      break;
  }
  const rest = index >= 0 ? timeline.filter((_, i) => i !== index) : timeline;
  return [next, ...rest].sort((a, b) => b.at - a.at || b.id - a.id).slice(0, TIMELINE_LENGTH);
}

/** The steps of a completed handoff, in order, with their durations in µs. */
export function durationSteps(d: Durations): { name: string; micros: number | null }[] {
  return (['export', 'add', 'remove', 'authorize', 'switch_lead'] as const)
    .filter((name) => name in d)
    .map((name) => ({ name, micros: d[name] ?? null }));
}

// ---------------------------------------------------------------------------
// Byte rates.

export interface Counters {
  /** When the sample was taken, ms. */
  at: number;
  /** Where the counters come from: a new serving AP restarts them. */
  agent: string;
  rx: number;
  tx: number;
}

export interface Rates {
  rx: number;
  tx: number;
}

/**
 * The serving AP's counters of `client`, polled at `at`: stamped with the
 * time the agent measured them (`at` less their age), so that two polls of
 * one report compare as the same sample.
 */
export function servedCounters(client: Client, at: number): Counters | null {
  const s = client.stats.find((s) => s.served);
  return s ? { at: at - (s.age_ms ?? 0), agent: s.agent, rx: s.rx_bytes, tx: s.tx_bytes } : null;
}

/** Samples closer than this (ms) are one report polled twice. */
export const SAME_SAMPLE_MS = 500;

/**
 * Bytes per second between two samples; null when they cannot be compared
 * (no earlier sample, another AP's counters, counters that went back, the
 * same report polled again).
 */
export function byteRates(prev: Counters | null | undefined, next: Counters | null): Rates | null {
  if (!prev || !next || prev.agent !== next.agent) return null;
  const seconds = (next.at - prev.at) / 1000;
  if (seconds * 1000 < SAME_SAMPLE_MS || next.rx < prev.rx || next.tx < prev.tx) return null;
  return { rx: (next.rx - prev.rx) / seconds, tx: (next.tx - prev.tx) / seconds };
}

/** `1536` -> `"1.5 KiB"`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

// ---------------------------------------------------------------------------
// Signal history.

export interface SignalSample {
  at: number;
  /** dBm by agent name. */
  dbm: Record<string, number>;
  /** The serving agent at that moment. */
  serving: string | null;
}

/** Samples kept per client (about ten minutes at one a second). */
export const HISTORY_LENGTH = 600;

/** `history` with one more sample of every client in `clients`. */
export function addSamples(
  history: Record<string, SignalSample[]>,
  clients: Client[],
  at: number,
): Record<string, SignalSample[]> {
  const next: Record<string, SignalSample[]> = {};
  for (const c of clients) {
    const dbm: Record<string, number> = {};
    for (const s of c.signals) dbm[s.agent] = Math.max(dbm[s.agent] ?? -Infinity, s.signal_dbm);
    const samples = [...(history[c.mac] ?? []), { at, dbm, serving: c.lvap?.agent ?? null }];
    next[c.mac] = samples.length > HISTORY_LENGTH ? samples.slice(samples.length - HISTORY_LENGTH) : samples;
  }
  return next;
}

/** The signal colour class: good, fair or weak. */
export function signalClass(dbm: number | null | undefined): 'good' | 'fair' | 'weak' | 'none' {
  if (dbm === null || dbm === undefined) return 'none';
  return dbm >= -60 ? 'good' : dbm >= -72 ? 'fair' : 'weak';
}
