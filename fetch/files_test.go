package fetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFileTooLarge: a local input over MaxFileSize is refused by its
// size before any byte is read (the file here is sparse).
func TestReadFileTooLarge(t *testing.T) {
	name := filepath.Join(t.TempDir(), "huge.xml")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := ReadFile(context.Background(), name, nil)
	if got.Err == nil || !strings.HasPrefix(got.Err.Error(), name+": larger than 64 MiB, the limit on an input file") {
		t.Errorf("err = %v, want a one-line size error naming the file", got.Err)
	}
	stdin := strings.NewReader(strings.Repeat("x", MaxFileSize+1))
	if got := ReadFile(context.Background(), "-", stdin); got.Err == nil || !strings.HasPrefix(got.Err.Error(), "-: larger than") {
		t.Errorf("stdin err = %v", got.Err)
	}
}
