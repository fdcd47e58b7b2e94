package conversation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/coretest"
	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// chatServer speaks the OpenAI chat completions streaming API as documented
// (Server-Sent Events of chat.completion.chunk objects, then [DONE]): it
// answers every request with words, one chunk each every pause, and records
// the requests and whether the client went away before the end.
type chatServer struct {
	*httptest.Server
	words []string
	pause time.Duration

	mu        sync.Mutex
	requests  []map[string]any
	cancelled chan struct{}
	once      sync.Once
}

func newChatServer(t *testing.T, answer string, pause time.Duration) *chatServer {
	t.Helper()
	s := &chatServer{words: strings.SplitAfter(answer, " "), pause: pause, cancelled: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *chatServer) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, body)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(delta, finish string) {
		fr := "null"
		if finish != "" {
			fr = `"` + finish + `"`
		}
		d, _ := json.Marshal(delta)
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"test\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":%s}]}\n\n", d, fr)
		fl.Flush()
	}
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"test\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n")
	fl.Flush()
	for _, wd := range s.words {
		select {
		case <-r.Context().Done():
			s.once.Do(func() { close(s.cancelled) })
			return
		case <-time.After(s.pause):
		}
		chunk(wd, "")
	}
	chunk("", "stop")
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"test\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"total_tokens\":70}}\n\n")
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (s *chatServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *chatServer) lastPrompt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return ""
	}
	b, _ := json.Marshal(s.requests[len(s.requests)-1]["messages"])
	return string(b)
}

func newModel(t *testing.T, url string) *llm.Client {
	t.Helper()
	m, err := llm.New(llm.Config{BaseURL: url, Model: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLLMEngines runs the coach and the customer through a language model:
// the coach's citations are the passages the model marks, and the
// customer's words are the model's while the state machine decides.
func TestLLMEngines(t *testing.T) {
	srv := newChatServer(t, "GAP does not pay your insurance deductible [1]. It also skips late fees [1].", time.Millisecond)
	b := setup(t, edgeOpts{model: newModel(t, srv.URL)})
	data, err := os.ReadFile("../../../deploy/dev/demo/gap-insurance.md")
	if err != nil {
		t.Fatal(err)
	}
	docID := b.core.Upload(t, "GAP insurance", "gap-insurance.md", data)
	start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	r := b.chat(t, b.client, b.core.TraineeToken, start.Msg.GetSessionId(), "What does GAP not cover?")
	if strings.Contains(r.text, "[1]") || !strings.Contains(r.text, "deductible") {
		t.Errorf("coach said %q: want the model's words without passage marks", r.text)
	}
	if len(r.citations) != 1 || r.citations[0].GetDocumentId() != docID {
		t.Errorf("citations %v, want the one passage the model marked", r.citations)
	}
	if p := srv.lastPrompt(); !strings.Contains(p, "What GAP does not cover") || !strings.Contains(p, "[1]") {
		t.Errorf("the passages are not in the prompt: %s", p)
	}
	// Off topic: nothing relevant is retrieved, the model is not asked.
	n := srv.count()
	off := b.chat(t, b.client, b.core.TraineeToken, start.Msg.GetSessionId(), "Who won the football game last night?")
	if len(off.citations) != 0 || srv.count() != n {
		t.Errorf("off topic: %q citing %v after %d model requests", off.text, off.citations, srv.count()-n)
	}

	// The customer speaks the model's words; the prompt carries the persona
	// and what to convey.
	sc := b.scenarioID(t, "service contract")
	rp, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	cr := b.chat(t, b.client, b.core.TraineeToken, rp.Msg.GetSessionId(), "Congratulations on the RAV4! How long do you usually keep your cars?")
	if !strings.Contains(cr.text, "deductible") {
		t.Errorf("customer said %q, want the model's text", cr.text)
	}
	if p := srv.lastPrompt(); !strings.Contains(p, sc.GetPersona().GetName()) || !strings.Contains(p, "Convey this turn") {
		t.Errorf("customer prompt lacks the persona or the beats: %s", p)
	}
}

// TestBargeInCancelsLLM talks over a customer whose words stream slowly from
// a language model: the model's request is cancelled.
func TestBargeInCancelsLLM(t *testing.T) {
	long := strings.Repeat("Well, I hear what you are saying, but I am still not sure about this at all. ", 6)
	srv := newChatServer(t, long, 40*time.Millisecond)
	o := voiceEngines(t)
	o.model = newModel(t, srv.URL)
	b := setup(t, o)
	clips := loadClips(t)
	sc := b.scenarioID(t, "service contract")
	start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	c, err := caller.Dial(ctx, api, b.http.URL, b.core.TraineeToken, caller.Options{SessionID: start.Msg.GetSessionId(), HTTPClient: b.http.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	listening := func(ev *conversationv1.CallEvent) bool {
		return ev.GetType() == callevent.TypeState && ev.GetState() == callevent.StateListening
	}
	_, i, err := c.WaitEvent(ctx, 0, listening) // after the opening
	if err != nil {
		t.Fatal(err)
	}
	c.Say(make([]int16, 8000))
	c.Say(clips["goforward.wav"])
	c.Say(make([]int16, 8000))
	if _, _, err := c.WaitEvent(ctx, i+1, func(ev *conversationv1.CallEvent) bool {
		return ev.GetType() == callevent.TypeReplyText && ev.GetTurn() == 1
	}); err != nil {
		t.Fatal(err)
	}
	c.Say(clips["deepspeech_new-home-in-the-stars.wav"]) // over the reply
	if _, _, err := c.WaitEvent(ctx, i+1, func(ev *conversationv1.CallEvent) bool {
		return ev.GetType() == callevent.TypeTurnLatency && ev.GetBargeIn()
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the model's stream was not cancelled by the barge-in")
	}
}
