package main

import (
	"fmt"

	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
)

func newProviderTranscriber(cfg config.Config) (pipeline.Transcriber, func(), error) {
	return nil, nil, fmt.Errorf("provider %q is not wired yet", cfg.STT)
}

func newProviderSynthesizer(cfg config.Config) (pipeline.Synthesizer, error) {
	return nil, fmt.Errorf("provider %q is not wired yet", cfg.TTS)
}
