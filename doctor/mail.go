package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"strings"
	"time"

	rmail "github.com/roster-dev/roster/mail"
)

// checkMail: the greeting name and the From domain from the settings, then
// one conversation with the relay: it answers, offers STARTTLS, shows a
// certificate for its name, and accepts the credentials. No mail is sent:
// the conversation ends with QUIT after AUTH.
func checkMail(ctx context.Context, c *Config) []Result {
	var r []Result
	helo := c.Mail.HelloName
	if helo == "" {
		helo = "localhost"
	}
	if !fullyQualified(helo) {
		r = append(r, warn("mail.greeting", "set the greeting (EHLO) name to this machine's public name, such as accounts.example.com",
			"greeting name %q is not fully qualified: relays and spam filters mark or refuse such mail", helo))
	} else {
		r = append(r, pass("mail.greeting", "greeting name %s", helo))
	}
	if addr, err := mail.ParseAddress(c.Mail.From); err != nil {
		r = append(r, fail("mail.from", "set --from to an address such as \"Accounts <accounts@example.com>\"", "From %q: %v", c.Mail.From, err))
	} else if domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]; localDomain(domain) {
		r = append(r, warn("mail.from", "set --from (ROSTER_FROM) to an address of the office's domain",
			"From %s is a local domain: replies and bounces go nowhere, and relays may refuse it", addr.Address))
	} else {
		r = append(r, pass("mail.from", "From %s", addr.Address))
	}
	if c.Mail.URL == "" {
		return append(r, warn("mail.relay", "set --smtp (ROSTER_SMTP_URL) to the office's mail relay",
			"no relay: mail goes to the built-in dev mailbox, and nobody receives it"))
	}
	server, err := rmail.ParseServerURL(c.Mail.URL)
	if err != nil {
		return append(r, fail("mail.relay", "fix --smtp", "%v", err))
	}
	// The relay's own verdict on the greeting replaces ours.
	for _, res := range probeRelay(ctx, c, server, helo) {
		if prev := Report(r).Find(res.Check); prev != nil {
			*prev = res
		} else {
			r = append(r, res)
		}
	}
	return r
}

// fullyQualified reports a host name with a dot that is not a loopback name
// or an address literal.
func fullyQualified(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	return strings.Contains(n, ".") && net.ParseIP(n) == nil && !strings.HasSuffix(n, ".localhost") &&
		!strings.HasSuffix(n, ".localdomain") && !strings.HasSuffix(n, ".local")
}

// probeRelay talks to the relay itself, with net/textproto, so that every
// step (greeting, STARTTLS, certificate, AUTH) gets its own verdict.
func probeRelay(ctx context.Context, c *Config, server rmail.Server, helo string) []Result {
	var r []Result
	raw, err := c.dial(ctx, server.Addr())
	if err != nil {
		return append(r, fail("mail.relay", "check --smtp's host and port, and that the relay runs and lets this machine in",
			"%s does not answer: %v", server.Addr(), unwrapNet(err)))
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(2 * c.timeout()))
	var conn net.Conn = raw
	var cert Result
	tlsConfig, err := c.relayTLS(server.Host, &cert)
	if err != nil {
		return append(r, fail("mail.certificate", "fix --smtp-ca-file", "%v", err))
	}
	if server.ImplicitTLS {
		tc := tls.Client(raw, tlsConfig)
		if err := tc.Handshake(); err != nil {
			if cert.Check != "" {
				return append(r, pass("mail.relay", "%s answers TLS", server.Addr()), cert, untried(server))
			}
			return append(r, fail("mail.relay", "check that the port speaks TLS (smtps://, usually 465) or use smtp:// (587)",
				"TLS with %s failed: %v", server.Addr(), err))
		}
		conn = tc
	}
	tp := textproto.NewConn(conn)
	if _, msg, err := tp.ReadResponse(220); err != nil {
		return append(r, fail("mail.relay", "check that --smtp names an SMTP server", "%s greets with %v", server.Addr(), err))
	} else {
		r = append(r, pass("mail.relay", "%s answers: %s", server.Addr(), firstLine(msg)))
	}
	ext, err := ehlo(tp, helo)
	if err != nil {
		return append(r, fail("mail.greeting", "set the greeting name to this machine's fully qualified name", "the relay refuses EHLO %s: %v", helo, err))
	}
	if !server.ImplicitTLS {
		switch {
		case !hasExt(ext, "STARTTLS") && c.Mail.PlaintextLoopback && server.Loopback() && server.User == "":
			r = append(r, pass("mail.starttls", "no STARTTLS: plaintext to a loopback relay, as --smtp-plaintext-loopback allows"))
			return append(r, finishRelay(tp, server, c.Mail.Password, false)...)
		case !hasExt(ext, "STARTTLS"):
			return append(r, fail("mail.starttls", "turn on STARTTLS at the relay, or use smtps:// if it speaks TLS on another port",
				"%s does not offer STARTTLS: Roster will not send over plaintext", server.Addr()))
		}
		if code, msg, err := command(tp, "STARTTLS"); err != nil || code != 220 {
			return append(r, fail("mail.starttls", "see the relay's log", "STARTTLS refused: %d %s %v", code, firstLine(msg), err))
		}
		r = append(r, pass("mail.starttls", "STARTTLS offered"))
		tc := tls.Client(raw, tlsConfig)
		if err := tc.Handshake(); err != nil {
			if cert.Check != "" {
				return append(r, cert, untried(server))
			}
			return append(r, fail("mail.certificate", "see the relay's log", "TLS after STARTTLS failed: %v", err))
		}
		tp = textproto.NewConn(tc)
		if ext, err = ehlo(tp, helo); err != nil {
			return append(r, cert, fail("mail.greeting", "set the greeting name to this machine's fully qualified name", "the relay refuses EHLO %s after STARTTLS: %v", helo, err))
		}
	}
	r = append(r, cert)
	trusted := cert.Status != Fail
	r = append(r, authCheck(tp, ext, server, c.Mail.Password, trusted))
	_, _ = tp.Cmd("QUIT")
	return r
}

// untried is the AUTH line when TLS did not verify.
func untried(server rmail.Server) Result {
	if server.User == "" {
		return pass("mail.auth", "no credentials")
	}
	return fail("mail.auth", "fix the certificate first", "not tried: the password is not sent to a relay whose certificate does not verify")
}

// finishRelay ends a plaintext conversation: no AUTH there, by design.
func finishRelay(tp *textproto.Conn, server rmail.Server, _ string, _ bool) []Result {
	_, _ = tp.Cmd("QUIT")
	return []Result{pass("mail.auth", "no credentials (a loopback relay without AUTH)")}
}

// relayTLS verifies the relay's certificate itself, so that a name mismatch,
// an unknown authority and expiry each get their own words; the verdict
// lands in *cert. The handshake fails when the certificate does not verify,
// so nothing secret follows it.
func (c *Config) relayTLS(host string, cert *Result) (*tls.Config, error) {
	var roots *x509.CertPool
	if c.Mail.CAFile != "" {
		pem, err := os.ReadFile(c.Mail.CAFile)
		if err != nil {
			return nil, fmt.Errorf("SMTP CA file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SMTP CA file %s holds no PEM certificate", c.Mail.CAFile)
		}
	}
	now := c.now()
	return &tls.Config{
		ServerName:         host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verified below, with our own words
		VerifyConnection: func(cs tls.ConnectionState) error {
			*cert = judgeCertificate("mail.certificate", host, cs.PeerCertificates, roots, now,
				"fix the relay's certificate, or --smtp's host name (it must be a name the certificate lists)")
			if cert.Status == Fail {
				return errors.New(cert.Message)
			}
			return nil
		},
	}, nil
}

// judgeCertificate checks a peer's chain for host against roots (nil: the
// system's) at now, and says how many days it has left.
func judgeCertificate(check, host string, chain []*x509.Certificate, roots *x509.CertPool, now time.Time, fix string) Result {
	if len(chain) == 0 {
		return fail(check, fix, "no certificate")
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	days := int(leaf.NotAfter.Sub(now).Hours() / 24)
	if err := leaf.VerifyHostname(host); err != nil {
		return fail(check, fix, "the certificate is for %s, not %s", certNames(leaf), host)
	}
	if now.After(leaf.NotAfter) {
		return fail(check, "renew the certificate", "the certificate for %s expired %s", host, leaf.NotAfter.Format(time.DateOnly))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, DNSName: host}); err != nil {
		return fail(check, "give --smtp-ca-file the authority that signed it, or get a certificate from a trusted one",
			"the certificate for %s is not signed by a trusted authority (%s)", host, leaf.Issuer.CommonName)
	}
	if days < 14 {
		return warn(check, "renew the certificate soon", "certificate for %s expires in %d days", host, days)
	}
	return pass(check, "certificate valid for %s, %d days left", host, days)
}

func certNames(c *x509.Certificate) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = append(names, c.Subject.CommonName)
	}
	return strings.Join(names, ", ")
}

// authCheck tries the credentials with AUTH PLAIN (or LOGIN), never before
// the certificate was trusted.
func authCheck(tp *textproto.Conn, ext []string, server rmail.Server, password string, trusted bool) Result {
	if server.User == "" {
		if hasExt(ext, "AUTH") {
			return warn("mail.auth", "add the relay's user to --smtp (smtp://USER@host) and set ROSTER_SMTP_PASSWORD",
				"no user in --smtp, but the relay offers AUTH: it may refuse to relay")
		}
		return pass("mail.auth", "no credentials, none asked for")
	}
	if !trusted {
		return fail("mail.auth", "fix the certificate first", "not tried: the password is not sent to a relay whose certificate does not verify")
	}
	if password == "" {
		return fail("mail.auth", "set ROSTER_SMTP_PASSWORD or --smtp-password-file", "%s has no password", server.User)
	}
	mechs := extValue(ext, "AUTH")
	var code int
	var msg string
	var err error
	switch {
	case hasWord(mechs, "PLAIN"):
		resp := base64.StdEncoding.EncodeToString([]byte("\x00" + server.User + "\x00" + password))
		code, msg, err = command(tp, "AUTH PLAIN "+resp)
	case hasWord(mechs, "LOGIN"):
		code, msg, err = command(tp, "AUTH LOGIN")
		if err == nil && code == 334 {
			code, msg, err = command(tp, base64.StdEncoding.EncodeToString([]byte(server.User)))
		}
		if err == nil && code == 334 {
			code, msg, err = command(tp, base64.StdEncoding.EncodeToString([]byte(password)))
		}
	default:
		return fail("mail.auth", "turn on AUTH PLAIN or LOGIN over TLS at the relay", "the relay offers neither AUTH PLAIN nor AUTH LOGIN (%q)", mechs)
	}
	if err != nil {
		return fail("mail.auth", "see the relay's log", "AUTH: %v", err)
	}
	if code != 235 {
		return fail("mail.auth", "check the SMTP user in --smtp and ROSTER_SMTP_PASSWORD (or --smtp-password-file)",
			"the relay refused %s: %d %s", server.User, code, firstLine(msg))
	}
	return pass("mail.auth", "the relay accepts %s (no mail sent)", server.User)
}

// ehlo greets and returns the extension lines.
func ehlo(tp *textproto.Conn, name string) ([]string, error) {
	code, msg, err := command(tp, "EHLO "+name)
	if err != nil {
		return nil, err
	}
	if code != 250 {
		return nil, fmt.Errorf("%d %s", code, firstLine(msg))
	}
	lines := strings.Split(msg, "\n")
	return lines[1:], nil
}

// command sends one line and reads the whole reply, whatever its code.
func command(tp *textproto.Conn, line string) (int, string, error) {
	id, err := tp.Cmd("%s", line)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	code, msg, err := tp.ReadResponse(0)
	var perr *textproto.Error
	if errors.As(err, &perr) {
		return perr.Code, perr.Msg, nil
	}
	return code, msg, err
}

func hasExt(ext []string, name string) bool {
	for _, e := range ext {
		if f := strings.Fields(e); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

func extValue(ext []string, name string) string {
	for _, e := range ext {
		if f := strings.Fields(e); len(f) > 0 && strings.EqualFold(f[0], name) {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
