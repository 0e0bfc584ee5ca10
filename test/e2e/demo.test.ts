import path from 'node:path';
import { execa } from 'execa';
import { afterEach, expect, test } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { tempDir } from '../support/store.js';

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

test('the demo tells one story: the held slot is booked, the ID it returns is the one spoken, times in the clinic zone', async () => {
  tmp = tempDir();
  const r = await execa(process.execPath, [path.join(packageRoot(), 'scripts', 'demo.mjs')], {
    cwd: tmp.dir,
    env: { NO_COLOR: '1', PATH: process.env.PATH ?? '' },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 120_000,
  });
  expect(r.exitCode, r.all).toBe(0);
  const out = r.all ?? '';
  expect(out).not.toContain('\x1b['); // NO_COLOR: no escape codes at all
  const held = /check_availability: Yes, (Dr\. [\w. ]+) is free on (\w+ \d+ \w+ at 11 AM)\. I've held it/.exec(out);
  expect(held, out).not.toBeNull();
  const booked =
    /You're booked with (Dr\. [\w. ]+) on (\w+ \d+ \w+ at 11 AM)\. Your appointment ID is ((?:[A-Z0-9],? ?)+)\./.exec(
      out,
    );
  expect(booked, out).not.toBeNull();
  expect([booked![1], booked![2]]).toEqual([held![1], held![2]]);
  expect(out).toContain(`--var "appointmentId=${booked![3]}"`);
  // The inline assistant in a few lines, not hundreds of lines of JSON.
  const inline = out.slice(out.indexOf('Inline assistant'), out.indexOf('(--json prints the whole assistant)'));
  expect(inline.split('\n').length).toBeLessThan(10);
  expect(out).toMatch(/Started: +\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Kolkata\)/);
  // Without a password the patient's name is sealed, like the number.
  expect(out).toMatch(/Booked: +\[sealed\] with Dr\. Anil Mehta at \S+T11:00:00\.000\+05:30 \(confirmed\)/);
}, 150_000);
