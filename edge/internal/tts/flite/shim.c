#include "shim.h"
#include "_cgo_export.h"

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);

static cst_voice *avi_voices[AVI_NVOICES];

int avi_flite_setup(void)
{
    int i;

    flite_init();
    /* Each register_* returns its process-wide singleton. */
    avi_voices[AVI_SLT] = register_cmu_us_slt(NULL);
    avi_voices[AVI_RMS] = register_cmu_us_rms(NULL);
    avi_voices[AVI_AWB] = register_cmu_us_awb(NULL);
    avi_voices[AVI_KAL] = register_cmu_us_kal16(NULL);
    for (i = 0; i < AVI_NVOICES; i++)
        if (avi_voices[i] == NULL)
            return -1;
    return 0;
}

cst_voice *avi_flite_voice(int id)
{
    if (id < 0 || id >= AVI_NVOICES)
        return NULL;
    return avi_voices[id];
}

int avi_flite_rate(const cst_voice *v)
{
    return flite_get_param_int(v->features, "sample_rate", 0);
}

/* avi_stream is Flite's audio streaming callback: it hands the new samples
   to Go, which answers CST_AUDIO_STREAM_CONT or CST_AUDIO_STREAM_STOP. */
static int avi_stream(const cst_wave *w, int start, int size, int last,
                      cst_audio_streaming_info *asi)
{
    (void)last;
    if (size <= 0)
        return CST_AUDIO_STREAM_CONT;
    return aviFliteChunk((uintptr_t)asi->userdata, w->samples + start, size);
}

int avi_flite_synth(cst_voice *v, const char *text, uintptr_t job, int min_buf, float stretch)
{
    cst_utterance *u, *r;
    cst_audio_streaming_info *asi;
    int rc;

    u = new_utterance();
    /* The streaming info goes in the utterance's features, which are
       searched before the voice's (utt_init links those in, read-only):
       each synthesis has its own callback and job. The utterance owns asi
       and frees it with its features. */
    asi = new_audio_streaming_info();
    asi->asc = avi_stream;
    asi->min_buffsize = min_buf;
    asi->userdata = (void *)job;
    feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));
    if (stretch != 1.0f)
        feat_set_float(u->features, "duration_stretch", stretch);
    utt_set_input_text(u, text);
    utt_init(u, v);
    r = utt_synth(u);
    if (r == NULL)
        rc = -1;
    else if (get_param_int(u->features, "Interrupted", 0))
        rc = 1;
    else
        rc = 0;
    delete_utterance(u);
    return rc;
}
