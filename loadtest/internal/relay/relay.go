// Package relay is a UDP impairment relay: a proxy on real sockets that adds
// a region's network to a call's media. The load tester points a caller's
// ICE at the relay instead of the edge; every datagram either way (STUN,
// DTLS, SRTP, SCTP) then crosses it and is delayed by Delay ± Jitter and
// dropped with probability Loss, independently per datagram and direction,
// as netem would do on a link. It stands in for network namespaces and tc
// netem, which need privileges a developer machine or CI runner seldom has.
//
// Each client address gets its own upstream socket, so the target (an
// edge's ICE UDP mux) sees one distinct peer per caller, as it would over a
// real network. Upstream sockets live until Close: a relay serves one load
// test run.
package relay

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrImpairment is returned by ParseImpairment for a malformed or out of
// range description.
var ErrImpairment = errors.New("relay: bad impairment")

// Impairment is what the relay adds in each direction.
type Impairment struct {
	// Delay is the one-way delay added to every datagram.
	Delay time.Duration
	// Jitter spreads the delay uniformly over Delay ± Jitter (never below
	// zero). Datagrams may be reordered, as on a link with netem's jitter.
	Jitter time.Duration
	// Loss is the probability, 0 to 1, that a datagram is dropped.
	Loss float64
}

// String formats i as ParseImpairment reads it.
func (i Impairment) String() string {
	return fmt.Sprintf("delay=%v,jitter=%v,loss=%s%%", i.Delay, i.Jitter, strconv.FormatFloat(i.Loss*100, 'f', -1, 64))
}

// Validate reports an impairment out of range.
func (i Impairment) Validate() error {
	switch {
	case i.Delay < 0 || i.Delay > 10*time.Second:
		return fmt.Errorf("%w: delay %v, want 0 to 10s", ErrImpairment, i.Delay)
	case i.Jitter < 0 || i.Jitter > 10*time.Second:
		return fmt.Errorf("%w: jitter %v, want 0 to 10s", ErrImpairment, i.Jitter)
	case i.Loss < 0 || i.Loss >= 1:
		return fmt.Errorf("%w: loss %v, want 0 to under 100%%", ErrImpairment, i.Loss)
	}
	return nil
}

// ParseImpairment reads comma-separated key=value settings: delay=20ms,
// jitter=5ms, loss=0.1% (or loss=0.001). Missing keys are zero; an empty
// string is no impairment.
func ParseImpairment(s string) (Impairment, error) {
	var imp Impairment
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Impairment{}, fmt.Errorf("%w: %q is not key=value", ErrImpairment, kv)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "delay":
			imp.Delay, err = time.ParseDuration(v)
		case "jitter":
			imp.Jitter, err = time.ParseDuration(v)
		case "loss":
			imp.Loss, err = parseFraction(v)
		default:
			return Impairment{}, fmt.Errorf("%w: unknown key %q (want delay, jitter, loss)", ErrImpairment, k)
		}
		if err != nil {
			return Impairment{}, fmt.Errorf("%w: %s: %w", ErrImpairment, kv, err)
		}
	}
	return imp, imp.Validate()
}

// parseFraction reads "0.5%" as 0.005 and "0.005" as itself.
func parseFraction(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("parse number: %w", err)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// Stats counts datagrams through a relay.
type Stats struct {
	// Up and Down count datagrams received from clients and from the
	// target.
	Up, Down uint64
	// UpDropped and DownDropped count those dropped as Loss says.
	UpDropped, DownDropped uint64
}

// Relay forwards UDP datagrams between clients and one target with an
// Impairment. Its methods are safe for concurrent use.
type Relay struct {
	conn   *net.UDPConn
	target *net.UDPAddr
	imp    Impairment

	rngMu sync.Mutex
	rng   *rand.Rand

	mu     sync.Mutex
	peers  map[string]*net.UDPConn // client address → its upstream socket
	closed bool

	up, down, upDropped, downDropped atomic.Uint64

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New listens on listen (e.g. "127.0.0.1:0") and relays to target with imp.
// seed fixes the random delays and losses (runs are repeatable for a seed).
// The relay runs until Close or until ctx is done.
func New(ctx context.Context, listen string, target *net.UDPAddr, imp Impairment, seed uint64) (*Relay, error) {
	if err := imp.Validate(); err != nil {
		return nil, err
	}
	if target == nil {
		return nil, errors.New("relay: no target")
	}
	la, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("relay: resolve %s: %w", listen, err)
	}
	conn, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("relay: listen %s: %w", listen, err)
	}
	ctx, stop := context.WithCancel(ctx)
	r := &Relay{conn: conn, target: target, imp: imp, stop: stop,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), peers: map[string]*net.UDPConn{}}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); r.clientLoop() }()
	go func() { defer r.wg.Done(); <-ctx.Done(); _ = r.shutdown() }()
	return r, nil
}

// Addr returns the address clients send to.
func (r *Relay) Addr() *net.UDPAddr {
	a, _ := r.conn.LocalAddr().(*net.UDPAddr)
	return a
}

// Target returns the address the relay forwards to.
func (r *Relay) Target() *net.UDPAddr { return r.target }

// Impairment returns what the relay adds.
func (r *Relay) Impairment() Impairment { return r.imp }

// Stats returns the datagram counts so far.
func (r *Relay) Stats() Stats {
	return Stats{Up: r.up.Load(), Down: r.down.Load(), UpDropped: r.upDropped.Load(), DownDropped: r.downDropped.Load()}
}

// Close stops the relay and closes its sockets; datagrams still delayed
// are dropped.
func (r *Relay) Close() error {
	err := r.shutdown()
	r.stop()
	r.wg.Wait()
	return err
}

func (r *Relay) shutdown() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	for _, p := range r.peers {
		_ = p.Close()
	}
	if err := r.conn.Close(); err != nil {
		return fmt.Errorf("relay: close: %w", err)
	}
	return nil
}

// clientLoop reads from clients and forwards to the target, each client
// through its own upstream socket.
func (r *Relay) clientLoop() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.up.Add(1)
		up, err := r.upstream(from)
		if err != nil {
			continue
		}
		r.forward(buf[:n], &r.upDropped, func(b []byte) { _, _ = up.Write(b) })
	}
}

// upstream returns the client's upstream socket, opening it (and its
// reader) on the client's first datagram.
func (r *Relay) upstream(client *net.UDPAddr) (*net.UDPConn, error) {
	key := client.String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, net.ErrClosed
	}
	if c, ok := r.peers[key]; ok {
		return c, nil
	}
	c, err := net.DialUDP("udp", nil, r.target)
	if err != nil {
		return nil, fmt.Errorf("relay: dial %s: %w", r.target, err)
	}
	r.peers[key] = c
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // ICMP port unreachable and the like: keep reading
			}
			r.down.Add(1)
			r.forward(buf[:n], &r.downDropped, func(b []byte) { _, _ = r.conn.WriteToUDP(b, client) })
		}
	}()
	return c, nil
}

// forward drops the datagram with probability Loss, else sends a copy after
// Delay ± Jitter.
func (r *Relay) forward(b []byte, dropped *atomic.Uint64, send func([]byte)) {
	r.rngMu.Lock()
	drop := r.imp.Loss > 0 && r.rng.Float64() < r.imp.Loss
	d := r.imp.Delay
	if r.imp.Jitter > 0 {
		d += time.Duration(r.rng.Int64N(int64(2*r.imp.Jitter)+1)) - r.imp.Jitter
	}
	r.rngMu.Unlock()
	if drop {
		dropped.Add(1)
		return
	}
	if d <= 0 {
		send(b)
		return
	}
	cp := append([]byte(nil), b...)
	time.AfterFunc(d, func() { send(cp) })
}
