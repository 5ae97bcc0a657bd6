package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The guard is tested on addresses only: nothing here connects to a private
// address except the loopback test servers, and those must be refused.

func TestGuardAllowedIP(t *testing.T) {
	tests := []struct {
		ip      string
		allowed bool
	}{
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.0.1", false},
		{"fe80::1", false},
		{"febf::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:192.168.0.1", false},
		{"::ffff:100.64.0.1", false},
		{"::ffff:0.0.0.0", false},
		{"64:ff9b::10.0.0.1", false}, // NAT64 of a private address
		{"::127.0.0.1", false},       // IPv4-compatible, deprecated
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"255.255.255.255", false},

		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"172.15.255.255", true},
		{"172.32.0.0", true},
		{"100.63.255.255", true},
		{"100.128.0.0", true},
		{"169.253.255.255", true},
		{"11.0.0.1", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::8.8.8.8", true},
		{"2606:4700::1111", true},
		{"fec0::1", true}, // site-local, deprecated but routed as global
	}
	for _, tt := range tests {
		ip := net.ParseIP(tt.ip)
		if ip == nil {
			t.Fatalf("bad test IP %q", tt.ip)
		}
		if got := allowedIP(ip); got != tt.allowed {
			t.Errorf("allowedIP(%s) = %v, want %v", tt.ip, got, tt.allowed)
		}
		if got := allowedIP(ip.To16()); got != tt.allowed {
			t.Errorf("allowedIP(%s as 16 bytes) = %v, want %v", tt.ip, got, tt.allowed)
		}
	}
	if allowedIP(nil) {
		t.Error("allowedIP(nil) = true")
	}
}

func TestGuardControl(t *testing.T) {
	tests := []struct{ address, err string }{
		{"10.0.0.1:80", "address 10.0.0.1 is private (not allowed for this source)"},
		{"[::ffff:169.254.169.254]:80", "address ::ffff:169.254.169.254 is private (not allowed for this source)"},
		{"[fe80::1%eth0]:443", "address fe80::1 is private (not allowed for this source)"},
		{"[::1]:8080", "address ::1 is private (not allowed for this source)"},
		{"not-an-address", `cannot check address "not-an-address"`},
		{"93.184.215.14:443", ""},
		{"[2606:4700::1111]:443", ""},
	}
	for _, tt := range tests {
		err := guardControl("tcp", tt.address, nil)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("guardControl(%s) = %v, want nil", tt.address, err)
		case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
			t.Errorf("guardControl(%s) = %v, want %q", tt.address, err, tt.err)
		}
	}
}

// TestGuardRefusesLoopback: with AllowPrivate false the client refuses the
// loopback test server, whether named by IP (refused before dialling) or by
// host name (refused by the dialer after resolution), and never reaches it.
func TestGuardRefusesLoopback(t *testing.T) {
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(testFeed)) })
	u, _ := url.Parse(srv.URL)
	byName := "http://localhost:" + u.Port() + "/feed"
	c := NewClient(Options{})
	for _, target := range []string{srv.URL + "/feed", byName} {
		e := fetchErr(t, c, target)
		if e.Kind != KindPermanent || !strings.HasPrefix(e.Error(), "GET "+target+": address ") ||
			!strings.HasSuffix(e.Error(), " is private (not allowed for this source)") {
			t.Errorf("error %q kind %v, want a permanent refusal", e, e.Kind)
		}
		if _, ok := errors.AsType[*blockedError](e); !ok {
			t.Errorf("error %q does not wrap *blockedError", e)
		}
	}
	if paths, _ := log.snapshot(); len(paths) != 0 {
		t.Errorf("server was reached: %v", paths)
	}
	if e := fetchErr(t, c, srv.URL); e.Error() != "GET "+srv.URL+": address 127.0.0.1 is private (not allowed for this source)" {
		t.Errorf("Error() = %q", e)
	}
}

// TestGuardRedirectToMetadata: a public-looking source that redirects to the
// cloud metadata address is refused at that hop. The test transport dials
// only the test server, so a failing guard cannot reach anything else.
func TestGuardRedirectToMetadata(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	srvAddr := srv.Listener.Addr().String()
	var dialled []string
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		if addr != "feeds.example:80" {
			return nil, errors.New("test transport dials only feeds.example")
		}
		return (&net.Dialer{}).DialContext(ctx, network, srvAddr)
	}}
	e := fetchErr(t, NewClient(Options{Transport: transport}), "http://feeds.example/feed")
	want := "GET http://169.254.169.254/latest/meta-data/: address 169.254.169.254 is private (not allowed for this source)"
	if e.Error() != want || e.Kind != KindPermanent {
		t.Errorf("error %q kind %v, want %q", e, e.Kind, want)
	}
	if len(dialled) != 1 {
		t.Errorf("dialled %v, want only feeds.example:80", dialled)
	}
}
