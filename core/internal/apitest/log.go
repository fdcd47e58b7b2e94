package apitest

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Logger returns a logger that writes Info and above to tb.Log.
func Logger(tb testing.TB) *slog.Logger {
	tb.Helper()
	return slog.New(slog.NewTextHandler(LogWriter(tb), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// LogWriter returns a writer that logs each write to tb.Log, such as a child process's
// output.
func LogWriter(tb testing.TB) io.Writer {
	tb.Helper()
	return tlogWriter{tb}
}

type tlogWriter struct{ tb testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// RandHex returns n random bytes in hex, for names unique to a test.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
