package relay

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestParseImpairment(t *testing.T) {
	tests := []struct {
		in      string
		want    Impairment
		wantErr bool
	}{
		{"", Impairment{}, false},
		{"delay=20ms,jitter=5ms,loss=0.1%", Impairment{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.001}, false},
		{"loss=0.02", Impairment{Loss: 0.02}, false},
		{" delay=110ms , loss=1% ", Impairment{Delay: 110 * time.Millisecond, Loss: 0.01}, false},
		{"delay=20", Impairment{}, true},
		{"delay=-1ms", Impairment{}, true},
		{"loss=100%", Impairment{}, true},
		{"loss=-0.1", Impairment{}, true},
		{"lag=3ms", Impairment{}, true},
		{"delay", Impairment{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseImpairment(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrImpairment) {
					t.Errorf("error %v is not ErrImpairment", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			back, err := ParseImpairment(got.String())
			if err != nil || back != got {
				t.Errorf("String() %q does not parse back: %+v, %v", got.String(), back, err)
			}
		})
	}
}

// echoServer answers every datagram to its sender and records the source
// addresses it saw.
func echoServer(t *testing.T) (*net.UDPAddr, func() []string) {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var mu sync.Mutex
	seen := map[string]bool{}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			mu.Lock()
			seen[from.String()] = true
			mu.Unlock()
			_, _ = conn.WriteToUDP(buf[:n], from)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr), func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for a := range seen {
			out = append(out, a)
		}
		return out
	}
}

// probe sends n numbered datagrams through the relay, every interval, and
// returns the round-trip time of each one that came back.
func probe(t *testing.T, relay *net.UDPAddr, n int, interval time.Duration) []time.Duration {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, relay)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := make([]time.Time, n)
	var rtts []time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			k, err := c.Read(buf)
			if err != nil {
				return // no datagram for a second: the rest were lost
			}
			if k == 8 {
				i := binary.BigEndian.Uint64(buf[:8])
				rtts = append(rtts, time.Since(sent[i]))
			}
		}
	}()
	for i := range n {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		sent[i] = time.Now()
		if _, err := c.Write(b[:]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(interval)
	}
	<-done
	return rtts
}

func TestRelayAddsDelayAndLoss(t *testing.T) {
	target, _ := echoServer(t)
	imp := Impairment{Delay: 30 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.2}
	r, err := New(context.Background(), "127.0.0.1:0", target, imp, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 1000
	rtts := probe(t, r.Addr(), n, time.Millisecond)

	// A round trip crosses the relay twice: it survives with (1-0.2)² = 0.64.
	got := float64(len(rtts)) / n
	if got < 0.57 || got > 0.71 {
		t.Errorf("delivered %.3f of datagrams, want 0.64 ± 0.07", got)
	}
	slices.Sort(rtts)
	lo, med := rtts[0], rtts[len(rtts)/2]
	// Each way adds 20 to 40 ms: the round trip 40 to 80 ms, median 60.
	if lo < 39*time.Millisecond {
		t.Errorf("fastest round trip %v, want ≥ 40 ms (the least delay both ways)", lo)
	}
	if med < 52*time.Millisecond || med > 95*time.Millisecond {
		t.Errorf("median round trip %v, want about 60 ms", med)
	}
	s := r.Stats()
	if s.Up != n {
		t.Errorf("relay saw %d datagrams up, want %d", s.Up, n)
	}
	if f := float64(s.UpDropped) / float64(s.Up); f < 0.15 || f > 0.25 {
		t.Errorf("dropped %.3f up, want 0.2 ± 0.05", f)
	}
	if s.Down != s.Up-s.UpDropped {
		t.Errorf("down %d, want every datagram the target got back (%d)", s.Down, s.Up-s.UpDropped)
	}
}

func TestRelayWithoutImpairmentIsTransparent(t *testing.T) {
	target, _ := echoServer(t)
	r, err := New(context.Background(), "127.0.0.1:0", target, Impairment{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rtts := probe(t, r.Addr(), 200, 500*time.Microsecond)
	if len(rtts) != 200 {
		t.Fatalf("%d of 200 came back", len(rtts))
	}
	slices.Sort(rtts)
	if med := rtts[len(rtts)/2]; med > 20*time.Millisecond {
		t.Errorf("median round trip %v through an unimpaired relay on loopback", med)
	}
}

func TestRelayGivesEachClientItsOwnUpstream(t *testing.T) {
	target, seen := echoServer(t)
	r, err := New(context.Background(), "127.0.0.1:0", target, Impairment{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 3 {
		if rtts := probe(t, r.Addr(), 5, time.Millisecond); len(rtts) != 5 {
			t.Fatalf("%d of 5 came back", len(rtts))
		}
	}
	if got := len(seen()); got != 3 {
		t.Errorf("target saw %d source addresses, want one per client (3)", got)
	}
}

func TestRelayStopsWithContext(t *testing.T) {
	target, _ := echoServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := New(ctx, "127.0.0.1:0", target, Impairment{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan error, 1)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("relay did not stop")
	}
	if _, err := New(context.Background(), "127.0.0.1:0", target, Impairment{Loss: 2}, 1); !errors.Is(err, ErrImpairment) {
		t.Errorf("loss 2: err %v, want ErrImpairment", err)
	}
}
