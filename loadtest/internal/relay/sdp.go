package relay

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// StripCandidates removes the ICE candidates from an SDP offer. An edge
// given such an offer can only learn the caller's address from the
// connectivity checks it receives, that is, through the relay (as a
// peer-reflexive candidate), and never bypasses it.
func StripCandidates(sdp string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// MediaCandidate returns the address of the first IPv4 UDP host candidate
// of an SDP description, preferring a loopback one (the load tester's
// callers use loopback only).
func MediaCandidate(sdp string) (*net.UDPAddr, error) {
	var first *net.UDPAddr
	for _, l := range strings.Split(sdp, "\n") {
		f, ok := candidateFields(l)
		if !ok || !strings.EqualFold(f[2], "udp") {
			continue
		}
		ip := net.ParseIP(f[4]).To4()
		port, err := strconv.Atoi(f[5])
		if ip == nil || err != nil || port <= 0 || port > 65535 {
			continue
		}
		a := &net.UDPAddr{IP: ip, Port: port}
		if ip.IsLoopback() {
			return a, nil
		}
		if first == nil {
			first = a
		}
	}
	if first == nil {
		return nil, fmt.Errorf("relay: no IPv4 UDP candidate in the SDP")
	}
	return first, nil
}

// PointCandidates replaces the ICE candidates of an SDP answer with one
// host candidate at addr (the relay), keeping the first UDP candidate's
// foundation, component and priority.
func PointCandidates(sdp string, addr *net.UDPAddr) (string, error) {
	var b strings.Builder
	done := false
	for _, l := range strings.SplitAfter(sdp, "\n") {
		f, ok := candidateFields(strings.TrimRight(l, "\r\n"))
		if !ok {
			b.WriteString(l)
			continue
		}
		if done || !strings.EqualFold(f[2], "udp") {
			continue
		}
		fmt.Fprintf(&b, "a=candidate:%s %s udp %s %s %d typ host\r\n", f[0], f[1], f[3], addr.IP, addr.Port)
		done = true
	}
	if !done {
		return "", fmt.Errorf("relay: no UDP candidate in the SDP to point at %s", addr)
	}
	return b.String(), nil
}

// candidateFields splits an a=candidate line: foundation, component,
// transport, priority, address, port, "typ", type, ….
func candidateFields(line string) ([]string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "a=candidate:")
	if !ok {
		return nil, false
	}
	f := strings.Fields(rest)
	if len(f) < 8 || f[6] != "typ" {
		return nil, false
	}
	return f, true
}
