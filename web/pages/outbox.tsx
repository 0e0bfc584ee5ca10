import { useState } from 'preact/hooks';
import { call } from '../api';
import { Field, Notes, Problem, Table, useApi, useSend } from '../ui';

/** The notifications outbox (confirmations, reminders, webhooks) and retrying the dead ones. */
export function Outbox() {
  const [status, setStatus] = useState('');
  const list = useApi('GET /api/outbox', { query: status ? { status } : {} });
  const [note, setNote] = useState<string>();
  const { error, send } = useSend();
  const retry = (id?: string) =>
    send(
      () => call('POST /api/outbox/retry', { body: id ? { id } : {} }),
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
