package roster

import "time"

// Group gathers users. Its name is unique, compared without regard to case.
type Group struct {
	ID          uint64
	Name        string
	Description string
	CreatedAt   time.Time
	GIDNumber   uint32   // the Linux gid (RFC 2307), handed out once; see posix.go
	Children    []uint64 // groups nested directly in this one, ascending; see nesting.go
	Members     int      // filled by listings; not stored
	Managers    []uint64 // ids of the users who manage it, ascending; filled by listings (manager.go)
}

// DirectoryReaders is the built-in group whose members are the office apps'
// service accounts: they may search the whole directory.
const DirectoryReaders = "directory-readers"
