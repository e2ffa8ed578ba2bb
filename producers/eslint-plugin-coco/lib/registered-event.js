'use strict';
// `coco/registered-event`: every call of logEvent names a registered business event as `Events.X`.
//
// Reported:
// - a string (or template literal) instead of `Events.X`, with an autofix to `Events.X` when the name is registered;
// - `Events.X` where X is not a constant of the registry (a typo, or an event removed from it);
// - any other expression as the name (a variable, a call), unless `allowDynamic` is set: it cannot be checked;
// - a call without arguments.
// The registry is the JSON of `coco events --format json` (a list of {name, constant, ...}): the copy next to this
// file by default, or the file named by the `registry` option (resolved from the working directory).
const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_REGISTRY = path.join(__dirname, '..', 'registry.json');
const cache = new Map();

function loadRegistry(file) {
  const resolved = path.resolve(file);
  if (!cache.has(resolved)) {
    const events = JSON.parse(fs.readFileSync(resolved, 'utf8'));
    if (!Array.isArray(events) || !events.every((e) => typeof e.name === 'string' && typeof e.constant === 'string')) {
      throw new Error(`${resolved}: not the output of \`coco events --format json\` (a list of {name, constant})`);
    }
    cache.set(resolved, {
      byConstant: new Map(events.map((e) => [e.constant, e.name])),
      byName: new Map(events.map((e) => [e.name, e.constant])),
    });
  }
  return cache.get(resolved);
}

function calleeName(node) {
  const callee = node.callee.type === 'ChainExpression' ? node.callee.expression : node.callee;
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') {
    return callee.property.name;
  }
  return null;
}

function staticString(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return null;
}

function unwrap(node) {
  // `Events.X as const`, `Events.X!`, `<EventType>Events.X`, `(Events.X satisfies EventType)`
  let n = node;
  while (n && ['TSAsExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSSatisfiesExpression'].includes(n.type)) {
    n = n.expression;
  }
  return n;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: "logEvent's event name must be a registered event, written as Events.X" },
    fixable: 'code',
    schema: [
      {
        type: 'object',
        properties: {
          registry: { type: 'string' },
          functions: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
          eventsObject: { type: 'string' },
          allowDynamic: { type: 'boolean' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      stringLiteral: "Event name '{{name}}' is a string: write {{events}}.{{constant}}.",
      unknownString: "Event name '{{name}}' is a string and not a registered event; use a {{events}}.X constant.",
      unknownConstant: "{{events}}.{{constant}} is not a registered event (coco's registry has no {{constant}}).",
      dynamic: 'The event name must be {{events}}.X, so that it can be checked against the registry.',
      missing: '{{fn}}() needs an event name ({{events}}.X) as its first argument.',
    },
  },

  create(context) {
    const options = context.options[0] || {};
    const registry = loadRegistry(options.registry || DEFAULT_REGISTRY);
    const functions = new Set(options.functions || ['logEvent']);
    const events = options.eventsObject || 'Events';

    return {
      CallExpression(node) {
        const fn = calleeName(node);
        if (!fn || !functions.has(fn)) return;
        if (node.arguments.length === 0) {
          context.report({ node, messageId: 'missing', data: { fn, events } });
          return;
        }
        const arg = unwrap(node.arguments[0]);
        const text = staticString(arg);
        if (text !== null) {
          const constant = registry.byName.get(text);
          if (constant) {
            context.report({
              node: arg, messageId: 'stringLiteral', data: { name: text, constant, events },
              fix: (fixer) => fixer.replaceText(arg, `${events}.${constant}`),
            });
          } else {
            context.report({ node: arg, messageId: 'unknownString', data: { name: text, events } });
          }
          return;
        }
        if (arg.type === 'MemberExpression' && arg.object.type === 'Identifier' && arg.object.name === events) {
          const key = arg.computed ? staticString(arg.property) : arg.property.name;
          if (key === null) {
            if (!options.allowDynamic) context.report({ node: arg, messageId: 'dynamic', data: { events } });
          } else if (!registry.byConstant.has(key)) {
            context.report({ node: arg, messageId: 'unknownConstant', data: { constant: key, events } });
          }
          return;
        }
        if (!options.allowDynamic) context.report({ node: arg, messageId: 'dynamic', data: { events } });
      },
    };
  },
};
