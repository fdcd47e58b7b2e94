package apierror

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"
)

// Interceptor is the one error boundary of every handler. It passes Connect errors that
// carry an ErrorDetail through, gives bare Connect errors a reason from their code, maps
// context cancellation to Canceled / DeadlineExceeded, and turns everything else into
// Internal after logging it. Its methods are safe for concurrent use.
type Interceptor struct {
	log *slog.Logger
}

// NewInterceptor returns the boundary interceptor; log may be nil.
func NewInterceptor(log *slog.Logger) *Interceptor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Interceptor{log: log}
}

// WrapUnary implements connect.Interceptor.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		if err != nil {
			return nil, i.Map(ctx, req.Spec().Procedure, err)
		}
		return res, nil
	}
}

// WrapStreamingClient implements connect.Interceptor; clients are left alone.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := next(ctx, conn); err != nil {
			return i.Map(ctx, conn.Spec().Procedure, err)
		}
		return nil
	}
}

// Map converts any handler error to the public error model.
func (i *Interceptor) Map(ctx context.Context, procedure string, err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		if _, ok := Detail(ce); ok {
			return ce
		}
		if ce.Code() == connect.CodeInternal || ce.Code() == connect.CodeUnknown {
			i.log.ErrorContext(ctx, "internal error", "procedure", procedure, "error", err.Error())
			return Internal()
		}
		return withDetail(ce, reasonDetail(ce.Code()))
	}
	switch {
	case errors.Is(err, context.Canceled):
		return New(connect.CodeCanceled, "CANCELED", "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return New(connect.CodeDeadlineExceeded, "DEADLINE_EXCEEDED", "deadline exceeded")
	}
	i.log.ErrorContext(ctx, "internal error", "procedure", procedure, "error", err.Error())
	return Internal()
}
