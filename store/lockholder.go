package store

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder names the process that holds the flock on path, read from
// /proc/locks, for an error message. It returns "another process" when it
// cannot tell (not Linux, or the holder is out of sight).
func lockHolder(path string) string {
	const unknown = "another process"
	fi, err := os.Stat(path)
	if err != nil {
		return unknown
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return unknown
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return unknown
	}
	defer f.Close()
	suffix := ":" + strconv.FormatUint(st.Ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || !strings.HasSuffix(fields[5], suffix) {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		return describeProcess(pid)
	}
	return unknown
}

func describeProcess(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return fmt.Sprintf("process %d", pid)
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) > 4 {
		args = append(args[:4], "…")
	}
	return fmt.Sprintf("process %d (%s)", pid, strings.Join(args, " "))
}
