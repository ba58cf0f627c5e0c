// One client's signal over time from every AP that hears it (Chart.js on a
// canvas; the chart is made once and its data replaced at each sample).

import { Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import type { SignalSample } from '../logic';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

const COLORS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];

interface Props {
  mac: string;
  samples: SignalSample[];
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour12: false });

export function SignalChart({ mac, samples }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', { x: number; y: number | null }[]> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        spanGaps: false,
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', ticks: { callback: (v) => clock(Number(v)), maxTicksLimit: 6 } },
          y: { title: { display: true, text: 'dBm' }, suggestedMin: -90, suggestedMax: -30 },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { title: (items) => clock(items[0]?.parsed.x ?? 0) } },
        },
      },
    });
    return () => chart.current?.destroy();
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const agents = [...new Set(samples.flatMap((s) => Object.keys(s.dbm)))].sort();
    c.data.datasets = agents.map((agent, i) => ({
      label: agent,
      data: samples.map((s) => ({ x: s.at, y: s.dbm[agent] ?? null })),
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      // The serving AP's segments drawn thick.
      segment: { borderWidth: (ctx) => (samples[ctx.p1DataIndex]?.serving === agent ? 4 : 1.5) },
    }));
    c.update('none');
  }, [samples, mac]);

  return (
    <div class="chart" data-testid="signal-chart" data-client={mac}>
      <canvas ref={canvas} />
    </div>
  );
}
