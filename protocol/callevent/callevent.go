// Package callevent is the contract of a voice call's `events` data channel:
// the names its JSON objects use and their encoding. The message is
// avatar.conversation.v1.CallEvent (see its comment for which fields each
// type sets), encoded as proto3 JSON: lowerCamelCase names, enums by their
// full names, unset fields left out. The edge writes these messages; the web
// app and the load tester read them (the TypeScript type is generated from
// the same proto).
package callevent

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"

	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// Types of CallEvent (its "type" field).
const (
	// TypePartialTranscript carries the trainee's words so far.
	TypePartialTranscript = "partial_transcript"
	// TypeFinalTranscript carries the trainee's final words of a turn.
	TypeFinalTranscript = "final_transcript"
	// TypeReplyText carries a reply sentence as it starts playing.
	TypeReplyText = "reply_text"
	// TypeTurnLatency carries a turn's stage latencies in milliseconds.
	TypeTurnLatency = "turn_latency"
	// TypeState carries the call's new turn-taking state.
	TypeState = "state"
	// TypeTurnResult carries what the dialogue engine made of a turn:
	// techniques heard, citations, the customer's outcome.
	TypeTurnResult = "turn_result"
)

// States of a call (the "state" field).
const (
	StateListening    = "LISTENING"
	StateUserSpeaking = "USER_SPEAKING"
	StateThinking     = "THINKING"
	StateSpeaking     = "SPEAKING"
)

// Stage names of a turn, in order: the keys of "stages" in turn_latency
// events, and the stage label of the edge's turn metrics.
const (
	StageEndpoint    = "endpoint"
	StageSTTFinal    = "stt_final"
	StageFirstText   = "first_text"
	StageFirstAudio  = "first_audio"
	StageFirstPacket = "first_packet"
	StageTurnGap     = "turn_gap"
)

// Stages lists the stage names in order.
var Stages = []string{StageEndpoint, StageSTTFinal, StageFirstText, StageFirstAudio, StageFirstPacket, StageTurnGap}

// Marshal encodes ev as the channel carries it.
func Marshal(ev *conversationv1.CallEvent) ([]byte, error) {
	b, err := protojson.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode call event: %w", err)
	}
	return b, nil
}

// Unmarshal decodes one message of the channel; fields it does not know are
// ignored, so readers keep working when the edge adds fields.
func Unmarshal(b []byte) (*conversationv1.CallEvent, error) {
	var ev conversationv1.CallEvent
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &ev); err != nil {
		return nil, fmt.Errorf("decode call event: %w", err)
	}
	return &ev, nil
}
