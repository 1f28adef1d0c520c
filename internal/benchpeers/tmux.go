package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// tmuxControl drives a tmux server of its own (its socket in this
// program's temporary folder, no configuration file) through one control-mode client (tmux -C): commands
// go down a pipe and their output comes back, so a screen capture costs a
// round trip, not a new tmux process (~15 ms each on this machine, half
// the first keystroke's target).
type tmuxControl struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	session string
}

// startTmux starts a tmux server on the socket file with one session of the given
// size running shellCmd, and attaches to it in control mode.
func startTmux(socket, session string, width, height int, env []string, shellCmd string) (*tmuxControl, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, errors.New("tmux is missing: install the Debian package tmux")
	}
	cmd := exec.Command("tmux", "-f", "/dev/null", "-S", socket, "-C", "new-session",
		"-s", session, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), shellCmd)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &tmuxControl{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16), session: session}
	// The session's own creation answers first; a marker finds the end of
	// whatever comes before our first command's answer.
	if _, err := fmt.Fprintln(in, "display-message -p benchpeers-ready"); err != nil {
		t.close()
		return nil, err
	}
	for {
		lines, err := t.block()
		if err != nil {
			t.close()
			return nil, fmt.Errorf("tmux control client: %w", err)
		}
		if len(lines) == 1 && lines[0] == "benchpeers-ready" {
			break
		}
	}
	// The pane's output is not wanted: only captures are read.
	if _, err := t.do("refresh-client -f no-output"); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// do runs one tmux command and returns its output lines.
func (t *tmuxControl) do(command string) ([]string, error) {
	if _, err := fmt.Fprintln(t.in, command); err != nil {
		return nil, err
	}
	lines, err := t.block()
	if err != nil {
		return nil, fmt.Errorf("tmux %s: %w", command, err)
	}
	return lines, nil
}

// block reads the next %begin … %end answer and returns its lines;
// notifications outside blocks (%output, %session-changed…) are skipped.
func (t *tmuxControl) block() ([]string, error) {
	var lines []string
	in := false
	for {
		line, err := t.out.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case !in && strings.HasPrefix(line, "%begin "):
			in = true
		case !in && strings.HasPrefix(line, "%exit"):
			return nil, errors.New("tmux exited: " + line)
		case !in:
		case strings.HasPrefix(line, "%end "):
			return lines, nil
		case strings.HasPrefix(line, "%error "):
			return nil, errors.New(strings.Join(lines, "\n"))
		default:
			lines = append(lines, line)
		}
	}
}

// capture returns the pane's screen as text.
func (t *tmuxControl) capture() (string, error) {
	lines, err := t.do("capture-pane -p -t " + t.session)
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

// keys sends tmux key names (/, Escape, Enter…); text sends literal text.
func (t *tmuxControl) keys(keys string) error {
	_, err := t.do("send-keys -t " + t.session + " " + keys)
	return err
}

func (t *tmuxControl) text(s string) error {
	_, err := t.do("send-keys -t " + t.session + " -l " + shQuote(s)) // tmux reads single quotes as sh does
	return err
}

// panePID is the process id of the program in the pane.
func (t *tmuxControl) panePID() (int, error) {
	lines, err := t.do("display-message -p -t " + t.session + " '#{pane_pid}'")
	if err != nil {
		return 0, err
	}
	var pid int
	if len(lines) != 1 {
		return 0, fmt.Errorf("pane pid: %q", lines)
	}
	if _, err := fmt.Sscan(lines[0], &pid); err != nil {
		return 0, fmt.Errorf("pane pid %q: %w", lines[0], err)
	}
	return pid, nil
}

// waitScreen captures the screen every interval until ok says yes, and
// returns that screen and when its capture came back; after timeout it
// fails with the last screen.
func (t *tmuxControl) waitScreen(interval, timeout time.Duration, what string, ok func(string) bool) (string, time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		screen, err := t.capture()
		at := time.Now()
		if err != nil {
			return "", at, err
		}
		if ok(screen) {
			return screen, at, nil
		}
		if at.After(deadline) {
			return "", at, fmt.Errorf("no %s on screen after %s; the screen:\n%s", what, timeout, screen)
		}
		time.Sleep(interval)
	}
}

// close ends the tmux server (and the program in it) and the client.
func (t *tmuxControl) close() {
	_, _ = fmt.Fprintln(t.in, "kill-server")
	t.in.Close()
	done := make(chan struct{})
	go func() { _ = t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = t.cmd.Process.Kill()
		<-done
	}
}
