// What the benchmarks that drive `serve` share (bench/run.mjs PERF-1/PERF-5, bench/overload.mjs PERF-7,
// bench/attacks.mjs, bench/dur2.mjs): signed requests, an open-loop generator, percentiles and a
// process's resident memory.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

/**
 * The headers of a webhook POST signed as Vapi signs with the HMAC credential `sync` creates
 * (`x-timestamp`, `x-signature` = hex HMAC-SHA256 of `<timestamp>.<body>`; src/domain/webhook-auth.ts).
 * `ts`: epoch ms, default now.
 */
export function signedHeaders(secret, body, ts = Date.now()) {
  return {
    'content-type': 'application/json',
    'x-timestamp': String(ts),
    'x-signature': createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'),
  };
}

/** The `p`th percentile of ascending `sorted` (ms); undefined when it is empty. */
export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Resident memory of process `pid`, MB (Linux /proc); NaN when it does not say. */
export const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/**
 * Open loop: `rate` POSTs a second to `url` for `seconds`, each leaving on its schedule whatever the
 * server does; a latency counts from the scheduled time. `request(dueWallMs)` gives each one's
 * `{ body, headers }` (`dueWallMs`: the wall-clock time it was due). `pid`'s memory is sampled every
 * `rssEveryMs`. Returns `{ sent, latencies` (ms of the 200s, ascending)`, refused` (503s)`,
 * refusedWithRetryAfter, failed` (any other status, or no answer)`, peakRss` (MB)` }`.
 */
export async function openLoop({ url, rate, seconds, pid, request, maxSockets = 256, rssEveryMs = 500 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  const latencies = [];
  let refused = 0;
  let refusedWithRetryAfter = 0;
  let failed = 0;
  let peakRss = 0;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, rssMb(pid))), rssEveryMs);
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  const wall0 = Date.now();
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const { body, headers } = request(Math.round(wall0 + (due - t0)));
    inflight.push(
      new Promise((resolve) => {
        const req = http.request(
          { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200) latencies.push(performance.now() - due);
              else if (res.statusCode === 503) {
                refused++;
                if (res.headers['retry-after']) refusedWithRetryAfter++;
              } else failed++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(inflight);
  clearInterval(rss);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent: total, latencies, refused, refusedWithRetryAfter, failed, peakRss };
}
