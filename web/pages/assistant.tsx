import { useEffect, useState } from 'preact/hooks';
import { call, type ApiError } from '../api';
import type { AssistantView as AssistantData, Choices, SyncView as SyncResult } from '../../src/studio/contract';
import { Field, Notes, Problem, Table, asProblem, useApi } from '../ui';
import type { Me } from '../main';

const text = (v: unknown) =>
  v === undefined || v === null ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
const short = (v: unknown) => {
  const t = text(v);
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
};

/** The provider sections of the form: the config keys each one sets, from which list of `options`. */
interface Section {
  legend: string;
  kind: keyof AssistantData['options'];
  provider: string;
  fields: Array<{ key: string; label: string; values: 'voiceIds' | 'models' | 'languages'; resets?: boolean }>;
}
const SECTIONS: Section[] = [
  {
    legend: 'Voice',
    kind: 'voices',
    provider: 'voice.provider',
    fields: [
      { key: 'voice.voiceId', label: 'Voice', values: 'voiceIds', resets: true },
      { key: 'voice.model', label: 'Voice model', values: 'models' },
    ],
  },
  {
    legend: 'Transcriber',
    kind: 'transcribers',
    provider: 'transcriber.provider',
    fields: [
      { key: 'transcriber.model', label: 'Transcriber model', values: 'models', resets: true },
      { key: 'transcriber.language', label: 'Language', values: 'languages' },
    ],
  },
  {
    legend: 'Model',
    kind: 'models',
    provider: 'model.provider',
    fields: [{ key: 'model.model', label: 'Model', values: 'models', resets: true }],
  },
];

/** One value of a provider: a list when Vapi names the values, with free text where it takes any. */
function Choice(props: {
  label: string;
  name: string;
  choices?: Choices;
  value: string;
  set: (v: string) => void;
  help?: string;
}) {
  const { choices } = props;
  const listId = `${props.name}-values`;
  return (
    <Field label={props.label} help={props.help}>
      {choices && !choices.isFreeForm && choices.values.length ? (
        <select
          name={props.name}
          value={props.value}
          onChange={(e) => props.set((e.target as HTMLSelectElement).value)}
        >
          {choices.values.includes(props.value) ? null : (
            <option value={props.value}>{props.value || '(unset)'}</option>
          )}
          {choices.values.map((v) => (
            <option value={v}>{v}</option>
          ))}
        </select>
      ) : (
        <>
          <input
            name={props.name}
            value={props.value}
            list={listId}
            onInput={(e) => props.set((e.target as HTMLInputElement).value)}
          />
          <datalist id={listId}>
            {(choices?.values ?? []).map((v) => (
              <option value={v} />
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}

/** Assistant: the bot config with Vapi's options as dropdowns; Save (`config set`), then Publish (`sync`). */
export function Assistant({ me }: { me: Me }) {
  const loaded = useApi('GET /api/assistant');
  const [values, setValues] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<{ done?: string; warnings?: string[] }>({});
  const { busy, error, run } = useRun();
  // A save makes the plan shown stale: the publish panel starts afresh.
  const [saves, setSaves] = useState(0);
  const d = loaded.data;
  useEffect(() => {
    if (d) setValues(Object.fromEntries(Object.entries(d.values).map(([k, v]) => [k, v === null ? '' : String(v)])));
  }, [d]);
  if (me.role !== 'admin') return <p>Only an admin changes the assistant.</p>;
  if (loaded.error) return <Problem error={loaded.error} />;
  if (!d) return <p aria-busy="true">Loading…</p>;
  const set = (k: string) => (v: string) => setValues((old) => ({ ...old, [k]: v }));
  /** A provider's choice: the provider's values for its fields; a new provider resets a value it lacks. */
  const pickProvider = (section: Section) => (v: string) => {
    const p = d.options[section.kind].find((x) => x.provider === v);
    setValues((old) => {
      const next = { ...old, [section.provider]: v };
      for (const f of section.fields) {
        const c = p?.[f.values];
        if (f.resets && c?.values.length && !c.values.includes(next[f.key] ?? '')) next[f.key] = c.values[0]!;
      }
      return next;
    });
  };
  const changed = Object.entries(values).filter(([k, v]) => v !== (d.values[k] === null ? '' : String(d.values[k])));
  const save = (force: boolean) =>
    run('save', async () => {
      const r = await call('PUT /api/assistant', {
        query: force ? { force: '1' } : {},
        body: Object.fromEntries(changed),
      });
      setSaved({
        done: r.data.changes.length
          ? `Saved: ${r.data.changes.map((c) => `${c.key} ${short(c.from)} → ${short(c.to)}`).join('; ')}. Publish to send it to Vapi.`
          : 'Nothing changed.',
        warnings: r.warnings,
      });
      setSaves((n) => n + 1);
      loaded.reload();
    });
  return (
    <section aria-labelledby="assistant-title">
      <h1 id="assistant-title">Assistant</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save(false);
        }}
      >
        <Field label="Name" help={d.descriptions.name}>
          <input name="name" value={values.name} onInput={(e) => set('name')((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="First message" help={d.descriptions.firstMessage}>
          <textarea
            name="firstMessage"
            rows={2}
            value={values.firstMessage}
            onInput={(e) => set('firstMessage')((e.target as HTMLTextAreaElement).value)}
          />
        </Field>
        <Field label="System prompt" help={d.descriptions.systemPrompt}>
          <textarea
            name="systemPrompt"
            rows={6}
            value={values.systemPrompt}
            onInput={(e) => set('systemPrompt')((e.target as HTMLTextAreaElement).value)}
          />
        </Field>
        {SECTIONS.map((section) => (
          <ProviderFieldset
            section={section}
            options={d.options}
            values={values}
            set={set}
            pick={pickProvider(section)}
          />
        ))}
        <Notes {...saved} />
        <button type="submit" disabled={!changed.length || busy !== ''} aria-busy={busy === 'save'}>
          Save{changed.length ? ` (${changed.length} change${changed.length > 1 ? 's' : ''})` : ''}
        </button>
        {error?.where === 'save' ? <Problem error={error} /> : null}
        {error?.where === 'save' && error.confirm ? (
          <button type="button" class="secondary" onClick={() => save(true)} disabled={busy !== ''}>
            Save anyway
          </button>
        ) : null}
      </form>
      <PublishPanel key={saves} d={d} />
    </section>
  );
}

/** One provider section of the form: the provider, then its fields with the provider's choices. */
function ProviderFieldset(p: {
  section: Section;
  options: AssistantData['options'];
  values: Record<string, string>;
  set: (key: string) => (v: string) => void;
  pick: (v: string) => void;
}) {
  const { section, options, values, set } = p;
  const chosen = options[section.kind].find((o) => o.provider === values[section.provider]);
  return (
    <fieldset class="grid">
      <legend>{section.legend}</legend>
      <Choice
        label={`${section.legend} provider`}
        name={section.provider}
        choices={{ values: options[section.kind].map((o) => o.provider), isFreeForm: false }}
        value={values[section.provider] ?? ''}
        set={p.pick}
      />
      {section.fields.map((f) => (
        <Choice
          label={f.label}
          name={f.key}
          choices={chosen?.[f.values]}
          value={values[f.key] ?? ''}
          set={set(f.key)}
        />
      ))}
      {section.kind === 'models' ? (
        <Field label="Temperature" help="0 to 2">
          <input
            name="model.temperature"
            type="number"
            min={0}
            max={2}
            step={0.1}
            value={values['model.temperature']}
            onInput={(e) => set('model.temperature')((e.target as HTMLInputElement).value)}
          />
        </Field>
      ) : null}
    </fieldset>
  );
}

/** The plan `receptionist sync` would apply: each resource, its changes, and what changed on Vapi. */
function PlanView({ plan }: { plan: SyncResult }) {
  const drifted = plan.plan.filter((p) => p.action === 'drifted');
  const pending = plan.plan.filter((p) => p.action !== 'unchanged');
  return (
    <>
      <Table
        label="The plan"
        caption="Plan"
        head={['Resource', 'Name', 'Action', 'Changes']}
        rowClass={(i) => plan.plan[i]!.action}
        rows={plan.plan.map((p) => [
          p.kind,
          p.name,
          p.action === 'drifted' ? 'changed on Vapi since the last sync' : p.action,
          <>
            {p.changes.map((c) => (
              <div>
                {c.path}: {short(c.from)} → {short(c.to)}
              </div>
            ))}
            {p.remoteChanges.map((c) => (
              <div class="warning">
                on Vapi: {c.path}: {short(c.from)} → {short(c.to)}
              </div>
            ))}
          </>,
        ])}
      />
      <p role="status">
        {pending.length ? `${pending.length} to change on Vapi.` : 'Vapi matches the stored config.'}
        {drifted.length
          ? ` ${drifted.length} changed on Vapi since the last sync: fold those changes into the config here, or run receptionist sync --force to overwrite them.`
          : ''}
      </p>
    </>
  );
}

/** What a button starts: which one is busy, and the error of the last one, by its name. */
function useRun() {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<ApiError & { where: string }>();
  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError({ ...asProblem(err), where: what });
    } finally {
      setBusy('');
    }
  };
  return { busy, error, run };
}

/** Publishing: the plan `receptionist sync` shows, reviewed, then applied; drift on Vapi blocks it. */
function PublishPanel({ d }: { d: AssistantData }) {
  const { busy, error, run } = useRun();
  const [plan, setPlan] = useState<SyncResult>();
  const [published, setPublished] = useState<string>();
  const [serverUrl, setServerUrl] = useState('');
  const body = serverUrl ? { serverUrl } : {};
  const review = () => run('plan', async () => setPlan((await call('POST /api/assistant/plan', { body })).data));
  const publish = () =>
    run('publish', async () => {
      const r = await call('POST /api/assistant/publish', { body });
      setPlan(r.data);
      setPublished(
        r.data.applied
          ? `Published: assistant ${r.data.assistantId ?? ''} on ${r.data.baseUrl}.`
          : 'Vapi already had this; nothing to change.',
      );
    });
  const drifted = plan?.plan.filter((p) => p.action === 'drifted') ?? [];
  return (
    <>
      <h2>Publish to Vapi</h2>
      {!d.vapiKey ? <p class="warning">No VAPI_API_KEY where the studio runs: it can save, not publish.</p> : null}
      <p>
        {d.synced.assistantId ? (
          <>
            On Vapi as assistant <code>{d.synced.assistantId}</code>, webhook <code>{d.synced.serverUrl}</code>.
          </>
        ) : (
          'Not on Vapi yet.'
        )}{' '}
        Publishing applies the plan <code>receptionist sync</code> shows. A resource changed on Vapi since the last sync
        is shown and left as it is.
      </p>
      {!d.synced.serverUrl ? (
        <Field label="Server URL" help="The public URL of receptionist serve (e.g. from serve --tunnel)">
          <input type="url" value={serverUrl} onInput={(e) => setServerUrl((e.target as HTMLInputElement).value)} />
        </Field>
      ) : null}
      <div class="toolbar">
        <button type="button" class="outline" onClick={review} disabled={busy !== ''} aria-busy={busy === 'plan'}>
          Review the plan
        </button>
        <button
          type="button"
          onClick={publish}
          disabled={busy !== '' || !plan || drifted.length > 0}
          aria-busy={busy === 'publish'}
        >
          Publish
        </button>
      </div>
      {error ? <Problem error={error} /> : null}
      {published ? (
        <p class="done" role="status">
          {published}
        </p>
      ) : null}
      {plan ? <PlanView plan={plan} /> : null}
    </>
  );
}
