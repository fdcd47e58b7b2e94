package silero

import (
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// The ONNX Runtime environment is process-wide in onnxruntime_go: one shared
// library, loaded once.
var runtimeEnv struct {
	mu   sync.Mutex
	path string // library this package loaded, "" if loaded by someone else
}

// loadRuntime loads the ONNX Runtime library from path unless it is loaded
// already (from the same path).
func loadRuntime(path string) error {
	runtimeEnv.mu.Lock()
	defer runtimeEnv.mu.Unlock()
	if ort.IsInitialized() {
		if runtimeEnv.path != "" && runtimeEnv.path != path {
			return fmt.Errorf("%w: already loaded from %s, not %s", ErrRuntime, runtimeEnv.path, path)
		}
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w: %w (run deploy/dev/models.sh)", ErrRuntime, err)
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: load %s: %w", ErrRuntime, path, err)
	}
	runtimeEnv.path = path
	return nil
}
