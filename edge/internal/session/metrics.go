package session

import "github.com/avatar-fi/avatar/edge/internal/metrics"

var (
	activeSessions = metrics.ActiveSessions
	sessionsEnded  = metrics.SessionsEnded
	turnsRecorded  = metrics.SessionTurns
)
