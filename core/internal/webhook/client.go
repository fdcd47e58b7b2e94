package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// DefaultTimeout is the usual bound of one delivery attempt, connecting, sending and
// reading the answer's status.
const DefaultTimeout = 10 * time.Second

// dialTimeout bounds connecting to a target, and its TLS handshake.
const dialTimeout = 5 * time.Second

// Client posts deliveries. Unless private targets are allowed, it refuses to connect to
// a private address (ErrPrivateTarget), checked on the address actually dialled so that
// DNS rebinding cannot reach one after the URL was checked. It follows no redirect. Safe
// for concurrent use.
type Client struct {
	http         *http.Client
	allowPrivate bool
}

// NewClient returns a Client whose attempts each take at most timeout (0 for no limit);
// allowPrivate lets it reach private and loopback addresses (tests and on-premises
// installs).
func NewClient(timeout time.Duration, allowPrivate bool) *Client {
	dialer := &net.Dialer{
		Timeout: dialTimeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			if allowPrivate {
				return nil
			}
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err == nil && private(ip) {
				return ErrPrivateTarget
			}
			return nil
		},
	}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: dialTimeout, MaxIdleConnsPerHost: 2}
	return &Client{allowPrivate: allowPrivate, http: &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// CheckURL checks a webhook URL before it is stored: an http or https URL with a host
// and no user info and, unless private targets are allowed, a host that is not and does
// not resolve to a private address (ErrPrivateTarget). Its other errors are texts for a
// person, such as "must be an http or https URL with a host".
func (c *Client) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return errors.New("must be an http or https URL with a host")
	}
	if c.allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if private(ip) {
			return ErrPrivateTarget
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, ip := range ips {
		if private(ip) {
			return ErrPrivateTarget
		}
	}
	return nil
}

// Post makes one attempt to deliver d to url, signed with secret (Sign). It returns nil
// for a 2xx answer, an error wrapping ErrPrivateTarget when the target is refused, and
// another error for any other answer or failure.
func (c *Client) Post(ctx context.Context, url string, secret []byte, d Delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "avatar-webhooks/1")
	req.Header.Set("X-Avatar-Event", d.Event)
	req.Header.Set("X-Avatar-Delivery", d.ID)
	req.Header.Set("X-Avatar-Timestamp", d.Timestamp)
	req.Header.Set("X-Avatar-Signature", Sign(secret, d.Timestamp, d.Body))
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("post: HTTP %d", res.StatusCode)
	}
	return nil
}

// private reports whether ip is one a webhook may not reach by default; 100.64.0.0/10
// is carrier-grade NAT space (RFC 6598), private in practice.
func private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}
