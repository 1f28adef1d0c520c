package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/fang/v2"
	mcobra "github.com/muesli/mango-cobra"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// styled reports whether help and errors go to a person: stdout and stderr
// both terminals. Then fang styles them; in a pipe, a script or a test
// they stay cobra's plain text, which scripts and tests read.
func (a *app) styled() bool {
	out, ok1 := a.stdout.(*os.File)
	errf, ok2 := a.stderr.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(out.Fd())) && term.IsTerminal(int(errf.Fd()))
}

// execute runs the command tree, through fang when styled. The exit
// status stays run's: 0, 1 on failure, 2 on a usage error.
func (a *app) execute(ctx context.Context, root *cobra.Command, styled bool) error {
	if !styled {
		return root.ExecuteContext(ctx)
	}
	return fang.Execute(ctx, root,
		fang.WithoutVersion(), // --version is ours: version, commit, date, Go
		fang.WithoutManpage(), // `roster man` is ours, writing to the command's output
		fang.WithErrorHandler(styledError),
	)
}

// styledError prints what run would print, in fang's styles.
func styledError(w io.Writer, styles fang.Styles, err error) {
	msg := displayError(err)
	if isUsage(err) {
		msg = err.Error()
	}
	fmt.Fprintln(w, styles.ErrorHeader.String())
	fmt.Fprintln(w, styles.ErrorText.Render(msg))
	fmt.Fprintln(w)
	if isUsage(err) {
		fmt.Fprintln(w, styles.ErrorText.UnsetWidth().Render("Run 'roster --help' for usage."))
		fmt.Fprintln(w)
	}
}

// manCmd writes roster(1), generated from the commands and their flags.
// `make man` and the package use it.
func manCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man",
		Short:  "Write the manual page roster(1) in roff to stdout",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			unwrapLong(cmd.Root())
			page, err := mcobra.NewManPage(1, cmd.Root())
			if err != nil {
				return err
			}
			page = page.WithSection("Exit status", "0 on success, 1 on failure (with a message on stderr), 2 on a usage error.")
			_, err = fmt.Fprint(cmd.OutOrStdout(), page.Build(roff.NewDocument()))
			return err
		},
	}
}

// unwrapLong joins the lines of each paragraph of every command's Long
// text: mango makes a paragraph of every line, and help's line breaks are
// for an 80-column terminal, which man reflows itself. Only `roster man`
// calls it, just before the process ends.
func unwrapLong(c *cobra.Command) {
	paras := strings.Split(c.Long, "\n\n")
	for i, p := range paras {
		if !strings.Contains(p, "\n ") && !strings.Contains(p, "\n\t") && !strings.HasPrefix(p, " ") {
			paras[i] = strings.Join(strings.Fields(p), " ") // prose; indented examples keep their lines
		}
	}
	c.Long = strings.Join(paras, "\n\n")
	for _, sub := range c.Commands() {
		unwrapLong(sub)
	}
}
