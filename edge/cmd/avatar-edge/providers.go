package main

import (
	"fmt"

	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt/deepgram"
	sttopenai "github.com/avatar-fi/avatar/edge/internal/stt/openai"
	ttsopenai "github.com/avatar-fi/avatar/edge/internal/tts/openai"
)

func newProviderTranscriber(cfg config.Config) (pipeline.Transcriber, func(), error) {
	switch cfg.STT {
	case "openai":
		t, err := sttopenai.New(sttopenai.Config{URL: cfg.STTURL, APIKey: cfg.STTAPIKey, Model: cfg.STTModel})
		return t, func() {}, err
	case "deepgram":
		t, err := deepgram.New(deepgram.Config{URL: cfg.STTURL, APIKey: cfg.STTAPIKey, Model: cfg.STTModel})
		return t, func() {}, err
	}
	return nil, nil, fmt.Errorf("unknown STT %q", cfg.STT)
}

func newProviderSynthesizer(cfg config.Config) (pipeline.Synthesizer, func(string) (pipeline.Synthesizer, error), error) {
	if cfg.TTS == "openai" {
		s, err := ttsopenai.New(ttsopenai.Config{URL: cfg.TTSURL, APIKey: cfg.TTSAPIKey, Model: cfg.TTSModel, Voice: cfg.TTSVoice})
		if err != nil {
			return nil, nil, err
		}
		return s, func(v string) (pipeline.Synthesizer, error) { return s.ForVoice(v) }, nil
	}
	return nil, nil, fmt.Errorf("unknown TTS %q", cfg.TTS)
}
