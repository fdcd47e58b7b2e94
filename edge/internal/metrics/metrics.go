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
