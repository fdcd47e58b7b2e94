package llm

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultFirstTokenTimeout is the default Config.FirstTokenTimeout.
	DefaultFirstTokenTimeout = 10 * time.Second
	// DefaultTimeout is the default Config.Timeout.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxAttempts is the default Config.MaxAttempts.
	DefaultMaxAttempts = 3
	// DefaultBackoff is the default Config.Backoff.
	DefaultBackoff = 250 * time.Millisecond
)

// Config sets up a Client. Zero fields take the defaults given on each.
type Config struct {
	// BaseURL is the provider's root, for example "http://127.0.0.1:8000"
	// (vLLM), "http://127.0.0.1:11434" (Ollama), "http://127.0.0.1:8080"
	// (llama.cpp) or "https://api.openai.com". Requests go to
	// {BaseURL}/v1/chat/completions; a BaseURL that already ends in "/v1"
	// is used as it is. Required; the scheme must be http or https.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer {APIKey}" when set; leave it
	// empty for servers that need none. No environment variable is read.
	APIKey string
	// Model is the model name sent with every request, and the model label
	// of the token metrics. Required.
	Model string
	// FirstTokenTimeout bounds each attempt's wait, from sending the
	// request, for its first content delta; when it passes, the attempt is
	// abandoned and retried. Default DefaultFirstTokenTimeout (10 s). It
	// must not exceed Timeout.
	FirstTokenTimeout time.Duration
	// Timeout bounds a whole Stream call, retries and backoff included.
	// Default DefaultTimeout (60 s).
	Timeout time.Duration
	// MaxAttempts is the most requests one Stream call sends (1 means no
	// retry). Default DefaultMaxAttempts (3).
	MaxAttempts int
	// Backoff is the wait before the second attempt; it doubles for each
	// further attempt, with up to half of it taken off at random, and a
	// longer Retry-After (or Retry-After-Ms) from the provider wins.
	// Default DefaultBackoff (250 ms).
	Backoff time.Duration
	// HTTPClient sends the requests. Default a client of its own with a
	// clone of http.DefaultTransport and no Timeout. A Timeout set on it
	// would also cut long streams; prefer Config.Timeout.
	HTTPClient *http.Client
	// Logger receives retries and failures. Default: discard.
	Logger *slog.Logger
}

// withDefaults returns cfg with its zero fields filled.
func (cfg Config) withDefaults() Config {
	if cfg.FirstTokenTimeout == 0 {
		cfg.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.HTTPClient == nil {
		transport, ok := http.DefaultTransport.(*http.Transport)
		if ok {
			cfg.HTTPClient = &http.Client{Transport: transport.Clone()}
		} else {
			cfg.HTTPClient = &http.Client{}
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// validate checks cfg after defaults; each message names the field.
func (cfg Config) validate() error {
	if cfg.BaseURL == "" {
		return fmt.Errorf("%w: BaseURL is required", ErrConfig)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return fmt.Errorf("%w: BaseURL: %w", ErrConfig, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%w: BaseURL %q must be an http or https URL with a host", ErrConfig, cfg.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: BaseURL %q must have no query or fragment", ErrConfig, cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return fmt.Errorf("%w: Model is required", ErrConfig)
	}
	if cfg.FirstTokenTimeout < 0 {
		return fmt.Errorf("%w: FirstTokenTimeout %v must not be negative", ErrConfig, cfg.FirstTokenTimeout)
	}
	if cfg.Timeout < 0 {
		return fmt.Errorf("%w: Timeout %v must not be negative", ErrConfig, cfg.Timeout)
	}
	if cfg.FirstTokenTimeout > cfg.Timeout {
		return fmt.Errorf("%w: FirstTokenTimeout %v must not exceed Timeout %v", ErrConfig, cfg.FirstTokenTimeout, cfg.Timeout)
	}
	if cfg.MaxAttempts < 0 {
		return fmt.Errorf("%w: MaxAttempts %d must not be negative", ErrConfig, cfg.MaxAttempts)
	}
	if cfg.Backoff < 0 {
		return fmt.Errorf("%w: Backoff %v must not be negative", ErrConfig, cfg.Backoff)
	}
	return nil
}

// apiBase returns the base URL the SDK resolves "chat/completions" against:
// BaseURL with "/v1/" appended unless it already ends in "/v1".
func apiBase(baseURL string) string {
	b := strings.TrimRight(baseURL, "/")
	if !strings.HasSuffix(b, "/v1") {
		b += "/v1"
	}
	return b + "/"
}
