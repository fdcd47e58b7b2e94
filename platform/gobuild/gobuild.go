// Package gobuild compiles a main package once per process, for tests that
// run a real binary (the core in a child process, killed and restarted)
// rather than calling its code in-process.
package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
)

// built holds one package's build, done once.
type built struct {
	once sync.Once
	bin  string
	err  error
}

// builds are the packages built by this process, by import path. Tests of
// one binary share them, so each package is compiled once per test binary.
var builds sync.Map // import path → *built

// Binary compiles the main package pkg (an import path the go command
// resolves from the working directory, go.work included) into a temporary
// directory the first time it is called for pkg, and returns the binary's
// path. Later calls return the same path, or the same error.
func Binary(pkg string) (string, error) {
	v, _ := builds.LoadOrStore(pkg, new(built))
	b := v.(*built)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "gobuild-")
		if err != nil {
			b.err = err
			return
		}
		b.bin = filepath.Join(dir, path.Base(pkg))
		// One build serves every test of the process, so no one test's
		// context bounds it.
		cmd := exec.CommandContext(context.Background(), "go", "build", "-o", b.bin, pkg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, out.String())
		}
	})
	return b.bin, b.err
}
