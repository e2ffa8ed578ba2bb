"""The Go code appended to ``coco events --emit go``: the registry's payload rules (``Problems``) and the logger.

``Problems``/``Validate`` apply ``cocoevents.producers.registry.validate`` to a payload map, with its messages
word for word (Python's ``repr`` of names and values, its type names). ``LogEvent(ctx, name, payload)`` does what
``cocoevents.producers.logger.log_event`` does, so a Go service logs the line a Python one would:
``{event, timestamp, level, ...payload}`` as one JSON line (the payload's fields sorted: a Go map has no order);
the timestamp in UTC ISO 8601 with milliseconds unless the payload gives one; the level ``error`` for error events
(the registry's rule, timeline rules §4), else ``info``, unless the payload gives one; a payload that breaks the
rules is returned as a ``*ValidationError`` and nothing is written, or, with ``Lenient``, written with Python's
warning on stderr. The payload is read through its JSON form, so structs, typed strings and nested maps log as
the JSON they marshal to; numbers keep their spelling (``json.Number``).

Standard library only, and nothing newer than Go 1.18 (no ``log/slog``): Debian's Go 1.19 builds it.

The template is written with four-space indentation, turned into gofmt's tabs when emitted; the registry's data
(sources, error names) comes from ``cocoevents.producers.registry``.
"""

from __future__ import annotations

import re

from .. import registry
from . import error_names_text

IMPORTS = ("bytes", "context", "encoding/json", "fmt", "io", "os", "sort", "strconv", "strings", "sync", "time", "unicode")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tabs(text: str) -> str:
    """Leading groups of four spaces as tabs (gofmt's indentation)."""
    return re.sub(r"^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text, flags=re.M)


def emit_go_rules_and_logger() -> str:
    data = {
        "@SOURCES@": ", ".join(registry.SOURCES),
        "@ERROR_SUFFIX@": _q(registry.ERROR_SUFFIX),
        "@ERROR_NAMES@": ", ".join(f"{_q(n)}: true" for n in sorted(registry.ERROR_NAMES)),
        "@ERROR_NAMES_TEXT@": error_names_text(),
    }
    text = _GO
    for key, value in data.items():
        text = text.replace(key, value)
    return _tabs(text)


_GO = r"""// Known reports whether name is a registered event.
func Known(name string) bool {
    for _, e := range AllEvents {
        if string(e) == name {
            return true
        }
    }
    return false
}

func present(v interface{}) bool {
    if v == nil {
        return false
    }
    if s, ok := v.(string); ok {
        return s != ""
    }
    return true
}

func isSource(v interface{}) bool {
    s, ok := v.(string)
    if ok {
        for _, known := range Sources {
            if s == string(known) {
                return true
            }
        }
    }
    return false
}

// Problems lists what is wrong with one event's payload against the registry; empty when it conforms. The rules
// and the messages are coco's (cocoevents.producers.registry.validate): required fields present and non-empty,
// source one of Sources, a required error with a code and a message, id fields strings. The payload is read
// through its JSON form.
func Problems(event string, payload map[string]interface{}) []string {
    if event == "" {
        return []string{"no event name"}
    }
    if !Known(event) {
        return []string{"unknown event name " + pyRepr(event)}
    }
    payload = jsonMap(payload)
    var problems []string
    required := RequiredFields[EventType(event)]
    needsError := false
    for _, f := range required {
        needsError = needsError || f == "error"
        if !present(payload[f]) {
            problems = append(problems, fmt.Sprintf("%s: missing required field %s", event, pyRepr(f)))
        }
    }
    if src := payload["source"]; present(src) && !isSource(src) {
        problems = append(problems, fmt.Sprintf("%s: source %s is not one of @SOURCES@", event, pyRepr(src)))
    }
    if needsError && present(payload["error"]) {
        obj, isObject := payload["error"].(map[string]interface{})
        if !isObject || !present(obj["code"]) || !present(obj["message"]) {
            problems = append(problems, fmt.Sprintf("%s: error must have a code and a message", event))
        }
    }
    for _, f := range idFields {
        if v, ok := payload[f]; ok && v != nil {
            if _, isString := v.(string); !isString {
                problems = append(problems, fmt.Sprintf("%s: %s must be a string, got %s", event, f, pyType(v)))
            }
        }
    }
    return problems
}

// Validate returns an error naming every problem of the payload, or nil when it conforms.
func Validate(event string, payload map[string]interface{}) error {
    if problems := Problems(event, payload); len(problems) > 0 {
        return &ValidationError{Problems: problems}
    }
    return nil
}

// ValidatePayload validates a payload struct (or any value) through its JSON form.
func ValidatePayload(event EventType, payload interface{}) error {
    m, err := toJSONMap(payload)
    if err != nil {
        return fmt.Errorf("%s: %w", event, err)
    }
    return Validate(string(event), m)
}

// ValidationError is a payload that breaks the registry's rules; Problems are coco's messages.
type ValidationError struct {
    Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

// toJSONMap is v's JSON form as a map, numbers as json.Number (their spelling kept).
func toJSONMap(v interface{}) (map[string]interface{}, error) {
    data, err := json.Marshal(v)
    if err != nil {
        return nil, fmt.Errorf("payload is not JSON: %w", err)
    }
    dec := json.NewDecoder(bytes.NewReader(data))
    dec.UseNumber()
    var m map[string]interface{}
    if err := dec.Decode(&m); err != nil {
        return nil, fmt.Errorf("payload is not a JSON object")
    }
    if m == nil {
        m = map[string]interface{}{}
    }
    return m, nil
}

// jsonMap is payload's JSON form, or payload itself when it has none.
func jsonMap(payload map[string]interface{}) map[string]interface{} {
    if m, err := toJSONMap(payload); err == nil {
        return m
    }
    return payload
}

// pyRepr is Python's repr() of a JSON value, so that messages are the Python registry's.
func pyRepr(v interface{}) string {
    switch x := v.(type) {
    case nil:
        return "None"
    case string:
        return pyStr(x)
    case bool:
        if x {
            return "True"
        }
        return "False"
    case json.Number:
        if pyType(x) == "int" {
            return string(x)
        }
        f, err := x.Float64()
        if err != nil {
            return string(x)
        }
        return pyFloat(f)
    case float64:
        return pyFloat(x)
    case []interface{}:
        parts := make([]string, len(x))
        for i, item := range x {
            parts[i] = pyRepr(item)
        }
        return "[" + strings.Join(parts, ", ") + "]"
    case map[string]interface{}:
        keys := make([]string, 0, len(x))
        for k := range x {
            keys = append(keys, k)
        }
        sort.Strings(keys)
        parts := make([]string, len(keys))
        for i, k := range keys {
            parts[i] = pyStr(k) + ": " + pyRepr(x[k])
        }
        return "{" + strings.Join(parts, ", ") + "}"
    }
    return fmt.Sprint(v)
}

func pyStr(s string) string {
    quote := '\''
    if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
        quote = '"'
    }
    var b strings.Builder
    b.WriteRune(quote)
    for _, r := range s {
        switch {
        case r == quote || r == '\\':
            b.WriteRune('\\')
            b.WriteRune(r)
        case r == '\n':
            b.WriteString(`\n`)
        case r == '\r':
            b.WriteString(`\r`)
        case r == '\t':
            b.WriteString(`\t`)
        case unicode.IsPrint(r):
            b.WriteRune(r)
        case r < 0x100:
            fmt.Fprintf(&b, `\x%02x`, r)
        case r < 0x10000:
            fmt.Fprintf(&b, `\u%04x`, r)
        default:
            fmt.Fprintf(&b, `\U%08x`, r)
        }
    }
    b.WriteRune(quote)
    return b.String()
}

func pyFloat(f float64) string {
    e := strconv.FormatFloat(f, 'e', -1, 64)
    exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
    if exp < -4 || exp >= 16 {
        return e
    }
    s := strconv.FormatFloat(f, 'f', -1, 64)
    if !strings.ContainsAny(s, ".") {
        s += ".0"
    }
    return s
}

// pyType is Python's type name of a JSON value.
func pyType(v interface{}) string {
    switch x := v.(type) {
    case string:
        return "str"
    case bool:
        return "bool"
    case json.Number:
        if strings.ContainsAny(string(x), ".eE") {
            return "float"
        }
        return "int"
    case float32, float64:
        return "float"
    case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
        return "int"
    case []interface{}:
        return "list"
    case map[string]interface{}:
        return "dict"
    }
    return fmt.Sprintf("%T", v)
}

// --- The logger -----------------------------------------------------------------------------------------------

// The levels an event line gets: LevelError for error events, else LevelInfo (a payload's own "level" wins).
const (
    LevelInfo  = "info"
    LevelError = "error"
)

// Error events by name alone (coco's timeline rules §4); any event with a non-null error is one too.
const errorSuffix = @ERROR_SUFFIX@

var errorNames = map[string]bool{@ERROR_NAMES@}

// IsErrorEvent reports whether the name alone makes an event an error event: @ERROR_NAMES_TEXT@.
func IsErrorEvent(event string) bool {
    return strings.HasSuffix(event, errorSuffix) || errorNames[event]
}

// LevelFor is LevelError for an error event or a payload (as decoded from JSON) with a non-null error, else
// LevelInfo.
func LevelFor(event string, payload map[string]interface{}) string {
    if IsErrorEvent(event) || payload["error"] != nil {
        return LevelError
    }
    return LevelInfo
}

// Sink receives each event line (one JSON object, without a newline) and its level.
type Sink interface {
    WriteEvent(ctx context.Context, line []byte, level string) error
}

// SinkFunc is a function used as a Sink.
type SinkFunc func(ctx context.Context, line []byte, level string) error

// WriteEvent implements Sink.
func (f SinkFunc) WriteEvent(ctx context.Context, line []byte, level string) error {
    return f(ctx, line, level)
}

// WriterSink writes each line and a newline to an io.Writer in one Write, under a lock (safe for concurrent use).
type WriterSink struct {
    mu sync.Mutex
    w  io.Writer
}

// NewWriterSink returns a WriterSink on w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// WriteEvent implements Sink.
func (s *WriterSink) WriteEvent(_ context.Context, line []byte, _ string) error {
    s.mu.Lock()
    defer s.mu.Unlock()
    _, err := s.w.Write(append(append(make([]byte, 0, len(line)+1), line...), '\n'))
    return err
}

var stdoutSink = NewWriterSink(os.Stdout)

// Logger writes event lines. The zero value writes to stdout, strict, with the system clock.
type Logger struct {
    Sink    Sink             // where lines go (nil: stdout)
    Lenient bool             // write a payload that breaks the rules anyway, with a warning (default: reject it)
    Now     func() time.Time // the clock (nil: time.Now)
    Warn    io.Writer        // where Lenient reports problems (nil: os.Stderr)
}

var (
    defaultMu     sync.RWMutex
    defaultLogger = &Logger{}
)

// SetDefault replaces the Logger behind the package's LogEvent (another sink, Lenient, a fixed clock in tests).
func SetDefault(l *Logger) {
    defaultMu.Lock()
    defer defaultMu.Unlock()
    defaultLogger = l
}

// LogEvent logs one business event through the default Logger (stdout, strict); see Logger.LogEvent.
func LogEvent(ctx context.Context, event EventType, payload map[string]interface{}) error {
    defaultMu.RLock()
    l := defaultLogger
    defaultMu.RUnlock()
    return l.LogEvent(ctx, event, payload)
}

// LogEvent writes {event, timestamp, level, ...payload} as one JSON line, as coco's Python log_event does: the
// timestamp in UTC ISO 8601 with milliseconds unless the payload has one, the level from LevelFor unless the
// payload has one. A payload that breaks the registry's rules returns a *ValidationError and writes nothing,
// unless the Logger is Lenient.
func (l *Logger) LogEvent(ctx context.Context, event EventType, payload map[string]interface{}) error {
    if payload == nil {
        return l.LogPayload(ctx, event, map[string]interface{}{})
    }
    return l.LogPayload(ctx, event, payload)
}

// LogPayload is LogEvent for any payload whose JSON form is an object: a map or a payload struct
// (OfferRejectedPayload{...}).
func (l *Logger) LogPayload(ctx context.Context, event EventType, payload interface{}) error {
    fields, err := toJSONMap(payload)
    if err != nil {
        return fmt.Errorf("%s: %w", event, err)
    }
    timestamp, level := fields["timestamp"], fields["level"]
    delete(fields, "timestamp")
    delete(fields, "level")
    if !truthy(timestamp) {
        now := time.Now
        if l.Now != nil {
            now = l.Now
        }
        timestamp = now().UTC().Format("2006-01-02T15:04:05.000Z")
    }
    if !truthy(level) {
        level = LevelFor(string(event), fields)
    }
    record := map[string]interface{}{"event": string(event), "timestamp": timestamp, "level": level}
    keys := []string{"event", "timestamp", "level"}
    rest := make([]string, 0, len(fields))
    for k, v := range fields {
        if k != "event" { // a payload's own "event" replaces the name, as in Python (and is validated as such)
            rest = append(rest, k)
        }
        record[k] = v
    }
    sort.Strings(rest)
    name, _ := record["event"].(string)
    if problems := Problems(name, record); len(problems) > 0 {
        if !l.Lenient {
            return &ValidationError{Problems: problems}
        }
        warn := l.Warn
        if warn == nil {
            warn = os.Stderr
        }
        fmt.Fprintf(warn, "cocoevents: warning: %s (logged anyway)\n", strings.Join(problems, "; "))
    }
    line, err := encodeLine(record, append(keys, rest...))
    if err != nil {
        return fmt.Errorf("%s: %w", event, err)
    }
    sink := l.Sink
    if sink == nil {
        sink = stdoutSink
    }
    lvl, _ := record["level"].(string)
    return sink.WriteEvent(ctx, line, lvl)
}

// truthy is Python's truth value of a JSON value (the Python logger keeps a payload's timestamp or level only
// when truthy).
func truthy(v interface{}) bool {
    switch x := v.(type) {
    case nil:
        return false
    case bool:
        return x
    case json.Number:
        f, err := x.Float64()
        return err != nil || f != 0
    case string:
        return x != ""
    case []interface{}:
        return len(x) > 0
    case map[string]interface{}:
        return len(x) > 0
    }
    return true
}

// encodeLine writes record's keys in order as one JSON object, without HTML escaping (as Python writes <, >, &).
func encodeLine(record map[string]interface{}, keys []string) ([]byte, error) {
    var buf bytes.Buffer
    enc := json.NewEncoder(&buf)
    enc.SetEscapeHTML(false)
    buf.WriteByte('{')
    for i, k := range keys {
        if i > 0 {
            buf.WriteByte(',')
        }
        if err := enc.Encode(k); err != nil {
            return nil, err
        }
        buf.Truncate(buf.Len() - 1) // Encode ends each value with a newline
        buf.WriteByte(':')
        if err := enc.Encode(record[k]); err != nil {
            return nil, err
        }
        buf.Truncate(buf.Len() - 1)
    }
    buf.WriteByte('}')
    return buf.Bytes(), nil
}
"""
