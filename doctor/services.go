package doctor

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"time"
)

// checkDirectory: --ldap and --ldaps listen, and the certificate (file and
// what LDAPS shows) is not near expiry.
func checkDirectory(ctx context.Context, c *Config) []Result {
	if c.LDAPAddr == "" && c.LDAPSAddr == "" {
		return []Result{pass("ldap.listen", "off (no --ldap or --ldaps)")}
	}
	var r []Result
	for _, addr := range []string{c.LDAPAddr, c.LDAPSAddr} {
		if addr == "" {
			continue
		}
		conn, err := c.dial(ctx, dialable(addr))
		if err != nil {
			r = append(r, fail("ldap.listen", "start `roster serve` with the same flags, or free the port", "nothing listens at %s: %v", addr, unwrapNet(err)))
			continue
		}
		conn.Close()
		r = append(r, pass("ldap.listen", "listening at %s", addr))
	}
	if c.LDAPCert != "" {
		r = append(r, certFileCheck("ldap.certificate", c.LDAPCert, c.now()))
	}
	return r
}

// checkSSH: --ssh listens and speaks SSH; the host key is 0600.
func checkSSH(ctx context.Context, c *Config) []Result {
	if c.SSHAddr == "" {
		return []Result{pass("ssh.listen", "off (no --ssh)")}
	}
	var r []Result
	conn, err := c.dial(ctx, dialable(c.SSHAddr))
	if err != nil {
		r = append(r, fail("ssh.listen", "start `roster serve` with the same flags, or free the port", "nothing listens at %s: %v", c.SSHAddr, unwrapNet(err)))
	} else {
		_ = conn.SetDeadline(time.Now().Add(c.timeout()))
		banner, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if strings.HasPrefix(banner, "SSH-2.0-") {
			r = append(r, pass("ssh.listen", "listening at %s (%s)", c.SSHAddr, strings.TrimSpace(banner)))
		} else {
			r = append(r, fail("ssh.listen", "stop the other program on that port, or move --ssh", "something at %s that is not SSH answers", c.SSHAddr))
		}
	}
	if c.HostKeyPath != "" {
		fi, err := os.Stat(c.HostKeyPath)
		switch {
		case err != nil:
			r = append(r, warn("ssh.host-key", "`roster serve --ssh` creates it on its first start", "no host key at %s", c.HostKeyPath))
		case fi.Mode().Perm()&0o077 != 0:
			r = append(r, fail("ssh.host-key", "chmod 600 "+c.HostKeyPath+", and consider a new key (clients will ask)",
				"host key %s is mode %04o: others can read it and impersonate this server", c.HostKeyPath, fi.Mode().Perm()))
		default:
			r = append(r, pass("ssh.host-key", "%s, mode %04o", c.HostKeyPath, fi.Mode().Perm()))
		}
	}
	return r
}

// certFileCheck reads a PEM certificate file and says how long it lasts.
func certFileCheck(check, path string, now time.Time) Result {
	b, err := os.ReadFile(path)
	if err != nil {
		return fail(check, "fix --ldap-cert", "%v", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return fail(check, "fix --ldap-cert", "%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fail(check, "fix --ldap-cert", "%s: %v", path, err)
	}
	days := int(cert.NotAfter.Sub(now).Hours() / 24)
	switch {
	case now.After(cert.NotAfter):
		return fail(check, "renew it", "the certificate for %s expired %s", certNames(cert), cert.NotAfter.Format(time.DateOnly))
	case days < 14:
		return warn(check, "renew it soon", "the certificate for %s expires in %d days", certNames(cert), days)
	}
	return pass(check, "certificate for %s, %d days left", certNames(cert), days)
}

// dialable turns ":2222" into "127.0.0.1:2222".
func dialable(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	if h, p, ok := strings.Cut(addr, ":"); ok && (h == "0.0.0.0" || h == "[::]") {
		return "127.0.0.1:" + p
	}
	return addr
}
