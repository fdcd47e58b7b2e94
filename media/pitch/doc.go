// Package pitch estimates the fundamental frequency (F0) of 16 kHz mono
// speech, frame by frame, cheaply enough to run on every call: the
// end-of-turn decision reads the pitch contour at a pause (package
// endpoint), since speakers lower their pitch at the end of a turn and hold
// it level, or raise it, before they go on.
//
// A Tracker decimates the audio to 8 kHz and runs YIN (de Cheveigné and
// Kawahara, 2002) on the latest 30 ms: the cumulative-mean-normalised
// difference function over lags of 60 to 400 Hz, the first dip under a
// threshold, refined by parabolic interpolation. A frame whose best dip
// stays above the threshold is unvoiced (Hz 0). About 20 µs per 20 ms frame
// with no allocation; a caller that knows a frame is silence can Skip its
// analysis and still keep the history.
//
// A Tracker keeps per-stream state and is not safe for concurrent use: use
// one per call.
package pitch
