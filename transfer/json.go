package transfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonRow is one element of a JSON import: the fields of roster.UserRecord
// that an import uses. Pointers tell a missing field from an empty one.
type jsonRow struct {
	line      int
	Username  *string  `json:"username"`
	Name      *string  `json:"name"`
	GivenName *string  `json:"given_name"`
	Surname   *string  `json:"surname"`
	Email     *string  `json:"email"`
	Role      *string  `json:"role"`
	Groups    []string `json:"groups"`
	Status    *string  `json:"status"`
	Expires   *string  `json:"expires"`

	hasGroups bool
}

// readJSON reads an array of user objects, as Export writes it.
func (s *Sheet) readJSON(text string) {
	dec := json.NewDecoder(strings.NewReader(text))
	lineOf := func(off int64) int { return strings.Count(text[:min(int(off), len(text))], "\n") + 1 }
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		s.fail(0, "the file looks like JSON but is not an array of users ([{\"username\": …}, …]) as roster export writes")
		return
	}
	for dec.More() && !s.full() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			s.jsonFail(lineOf(start), err)
			return
		}
		// The element starts after the separating comma and spaces.
		line := lineOf(start + int64(len(text[start:])-len(strings.TrimLeft(text[start:], ", \t\r\n"))))
		var row jsonRow
		if err := json.Unmarshal(raw, &row); err != nil {
			s.fail(line, "not a user object: %s", jsonReason(err))
			continue
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw, &fields)
		_, row.hasGroups = fields["groups"]
		row.line = line
		s.records = append(s.records, row)
	}
	if s.full() {
		return
	}
	if _, err := dec.Token(); err != nil {
		s.jsonFail(lineOf(dec.InputOffset()), err)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.fail(lineOf(dec.InputOffset()), "unexpected text after the array of users")
	}
	s.isJSON = true
}

// jsonFail records a syntax error; one at the end of the file has no line.
func (s *Sheet) jsonFail(line int, err error) {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		line = 0
	}
	s.fail(line, "not valid JSON: %s", jsonReason(err))
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Error()
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("each user must be a JSON object (with username, name, email…), not a %s", te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the file ends in the middle of the array"
	}
	return err.Error()
}
