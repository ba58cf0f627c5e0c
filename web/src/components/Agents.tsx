import type { Agent } from '../api';

const pct = (u: number | null) => (u === null ? '–' : `${Math.round(u * 100)} %`);

export function Agents({ agents }: { agents: Agent[] }) {
  if (agents.length === 0) return <p class="muted">No agents yet.</p>;
  return (
    <table data-testid="agents">
      <thead>
        <tr>
          <th>Agent</th>
          <th>State</th>
          <th>Radio</th>
          <th>Band</th>
          <th>Channel</th>
          <th>Clients</th>
          <th>Busy</th>
          <th>Software</th>
        </tr>
      </thead>
      <tbody>
        {agents.flatMap((a) =>
          (a.radios.length ? a.radios : [null]).map((r, i) => (
            <tr key={`${a.name}-${r?.index ?? 'none'}`} data-agent={a.name} data-radio={r?.index ?? ''}>
              <td>{i === 0 ? a.name : ''}</td>
              <td>
                {i === 0 &&
                  (a.up ? (
                    <span class="badge completed">up</span>
                  ) : (
                    <span class="badge failed" title={a.last_down ?? ''}>
                      down
                    </span>
                  ))}
              </td>
              <td class="mono">{r ? `${r.index} ${r.name} ${r.address}` : '–'}</td>
              <td>{r?.band ?? '–'}</td>
              <td class="channel">{r?.channel ?? '–'}</td>
              <td>{r ? `${r.lvaps.length} / ${r.max_lvaps}` : '–'}</td>
              <td>{r ? pct(r.utilization) : '–'}</td>
              <td class="small">{i === 0 ? a.software : ''}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
