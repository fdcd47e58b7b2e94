// Package region is the core's fleet view and edge placement:
// avatar.region.v1.RegionService (PickEdge, ListEdges) over the edges' heartbeats.
//
// # Fleet view
//
// Every edge publishes an avatar.events.v1.EdgeHeartbeat every 5 s on
// avatar.edge.heartbeat.<region> (and a draining one from SIGTERM on). Service.Run
// subscribes to them in a NATS queue group, so each heartbeat reaches one core replica,
// which records it in Redis. The view lives in Redis, not in a replica's memory: every
// replica reads the same edges, the same placements and the same clock, so two replicas
// give the same answer, and a replica that starts (or restarts) knows the fleet at once.
//
// Redis rather than a JetStream key-value bucket, because PickEdge runs before every
// call and places calls: one Lua script reads the whole fleet in one round trip, another
// takes a slot on an edge atomically, and both judge ages by the Redis server's clock,
// the same for every replica whatever its own clock says. Listing a bucket costs a
// consumer per read (or a watcher per replica, which is a copy in process memory again),
// and taking a slot would be a compare-and-swap loop on revisions. Heartbeats are
// perishable, so they are read with a plain subscription, not a durable consumer: a
// heartbeat missed during an outage is replaced 5 s later, and a replayed backlog would
// only be stale.
//
// The view is five keys under Config.KeyPrefix ("avatar:" by default):
//
//	fleet:edges  hash  edge id -> the last EdgeHeartbeat (protobuf)
//	fleet:sent   hash  edge id -> its send time by the edge's clock (Unix ms), for order
//	fleet:slots  hash  edge id -> calls it may take until its next heartbeat
//	fleet:placed hash  edge id -> calls PickEdge placed on it since its last heartbeat
//	fleet:seen   zset  edge id, scored by when the core recorded it (Redis clock, ms)
//
// A heartbeat older (by its edge's clock) than the one recorded is dropped, so two
// replicas that handle one edge's heartbeats out of order cannot bring back an old state
// (a draining edge reported as accepting). An edge not heard of for Config.ForgetAfter
// leaves the view; all keys expire with it, so a fleet that goes away leaves nothing.
//
// # Placement
//
// An edge takes a new call when it is READY: its last heartbeat is younger than
// Config.HeartbeatTimeout (15 s, three heartbeats), it is not draining, its CPU load is
// at most Config.MaxCPU, and it has a free slot: capacity - active calls - calls placed
// on it since that heartbeat. Counting the placed calls keeps a burst of PickEdge calls
// between two heartbeats from all landing on one edge: the place step is one atomic
// script that takes a slot or refuses, so concurrent picks never place more calls on an
// edge than it has slots (the edge's next heartbeat replaces the estimate with its real
// count). Otherwise an edge is FULL, DRAINING or STALE (ListEdges shows which).
//
// Among the READY edges PickEdge prefers, in turn: the edge named by the hint (a
// reconnect to the edge of the previous call); the caller's region, then the regions its
// route in Config.Order lists, nearest first; then every other region together. Within
// one step the edge with the most headroom wins: free slots times the idle share of its
// CPU (1 - CPU load), then the lower CPU load, then the lower id, so the answer does not
// depend on the replica. A caller that names no region is in the home region (the first
// route's). When no edge anywhere is READY, PickEdge fails with ErrNoEdge (Unavailable).
package region
