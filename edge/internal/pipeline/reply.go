package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// reply is one reply being generated and played; guarded by Call.mu.
type reply struct {
	turn     *turn
	userText string
	cancel   context.CancelCauseFunc
	held     bool // speculative: generated but not played yet

	sentences []*sentence
	queue     []*[OutFrameSamples]int16
	queueSent []int // sentence index of each queued frame
	pending   [OutFrameSamples]int16
	npending  int
	queued    int // frames ever queued
	maxFrames int
	genDone   bool
	// lead holds the last quiet frames synthesised before the reply's first
	// audible one (at most leadPad): see pushPending.
	lead    []*[OutFrameSamples]int16
	audible bool // a frame at audibleLevel or above has been queued

	firstTextAt, firstAudioAt, firstPacketAt time.Time
	playedFrames                             int
}

type sentence struct {
	text      string
	frames    int
	played    int
	synthDone bool
}

// Speech engines start a sentence with silence (Flite's voices with 170–250
// ms of it, peaks under 200 of 32767): the trainee would hear the reply that
// much later than its first packet. A reply's audio therefore starts
// leadPad frames before its first frame that reaches audibleLevel (−36 dBFS
// peak, above the engines' leading silence and below the start of any
// word); the pad keeps a soft onset (a breath, an "h") whole.
const (
	audibleLevel = 500
	leadPad      = 2
)

// dropQueue frees the queued audio.
func (r *reply) dropQueue() {
	for _, f := range r.queue {
		framePool.Put(f)
	}
	for _, f := range r.lead {
		framePool.Put(f)
	}
	r.queue, r.queueSent, r.lead = nil, nil, nil
}

// enqueue cuts pcm into frames for sentence si; c.mu must be held.
func (r *reply) enqueue(si int, pcm []int16) {
	for len(pcm) > 0 {
		n := copy(r.pending[r.npending:], pcm)
		r.npending += n
		pcm = pcm[n:]
		if r.npending == OutFrameSamples {
			r.pushPending(si)
		}
	}
}

// pushPending queues the pending frame, zero-padded.
func (r *reply) pushPending(si int) {
	if r.npending == 0 {
		return
	}
	clear(r.pending[r.npending:])
	r.npending = 0
	if r.queued >= r.maxFrames {
		return
	}
	f := framePool.Get().(*[OutFrameSamples]int16)
	*f = r.pending
	if !r.audible {
		if media.Peak(f[:]) < audibleLevel {
			// Leading silence: keep the last leadPad frames of it.
			if len(r.lead) == leadPad {
				framePool.Put(r.lead[0])
				r.lead = append(r.lead[:0], r.lead[1:]...)
			}
			r.lead = append(r.lead, f)
			return
		}
		r.audible = true
		for _, l := range r.lead {
			r.queueFrame(si, l)
		}
		r.lead = r.lead[:0]
	}
	r.queueFrame(si, f)
}

// queueFrame appends f, a frame of sentence si, to the queue.
func (r *reply) queueFrame(si int, f *[OutFrameSamples]int16) {
	r.queue = append(r.queue, f)
	r.queueSent = append(r.queueSent, si)
	r.queued++
	r.sentences[si].frames++
}

// startReply starts generating the reply to text for turn t; held replies
// are not played until released. c.mu must be held.
func (c *Call) startReply(ctx context.Context, t *turn, text string, held bool) {
	c.startReplyWith(ctx, t, text, held, c.cfg.Responder)
}

// startReplyWith is startReply with responder writing the reply.
func (c *Call) startReplyWith(ctx context.Context, t *turn, text string, held bool, responder Responder) {
	rctx, cancel := context.WithCancelCause(ctx)
	r := &reply{
		turn:      t,
		userText:  text,
		cancel:    cancel,
		held:      held,
		maxFrames: int(c.cfg.MaxReplyAudio / FrameDuration),
	}
	c.reply = r
	if !held {
		t.reply = r
	}
	req := Request{SessionID: c.cfg.SessionID, Turn: t.index, Text: text}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel(nil)
		c.generate(rctx, r, req, responder)
	}()
}

// generate runs the Responder and synthesises its sentences in order as they
// complete, queueing the audio.
func (c *Call) generate(ctx context.Context, r *reply, req Request, responder Responder) {
	sentences := make(chan string, 64)
	synthDone := make(chan struct{})
	go func() {
		defer close(synthDone)
		for text := range sentences {
			if ctx.Err() != nil {
				continue // drain
			}
			c.synthesize(ctx, r, text)
		}
	}()
	var split sentenceSplitter
	err := responder.Respond(ctx, req, func(delta string) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		c.mu.Lock()
		if r.firstTextAt.IsZero() && delta != "" {
			r.firstTextAt = time.Now()
		}
		c.mu.Unlock()
		for _, s := range split.add(delta) {
			sentences <- s
		}
		return nil
	})
	if rest := split.flush(); rest != "" && err == nil {
		sentences <- rest
	}
	close(sentences)
	<-synthDone
	if err != nil && ctx.Err() == nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "responder failed", slog.Int("turn", req.Turn), slog.String("error", err.Error()))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r.genDone = true
	if c.reply == r {
		c.kickPlayout()
	}
}

// synthesize speaks one sentence into r's queue.
func (c *Call) synthesize(ctx context.Context, r *reply, text string) {
	c.mu.Lock()
	if c.reply != r {
		c.mu.Unlock()
		return
	}
	si := len(r.sentences)
	r.sentences = append(r.sentences, &sentence{text: text})
	c.mu.Unlock()
	err := c.cfg.Synthesizer.Synthesize(ctx, text, func(pcm []int16) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.reply != r {
			return errStopped
		}
		if r.firstAudioAt.IsZero() && len(pcm) > 0 {
			r.firstAudioAt = time.Now()
		}
		before := len(r.queue)
		r.enqueue(si, pcm)
		if before == 0 && len(r.queue) > 0 && !r.held {
			c.kickPlayout()
		}
		return nil
	})
	c.mu.Lock()
	if c.reply == r {
		r.pushPending(si)
		r.sentences[si].synthDone = true
		if !r.held {
			c.kickPlayout()
		}
	}
	c.mu.Unlock()
	if err != nil && !errors.Is(err, errStopped) && ctx.Err() == nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "synthesis failed", slog.String("error", err.Error()))
	}
}

// runPlayout paces reply audio out, one frame per 20 ms tick while there is
// something to play, and completes turns whose audio has all been played.
func (c *Call) runPlayout(ctx context.Context) {
	var tick *time.Ticker
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	var tickC <-chan time.Time
	buf := make([]int16, OutFrameSamples)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
			if tickC != nil {
				continue
			}
			// Play the first frame now, then every 20 ms.
			if !c.playOne(ctx, buf) {
				continue
			}
			if tick == nil {
				tick = time.NewTicker(FrameDuration)
			} else {
				tick.Reset(FrameDuration)
			}
			tickC = tick.C
		case <-tickC:
			if !c.playOne(ctx, buf) {
				tick.Stop()
				tickC = nil
			}
		}
	}
}

// playOne writes the next queued frame, if any, and reports whether the
// ticker should keep running.
func (c *Call) playOne(ctx context.Context, buf []int16) bool {
	c.mu.Lock()
	r := c.reply
	if r == nil || r.held {
		c.mu.Unlock()
		return false
	}
	if len(r.queue) == 0 {
		if r.genDone {
			c.reply = nil
			c.completeTurn(r.turn, false)
		}
		c.mu.Unlock()
		return false
	}
	f := r.queue[0]
	si := r.queueSent[0]
	r.queue = r.queue[1:]
	r.queueSent = r.queueSent[1:]
	copy(buf, f[:])
	framePool.Put(f)
	c.mu.Unlock()

	err := c.cfg.Out.WriteFrame(buf)
	now := time.Now()

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "write audio frame", slog.String("error", err.Error()))
	}
	if c.reply != r {
		return true // barged in meanwhile; nothing more of r plays
	}
	if r.firstPacketAt.IsZero() {
		r.firstPacketAt = now
		c.setState(callevent.StateSpeaking)
	}
	r.playedFrames++
	s := r.sentences[si]
	if s.played == 0 {
		c.cfg.Events.Send(&Event{Type: callevent.TypeReplyText, Turn: int32(r.turn.index), Text: s.text})
	}
	s.played++
	return true
}
