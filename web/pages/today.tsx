import { useMemo, useState } from 'preact/hooks';
import { call } from '../api';
import type {
  AppointmentDetails,
  AppointmentRow as Appointment,
  BookableSlots as Bookable,
  ClinicView as Clinic,
  DeskChangeView as Change,
  DoctorView as Doctor,
} from '../../src/studio/contract';
import { Field, Modal, Notes, PasswordAgain, Problem, Table, useApi, useSend } from '../ui';
import { addDays, clock, dayLabel, hhmm, isoDay, minutes, weekday } from '../format';
import type { Me } from '../main';

type Dialog =
  | { kind: 'book'; doctor?: string; at?: string }
  | { kind: 'details'; appointment: Appointment }
  | { kind: 'move'; appointment: Appointment }
  | { kind: 'cancel'; appointment: Appointment };

const onLeave = (d: Doctor, day: string) => (d.leave ?? []).find((l) => l.from <= day && day <= l.to);

/** The slots the front desk would book now (`GET /api/slots`): only these get a Book button. */

/**
 * Slot starts (minutes) of `d` on `day`: its hours that day, one per slot length; none on leave.
 * Layout only (the rows of the grid, "not working"): what can be booked is the server's {@link Bookable}.
 */
function slots(d: Doctor, day: string, clinicSlot: number): number[] {
  if (onLeave(d, day)) return [];
  const len = d.slotMinutes ?? clinicSlot;
  return (d.weeklyHours[weekday(day)] ?? []).flatMap(([from, to]) => {
    const out: number[] = [];
    for (let m = minutes(from); m + len <= minutes(to); m += len) out.push(m);
    return out;
  });
}

/** Today: the day's or the week's appointments per doctor, booked, moved and cancelled here. */
export function Today({ me }: { me: Me }) {
  const clinic = useApi('GET /api/clinic');
  const [day, setDay] = useState<string>();
  const [view, setView] = useState<'day' | 'week'>('day');
  const [doctor, setDoctor] = useState('');
  const [dialog, setDialog] = useState<Dialog>();
  const [note, setNote] = useState<{ done?: string; warnings?: string[] }>({});
  const c = clinic.data;
  const from = day ?? c?.today;
  const to = from && view === 'week' ? addDays(from, 6) : from;
  const doctors = useApi('GET /api/doctors', c ? {} : undefined);
  const list = useApi('GET /api/appointments', from ? { query: { from, to } } : undefined);
  const visits = useApi('GET /api/service-visits', from ? { query: { from, to } } : undefined);
  const bookable = useApi('GET /api/slots', from && view === 'day' ? { query: { date: from } } : undefined);
  if (clinic.error) return <Problem error={clinic.error} />;
  if (!c || !from || !to) return <p aria-busy="true">Loading…</p>;
  const shown = (doctors.data?.doctors ?? []).filter((d) => !doctor || d._id === doctor);
  const rows = (list.data?.rows ?? []).filter((a) => !doctor || a.doctorId === doctor);
  const changed = (verb: string) => (r: { data: Change; warnings?: string[] }) => {
    const a = r.data.appointment;
    setNote({
      done: `${verb} ${a.appointmentId}: ${a.doctorName}, ${dateText(a.start, c.timeZone)}.`,
      warnings: r.warnings,
    });
    setDialog(undefined);
    list.reload();
    bookable.reload();
  };
  return (
    <section aria-labelledby="today-title">
      <hgroup>
        <h1 id="today-title">{view === 'day' ? dayLabel(from) : `Week of ${dayLabel(from)}`}</h1>
        <p>
          {c.name}. Times are in the clinic's zone, {c.timeZone}.
        </p>
      </hgroup>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <button type="button" class="outline" onClick={() => setDay(addDays(from, view === 'week' ? -7 : -1))}>
          ← Earlier
        </button>
        <Field label="Day">
          <input type="date" value={from} onChange={(e) => setDay((e.target as HTMLInputElement).value || undefined)} />
        </Field>
        <button type="button" class="outline" onClick={() => setDay(addDays(from, view === 'week' ? 7 : 1))}>
          Later →
        </button>
        <button type="button" class="outline" onClick={() => setDay(undefined)}>
          Today
        </button>
        <Field label="View">
          <select value={view} onChange={(e) => setView((e.target as HTMLSelectElement).value as 'day' | 'week')}>
            <option value="day">Day</option>
            <option value="week">Week</option>
          </select>
        </Field>
        <Field label="Doctor">
          <select value={doctor} onChange={(e) => setDoctor((e.target as HTMLSelectElement).value)}>
            <option value="">All doctors</option>
            {doctors.data?.doctors.map((d) => (
              <option value={d._id}>{d.name}</option>
            ))}
          </select>
        </Field>
        <button type="button" onClick={() => setDialog({ kind: 'book', doctor: doctor || undefined })}>
          Book…
        </button>
      </form>
      <Notes {...note} />
      <Problem error={list.error ?? doctors.error} />
      {view === 'day' ? (
        <DayGrid
          day={from}
          admin={me.role === 'admin'}
          clinic={c}
          doctors={shown}
          rows={rows}
          bookable={bookable.data?.date === from ? bookable.data : undefined}
          open={setDialog}
        />
      ) : (
        <WeekGrid from={from} admin={me.role === 'admin'} clinic={c} doctors={shown} rows={rows} open={setDialog} />
      )}
      <h2>AC service visits</h2>
      {visits.data?.length ? (
        <Table
          label="AC service visits"
          head={['Day', 'Window', 'Visit', 'Customer', 'Warranty', 'Status']}
          rows={visits.data.map((v) => [
            dayLabel(v.date),
            v.window,
            v.visitId,
            v.customerId,
            v.isInWarranty ? 'in warranty' : 'out of warranty',
            v.status,
          ])}
        />
      ) : (
        <p>No technician visits {view === 'day' ? 'this day' : 'this week'}.</p>
      )}
      <BookDialog
        dialog={dialog}
        doctors={doctors.data?.doctors ?? []}
        close={() => setDialog(undefined)}
        done={changed('Booked')}
      />
      <ChangeDialog kind="move" dialog={dialog} clinic={c} close={() => setDialog(undefined)} done={changed('Moved')} />
      <ChangeDialog
        kind="cancel"
        dialog={dialog}
        clinic={c}
        close={() => setDialog(undefined)}
        done={changed('Cancelled')}
      />
      <DetailsDialog dialog={dialog} clinic={c} close={() => setDialog(undefined)} />
    </section>
  );
}

const dateText = (iso: string, zone: string) => `${dayLabel(isoDay(iso, zone))} ${hhmm(iso, zone)}`;

interface GridProps {
  admin: boolean;
  clinic: Clinic;
  doctors: Doctor[];
  rows: Appointment[];
  open: (d: Dialog) => void;
}

function AppointmentCell({ a, open, admin }: { a: Appointment; open: (d: Dialog) => void; admin: boolean }) {
  return (
    <div class="appointment">
      <span class="patient">{a.patientName}</span> <small>{a.appointmentId}</small>
      <span class="actions">
        <button type="button" class="outline small" onClick={() => open({ kind: 'move', appointment: a })}>
          Move
        </button>
        <button type="button" class="outline secondary small" onClick={() => open({ kind: 'cancel', appointment: a })}>
          Cancel
        </button>
        {admin ? (
          <button
            type="button"
            class="outline secondary small"
            onClick={() => open({ kind: 'details', appointment: a })}
          >
            Details
          </button>
        ) : null}
      </span>
    </div>
  );
}

function DayGrid({
  day,
  admin,
  clinic,
  doctors,
  rows,
  bookable,
  open,
}: GridProps & { day: string; bookable?: Bookable }) {
  const at = new Map(rows.map((a) => [`${a.doctorId}|${hhmm(a.start, clinic.timeZone)}`, a]));
  const working = new Map(doctors.map((d) => [d._id, new Set(slots(d, day, clinic.slotMinutes))]));
  const canBook = new Set((bookable?.slots ?? []).map((s) => `${s.doctorId}|${hhmm(s.start, clinic.timeZone)}`));
  const times = [
    ...new Set([
      ...doctors.flatMap((d) => [...working.get(d._id)!]),
      ...rows.map((a) => minutes(hhmm(a.start, clinic.timeZone))),
    ]),
  ].sort((a, b) => a - b);
  if (!doctors.length)
    return (
      <p>
        No doctors yet: add them on the Doctors page or with <code>receptionist doctors add</code>.
      </p>
    );
  if (!times.length) return <p>No doctor sees patients on {dayLabel(day)}.</p>;
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Appointments of the day">
      <table class="calendar">
        <caption class="visually-hidden">Appointments on {dayLabel(day)}, by doctor</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {doctors.map((d) => (
              <th scope="col">
                {d.name}
                <br />
                <small>
                  {onLeave(d, day)
                    ? `on leave${onLeave(d, day)!.note ? `: ${onLeave(d, day)!.note}` : ''}`
                    : d.specialty}
                </small>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {times.map((m) => (
            <tr>
              <th scope="row">{clock(m)}</th>
              {doctors.map((d) => {
                const a = at.get(`${d._id}|${clock(m)}`);
                if (a)
                  return (
                    <td class="booked">
                      <AppointmentCell a={a} open={open} admin={admin} />
                    </td>
                  );
                if (canBook.has(`${d._id}|${clock(m)}`))
                  return (
                    <td class="free">
                      <button
                        type="button"
                        class="outline small"
                        aria-label={`Book ${d.name} at ${clock(m)}`}
                        onClick={() => open({ kind: 'book', doctor: d._id, at: `${day} ${clock(m)}` })}
                      >
                        Book
                      </button>
                    </td>
                  );
                if (working.get(d._id)!.has(m))
                  return <td class="closed" aria-label="not bookable" title="past, held, or the clinic is closed" />;
                return <td class="closed" aria-label="not working" />;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WeekGrid({ from, admin, clinic, doctors, rows, open }: GridProps & { from: string }) {
  const days = Array.from({ length: 7 }, (_, i) => addDays(from, i));
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Appointments of the week">
      <table class="calendar week">
        <caption class="visually-hidden">Appointments in the week of {dayLabel(from)}, by doctor</caption>
        <thead>
          <tr>
            <th scope="col">Doctor</th>
            {days.map((d) => (
              <th scope="col">{dayLabel(d)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {doctors.map((d) => (
            <tr>
              <th scope="row">{d.name}</th>
              {days.map((day) => {
                const mine = rows.filter((a) => a.doctorId === d._id && isoDay(a.start, clinic.timeZone) === day);
                const leave = onLeave(d, day);
                return (
                  <td class={leave ? 'closed' : undefined}>
                    {leave ? <small>on leave</small> : null}
                    {mine.map((a) => (
                      <div>
                        <strong>{hhmm(a.start, clinic.timeZone)}</strong>{' '}
                        <AppointmentCell a={a} open={open} admin={admin} />
                      </div>
                    ))}
                    {!leave && !mine.length && !slots(d, day, clinic.slotMinutes).length ? (
                      <small>not working</small>
                    ) : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Done = (r: { data: Change; warnings?: string[] }) => void;

function BookDialog({
  dialog,
  doctors,
  close,
  done,
}: {
  dialog?: Dialog;
  doctors: Doctor[];
  close: () => void;
  done: Done;
}) {
  const s = useSend();
  const d = dialog?.kind === 'book' ? dialog : undefined;
  // One key per opening of the form: a second click (or a retry after a lost answer) books once;
  // the same slot in a new form is a new booking, refused when it is taken.
  const key = useMemo(() => crypto.randomUUID(), [d]);
  const submit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '');
    const body = {
      doctor: text('doctor'),
      at: text('at'),
      name: text('name'),
      phone: text('phone'),
      email: text('email'),
      reason: text('reason'),
    };
    void s.send(
      () =>
        call('POST /api/appointments', { body, headers: { 'idempotency-key': `${key}:${body.at}:${body.doctor}` } }),
      done,
    );
  };
  return (
    <Modal title="Book an appointment" open={Boolean(d)} onClose={() => (s.reset(), close())}>
      <form onSubmit={submit}>
        <Field label="Doctor">
          <select name="doctor" required value={d?.doctor}>
            {doctors.map((x) => (
              <option value={x._id}>
                {x.name} ({x.specialty})
              </option>
            ))}
          </select>
        </Field>
        <Field label="When" help="2026-12-03 10:00, or words: next Monday at 10am">
          <input name="at" required value={d?.at} />
        </Field>
        <Field label="Patient's name">
          <input name="name" required autocomplete="off" />
        </Field>
        <Field label="Phone">
          <input name="phone" type="tel" required autocomplete="off" />
        </Field>
        <Field label="Email">
          <input name="email" type="email" required autocomplete="off" />
        </Field>
        <Field label="Reason">
          <input name="reason" required autocomplete="off" />
        </Field>
        <Problem error={s.error} />
        <button type="submit" aria-busy={s.busy} disabled={s.busy}>
          Book
        </button>
      </form>
    </Modal>
  );
}

/** What the Move and Cancel forms differ in: the one field each sends, and where. */
const CHANGES = {
  move: {
    title: 'Move',
    field: 'at',
    label: 'New time',
    help: '2026-12-03 11:30, or words: tomorrow at 4pm',
    button: 'Move',
    initial: (a: Appointment, zone: string) => `${isoDay(a.start, zone)} ${hhmm(a.start, zone)}`,
  },
  cancel: {
    title: 'Cancel',
    field: 'reason',
    label: 'Reason',
    help: undefined,
    button: 'Cancel the appointment',
    initial: () => '',
  },
} as const;

/** Moves or cancels one appointment (`appointments reschedule` or `cancel`). */
function ChangeDialog({
  kind,
  dialog,
  clinic,
  close,
  done,
}: {
  kind: keyof typeof CHANGES;
  dialog?: Dialog;
  clinic: Clinic;
  close: () => void;
  done: Done;
}) {
  const s = useSend();
  const c = CHANGES[kind];
  const a = dialog?.kind === kind ? dialog.appointment : undefined;
  const submit = (e: Event) => {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget as HTMLFormElement).get(c.field));
    const params = { id: a!.appointmentId };
    void s.send(
      () =>
        kind === 'move'
          ? call('POST /api/appointments/:id/move', { params, body: { at: value } })
          : call('POST /api/appointments/:id/cancel', { params, body: { reason: value } }),
      done,
    );
  };
  return (
    <Modal title={`${c.title} ${a?.appointmentId ?? ''}`} open={Boolean(a)} onClose={() => (s.reset(), close())}>
      {a ? (
        <form onSubmit={submit}>
          <p>
            {a.patientName} with {a.doctorName}, {kind === 'move' ? 'now ' : ''}
            {dateText(a.start, clinic.timeZone)}.
          </p>
          <Field label={c.label} help={c.help}>
            <input name={c.field} required value={c.initial(a, clinic.timeZone)} />
          </Field>
          <Problem error={s.error} />
          <button
            type="submit"
            class={kind === 'cancel' ? 'secondary' : undefined}
            aria-busy={s.busy}
            disabled={s.busy}
          >
            {c.button}
          </button>
        </form>
      ) : null}
    </Modal>
  );
}

/** An appointment in full for an admin, after the password again (`appointments show --decrypt`, audited). */
function DetailsDialog({ dialog, clinic, close }: { dialog?: Dialog; clinic: Clinic; close: () => void }) {
  const s = useSend();
  const [opened, setOpened] = useState<AppointmentDetails>();
  const a = dialog?.kind === 'details' ? dialog.appointment : undefined;
  const open = (password: string) =>
    s.send(
      () => call('POST /api/appointments/:id/decrypt', { params: { id: a!.appointmentId }, body: { password } }),
      (r) => setOpened(r.data.appointment),
    );
  const shut = () => {
    setOpened(undefined);
    s.reset();
    close();
  };
  return (
    <Modal title={`Appointment ${a?.appointmentId ?? ''}`} open={Boolean(a)} onClose={shut}>
      {a && opened ? (
        <dl class="fields">
          <dt>Patient</dt>
          <dd>{opened.patientName}</dd>
          <dt>When</dt>
          <dd>{dateText(opened.start, clinic.timeZone)}</dd>
          <dt>Doctor</dt>
          <dd>{opened.doctorName}</dd>
          <dt>Phone</dt>
          <dd>{opened.phone ?? '—'}</dd>
          <dt>Email</dt>
          <dd>{opened.email ?? '—'}</dd>
          <dt>Reason</dt>
          <dd>{opened.reason ?? '—'}</dd>
          <dt>Booked</dt>
          <dd>{dateText(opened.createdAt, clinic.timeZone)}</dd>
        </dl>
      ) : a ? (
        <PasswordAgain onPassword={open} error={s.error} busy={s.busy}>
          <p>
            {a.patientName} with {a.doctorName}, {dateText(a.start, clinic.timeZone)}. Your password again opens the
            phone, email and reason; the opening is audited.
          </p>
        </PasswordAgain>
      ) : null}
    </Modal>
  );
}
