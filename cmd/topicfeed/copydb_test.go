package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
	"github.com/topicfeed/topicfeed/store"
)

func TestCopyDB(t *testing.T) {
	cfg, harbourID, _ := curateSetup(t)
	if code, _, errs := run(t, "", "pin", "-config", cfg, "harbour", harbourID); code != 0 {
		t.Fatalf("pin: %d %s", code, errs)
	}
	from := filepath.Join(filepath.Dir(cfg), "tf.db")
	to := pgtest.DSN(t)
	code, out, errs := run(t, "", "copy-db", "-from", from, "-to", to)
	if code != 0 {
		t.Fatalf("copy-db: status %d: %s", code, errs)
	}
	for _, want := range []string{"\nitems: 2 rows\n", "\ncuration: 1 rows\n", "\nsearch: 2 rows\n",
		"copied " + from + " to " + store.Redact(to) + ": ", "2 items", "counts checked"} {
		if !strings.Contains("\n"+out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The same config on the copy renders the same feed and finds the same.
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pgCfg := filepath.Join(t.TempDir(), "topicfeed.yaml")
	os.WriteFile(pgCfg, []byte(strings.Replace(string(body), "database: tf.db", `database: "`+to+`"`, 1)), 0o644)
	for _, args := range [][]string{{"render", "harbour"}, {"search", "harbour OR heatwave"}, {"topics"}} {
		_, a, _ := run(t, "", append(args, "-config", cfg)...)
		code, b, errs := run(t, "", append(args, "-config", pgCfg)...)
		if code != 0 || a != b || a == "" {
			t.Errorf("%s: on SQLite\n%s\non PostgreSQL (status %d, %s)\n%s", args[0], a, code, errs, b)
		}
	}

	// -to defaults to the config's database; it now holds items.
	code, _, errs = run(t, "", "copy-db", "-config", pgCfg, "-from", from)
	if code != exitFailed || !strings.Contains(errs, "already holds 2 items; copy into an empty database") ||
		strings.Count(errs, "\n") != 1 {
		t.Errorf("second copy: status %d, %q; want a one-line refusal", code, errs)
	}
	for _, args := range [][]string{
		{"-to", to},
		{"-from", from, "-to", filepath.Join(t.TempDir(), "other.db")},
		{"-from", from, "-to", to, "extra"},
		{"-from", from, "-config", cfg}, // the config's database is SQLite
		{"-bogus"},
	} {
		if code, _, errs := run(t, "", append([]string{"copy-db"}, args...)...); code != exitBadConfig || errs == "" {
			t.Errorf("copy-db %s: status %d, %q; want 2 and why", strings.Join(args, " "), code, errs)
		}
	}
	if code, _, errs := run(t, "", "copy-db", "-from", filepath.Join(t.TempDir(), "none.db"), "-to", pgtest.DSN(t)); code != exitFailed ||
		!strings.Contains(errs, "no such file") {
		t.Errorf("copy from a missing file: %d %q", code, errs)
	}
}
