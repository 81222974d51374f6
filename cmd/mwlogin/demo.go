package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/totp"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The embedded wiki's two-factor account: the same credentials as the
// project's local MediaWiki test wiki. Throwaway values, not secrets.
const (
	demoUser   = "TwoFAUser"
	demoPass   = "TwoFA-localwiki-pass-1"
	demoSecret = "LOCALWIKI2FATEST"
)

// countingTransport counts the HTTP requests of the demo.
type countingTransport struct{ n atomic.Int64 }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// demo walks through a two-factor clientlogin against an embedded wiki,
// then resumes the saved session in a second client and logs out.
func demo(ctx context.Context, out io.Writer) error {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	path, cleanup, err := demoSessionPath()
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(out, "mwlogin demo: an embedded test wiki (mwauthtest) is listening at %s\n\n", srv.URL)

	ct := &countingTransport{}
	hc := &http.Client{Transport: ct, Timeout: 30 * time.Second}
	c, err := mwauth.New(srv.URL, mwauth.WithUserAgent(userAgent), mwauth.WithHTTPClient(hc),
		mwauth.WithSessionFile(path))
	if err != nil {
		return err
	}

	fmt.Fprintln(out, "1. Ask the wiki which fields a login needs (meta=authmanagerinfo, with the login token in the same request):")
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	if err != nil {
		return err
	}
	for _, f := range info.AllFields() {
		fmt.Fprintf(out, "     %-12s %-9s %q%s\n", f.Name, f.Type, f.Label, sensitiveMark(f))
	}

	fmt.Fprintf(out, "\n2. action=clientlogin as %s with the password (sent in the POST body only):\n", demoUser)
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": demoUser, "password": demoPass},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "     status %s, message code %s: %s\n", step.Status, step.MessageCode, step.Message)
	if step.Status != mwauth.StatusUI {
		return fmt.Errorf("expected a two-factor UI step, got %s", step.Status)
	}
	for _, f := range step.AllFields() {
		fmt.Fprintf(out, "     the wiki asks for %s (%q)\n", f.Name, f.Label)
	}

	code, err := totp.Code(demoSecret, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\n3. Compute the current TOTP code (RFC 6238) from the account's secret and continue (logincontinue):")
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	if err != nil {
		return err
	}
	if err := step.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "     status %s: logged in as %s after %d HTTP requests\n", step.Status, step.Username, ct.n.Load())
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "     session saved to %s (mode %04o)\n", path, fi.Mode().Perm())

	fmt.Fprintln(out, "\n4. A second client (think: the next run of your bot) resumes the saved session:")
	ct2 := &countingTransport{}
	c2, err := mwauth.New(srv.URL, mwauth.WithUserAgent(userAgent),
		mwauth.WithHTTPClient(&http.Client{Transport: ct2, Timeout: 30 * time.Second}),
		mwauth.WithSessionFile(path))
	if err != nil {
		return err
	}
	ui, err := c2.Resume(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "     whoami: %s (user id %d), ready to edit after %d request\n", ui.Name, ui.ID, ct2.n.Load())

	fmt.Fprintln(out, "\n5. Log out (action=logout with a CSRF token); the session file is removed:")
	if err := c2.Logout(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		fmt.Fprintln(out, "     logged out; session file gone")
	}
	fmt.Fprintln(out, "\nDone. Point mwlogin at a real wiki with: mwlogin -wiki https://wiki.example.org/w/api.php login")
	return nil
}

func sensitiveMark(f mwauth.Field) string {
	if f.Sensitive {
		return " (sensitive: never echoed or logged)"
	}
	return ""
}
