package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

type cmdKind uint8

const (
	cmdOpen cmdKind = iota
	cmdFrame
	cmdSegment
	cmdFinal
)

// sttCmd is one instruction to the recogniser goroutine.
type sttCmd struct {
	kind      cmdKind
	turn      int
	t         *turn // cmdFinal: the turn to finalise
	frame     *[InFrameSamples]int16
	speculate bool
	continues int // cmdOpen: the turn the new one carries on, 0 when none
}

// partialEvery is how often, in frames, the recogniser publishes a partial
// transcript (100 ms), which also keeps the endpointer's transcript cue fresh.
const partialEvery = 5

// maxBatchFrames caps how many queued frames the recogniser decodes in one
// write (1 s).
const maxBatchFrames = 50

var inFramePool = syncPool(func() *[InFrameSamples]int16 { return new([InFrameSamples]int16) })

// sendSTT queues cmd for the recogniser without blocking; when the queue is
// full the command is dropped and counted (a recogniser slower than real
// time).
func (c *Call) sendSTT(cmd sttCmd) {
	if c.cfg.Offline {
		c.sttCh <- cmd
		return
	}
	select {
	case c.sttCh <- cmd:
	default:
		if cmd.frame != nil {
			inFramePool.Put(cmd.frame)
		}
		c.dropped.Add(1)
	}
}

// sendFrame queues a copy of pcm for the recogniser.
func (c *Call) sendFrame(pcm []int16) {
	f := inFramePool.Get()
	copy(f[:], pcm)
	c.sendSTT(sttCmd{kind: cmdFrame, frame: f})
}

// sendPreroll queues the last n frames pushed (at most the ring's size).
func (c *Call) sendPreroll(n int) {
	n = min(n, prerollFrames, c.pushed)
	for i := c.pushed - n; i < c.pushed; i++ {
		c.sendFrame(c.ring[i%prerollFrames][:])
	}
}

// runSTT owns the turn's recogniser stream: it opens one per user turn,
// feeds it, publishes partials, segments at pauses and finalises at the
// endpoint.
func (c *Call) runSTT(ctx context.Context) {
	var (
		s       stt.Stream
		turn    int
		frames  int
		partial string
		// cont and prefix: the turn the open one carries on and its
		// words, which begin every transcript of the open one.
		cont   int
		prefix string
		// lastTurn and lastText: the turn finalised last and its words.
		lastTurn int
		lastText string
	)
	publish := func(p string) {
		p = joinWords(prefix, p)
		if p == partial {
			return
		}
		partial = p
		c.partial.Store(&p)
		c.cfg.Events.Send(&Event{Type: callevent.TypePartialTranscript, Turn: int32(turn), Text: p, Continues: int32(cont)})
	}
	closeStream := func() {
		if s != nil {
			s.Close()
			s = nil
		}
	}
	defer func() {
		closeStream()
		for {
			select {
			case cmd := <-c.sttCh:
				if cmd.frame != nil {
					inFramePool.Put(cmd.frame)
				}
			default:
				return
			}
		}
	}()
	batch := make([]int16, 0, maxBatchFrames*InFrameSamples)
	var next *sttCmd // a command taken from the queue while batching frames
	for {
		var cmd sttCmd
		if next != nil {
			cmd, next = *next, nil
		} else {
			select {
			case <-ctx.Done():
				return
			case cmd = <-c.sttCh:
			}
		}
		switch cmd.kind {
		case cmdOpen:
			closeStream()
			turn, frames, partial = cmd.turn, 0, ""
			cont, prefix = 0, ""
			if cmd.continues != 0 && cmd.continues == lastTurn {
				cont, prefix = cmd.continues, lastText
			}
			var err error
			if s, err = c.cfg.Transcriber.NewStream(ctx); err != nil {
				c.log.LogAttrs(ctx, slog.LevelError, "open recogniser", slog.String("error", err.Error()))
				s = nil
			}
		case cmdFrame:
			// Take every frame already queued behind this one and decode
			// them in one write: a recogniser that fell behind (a busy
			// CPU) catches up sooner, and publishes no partials on the
			// way, so that the pause's segment and the final are not
			// queued behind stale work.
			batch = append(batch[:0], cmd.frame[:]...)
			inFramePool.Put(cmd.frame)
			n := 1
		drain:
			for n < maxBatchFrames {
				select {
				case nc := <-c.sttCh:
					if nc.kind != cmdFrame {
						next = &nc
						break drain
					}
					batch = append(batch, nc.frame[:]...)
					inFramePool.Put(nc.frame)
					n++
				default:
					break drain
				}
			}
			if s == nil {
				continue
			}
			if err := s.Write(batch); err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "recogniser write", slog.String("error", err.Error()))
			}
			due := (frames+n)/partialEvery > frames/partialEvery
			frames += n
			if due && next == nil && len(c.sttCh) == 0 {
				publish(s.Partial())
			}
		case cmdSegment:
			if s == nil || cmd.turn != turn {
				continue
			}
			if seg, ok := s.(stt.Segmenter); ok {
				if err := seg.Segment(); err != nil {
					c.log.LogAttrs(ctx, slog.LevelWarn, "recogniser segment", slog.String("error", err.Error()))
					continue
				}
				publish(s.Partial())
				if cmd.speculate {
					c.onSegment(ctx, turn, partial)
				}
			}
		case cmdFinal:
			if cmd.turn != turn {
				c.onFinal(ctx, cmd.t, "", time.Now())
				continue
			}
			text := ""
			if s != nil {
				var err error
				if text, err = s.Final(ctx); err != nil {
					c.log.LogAttrs(ctx, slog.LevelWarn, "recogniser final", slog.String("error", err.Error()))
				}
				closeStream()
			}
			// A continuation with no words of its own (a cough, or words
			// the recogniser missed) still answers the turn it carries on.
			text = joinWords(prefix, text)
			lastTurn, lastText = turn, text
			c.onFinal(ctx, cmd.t, text, time.Now())
		}
	}
}

// joinWords joins two transcripts with a space, either possibly empty.
func joinWords(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
