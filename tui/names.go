package tui

import "github.com/roster-dev/roster"

// noNameYet stands for the name of a person invited by e-mail alone, who
// gives it on the set-password page.
const noNameYet = "(not given yet)"

// listName is a user's name as the list shows it.
func listName(u *roster.User) string {
	if u.Name == "" {
		return noNameYet
	}
	return u.Name
}

// nameFields adds the details' lines about the name: that it is not given
// yet, and the first and last name when set.
func nameFields(c *Common, u *roster.User, field func(label, value string)) {
	if u.Name == "" {
		field("Name", c.Styles.App.Warn.Render("not given yet: asked on the set-password page"))
	}
	if u.GivenName != "" {
		given, _ := c.cells.safe(u.GivenName)
		field("First name", given)
	}
	if u.Surname != "" {
		surname, _ := c.cells.safe(u.Surname)
		field("Last name", surname)
	}
}
