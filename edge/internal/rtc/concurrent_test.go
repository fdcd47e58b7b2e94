package rtc_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/media/speechset"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// concurrentCalls and turnsPerCall size TestConcurrentCalls: six calls
// speaking at once is more than one core's worth of recognition on this
// project's 2-core machine when nothing else runs, and the issue that
// brought this test found turns going unanswered from eight.
const (
	concurrentCalls = 6
	turnsPerCall    = 3
	// replyWithin is how long after the speaker finished a reply may take
	// to start before the turn counts as unanswered: ten times the turn
	// gap budget, so that a machine busy with other work does not fail the
	// test, while a reply that never comes does.
	replyWithin = 5 * time.Second
)

// TestConcurrentCalls runs concurrentCalls pion calls at once against an
// edge with the production engines (Silero VAD on a model per CPU,
// PocketSphinx, Flite), each saying turnsPerCall real clips, and fails when
// any turn goes unanswered: no final transcript, or no reply audio within
// replyWithin of the end of the clip.
func TestConcurrentCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	clips, err := speechset.Load(speechset.SharedDir())
	if err != nil {
		t.Fatal(err)
	}
	// Clips without pauses inside them: every turn is one turn.
	var say []speechset.Clip
	for _, name := range []string{"goforward.wav", "deepspeech_new-home-in-the-stars.wav", "cards_003.wav",
		"sense_and_sensibility_01_austen_64kb-0930.wav", "cards_001.wav", "sense_and_sensibility_01_austen_64kb-0880.wav"} {
		c, ok := speechset.Find(clips, name)
		if !ok {
			t.Fatalf("%s missing from the speech set", name)
		}
		say = append(say, c)
	}
	sttEngine, err := pocketsphinx.New(pocketsphinx.Config{Prewarm: concurrentCalls})
	if err != nil {
		t.Fatal(err)
	}
	defer sttEngine.Close()
	ttsEngine, err := flite.New(flite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := silero.NewPool(0, silero.WithDir(os.Getenv(silero.EnvDir)))
	if err != nil {
		t.Fatalf("silero.NewPool: %v (deploy/dev/models.sh fills %s)", err, silero.DefaultDir)
	}
	defer pool.Close()
	e := startEdge(t, edgeOpts{
		transcriber: sttEngine, synthesizer: ttsEngine,
		newDetector: func() (vad.Detector, error) { return pool.NewStream() }, hold: pipeline.SileroHold,
	})
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}

	type turn struct {
		call, index int
		clip        string
		final       string
		answered    bool
		reply       time.Duration // reply start − end of the clip's speech
	}
	var (
		mu    sync.Mutex
		turns []turn
		wg    sync.WaitGroup
	)
	token := e.tk.token(t, "u1", "ROLE_TRAINEE")
	for i := range concurrentCalls {
		wg.Go(func() {
			c, err := caller.Dial(ctx, api, e.http.URL, token, caller.Options{SessionID: fmt.Sprintf("s-%d", i)})
			if err != nil {
				t.Errorf("call %d: %v", i, err)
				return
			}
			defer c.Close()
			c.Say(make([]int16, 8000*(1+i%3))) // calls start out of step
			for k := range turnsPerCall {
				clip := say[(i+k)%len(say)]
				mark := len(c.Events())
				c.Say(clip.PCM)
				sent, err := c.Drained(ctx)
				if err != nil {
					t.Errorf("call %d: %v", i, err)
					return
				}
				// Where the speech of the clip ended (it has silence at its end).
				end := sent.Add(-time.Duration(len(clip.PCM))*time.Second/16000 + caller.LastVoiced(clip.PCM))
				tr := turn{call: i, index: k, clip: clip.Name}
				wctx, wcancel := context.WithTimeout(ctx, time.Until(end.Add(replyWithin)))
				ev, _, err := c.WaitEvent(wctx, mark, func(ev *conversationv1.CallEvent) bool {
					return ev.Type == callevent.TypeState && ev.State == callevent.StateSpeaking
				})
				wcancel()
				if err == nil {
					tr.answered, tr.reply = true, ev.At.Sub(end)
				}
				for _, ev := range c.Events()[mark:] {
					if ev.Type == callevent.TypeFinalTranscript && ev.Text != "" {
						tr.final = ev.Text
					}
				}
				mu.Lock()
				turns = append(turns, tr)
				mu.Unlock()
				// Listen to half a second of the reply, then speak over it.
				time.Sleep(500 * time.Millisecond)
				c.Say(make([]int16, 4000))
			}
		})
	}
	wg.Wait()
	unanswered := 0
	for _, tr := range turns {
		if tr.final == "" || !tr.answered {
			unanswered++
		}
		t.Logf("call %d turn %d %-44s answered %v, reply %6v after the speech, heard %q", tr.call, tr.index, tr.clip, tr.answered, tr.reply.Round(time.Millisecond), tr.final)
	}
	if len(turns) != concurrentCalls*turnsPerCall || unanswered > 0 {
		t.Errorf("%d of %d turns unanswered (reply not started within %v of the end of the clip, or nothing heard); %d turns ran",
			unanswered, concurrentCalls*turnsPerCall, replyWithin, len(turns))
	}
}
