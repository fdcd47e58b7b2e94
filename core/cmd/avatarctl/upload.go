package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
)

// uploadChunk is the size of each streamed message; well under the core's message cap.
const uploadChunk = 256 << 10

// dealershipHeader names the dealership a caller without one of its own (a super admin)
// acts for on dealership-scoped calls.
const dealershipHeader = "X-Avatar-Dealership-Id"

func (c *client) knowledge() knowledgev1connect.KnowledgeServiceClient {
	return knowledgev1connect.NewKnowledgeServiceClient(c.http, c.url)
}

func forDealership(h http.Header, id string) {
	if id != "" {
		h.Set(dealershipHeader, id)
	}
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// upload streams a file (metadata first, then chunks) and follows WatchDocument until the
// document is READY or FAILED; a FAILED document is an error naming its reason.
func (c *client) upload(ctx context.Context, path, title string, tags []string, dealership string) (proto.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if title == "" {
		title = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	stream := c.knowledge().UploadDocument(ctx)
	stream.RequestHeader().Set("Authorization", "Bearer "+c.token)
	forDealership(stream.RequestHeader(), dealership)
	meta := &knowledgev1.DocumentMetadata{Title: title, Filename: filepath.Base(path), Tags: tags}
	if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Metadata{Metadata: meta}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("send metadata: %w", err)
	}
	buf := make([]byte, uploadChunk)
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				if errors.Is(err, io.EOF) {
					break // the server answered early; CloseAndReceive has its reason
				}
				return nil, fmt.Errorf("send chunk: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("read %s: %w", path, rerr)
		}
	}
	res, err := stream.CloseAndReceive()
	if err != nil {
		return nil, err
	}
	doc := res.Msg.GetDocument()
	req := authed(c, &knowledgev1.WatchDocumentRequest{Id: doc.GetId()})
	forDealership(req.Header(), dealership)
	watch, err := c.knowledge().WatchDocument(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", doc.GetId(), err)
	}
	defer watch.Close()
	for watch.Receive() {
		doc = watch.Msg().GetDocument()
		switch doc.GetStatus() {
		case knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY:
			return &knowledgev1.GetDocumentResponse{Document: doc}, nil
		case knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED:
			return nil, fmt.Errorf("document %s failed: %s", doc.GetId(), doc.GetFailureReason())
		}
	}
	if err := watch.Err(); err != nil {
		return nil, fmt.Errorf("watch %s: %w", doc.GetId(), connectErr(err))
	}
	return &knowledgev1.GetDocumentResponse{Document: doc}, nil
}

func connectErr(err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return fmt.Errorf("%s: %s", ce.Code(), ce.Message())
	}
	return err
}
