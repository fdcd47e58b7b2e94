package media_test

import (
	"testing"

	"github.com/avatar-fi/avatar/media"
)

func TestPeak(t *testing.T) {
	tests := []struct {
		name string
		pcm  []int16
		want int
	}{
		{"empty", nil, 0},
		{"silence", []int16{0, 0, 0}, 0},
		{"positive", []int16{3, 500, -20}, 500},
		{"negative", []int16{3, -700, 20}, 700},
		{"full scale", []int16{-32768, 32767}, 32768},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Peak(tt.pcm); got != tt.want {
				t.Errorf("Peak(%v) = %d, want %d", tt.pcm, got, tt.want)
			}
		})
	}
}
