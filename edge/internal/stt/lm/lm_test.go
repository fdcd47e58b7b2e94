package lm_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/stt/lm"
)

func TestBuild(t *testing.T) {
	var out bytes.Buffer
	if err := lm.Build(strings.NewReader(lm.DefaultCorpus), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"\\data\\", "\\1-grams:", "\\2-grams:", "\\3-grams:", "\\end\\", "-99.000000 <s>", " warranty", "gap insurance"} {
		if !strings.Contains(s, want) {
			t.Errorf("ARPA output lacks %q", want)
		}
	}
	if err := lm.Build(strings.NewReader("\n!!\n"), &out); !errors.Is(err, lm.ErrEmpty) {
		t.Errorf("empty corpus: %v", err)
	}
}
