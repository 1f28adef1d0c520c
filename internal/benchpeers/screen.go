package main

import (
	"regexp"
	"strconv"
	"strings"
)

// Reading the terminal app's user list off a captured screen: the column
// titles line, then one row a user (the cursor's mark first, then the
// name, username, e-mail…), and a footer "N shown · sort: …".

// titlesLine returns the index of the list's column titles in lines, or -1.
func titlesLine(lines []string) int {
	for i, l := range lines {
		if strings.Contains(l, "Name") && strings.Contains(l, "Username") && strings.Contains(l, "E-mail") {
			return i
		}
	}
	return -1
}

// firstRowIs reports whether the list's first row shows username.
func firstRowIs(screen, username string) bool {
	lines := strings.Split(screen, "\n")
	i := titlesLine(lines)
	return i >= 0 && i+1 < len(lines) && rowHasUser(lines[i+1], username)
}

// rowHasUser reports whether a list row shows username as one of its
// cells; a username cut to its column's width ("alice.andersen2…") counts.
func rowHasUser(line, username string) bool {
	for _, f := range strings.Fields(line) {
		if f == username {
			return true
		}
		if cut, ok := strings.CutSuffix(f, "…"); ok && len(cut) >= 8 && strings.HasPrefix(username, cut) {
			return true
		}
	}
	return false
}

// filterLineShown reports whether the filter input is open: the line above
// the column titles starts with "/".
func filterLineShown(screen string) bool {
	lines := strings.Split(screen, "\n")
	i := titlesLine(lines)
	return i >= 1 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "/")
}

var shownRE = regexp.MustCompile(`(\d[\d,]*) shown`)

// shownCount reads the footer's count of rows shown.
func shownCount(screen string) (int, bool) {
	m := shownRE.FindAllStringSubmatch(screen, -1)
	if len(m) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[len(m)-1][1], ",", ""))
	return n, err == nil
}
