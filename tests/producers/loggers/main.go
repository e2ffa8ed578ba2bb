// A producer using the logger of `coco events --emit go` (package events), run by
// tests/producers/test_producer_loggers.py with the real `go run`; its cases come as a JSON file (argument 1).
//
// stdout: the lines the default logger writes (every registry event, the demo deliveries, two on the clock).
// stderr: one verdict per invalid payload, what a lenient logger writes and warns, and the configured logger's line.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"example.com/producer/events"
)

type payloadCase struct {
	Name    string
	Payload map[string]interface{}
}

func (c *payloadCase) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("a case is [name, payload]: %s", data)
	}
	if err := json.Unmarshal(pair[0], &c.Name); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(pair[1]))
	dec.UseNumber()
	return dec.Decode(&c.Payload)
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases map[string][]payloadCase
	if err := json.Unmarshal(data, &cases); err != nil {
		panic(err)
	}
	ctx := context.Background()

	for _, group := range []string{"every", "scenario", "clock"} {
		for _, c := range cases[group] {
			if err := events.LogEvent(ctx, events.EventType(c.Name), c.Payload); err != nil {
				panic(err)
			}
		}
	}

	// Invalid payloads, through a strict logger with a sink that counts: a rejection must write nothing.
	written := 0
	strict := &events.Logger{Sink: events.SinkFunc(func(context.Context, []byte, string) error { written++; return nil })}
	for _, c := range cases["invalid"] {
		var invalid *events.ValidationError
		if err := strict.LogEvent(ctx, events.EventType(c.Name), c.Payload); err == nil {
			fmt.Fprintln(os.Stderr, "ACCEPTED")
		} else if errors.As(err, &invalid) {
			fmt.Fprintln(os.Stderr, "REJECTED "+err.Error())
		} else {
			panic(err)
		}
	}
	fmt.Fprintf(os.Stderr, "WRITTEN %d\n", written)

	// Lenient writes the line anyway and warns; a fixed clock; a sink of one's own.
	var warnings strings.Builder
	lenient := &events.Logger{
		Lenient: true,
		Now:     func() time.Time { return time.Date(2026, 11, 25, 11, 0, 0, 7_000_000, time.FixedZone("CET", 3600)) },
		Sink: events.SinkFunc(func(_ context.Context, line []byte, _ string) error {
			fmt.Fprintln(os.Stderr, "LINE "+string(line))
			return nil
		}),
		Warn: &warnings,
	}
	for _, c := range cases["lenient"] {
		if err := lenient.LogEvent(ctx, events.EventType(c.Name), c.Payload); err != nil {
			panic(err)
		}
		if warnings.Len() > 0 {
			fmt.Fprint(os.Stderr, "WARN "+warnings.String())
			warnings.Reset()
		}
	}

	// SetDefault replaces what LogEvent writes to.
	events.SetDefault(&events.Logger{Sink: events.SinkFunc(func(_ context.Context, line []byte, level string) error {
		fmt.Fprintln(os.Stderr, "CONFIGURED "+level+" "+string(line))
		return nil
	})})
	if err := events.LogEvent(ctx, "robot.grounded", map[string]interface{}{"robot_id": "R-7"}); err != nil {
		panic(err)
	}
}
