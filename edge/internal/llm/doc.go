// Package llm is the edge's client for LLM providers that speak the
// OpenAI-compatible streaming chat completions API (POST
// {base}/v1/chat/completions with "stream": true, answered with Server-Sent
// Events `data: {chunk}` and a final `data: [DONE]`): vLLM, Ollama, the
// llama.cpp server and OpenAI itself. The dialogue engines (the coach and
// the role-play customer) use it when they are configured with a provider.
//
// Client.Stream hands each content delta to a callback as it arrives, so
// the pipeline can cut sentences and start speech before the reply is
// complete. Cancelling the context (barge-in cancels it with
// context.WithCancelCause) aborts the HTTP request at once: the connection
// is closed and the provider sees it. Retries happen only before the first
// delta has been delivered; once text has gone out, a failure ends the call
// with ErrStreamCut and the caller keeps the part it has.
//
// # Library
//
// The wire protocol is handled by the official SDK,
// github.com/openai/openai-go/v3, rather than by hand-written SSE code or by
// github.com/sashabaranov/go-openai, because:
//
//   - it is kept by the API's owner and its SSE decoder follows the
//     specification (fields with or without the space after "data:",
//     comment lines, multi-line data, in-band {"error":…} events);
//   - its request parameters are real optionals (param.Opt), so a
//     temperature of 0 is sent; go-openai drops it (float32 with omitempty)
//     and the server applies its own default instead;
//   - option.WithResponseInto exposes the raw *http.Response of a failed
//     request, so this package reads Retry-After and the provider's error
//     body itself. That matters because the error bodies differ (OpenAI and
//     llama.cpp nest {"error":{"message"}}, older vLLM sends a top-level
//     "message", Ollama sometimes {"error":"text"}); go-openai's error
//     types carry no response headers, so Retry-After would be lost.
//
// Neither library tells a stream that ended with [DONE] from one whose
// connection closed cleanly, so this package counts a reply as complete
// only when a finish_reason arrived (all four servers send one); a chunked
// body cut short fails the read anyway. The price of the SDK is two small
// dependencies (tidwall/gjson, tidwall/sjson) and go.sum entries for Azure
// modules of its optional subpackages, which are not built.
//
// The SDK's own retries are off (option.WithMaxRetries(0)) and its
// per-attempt option.WithRequestTimeout is unused: the retry policy and both
// time-outs are implemented here with contexts, because the SDK's retry loop
// ends once response headers arrive (so a stall before the first token is
// never retried) and its time-out covers the whole response body rather
// than the wait for the first token. The
// client is built with openai.NewChatCompletionService, not openai.NewClient,
// so that no OPENAI_* environment variable (an API key above all) is picked
// up behind the configuration's back and sent to a self-hosted server.
//
// # Metrics
//
// Stream updates, in package metrics: LLMRequests (outcomes ok, error,
// cancelled, and one retried per extra attempt), LLMFirstToken (seconds
// from the call to the first delta, retries included), and
// LLMPromptTokens/LLMCompletionTokens from the usage the provider reports
// when asked with stream_options.include_usage.
package llm
