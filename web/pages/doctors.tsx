import { useState } from 'preact/hooks';
import { call } from '../api';
import { Field, Notes, Problem, useApi, useSend } from '../ui';
import type { DoctorChangeView as Changed } from '../../src/studio/contract';

/** Doctors: their weekly hours and leave, changed with the rules of `receptionist doctors`. */
export function Doctors() {
  const list = useApi('GET /api/doctors');
  const [note, setNote] = useState<{ done?: string; warnings?: string[] }>({});
  const { error, send: request } = useSend();
  const send = (fn: () => Promise<{ data: Changed; warnings?: string[] }>, verb: string) =>
    request(fn, (r) => {
      const kept = [...(r.data.outsideHours ?? []), ...(r.data.booked ?? [])];
      setNote({
        done: `${verb} ${r.data.doctor.name}.`,
        warnings: [
          ...(r.warnings ?? []),
          ...(kept.length ? [`These appointments stay booked; move or cancel them on Today: ${kept.join(', ')}.`] : []),
        ],
      });
      list.reload();
    });
  if (list.error) return <Problem error={list.error} />;
  if (!list.data) return <p aria-busy="true">Loading…</p>;
  const { doctors, timeZone, today } = list.data;
  return (
    <section aria-labelledby="doctors-title">
      <h1 id="doctors-title">Doctors</h1>
      <p>
        Hours are in the clinic's zone, {timeZone}, written as{' '}
        <code>mon-fri 09:00-13:00,14:00-17:00; sat 10:00-12:00</code>.
      </p>
      <Notes {...note} />
      <Problem error={error} />
      {doctors.map((d) => (
        <article aria-labelledby={`doctor-${d._id}`}>
          <header>
            <h2 id={`doctor-${d._id}`}>
              {d.name} <small>{d.specialty}</small>
            </h2>
          </header>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              const hours = String(new FormData(e.currentTarget as HTMLFormElement).get('hours'));
              void send(
                () => call('PUT /api/doctors/:doctor/hours', { params: { doctor: d._id }, body: { hours } }),
                'Saved the hours of',
              );
            }}
          >
            <Field label={`Hours of ${d.name}`}>
              <input name="hours" value={d.hours} required />
            </Field>
            <button type="submit">Save hours</button>
          </form>
          <h3>Leave</h3>
          <ul>
            {(d.leave ?? [])
              .filter((l) => l.to >= today)
              .map((l) => (
                <li>
                  {l.from === l.to ? l.from : `${l.from} to ${l.to}`}
                  {l.note ? ` (${l.note})` : ''}{' '}
                  <button
                    type="button"
                    class="outline secondary small"
                    aria-label={`Remove the leave from ${l.from}`}
                    onClick={() =>
                      send(
                        () =>
                          call('DELETE /api/doctors/:doctor/leave/:from', { params: { doctor: d._id, from: l.from } }),
                        'Removed leave of',
                      )
                    }
                  >
                    Remove
                  </button>
                </li>
              ))}
            {!(d.leave ?? []).some((l) => l.to >= today) ? <li>None coming.</li> : null}
          </ul>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              const f = new FormData(e.currentTarget as HTMLFormElement);
              const text = (k: string) => String(f.get(k) ?? '') || undefined;
              const body = { from: text('from') ?? '', to: text('to'), note: text('note') };
              void send(
                () => call('POST /api/doctors/:doctor/leave', { params: { doctor: d._id }, body }),
                'Added leave for',
              );
            }}
          >
            <Field label="First day">
              <input type="date" name="from" required min={today} />
            </Field>
            <Field label="Last day">
              <input type="date" name="to" min={today} />
            </Field>
            <Field label="Note">
              <input name="note" />
            </Field>
            <button type="submit" class="outline">
              Add leave
            </button>
          </form>
        </article>
      ))}
    </section>
  );
}
