package knowledge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
)

// Limiter takes one call from a user's budget of a named limit ("knowledge_upload",
// "knowledge_search"); it returns nil when allowed and a platform/ratelimit error
// otherwise (ratelimit.Limiter), which publicError maps.
type Limiter interface {
	Allow(ctx context.Context, limit, key string) error
}

// Handler serves avatar.knowledge.v1.KnowledgeService over Connect, gRPC and gRPC-Web.
// The caller comes from principal.From(ctx), put there by the authentication
// interceptor; an anonymous call answers Unauthenticated.
type Handler struct {
	svc     *Service
	limiter Limiter
}

var _ knowledgev1connect.KnowledgeServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc; limiter may be nil (no rate limits).
func NewHandler(svc *Service, limiter Limiter) *Handler { return &Handler{svc: svc, limiter: limiter} }

// caller returns the principal and the dealership the call acts in
// (principal.Principal.Dealership); admin requires a role that may change the
// knowledge base.
func caller(ctx context.Context, h http.Header, admin bool) (principal.Principal, string, error) {
	p, err := principal.Require(ctx)
	if err != nil {
		return p, "", err
	}
	if admin && !p.IsAdmin() {
		return p, "", apierror.PermissionDenied("only dealership admins may change the knowledge base")
	}
	d, err := p.Dealership(h)
	if err != nil {
		// principal.MissingDealership but for its description, which this service words
		// without "(a UUID)"; kept so that its answer does not change.
		return p, "", apierror.Invalid(apierror.Violation{Field: principal.DealershipHeader, Description: "the dealership to act in is required for this caller"})
	}
	return p, d, nil
}

func (h *Handler) limit(ctx context.Context, kind string, p principal.Principal) error {
	if h.limiter == nil {
		return nil
	}
	if err := h.limiter.Allow(ctx, kind, p.UserID); err != nil {
		return publicError(err)
	}
	return nil
}

// publicError maps domain errors to the public error model.
func publicError(err error) error {
	if ce, ok := apierror.FromRateLimit(err); ok {
		return ce
	}
	var wu *WebhookURLError
	switch {
	case errors.Is(err, ErrNotFound):
		return apierror.NotFound("document")
	case errors.Is(err, ErrUnsupportedMedia):
		return apierror.UnsupportedMedia(err.Error())
	case errors.Is(err, store.ErrNoTenant):
		return apierror.Invalid(apierror.Violation{Field: principal.DealershipHeader, Description: "required"})
	case errors.As(err, &wu):
		return apierror.Invalid(apierror.Violation{Field: "url", Description: wu.Error()})
	}
	return err
}

// UploadDocument implements KnowledgeService.UploadDocument: metadata first, then the
// bytes; the file is capped at Config.MaxUploadBytes.
func (h *Handler) UploadDocument(ctx context.Context, stream *connect.ClientStream[knowledgev1.UploadDocumentRequest]) (*connect.Response[knowledgev1.UploadDocumentResponse], error) {
	p, dealership, err := caller(ctx, stream.RequestHeader(), true)
	if err != nil {
		return nil, err
	}
	if err := h.limit(ctx, "knowledge_upload", p); err != nil {
		return nil, err
	}
	var md *knowledgev1.DocumentMetadata
	var data []byte
	for stream.Receive() {
		msg := stream.Msg()
		switch v := msg.Payload.(type) {
		case *knowledgev1.UploadDocumentRequest_Metadata:
			if md != nil {
				return nil, apierror.Invalid(apierror.Violation{Field: "metadata", Description: "must be sent once, first"})
			}
			md = v.Metadata
		case *knowledgev1.UploadDocumentRequest_Chunk:
			if md == nil {
				return nil, apierror.Invalid(apierror.Violation{Field: "metadata", Description: "must come before the file's bytes"})
			}
			if int64(len(data)+len(v.Chunk)) > h.svc.cfg.MaxUploadBytes {
				return nil, apierror.PayloadTooLarge(fmt.Sprintf("the file is larger than %d bytes", h.svc.cfg.MaxUploadBytes))
			}
			data = append(data, v.Chunk...)
		}
	}
	if err := stream.Err(); err != nil {
		return nil, fmt.Errorf("receive upload: %w", err)
	}
	if md == nil {
		return nil, apierror.Invalid(apierror.Violation{Field: "metadata", Description: "required"})
	}
	var vs []apierror.Violation
	if strings.TrimSpace(md.Title) == "" && strings.TrimSpace(md.Filename) == "" {
		vs = append(vs, apierror.Violation{Field: "metadata.title", Description: "a title or a filename is required"})
	}
	if len(md.Title) > 300 || len(md.Filename) > 300 {
		vs = append(vs, apierror.Violation{Field: "metadata.title", Description: "at most 300 characters"})
	}
	if len(md.Tags) > 20 {
		vs = append(vs, apierror.Violation{Field: "metadata.tags", Description: "at most 20 tags"})
	}
	if len(vs) > 0 {
		return nil, apierror.Invalid(vs...)
	}
	doc, err := h.svc.Upload(ctx, UploadInput{DealershipID: dealership, Metadata: md, Data: data})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.UploadDocumentResponse{Document: doc}), nil
}

// GetDocument implements KnowledgeService.GetDocument.
func (h *Handler) GetDocument(ctx context.Context, req *connect.Request[knowledgev1.GetDocumentRequest]) (*connect.Response[knowledgev1.GetDocumentResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	doc, err := h.svc.Get(ctx, dealership, req.Msg.Id)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.GetDocumentResponse{Document: doc}), nil
}

// ListDocuments implements KnowledgeService.ListDocuments.
func (h *Handler) ListDocuments(ctx context.Context, req *connect.Request[knowledgev1.ListDocumentsRequest]) (*connect.Response[knowledgev1.ListDocumentsResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	docs, next, err := h.svc.List(ctx, dealership, int(req.Msg.PageSize), req.Msg.PageToken, req.Msg.Status)
	if errors.Is(err, ErrNotFound) {
		return nil, apierror.Invalid(apierror.Violation{Field: "pageToken", Description: "not a token from a previous page"})
	}
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.ListDocumentsResponse{Documents: docs, NextPageToken: next}), nil
}

// WatchDocument implements KnowledgeService.WatchDocument: it sends the current state,
// then every change, and ends once the document is READY or FAILED.
func (h *Handler) WatchDocument(ctx context.Context, req *connect.Request[knowledgev1.WatchDocumentRequest], stream *connect.ServerStream[knowledgev1.WatchDocumentResponse]) error {
	_, dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return err
	}
	updates := make(chan *nats.Msg, 64)
	sub, err := h.svc.cfg.Bus.Conn.ChanSubscribe(h.svc.progressSubject(req.Msg.Id), updates)
	if err != nil {
		return fmt.Errorf("subscribe progress: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	cur, err := h.svc.progress(ctx, dealership, req.Msg.Id)
	if err != nil {
		return publicError(err)
	}
	final := func(r *knowledgev1.WatchDocumentResponse) bool {
		st := r.GetDocument().GetStatus()
		return st == knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY || st == knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED
	}
	if err := stream.Send(cur); err != nil {
		return fmt.Errorf("send progress: %w", err)
	}
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	for !final(cur) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-updates:
			next := &knowledgev1.WatchDocumentResponse{}
			if proto.Unmarshal(m.Data, next) != nil || next.GetDocument().GetDealershipId() != dealership {
				continue
			}
			if final(next) || next.GetDocument().GetTitle() == "" {
				// Progress messages carry only ids; send the full document from the store.
				full, err := h.svc.progress(ctx, dealership, req.Msg.Id)
				if err != nil {
					return publicError(err)
				}
				if !final(full) {
					full.Stage, full.Percent = next.Stage, next.Percent
				}
				next = full
			}
			cur = next
		case <-poll.C:
			full, err := h.svc.progress(ctx, dealership, req.Msg.Id)
			if err != nil {
				return publicError(err)
			}
			if proto.Equal(full, cur) {
				continue
			}
			cur = full
		}
		if err := stream.Send(cur); err != nil {
			return fmt.Errorf("send progress: %w", err)
		}
	}
	return nil
}

// DeleteDocument implements KnowledgeService.DeleteDocument.
func (h *Handler) DeleteDocument(ctx context.Context, req *connect.Request[knowledgev1.DeleteDocumentRequest]) (*connect.Response[knowledgev1.DeleteDocumentResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	if err := h.svc.Delete(ctx, dealership, req.Msg.Id); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.DeleteDocumentResponse{}), nil
}

// Search implements KnowledgeService.Search: topK defaults to 5, at most 50.
func (h *Handler) Search(ctx context.Context, req *connect.Request[knowledgev1.SearchRequest]) (*connect.Response[knowledgev1.SearchResponse], error) {
	p, dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(req.Msg.Query)
	var vs []apierror.Violation
	if q == "" {
		vs = append(vs, apierror.Violation{Field: "query", Description: "required"})
	} else if len(q) > 2000 {
		vs = append(vs, apierror.Violation{Field: "query", Description: "at most 2000 characters"})
	}
	if req.Msg.TopK < 0 || req.Msg.TopK > 50 {
		vs = append(vs, apierror.Violation{Field: "topK", Description: "must be from 1 to 50"})
	}
	if len(vs) > 0 {
		return nil, apierror.Invalid(vs...)
	}
	if err := h.limit(ctx, "knowledge_search", p); err != nil {
		return nil, err
	}
	k := int(req.Msg.TopK)
	if k == 0 {
		k = 5
	}
	res, err := h.svc.Retrieve(ctx, SearchQuery{DealershipID: dealership, Query: q, TopK: k, Tags: req.Msg.Tags})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.SearchResponse{Results: res}), nil
}

// SetWebhook implements KnowledgeService.SetWebhook; an empty URL removes the webhook.
func (h *Handler) SetWebhook(ctx context.Context, req *connect.Request[knowledgev1.SetWebhookRequest]) (*connect.Response[knowledgev1.SetWebhookResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	if req.Msg.Url != "" && len(req.Msg.Secret) < 16 {
		return nil, apierror.Invalid(apierror.Violation{Field: "secret", Description: "at least 16 characters"})
	}
	if err := h.svc.SetWebhook(ctx, dealership, req.Msg.Url, req.Msg.Secret); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.SetWebhookResponse{}), nil
}

// GetWebhook implements KnowledgeService.GetWebhook; the secret is never returned.
func (h *Handler) GetWebhook(ctx context.Context, req *connect.Request[knowledgev1.GetWebhookRequest]) (*connect.Response[knowledgev1.GetWebhookResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	u, _, err := h.svc.GetWebhook(ctx, dealership)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&knowledgev1.GetWebhookResponse{Url: u}), nil
}
