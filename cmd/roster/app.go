package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/version"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// app holds what every command shares: the streams, the global flags and
// the database, opened on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dbPath string
	db     *store.DB
}

// usageError marks a mistake in how a command was called (exit status 2).
type usageError struct{ error }

// statusError ends the program with its own exit status (3: mail still
// queued; 75: try again later, for a mail system's pipe).
type statusError struct {
	error
	status int
}

// run is the whole program behind main, with its streams and arguments
// given, so end-to-end tests can call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	styled := a.styled()
	err := a.execute(ctx, root, styled)
	if a.db != nil {
		_ = a.db.Close() // leave (or give up) the file's owner
	}
	if err == nil {
		return exitOK
	}
	if isUsage(err) {
		if !styled {
			fmt.Fprintf(stderr, "roster: %v\nRun 'roster --help' for usage.\n", err)
		}
		return exitUsage
	}
	if !styled {
		fmt.Fprintf(stderr, "roster: %s\n", displayError(err))
	}
	var se statusError
	if errors.As(err, &se) {
		return se.status
	}
	return exitFailure
}

// isUsage reports a mistake in how roster was called (exit status 2).
func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") ||
		strings.HasPrefix(err.Error(), "unknown flag") || strings.HasPrefix(err.Error(), "unknown shorthand")
}

// displayError turns an error into the line a person reads: the message of
// an application error, the full chain for anything else.
func displayError(err error) string {
	if roster.ErrorCode(err) == roster.EINTERNAL {
		return err.Error()
	}
	var e *roster.Error
	errors.As(err, &e)
	if msg := err.Error(); strings.HasSuffix(msg, e.Error()) {
		return msg // keep the context callers wrapped around it ("user 3 of 10: …")
	}
	return e.Error()
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "roster",
		Short: "Administer user accounts from the terminal",
		Long: `Roster administers user accounts: add users, invite them by e-mail, organise
them in groups, and serve them to the office's apps over LDAP.

Run 'roster' with no command to open the terminal app.`,
		Version:       version.Info().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTUI(cmd)
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&a.dbPath, "db", os.Getenv("ROSTER_DB"),
		"database file (env ROSTER_DB; default $XDG_DATA_HOME/roster/roster.db)")
	a.addMail(root)              // mail flags (persistent) and the invite, mail, mailbox commands
	defer a.addCompletions(root) // once every command is in place
	root.AddCommand(
		a.usersCmd(),
		a.groupsCmd(),
		a.auditCmd(),
		a.checkCmd(),
		a.demoCmd(),
		a.serveCmd(),
		a.importCmd(),
		a.exportCmd(),
		a.backupCmd(),
		a.restoreCmd(),
		a.posixCmd(),
		a.doctorCmd(),
		manCmd(),
		a.invitationsCmd(),
	)
	a.addCompletions(root) // once every command is in place
	return root
}

// openDB opens the database named by --db, ROSTER_DB or the default path.
func (a *app) openDB() (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	path := a.dbPath
	if path == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	a.db = db
	return db, nil
}

// actor is who runs this process: the operating-system user, with owner powers.
func (a *app) actor() roster.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return roster.LocalActor(name)
}

// isTerminal reports whether stdin and stdout are a terminal.
func (a *app) isTerminal() bool {
	in, ok1 := a.stdin.(*os.File)
	out, ok2 := a.stdout.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd()))
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments (got %q)", cmd.CommandPath(), args[0])}
	}
	return nil
}

// knownSubcommand is the Args of a command that only groups others: an
// argument there is a mistyped subcommand.
func knownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s needs %d argument(s), got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Errorf("%s needs at least %d argument(s)", cmd.CommandPath(), n)}
		}
		return nil
	}
}
