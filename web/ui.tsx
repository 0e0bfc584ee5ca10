import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, RequestError, type ApiError } from './api';

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

/** Loads `path` (again whenever `deps` change); `reload()` fetches it again. */
export function useApi<T>(path: string | undefined, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>('GET', path).then(
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
