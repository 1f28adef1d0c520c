// Package demo makes realistic, varied fake users for trying Roster out and
// for benchmarks: names from many languages, deterministic for a seed.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/roster-dev/roster"
)

// person is a name as it is written and a Latin spelling for the username.
type person struct{ written, latin string }

var firstNames = []person{
	{"Alice", "alice"}, {"Bob", "bob"}, {"Chloé", "chloe"}, {"Diego", "diego"}, {"Émile", "emile"},
	{"Fatima", "fatima"}, {"Gustav", "gustav"}, {"Hana", "hana"}, {"Ingrid", "ingrid"}, {"João", "joao"},
	{"Kwame", "kwame"}, {"Léa", "lea"}, {"Mateo", "mateo"}, {"Nia", "nia"}, {"Oskar", "oskar"},
	{"Priya", "priya"}, {"Quentin", "quentin"}, {"Rosa", "rosa"}, {"Søren", "soren"}, {"Tomás", "tomas"},
	{"Uma", "uma"}, {"Václav", "vaclav"}, {"Wiremu", "wiremu"}, {"Ximena", "ximena"}, {"Yusuf", "yusuf"},
	{"Zofia", "zofia"}, {"Ayşe", "ayse"}, {"Björn", "bjorn"}, {"Małgorzata", "malgorzata"}, {"Nguyễn", "nguyen"},
	{"Олег", "oleg"}, {"Наталья", "natalya"}, {"Δημήτρης", "dimitris"}, {"Ελένη", "eleni"},
	{"محمد", "mohammed"}, {"ليلى", "layla"}, {"דוד", "david"}, {"נועה", "noa"},
	{"प्रिया", "priya"}, {"अर्जुन", "arjun"}, {"さくら", "sakura"}, {"健太", "kenta"},
	{"伟", "wei"}, {"秀英", "xiuying"}, {"지훈", "jihoon"}, {"서연", "seoyeon"}, {"สมชาย", "somchai"},
}

var lastNames = []person{
	{"Andersen", "andersen"}, {"Bianchi", "bianchi"}, {"Costa", "costa"}, {"Dubois", "dubois"},
	{"Eriksson", "eriksson"}, {"García", "garcia"}, {"Hoffmann", "hoffmann"}, {"Ivanova", "ivanova"},
	{"Jansen", "jansen"}, {"Kowalski", "kowalski"}, {"López", "lopez"}, {"Mensah", "mensah"},
	{"Novak", "novak"}, {"O'Brien", "obrien"}, {"Papadopoulos", "papadopoulos"}, {"Quispe", "quispe"},
	{"Rossi", "rossi"}, {"Schmidt", "schmidt"}, {"Tanaka", "tanaka"}, {"Van der Berg", "vanderberg"},
	{"Wójcik", "wojcik"}, {"Yılmaz", "yilmaz"}, {"Zhang", "zhang"}, {"Øvergaard", "overgaard"},
	{"Смирнов", "smirnov"}, {"Κωνσταντίνου", "konstantinou"}, {"الحسن", "alhassan"}, {"כהן", "cohen"},
	{"शर्मा", "sharma"}, {"佐藤", "sato"}, {"王", "wang"}, {"김", "kim"}, {"Trần", "tran"},
}

var groupNames = []string{
	"engineering", "sales", "marketing", "finance", "support", "operations", "design", "legal",
	"research", "hr", "warehouse", "management", "interns", "field", "partners", "contractors",
}

var domains = []string{"example.com", "example.org", "example.net", "mail.example.com"}

// Plan is a demo data set: the groups to create, the users, and the status
// each user should end in (index-aligned with Users).
type Plan struct {
	Groups   []string
	Users    []roster.NewUser
	Statuses []roster.Status
}

// Make builds a plan of n users spread over k groups, the same for the same seed.
func Make(n, k int, seed uint64) Plan {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	if k > len(groupNames) {
		k = len(groupNames)
	}
	p := Plan{Groups: groupNames[:k], Users: make([]roster.NewUser, n), Statuses: make([]roster.Status, n)}
	for i := range n {
		f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		// The index keeps usernames and e-mails unique however many users.
		username := fmt.Sprintf("%s.%s%d", f.latin, l.latin, i+1)
		u := roster.NewUser{
			Username: username,
			Name:     f.written + " " + l.written,
			Email:    strings.ReplaceAll(username, ".", "_") + "@" + domains[r.IntN(len(domains))],
			Role:     roster.RoleMember,
		}
		if r.IntN(200) == 0 {
			u.Role = roster.RoleAdmin
		}
		if k > 0 {
			u.Groups = []string{p.Groups[r.IntN(k)]}
			if r.IntN(4) == 0 {
				u.Groups = append(u.Groups, p.Groups[r.IntN(k)])
			}
		}
		p.Users[i] = u
		switch x := r.IntN(10); {
		case x < 2:
			p.Statuses[i] = roster.StatusPending
		case x < 9:
			p.Statuses[i] = roster.StatusActive
		default:
			p.Statuses[i] = roster.StatusDisabled
		}
	}
	return p
}
