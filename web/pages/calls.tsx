import { useState } from 'preact/hooks';
import { call } from '../api';
import type { CallView as Call } from '../../src/studio/contract';
import { Field, PasswordAgain, Problem, Table, useApi, useSend } from '../ui';
import { dateTime, usd } from '../format';
import type { Me } from '../main';

/** Vapi's most common `endedReason`s, offered in the filter (any other can be typed). */
const REASONS = [
  'customer-ended-call',
  'assistant-ended-call',
  'assistant-forwarded-call',
  'silence-timed-out',
  'exceeded-max-duration',
  'voicemail',
  'customer-did-not-answer',
  'customer-busy',
  'pipeline-error-openai-llm-failed',
];

const duration = (s: number | null) =>
  s == null ? '—' : `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

/** Calls: the call log newest first, filtered by day, ended reason and caller; one call in full. */
export function Calls({ me, callId }: { me: Me; callId?: string }) {
  return callId ? <OneCall me={me} id={callId} /> : <CallList />;
}

function CallList() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const list = useApi('GET /api/calls', { query: filters });
  const submit = (e: Event) => {
    e.preventDefault();
    setFilters(Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>);
  };
  const zone = list.data?.timeZone ?? 'UTC';
  return (
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">Calls</h1>
      <form class="toolbar" onSubmit={submit}>
        <Field label="Day">
          <input type="date" name="date" />
        </Field>
        <Field label="Ended reason">
          <input name="endedReason" list="reasons" />
          <datalist id="reasons">
            {REASONS.map((r) => (
              <option value={r} />
            ))}
          </datalist>
        </Field>
        <Field label="Caller">
          <input name="caller" type="tel" placeholder="+91…" />
        </Field>
        <button type="submit">Filter</button>
      </form>
      <Problem error={list.error} />
      {list.data && !list.data.rows.length ? <p>No calls match.</p> : null}
      {list.data?.rows.length ? (
        <Table
          label="Calls"
          caption={`Calls, newest first; times in ${zone}`}
          head={['Ended', 'Call', 'Length', 'Ended reason', 'Cost', 'Bookings']}
          rows={list.data.rows.map((c) => [
            c.endedAt ? dateTime(c.endedAt, zone) : c.status,
            <a href={`/calls/${encodeURIComponent(c.callId)}`}>{c.callId}</a>,
            duration(c.durationSeconds),
            c.endedReason ?? '—',
            usd(c.cost),
            c.bookings.map((b) => b.appointmentId).join(', '),
          ])}
        />
      ) : null}
      <p>
        <small>Times are in the clinic's zone, {zone}. Sealed fields open on a call's own page, for an admin.</small>
      </p>
    </section>
  );
}

function OneCall({ me, id }: { me: Me; id: string }) {
  const one = useApi('GET /api/calls/:id', { params: { id } });
  const [opened, setOpened] = useState<Call>();
  const s = useSend();
  const decrypt = (password: string) =>
    s.send(
      () => call('POST /api/calls/:id/decrypt', { params: { id }, body: { password } }),
      (r) => setOpened(r.data.call),
    );
  if (one.error) return <Problem error={one.error} />;
  if (!one.data) return <p aria-busy="true">Loading…</p>;
  const c = opened ?? one.data.call;
  const zone = one.data.timeZone;
  const rows: Array<[string, string | null | undefined]> = [
    ['Status', c.status],
    ['Type', c.callType],
    ['Assistant', c.assistantId],
    ['Started', c.startedAt && dateTime(c.startedAt, zone)],
    ['Ended', c.endedAt && dateTime(c.endedAt, zone)],
    ['Length', duration(c.durationSeconds)],
    ['Ended reason', c.endedReason],
    ['Cost', usd(c.cost)],
    ['Caller', c.customerNumber],
    ['Recording', c.recordingUrl],
    ['Summary', c.summary],
  ];
  return (
    <section aria-labelledby="call-title">
      <p>
        <a href="/calls">← All calls</a>
      </p>
      <h1 id="call-title">Call {c.callId}</h1>
      <dl class="fields">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v ?? '—'}</dd>
          </>
        ))}
        <dt>Bookings</dt>
        <dd>
          {c.bookings.length
            ? c.bookings.map((b) => `${b.appointmentId}${b.patientName ? ` (${b.patientName})` : ''}`).join(', ')
            : 'none'}
        </dd>
      </dl>
      <h2>Transcript</h2>
      <pre class="transcript">{c.transcript ?? '—'}</pre>
      {me.role === 'admin' && !opened ? (
        <PasswordAgain onPassword={decrypt} error={s.error} busy={s.busy}>
          <h2>Open the sealed fields</h2>
          <p>
            Your password again: the opening is audited, as with <code>receptionist logs --decrypt</code>.
          </p>
        </PasswordAgain>
      ) : null}
      {opened ? <p role="status">Opened for {me.username}; the opening is in the audit log.</p> : null}
    </section>
  );
}
