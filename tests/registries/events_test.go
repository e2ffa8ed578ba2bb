// A table test for the generated Go registry (`coco events --emit go`), run by tests/producers/test_codegen.py with `go test`.
// It is copied next to the generated events.go; testdata/cases.jsonl holds records with the problems coco's Python
// registry gives them, so the Go Validate and cocoevents.producers.registry.validate must agree word for word.
package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestValidateTable(t *testing.T) {
	full := func() map[string]interface{} {
		return map[string]interface{}{
			"offer_id": "O-123", "source": "uber", "merchant_id": "M-1", "rejection_reason": "no_available_robots",
		}
	}
	without := func(m map[string]interface{}, key string) map[string]interface{} {
		delete(m, key)
		return m
	}
	with := func(m map[string]interface{}, key string, v interface{}) map[string]interface{} {
		m[key] = v
		return m
	}
	cases := []struct {
		name    string
		event   string
		payload map[string]interface{}
		wantErr string // "" means valid
	}{
		{"offer.rejected with its required fields", string(OfferRejected), full(), ""},
		{"offer.rejected without rejection_reason", string(OfferRejected), without(full(), "rejection_reason"), "missing required field 'rejection_reason'"},
		{"an empty required field is missing", string(OfferReceived), with(full(), "merchant_id", ""), "missing required field 'merchant_id'"},
		{"offer.accepted needs offer_id", string(OfferAccepted), without(full(), "offer_id"), "missing required field 'offer_id'"},
		{"a source outside the four platforms", string(RobotParked), map[string]interface{}{"source": "grubhub"}, "is not one of"},
		{"events without required fields take any base payload", string(RobotStateChanged), map[string]interface{}{"robot_id": "R-99"}, ""},
		{"an unknown name", "robot.flew", map[string]interface{}{}, "unknown event name"},
		{"no name", "", map[string]interface{}{}, "no event name"},
		{"delivery.failed with its error", string(DeliveryFailed), map[string]interface{}{
			"delivery_id": "D-101", "error": map[string]interface{}{"code": "HARDWARE_FAILURE", "message": "Lid stuck"}}, ""},
		{"delivery.failed with an error without message", string(DeliveryFailed), map[string]interface{}{
			"delivery_id": "D-101", "error": map[string]interface{}{"code": "HARDWARE_FAILURE"}}, "error must have a code and a message"},
		{"delivery.failed without error", string(DeliveryFailed), map[string]interface{}{"delivery_id": "D-101"}, "missing required field 'error'"},
		{"an id that is not a string", string(RobotParked), map[string]interface{}{"robot_id": 7}, "robot_id must be a string, got int"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.event, c.payload)
			if c.wantErr == "" && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("want an error containing %q, got %v", c.wantErr, err)
			}
		})
	}
}

func TestPayloadStructsWriteRequiredFieldsAndValidate(t *testing.T) {
	ok := OfferRejectedPayload{OfferID: "O-123", Source: SourceUber, RejectionReason: "no_available_robots"}
	if err := ValidatePayload(OfferRejected, ok); err != nil {
		t.Fatalf("a complete payload struct: %v", err)
	}
	data, _ := json.Marshal(OfferRejectedPayload{})
	if !strings.Contains(string(data), `"rejection_reason":""`) || strings.Contains(string(data), `"robot_id"`) {
		t.Fatalf("required fields are written even when empty, optional ones are omitted: %s", data)
	}
	if err := ValidatePayload(OfferRejected, OfferRejectedPayload{OfferID: "O-1", Source: SourceWolt}); err == nil ||
		!strings.Contains(err.Error(), "rejection_reason") {
		t.Fatalf("a struct without rejection_reason must fail, got %v", err)
	}
	failed := DeliveryFailedPayload{DeliveryID: "D-1", Error: EventError{Code: "LID_STUCK", Message: "Lid stuck"}}
	if err := ValidatePayload(DeliveryFailed, failed); err != nil {
		t.Fatalf("delivery.failed struct: %v", err)
	}
	if len(AllEvents) != 37 || len(RequiredFields) != 4 {
		t.Fatalf("want 37 events and 4 with required fields, got %d and %d", len(AllEvents), len(RequiredFields))
	}
}

// Every record of testdata/cases.jsonl gets from Go the problems coco's Python registry gives it, word for word.
func TestAgreesWithCocosRegistry(t *testing.T) {
	f, err := os.Open("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for scanner.Scan() {
		var c struct {
			Record   map[string]interface{} `json:"record"`
			Problems []string               `json:"problems"`
		}
		dec := json.NewDecoder(bytes.NewReader(scanner.Bytes()))
		dec.UseNumber() // 7 and 7.0 stay an int and a float, as in Python
		if err := dec.Decode(&c); err != nil {
			t.Fatal(err)
		}
		name, _ := c.Record["event"].(string)
		if got := Problems(name, c.Record); strings.Join(got, "\n") != strings.Join(c.Problems, "\n") {
			t.Errorf("%s:\n Go finds %q\n coco finds %q", scanner.Text(), got, c.Problems)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no cases")
	}
	t.Logf("%d records agree", n)
}
