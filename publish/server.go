package publish

import (
	"net/http"
	"time"
)

// Limits of the HTTP server (docs/API.md, "Limits"): what one connection
// may hold on to, whatever it sends.
const (
	// MaxHeaderBytes bounds the request line and headers. It is above the
	// search's own caps, so that an over-long query gets the search's 400,
	// which says what the cap is, rather than a bare 431. (net/http's
	// default is 1 MB.)
	MaxHeaderBytes = 128 << 10
	// ReadHeaderTimeout cuts off a client that is slow to send its
	// request line and headers, as a slowloris client is.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request, body included (the
	// admin API takes at most 64 KiB).
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a response: a reader too slow to take a feed
	// in a minute is cut off.
	WriteTimeout = 60 * time.Second
	// IdleTimeout closes keep-alive connections left idle.
	IdleTimeout = 120 * time.Second
)

// NewServer returns a server of h with the limits above.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, MaxHeaderBytes: MaxHeaderBytes, ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout: ReadTimeout, WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout}
}
