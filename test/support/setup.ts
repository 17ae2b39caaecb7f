// Loaded before every test file: keep the test output readable (set TEST_LOG=debug to see logs).
import { setLogLevel, type LogLevel } from '../../common/log.ts';

setLogLevel((process.env.TEST_LOG as LogLevel | undefined) ?? 'silent');
