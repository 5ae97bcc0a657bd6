// Command topicfeed aggregates articles from feeds and files, merges
// duplicates and republishes curated topic feeds. This package only wires
// the other packages together and maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"

	"github.com/topicfeed/topicfeed/config"
)

// Exit statuses shared by every subcommand (see DESIGN.md).
const (
	exitOK        = 0
	exitFailed    = 1
	exitBadConfig = 2
)

// exitError carries a status other than 1 up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errQuiet marks a failure whose details were already printed.
var errQuiet = errors.New("failed")

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *env, args []string) error
}

var commands = []command{
	{"serve", "", "run the daemon: refresh sources, watch folders, serve HTTP", runServe},
	{"refresh", "[-source NAME]... [-force]", "one pass over due sources, for cron", runRefresh},
	{"ingest", "PATH...", "ingest files, folders (recursive) or - (stdin)", runIngest},
	{"render", "TOPIC [-format rss|atom|json] [-o FILE]", "write one topic feed", runRender},
	{"explain", "TOPIC | -item ID", "show why items match a topic, or why an item was merged", runExplain},
	{"pin", "TOPIC ITEM", "pin an item to the top of a topic", runPin},
	{"hide", "TOPIC ITEM", "hide an item from a topic", runHide},
	{"unpin", "TOPIC ITEM", "undo pin", runUnpin},
	{"unhide", "TOPIC ITEM", "undo hide", runUnhide},
	{"split", "ITEM COPY", "split a wrongly merged copy off into an item of its own", runSplit},
	{"merge", "ITEM OTHER", "merge item OTHER, a missed duplicate, into ITEM", runMerge},
	{"search", "QUERY [-format F] [-limit N]", "full-text search with the rule language", runSearch},
	{"prune", "", "delete items beyond the retention policy (pinned items stay)", runPrune},
	{"backup", "FILE", "write a consistent copy of the database to FILE", runBackup},
	{"copy-db", "-from FILE -to postgres://URL", "copy a SQLite database into an empty PostgreSQL database", runCopyDB},
	{"topics", "", "list topics with counts and last update", runTopics},
	{"sources", "", "list sources with fetch state", runSources},
	{"opml", "export | import FILE", "sources as OPML 2.0", runOPML},
	{"check", "", "validate the config file", runCheck},
	{"version", "", "print version information", runVersion},
}

func main() {
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs one subcommand and returns the exit status; tests call it.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitBadConfig
		}
		return exitOK
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "topicfeed: unknown command %q\nTry: topicfeed help\n", args[0])
		return exitBadConfig
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	err := cmd.run(ctx, e, args[1:])
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if !errors.Is(err, errQuiet) {
		fmt.Fprintf(stderr, "topicfeed %s: %v\n", cmd.name, err)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return exitBadConfig
	}
	return exitFailed
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "topicfeed aggregates feeds and article files into curated topic feeds.")
	fmt.Fprintln(w, "\nUsage: topicfeed COMMAND [-config FILE] [options]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %-40s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command reads -config FILE (default topicfeed.yaml; built-in defaults when absent).")
}

// env is what every subcommand gets: streams and, once loaded, the config.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	configPath string
	logFormat  string
	cfg        *config.Config
	log        *slog.Logger
}

// flags returns a FlagSet with the options every subcommand shares.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("topicfeed "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", "", "config file (default "+config.DefaultPath+")")
	fs.StringVar(&e.logFormat, "log-format", "", "log format: text or json (default text on a terminal, json otherwise)")
	return fs
}

// parse parses flags that may stand before, between or after positional
// arguments ("render pakistan -format atom"), returning the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// load reads the config named by -config, or the default file if present.
func (e *env) load() error {
	path, explicit := e.configPath, e.configPath != ""
	if !explicit {
		path = config.DefaultPath
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fmt.Fprintln(e.stderr, ce.Error())
			return &exitError{exitBadConfig, errQuiet}
		}
		return &exitError{exitBadConfig, fmt.Errorf("config %s: %w", path, err)}
	}
	e.cfg = cfg
	e.log = newLogger(e.stderr, e.logFormat)
	return nil
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func runVersion(_ context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("version"), args); err != nil {
		return err
	}
	version, commit := "devel", "unknown"
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(e.stdout, "topicfeed %s (commit %s, %s)\n", version, commit, goVersion)
	return nil
}
