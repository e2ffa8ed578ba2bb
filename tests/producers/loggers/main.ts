// A producer using the logger of `coco events --emit ts` (registry.ts), run by tests/producers/test_producer_loggers.py:
// compiled by the real tsc --strict and run by the real node. cases.ts is written by the test.
//
// stdout: the lines the default logger writes (every registry event, the demo deliveries, two on the clock).
// stderr: one verdict per invalid payload, what a lenient logger writes and warns, and the configured logger's line.
import { EventType, EventValidationError, configureEventLogger, createEventLogger, logEvent } from './registry';
import { CASES } from './cases';

for (const [name, payload] of [...CASES.every, ...CASES.scenario, ...CASES.clock]) {
  logEvent(name as EventType, payload as never);
}

// Invalid payloads, through a strict logger with a sink that counts: a rejection must write nothing.
let written = 0;
const strict = createEventLogger({ sink: () => (written += 1) });
for (const [name, payload] of CASES.invalid) {
  try {
    const record = strict.logEvent(name as EventType, payload as never);
    console.error('ACCEPTED ' + JSON.stringify(record));
  } catch (e) {
    if (!(e instanceof EventValidationError)) throw e;
    console.error('REJECTED ' + e.message);
  }
}
console.error('WRITTEN ' + written);

// strict: false writes the line anyway and warns; a fixed clock; a sink of one's own.
const lenient = createEventLogger({
  strict: false,
  now: () => new Date(Date.UTC(2026, 10, 25, 10, 0, 0, 7)),
  sink: (line) => console.error('LINE ' + line),
  warn: (message) => console.error('WARN ' + message),
});
for (const [name, payload] of CASES.lenient) {
  lenient.logEvent(name as EventType, payload as never);
}

// configureEventLogger replaces what logEvent writes to.
configureEventLogger({ sink: (line, record) => console.error('CONFIGURED ' + String(record.level) + ' ' + line) });
logEvent('robot.grounded', { robot_id: 'R-7' });
