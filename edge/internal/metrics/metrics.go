// Package metrics holds every Prometheus metric of the edge, in one place
// (STYLE.md): base units, _total only on counters, and bounded labels
// (region, stage, reason; never a session or call id).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// ActiveCalls is the number of calls in progress on this edge.
var ActiveCalls = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Name: "avatar_edge_active_calls",
	Help: "Voice calls in progress on this edge.",
}, []string{"region"})

// CallsStarted counts calls answered.
var CallsStarted = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_calls_started_total",
	Help: "Voice calls answered.",
}, []string{"region"})

// CallsEnded counts calls torn down, by reason (hangup, ice_failed,
// connect_timeout, max_duration, drain, data_channel_flood, shutdown).
var CallsEnded = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_calls_ended_total",
	Help: "Voice calls torn down, by reason.",
}, []string{"region", "reason"})

// CallsRejected counts call offers refused, by reason (full, draining,
// unauthenticated, bad_offer, no_opus, too_large, media_type).
var CallsRejected = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_calls_rejected_total",
	Help: "Voice call offers refused, by reason.",
}, []string{"region", "reason"})

// TurnStage is the duration of each stage of a turn (endpoint, stt_final,
// first_text, first_audio, first_packet, turn_gap).
var TurnStage = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "avatar_edge_turn_stage_seconds",
	Help:    "Duration of each stage of a voice turn; turn_gap is from the trainee's last voiced frame to the first reply packet sent.",
	Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5},
}, []string{"region", "stage"})

// Turns counts completed turns, by whether the trainee barged in.
var Turns = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_turns_total",
	Help: "Completed voice turns.",
}, []string{"region", "barge_in"})

// PacketsReceived counts RTP audio packets received from callers.
var PacketsReceived = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_rtp_packets_received_total",
	Help: "RTP audio packets received from callers.",
}, []string{"region"})

// PacketsLost counts RTP audio packets from callers that never arrived
// (sequence gaps), concealed by FEC or PLC.
var PacketsLost = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_rtp_packets_lost_total",
	Help: "RTP audio packets from callers that never arrived (concealed).",
}, []string{"region"})

// PacketsMalformed counts received packets that were not valid RTP or Opus.
var PacketsMalformed = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_rtp_packets_malformed_total",
	Help: "Received packets that were not valid RTP or Opus.",
}, []string{"region"})

// PacketsSent counts RTP audio packets sent to callers.
var PacketsSent = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_rtp_packets_sent_total",
	Help: "RTP audio packets sent to callers.",
}, []string{"region"})

// Jitter is each call's RFC 3550 interarrival jitter of the caller's audio,
// observed at the end of the call.
var Jitter = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "avatar_edge_rtp_jitter_seconds",
	Help:    "RFC 3550 interarrival jitter of callers' audio, per call, at hang-up.",
	Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2},
}, []string{"region"})

// STTDroppedFrames counts audio frames the recogniser could not keep up
// with.
var STTDroppedFrames = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_stt_dropped_frames_total",
	Help: "Audio frames dropped because the recogniser fell behind.",
}, []string{"region"})

// LLMRequests counts Stream calls to the LLM provider by purpose (coach,
// customer) and outcome: ok, error, cancelled (the caller's context ended,
// as on barge-in), and retried, added once for every attempt after the
// first.
var LLMRequests = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_llm_requests_total",
	Help: "LLM provider replies by outcome (ok, error, cancelled); retried counts extra attempts.",
}, []string{"purpose", "outcome"})

// LLMFirstToken is the time from the start of a Stream call to the first
// content delta, retries included.
var LLMFirstToken = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "avatar_edge_llm_first_token_seconds",
	Help:    "Time from an LLM request to its first content delta, retries included.",
	Buckets: []float64{0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20},
}, []string{"purpose"})

// LLMPromptTokens counts prompt tokens as reported by the provider's usage,
// by purpose and configured model.
var LLMPromptTokens = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_llm_prompt_tokens_total",
	Help: "Prompt tokens reported by the LLM provider.",
}, []string{"purpose", "model"})

// LLMCompletionTokens counts completion tokens as reported by the
// provider's usage, by purpose and configured model.
var LLMCompletionTokens = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_llm_completion_tokens_total",
	Help: "Completion tokens reported by the LLM provider.",
}, []string{"purpose", "model"})

// RetrievalCache counts the edge's knowledge search cache lookups, by result
// (hit, miss) and dealership invalidations (invalidation).
var RetrievalCache = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_retrieval_cache_total",
	Help: "Knowledge search cache lookups by result, and invalidations.",
}, []string{"result"})

// CoreSearch is how long a KnowledgeService.Search to the core took.
var CoreSearch = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "avatar_edge_core_search_seconds",
	Help:    "KnowledgeService.Search round trips from the edge to the core.",
	Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1, 2},
})

// ActiveSessions is the number of conversation sessions held on this edge.
var ActiveSessions = promauto.NewGauge(prometheus.GaugeOpts{
	Name: "avatar_edge_active_sessions",
	Help: "Conversation sessions (coach or role-play) held on this edge.",
})

// SessionsEnded counts sessions ended, by reason (ended, idle, shutdown).
var SessionsEnded = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_sessions_ended_total",
	Help: "Conversation sessions ended, by reason.",
}, []string{"reason"})

// SessionTurns counts the trainee turns recorded, by channel (text, voice).
var SessionTurns = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_session_turns_total",
	Help: "Trainee turns recorded in sessions, by channel.",
}, []string{"channel"})

// RateLimited counts requests refused by a per-user rate limit, by limit
// (chat, call_start).
var RateLimited = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_rate_limited_total",
	Help: "Requests refused by a per-user rate limit, by limit.",
}, []string{"limit"})

// Capacity is the number of calls this edge takes before it answers 503
// (AVATAR_EDGE_MAX_CALLS), next to ActiveCalls on a dashboard.
var Capacity = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Name: "avatar_edge_capacity_calls",
	Help: "Calls this edge takes before refusing new ones (503 with Retry-After).",
}, []string{"region"})

// TurnResumed counts user turns that began within 1.5 s of the end of the
// previous one: the trainee went on speaking after the edge took a pause
// for the end of the turn (a likely cut-in), or barged in at once.
var TurnResumed = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_turns_resumed_total",
	Help: "User turns that began within 1.5 s of the end of the previous one (likely cut in).",
}, []string{"region"})

// TurnContinued counts user turns that carried on the one before: the
// trainee went on within 1.5 s of a pause the edge took for the end of the
// turn, before its reply had finished, and the two were answered as one.
// Each is a cut-in the trainee heard the start of.
var TurnContinued = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "avatar_edge_turns_continued_total",
	Help: "User turns that carried on the one before it, cut short by the end-of-turn decision; the two were answered as one.",
}, []string{"region"})
