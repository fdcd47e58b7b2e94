package ratelimit

import "time"

// Fallback says what a limit does when Redis cannot be reached.
type Fallback int

const (
	// FallbackLocal limits with an in-process limiter of the same rate (fail-open to
	// the per-process budget).
	FallbackLocal Fallback = iota
	// FailClosed refuses requests with ErrUnavailable while Redis is down.
	FailClosed
)

// Limit is one named budget: Rate requests per Period, with bursts up to Burst.
type Limit struct {
	// Name identifies the limit in Allow, Redis keys and metrics.
	Name string
	// Rate requests are allowed per Period.
	Rate int
	// Period is the window of Rate.
	Period time.Duration
	// Burst is the most requests allowed at once; zero means Rate.
	Burst int
	// Fallback applies while Redis is unreachable.
	Fallback Fallback
}

// Names of the default limits. They are part of the Redis keys, so every process that
// uses a name with the same Redis and prefix shares its budgets.
const (
	// Chat is text chat messages per user: 30/min (the edge).
	Chat = "chat"
	// CallStart is voice call starts per user: 20/min (the edge).
	CallStart = "call_start"
	// KnowledgeUpload is document uploads per user: 10/min (the core).
	KnowledgeUpload = "knowledge_upload"
	// KnowledgeSearch is knowledge searches per user: 10/min (the core). The
	// coach searches as the trainee; the edge caches its results, so a reply
	// prepared at a pause and released for the same words costs one search.
	KnowledgeSearch = "knowledge_search"
	// LoginAccount is login attempts per email address: 10/min (the core).
	LoginAccount = "login_account"
	// LoginIP is login attempts per client IP: 30/min (the core).
	LoginIP = "login_ip"
)

// DefaultLimits are the per-user defaults from DESIGN.md plus the login limits. All fall
// back to local limiting: refusing every chat or login while Redis restarts would turn a
// cache outage into a full outage, and the local limiter still bounds abuse per process.
func DefaultLimits() []Limit {
	return []Limit{
		{Name: Chat, Rate: 30, Period: time.Minute},
		{Name: CallStart, Rate: 20, Period: time.Minute},
		{Name: KnowledgeUpload, Rate: 10, Period: time.Minute},
		{Name: KnowledgeSearch, Rate: 10, Period: time.Minute},
		{Name: LoginAccount, Rate: 10, Period: time.Minute},
		{Name: LoginIP, Rate: 30, Period: time.Minute},
	}
}
