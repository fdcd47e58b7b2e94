package flite_test

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
)

// ExampleEngine_ForVoice gives each persona its own voice.
func ExampleEngine_ForVoice() {
	e, err := flite.New(flite.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	customer, err := e.ForVoice("rms")
	if err != nil {
		fmt.Println(err)
		return
	}
	samples := 0
	err = customer.Synthesize(context.Background(), "I need to think about it.", func(pcm []int16) error {
		samples += len(pcm) // 48 kHz mono; send it on before returning
		return nil
	})
	fmt.Println(customer.Voice(), err, samples > 48000)
	_, err = e.ForVoice("nova")
	fmt.Println(err)
	// Output:
	// rms <nil> true
	// flite: unknown voice: "nova", want one of slt, rms, awb, kal
}
