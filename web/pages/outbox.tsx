import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { Field, Notes, Problem, asProblem, useApi } from '../ui';
import type { ApiError } from '../api';

interface Entry {
  id: string;
  event: string;
  subject: string;
  status: string;
  attempts: number;
  createdAt: string;
  dueAt?: string;
  lastError?: string;
  deliveries?: Record<string, { status: string }>;
}

/** The notifications outbox (confirmations, reminders, webhooks) and retrying the dead ones. */
export function Outbox() {
  const [status, setStatus] = useState('');
  const list = useApi<Entry[]>(`/api/outbox${query({ status })}`);
  const [note, setNote] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const retry = async (id?: string) => {
    setError(undefined);
    try {
      const r = await api<{ retried: number }>('POST', '/api/outbox/retry', id ? { id } : {});
      setNote(`${r.data.retried} notification(s) will be sent again by serve.`);
      list.reload();
    } catch (err) {
      setError(asProblem(err));
    }
  };
  return (
    <section aria-labelledby="outbox-title">
      <h1 id="outbox-title">Outbox</h1>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">All</option>
            <option value="pending">Pending</option>
            <option value="delivered">Delivered</option>
            <option value="dead">Dead</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </Field>
        <button type="button" class="outline" onClick={() => retry()}>
          Retry every dead one
        </button>
      </form>
      <Notes done={note} />
      <Problem error={error ?? list.error} />
      {list.data && !list.data.length ? <p>The outbox is empty.</p> : null}
      {list.data?.length ? (
        <div class="scroll" tabIndex={0} role="region" aria-label="Notifications">
          <table>
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col">Event</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Channels</th>
                <th scope="col">Last error</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {list.data.map((e) => (
                <tr>
                  <td>{e.id}</td>
                  <td>{e.event}</td>
                  <td>{e.subject}</td>
                  <td>{e.status}</td>
                  <td>{e.attempts}</td>
                  <td>
                    {Object.entries(e.deliveries ?? {})
                      .map(([k, v]) => `${k}: ${v.status}`)
                      .join(', ')}
                  </td>
                  <td>{e.lastError ?? ''}</td>
                  <td>
                    {e.status === 'dead' ? (
                      <button type="button" class="outline small" onClick={() => retry(e.id)}>
                        Retry
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
