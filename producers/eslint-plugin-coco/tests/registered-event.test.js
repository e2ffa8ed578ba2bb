'use strict';
// RuleTester tests of coco/registered-event, run by node's test runner: `node --test tests/` (NODE_PATH must reach
// eslint, @typescript-eslint/parser; tests/deploy/test_eslint_plugin.py sets it).
const { describe, it } = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert');
const { Linter, RuleTester } = require('eslint');
const tsParser = require('@typescript-eslint/parser');
const plugin = require('..');

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const rule = plugin.rules['registered-event'];
const js = new RuleTester({ languageOptions: { ecmaVersion: 'latest', sourceType: 'module' } });
const ts = new RuleTester({ languageOptions: { parser: tsParser } });

const otherRegistry = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'coco-eslint-')), 'registry.json');
fs.writeFileSync(otherRegistry, JSON.stringify([{ name: 'robot.flew', constant: 'ROBOT_FLEW' }]));

js.run('registered-event (JavaScript)', rule, {
  valid: [
    "logEvent(Events.OFFER_RECEIVED, { offer_id: 'O-1', source: 'uber', merchant_id: 'M-1' });",
    "logger.logEvent(Events.DELIVERY_FAILED, { delivery_id: 'D-1', error: { code: 'X', message: 'y' } });",
    "this.logger.logEvent(Events['ROBOT_PARKED'], { robot_id: 'R-1' });",
    'logger?.logEvent(Events.ROBOT_PARKED, {});',
    "log.info('offer.received');",
    "logEvents('not.checked');",
    { code: 'logEvent(name, {});', options: [{ allowDynamic: true }] },
    { code: 'emit(Events.ROBOT_PARKED);', options: [{ functions: ['emit'] }] },
    { code: 'logEvent(E.ROBOT_PARKED);', options: [{ eventsObject: 'E' }] },
    { code: 'logEvent(Events.ROBOT_FLEW);', options: [{ registry: otherRegistry }] },
  ],
  invalid: [
    {
      code: "logEvent('offer.received', {});",
      output: 'logEvent(Events.OFFER_RECEIVED, {});',
      errors: [{ messageId: 'stringLiteral', data: { name: 'offer.received', constant: 'OFFER_RECEIVED', events: 'Events' } }],
    },
    {
      code: 'logger.logEvent(`robot.parked`);',
      output: 'logger.logEvent(Events.ROBOT_PARKED);',
      errors: [{ messageId: 'stringLiteral' }],
    },
    { code: "logEvent('robot.flew', {});", output: null, errors: [{ messageId: 'unknownString' }] },
    { code: 'logger.logEvent(Events.ROBOT_FLEW, {});', errors: [{ messageId: 'unknownConstant', data: { constant: 'ROBOT_FLEW', events: 'Events' } }] },
    { code: "logger.logEvent(Events['OFFER_RECIEVED'], {});", errors: [{ messageId: 'unknownConstant' }] },
    { code: 'logEvent(name, {});', errors: [{ messageId: 'dynamic' }] },
    { code: 'logEvent(Events[name], {});', errors: [{ messageId: 'dynamic' }] },
    { code: 'logEvent(`robot.${what}`);', errors: [{ messageId: 'dynamic' }] },
    { code: 'logEvent();', errors: [{ messageId: 'missing' }] },
    { code: 'logEvent(Events.ROBOT_PARKED);', options: [{ eventsObject: 'E' }], errors: [{ messageId: 'dynamic' }] },
    { code: 'logEvent(Events.ROBOT_PARKED);', options: [{ registry: otherRegistry }], errors: [{ messageId: 'unknownConstant' }] },
    {
      code: "emit('delivery.failed'); logEvent('x.y');",
      options: [{ functions: ['emit'] }],
      output: 'emit(Events.DELIVERY_FAILED); logEvent(\'x.y\');',
      errors: [{ messageId: 'stringLiteral' }],
    },
  ],
});

ts.run('registered-event (TypeScript)', rule, {
  valid: [
    "logger.logEvent(Events.OFFER_REJECTED as const, { offer_id: 'O-1', source: 'uber', rejection_reason: 'x' });",
    'logger.logEvent(Events.ROBOT_PARKED!, {} satisfies BaseEventPayload);',
    'function f(logger: EventLogger): void { logger.logEvent(Events.ATTEMPT_RESCUED, {}); }',
  ],
  invalid: [
    {
      code: "logger.logEvent('delivery.failed' as EventType, { delivery_id: 'D-1' });",
      output: 'logger.logEvent(Events.DELIVERY_FAILED as EventType, { delivery_id: \'D-1\' });',
      errors: [{ messageId: 'stringLiteral' }],
    },
    { code: 'logger.logEvent(<EventType>Events.ROBOT_FLEW, {});', errors: [{ messageId: 'unknownConstant' }] },
  ],
});

describe('the plugin', () => {
  it('refuses a registry file that is not the output of coco events --format json', () => {
    const bad = path.join(path.dirname(otherRegistry), 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ events: [] }));
    const linter = new Linter();
    const lint = () => linter.verify('logEvent(Events.X);', [
      { plugins: { coco: plugin }, rules: { 'coco/registered-event': ['error', { registry: bad }] } },
    ]);
    assert.throws(lint, /not the output of `coco events --format json`/);
  });

  it('turns the rule on as an error in its recommended config', () => {
    const messages = new Linter().verify("logEvent('robot.flew');", [plugin.configs.recommended]);
    assert.deepStrictEqual(messages.map((m) => [m.ruleId, m.severity]), [['coco/registered-event', 2]]);
  });
});
