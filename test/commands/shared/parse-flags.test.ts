// Every leaf's parse, fed what commander makes of a command line: the argv goes through the leaf's
// own spec (its defaults, choices, argParsers, mandatory options), so a flag renamed in a
// definition fails here as it would for a user.
import { describe, expect, test } from 'vitest';
import { EXIT, UserError } from '../../../src/errors.js';
import { createEnv } from '../../../src/env.js';
import { flagsFrom } from '../../support/flags.js';
import * as appointmentsDef from '../../../src/commands/appointments/index.js';
import * as appointments from '../../../src/commands/appointments/appointments.js';
import * as doctorsDef from '../../../src/commands/doctors/index.js';
import * as doctors from '../../../src/commands/doctors/doctors.js';
import * as outboxDef from '../../../src/commands/outbox/index.js';
import * as outbox from '../../../src/commands/outbox/outbox.js';
import * as remindersDef from '../../../src/commands/reminders/index.js';
import * as reminders from '../../../src/commands/reminders/reminders.js';
import * as notifyDef from '../../../src/commands/notify/index.js';
import * as notify from '../../../src/commands/notify/notify.js';
import * as configDef from '../../../src/commands/config/index.js';
import * as config from '../../../src/commands/config/config.js';
import * as usersDef from '../../../src/commands/users/index.js';
import * as users from '../../../src/commands/users/users.js';
import * as chatDef from '../../../src/commands/chat/index.js';
import * as chat from '../../../src/commands/chat/chat.js';
import { seedSpec } from '../../../src/commands/seed/index.js';
import { parseSeedOptions } from '../../../src/commands/seed/seed.js';
import { optionsSpec } from '../../../src/commands/options/index.js';
import { parseOptionsOptions } from '../../../src/commands/options/options.js';
import { auditSpec } from '../../../src/commands/audit/index.js';
import { parseAuditOptions } from '../../../src/commands/audit/audit.js';
import { metricsSpec } from '../../../src/commands/metrics/index.js';
import { parseMetricsOptions } from '../../../src/commands/metrics/metrics.js';
import { migrateSpec } from '../../../src/commands/migrate/index.js';
import { parseMigrateOptions } from '../../../src/commands/migrate/migrate.js';
import { preflightSpec } from '../../../src/commands/preflight/index.js';
import { parsePreflightOptions } from '../../../src/commands/preflight/preflight.js';
import { callSpec } from '../../../src/commands/call/index.js';
import { parseCallOptions } from '../../../src/commands/call/call.js';
import { syncSpec } from '../../../src/commands/sync/index.js';
import { parseSyncOptions } from '../../../src/commands/sync/sync.js';
import { fromCallSpec, testSpec } from '../../../src/commands/test/index.js';
import { parseTestOptions } from '../../../src/commands/test/test.js';
import { parseFromCall } from '../../../src/commands/test/from-call.js';
import { triggerSpec } from '../../../src/commands/trigger/index.js';
import { parseTriggerOptions } from '../../../src/commands/trigger/trigger.js';
import { backupSpec, restoreSpec } from '../../../src/commands/backup/index.js';
import { parseBackup, parseRestore } from '../../../src/commands/backup/backup.js';
import { studioSpec } from '../../../src/commands/studio/index.js';
import { parseStudioOptions } from '../../../src/commands/studio/studio.js';
import { initSpec } from '../../../src/commands/keys/index.js';
import { parseInit } from '../../../src/commands/keys/keys.js';
import { completionSpec } from '../../../src/commands/completion/index.js';
import { parseCompletion } from '../../../src/commands/completion/completion.js';

const env = createEnv({}, {}, '.env');

/** [what the user typed, the options parse gives]. */
type Case = [string, () => unknown, Record<string, unknown>];
/** [what the user typed, the message of the usage error]. */
type Bad = [string, () => unknown, RegExp];

const words = (line: string) => line.match(/"[^"]*"|\S+/g)?.map((w) => w.replace(/^"|"$/g, '')) ?? [];

describe('each leaf parses its command line into options', () => {
  test.each<Case>([
    ['seed --force', () => parseSeedOptions(flagsFrom(seedSpec, ['--force'])), { force: true }],
    ['seed', () => parseSeedOptions(flagsFrom(seedSpec, [])), { force: false }],
    [
      'options voices --provider 11labs',
      () => parseOptionsOptions(flagsFrom(optionsSpec, words('voices --provider 11labs'))),
      { kind: 'voices', provider: '11labs' },
    ],
    [
      'audit --since 7d --limit 20',
      () => parseAuditOptions(flagsFrom(auditSpec, words('--since 7d --limit 20'))),
      { since: { ms: 7 * 86_400_000 }, limit: 20 },
    ],
    [
      'audit --since 2026-11-01T09:00',
      () => parseAuditOptions(flagsFrom(auditSpec, words('--since 2026-11-01T09:00'))),
      { since: { iso: '2026-11-01T09:00' } },
    ],
    [
      'metrics',
      () => parseMetricsOptions(flagsFrom(metricsSpec, [])),
      { by: 'day', since: { ms: 30 * 86_400_000 }, remote: false },
    ],
    [
      'metrics --by endedReason --since 24h --remote',
      () => parseMetricsOptions(flagsFrom(metricsSpec, words('--by endedReason --since 24h --remote'))),
      { by: 'endedReason', since: { ms: 86_400_000 }, remote: true },
    ],
    [
      'config set voice.provider 11labs voice.voiceId burt',
      () => config.parseSetOptions(flagsFrom(configDef.setSpec, words('voice.provider 11labs voice.voiceId burt'))),
      {
        pairs: [
          ['voice.provider', '11labs'],
          ['voice.voiceId', 'burt'],
        ],
        force: false,
      },
    ],
    ['config edit --editor', () => config.parseEdit(flagsFrom(configDef.editSpec, ['--editor'])), { editor: true }],
    ['config export', () => config.parseExport(flagsFrom(configDef.exportConfigSpec, [])), { file: undefined }],
    [
      'config import c.json',
      () => config.parseImport(flagsFrom(configDef.importConfigSpec, ['c.json'])),
      { file: 'c.json' },
    ],
    [
      'migrate --from local --to mongo --dry-run',
      () => parseMigrateOptions(flagsFrom(migrateSpec, words('--from local --to mongo --dry-run'))),
      { cleanup: false, from: 'local', to: 'mongo', dryRun: true },
    ],
    [
      'migrate --cleanup',
      () => parseMigrateOptions(flagsFrom(migrateSpec, ['--cleanup'])),
      { cleanup: true, dryRun: false },
    ],
    [
      'preflight --public-url https://x.example',
      () => parsePreflightOptions(flagsFrom(preflightSpec, words('--public-url https://x.example'))),
      { publicUrl: 'https://x.example' },
    ],
    [
      'chat -m hi --previous-chat-id c1',
      () => chat.parseChatOptions(flagsFrom(chatDef.chatSpec, words('-m hi --previous-chat-id c1'))),
      { message: 'hi', previousChatId: 'c1' },
    ],
    [
      'chat log --decrypt --limit 5',
      () => chat.parseChatLogOptions(flagsFrom(chatDef.logSpec, words('--decrypt --limit 5'))),
      { decrypt: true, limit: 5 },
    ],
    [
      'call +919812345678 --var name=Asha --var "slot=Tue 11=30" --concurrency 8',
      () =>
        parseCallOptions(
          flagsFrom(callSpec, words('+919812345678 --var name=Asha --var "slot=Tue 11=30" --concurrency 8')),
        ),
      {
        numbers: ['+919812345678'],
        vars: { name: 'Asha', slot: 'Tue 11=30' },
        concurrency: 8,
        wait: false,
        dryRun: false,
      },
    ],
    [
      'call --from-csv r.csv',
      () => parseCallOptions(flagsFrom(callSpec, words('--from-csv r.csv'))),
      { numbers: [], fromCsv: 'r.csv', concurrency: 4 },
    ],
    [
      'sync --check --config c.json',
      () => parseSyncOptions(flagsFrom(syncSpec, words('--check --config c.json'))),
      { check: true, dryRun: false, config: 'c.json' },
    ],
    [
      'sync --test',
      () => parseSyncOptions(flagsFrom(syncSpec, ['--test'])),
      { test: true, check: false, dryRun: false },
    ],
    ['sync --no-test', () => parseSyncOptions(flagsFrom(syncSpec, ['--no-test'])), { test: false }],
    [
      'test --local a.yaml --filter cancel --junit r.xml',
      () => parseTestOptions(flagsFrom(testSpec, words('--local a.yaml --filter cancel --junit r.xml')), env),
      {
        files: ['a.yaml'],
        mode: 'local',
        candidate: false,
        realStore: false,
        filter: 'cancel',
        repeat: 1,
        minPassRate: 1,
        transport: 'chat',
        port: 0,
        timeoutMs: 600_000,
        junit: 'r.xml',
      },
    ],
    [
      'test --candidate --repeat 5 --min-pass-rate 0.8 --max-cost 2.5 --transport voice --public-url https://t.example/',
      () =>
        parseTestOptions(
          flagsFrom(
            testSpec,
            words(
              '--candidate --repeat 5 --min-pass-rate 0.8 --max-cost 2.5 --transport voice --public-url https://t.example/',
            ),
          ),
          env,
        ),
      {
        mode: 'vapi',
        candidate: true,
        repeat: 5,
        minPassRate: 0.8,
        maxCost: 2.5,
        transport: 'voice',
        publicUrl: 'https://t.example',
      },
    ],
    [
      'test from-call c1 --out - --force',
      () => parseFromCall(flagsFrom(fromCallSpec, words('c1 --out - --force'))),
      { callId: 'c1', out: '-', force: true },
    ],
    [
      'trigger --list',
      () => parseTriggerOptions(flagsFrom(triggerSpec, ['--list'])),
      { mode: 'list', auth: 'hmac', set: [] },
    ],
    [
      'trigger end-of-call-report --auth none',
      () => parseTriggerOptions(flagsFrom(triggerSpec, words('end-of-call-report --auth none'))),
      { mode: 'send', event: 'end-of-call-report', auth: 'none' },
    ],
    [
      'trigger --replay call_1',
      () => parseTriggerOptions(flagsFrom(triggerSpec, words('--replay call_1'))),
      { mode: 'replay', replay: 'call_1' },
    ],
    [
      'trigger --purge --dry-run',
      () => parseTriggerOptions(flagsFrom(triggerSpec, words('--purge --dry-run'))),
      { mode: 'purge', dryRun: true },
    ],
    [
      'users passwd ravi',
      () => users.parseUserTarget(flagsFrom(usersDef.passwdSpec, ['ravi']), env),
      { username: 'ravi' },
    ],
    [
      'users add jo --role receptionist',
      () => users.parseNewUser(flagsFrom(usersDef.addSpec, words('jo --role receptionist')), env),
      { username: 'jo', role: 'receptionist' },
    ],
    ['users add jo', () => users.parseNewUser(flagsFrom(usersDef.addSpec, ['jo']), env), { role: 'admin' }],
    [
      'backup b.tar.gz --include-secrets',
      () => parseBackup(flagsFrom(backupSpec, words('b.tar.gz --include-secrets'))),
      { file: 'b.tar.gz', includeSecrets: true, force: false },
    ],
    ['restore - --force', () => parseRestore(flagsFrom(restoreSpec, words('- --force'))), { file: '-', force: true }],
    [
      'studio --port 0 --no-open',
      () => parseStudioOptions(flagsFrom(studioSpec, words('--port 0 --no-open')), env),
      { port: 0, portChosen: true, open: false },
    ],
    ['studio', () => parseStudioOptions(flagsFrom(studioSpec, []), env), { portChosen: false, open: true }],
    ['keys init ravi', () => parseInit(flagsFrom(initSpec, ['ravi'])), { username: 'ravi' }],
    ['completion zsh', () => ({ shell: parseCompletion(flagsFrom(completionSpec, ['zsh'])) }), { shell: 'zsh' }],
    [
      'appointments list --date tomorrow --doctor rao --status all --decrypt',
      () =>
        appointments.parseList(
          flagsFrom(appointmentsDef.listSpec, words('--date tomorrow --doctor rao --status all --decrypt')),
        ),
      { date: 'tomorrow', doctor: 'rao', status: 'all', decrypt: true },
    ],
    [
      'appointments list',
      () => appointments.parseList(flagsFrom(appointmentsDef.listSpec, [])),
      { status: 'confirmed', decrypt: false },
    ],
    [
      'appointments export --ics --from 2026-12-01 --to 2026-12-31',
      () =>
        appointments.parseExport(
          flagsFrom(appointmentsDef.exportIcsSpec, words('--ics --from 2026-12-01 --to 2026-12-31')),
        ),
      { from: '2026-12-01', to: '2026-12-31', decrypt: false },
    ],
    [
      'appointments show "k7m-hqp xy4" --decrypt',
      () => appointments.parseShow(flagsFrom(appointmentsDef.showSpec, words('"k7m-hqp xy4" --decrypt'))),
      { id: 'K7MHQPXY4', decrypt: true },
    ],
    [
      'appointments book --doctor rao --at "2026-12-07 10:00" --name " Asha Verma " --phone "98123 45678" --email a@x.in --reason fever',
      () =>
        appointments.parseBook(
          flagsFrom(
            appointmentsDef.bookSpec,
            words(
              '--doctor rao --at "2026-12-07 10:00" --name " Asha Verma " --phone "98123 45678" --email a@x.in --reason fever',
            ),
          ),
        ),
      { doctor: 'rao', at: '2026-12-07 10:00', name: 'Asha Verma', phone: '98123 45678', reason: 'fever' },
    ],
    [
      'appointments reschedule K7MHQPXY4 --at "2026-12-09 11:30"',
      () =>
        appointments.parseReschedule(
          flagsFrom(appointmentsDef.rescheduleSpec, words('K7MHQPXY4 --at "2026-12-09 11:30"')),
        ),
      { id: 'K7MHQPXY4', at: '2026-12-09 11:30' },
    ],
    [
      'appointments cancel K7MHQPXY4 --reason " patient called "',
      () =>
        appointments.parseCancel(flagsFrom(appointmentsDef.cancelSpec, words('K7MHQPXY4 --reason " patient called "'))),
      { id: 'K7MHQPXY4', reason: 'patient called' },
    ],
    [
      'doctors add --name "Dr. Sen" --specialty pediatrics --hours "mon-sat 09:00-12:00" --slot-minutes 15',
      () =>
        doctors.parseAdd(
          flagsFrom(
            doctorsDef.addSpec,
            words('--name "Dr. Sen" --specialty pediatrics --hours "mon-sat 09:00-12:00" --slot-minutes 15'),
          ),
        ),
      { name: 'Dr. Sen', specialty: 'pediatrics', slotMinutes: 15 },
    ],
    [
      'doctors update rao --slot-minutes clinic',
      () => doctors.parseUpdate(flagsFrom(doctorsDef.updateSpec, words('rao --slot-minutes clinic'))),
      { ref: 'rao', slotMinutes: null },
    ],
    [
      'doctors remove rao --cancel',
      () => doctors.parseRemove(flagsFrom(doctorsDef.removeSpec, words('rao --cancel'))),
      { ref: 'rao', cancel: true },
    ],
    ['doctors show rao', () => doctors.parseShow(flagsFrom(doctorsDef.showSpec, ['rao'])), { ref: 'rao' }],
    [
      'doctors feed-url rao --rotate --public-url https://c.example',
      () =>
        doctors.parseFeedUrl(flagsFrom(doctorsDef.feedUrlSpec, words('rao --rotate --public-url https://c.example'))),
      { ref: 'rao', rotate: true, publicUrl: 'https://c.example' },
    ],
    [
      'doctors leave add rao 2026-12-24..2026-12-26 --note conference',
      () =>
        doctors.parseLeaveAdd(
          flagsFrom(doctorsDef.leaveAddSpec, words('rao 2026-12-24..2026-12-26 --note conference')),
        ),
      { ref: 'rao', days: { from: '2026-12-24', to: '2026-12-26' }, note: 'conference' },
    ],
    [
      'doctors leave remove rao 2026-12-24',
      () => doctors.parseLeaveRemove(flagsFrom(doctorsDef.leaveRemoveSpec, words('rao 2026-12-24'))),
      { ref: 'rao', from: '2026-12-24' },
    ],
    [
      'doctors holidays add 2026-12-25 --name Christmas',
      () => doctors.parseHolidaysAdd(flagsFrom(doctorsDef.holidaysAddSpec, words('2026-12-25 --name Christmas'))),
      { days: { from: '2026-12-25', to: '2026-12-25' }, name: 'Christmas' },
    ],
    [
      'doctors holidays remove 2026-12-25',
      () => doctors.parseHolidaysRemove(flagsFrom(doctorsDef.holidaysRemoveSpec, ['2026-12-25'])),
      { from: '2026-12-25' },
    ],
    [
      'outbox list --status dead --limit 3',
      () => outbox.parseList(flagsFrom(outboxDef.listSpec, words('--status dead --limit 3'))),
      { status: 'dead', limit: 3 },
    ],
    ['outbox retry msg_1', () => outbox.parseRetry(flagsFrom(outboxDef.retrySpec, ['msg_1'])), { id: 'msg_1' }],
    ['outbox purge', () => outbox.parsePurge(flagsFrom(outboxDef.purgeSpec, [])), { olderThanDays: 30, dead: false }],
    [
      'reminders list --appointment "k7m hqp xy4" --limit 2',
      () => reminders.parseList(flagsFrom(remindersDef.listSpec, words('--appointment "k7m hqp xy4" --limit 2'))),
      { status: 'pending', appointment: 'K7MHQPXY4', limit: 2 },
    ],
    [
      'reminders cancel msg_1 K7MHQPXY4',
      () => reminders.parseCancel(flagsFrom(remindersDef.cancelSpec, words('msg_1 K7MHQPXY4'))),
      { ids: ['msg_1', 'K7MHQPXY4'] },
    ],
    [
      'notify webhooks add https://h.example/in --events appointment.booked,appointment.cancelled',
      () =>
        notify.parseAdd(
          flagsFrom(notifyDef.addSpec, words('https://h.example/in --events appointment.booked,appointment.cancelled')),
        ),
      { url: 'https://h.example/in', events: ['appointment.booked', 'appointment.cancelled'] },
    ],
    [
      'notify webhooks remove we_1',
      () => notify.parseRemove(flagsFrom(notifyDef.removeSpec, ['we_1'])),
      { id: 'we_1' },
    ],
  ])('%s', (_line, parse, expected) => {
    expect(parse()).toMatchObject(expected);
  });
});

describe('bad flags are usage errors (exit 2) before anything is opened', () => {
  test.each<Bad>([
    [
      'audit --since tomorrow',
      () => parseAuditOptions(flagsFrom(auditSpec, words('--since tomorrow'))),
      /Invalid --since "tomorrow"/,
    ],
    ['audit --limit 0', () => parseAuditOptions(flagsFrom(auditSpec, words('--limit 0'))), /Invalid --limit "0"/],
    [
      'metrics --since "Dec 1"',
      () => parseMetricsOptions(flagsFrom(metricsSpec, words('--since "Dec 1"'))),
      /Invalid --since "Dec 1"/,
    ],
    [
      'config set voice.provider',
      () => config.parseSetOptions(flagsFrom(configDef.setSpec, ['voice.provider'])),
      /key value pairs/,
    ],
    [
      'migrate --from local --to local',
      () => parseMigrateOptions(flagsFrom(migrateSpec, words('--from local --to local'))),
      /both "local"/,
    ],
    [
      'migrate --from sqlite --to mongo',
      () => parseMigrateOptions(flagsFrom(migrateSpec, words('--from sqlite --to mongo'))),
      /Invalid --from "sqlite"/,
    ],
    [
      'migrate --cleanup --to mongo',
      () => parseMigrateOptions(flagsFrom(migrateSpec, words('--cleanup --to mongo'))),
      /--cleanup takes no/,
    ],
    [
      'chat log --limit x',
      () => chat.parseChatLogOptions(flagsFrom(chatDef.logSpec, words('--limit x'))),
      /Invalid --limit "x"/,
    ],
    ['call', () => parseCallOptions(flagsFrom(callSpec, [])), /at least one number/],
    ['call +1 --from-csv a.csv', () => parseCallOptions(flagsFrom(callSpec, words('+1 --from-csv a.csv'))), /not both/],
    [
      'call +1 --var name',
      () => parseCallOptions(flagsFrom(callSpec, words('+1 --var name'))),
      /--var needs key=value/,
    ],
    [
      'call +1 --concurrency 0',
      () => parseCallOptions(flagsFrom(callSpec, words('+1 --concurrency 0'))),
      /Invalid --concurrency "0"/,
    ],
    ['sync --dry-run --check', () => parseSyncOptions(flagsFrom(syncSpec, words('--dry-run --check'))), /give one/],
    ['test --repeat 0', () => parseTestOptions(flagsFrom(testSpec, words('--repeat 0')), env), /Invalid --repeat "0"/],
    [
      'test --min-pass-rate 90',
      () => parseTestOptions(flagsFrom(testSpec, words('--min-pass-rate 90')), env),
      /Invalid --min-pass-rate "90"/,
    ],
    [
      'test --local --candidate',
      () => parseTestOptions(flagsFrom(testSpec, words('--local --candidate')), env),
      /--candidate is for a run on Vapi, not --local/,
    ],
    [
      'test --candidate --assistant a1',
      () => parseTestOptions(flagsFrom(testSpec, words('--candidate --assistant a1')), env),
      /give one/,
    ],
    [
      'test --tunnel --public-url https://t.example',
      () => parseTestOptions(flagsFrom(testSpec, words('--tunnel --public-url https://t.example')), env),
      /cannot be used together/,
    ],
    ['trigger', () => parseTriggerOptions(flagsFrom(triggerSpec, [])), /Name an event, or pass --file/],
    [
      'trigger --replay c --file f.json',
      () => parseTriggerOptions(flagsFrom(triggerSpec, words('--replay c --file f.json'))),
      /takes no event or --file/,
    ],
    ['trigger --dry-run', () => parseTriggerOptions(flagsFrom(triggerSpec, ['--dry-run'])), /goes with --purge/],
    ['users add "jo smith"', () => users.parseNewUser(flagsFrom(usersDef.addSpec, ['jo smith']), env), /./],
    [
      'studio --port 70000',
      () => parseStudioOptions(flagsFrom(studioSpec, words('--port 70000')), env),
      /Invalid port "70000"/,
    ],
    [
      'appointments list --date today --from 2026-12-01',
      () => appointments.parseList(flagsFrom(appointmentsDef.listSpec, words('--date today --from 2026-12-01'))),
      /--date cannot be used with --from/,
    ],
    [
      'appointments list --date "next week"',
      () => appointments.parseList(flagsFrom(appointmentsDef.listSpec, words('--date "next week"'))),
      /Invalid --date "next week"/,
    ],
    [
      'appointments show ---',
      () => appointments.parseShow(flagsFrom(appointmentsDef.showSpec, ['--', '---'])),
      /Invalid appointment ID/,
    ],
    [
      'appointments book --at 10:00 --name A --phone 1 --email e --reason r',
      () =>
        appointments.parseBook(
          flagsFrom(appointmentsDef.bookSpec, words('--at 10:00 --name A --phone 1 --email e --reason r')),
        ),
      /Give --doctor or --specialty/,
    ],
    [
      'appointments book --doctor rao --at 10:00 --name " " --phone 1 --email e --reason r',
      () =>
        appointments.parseBook(
          flagsFrom(
            appointmentsDef.bookSpec,
            words('--doctor rao --at 10:00 --name " " --phone 1 --email e --reason r'),
          ),
        ),
      /--name cannot be empty/,
    ],
    [
      'appointments cancel K7MHQPXY4 --reason " "',
      () => appointments.parseCancel(flagsFrom(appointmentsDef.cancelSpec, words('K7MHQPXY4 --reason " "'))),
      /--reason cannot be empty/,
    ],
    [
      'doctors add --name X --specialty y --hours "mon 09:00-12:00" --id "Dr X"',
      () =>
        doctors.parseAdd(
          flagsFrom(doctorsDef.addSpec, words('--name X --specialty y --hours "mon 09:00-12:00" --id "Dr X"')),
        ),
      /Invalid --id "Dr X"/,
    ],
    [
      'doctors add --name X --specialty y --hours "mon 09:00-12:00" --slot-minutes 3',
      () =>
        doctors.parseAdd(
          flagsFrom(doctorsDef.addSpec, words('--name X --specialty y --hours "mon 09:00-12:00" --slot-minutes 3')),
        ),
      /Invalid --slot-minutes "3"/,
    ],
    ['doctors update rao', () => doctors.parseUpdate(flagsFrom(doctorsDef.updateSpec, ['rao'])), /Nothing to change/],
    [
      'doctors remove rao --cancel --reassign mehta',
      () => doctors.parseRemove(flagsFrom(doctorsDef.removeSpec, words('rao --cancel --reassign mehta'))),
      /cannot be used together/,
    ],
    [
      'doctors feed-url rao --public-url ftp://x',
      () => doctors.parseFeedUrl(flagsFrom(doctorsDef.feedUrlSpec, words('rao --public-url ftp://x'))),
      /Invalid --public-url/,
    ],
    [
      'doctors leave remove rao 2026-12-24..2026-12-26',
      () => doctors.parseLeaveRemove(flagsFrom(doctorsDef.leaveRemoveSpec, words('rao 2026-12-24..2026-12-26'))),
      /Give the first day only/,
    ],
    [
      'doctors holidays add 2026-12-25 --name " "',
      () => doctors.parseHolidaysAdd(flagsFrom(doctorsDef.holidaysAddSpec, words('2026-12-25 --name " "'))),
      /--name cannot be empty/,
    ],
    [
      'outbox purge --older-than soon',
      () => outbox.parsePurge(flagsFrom(outboxDef.purgeSpec, words('--older-than soon'))),
      /Invalid --older-than "soon"/,
    ],
    [
      'reminders cancel msg_1 ---',
      () => reminders.parseCancel(flagsFrom(remindersDef.cancelSpec, ['msg_1', '--', '---'])),
      /./,
    ],
    [
      'notify webhooks add http://h.example/in',
      () => notify.parseAdd(flagsFrom(notifyDef.addSpec, ['http://h.example/in'])),
      /only https is allowed/,
    ],
    [
      'notify webhooks add https://h.example --events appointment.sold',
      () => notify.parseAdd(flagsFrom(notifyDef.addSpec, words('https://h.example --events appointment.sold'))),
      /Unknown event\(s\): appointment.sold/,
    ],
  ])('%s', (_line, parse, message) => {
    let thrown: unknown;
    try {
      parse();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as UserError).exitCode).toBe(EXIT.usage);
    expect((thrown as Error).message).toMatch(message);
  });

  test('commander refuses a missing mandatory option or a value outside the choices, before parse', () => {
    expect(() => flagsFrom(appointmentsDef.bookSpec, words('--doctor rao --at 10:00'))).toThrow(
      /required option '--name <name>' not specified/,
    );
    expect(() => flagsFrom(appointmentsDef.listSpec, words('--status maybe'))).toThrow(/Allowed choices are/);
  });
});
