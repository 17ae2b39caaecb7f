import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { log, logLevel, logSink, setLogLevel, setLogSink } from '../../common/log.ts';
import { captureLog } from './capture-log.ts';

test('restore() puts back the sink and level in force before, also when nested', () => {
  const original = { sink: logSink(), level: logLevel() };
  const outer: string[] = [];
  setLogSink((line) => outer.push(line));
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
    log.warn('after both');
    assert.equal(outer.map((line) => (JSON.parse(line) as { msg: string }).msg), ['after both']);
  } finally {
    setLogSink(original.sink);
    setLogLevel(original.level);
  }
});

test.run();
