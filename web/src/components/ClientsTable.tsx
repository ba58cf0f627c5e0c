import type { Client } from '../api';
import { formatBytes, signalClass, type Rates } from '../logic';

interface Props {
  clients: Client[];
  rates: Record<string, Rates | null>;
  since: Record<string, { at: number; before: boolean }>;
  selected: string | null;
  onSelect: (mac: string) => void;
}

const rate = (r: number | undefined) => (r === undefined ? '–' : `${formatBytes(r)}/s`);
const phy = (kbps: number | null | undefined) => (kbps == null ? '–' : `${(kbps / 1000).toFixed(kbps % 1000 ? 1 : 0)}`);
const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });

export function ClientsTable({ clients, rates, since, selected, onSelect }: Props) {
  if (clients.length === 0) return <p class="muted">No clients yet.</p>;
  return (
    <table class="clients" data-testid="clients">
      <thead>
        <tr>
          <th>Client</th>
          <th>LVAP BSSID</th>
          <th>Serving AP</th>
          <th>Signal</th>
          <th title="the bit rate of the last frame from / to the client, at the serving AP">PHY rx / tx (Mbit/s)</th>
          <th title="receive / transmit, from the serving AP's counters, per second">Traffic rx / tx</th>
          <th>Bytes rx / tx</th>
          <th>Connected since</th>
        </tr>
      </thead>
      <tbody>
        {clients.map((c) => {
          const served = c.stats.find((s) => s.served);
          const signal = c.signals.find((s) => s.agent === c.lvap?.agent && s.radio === c.lvap?.radio)?.signal_dbm;
          const r = rates[c.mac];
          const s = since[c.mac];
          return (
            <tr key={c.mac} data-client={c.mac} class={selected === c.mac ? 'selected' : ''} onClick={() => onSelect(c.mac)}>
              <td class="mono">{c.mac}</td>
              <td class="mono">{c.bssid ?? '–'}</td>
              <td class="serving">
                {c.lvap ? `${c.lvap.agent}/${c.lvap.radio}` : '–'}
                {c.lvap && c.lvap.state !== 'active' && <span class="badge">{c.lvap.state}</span>}
              </td>
              <td>{signal === undefined ? '–' : <span class={`dbm ${signalClass(signal)}`}>{signal} dBm</span>}</td>
              <td class="phy">
                {phy(served?.rx_rate_kbps)} / {phy(served?.tx_rate_kbps)}
              </td>
              <td>
                {rate(r?.rx)} / {rate(r?.tx)}
              </td>
              <td>{served ? `${formatBytes(served.rx_bytes)} / ${formatBytes(served.tx_bytes)}` : '–'}</td>
              <td>{s ? `${s.before ? 'before ' : ''}${time(s.at)}` : c.associated ? '–' : 'not associated'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
