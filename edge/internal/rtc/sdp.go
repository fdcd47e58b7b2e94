package rtc

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// checkOffer parses an SDP offer and checks that it has an audio m-line
// offering Opus.
func checkOffer(offer string) error {
	if strings.TrimSpace(offer) == "" {
		return fmt.Errorf("%w: empty body", ErrBadOffer)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	audio := 0
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		audio++
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToLower(a.Value), "opus/48000") {
				return nil
			}
		}
	}
	if audio == 0 {
		return fmt.Errorf("%w: no audio m-line", ErrNoOpus)
	}
	return ErrNoOpus
}
