package main

import (
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster/tui"
	"github.com/spf13/cobra"
)

// runTUI opens the terminal app on the terminal the command runs in.
func (a *app) runTUI(cmd *cobra.Command) error {
	if !a.isTerminal() {
		return errors.New("the terminal app needs a terminal; run a command instead (see 'roster --help')")
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	m := tui.New(tui.Options{DB: db, Actor: a.actor(), DarkBackground: true})
	p := tea.NewProgram(m,
		tea.WithContext(cmd.Context()),
		tea.WithInput(a.stdin),
		tea.WithOutput(a.stdout),
		tea.WithEnvironment(os.Environ()),
	)
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal app: %w", err)
	}
	return nil
}
