package pipeline

// Event types on the `events` data channel (the pinned wire contract).
const (
	EventPartialTranscript = "partial_transcript"
	EventFinalTranscript   = "final_transcript"
	EventReplyText         = "reply_text"
	EventTurnLatency       = "turn_latency"
	EventState             = "state"
)

// State is where a call is in its turn-taking loop.
type State string

// States of a call.
const (
	StateListening    State = "LISTENING"
	StateUserSpeaking State = "USER_SPEAKING"
	StateThinking     State = "THINKING"
	StateSpeaking     State = "SPEAKING"
)

// Stage names of a turn, in order; the values of Event.Stages and of the
// stage label of the turn metrics.
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

// Event is one JSON object on the `events` data channel; Type says which
// fields are set.
type Event struct {
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// Turn is the turn's index in the call, from 1 (all but state).
	Turn int `json:"turn,omitempty"`
	// Text is the transcript (partial_transcript, final_transcript) or a
	// reply sentence as it starts playing (reply_text).
	Text string `json:"text,omitempty"`
	// State is the new state (state).
	State State `json:"state,omitempty"`
	// Stages maps stage names to milliseconds (turn_latency).
	Stages map[string]float64 `json:"stages,omitempty"`
	// BargeIn is set on turn_latency when the trainee spoke over the reply.
	BargeIn bool `json:"bargeIn,omitempty"`
}
