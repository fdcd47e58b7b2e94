package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/coach"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/edge/internal/session"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// newEngineFactory builds sessions' engines: the coach over the core's
// search, the customer over the scenario the core serves; both through the
// language model when AVATAR_LLM_URL is set.
func newEngineFactory(cfg config.Config, core *coreclient.Client, log *slog.Logger) (session.EngineFactory, error) {
	classifier, err := technique.New()
	if err != nil {
		return nil, fmt.Errorf("technique classifier: %w", err)
	}
	var model *llm.Client
	if cfg.LLMURL != "" {
		model, err = llm.New(llm.Config{BaseURL: cfg.LLMURL, APIKey: cfg.LLMAPIKey, Model: cfg.LLMModel, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("AVATAR_LLM_URL: %w", err)
		}
	}
	return func(ctx context.Context, spec session.Spec) (session.Built, error) {
		caller := func() coreclient.Caller {
			o := spec.Credentials()
			return coreclient.Caller{Token: o.Token, Expires: o.Expires, DealershipID: o.DealershipID}
		}
		switch spec.Mode {
		case conversationv1.Mode_MODE_TRAINING:
			cc := coach.Config{Search: searcher{core: core, caller: caller}}
			if model != nil {
				cc.Writer = coach.LLMWriter{Model: model}
			}
			e, err := coach.New(cc)
			return session.Built{Engine: e}, err
		case conversationv1.Mode_MODE_ROLE_PLAY:
			sc, err := core.Scenario(ctx, caller(), spec.ScenarioID, 0)
			if err != nil {
				return session.Built{}, err
			}
			c := customer.Config{Scenario: sc, Classifier: classifier, Seed: spec.SessionID}
			if model != nil {
				c.Phraser = customer.LLMPhraser{Model: model}
			}
			e, err := customer.New(c)
			if err != nil {
				return session.Built{}, fmt.Errorf("%w: %w", session.ErrInvalid, err)
			}
			return session.Built{Engine: e, Scenario: sc}, nil
		}
		return session.Built{}, fmt.Errorf("%w: mode %v", session.ErrInvalid, spec.Mode)
	}, nil
}

// searcher is the coach's Searcher for one session's owner.
type searcher struct {
	core   *coreclient.Client
	caller func() coreclient.Caller
}

func (s searcher) Search(ctx context.Context, query string, topK int) ([]*knowledgev1.SearchResult, error) {
	return s.core.Search(ctx, s.caller(), query, topK)
}

// limiterTimeout bounds one rate-limit decision.
const limiterTimeout = 200 * time.Millisecond

// newLimiter returns the chat and call-start limits over Redis (shared by
// every edge), falling back to limits of this edge's own while Redis is
// unreachable.
func newLimiter(cfg config.Config, log *slog.Logger) (conversation.Limiter, func(), error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("AVATAR_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	m, err := ratelimit.NewMetrics(prometheus.DefaultRegisterer)
	if err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("rate limit metrics: %w", err)
	}
	l, err := ratelimit.New(rdb, ratelimit.WithLogger(log), ratelimit.WithMetrics(m))
	if err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("rate limits: %w", err)
	}
	return limiter{l}, func() { _ = rdb.Close() }, nil
}

// limiter adapts ratelimit.Limiter to conversation.Limiter.
type limiter struct{ l *ratelimit.Limiter }

func (l limiter) Take(ctx context.Context, limit, key string) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limiterTimeout)
	defer cancel()
	err := l.l.Allow(ctx, limit, key)
	var le *ratelimit.LimitedError
	switch {
	case err == nil:
		return true, 0, nil
	case errors.As(err, &le):
		return false, le.RetryAfter, nil
	default:
		return false, 0, err
	}
}
