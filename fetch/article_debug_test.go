package fetch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestArticleDebugDump(t *testing.T) {
	pat := os.Getenv("ARTDUMP")
	if pat == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(pat)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		it, err := ParseArticle(f, data, time.Unix(0, 0))
		fmt.Printf("=== %s err=%v\nTITLE: %q\nDATE: %s URL: %q AUTHOR: %q CATS: %q\n%s\n", filepath.Base(f), err, it.Title, it.Published, it.URL, it.Author, it.Categories, it.Text)
	}
}
