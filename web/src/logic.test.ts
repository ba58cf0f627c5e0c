import { describe, expect, it } from 'vitest';
import type { Client, OdinEvent } from './api';
import { addSamples, byteRates, formatBytes, parseStepText, reduceTimeline, servedCounters, type HandoffEntry } from './logic';

const ev = (kind: string, detail: Record<string, unknown>, client: string | null = '02:c1:00:00:00:00'): OdinEvent => ({
  kind,
  client,
  agent: null,
  app: null,
  detail,
});

describe('the handoff timeline', () => {
  it('follows a handoff from its start through its steps to its end', () => {
    let t: HandoffEntry[] = [];
    t = reduceTimeline(t, ev('handoff_started', { handoff: 1, from: 'ap-1/0', to: 'ap-2/0', cause: 'dashboard', by: 'api' }), 1000);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ id: 1, status: 'running', from: 'ap-1/0', to: 'ap-2/0', by: 'api', at: 1000 });
    // The stream's steps carry no client: they are matched by id.
    t = reduceTimeline(t, ev('handoff_step_done', { text: 'handoff 1 step export at source done in 707 µs' }, null), 1001);
    t = reduceTimeline(t, ev('handoff_step_done', { text: 'handoff 1 step add at target done in 489 µs' }, null), 1002);
    expect(t[0].steps).toEqual([
      { name: 'export', micros: 707 },
      { name: 'add', micros: 489 },
    ]);
    const durations = { export: 707, add: 489, remove: 5893, authorize: 900, switch_lead: null, total: 8000 };
    t = reduceTimeline(t, ev('handoff_completed', { handoff: 1, from: 'ap-1/0', to: 'ap-2/0', cause: 'dashboard', by: 'api', durations_us: durations }), 1010);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ status: 'completed', durations, at: 1000, client: '02:c1:00:00:00:00' });
  });

  it('records a failure with its step, reason and rollback', () => {
    let t = reduceTimeline([], ev('handoff_started', { handoff: 4, from: 'ap-1/0', to: 'ap-3/0', by: 'mobility', cause: 'weak' }), 5);
    t = reduceTimeline(t, ev('handoff_failed', { handoff: 4, step: 'add', reason: 'timeout', rollback: 'RestoredAtSource', by: 'mobility' }), 6);
    expect(t[0].status).toBe('failed');
    expect(t[0].failure).toBe('at add: timeout (rollback RestoredAtSource)');
  });

  it('takes history (timestamped) and live events, newest first, ignoring other kinds', () => {
    const old: OdinEvent = { ...ev('handoff_completed', { handoff: 2, from: 'a/0', to: 'b/0', durations_us: { total: 1 } }), at_unix_us: 2_000_000 };
    let t = reduceTimeline([], old, 9_999);
    expect(t[0].at).toBe(2000);
    t = reduceTimeline(t, ev('handoff_started', { handoff: 3, from: 'b/0', to: 'c/0' }), 5000);
    expect(t.map((e) => e.id)).toEqual([3, 2]);
    const same = reduceTimeline(t, ev('client_heard', {}), 6000);
    expect(same).toBe(t);
  });

  it('parses the step lines of the stream', () => {
    expect(parseStepText('handoff 12 step authorize at target done in 9544 µs')).toEqual({ id: 12, step: { name: 'authorize', micros: 9544 } });
    expect(parseStepText('something else')).toBeNull();
  });
});

const client = (agent: string, rx: number, tx: number): Client => ({
  mac: '02:c1:00:00:00:00',
  bssid: null,
  associated: true,
  aid: 1,
  lvap: { agent, radio: 0, state: 'active', handoff: null },
  signals: [
    { agent: 'ap-1', radio: 0, signal_dbm: -40, age_ms: 0 },
    { agent: 'ap-2', radio: 0, signal_dbm: -70, age_ms: 0 },
  ],
  stats: [
    { agent, radio: 0, signal_dbm: -40, served: true, rx_bytes: rx, tx_bytes: tx, inactive_ms: 0, tx_rate_kbps: 54000, rx_rate_kbps: 6500, age_ms: 0 },
    { agent: 'ap-9', radio: 0, signal_dbm: -80, served: false, rx_bytes: 1e9, tx_bytes: 1e9, inactive_ms: 0, tx_rate_kbps: null, rx_rate_kbps: null, age_ms: 0 },
  ],
});

describe('byte rates', () => {
  it('are the serving counters difference over the time between samples', () => {
    const a = servedCounters(client('ap-1', 1000, 500), 10_000);
    const b = servedCounters(client('ap-1', 3000, 1500), 12_000);
    expect(byteRates(a, b)).toEqual({ rx: 1000, tx: 500 });
  });

  it('are unknown across a change of AP, a reset or no time', () => {
    const a = servedCounters(client('ap-1', 1000, 500), 10_000);
    expect(byteRates(a, servedCounters(client('ap-2', 3000, 1500), 11_000))).toBeNull();
    expect(byteRates(a, servedCounters(client('ap-1', 10, 10), 11_000))).toBeNull();
    expect(byteRates(a, a)).toBeNull();
    expect(byteRates(null, a)).toBeNull();
  });

  it('are timed by when the agent measured, not when the page polled', () => {
    const aged = (c: ReturnType<typeof client>, age: number) => ({
      ...c,
      stats: c.stats.map((s) => ({ ...s, age_ms: age })),
    });
    // One report polled twice (400 ms older the second time): the same sample.
    const first = servedCounters(aged(client('ap-1', 1000, 500), 100), 10_000);
    const again = servedCounters(aged(client('ap-1', 1000, 500), 500), 10_400);
    expect(byteRates(first, again)).toBeNull();
    // The next report, measured 1 s after the first (polled 1.1 s later, 200 ms old).
    const next = servedCounters(aged(client('ap-1', 3000, 1000), 200), 11_100);
    expect(byteRates(first, next)).toEqual({ rx: 2000, tx: 500 });
  });

  it('are written in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});

describe('signal history', () => {
  it('keeps one sample per poll with every AP that hears the client', () => {
    let h = addSamples({}, [client('ap-1', 0, 0)], 1);
    h = addSamples(h, [client('ap-2', 0, 0)], 2);
    expect(h['02:c1:00:00:00:00']).toEqual([
      { at: 1, dbm: { 'ap-1': -40, 'ap-2': -70 }, serving: 'ap-1' },
      { at: 2, dbm: { 'ap-1': -40, 'ap-2': -70 }, serving: 'ap-2' },
    ]);
    // A client that is gone is dropped.
    expect(addSamples(h, [], 3)).toEqual({});
  });
});
