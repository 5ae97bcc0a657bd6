package publish

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The console signs an editor in with the admin token typed into a form.
// The session is a random id kept in memory (a restart signs everyone
// out), sent back as an HttpOnly, SameSite=Strict cookie; every form
// carries the session's CSRF token, and every POST must bring it and,
// when the browser says where it comes from, come from this site.
const (
	sessionCookie = "topicfeed_session"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1024
)

type session struct {
	csrf    string
	expires time.Time
}

// sessions are the signed-in editors, keyed by a hash of the cookie so
// the map holds nothing a memory dump could replay.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]session
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start makes a session and returns its cookie value and CSRF token.
func (s *sessions) start(now time.Time) (id, csrf string) {
	id, csrf = randomToken(), randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.m {
			if v.expires.Before(now) {
				delete(s.m, k)
			} else if at.IsZero() || v.expires.Before(at) {
				oldest, at = k, v.expires
			}
		}
		if len(s.m) >= maxSessions {
			delete(s.m, oldest)
		}
	}
	s.m[sha256.Sum256([]byte(id))] = session{csrf: csrf, expires: now.Add(sessionTTL)}
	return id, csrf
}

// get returns the session of r's cookie, if it is live.
func (s *sessions) get(r *http.Request, now time.Time) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	key := sha256.Sum256([]byte(c.Value))
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if ok && now.After(v.expires) {
		delete(s.m, key)
		return session{}, false
	}
	return v, ok
}

func (s *sessions) end(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.m, sha256.Sum256([]byte(c.Value)))
		s.mu.Unlock()
	}
}

// tokenMatches compares a typed token with the admin token in constant
// time, hashing both so not even the length leaks.
func (p *Publisher) tokenMatches(got string) bool {
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(p.opt.AdminToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// sameOrigin rejects a request a browser says comes from another site:
// its Origin (or, without one, Sec-Fetch-Site) must name this server, as
// reached (Host) or as published (BaseURL). Clients that send neither
// (curl) pass; the CSRF token still guards them.
func (p *Publisher) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	u, err := url.Parse(origin)
	if err != nil || origin == "null" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if b, err := url.Parse(p.base); err == nil && b.Host != "" {
		return strings.EqualFold(u.Scheme+"://"+u.Host, b.Scheme+"://"+b.Host)
	}
	return false
}

// editor returns the signed-in editor's session, if any.
func (p *Publisher) editor(r *http.Request) (session, bool) {
	if p.admin == nil {
		return session{}, false
	}
	return p.admin.sessions.get(r, time.Now())
}

// signedIn wraps a console page: without a session it shows the sign-in
// form (GET) or refuses (POST); a POST must also pass the CSRF and
// origin checks.
func (p *Publisher) signedIn(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, ok := p.editor(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				p.serveLogin(w, r, http.StatusUnauthorized, "")
				return
			}
			http.Error(w, "not signed in: sign in at /admin first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
			if !p.sameOrigin(r) {
				http.Error(w, "request from another site refused (Origin "+short(r.Header.Get("Origin"), maxNameQuote)+")", http.StatusForbidden)
				return
			}
			got := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
				http.Error(w, "form expired or forged (CSRF token missing or wrong): reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r, s)
	}
}

func (p *Publisher) serveLogin(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "/admin/login") {
		next = "/admin"
	}
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "admin_login.html", struct {
		page
		Next, Error string
	}{p.newPage("Sign in"), next, msg}); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte(buf.String()))
}

// login checks the typed token; attempts per client are rate-limited so
// the token cannot be guessed quickly.
func (p *Publisher) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	if !p.sameOrigin(r) {
		http.Error(w, "sign-in from another site refused", http.StatusForbidden)
		return
	}
	if d := p.admin.logins.wait(r.RemoteAddr, time.Now()); d > 0 {
		retryAfter(w, d)
		p.serveLogin(w, r, http.StatusTooManyRequests, "Too many attempts; wait a few seconds.")
		return
	}
	if !p.tokenMatches(r.PostFormValue("token")) {
		p.serveLogin(w, r, http.StatusUnauthorized, "That is not the admin token.")
		return
	}
	id, _ := p.admin.sessions.start(time.Now())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || strings.HasPrefix(p.base, "https:")})
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/admin"
	}
	http.Redirect(w, r, p.basePath()+next, http.StatusSeeOther)
}

func (p *Publisher) logout(w http.ResponseWriter, r *http.Request, _ session) {
	p.admin.sessions.end(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, p.basePath()+"/", http.StatusSeeOther)
}

// basePath is the path part of the base URL: redirects stay on the host
// the browser used (its cookie is for that host), under the site's prefix.
func (p *Publisher) basePath() string {
	if u, err := url.Parse(p.base); err == nil {
		return strings.TrimRight(u.Path, "/")
	}
	return ""
}

// localPath reports whether next is a path on this site to send a signed-in
// editor back to: no scheme or host, and nothing a browser would strip or
// turn into one ("/\t/evil.example" is followed as "//evil.example").
func localPath(next string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return false
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(u.Path, "//")
}
