import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOCK_TICKS, PAGE_SIZE, parseStat } from '../../../src/node/monitor/proc-sample.js';
import { conditionsMet, cpuPercent } from '../../../src/node/monitor/triggers.js';
import { parseSignal } from '../../../src/node/monitor/signals.js';

/** A /proc/PID/stat line (fields 1..52) with the given utime, stime, threads, rss; its name holds ") (" as some do. */
function statLine(utime: number, stime: number, threads: number, rssPages: number): string {
  const f = Array.from({ length: 52 }, () => '0');
  f[0] = '4242';
  f[1] = '(we) ird (name)';
  f[2] = 'S';
  f[13] = String(utime);
  f[14] = String(stime);
  f[19] = String(threads);
  f[21] = '777';
  f[23] = String(rssPages);
  return f.join(' ') + '\n';
}

test('parseStat: fields counted after the last ")" (a name may hold spaces and parentheses)', () => {
  const s = parseStat(statLine(10, 5, 7, 256), 1000)!;
  assert.deepEqual(s, { at: 1000, state: 'S', cpuTicks: 15, threads: 7, rssBytes: 256 * PAGE_SIZE, startTime: 777 });
  assert.equal(parseStat('garbage', 0), undefined);
});

test('conditionsMet: CPU over the interval between samples, at/above and below; memory thresholds in order; threads; fds', () => {
  const a = parseStat(statLine(0, 0, 3, 0), 0)!;
  // Half a second of CPU in one second: 50 %.
  const b = parseStat(statLine(CLOCK_TICKS / 4, CLOCK_TICKS / 4, 3, (100 * 1024 * 1024) / PAGE_SIZE), 1000)!;
  assert.equal(cpuPercent(a, b), 50);
  assert.deepEqual(conditionsMet({ cpu: 50 }, a, b, undefined, 0).map((m) => m.text), ['CPU 50% >= 50% over 1 s']);
  assert.deepEqual(conditionsMet({ cpu: 51 }, a, b, undefined, 0), []);
  assert.deepEqual(conditionsMet({ cpu: 10 }, undefined, b, undefined, 0), [], 'no CPU figure from a first sample');
  assert.deepEqual(conditionsMet({ cpuBelow: 60 }, a, b, undefined, 0).map((m) => m.kind), ['cpu-below']);
  assert.deepEqual(conditionsMet({ cpuBelow: 50 }, a, b, undefined, 0), []);
  const mem = { memoryMb: [50, 100, 200] };
  assert.equal(conditionsMet(mem, a, b, undefined, 0)[0]?.text, 'memory (RSS) 100 MB >= 50 MB (threshold 1 of 3)');
  assert.equal(conditionsMet(mem, a, b, undefined, 1)[0]?.threshold, 100);
  assert.deepEqual(conditionsMet(mem, a, b, undefined, 2), [], 'the third value is not reached');
  assert.deepEqual(conditionsMet(mem, a, b, undefined, 3), [], 'every value dumped');
  assert.deepEqual(conditionsMet({ threads: 3 }, a, b, undefined, 0).map((m) => m.text), ['3 threads >= 3']);
  assert.deepEqual(conditionsMet({ threads: 4 }, a, b, undefined, 0), []);
  assert.deepEqual(conditionsMet({ fds: 9 }, a, b, 9, 0).map((m) => m.kind), ['fds']);
  assert.deepEqual(conditionsMet({ fds: 10 }, a, b, 9, 0), []);
});

test('parseSignal: names with or without SIG, numbers; SIGKILL and SIGSTOP refused', () => {
  assert.equal(parseSignal('SIGUSR1'), 10);
  assert.equal(parseSignal('usr2'), 12);
  assert.equal(parseSignal('15'), 15);
  assert.throws(() => parseSignal('SIGKILL'), /cannot be intercepted/);
  assert.throws(() => parseSignal('STOP'), /cannot be intercepted/);
  assert.throws(() => parseSignal('SIGNOPE'), /not a signal/);
});
