import type { HandoffEntry } from '../logic';
import { durationSteps } from '../logic';

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });
const ms = (us: number | null | undefined) => (us === null || us === undefined ? 'skipped' : `${(us / 1000).toFixed(1)} ms`);

export function Timeline({ entries, note }: { entries: HandoffEntry[]; note: string | null }) {
  return (
    <div data-testid="timeline">
      {note && <p class="muted small">{note}; showing handoffs since the page opened.</p>}
      {entries.length === 0 ? (
        <p class="muted">No handoffs yet.</p>
      ) : (
        <ol class="timeline">
          {entries.map((e) => {
            const steps = e.durations ? durationSteps(e.durations) : e.steps.map((s) => ({ name: s.name, micros: s.micros }));
            const total = e.durations?.total;
            return (
              <li key={`${e.id}-${e.client}`} class={`handoff ${e.status}`} data-handoff={e.id} data-client={e.client ?? ''}>
                <div class="handoff-head">
                  <span class="when">{clock(e.at)}</span>
                  <span class="mono">{e.client ?? '?'}</span>
                  <span class="route">
                    {e.from ?? '?'} → {e.to ?? '?'}
                  </span>
                  <span class={`badge ${e.status}`}>{e.status}</span>
                  {total !== undefined && <span class="total">{ms(total)}</span>}
                </div>
                <div class="handoff-why small">
                  asked by <b>{e.by ?? '?'}</b>
                  {e.cause && <>: {e.cause}</>}
                  {e.failure && <span class="failure"> — failed {e.failure}</span>}
                </div>
                {steps.length > 0 && (
                  <div class="steps small">
                    {steps.map((s) => (
                      <span key={s.name} class="step">
                        {s.name} {ms(s.micros)}
                      </span>
                    ))}
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
