// Package pocketsphinx is the embedded speech-to-text engine of the edge: CMU
// PocketSphinx (Debian libpocketsphinx, en-us model) through cgo.
//
// A Transcriber keeps a pool of decoders (each holds its own copy of the
// acoustic model, a few MB, and maps the language model); a Stream takes one
// decoder from the pool for a user turn and gives it back on Close. Audio is
// decoded incrementally as it is written, 20 ms at a time, with the fast
// search passes only (-fwdflat no -bestpath no), so finalising an utterance
// costs tens of milliseconds rather than hundreds (ENGINES.md). A Stream
// implements stt.Segmenter: the pipeline ends the utterance at each pause in
// the speech, which keeps the final at the end of the turn cheap and
// recognises long turns better.
//
// A domain language model (ARPA or binary, e.g. built from the scenarios and
// knowledge base) can be interpolated with the generic one
// (Config.DomainLM, Config.DomainWeight).
//
// Building needs pkg-config and Debian's libpocketsphinx-dev and
// libsphinxbase-dev; running needs pocketsphinx-en-us.
package pocketsphinx
