package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

// maxKeyFile bounds what `keys add` reads: a public key is a line.
const maxKeyFile = 64 << 10

func (a *app) usersKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the SSH keys users sign in with (roster serve --ssh)",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.keysAddCmd(), a.keysListCmd(), a.keysRemoveCmd())
	return cmd
}

func (a *app) keysAddCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "add USER KEYFILE|-",
		Short: "Register a public key (one authorized_keys line, such as ~/.ssh/id_ed25519.pub; - reads stdin)",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := a.readKeyFile(args[1])
			if err != nil {
				return err
			}
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			k, err := db.AddKey(a.actor(), u.ID, text)
			if err != nil {
				return err
			}
			comment := ""
			if k.Comment != "" {
				comment = ", " + k.Comment
			}
			fmt.Fprintf(a.stdout, "added key %s (%s%s) to %s\n", k.Fingerprint, k.Type, comment, u.Username)
			return nil
		},
	}
}

// readKeyFile reads KEYFILE, or stdin for "-".
func (a *app) readKeyFile(name string) (string, error) {
	var r io.Reader
	if name == "-" {
		r = a.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("read key: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return "", fmt.Errorf("read key: %w", err)
	}
	if len(data) > maxKeyFile {
		return "", usageError{fmt.Errorf("%s is larger than %d KiB: not a public key", name, maxKeyFile>>10)}
	}
	return string(data), nil
}

// keyRecord is a key as `keys list --json` prints it.
type keyRecord struct {
	Fingerprint string     `json:"fingerprint"`
	Type        string     `json:"type"`
	Comment     string     `json:"comment,omitempty"`
	Added       time.Time  `json:"added"`
	LastUsed    *time.Time `json:"last_used,omitempty"`
	Key         string     `json:"key"`
}

func (a *app) keysListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list USER [--json]",
		Short: "List a user's SSH keys: fingerprint, type, comment, added, last used",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			keys, err := db.Keys(a.actor(), u.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeKeysJSON(a.stdout, keys)
			}
			if len(keys) == 0 {
				fmt.Fprintf(a.stdout, "%s has no SSH keys; add one with: roster users keys add %s KEYFILE\n", u.Username, u.Username)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FINGERPRINT\tTYPE\tCOMMENT\tADDED\tLAST USED")
			for _, k := range keys {
				used := "never"
				if !k.LastUsedAt.IsZero() {
					used = k.LastUsedAt.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Fingerprint, k.Type, k.Comment, k.AddedAt.Local().Format("2006-01-02 15:04"), used)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func writeKeysJSON(w io.Writer, keys []*store.SSHKey) error {
	records := make([]keyRecord, len(keys))
	for i, k := range keys {
		records[i] = keyRecord{Fingerprint: k.Fingerprint, Type: k.Type, Comment: k.Comment, Added: k.AddedAt, Key: k.AuthorizedKey()}
		if !k.LastUsedAt.IsZero() {
			t := k.LastUsedAt
			records[i].LastUsed = &t
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(records)
}

func (a *app) keysRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove USER FINGERPRINT",
		Short: "Remove a user's SSH key (the fingerprint as 'keys list' shows it; \"SHA256:\" may be left out)",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			if err := db.RemoveKey(a.actor(), u.ID, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed key %s from %s\n", store.NormalizeFingerprint(args[1]), u.Username)
			return nil
		},
	}
}
