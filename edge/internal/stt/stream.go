package stt

import "context"

// SampleRate is the sample rate of the audio a Stream takes, in hertz: 16 kHz
// mono signed 16-bit PCM.
const SampleRate = 16000

// Stream transcribes one user turn while it is being spoken.
//
// The caller Writes audio as it arrives (20 ms at a time on a call), may poll
// Partial for the hypothesis so far, calls Final once at the end of the turn
// and Close in every case. Write, Partial and Final are called from one
// goroutine; Close may be called from any goroutine, once or more.
type Stream interface {
	// Write feeds the next 16 kHz mono PCM samples. The Stream does not
	// retain pcm after Write returns.
	Write(pcm []int16) error
	// Partial returns the best hypothesis so far, or "" when the engine has
	// none (batch engines). It must be cheap: the pipeline polls it a few
	// times a second.
	Partial() string
	// Final ends the turn and returns the final transcript. The Stream
	// takes no more audio after Final.
	Final(ctx context.Context) (string, error)
	// Close releases the stream's resources; after Close every method fails
	// with ErrClosed.
	Close() error
}

// Segmenter is implemented by a Stream that can close the current utterance
// at a pause in the speech and start a new one with the next Write: the
// embedded decoder finalises the words so far while the speaker is silent,
// so that Final at the end of the turn is cheap, and recognises long turns
// better in pieces (ENGINES.md).
type Segmenter interface {
	// Segment finalises the audio written so far as one utterance.
	Segment() error
}
