import type { MetricsRow as Row } from '../../src/studio/contract';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi } from '../ui';
import { Problem } from '../ui';
import { Field } from '../ui';
import { usd } from '../format';

type ChartModule = typeof import('chart.js');

/** A bar chart of `rows` (Chart.js, loaded with this page only), with the same figures as a table beside it. */
function BarChart({ title, rows, chart }: { title: string; rows: Row[]; chart: ChartModule | undefined }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!chart || !canvas.current) return;
    const c = new chart.Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.group),
        datasets: [
          { label: 'Calls', data: rows.map((r) => r.calls), yAxisID: 'y' },
          { label: 'Minutes', data: rows.map((r) => r.minutes), yAxisID: 'y' },
          { label: 'Cost (USD)', data: rows.map((r) => r.totalCost), yAxisID: 'cost', type: 'line' },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true },
          cost: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } },
        },
      },
    });
    return () => c.destroy();
  }, [chart, rows]);
  return (
    <figure>
      <figcaption>
        <h2>{title}</h2>
      </figcaption>
      <div class="chart">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`${title}: calls, minutes and cost; the table below has the figures`}
        />
      </div>
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{title.replace(/^.* by /, '')}</th>
              <th scope="col">Calls</th>
              <th scope="col">Minutes</th>
              <th scope="col">Cost</th>
              <th scope="col">Average cost</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <th scope="row">{r.group}</th>
                <td>{r.calls}</td>
                <td>{r.minutes}</td>
                <td>{usd(r.totalCost)}</td>
                <td>{r.callsWithCost ? usd(r.averageCost) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Metrics: calls, minutes and cost by day, ended reason and assistant (`receptionist metrics`'s figures). */
export function Metrics() {
  const [since, setSince] = useState('30d');
  const figures = useApi('GET /api/metrics', { query: { since } });
  const [chart, setChart] = useState<ChartModule>();
  useEffect(() => {
    void import('chart.js').then((m) => {
      m.Chart.register(
        m.Colors,
        m.BarController,
        m.LineController,
        m.BarElement,
        m.LineElement,
        m.PointElement,
        m.CategoryScale,
        m.LinearScale,
        m.Legend,
        m.Tooltip,
      );
      setChart(m);
    });
  }, []);
  const f = figures.data;
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <Field label="Since">
          <select value={since} onChange={(e) => setSince((e.target as HTMLSelectElement).value)}>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
            <option value="90d">90 days</option>
            <option value="365d">a year</option>
          </select>
        </Field>
      </form>
      <Problem error={figures.error} />
      {f ? (
        <>
          <p>
            Calls that ended since {new Date(f.since).toISOString().slice(0, 10)}; days are the clinic's ({f.timeZone}).
            The same figures as <code>receptionist metrics --since {since}</code>.
          </p>
          {f.day.length ? null : <p>No calls in this time.</p>}
          <div class="charts">
            <BarChart title="Calls by day" rows={f.day} chart={chart} />
            <BarChart title="Calls by ended reason" rows={f.endedReason} chart={chart} />
            <BarChart title="Calls by assistant" rows={f.assistant} chart={chart} />
          </div>
        </>
      ) : (
        <p aria-busy="true">Loading…</p>
      )}
    </section>
  );
}
