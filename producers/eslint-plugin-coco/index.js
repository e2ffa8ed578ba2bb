'use strict';
// eslint-plugin-coco: one rule, `coco/registered-event`. Flat config:
//   const coco = require('eslint-plugin-coco');
//   module.exports = [coco.configs.recommended];
// or, with options: { plugins: { coco }, rules: { 'coco/registered-event': ['error', { registry: 'path/to.json' }] } }
const registeredEvent = require('./lib/registered-event');
const pkg = require('./package.json');

const plugin = {
  meta: { name: pkg.name, version: pkg.version },
  rules: { 'registered-event': registeredEvent },
  configs: {},
};
plugin.configs.recommended = {
  name: 'coco/recommended',
  plugins: { coco: plugin },
  rules: { 'coco/registered-event': 'error' },
};

module.exports = plugin;
