package region

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Fleet metrics; labels are bounded sets.
var (
	heartbeats = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_region_heartbeats_total",
		Help: "Edge heartbeats received by this replica, by result (recorded, out_of_order, invalid, failed).",
	}, []string{"result"})
	picks = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_region_picks_total",
		Help: "PickEdge placements by result: local (the caller's region), fallback (another region), hint (the edge the caller named), none (no edge takes calls), failed (Redis).",
	}, []string{"result"})
)
