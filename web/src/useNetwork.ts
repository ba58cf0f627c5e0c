// What the dashboard knows of the network, kept fresh: clients and agents
// polled every second (and at once after an event that changes them), apps
// every few seconds, the handoff timeline from the history and the stream.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Api, ApiError, type Agent, type App, type Client, type OdinEvent } from './api';
import {
  HANDOFF_KINDS,
  addSamples,
  byteRates,
  reduceTimeline,
  servedCounters,
  type Counters,
  type HandoffEntry,
  type Rates,
  type SignalSample,
} from './logic';
import { followEvents, type StreamState } from './stream';

export const POLL_MS = 1000;
const APPS_EVERY = 5;
/** Events that change what the clients' and agents' lists show. */
const REFRESHING = new Set([
  'agent_up',
  'agent_down',
  'lvap_placed',
  'lvap_removed',
  'lvap_adopted',
  'client_joined',
  'client_left',
  'handoff_started',
  'handoff_completed',
  'handoff_failed',
  'channel_changed',
]);
/** Events too frequent to list in the event log. */
const QUIET = new Set(['client_heard', 'subscription_matched', 'command_result', 'handoff_step_done']);

export interface LoggedEvent {
  seq: number;
  at: number;
  event: OdinEvent;
}

export interface Network {
  agents: Agent[];
  clients: Client[];
  apps: App[];
  /** null until the first answer or failure. */
  reachable: boolean | null;
  stream: StreamState;
  /** Per client: signal by AP, one sample per poll since the page opened. */
  history: Record<string, SignalSample[]>;
  rates: Record<string, Rates | null>;
  /**
   * Per client: when it last associated (from the history or the stream), or
   * else when this page first saw it associated (`before`: it already was at
   * the first poll, so it connected earlier).
   */
  since: Record<string, { at: number; before: boolean }>;
  timeline: HandoffEntry[];
  /** Why the stored history is missing, if it is. */
  historyNote: string | null;
  log: LoggedEvent[];
  /** Fetch everything again now. */
  refresh: () => void;
}

export function useNetwork(api: Api, onRefused: () => void): Network {
  const [agents, setAgents] = useState<Agent[]>([]);
  const [clients, setClients] = useState<Client[]>([]);
  const [apps, setApps] = useState<App[]>([]);
  const [reachable, setReachable] = useState<boolean | null>(null);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [history, setHistory] = useState<Record<string, SignalSample[]>>({});
  const [rates, setRates] = useState<Record<string, Rates | null>>({});
  const [firstSeen, setFirstSeen] = useState<Record<string, { at: number; before: boolean }>>({});
  const [joined, setJoined] = useState<Record<string, number>>({});
  const [timeline, setTimeline] = useState<HandoffEntry[]>([]);
  const [historyNote, setHistoryNote] = useState<string | null>(null);
  const [log, setLog] = useState<LoggedEvent[]>([]);
  const counters = useRef<Record<string, Counters | null>>({});
  const ticks = useRef(0);
  const polled = useRef(false);
  const wake = useRef<() => void>(() => {});
  const seq = useRef(0);

  const failed = useCallback(
    (e: unknown) => {
      if (e instanceof ApiError && e.unauthorized) onRefused();
      else if (e instanceof ApiError && e.unreachable) setReachable(false);
    },
    [onRefused],
  );

  const loadApps = useCallback(() => api.apps().then(setApps, failed), [api, failed]);

  // Clients and agents, every second and when woken by an event.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    const poll = async () => {
      if (running || stopped) return;
      running = true;
      clearTimeout(timer);
      try {
        const [a, c] = await Promise.all([api.agents(), api.clients()]);
        if (stopped) return;
        const now = Date.now();
        const first = !polled.current;
        polled.current = true;
        setReachable(true);
        setAgents(a);
        setClients(c);
        setHistory((h) => addSamples(h, c, now));
        const nextRates: Record<string, Rates | null> = {};
        const nextCounters: Record<string, Counters | null> = {};
        for (const client of c) {
          const sample = servedCounters(client, now);
          const prev = counters.current[client.mac];
          const rate = byteRates(prev, sample);
          nextRates[client.mac] = rate;
          // Keep the older sample when the new one cannot be compared yet.
          nextCounters[client.mac] = rate || !prev || prev.agent !== sample?.agent ? sample : prev;
        }
        counters.current = nextCounters;
        setRates((old) => {
          const merged: Record<string, Rates | null> = {};
          for (const client of c) merged[client.mac] = nextRates[client.mac] ?? old[client.mac] ?? null;
          return merged;
        });
        setFirstSeen((old) => {
          const next: Record<string, { at: number; before: boolean }> = {};
          for (const client of c) {
            if (client.associated) next[client.mac] = old[client.mac] ?? { at: now, before: first };
          }
          return next;
        });
        if (ticks.current++ % APPS_EVERY === 0) loadApps();
      } catch (e) {
        if (!stopped) failed(e);
      } finally {
        running = false;
        if (!stopped) timer = setTimeout(poll, POLL_MS);
      }
    };
    wake.current = () => void poll();
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, failed, loadApps]);

  // The stored history (the controller may keep none): handoffs, and when
  // each client last associated.
  const loadHistory = useCallback(() => {
    api.events(['client_joined'], 1000).then(
      (events) =>
        setJoined((old) => {
          const next = { ...old };
          for (const e of events) if (e.client && e.at_unix_us) next[e.client] = Math.floor(e.at_unix_us / 1000);
          return next;
        }),
      () => {},
    );
    api.events(HANDOFF_KINDS.filter((k) => k !== 'handoff_step_done')).then(
      (events) => {
        setHistoryNote(null);
        const now = Date.now();
        setTimeline((t) => events.reduce((acc, e) => reduceTimeline(acc, e, now), t));
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 503) setHistoryNote(`no stored history: ${e.message}`);
        else failed(e);
      },
    );
  }, [api, failed]);
  useEffect(loadHistory, [loadHistory]);

  // The live stream.
  useEffect(() => {
    let debounce: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(api.token, {
      onState: (state) => {
        setStream(state);
        if (state === 'refused') onRefused();
      },
      onEvent: (event) => {
        const now = Date.now();
        setTimeline((t) => reduceTimeline(t, event, now));
        if (event.kind === 'client_joined' && event.client) {
          const mac = event.client;
          setJoined((a) => ({ ...a, [mac]: now }));
        }
        if (!QUIET.has(event.kind)) {
          setLog((l) => [{ seq: seq.current++, at: now, event }, ...l].slice(0, 50));
        }
        if (event.kind === 'app_changed' || event.kind === 'app_failed') loadApps();
        if (REFRESHING.has(event.kind)) {
          clearTimeout(debounce);
          debounce = setTimeout(() => wake.current(), 50);
        }
      },
    }, api.base);
    return () => {
      clearTimeout(debounce);
      stop();
    };
  }, [api, loadApps, onRefused]);

  const refresh = useCallback(() => {
    wake.current();
    loadApps();
  }, [loadApps]);

  const since: Record<string, { at: number; before: boolean }> = {};
  for (const [mac, seen] of Object.entries(firstSeen)) {
    since[mac] = joined[mac] !== undefined ? { at: joined[mac], before: false } : seen;
  }

  return { agents, clients, apps, reachable, stream, history, rates, since, timeline, historyNote, log, refresh };
}
