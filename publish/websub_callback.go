package publish

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/topicfeed/topicfeed/feed"
)

// WebSubReceiver is the subscriber side of WebSub that the callback
// hands requests to (refresh.Refresher through serve's wiring).
type WebSubReceiver interface {
	// VerifyWebSub returns the challenge to echo for a hub's verification
	// GET; feed.ErrNotFound when the request is not one topicfeed made.
	VerifyWebSub(ctx context.Context, token string, q url.Values) (string, error)
	// ReceiveWebSub stores pushed content; an error wrapping
	// feed.ErrRefused means it was dropped (bad signature, not a feed),
	// feed.ErrNotFound that the token names no subscription.
	ReceiveWebSub(ctx context.Context, token string, body []byte, contentType, signature string) error
}

// NewWebSubCallback serves GET and POST /websub/callback/{token}: the
// hubs' verification of intent and their content pushes, which are read
// up to maxBody bytes (refresh.max_body).
func NewWebSubCallback(r WebSubReceiver, maxBody int64, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &webSubCallback{r: r, maxBody: maxBody, log: log}
}

type webSubCallback struct {
	r       WebSubReceiver
	maxBody int64
	log     *slog.Logger
}

func (h *webSubCallback) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	token := req.PathValue("token")
	switch req.Method {
	case http.MethodGet:
		challenge, err := h.r.VerifyWebSub(req.Context(), token, req.URL.Query())
		if err != nil {
			if !errors.Is(err, feed.ErrNotFound) {
				h.log.Error("websub verification", "err", err)
			}
			http.Error(w, "no such subscription request", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, challenge)
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, h.maxBody))
		if err != nil {
			http.Error(w, "body too large or cut short", http.StatusRequestEntityTooLarge)
			return
		}
		err = h.r.ReceiveWebSub(req.Context(), token, body, req.Header.Get("Content-Type"), req.Header.Get("X-Hub-Signature"))
		switch {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, feed.ErrNotFound):
			http.Error(w, "no such subscription", http.StatusNotFound)
		case errors.Is(err, feed.ErrRefused):
			// WebSub: acknowledge, so the hub does not retry, but keep nothing.
			h.log.Warn("websub push dropped", "err", err)
			w.WriteHeader(http.StatusAccepted)
		default:
			h.log.Error("websub push", "err", err)
			http.Error(w, "could not store the content; try again", http.StatusInternalServerError)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
