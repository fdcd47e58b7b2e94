package silero_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/media/vad/silero"
)

// TestMain fails the package's tests if any of them leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newModel returns a Model from $AVATAR_MODELS_DIR (default
// silero.DefaultDir), closed when the test ends. It fails, never skips, when
// the files are missing.
func newModel(tb testing.TB) *silero.Model {
	tb.Helper()
	m, err := silero.New(silero.WithDir(os.Getenv(silero.EnvDir)))
	if err != nil {
		tb.Fatalf("silero.New: %v\n(deploy/dev/models.sh fills %s, or the directory in %s)", err, silero.DefaultDir, silero.EnvDir)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return m
}

func newStream(tb testing.TB, m *silero.Model, opts ...silero.StreamOption) *silero.Stream {
	tb.Helper()
	s, err := m.NewStream(opts...)
	if err != nil {
		tb.Fatalf("NewStream: %v", err)
	}
	return s
}
