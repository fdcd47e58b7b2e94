package dialogue_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
)

func TestEcho(t *testing.T) {
	var b strings.Builder
	err := dialogue.Echo{}.Respond(t.Context(), pipeline.Request{Text: "go forward ten meters"}, func(d string) error {
		b.WriteString(d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "You said: go forward ten meters. " + dialogue.EchoSuffix; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errStop)
	if err := (dialogue.Echo{}).Respond(ctx, pipeline.Request{Text: "x"}, func(string) error { return nil }); !errors.Is(err, errStop) {
		t.Errorf("cancelled: %v", err)
	}
}
