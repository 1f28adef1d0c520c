package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure a page rendered as the cached layout around its content is byte
// for byte the page the whole template renders, for every page, with
// values that need escaping in every field and a second title (a second
// cached layout).
func TestFramedPagesAreTheWholeTemplate(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	hostile := `<script>alert("x")</script> & 'quote' "double" javascript:alert(1) ?a=b&c=d`
	for _, title := range []string{"Set your password", hostile} {
		v := &view{
			Title: title, Org: "Org " + hostile, Root: "/roster/", CSSVersion: p.cssVersion,
			Name: hostile, Username: "ada", Email: "ada@example.com", Expires: time.Date(2026, 12, 24, 9, 30, 0, 0, time.UTC),
			CSRF: "tok" + hostile, Error: hostile, MinLength: 12, MaxLength: 128,
			AskName: true, Given: roster.PersonName{Name: hostile, GivenName: hostile, Surname: hostile},
			NameError: hostile, NameField: "surname",
			Heading: hostile, Message: hostile, Back: "/roster/" + hostile,
		}
		for _, name := range pageNames {
			var whole, framed bytes.Buffer
			if err := p.byName[name].Execute(&whole, v); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := p.execute(&framed, name, v); err != nil {
				t.Fatalf("%s framed: %v", name, err)
			}
			if !bytes.Equal(whole.Bytes(), framed.Bytes()) {
				t.Errorf("%s: the framed page differs from the whole template:\n%s\n---\n%s", name, whole.String(), framed.String())
			}
			if bytes.Contains(framed.Bytes(), []byte("<script>")) {
				t.Errorf("%s: a value went out unescaped", name)
			}
		}
	}
}
