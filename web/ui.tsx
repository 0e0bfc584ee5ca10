import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, pathOf, RequestError, type ApiError, type CallArgs } from './api';
import type { Response, Route } from '../src/studio/contract';

/** A failure as the page shows it: the message, and the next step when the server gave one. */
export function Problem({ error }: { error: ApiError | string | undefined }) {
  if (!error) return null;
  const e = typeof error === 'string' ? { message: error } : error;
  return (
    <div class="problem" role="alert">
      <strong>{e.message}</strong>
      {'hint' in e && e.hint ? <p>{e.hint}</p> : null}
    </div>
  );
}

/** Warnings a command printed (the CLI's `Warning:` lines), and a success note. */
export function Notes({ warnings, done }: { warnings?: string[]; done?: string }) {
  return (
    <>
      {done ? (
        <p class="done" role="status">
          {done}
        </p>
      ) : null}
      {warnings?.map((w) => (
        <p class="warning" role="status">
          {w}
        </p>
      ))}
    </>
  );
}

/** The error of a failed request, for {@link Problem}. */
export const asProblem = (err: unknown): ApiError =>
  err instanceof RequestError
    ? err.error
    : { code: 'network', message: `The studio cannot be reached (${String(err)}).` };

/**
 * Loads route `key` of the contract (a GET), again whenever its path or `deps` change; `args`
 * undefined: not yet (what it needs is still loading). `reload()` fetches it again.
 */
export function useApi<K extends Route>(
  key: K,
  args: Pick<CallArgs<K>, 'params' | 'query'> | undefined = {},
  deps: unknown[] = [],
) {
  const [state, setState] = useState<{ data?: Response<K>; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const path = args ? pathOf(key, args) : undefined;
  useEffect(() => {
    if (!args) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    call(key, args).then(
      (r) => live && setState({ data: r.data, loading: false }),
      (err: unknown) => live && setState({ error: asProblem(err), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick, ...deps]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A modal dialog (the native `<dialog>`: focus kept inside, Escape closes it). */
export function Modal(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} onClose={props.onClose} aria-labelledby="modal-title">
      <article>
        <header>
          <button type="button" aria-label="Close" {...{ rel: 'prev' }} onClick={props.onClose} />
          <h2 id="modal-title">{props.title}</h2>
        </header>
        {props.open ? props.children : null}
      </article>
    </dialog>
  );
}

/** A labelled field: the label names the input for screen readers and for the tests. */
export function Field(props: { label: string; children: ComponentChildren; help?: string }) {
  return (
    <label>
      {props.label}
      {props.children}
      {props.help ? <small>{props.help}</small> : null}
    </label>
  );
}

/**
 * A table of rows in its own scrollable, focusable region (wide tables scroll there, not the page):
 * `head` the column headings, `rows` one array of cells per row.
 */
export function Table(props: {
  label: string;
  head: string[];
  rows: ComponentChildren[][];
  caption?: string;
  /** A class per row (by index), e.g. to mark a drifted resource. */
  rowClass?: (i: number) => string | undefined;
}) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={props.label}>
      <table>
        {props.caption ? <caption class="visually-hidden">{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((cells, i) => (
            <tr class={props.rowClass?.(i)}>
              {cells.map((c) => (
                <td>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The password asked again before sealed fields open (the opening is audited by the server). */
export function PasswordAgain(props: {
  onPassword: (password: string) => Promise<void>;
  error?: ApiError;
  busy: boolean;
  children: ComponentChildren;
}) {
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    void props.onPassword(String(new FormData(form).get('password'))).then(() => form.reset());
  };
  return (
    <form onSubmit={submit}>
      {props.children}
      <Field label="Password">
        <input name="password" type="password" autocomplete="current-password" required />
      </Field>
      <Problem error={props.error} />
      <button type="submit" aria-busy={props.busy} disabled={props.busy}>
        Open
      </button>
    </form>
  );
}

/** A request the page sends on the user's word: `busy` while it runs, `error` when it failed. */
export function useSend() {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const send = async <T,>(fn: () => Promise<T>, done: (r: T) => void) => {
    setBusy(true);
    setError(undefined);
    try {
      done(await fn());
    } catch (err) {
      setError(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, send, reset: () => setError(undefined) };
}
