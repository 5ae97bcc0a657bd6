package publish

import "testing"

// TestLocalPath: after sign-in an editor goes back only to a path on this
// site, never to one a browser would read as another host.
func TestLocalPath(t *testing.T) {
	for next, want := range map[string]bool{
		"/admin":                           true,
		"/admin/playground?topic=a&rule=x": true,
		"/topics/rail":                     true,
		"":                                 false,
		"admin":                            false,
		"//evil.example":                   false,
		"/\\evil.example":                  false,
		"/\t/evil.example":                 false,
		"/\n/evil.example":                 false,
		"/%09/evil.example":                true, // stays an escaped path segment
		"https://evil.example/":            false,
		"/\x7f":                            false,
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %v, want %v", next, got, want)
		}
	}
}
