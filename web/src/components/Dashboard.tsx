import { useCallback, useMemo, useState } from 'preact/hooks';
import { Api } from '../api';
import { useNetwork } from '../useNetwork';
import { Agents } from './Agents';
import { Apps } from './Apps';
import { ClientsTable } from './ClientsTable';
import { Controls } from './Controls';
import { SignalChart } from './SignalChart';
import { Timeline } from './Timeline';
import { Topology } from './Topology';

interface Props {
  token: string;
  onLogout: (notice: string | null) => void;
}

const STREAM_TEXT = { connecting: 'connecting…', open: 'live', down: 'reconnecting…', refused: 'refused' };
const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });

export function Dashboard({ token, onLogout }: Props) {
  const api = useMemo(() => new Api(token), [token]);
  const refused = useCallback(() => onLogout('The controller refused the token (it may have been revoked). Sign in again.'), [onLogout]);
  const net = useNetwork(api, refused);
  const [selected, setSelected] = useState<string | null>(null);
  const client = selected ?? net.clients[0]?.mac ?? null;
  const up = net.agents.filter((a) => a.up).length;

  return (
    <div class="dashboard">
      <header>
        <h1>Odin</h1>
        <span class="summary" data-testid="summary">
          {up}/{net.agents.length} APs up · {net.clients.length} clients
        </span>
        <span class={`stream ${net.stream}`} data-testid="stream-state">
          events: {STREAM_TEXT[net.stream]}
        </span>
        <button class="link" onClick={() => onLogout(null)}>
          Sign out
        </button>
      </header>
      {net.reachable === false && (
        <div class="banner" role="alert" data-testid="unreachable">
          The controller cannot be reached. Retrying every second; what is shown below is the last known state.
        </div>
      )}
      <div class={`grid ${net.reachable === false ? 'stale' : ''}`}>
        <section class="card wide">
          <h2>Topology</h2>
          <Topology agents={net.agents} clients={net.clients} selected={client} onSelect={setSelected} />
          <p class="legend small muted">
            Solid: the AP serving the client, with its signal. Faint: other APs that hear it. Click a client to chart it.
          </p>
        </section>
        <section class="card">
          <h2>Actions</h2>
          <Controls
            api={api}
            agents={net.agents}
            clients={net.clients}
            selected={client}
            onSelect={setSelected}
            onDone={net.refresh}
          />
        </section>
        <section class="card">
          <h2>Signal of {client ?? '…'}</h2>
          {client ? <SignalChart mac={client} samples={net.history[client] ?? []} /> : <p class="muted">No client.</p>}
        </section>
        <section class="card wide">
          <h2>Clients</h2>
          <ClientsTable clients={net.clients} rates={net.rates} since={net.since} selected={client} onSelect={setSelected} />
        </section>
        <section class="card">
          <h2>Handoffs</h2>
          <Timeline entries={net.timeline} note={net.historyNote} />
        </section>
        <section class="card">
          <h2>Agents and radios</h2>
          <Agents agents={net.agents} />
          <h2>Events</h2>
          <ul class="log small" data-testid="event-log">
            {net.log.length === 0 && <li class="muted">Nothing yet.</li>}
            {net.log.map((l) => (
              <li key={l.seq}>
                <span class="when">{clock(l.at)}</span> <span class="kind">{l.event.kind}</span>{' '}
                {String(l.event.detail?.text ?? '')}
              </li>
            ))}
          </ul>
        </section>
        <section class="card wide">
          <h2>Apps</h2>
          <Apps api={api} apps={net.apps} onChanged={net.refresh} />
        </section>
      </div>
    </div>
  );
}
