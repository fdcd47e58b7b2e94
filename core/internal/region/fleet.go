package region

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// fleet is the fleet view in Redis (see the package doc for the keys). Every script
// reads the Redis server's clock, so all replicas judge ages alike.
type fleet struct {
	rdb  redis.Scripter
	keys []string // edges, sent, slots, placed, seen
}

func newFleet(rdb redis.Scripter, prefix string) *fleet {
	p := prefix + "fleet:"
	return &fleet{rdb: rdb, keys: []string{p + "edges", p + "sent", p + "slots", p + "placed", p + "seen"}}
}

// luaNow sets now to the Redis server's time in milliseconds.
const luaNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// luaForget drops the edges not recorded for forget ms (ARGV[1] of every script that
// includes it).
const luaForget = `
local cutoff = string.format('(%d', now - tonumber(ARGV[1]))
local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', cutoff)
for _, id in ipairs(gone) do
  for k = 1, 4 do redis.call('HDEL', KEYS[k], id) end
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', cutoff) end
`

// recordScript stores a heartbeat unless a later one (by the edge's clock) is stored.
// ARGV: forget ms, id, heartbeat, sent ms, slots. Returns 1 when stored, 0 when older.
var recordScript = redis.NewScript(luaNow + luaForget + `
local id = ARGV[2]
local prev = redis.call('HGET', KEYS[2], id)
if prev and tonumber(prev) > tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], id, ARGV[3])
redis.call('HSET', KEYS[2], id, ARGV[4])
redis.call('HSET', KEYS[3], id, ARGV[5])
redis.call('HDEL', KEYS[4], id)
redis.call('ZADD', KEYS[5], now, id)
for k = 1, 5 do redis.call('PEXPIRE', KEYS[k], ARGV[1]) end
return 1
`)

// readScript returns now, then id, recorded at, heartbeat and placed calls per edge.
// ARGV: forget ms.
var readScript = redis.NewScript(luaNow + luaForget + `
local out = {now}
local seen = redis.call('ZRANGE', KEYS[5], 0, -1, 'WITHSCORES')
for i = 1, #seen, 2 do
  local id = seen[i]
  out[#out + 1] = id
  out[#out + 1] = seen[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[1], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[4], id) or '0'
end
return out
`)

// placeScript takes one of the edge's slots: it returns the calls placed on it since its
// heartbeat, or 0 when the edge is not there, not recorded for timeout ms, or out of
// slots. ARGV: forget ms (the placed key's expiry), id, timeout ms.
var placeScript = redis.NewScript(luaNow + `
local id = ARGV[2]
local at = redis.call('ZSCORE', KEYS[5], id)
if not at or now - tonumber(at) > tonumber(ARGV[3]) then return 0 end
local slots = tonumber(redis.call('HGET', KEYS[3], id) or '0')
local placed = tonumber(redis.call('HGET', KEYS[4], id) or '0')
if placed >= slots then return 0 end
placed = redis.call('HINCRBY', KEYS[4], id, 1)
redis.call('PEXPIRE', KEYS[4], ARGV[1])
return placed
`)

// record stores hb (normalized) and reports whether it was newer than the stored one.
func (f *fleet) record(ctx context.Context, hb *eventsv1.EdgeHeartbeat, forget time.Duration) (bool, error) {
	data, err := proto.Marshal(hb)
	if err != nil {
		return false, fmt.Errorf("encode heartbeat: %w", err)
	}
	slots := max(0, hb.GetCapacity()-hb.GetActiveCalls())
	if hb.GetDraining() {
		slots = 0
	}
	n, err := recordScript.Run(ctx, f.rdb, f.keys, forget.Milliseconds(), hb.GetEdgeId(), data, hb.GetTime().AsTime().UnixMilli(), slots).Int()
	if err != nil {
		return false, fmt.Errorf("%w: record heartbeat: %w", ErrUnavailable, err)
	}
	return n == 1, nil
}

// read returns every edge in the view, with Age set (not State), and the fleet's clock.
func (f *fleet) read(ctx context.Context, forget time.Duration) ([]Edge, time.Time, error) {
	vals, err := readScript.Run(ctx, f.rdb, f.keys, forget.Milliseconds()).Slice()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: read fleet: %w", ErrUnavailable, err)
	}
	if len(vals) == 0 || (len(vals)-1)%4 != 0 {
		return nil, time.Time{}, fmt.Errorf("%w: read fleet: %d values", ErrUnavailable, len(vals))
	}
	nowMS, ok := vals[0].(int64)
	if !ok {
		return nil, time.Time{}, fmt.Errorf("%w: read fleet: clock %T", ErrUnavailable, vals[0])
	}
	now := time.UnixMilli(nowMS)
	edges := make([]Edge, 0, (len(vals)-1)/4)
	for i := 1; i < len(vals); i += 4 {
		id, _ := vals[i].(string)
		atS, _ := vals[i+1].(string)
		data, _ := vals[i+2].(string)
		placedS, _ := vals[i+3].(string)
		hb := &eventsv1.EdgeHeartbeat{}
		if data == "" || proto.Unmarshal([]byte(data), hb) != nil {
			continue // not a heartbeat this package wrote
		}
		at, _ := strconv.ParseFloat(atS, 64)
		placed, _ := strconv.Atoi(placedS)
		seen := time.UnixMilli(int64(at))
		edges = append(edges, Edge{
			ID:          id,
			Region:      hb.GetRegion(),
			URL:         hb.GetUrl(),
			Version:     hb.GetVersion(),
			ActiveCalls: int(hb.GetActiveCalls()),
			Capacity:    int(hb.GetCapacity()),
			PlacedCalls: placed,
			CPULoad:     hb.GetCpuLoad(),
			Draining:    hb.GetDraining(),
			Sent:        hb.GetTime().AsTime(),
			LastSeen:    seen,
			Age:         max(0, now.Sub(seen)),
		})
	}
	return edges, now, nil
}

// place takes a slot on the edge id and returns the calls placed on it since its
// heartbeat, this one included; 0 means the edge has no slot left (or is gone or stale)
// by now.
func (f *fleet) place(ctx context.Context, id string, timeout, forget time.Duration) (int, error) {
	n, err := placeScript.Run(ctx, f.rdb, f.keys, forget.Milliseconds(), id, timeout.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("%w: place call: %w", ErrUnavailable, err)
	}
	return n, nil
}
