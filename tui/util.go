package tui

import (
	"errors"
	"fmt"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func asErr(err error, target any) bool { return errors.As(err, target) }
