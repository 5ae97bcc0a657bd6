package fetch

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
)

// blockedError refuses a connection to an address a remote source must not
// reach: loopback, private, link-local (including cloud metadata services),
// shared (CGNAT), unspecified, multicast and reserved ranges.
type blockedError struct{ addr netip.Addr }

func (e *blockedError) Error() string {
	return fmt.Sprintf("address %s is private (not allowed for this source)", e.addr)
}

// blockedPrefixes are the ranges netip.Addr's predicates do not name.
// Loopback, RFC 1918 / fc00::/7, link-local and unspecified are checked
// with IsLoopback, IsPrivate, IsLinkLocalUnicast and IsUnspecified.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and broadcast
	netip.MustParsePrefix("::/96"),         // IPv4-compatible (deprecated), :: and ::1
}

// nat64 is the well-known NAT64 prefix: its last 32 bits are an IPv4 address,
// which is what the connection reaches.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// allowedIP reports whether a remote source may connect to ip.
func allowedIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && allowedAddr(a)
}

func allowedAddr(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// guardControl is a net.Dialer.Control function: it runs after DNS
// resolution, for every address dialled (each redirect hop, each DNS answer
// tried), and refuses those allowedAddr rejects.
func guardControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check address %q: %w", address, err)
	}
	if !allowedAddr(ap.Addr()) {
		return &blockedError{ap.Addr().WithZone("")}
	}
	return nil
}

// checkLiteralHost refuses a URL whose host is a literal blocked IP before
// any connection is tried. It also covers Options.Transport, where the dial
// guard cannot be installed; host names are checked at dial time only.
func checkLiteralHost(u *url.URL) error {
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return nil
	}
	if !allowedAddr(a) {
		return &blockedError{a.WithZone("")}
	}
	return nil
}
