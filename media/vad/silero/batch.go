package silero

import "fmt"

// ProcessBatch gives frames[i] to streams[i], for every i, and writes each
// stream's probability to probs[i], exactly as streams[i].Process(frames[i])
// would, but runs the windows the frames complete together, up to MaxBatch
// per run. Batching cuts the model's cost per window by about half from 8
// streams on (see README.md), so a worker that serves many calls on one
// 20 ms tick should hand it all their frames at once.
//
// The streams must be distinct and created by m. A frame rejected by its
// stream (vad.ErrFrameSize) leaves that stream's probability unchanged; the
// other streams go on, and ProcessBatch returns the first error met, naming
// the stream's index. It allocates nothing once it has seen its largest
// batch. It holds the Model for the whole batch.
func (m *Model) ProcessBatch(streams []*Stream, frames [][]int16, probs []float32) error {
	if len(frames) != len(streams) || len(probs) < len(streams) {
		return fmt.Errorf("%w: %d streams, %d frames, %d probabilities", ErrBatch, len(streams), len(frames), len(probs))
	}
	var first error
	for i, s := range streams {
		if s.m != m {
			return fmt.Errorf("%w: stream %d belongs to another Model", ErrBatch, i)
		}
		if err := s.begin(frames[i]); err != nil && first == nil {
			first = fmt.Errorf("stream %d: %w", i, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		m.ready = m.ready[:0]
		for _, s := range streams {
			if !s.failed && s.next() {
				m.ready = append(m.ready, s)
			}
		}
		if len(m.ready) == 0 {
			break
		}
		for lo := 0; lo < len(m.ready); lo += m.maxBatch {
			chunk := m.ready[lo:min(lo+m.maxBatch, len(m.ready))]
			if err := m.runLocked(chunk); err != nil {
				for _, s := range chunk {
					s.dropWindow()
				}
				if first == nil {
					first = err
				}
			}
		}
	}
	for i, s := range streams {
		if s.failed {
			probs[i] = s.p
			continue
		}
		probs[i] = s.end()
	}
	return first
}
