// Package pipeline runs the turn-taking loop of one voice call: LISTENING →
// USER_SPEAKING → THINKING → SPEAKING and back.
//
// The transport (package rtc) pushes the caller's audio in as 20 ms frames
// of 16 kHz PCM (Call.Push) and plays the reply through an AudioOut, one
// 48 kHz frame every 20 ms. In between, a Call runs voice activity
// detection and end-of-turn detection (media/vad, media/endpoint) on the
// pushing goroutine, streams the turn's audio into a speech-to-text Stream on
// its own goroutine (partial transcripts flow out while the trainee speaks),
// hands the final transcript to a Responder, splits the reply into
// sentences, synthesises them one by one and paces the audio out at real
// time.
//
// The end of a turn is media/endpoint's end-of-turn model: at each frame of
// silence it weighs the odds that the trainee has finished from the words
// so far (the recogniser's partials), how their speech ended (the pitch
// tracker, media/pitch, runs on voiced frames) and their own pauses earlier
// in the call. The recogniser is fed only the turn's speech: from just
// before its start, paused from the first short pause until speech resumes.
//
// At a short pause (Config.Tentative) the transcript so far is finalised and
// a reply is prepared speculatively; its audio is held until the end of the
// turn is confirmed and dropped if the trainee goes on. Barge-in: speech
// that starts while a reply is being prepared or played cancels the reply
// (its context is cancelled with ErrBargeIn), empties the playout queue
// before the next 20 ms tick, and the words not yet played are dropped from
// the turn record.
//
// A turn the trainee carries on within 1.5 s of the pause the endpoint took
// for its end, while its reply is still being prepared or played, was cut
// short: the reply stops (ErrContinued) and the two are one turn. The new
// turn's transcripts begin with the first one's words and say which turn they
// continue (CallEvent.continues), the first turn is never recorded — so a
// dialogue engine, which commits a reply only from the turn record, keeps no
// trace of the reply begun — and the reply answers the whole. Later than that,
// speech over a reply is a barge-in.
//
// A reply's audio starts 40 ms before its first audible frame: speech
// engines begin a sentence with silence (Flite with 170–250 ms) that would
// only delay when the trainee hears the answer.
//
// Every turn records its stage times (endpoint, stt_final, first_text,
// first_audio, first_packet, turn_gap); they go to the events sink
// (turn_latency) and to Config.OnTurn.
package pipeline
