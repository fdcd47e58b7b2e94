package coach

import (
	"context"
	"fmt"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/llm"
)

// Streamer streams a chat completion (llm.Client).
type Streamer interface {
	Stream(ctx context.Context, req llm.Request, out func(delta string) error) (llm.Usage, error)
}

// LLMWriter is a Writer over a chat-completions model: the passages go in
// the prompt, numbered, and the model is told to answer only from them, to
// mark what it used as [n], and to say it does not know otherwise.
type LLMWriter struct {
	// Model streams the completion.
	Model Streamer
	// MaxTokens bounds the answer (default 220, about 45 seconds of speech).
	MaxTokens int
}

// systemPrompt is the coach's instruction.
const systemPrompt = `You are an experienced F&I (finance and insurance) trainer at a car dealership, coaching a trainee by voice.
Answer the trainee's question using ONLY the numbered passages from the dealership's own documents.
Mark every sentence with the passage it comes from, like [1] or [2]; never cite a passage that does not support the sentence.
If the passages do not answer the question, say plainly that the dealership's documents don't cover it, and cite nothing.
Speak plainly and briefly: at most three short sentences, no lists, no markdown, no headings.`

// Write streams the model's answer.
func (w LLMWriter) Write(ctx context.Context, p Prompt, out func(delta string) error) error {
	var b strings.Builder
	for i, ps := range p.Passages {
		fmt.Fprintf(&b, "[%d] %s", i+1, ps.GetTitle())
		if ps.Section != nil && ps.GetSection() != "" {
			fmt.Fprintf(&b, ", %s", ps.GetSection())
		}
		if ps.Page != nil {
			fmt.Fprintf(&b, ", page %d", ps.GetPage())
		}
		fmt.Fprintf(&b, "\n%s\n\n", strings.TrimSpace(ps.GetText()))
	}
	msgs := []llm.Message{{Role: llm.RoleSystem, Content: systemPrompt}}
	for _, h := range p.History {
		msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: h.Question}, llm.Message{Role: llm.RoleAssistant, Content: h.Answer})
	}
	msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: "Passages:\n\n" + b.String() + "Question: " + p.Question})
	max := w.MaxTokens
	if max <= 0 {
		max = 220
	}
	_, err := w.Model.Stream(ctx, llm.Request{Messages: msgs, MaxTokens: max, Temperature: 0.2, Purpose: llm.PurposeCoach}, out)
	return err
}
