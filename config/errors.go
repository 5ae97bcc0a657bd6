package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	case p.File != "":
		return p.File + ": " + p.Msg
	}
	return p.Msg
}

// Error lists every problem found in a config file, one per line.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

var (
	lineRe    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)
	typeRe    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.*)$")
)

// decodeError turns yaml.v3's messages into file:line problems a user can act on.
func decodeError(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	e := &Error{}
	for _, m := range msgs {
		p := Problem{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := lineRe.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Msg = friendly(sm[2])
		}
		e.Problems = append(e.Problems, p)
	}
	return e
}

func friendly(msg string) string {
	if m := unknownRe.FindStringSubmatch(msg); m != nil {
		where := strings.ToLower(m[2])
		if where == "config" {
			return fmt.Sprintf("unknown key %q", m[1])
		}
		return fmt.Sprintf("unknown key %q in %s", m[1], where)
	}
	if m := typeRe.FindStringSubmatch(msg); m != nil {
		want := strings.TrimPrefix(m[3], "config.")
		switch {
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case want == "int", want == "*int":
			want = "a whole number"
		case want == "string":
			want = "text"
		case want == "bool":
			want = "true or false"
		default:
			want = "a " + strings.ToLower(want) + " section"
		}
		return fmt.Sprintf("%q is not %s", m[2], want)
	}
	return msg
}
