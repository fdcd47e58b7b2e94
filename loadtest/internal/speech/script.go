package speech

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/avatar-fi/avatar/loadtest/caller"
)

// Script reads a role-play script, one line a turn (blank lines and lines
// starting with # are skipped), and has say speak each line as 16 kHz mono
// PCM. The clips keep the script's order and are named file:line.
func Script(path string, say func(text string) ([]int16, error)) ([]Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open script: %w", err)
	}
	defer f.Close()
	var clips []Clip
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name := fmt.Sprintf("%s:%d", filepath.Base(path), line)
		pcm, err := say(text)
		if err != nil {
			return nil, fmt.Errorf("speak %s: %w", name, err)
		}
		if len(pcm) == 0 {
			return nil, fmt.Errorf("%w: %s spoken as no audio", ErrFormat, name)
		}
		clips = append(clips, Clip{Name: name, Text: text, PCM: pcm, Voiced: caller.LastVoiced(pcm)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	if len(clips) == 0 {
		return nil, fmt.Errorf("%w: no lines in %s", ErrFormat, path)
	}
	return clips, nil
}
