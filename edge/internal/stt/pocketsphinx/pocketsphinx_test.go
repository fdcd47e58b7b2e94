package pocketsphinx_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/edge/internal/stt/lm"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/media/speechset"
)

func loadClips(tb testing.TB) []speechset.Clip {
	tb.Helper()
	clips, err := speechset.Load(speechset.SharedDir())
	if err != nil {
		tb.Fatalf("load speech set: %v", err)
	}
	return clips
}

// TestStreamWholeClips decodes each clip as one utterance, 20 ms at a time,
// and checks the word error rate and the cost of finalising.
func TestStreamWholeClips(t *testing.T) {
	tr, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// A few short clips keep the test quick; make eval-stt scores them all.
	var clips []speechset.Clip
	for _, name := range []string{"goforward.wav", "deepspeech_new-home-in-the-stars.wav", "cards_005.wav", "sense_and_sensibility_01_austen_64kb-0930.wav"} {
		c, ok := speechset.Find(loadClips(t), name)
		if !ok {
			t.Fatalf("clip %s missing", name)
		}
		clips = append(clips, c)
	}
	var errs, words int
	var fin []time.Duration
	for _, c := range clips {
		s, err := tr.NewStream(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(c.PCM); off += 320 {
			if err := s.Write(c.PCM[off:min(off+320, len(c.PCM))]); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		hyp, err := s.Final(context.Background())
		fin = append(fin, time.Since(start))
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		e, n := stt.WordErrors(c.Text, hyp)
		errs += e
		words += n
		t.Logf("%s: %d/%d %q", c.Name, e, n, hyp)
	}
	sort.Slice(fin, func(i, j int) bool { return fin[i] < fin[j] })
	wer := float64(errs) / float64(words)
	t.Logf("WER %.3f (%d/%d); finalise median %v max %v", wer, errs, words, fin[len(fin)/2], fin[len(fin)-1])
	if wer > 0.25 {
		t.Errorf("WER %.3f, want <= 0.25", wer)
	}
}

// TestSegments checks that an utterance split by Segment yields both halves'
// words, that Partial sees them, and that Close returns the decoder.
func TestSegments(t *testing.T) {
	tr, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c, _ := speechset.Find(loadClips(t), "goforward.wav")
	s, err := tr.NewStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(pcm []int16) {
		for off := 0; off < len(pcm); off += 320 {
			if err := s.Write(pcm[off:min(off+320, len(pcm))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(c.PCM)
	if p := s.Partial(); p == "" {
		t.Error("no partial after the whole clip")
	}
	if err := s.(stt.Segmenter).Segment(); err != nil {
		t.Fatal(err)
	}
	write(c.PCM)
	hyp, err := s.Final(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := stt.WordErrors("go forward ten meters go forward ten meters", hyp); e > 1 {
		t.Errorf("final %q", hyp)
	}
	if err := s.Write(c.PCM[:320]); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Write after Final: %v, want ErrClosed", err)
	}
	s.Close()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestDomainLM interpolates a model built from the F&I corpus and checks
// that decoding still works and that a missing file fails clearly.
func TestDomainLM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "domain.arpa")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := lm.Build(strings.NewReader(lm.DefaultCorpus), f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tr, err := pocketsphinx.New(pocketsphinx.Config{DomainLM: path})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c, _ := speechset.Find(loadClips(t), "goforward.wav")
	s, err := tr.NewStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for off := 0; off+320 <= len(c.PCM); off += 320 {
		_ = s.Write(c.PCM[off : off+320])
	}
	hyp, err := s.Final(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if e, n := stt.WordErrors(c.Text, hyp); e > n/2 {
		t.Errorf("with the domain model: %q", hyp)
	}
	if _, err := pocketsphinx.New(pocketsphinx.Config{DomainLM: "/no/such.arpa"}); !errors.Is(err, pocketsphinx.ErrInit) {
		t.Errorf("missing domain LM: %v", err)
	}
}
