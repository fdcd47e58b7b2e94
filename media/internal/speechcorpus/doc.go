// Package speechcorpus loads the project's real-speech test set (13 short
// 16 kHz mono English WAV clips with transcripts, five of them with
// voice-activity labels) for tests and benchmarks of the media packages.
//
// The set lives in shared/data/speech beside the repository (see SOURCE.md
// there). Dir finds it from AVATAR_SPEECH_DIR or by walking up from the working
// directory; a test that needs it must fail, not skip, when it is missing.
package speechcorpus
