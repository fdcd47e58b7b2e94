package webhook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Delivery is one webhook message, the same on every attempt.
type Delivery struct {
	// Event names what happened, such as "document.ready"; sent as X-Avatar-Event.
	Event string
	// ID identifies the delivery, so that a receiver can drop a retry it already
	// handled; sent as X-Avatar-Delivery.
	ID string
	// Timestamp is the Unix time in seconds the delivery was built, as decimal text;
	// sent as X-Avatar-Timestamp and signed with the body.
	Timestamp string
	// Body is the JSON body.
	Body []byte
}

// NewDelivery builds the delivery of event with id at now: the JSON object of event,
// deliveryId, timestamp and, under name, payload (any value encoding/json encodes, such
// as a json.RawMessage).
func NewDelivery(event, id string, now time.Time, name string, payload any) (Delivery, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	body, err := json.Marshal(map[string]any{"event": event, "deliveryId": id, "timestamp": ts, name: payload})
	if err != nil {
		return Delivery{}, fmt.Errorf("encode %s delivery: %w", event, err)
	}
	return Delivery{Event: event, ID: id, Timestamp: ts, Body: body}, nil
}
