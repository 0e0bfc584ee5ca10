import { Command, Option } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';
import { collect } from '../shared/options.js';
import { UsageError } from '../../errors.js';

export interface TriggerFlags {
  url?: string;
  set: string[];
  file?: string;
  callId?: string;
  customerNumber?: string;
  auth: string;
  list?: boolean;
  replay?: string;
  username?: string;
  passwordStdin?: boolean;
}

export const triggerCommand = (deps: Deps) =>
  new Command('trigger')
    .description('Send a realistic Vapi server message to a running `serve`, signed with the configured secret')
    .argument('[event]', 'event name from templates/events (see --list)')
    .option('--url <url>', 'webhook URL (default http://127.0.0.1:3000/webhook, or $RECEPTIONIST_URL)')
    .option(
      '--set <path=value>',
      'override a field, e.g. message.call.id=abc or args.date="tomorrow at 10am" (repeatable)',
      collect,
      [],
    )
    .option('--file <payload.json>', 'send this payload instead of a template')
    .option('--call-id <id>', 'call id to use (default: a new one per run)')
    .option('--customer-number <e164>', 'caller number to use (default +919812345678, a seeded customer)')
    .addOption(
      new Option('--auth <mode>', 'how to authenticate').choices(['hmac', 'secret', 'bearer', 'none']).default('hmac'),
    )
    .option('--list', 'list the events')
    .option(
      '--replay <call-id>',
      'send again, in order, the messages `serve --record` kept for this call (needs an admin password)',
    )
    .option('--username <name>', 'the admin opening the recording, for --replay (or $RECEPTIONIST_USERNAME)')
    .option('--password-stdin', 'read the admin password from stdin, for --replay')
    .addHelpText(
      'after',
      `
Placeholders in templates: {{callId}} {{toolCallId}} {{timestamp}} {{startedAt}} {{endedAt}}
{{customerNumber}} {{assistantId}} {{date:tue}} (the first Tuesday at least 3 days ahead).
"args.X" in --set is short for the first tool call's function.arguments.X.

Examples:
  receptionist trigger --list
  receptionist trigger tool-calls.book_appointment --set args.date="next Friday at 3pm"
  receptionist trigger end-of-call-report --call-id call_123
  receptionist trigger --file my-payload.json --auth secret
  receptionist trigger --replay call_123 --url http://127.0.0.1:3001/webhook`,
    )
    .action(async (event: string | undefined, flags: TriggerFlags, cmd: Command) => {
      const { runTrigger, renderTrigger, listEvents, renderEventList } = await import('./trigger.js');
      const g = globalsOf(cmd, deps);
      if (flags.list) return renderEventList(listEvents(), g, deps.io);
      if (flags.replay) {
        if (event || flags.file) throw new UsageError('--replay sends a recorded call; it takes no event or --file.');
        const { runReplay } = await import('./trigger.js');
        await runReplay(flags.replay, flags, g, deps, (r) => renderTrigger(r, g, deps.io));
        return;
      }
      renderTrigger(await runTrigger(event, flags, deps), g, deps.io);
    });
