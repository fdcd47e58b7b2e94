// Package flite is the edge's embedded text-to-speech engine: CMU Flite 2.2
// (Debian flite1-dev) through cgo, with its US English voices linked in.
// PocketSphinx understands Flite's voices about as well as recorded speech
// (word error rate 0.07–0.11 against 0.87 for eSpeak NG, ENGINES.md), so
// they are the voices people listen to.
//
// The voices are slt (US female), rms (US male) and awb (Scottish male),
// statistical parametric "clustergen" voices, and kal (US male), a diphone
// voice that is ten times faster and more robotic (Flite's cmu_us_kal16). All
// four speak at 16 kHz; audio is resampled to tts.SampleRate. Each
// role-play persona has its own voice: an Engine hands out a Synthesizer
// per voice with ForVoice.
//
// Audio streams while it is produced: Flite computes a sentence's
// linguistic structure and parameters first (about 15 ms for a 12-word
// sentence with slt here) and then calls back with every ~20 ms of
// waveform, so the first audio arrives well before the sentence is done.
// The pipeline calls Synthesize once per sentence; a long text is spoken as
// one utterance and its first audio waits for the whole text's front end.
//
// Concurrency: syntheses run in parallel. Flite keeps one voice object per
// voice per process (register_cmu_us_X returns a singleton), and a voice's
// features hold its models; a synthesis never writes them. Each synthesis
// builds its own utterance, whose features shadow the voice's, and sets its
// streaming callback there rather than in the voice, so nothing is shared
// but read-only data. Valgrind's Helgrind found no data race with two
// threads synthesising on the same and on different voices this way. The
// clustergen voices draw their excitation noise from libc's rand(), which
// is shared behind a lock: their output is not bit-for-bit repeatable (the
// same text always gives the same length and envelope; kal's output is
// repeatable), and parallel syntheses contend for that lock, so two cores
// give about 1.5 times one core's throughput (kal: 1.95 times).
//
// Building needs flite1-dev; running needs libflite1.
package flite
