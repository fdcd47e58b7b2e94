package rtc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/edge/internal/caller"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
)

// TestConversationService runs StartCall and EndCall over Connect and gRPC.
func TestConversationService(t *testing.T) {
	e := fakeEdge(t, edgeOpts{})
	mux := http.NewServeMux()
	mux.Handle(conversationv1connect.NewConversationServiceHandler(rtc.NewConversationHandler(e.srv)))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	token := e.tk.token(t, "u1", "ROLE_TRAINEE")

	for _, tc := range []struct {
		name string
		opts []connect.ClientOption
	}{
		{"connect", nil},
		{"grpc", []connect.ClientOption{connect.WithGRPC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			client := conversationv1connect.NewConversationServiceClient(srv.Client(), srv.URL, tc.opts...)
			call := func(tok, offer string) (*connect.Response[conversationv1.StartCallResponse], error) {
				req := connect.NewRequest(&conversationv1.StartCallRequest{SessionId: "s1", SdpOffer: offer})
				if tok != "" {
					req.Header().Set("Authorization", "Bearer "+tok)
				}
				return client.StartCall(ctx, req)
			}
			if _, err := call("", "v=0"); connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("no token: %v", err)
			}
			if _, err := call(token, "garbage"); connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("garbage offer: %v", err)
			}
			// A real offer gets an answer; EndCall hangs it up.
			api, err := caller.NewAPI()
			if err != nil {
				t.Fatal(err)
			}
			pc, err := api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
				t.Fatal(err)
			}
			offer, err := pc.CreateOffer(nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := call(token, offer.SDP)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Msg.GetCallId() == "" || resp.Msg.GetSdpAnswer() == "" {
				t.Fatalf("response %v", resp.Msg)
			}
			end := connect.NewRequest(&conversationv1.EndCallRequest{CallId: resp.Msg.GetCallId()})
			end.Header().Set("Authorization", "Bearer "+e.tk.token(t, "u2", "ROLE_TRAINEE"))
			if _, err := client.EndCall(ctx, end); connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("EndCall by another user: %v", err)
			}
			end.Header().Set("Authorization", "Bearer "+token)
			if _, err := client.EndCall(ctx, end); err != nil {
				t.Fatal(err)
			}
			waitCalls(t, e.srv, 0)
			var ce *connect.Error
			if _, err := client.StartSession(ctx, connect.NewRequest(&conversationv1.StartSessionRequest{})); !errors.As(err, &ce) || ce.Code() != connect.CodeUnimplemented {
				t.Errorf("StartSession: %v, want Unimplemented until the dialogue engines exist", err)
			}
		})
	}
}
