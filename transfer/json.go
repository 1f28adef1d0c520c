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
	Kind      *string  `json:"kind"`

	hasGroups bool
}

// readJSON reads an array of user objects, as Export writes it, or an
// object with the groups section and the users ({"groups": […],
// "users": […]}), as Export writes it with ExportOptions.Groups.
func (s *Sheet) readJSON(text string) {
	dec := json.NewDecoder(strings.NewReader(text))
	lineOf := func(off int64) int { return strings.Count(text[:min(int(off), len(text))], "\n") + 1 }
	if strings.HasPrefix(strings.TrimLeft(text, " \t\r\n"), "{") {
		s.readJSONObject(dec, text, lineOf)
		return
	}
	if !s.readJSONUsers(dec, text, lineOf) {
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.fail(lineOf(dec.InputOffset()), "unexpected text after the array of users")
		return
	}
	s.isJSON = true
}

// readJSONObject reads {"groups": […], "users": […]}.
func (s *Sheet) readJSONObject(dec *json.Decoder, text string, lineOf func(int64) int) {
	notObject := "the file looks like JSON but is neither an array of users nor an object with \"groups\" and \"users\" as roster export writes"
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		s.fail(0, "%s", notObject)
		return
	}
	sawUsers := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			s.jsonFail(lineOf(dec.InputOffset()), err)
			return
		}
		switch tok {
		case "groups":
			line := lineOf(dec.InputOffset())
			if err := dec.Decode(&s.groups); err != nil {
				s.fail(line, "groups: %s", jsonReason(err))
				return
			}
		case "users":
			if !s.readJSONUsers(dec, text, lineOf) {
				return
			}
			sawUsers = true
		default:
			s.fail(lineOf(dec.InputOffset()), "%s (it has %q)", notObject, tok)
			return
		}
	}
	if _, err := dec.Token(); err != nil {
		s.jsonFail(lineOf(dec.InputOffset()), err)
		return
	}
	if !sawUsers {
		s.fail(0, "%s (it has no \"users\")", notObject)
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		s.fail(lineOf(dec.InputOffset()), "unexpected text after the object")
		return
	}
	s.isJSON = true
}

// readJSONUsers reads the array of users; false when it failed.
func (s *Sheet) readJSONUsers(dec *json.Decoder, text string, lineOf func(int64) int) bool {
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		s.fail(0, "the file looks like JSON but is not an array of users ([{\"username\": …}, …]) as roster export writes")
		return false
	}
	for dec.More() && !s.full() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			s.jsonFail(lineOf(start), err)
			return false
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
		return false
	}
	if _, err := dec.Token(); err != nil {
		s.jsonFail(lineOf(dec.InputOffset()), err)
		return false
	}
	return true
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
