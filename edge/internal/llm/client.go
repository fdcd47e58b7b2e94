package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/avatar-fi/avatar/edge/internal/metrics"
)

// Message roles.
const (
	// RoleSystem is the role of instructions: the persona, the rules, the
	// retrieved passages.
	RoleSystem = "system"
	// RoleUser is the role of the trainee's words.
	RoleUser = "user"
	// RoleAssistant is the role of earlier replies of the engine.
	RoleAssistant = "assistant"
)

// Request purposes, the purpose label of the metrics.
const (
	// PurposeCoach marks requests of the coach, which answers from
	// retrieved passages.
	PurposeCoach = "coach"
	// PurposeCustomer marks requests of the role-play customer.
	PurposeCustomer = "customer"
)

// Message is one turn of the conversation sent to the model.
type Message struct {
	// Role is RoleSystem, RoleUser or RoleAssistant.
	Role string
	// Content is the turn's text.
	Content string
}

// Request is one reply to generate.
type Request struct {
	// Messages is the conversation so far, oldest first; at least one.
	Messages []Message
	// MaxTokens caps the reply's length (sent as max_tokens); 0 leaves it
	// to the server.
	MaxTokens int
	// Temperature is sent as it is, 0 included (0 asks for the most likely
	// tokens); it must be within [0, 2].
	Temperature float64
	// Purpose is PurposeCoach or PurposeCustomer; it labels the metrics.
	Purpose string
}

// Usage is the token count the provider reported for a reply. It is zero
// when the provider sent none (servers too old for
// stream_options.include_usage) or the stream ended before it.
type Usage struct {
	// PromptTokens is the number of tokens of the prompt.
	PromptTokens int
	// CompletionTokens is the number of tokens generated.
	CompletionTokens int
}

// Client streams chat completions from one provider and model. It is safe
// for concurrent use; it holds no per-call state.
type Client struct {
	cfg  Config
	chat openai.ChatCompletionService
}

// New returns a Client for cfg, with defaults applied to its zero fields.
// It returns an error wrapping ErrConfig, naming the field, when cfg is
// invalid. It makes no request.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithBaseURL(apiBase(cfg.BaseURL)),
		option.WithHTTPClient(cfg.HTTPClient),
		option.WithMaxRetries(0),
		option.WithHeader("Accept", "text/event-stream"),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	return &Client{cfg: cfg, chat: openai.NewChatCompletionService(opts...)}, nil
}

// Stream asks for a reply to req and calls out with each piece of its text
// (a token or a few) as it arrives, in order, from the calling goroutine.
// It returns the usage reported by the provider once the reply is complete.
//
// Failures before the first delta reaches out (connection errors, 408,
// 429, 5xx, no first token within FirstTokenTimeout, a stream closed before
// any content) are retried up to MaxAttempts with backoff, honouring
// Retry-After; when attempts run out the error wraps ErrUnavailable. Any
// other 4xx is not retried and wraps ErrRejected. Once a delta has
// been delivered nothing is retried: a broken stream returns an error
// wrapping ErrStreamCut, and the caller keeps the text it has. The whole
// call is bounded by Timeout (ErrTimeout).
//
// When ctx ends, the HTTP request is aborted (the connection is closed) and
// Stream returns context.Cause(ctx) promptly, which tells a barge-in from a
// hang-up. When out returns an error, Stream stops and returns that error
// unchanged. out is called no more after Stream returns.
func (c *Client) Stream(ctx context.Context, req Request, out func(delta string) error) (Usage, error) {
	params, err := c.params(req, out)
	if err != nil {
		return Usage{}, err
	}
	log := c.cfg.Logger.With("purpose", req.Purpose, "model", c.cfg.Model)
	start := time.Now()
	firstToken := func() {
		metrics.LLMFirstToken.WithLabelValues(req.Purpose).Observe(time.Since(start).Seconds())
	}
	callCtx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, ErrTimeout)
	defer cancel()

	for attempt := 1; ; attempt++ {
		r := c.attempt(callCtx, params, out, firstToken)
		c.countTokens(req.Purpose, r.usage)
		if r.err == nil {
			metrics.LLMRequests.WithLabelValues(req.Purpose, "ok").Inc()
			log.Debug("llm reply", "attempts", attempt, "prompt_tokens", r.usage.PromptTokens,
				"completion_tokens", r.usage.CompletionTokens, "elapsed", time.Since(start))
			return r.usage, nil
		}
		if err := c.final(ctx, callCtx, r, attempt); err != nil {
			outcome := "error"
			if ctx.Err() != nil {
				outcome = "cancelled"
			}
			metrics.LLMRequests.WithLabelValues(req.Purpose, outcome).Inc()
			if outcome == "error" {
				log.Warn("llm reply failed", "attempts", attempt, "delivered", r.delivered, "err", err)
			}
			return r.usage, err
		}
		delay := max(c.backoff(attempt), r.retryAfter)
		if deadline, ok := callCtx.Deadline(); ok && time.Until(deadline) < delay {
			metrics.LLMRequests.WithLabelValues(req.Purpose, "error").Inc()
			err := fmt.Errorf("%w: attempt %d: %w; next try in %v would pass the %v deadline",
				ErrUnavailable, attempt, r.err, delay.Round(time.Millisecond), c.cfg.Timeout)
			log.Warn("llm reply failed", "attempts", attempt, "err", err)
			return Usage{}, err
		}
		log.Warn("llm attempt failed, retrying", "attempt", attempt, "delay", delay, "err", r.err)
		metrics.LLMRequests.WithLabelValues(req.Purpose, "retried").Inc()
		if err := sleep(callCtx, delay); err != nil {
			if ctx.Err() != nil {
				metrics.LLMRequests.WithLabelValues(req.Purpose, "cancelled").Inc()
				return Usage{}, context.Cause(ctx)
			}
			metrics.LLMRequests.WithLabelValues(req.Purpose, "error").Inc()
			return Usage{}, fmt.Errorf("%w after %d attempts: %w", ErrTimeout, attempt, r.err)
		}
	}
}

// final returns the error Stream must return for the failed attempt r, or
// nil when r is worth another attempt. ctx is the caller's context and
// callCtx the one bounded by Timeout.
func (c *Client) final(ctx, callCtx context.Context, r attemptResult, attempt int) error {
	switch {
	case r.outErr:
		return r.err
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case callCtx.Err() != nil && r.delivered:
		return fmt.Errorf("%w: %w (%v)", ErrStreamCut, ErrTimeout, c.cfg.Timeout)
	case callCtx.Err() != nil:
		return fmt.Errorf("%w (%v, %d attempts)", ErrTimeout, c.cfg.Timeout, attempt)
	case !r.retryable:
		return r.err
	case attempt >= c.cfg.MaxAttempts:
		return fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, attempt, r.err)
	}
	return nil
}

// attemptResult is what one request came to.
type attemptResult struct {
	usage      Usage
	delivered  bool          // at least one delta went to out
	err        error         // nil when the reply completed
	outErr     bool          // err came from out
	retryable  bool          // err may pass on another attempt
	retryAfter time.Duration // the provider's Retry-After, if any
}

// attempt sends one request under ctx and streams its reply to out,
// calling first before the first delta.
func (c *Client) attempt(ctx context.Context, params openai.ChatCompletionNewParams, out func(string) error, first func()) (r attemptResult) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(c.cfg.FirstTokenTimeout, func() { cancel(ErrFirstTokenTimeout) })
	defer timer.Stop()
	firstTokenErr := fmt.Errorf("%w (%v)", ErrFirstTokenTimeout, c.cfg.FirstTokenTimeout)

	var resp *http.Response
	stream := c.chat.NewStreaming(actx, params, option.WithResponseInto(&resp))
	defer func() { _ = stream.Close() }()
	finished := false
	for stream.Next() {
		chunk := stream.Current()
		if chunk.JSON.Usage.Valid() {
			r.usage = Usage{PromptTokens: int(chunk.Usage.PromptTokens), CompletionTokens: int(chunk.Usage.CompletionTokens)}
		}
		for _, choice := range chunk.Choices {
			if choice.Index != 0 {
				continue
			}
			if choice.FinishReason != "" {
				finished = true
			}
			if choice.Delta.Content == "" {
				continue
			}
			if !r.delivered {
				if !timer.Stop() {
					// The first-token timeout fired as this delta arrived.
					r.err, r.retryable = firstTokenErr, true
					return r
				}
				r.delivered = true
				first()
			}
			if err := out(choice.Delta.Content); err != nil {
				r.err, r.outErr = err, true
				return r
			}
		}
	}
	err := stream.Err()
	switch {
	case finished:
		// The reply is complete; a failure after the finish reason (before
		// the usage chunk or [DONE]) loses nothing the caller needs.
		return r
	case !r.delivered && errors.Is(context.Cause(actx), ErrFirstTokenTimeout):
		r.err, r.retryable = firstTokenErr, true
		return r
	case resp != nil && resp.StatusCode >= http.StatusBadRequest:
		sr := statusError(resp)
		sr.usage, sr.delivered = r.usage, r.delivered
		return sr
	case err == nil:
		err = errors.New("stream ended without a finish reason")
	}
	if r.delivered {
		r.err = fmt.Errorf("%w: %w", ErrStreamCut, err)
		return r
	}
	r.err, r.retryable = fmt.Errorf("before the first token: %w", err), true
	return r
}

// params checks req and turns it into the SDK's request parameters.
func (c *Client) params(req Request, out func(string) error) (openai.ChatCompletionNewParams, error) {
	var p openai.ChatCompletionNewParams
	switch {
	case out == nil:
		return p, fmt.Errorf("%w: out is nil", ErrInvalidRequest)
	case req.Purpose != PurposeCoach && req.Purpose != PurposeCustomer:
		return p, fmt.Errorf("%w: Purpose %q is neither %q nor %q", ErrInvalidRequest, req.Purpose, PurposeCoach, PurposeCustomer)
	case len(req.Messages) == 0:
		return p, fmt.Errorf("%w: Messages is empty", ErrInvalidRequest)
	case req.MaxTokens < 0:
		return p, fmt.Errorf("%w: MaxTokens %d is negative", ErrInvalidRequest, req.MaxTokens)
	case math.IsNaN(req.Temperature) || req.Temperature < 0 || req.Temperature > 2:
		return p, fmt.Errorf("%w: Temperature %v is outside [0, 2]", ErrInvalidRequest, req.Temperature)
	}
	msgs := make([]openai.ChatCompletionMessageParamUnion, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case RoleSystem:
			msgs[i] = openai.SystemMessage(m.Content)
		case RoleUser:
			msgs[i] = openai.UserMessage(m.Content)
		case RoleAssistant:
			msgs[i] = openai.AssistantMessage(m.Content)
		default:
			return p, fmt.Errorf("%w: Messages[%d].Role %q is not %q, %q or %q",
				ErrInvalidRequest, i, m.Role, RoleSystem, RoleUser, RoleAssistant)
		}
	}
	p = openai.ChatCompletionNewParams{
		Model:         c.cfg.Model,
		Messages:      msgs,
		Temperature:   openai.Float(req.Temperature),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	if req.MaxTokens > 0 {
		p.MaxTokens = openai.Int(int64(req.MaxTokens))
	}
	return p, nil
}

// countTokens adds u to the token metrics.
func (c *Client) countTokens(purpose string, u Usage) {
	if u.PromptTokens > 0 {
		metrics.LLMPromptTokens.WithLabelValues(purpose, c.cfg.Model).Add(float64(u.PromptTokens))
	}
	if u.CompletionTokens > 0 {
		metrics.LLMCompletionTokens.WithLabelValues(purpose, c.cfg.Model).Add(float64(u.CompletionTokens))
	}
}
