import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { Field, Notes, Problem, Table, useApi, useSend } from '../ui';

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
  const { error, send } = useSend();
  const retry = (id?: string) =>
    send(
      () => api<{ retried: number }>('POST', '/api/outbox/retry', id ? { id } : {}),
      (r) => {
        setNote(`${r.data.retried} notification(s) will be sent again by serve.`);
        list.reload();
      },
    );
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
        <Table
          label="Notifications"
          head={['Entry', 'Event', 'Subject', 'Status', 'Attempts', 'Channels', 'Last error', '']}
          rows={list.data.map((e) => [
            e.id,
            e.event,
            e.subject,
            e.status,
            e.attempts,
            Object.entries(e.deliveries ?? {})
              .map(([k, v]) => `${k}: ${v.status}`)
              .join(', '),
            e.lastError ?? '',
            e.status === 'dead' ? (
              <button type="button" class="outline small" onClick={() => retry(e.id)}>
                Retry
              </button>
            ) : null,
          ])}
        />
      ) : null}
    </section>
  );
}
