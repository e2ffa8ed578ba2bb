'use strict';
// Lint files with the plugin's recommended config and the TypeScript parser, as a project would:
//   node tests/lint-files.js FILE...   -> JSON: [{file, messages: [{ruleId, messageId, line, message}]}]
const path = require('node:path');
const { ESLint } = require('eslint');
const tsParser = require('@typescript-eslint/parser');
const coco = require('..');

async function main(files) {
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser } }, coco.configs.recommended],
  });
  const results = await eslint.lintFiles(files);
  const out = results.map((r) => ({
    file: path.basename(r.filePath),
    messages: r.messages.map((m) => ({ ruleId: m.ruleId, messageId: m.messageId, line: m.line, message: m.message })),
  }));
  process.stdout.write(JSON.stringify(out));
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
