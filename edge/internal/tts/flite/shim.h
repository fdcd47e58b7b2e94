/* C side of package flite: voice registration and one streamed synthesis. */
#ifndef AVATAR_FLITE_SHIM_H
#define AVATAR_FLITE_SHIM_H

#include <stdint.h>
#include <flite.h>

/* Voice ids, in the order of the Go voice table. */
enum { AVI_SLT, AVI_RMS, AVI_AWB, AVI_KAL, AVI_NVOICES };

/* avi_flite_setup starts Flite and registers every voice. Not thread-safe:
   call it once, before any synthesis. Returns 0, or -1 if a voice failed. */
int avi_flite_setup(void);

/* avi_flite_voice returns a registered voice, or NULL. */
cst_voice *avi_flite_voice(int id);

/* avi_flite_rate returns a voice's native sample rate in hertz. */
int avi_flite_rate(const cst_voice *v);

/* avi_flite_synth speaks text with v, streaming audio to the Go callback
   aviFliteChunk(job, samples, n) every min_buf native samples or so. stretch
   scales durations (1 = normal). The voice is only read: its features are
   shadowed by the utterance's own, so calls may run in parallel. Returns 0
   when the text was spoken, 1 when the callback stopped it, -1 on failure. */
int avi_flite_synth(cst_voice *v, const char *text, uintptr_t job, int min_buf, float stretch);

#endif
