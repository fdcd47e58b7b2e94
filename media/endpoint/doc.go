// Package endpoint decides when a speaker has started and finished a turn,
// from per-frame voice activity decisions and, optionally, the partial
// transcript.
//
// An Endpointer counts time in frames: the caller pushes one speech/silence
// decision per audio frame (20 ms by default) and gets back at most one Event
// per frame. There are no timers and no goroutines, so a stream replayed
// frame by frame gives the same events at the same stream times, in tests as
// in production.
//
// A turn starts after MinSpeech of continuous speech. It ends after a stretch
// of trailing silence whose length depends on what the transcript says so
// far: Silence (250 ms) by default, EarlySilence when the words look like a
// finished utterance, LateSilence when they trail off ("… and", "… the",
// "um") or nothing has been recognised yet. Silence alone cuts natural
// mid-sentence pauses (see README.md for the counts on real speech); the
// transcript is what lets the default stay short. A Tentative hangover, when
// set, announces a likely end early (Pause) so that the caller can start
// preparing a reply, and Resume withdraws it if speech comes back.
package endpoint
