import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { log, logLevel, setLogDestination, setLogLevel } from '../../common/log.ts';
import { captureLog } from './capture-log.ts';

test('restore() puts back the destination and level in force before, also when nested', () => {
  const originalLevel = logLevel();
  const outer: string[] = [];
  const original = setLogDestination({ write: (line: string) => void outer.push(line) });
  setLogLevel('warn');
  try {
    const first = captureLog();
    log.info('to the first capture');
    const second = captureLog();
    log.info('to the second capture');
    second.restore();
    log.info('to the first capture again');
    first.restore();
    assert.equal(first.lines.map((line) => line.msg), ['to the first capture', 'to the first capture again']);
    assert.equal(second.lines.map((line) => line.msg), ['to the second capture']);
    assert.is(logLevel(), 'warn');
    log.info('below the restored level');
    log.warn({ detail: 1 }, 'after both');
    assert.equal(outer.map((line) => JSON.parse(line) as Record<string, unknown>).map(({ level, msg, detail }) => ({ level, msg, detail })), [
      { level: 'warn', msg: 'after both', detail: 1 },
    ]);
  } finally {
    setLogDestination(original);
    setLogLevel(originalLevel);
  }
});

test.run();
