// The network as a picture: access points in a row with their radios'
// channels, each client under the AP that serves it, a solid link to it
// labelled with its signal, and faint links to the other APs that hear it.

import type { Agent, Client } from '../api';
import { signalClass } from '../logic';

const WIDTH = 900;
const AP_Y = 70;
const CLIENT_Y = 250;
const MARGIN = 70;

interface Props {
  agents: Agent[];
  clients: Client[];
  selected: string | null;
  onSelect: (mac: string) => void;
}

/** x of item `i` of `n` spread over the width. */
const spread = (i: number, n: number) => (n <= 1 ? WIDTH / 2 : MARGIN + (i * (WIDTH - 2 * MARGIN)) / (n - 1));

export function Topology({ agents, clients, selected, onSelect }: Props) {
  const aps = [...agents].sort((a, b) => a.name.localeCompare(b.name));
  const apX = new Map(aps.map((a, i) => [a.name, spread(i, aps.length)]));
  // Clients grouped by serving AP (in the APs' order), then by MAC.
  const order = (c: Client) => (c.lvap ? aps.findIndex((a) => a.name === c.lvap?.agent) : aps.length);
  const placed = [...clients].sort((a, b) => order(a) - order(b) || a.mac.localeCompare(b.mac));
  const clientX = new Map(placed.map((c, i) => [c.mac, spread(i, placed.length)]));

  return (
    <svg class="topology" data-testid="topology" viewBox={`0 0 ${WIDTH} 320`} role="img" aria-label="Network topology">
      {placed.flatMap((c) =>
        c.signals.map((s) => {
          const x1 = apX.get(s.agent);
          const x2 = clientX.get(c.mac) ?? 0;
          if (x1 === undefined) return null;
          const serving = c.lvap?.agent === s.agent;
          return (
            <g
              key={`${c.mac}-${s.agent}`}
              class={`link ${serving ? 'serving' : 'heard'} ${signalClass(s.signal_dbm)}`}
              data-link={`${c.mac}>${s.agent}`}
              data-serving={serving ? 'true' : 'false'}
            >
              <line x1={x1} y1={AP_Y + 22} x2={x2} y2={CLIENT_Y - 14} />
              <title>{`${c.mac} ${serving ? 'served' : 'heard'} by ${s.agent}/${s.radio}: ${s.signal_dbm} dBm`}</title>
              {serving && (
                <text x={(x1 + x2) / 2 + 4} y={(AP_Y + CLIENT_Y) / 2 + 4} class="link-label">
                  {s.signal_dbm} dBm
                </text>
              )}
            </g>
          );
        }),
      )}
      {aps.map((a) => (
        <g key={a.name} class={`ap ${a.up ? 'up' : 'down'}`} data-ap={a.name} transform={`translate(${apX.get(a.name)}, ${AP_Y})`}>
          <rect x={-52} y={-24} width={104} height={46} rx={8} />
          <text y={-6} class="ap-name">
            {a.name}
          </text>
          <text y={12} class="ap-radios">
            {a.radios.map((r) => `${r.name} ch ${r.channel}`).join(' · ') || 'no radio'}
          </text>
          {!a.up && (
            <text y={38} class="ap-down">
              down
            </text>
          )}
        </g>
      ))}
      {placed.map((c) => (
        <g
          key={c.mac}
          class={`client ${c.lvap?.state ?? 'none'} ${selected === c.mac ? 'selected' : ''}`}
          data-client={c.mac}
          data-serving={c.lvap?.agent ?? ''}
          transform={`translate(${clientX.get(c.mac)}, ${CLIENT_Y})`}
          onClick={() => onSelect(c.mac)}
        >
          <circle r={13} />
          <text y={32} class="client-name">
            {c.mac.slice(-5)}
          </text>
          <text y={47} class="client-ap">
            {c.lvap ? `${c.lvap.agent}${c.lvap.state === 'migrating' ? ' →' : ''}` : 'unplaced'}
          </text>
          <title>{`${c.mac} (BSSID ${c.bssid ?? '-'})`}</title>
        </g>
      ))}
    </svg>
  );
}
