import { thisProcess, type Deps } from '../deps.js';
import { UserError } from '../errors.js';
import { loadBotConfig, type BotConfig } from '../domain/clinic.js';
import type { Store } from '../store/types.js';
import { createVapiClient, type VapiSettings } from './client.js';
import { pointServerUrls, restoreServerUrls, type TunnelRecord } from './server-url.js';

/** What an {@link AssistantPointer} reports (part of `serve`'s events). */
export type AssistantPointerEvent =
  | {
      kind: 'assistant';
      state: 'pointed' | 'restored';
      url: string;
      assistantId?: string;
      tools: number;
      detail?: string;
    }
  | { kind: 'failure'; where: string; error: string; stack?: string };

/**
 * `--update-assistant`: points the synced assistant and tools at the public URL and puts the
 * previous server back on `restore()`. A record left by a `serve` that died is undone first.
 */
export class AssistantPointer {
  private record: TunnelRecord | undefined;

  private constructor(
    private readonly settings: VapiSettings,
    private readonly vapi: Awaited<ReturnType<typeof createVapiClient>>,
    private readonly store: Store,
    private readonly deps: Deps,
    private readonly onEvent: (e: AssistantPointerEvent) => void,
  ) {}

  /** @throws UserError (not synced; another live serve holds the assistant) */
  static async create(
    settings: VapiSettings,
    store: Store,
    config: BotConfig,
    deps: Deps,
    onEvent: (e: AssistantPointerEvent) => void,
  ): Promise<AssistantPointer> {
    if (!config.vapi?.sync?.assistant)
      throw new UserError(
        'Pointing the assistant at a public URL needs a synced assistant, and this store has none.',
        undefined,
        { reason: 'not-synced' },
      );
    const left = config.vapi.tunnel;
    if (left && left.pid !== thisProcess.pid && thisProcess.isAlive(left.pid)) {
      throw new UserError(`Another serve (pid ${left.pid}) has the assistant pointed at ${left.url}.`, undefined, {
        reason: 'assistant-held',
      });
    }
    const p = new AssistantPointer(settings, await createVapiClient(settings), store, deps, onEvent);
    if (left) {
      await restoreServerUrls(left, p.vapi, settings, store);
      onEvent({
        kind: 'assistant',
        state: 'restored',
        url: left.previous.assistant?.server?.url ?? '',
        assistantId: left.previous.assistant?.id,
        tools: Object.keys(left.previous.tools).length,
        detail: `left by serve pid ${left.pid}, which did not stop cleanly`,
      });
    }
    return p;
  }

  async point(webhookUrl: string): Promise<void> {
    const config = (await loadBotConfig(this.store.collection('bot_configs')))!;
    this.record = await pointServerUrls(webhookUrl, config, this.vapi, this.settings, this.store, this.deps.now());
    this.onEvent({
      kind: 'assistant',
      state: 'pointed',
      url: webhookUrl,
      assistantId: this.record.previous.assistant?.id,
      tools: Object.keys(this.record.previous.tools).length,
    });
  }

  /** Never throws: a failure is reported with the way to fix it (the record stays for the next serve or sync). */
  async restore(): Promise<void> {
    const record =
      this.record ??
      ((await loadBotConfig(this.store.collection('bot_configs')).catch(() => null))?.vapi?.tunnel as
        TunnelRecord | undefined);
    if (!record || record.pid !== thisProcess.pid) return;
    this.record = undefined;
    try {
      await restoreServerUrls(record, this.vapi, this.settings, this.store);
      this.onEvent({
        kind: 'assistant',
        state: 'restored',
        url: record.previous.assistant?.server?.url ?? '',
        assistantId: record.previous.assistant?.id,
        tools: Object.keys(record.previous.tools).length,
      });
    } catch (err) {
      this.onEvent({
        kind: 'failure',
        where: "restoring the assistant's server URL",
        error: `${(err as Error).message} The next \`receptionist serve\` or \`receptionist sync\` puts it back.`,
      });
    }
  }
}
