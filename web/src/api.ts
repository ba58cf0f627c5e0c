// The controller's REST API (/api/v1), as the dashboard uses it: the shapes
// it answers with (see odin-controller/src/rest/mod.rs) and one fetch
// wrapper that tells a refused token from an unreachable controller.

export interface Radio {
  index: number;
  name: string;
  address: string;
  band: string;
  channel: number;
  channels: number[];
  ht: boolean;
  vht: boolean;
  max_lvaps: number;
  lvaps: string[];
  load: number;
  utilization: number | null;
  stats_age_ms: number | null;
}

export interface Agent {
  name: string;
  up: boolean;
  connected: boolean;
  software: string;
  last_heard_ms_ago: number | null;
  last_down: string | null;
  radios: Radio[];
}

export interface At {
  agent: string;
  radio: number;
}

export interface Lvap extends At {
  state: 'placing' | 'active' | 'migrating';
  handoff: { id: number; from: At; to: At; phase: string; cause: string; elapsed_ms: number } | null;
}

export interface Signal extends At {
  signal_dbm: number;
  age_ms: number;
}

export interface Stats extends At {
  signal_dbm: number | null;
  served: boolean;
  rx_bytes: number;
  tx_bytes: number;
  inactive_ms: number;
  /** The rate of the last frame sent to / received from the client, kbit/s. */
  tx_rate_kbps: number | null;
  rx_rate_kbps: number | null;
  age_ms: number;
}

export interface Client {
  mac: string;
  bssid: string | null;
  associated: boolean;
  aid: number | null;
  lvap: Lvap | null;
  signals: Signal[];
  stats: Stats[];
}

export interface App {
  name: string;
  about: string;
  enabled: boolean;
  config: unknown;
  calls: number;
  requests: number;
  errors: number;
  panics: number;
  restarts: number;
  last_error: string | null;
}

/** One controller event: from the history (with `id`, `at_unix_us`) or the stream. */
export interface OdinEvent {
  id?: number;
  at_unix_us?: number;
  kind: string;
  client: string | null;
  agent: string | null;
  app: string | null;
  detail: Record<string, unknown>;
}

export type Durations = Partial<Record<'export' | 'add' | 'remove' | 'authorize' | 'switch_lead', number | null>> & {
  total: number;
};

/** Why a request failed: the controller answered with an error, or could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when the controller could not be reached. */
    readonly status: number,
  ) {
    super(message);
  }

  get unreachable(): boolean {
    return this.status === 0;
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export class Api {
  constructor(
    readonly token: string,
    readonly base = '',
  ) {}

  headers(json = false): Record<string, string> {
    const h: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('the controller cannot be reached', 0);
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: a proxy's page, or the controller went away mid-answer.
    }
    if (!response.ok) {
      const message =
        parsed && typeof parsed === 'object' && 'error' in parsed
          ? String((parsed as { error: unknown }).error)
          : `HTTP ${response.status}`;
      throw new ApiError(message, response.status);
    }
    return parsed as T;
  }

  agents = () => this.request<{ agents: Agent[] }>('GET', '/api/v1/agents').then((r) => r.agents);
  clients = () => this.request<{ clients: Client[] }>('GET', '/api/v1/clients').then((r) => r.clients);
  apps = () => this.request<{ apps: App[] }>('GET', '/api/v1/apps').then((r) => r.apps);

  /** The newest `limit` events of these kinds, oldest first. */
  events = (kinds: string[], limit = 200) =>
    this.request<{ events: OdinEvent[] }>(
      'GET',
      `/api/v1/events?kind=${encodeURIComponent(kinds.join(','))}&limit=${limit}`,
    ).then((r) => r.events.reverse());

  handoff = (client: string, agent: string, radio?: number) =>
    this.request<{ handoff?: number; durations_us?: Durations; already_serving?: boolean }>(
      'POST',
      `/api/v1/clients/${client}/handoff`,
      { agent, ...(radio === undefined ? {} : { radio }), cause: 'dashboard' },
    );

  setChannel = (agent: string, radio: number, channel: number) =>
    this.request<unknown>('POST', `/api/v1/agents/${encodeURIComponent(agent)}/radios/${radio}/channel`, { channel });

  enableApp = (name: string) => this.request<unknown>('POST', `/api/v1/apps/${encodeURIComponent(name)}/enable`);
  disableApp = (name: string) => this.request<unknown>('POST', `/api/v1/apps/${encodeURIComponent(name)}/disable`);
  configureApp = (name: string, config: unknown) =>
    this.request<unknown>('PUT', `/api/v1/apps/${encodeURIComponent(name)}/config`, config);
}
