package conversation

import (
	"context"
	"errors"
	"fmt"

	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/coach"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/edge/internal/session"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// NewEngineFactory builds sessions' engines: the coach over the core's
// search, the customer over the scenario the core serves as the session's
// owner; both through model when it is not nil.
func NewEngineFactory(core *coreclient.Client, model *llm.Client) (session.EngineFactory, error) {
	classifier, err := technique.New()
	if err != nil {
		return nil, fmt.Errorf("technique classifier: %w", err)
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
	res, err := s.core.Search(ctx, s.caller(), query, topK)
	if errors.Is(err, coreclient.ErrRateLimited) {
		return nil, fmt.Errorf("%w: %w", coach.ErrSearchLimited, err)
	}
	return res, err
}
