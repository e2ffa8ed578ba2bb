// Go tests of the logger of `coco events --emit go`, run by tests/producers/test_producer_loggers.py with the real
// `go test`, next to the generated events.go. testdata/levels.json holds, for event names with and without an
// error, the level coco's Python registry gives them.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var fixed = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 7_000_000, time.UTC) }

func bufferLogger() (*Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return &Logger{Sink: NewWriterSink(&buf), Now: fixed}, &buf
}

// A payload with every required field of the event (the registry's RequiredFields).
func complete(event EventType) map[string]interface{} {
	payload := map[string]interface{}{}
	for _, f := range RequiredFields[event] {
		switch f {
		case "source":
			payload[f] = SourceWolt
		case "error":
			payload[f] = EventError{Code: "LID_STUCK", Message: "Lid stuck"}
		default:
			payload[f] = "X-1"
		}
	}
	return payload
}

func TestEveryRegistryEventLogsOneLineAtThePythonLevel(t *testing.T) {
	data, err := os.ReadFile("testdata/levels.json")
	if err != nil {
		t.Fatal(err)
	}
	var levels []struct {
		Event     string `json:"event"`
		WithError bool   `json:"with_error"`
		Level     string `json:"level"`
	}
	if err := json.Unmarshal(data, &levels); err != nil {
		t.Fatal(err)
	}
	logger, buf := bufferLogger()
	logged := 0
	for _, c := range levels {
		payload := map[string]interface{}{}
		if c.WithError {
			payload["error"] = map[string]interface{}{"code": "E", "message": "m"}
		}
		if got := LevelFor(c.Event, payload); got != c.Level {
			t.Errorf("LevelFor(%q, error=%v) = %q, coco says %q", c.Event, c.WithError, got, c.Level)
		}
		if !Known(c.Event) {
			continue
		}
		for k, v := range complete(EventType(c.Event)) {
			if _, given := payload[k]; !given {
				payload[k] = v
			}
		}
		buf.Reset()
		if err := logger.LogEvent(context.Background(), EventType(c.Event), payload); err != nil {
			t.Fatalf("%s: %v", c.Event, err)
		}
		var record map[string]interface{}
		if err := json.Unmarshal(buf.Bytes(), &record); err != nil || strings.Count(buf.String(), "\n") != 1 {
			t.Fatalf("%s: not one JSON line: %q", c.Event, buf.String())
		}
		if record["level"] != c.Level || record["event"] != c.Event || record["timestamp"] != "2026-11-25T10:00:00.007Z" {
			t.Errorf("%s: %s", c.Event, buf.String())
		}
		logged++
	}
	if logged != 2*len(AllEvents) {
		t.Fatalf("logged %d lines, want every event with and without an error (%d)", logged, 2*len(AllEvents))
	}
}

func TestTheLineStartsWithEventTimestampLevelThenThePayloadSorted(t *testing.T) {
	logger, buf := bufferLogger()
	err := logger.LogEvent(context.Background(), RobotParked, map[string]interface{}{
		"zone_id": "Z-1", "robot_id": "R-1", "note": "<a & b>", "count": 12345678901234567, "ratio": 0.5,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"robot.parked","timestamp":"2026-11-25T10:00:00.007Z","level":"info",` +
		`"count":12345678901234567,"note":"<a & b>","ratio":0.5,"robot_id":"R-1","zone_id":"Z-1"}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s want %s", buf.String(), want)
	}
}

func TestAPayloadsOwnTimestampAndLevelWinUnlessEmpty(t *testing.T) {
	logger, buf := bufferLogger()
	ctx := context.Background()
	_ = logger.LogEvent(ctx, RobotParked, map[string]interface{}{"timestamp": "2026-01-02T03:04:05Z", "level": "warn"})
	_ = logger.LogEvent(ctx, RobotParked, map[string]interface{}{"timestamp": "", "level": nil})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if lines[0] != `{"event":"robot.parked","timestamp":"2026-01-02T03:04:05Z","level":"warn"}` ||
		lines[1] != `{"event":"robot.parked","timestamp":"2026-11-25T10:00:00.007Z","level":"info"}` {
		t.Fatalf("%q", lines)
	}
}

func TestPayloadStructsLogAndAStructWithoutARequiredFieldIsRejected(t *testing.T) {
	logger, buf := bufferLogger()
	ctx := context.Background()
	ok := OfferRejectedPayload{OfferID: "O-1", Source: SourceUber, RejectionReason: "no_available_robots"}
	if err := logger.LogPayload(ctx, OfferRejected, ok); err != nil {
		t.Fatal(err)
	}
	want := `{"event":"offer.rejected","timestamp":"2026-11-25T10:00:00.007Z","level":"info",` +
		`"offer_id":"O-1","rejection_reason":"no_available_robots","source":"uber"}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s want %s", buf.String(), want)
	}
	buf.Reset()
	err := logger.LogPayload(ctx, OfferRejected, OfferRejectedPayload{OfferID: "O-1", Source: SourceUber})
	var invalid *ValidationError
	if !errors.As(err, &invalid) || invalid.Error() != "offer.rejected: missing required field 'rejection_reason'" {
		t.Fatalf("want the registry's message, got %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("a rejected payload wrote %q", buf.String())
	}
	if err := logger.LogPayload(ctx, RobotParked, []string{"not", "an", "object"}); err == nil || buf.Len() != 0 {
		t.Fatalf("a payload that is not a JSON object must fail and write nothing, got %v", err)
	}
}

func TestConcurrentEventsAreWholeLines(t *testing.T) {
	logger, buf := bufferLogger()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := logger.LogEvent(context.Background(), TripStarted, map[string]interface{}{"delivery_id": "D-1"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("a broken line: %q", line)
		}
	}
}
