"""The TypeScript logger appended to ``coco events --emit ts``: ``logEvent(Events.X, payload)`` that writes the line.

What it does is what ``cocoevents.producers.logger.log_event`` does, so a service logs the same line in either
language: ``{event, timestamp, level, ...payload}`` as one JSON line; the timestamp in UTC ISO 8601 with
milliseconds unless the payload gives one; the level ``error`` for error events (the registry's rule, timeline rules
§4: a name ending ``.failed``, ``robot.grounded``, or a non-null ``error``), else ``info``, unless the payload gives
one; a payload that breaks the registry's rules (``registry.validate``) throws ``EventValidationError`` with
Python's message and writes nothing, or with ``strict: false`` is written with Python's warning on stderr.

The registry's data (sources, required fields, id fields, the error-name rule) is emitted from
``cocoevents.producers.registry``; the code below it is fixed. It needs a target of ES2015 or later and nothing
from the host but ``console`` (declared in the file, so it compiles with or without the DOM or Node types).
"""

from __future__ import annotations

from .. import registry
from . import error_names_text


def _ts_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ts_list(items: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    return "[" + ", ".join(_ts_str(i) for i in items) + "]"


def emit_ts_logger() -> str:
    required = [e for e in registry.EVENTS if e.required]
    out = [
        "// --- The logger ----------------------------------------------------------------------------------------",
        "// logEvent(Events.X, payload) writes one JSON line {event, timestamp, level, ...payload} to the sink (stdout by",
        "// default), as coco's Python log_event does: timestamp UTC ISO 8601 with milliseconds unless the payload has",
        f"// one; level 'error' for error events ({error_names_text()}, a non-null error), else 'info', unless the",
        "// payload has one. A payload that breaks the registry's rules throws EventValidationError and writes nothing",
        "// (strict, the default), or is written with a warning on stderr (strict: false).",
        "",
        "// The registry's payload rules (coco's registry).",
        f"const SOURCES: readonly string[] = {_ts_list(registry.SOURCES)};",
        "const REQUIRED_FIELDS: { readonly [event: string]: readonly string[] } = {",
        *[f"  {_ts_str(e.name)}: {_ts_list(e.required)}," for e in required],
        "};",
        f"const ID_FIELDS: readonly string[] = {_ts_list(registry.ID_FIELDS)};",
        "// Error events by name alone (coco's timeline rules §4); any event with a non-null error is one too.",
        f"const ERROR_SUFFIX = {_ts_str(registry.ERROR_SUFFIX)};",
        f"const ERROR_NAMES: readonly string[] = {_ts_list(sorted(registry.ERROR_NAMES))};",
        "",
        _TS_LOGGER.replace("@ERROR_NAMES_TEXT@", error_names_text()),
    ]
    return "\n".join(out)


_TS_LOGGER = r"""// The host's console (Node, Deno, browsers): declared so the file compiles without the DOM or Node types.
declare const console: { log(line: string): void; error(message: string): void };

const EVENT_NAMES: ReadonlySet<string> = new Set<string>(Object.keys(Events).map((k) => Events[k as keyof typeof Events]));

export type EventLevel = 'info' | 'error';

// One line as written: event, timestamp and level first, then the payload's fields.
export interface EventRecord {
  event: unknown;
  timestamp: unknown;
  level: unknown;
  [key: string]: unknown;
}

// Receives each line (one JSON object, without a newline) and the record it encodes.
export type EventSink = (line: string, record: EventRecord) => void;

// The default sink: the line on stdout, where the container runtime and the log shipper read it.
export const stdoutSink: EventSink = (line) => {
  console.log(line);
};

// A payload that breaks the registry's rules; `problems` are the messages of coco's Python registry.
export class EventValidationError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'EventValidationError';
    this.problems = problems;
  }
}

// Whether the name alone makes an event an error event: @ERROR_NAMES_TEXT@.
export function isErrorEvent(event: string): boolean {
  return event.endsWith(ERROR_SUFFIX) || ERROR_NAMES.indexOf(event) >= 0;
}

// 'error' for an error event or a payload with a non-null error, else 'info'.
export function levelFor(event: string, payload: { readonly [key: string]: unknown }): EventLevel {
  return isErrorEvent(event) || (payload.error !== undefined && payload.error !== null) ? 'error' : 'info';
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

// Python's truth value of a JSON value: the Python logger keeps a payload's timestamp or level only when truthy.
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return value instanceof Date || Object.keys(value).length > 0;
  return Boolean(value);
}

const PRINTABLE = new RegExp('^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ]$', 'u');

function hex(n: number, width: number): string {
  let s = n.toString(16);
  while (s.length < width) s = '0' + s;
  return s;
}

// Python's repr() of a string, so that messages are the Python registry's.
function pyStr(s: string): string {
  const quote = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x100) out += '\\x' + hex(cp, 2);
    else if (cp < 0x10000) out += '\\u' + hex(cp, 4);
    else out += '\\U' + hex(cp, 8);
  }
  return out + quote;
}

// Python's repr() of a number parsed from JSON (an integral number is an int).
function pyNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  if (!isFinite(n)) return n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
  const [mantissa, exp] = n.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    const s = String(n);
    return s.indexOf('.') >= 0 ? s : s + '.0';
  }
  return mantissa + 'e' + (e < 0 ? '-' : '+') + (Math.abs(e) < 10 ? '0' : '') + String(Math.abs(e));
}

// Python's repr() of a JSON value.
function pyRepr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'string') return pyStr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  if (typeof value === 'object') {
    const o = value as { readonly [key: string]: unknown };
    return '{' + Object.keys(o).map((k) => pyStr(k) + ': ' + pyRepr(o[k])).join(', ') + '}';
  }
  return String(value);
}

// Python's type name of a JSON value.
function pyType(value: unknown): string {
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'dict' : typeof value;
}

// The problems of one record against the registry, in the words and order of coco's Python registry.validate;
// empty when it conforms.
export function eventProblems(record: { readonly [key: string]: unknown }): string[] {
  const name = record.event;
  if (typeof name !== 'string' || name === '') return ['no event name'];
  if (!EVENT_NAMES.has(name)) return [`unknown event name ${pyStr(name)}`];
  const required = REQUIRED_FIELDS[name] || [];
  const problems = required.filter((f) => !present(record[f])).map((f) => `${name}: missing required field ${pyStr(f)}`);
  const source = record.source;
  if (present(source) && !(typeof source === 'string' && SOURCES.indexOf(source) >= 0)) {
    problems.push(`${name}: source ${pyRepr(source)} is not one of ${SOURCES.join(', ')}`);
  }
  const error = record.error;
  if (required.indexOf('error') >= 0 && present(error)) {
    const e = error as { readonly [key: string]: unknown };
    if (typeof error !== 'object' || Array.isArray(error) || !present(e.code) || !present(e.message)) {
      problems.push(`${name}: error must have a code and a message`);
    }
  }
  for (const f of ID_FIELDS) {
    const value = record[f];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      problems.push(`${name}: ${f} must be a string, got ${pyType(value)}`);
    }
  }
  return problems;
}

export interface EventLoggerOptions {
  sink?: EventSink; // default: stdoutSink
  strict?: boolean; // default true: an invalid payload throws EventValidationError and nothing is written
  now?: () => Date; // default: the clock
  warn?: (message: string) => void; // where strict: false reports problems; default console.error (stderr)
}

// An EventLogger whose logEvent returns the record it wrote.
export interface RecordingEventLogger extends EventLogger {
  logEvent<E extends EventType>(event: E, payload: PayloadFor<E>): EventRecord;
}

export function createEventLogger(options: EventLoggerOptions = {}): RecordingEventLogger {
  const sink = options.sink || stdoutSink;
  const strict = options.strict === undefined ? true : options.strict;
  const now = options.now || (() => new Date());
  const warn = options.warn || ((message: string) => console.error(message));
  return {
    logEvent<E extends EventType>(event: E, payload: PayloadFor<E>): EventRecord {
      const rest: { [key: string]: unknown } = { ...(payload as { readonly [key: string]: unknown }) };
      const timestamp = truthy(rest.timestamp) ? rest.timestamp : now().toISOString();
      const level = truthy(rest.level) ? rest.level : undefined;
      delete rest.timestamp;
      delete rest.level;
      const record: EventRecord = { event, timestamp, level: level === undefined ? levelFor(event, rest) : level, ...rest };
      const problems = eventProblems(record);
      if (problems.length > 0) {
        if (strict) throw new EventValidationError(problems);
        warn(`cocoevents: warning: ${problems.join('; ')} (logged anyway)`);
      }
      sink(JSON.stringify(record), record);
      return record;
    },
  };
}

let defaultLogger: RecordingEventLogger = createEventLogger();

// Replace the logger behind logEvent: another sink, strict: false, a fixed clock in tests.
export function configureEventLogger(options: EventLoggerOptions): void {
  defaultLogger = createEventLogger(options);
}

// Log one business event through the default logger (stdout, strict); returns the record written.
export function logEvent<E extends EventType>(event: E, payload: PayloadFor<E>): EventRecord {
  return defaultLogger.logEvent(event, payload);
}
"""
