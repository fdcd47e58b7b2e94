package region

import (
	"time"
)

// State says whether an edge takes a new call, and why not.
type State int

// The states of an edge, in the order of the checks that decide them.
const (
	// StateStale means no heartbeat within Config.HeartbeatTimeout.
	StateStale State = iota + 1
	// StateDraining means the edge is shutting down: it finishes its calls and takes
	// no new one.
	StateDraining
	// StateFull means no free slot is left, or the CPU load is above Config.MaxCPU.
	StateFull
	// StateReady means the edge takes a new call.
	StateReady
)

// String returns the state's name in lower case ("ready").
func (s State) String() string {
	switch s {
	case StateStale:
		return "stale"
	case StateDraining:
		return "draining"
	case StateFull:
		return "full"
	case StateReady:
		return "ready"
	}
	return "unknown"
}

// Edge is one edge as the fleet view holds it: its last heartbeat, the calls placed on
// it since, and the state derived from them.
type Edge struct {
	// ID names the edge (AVATAR_EDGE_ID on the edge).
	ID string
	// Region is the edge's region, in lower case.
	Region string
	// URL is where clients reach the edge.
	URL string
	// Version is the edge's build version; empty when it reports none.
	Version string
	// ActiveCalls are the calls the edge held at its last heartbeat.
	ActiveCalls int
	// Capacity is the most calls the edge takes at once.
	Capacity int
	// PlacedCalls are the calls PickEdge placed on the edge since its last heartbeat.
	PlacedCalls int
	// CPULoad is the edge process's CPU use as a fraction of its machine (0 to 1).
	CPULoad float64
	// Draining says the edge is shutting down.
	Draining bool
	// Sent is when the edge sent its last heartbeat, by the edge's clock.
	Sent time.Time
	// LastSeen is when the core recorded its last heartbeat, by the fleet's (Redis's)
	// clock.
	LastSeen time.Time
	// Age is how long ago LastSeen was when the view was read, by the same clock.
	Age time.Duration
	// State says whether the edge takes a new call.
	State State
}

// Free returns the slots left: capacity minus active and placed calls, at least 0.
func (e Edge) Free() int { return max(0, e.Capacity-e.ActiveCalls-e.PlacedCalls) }

// Headroom ranks edges of one region: the free slots times the idle share of the CPU
// (1 - CPULoad), so that of two edges with as many free slots the less busy one wins,
// and a nearly saturated CPU counts for little however many slots are free.
func (e Edge) Headroom() float64 { return float64(e.Free()) * (1 - clamp01(e.CPULoad)) }

// state derives the edge's state at age, with the service's limits.
func (e Edge) state(timeout time.Duration, maxCPU float64) State {
	switch {
	case e.Age > timeout:
		return StateStale
	case e.Draining:
		return StateDraining
	case e.Free() == 0 || e.CPULoad > maxCPU:
		return StateFull
	}
	return StateReady
}

func clamp01(f float64) float64 {
	switch {
	case !(f > 0): // also NaN
		return 0
	case f > 1:
		return 1
	}
	return f
}
