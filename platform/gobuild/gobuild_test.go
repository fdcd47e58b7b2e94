package gobuild_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/platform/gobuild"
)

func TestBinary(t *testing.T) {
	bin, err := gobuild.Binary("github.com/avatar-fi/avatar/platform/gobuild/testdata/hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin).Output()
	if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	if strings.TrimSpace(string(out)) != "hello" {
		t.Errorf("output %q, want hello", out)
	}
	again, err := gobuild.Binary("github.com/avatar-fi/avatar/platform/gobuild/testdata/hello")
	if err != nil || again != bin {
		t.Errorf("second call: %q, %v; want the first build %q", again, err, bin)
	}
}

func TestBinaryError(t *testing.T) {
	for range 2 { // the error is kept, not retried
		if _, err := gobuild.Binary("github.com/avatar-fi/avatar/platform/gobuild/testdata/nosuch"); err == nil {
			t.Fatal("built a package that does not exist")
		}
	}
}
