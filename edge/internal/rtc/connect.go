package rtc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
)

// ConversationHandler serves ConversationService's StartCall and EndCall
// over Connect, gRPC and gRPC-Web. The session and text chat methods belong
// to the dialogue engines and answer Unimplemented until they exist.
type ConversationHandler struct {
	conversationv1connect.UnimplementedConversationServiceHandler
	srv *Server
}

// NewConversationHandler returns the ConversationService handler over s.
func NewConversationHandler(s *Server) *ConversationHandler {
	return &ConversationHandler{srv: s}
}

// StartCall answers an SDP offer, like POST /v1/calls.
func (h *ConversationHandler) StartCall(ctx context.Context, req *connect.Request[conversationv1.StartCallRequest]) (*connect.Response[conversationv1.StartCallResponse], error) {
	id, err := h.srv.Authenticate(ctx, bearer(req.Header()))
	if err != nil {
		h.srv.reject(err)
		return nil, connectError(connect.CodeUnauthenticated, "UNAUTHENTICATED", "a valid bearer access token is required")
	}
	callID, answer, err := h.srv.Offer(ctx, id, req.Msg.GetSessionId(), req.Msg.GetSdpOffer())
	if err != nil {
		_, reason, msg := offerStatus(err)
		code := connect.CodeInternal
		switch {
		case errors.Is(err, ErrBadOffer), errors.Is(err, ErrNoOpus):
			code = connect.CodeInvalidArgument
		case reason == "UNAVAILABLE":
			code = connect.CodeUnavailable
		}
		return nil, connectError(code, reason, msg)
	}
	return connect.NewResponse(&conversationv1.StartCallResponse{CallId: callID, SdpAnswer: answer}), nil
}

// EndCall hangs up a call of the caller's (or, for an admin, of their
// dealership).
func (h *ConversationHandler) EndCall(ctx context.Context, req *connect.Request[conversationv1.EndCallRequest]) (*connect.Response[conversationv1.EndCallResponse], error) {
	id, err := h.srv.Authenticate(ctx, bearer(req.Header()))
	if err != nil {
		return nil, connectError(connect.CodeUnauthenticated, "UNAUTHENTICATED", "a valid bearer access token is required")
	}
	if err := h.srv.Hangup(id, req.Msg.GetCallId()); err != nil {
		return nil, connectError(connect.CodeNotFound, "NOT_FOUND", "no such call")
	}
	return connect.NewResponse(&conversationv1.EndCallResponse{}), nil
}

// connectError builds a Connect error with an ErrorDetail reason.
func connectError(code connect.Code, reason, msg string) *connect.Error {
	e := connect.NewError(code, errors.New(msg))
	if d, err := connect.NewErrorDetail(&errorsv1.ErrorDetail{Reason: reason}); err == nil {
		e.AddDetail(d)
	}
	return e
}
