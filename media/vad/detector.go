package vad

// SampleRate is the sample rate detectors in this package expect, in hertz.
const SampleRate = 16000

// Detector estimates, frame by frame, the probability that a stream of 16 kHz
// mono audio holds speech. Frames are consecutive; a detector may keep any
// state between them.
//
// Implementations document the frame sizes they accept (20 ms, 320 samples,
// is what the call path sends) and must not retain frame after Process
// returns. A detector with a longer analysis window than the frame buffers
// internally and returns the probability of its latest complete window.
// Process should allocate nothing in steady state.
type Detector interface {
	// Process analyses the next frame and returns the speech probability
	// in [0, 1]. An error leaves the detector usable for the next frame.
	Process(frame []int16) (float32, error)
	// Reset forgets the stream, as for a new call.
	Reset()
}

// DetectorFunc adapts a function to a Detector whose Reset does nothing, for
// stateless detectors and tests.
type DetectorFunc func(frame []int16) (float32, error)

// Process calls f(frame).
func (f DetectorFunc) Process(frame []int16) (float32, error) { return f(frame) }

// Reset does nothing.
func (f DetectorFunc) Reset() {}
