package llm_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/llm"
)

// Example shows a dialogue engine streaming a coach answer: deltas go on to
// speech as they arrive, and the engine stops at once if the reply context
// is cancelled by a barge-in. The provider here is an in-process server
// speaking the chat completions stream.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, chunk := range []string{
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"Gap coverage pays "},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"the difference. Want "},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{"content":"an example?"},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`{"choices":[],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40}}`,
			`[DONE]`,
		} {
			fmt.Fprintf(w, "data: %s\n\n", chunk)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()

	client, err := llm.New(llm.Config{
		BaseURL:           srv.URL, // e.g. http://127.0.0.1:11434 for Ollama
		Model:             "llama3.2",
		FirstTokenTimeout: 5 * time.Second,
		Timeout:           30 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The pipeline runs each reply under a context that barge-in cancels
	// with context.WithCancelCause(ctx, pipeline.ErrBargeIn).
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)

	var spoken strings.Builder
	usage, err := client.Stream(ctx, llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "You are an F&I coach. Answer in two short spoken sentences."},
			{Role: llm.RoleUser, Content: "What does GAP coverage do?"},
		},
		MaxTokens:   80,
		Temperature: 0.3,
		Purpose:     llm.PurposeCoach,
	}, func(delta string) error {
		spoken.WriteString(delta) // an engine hands this to the sentence splitter and TTS
		return nil
	})
	if err != nil {
		// ErrStreamCut: keep what was spoken; context.Cause(ctx): barge-in.
		fmt.Println(err)
		return
	}
	fmt.Println(spoken.String())
	fmt.Printf("%d prompt tokens, %d completion tokens\n", usage.PromptTokens, usage.CompletionTokens)
	// Output:
	// Gap coverage pays the difference. Want an example?
	// 31 prompt tokens, 9 completion tokens
}
