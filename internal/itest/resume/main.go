// Command resume is a helper of mwauth's integration tests
// (integration_session_test.go): it stands for a bot process that shares a
// session file with other processes of the same bot. It is not a tool for
// users.
//
// Modes:
//
//	-mode resume: open the session file (WithSessionFile, WithBotPassword),
//	              call Resume, and report who the session belongs to.
//	-mode login:  start a fresh session in the file (WithFreshSession) and
//	              log in -logins times, saving the file each time.
//
// The bot password comes from the environment variable MWAUTH_ITEST_PASS,
// so that it does not show in the process list. The last line of the
// output is machine-readable:
//
//	requests=<n> logins=<n> user=<name> anon=<bool>
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/mwauth/mwauth"
)

// countingTransport counts the HTTP requests and the action=login POSTs.
type countingTransport struct {
	requests atomic.Int64
	logins   atomic.Int64
	next     http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	if req.Method == http.MethodPost && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(body)
			body.Close()
			if v, err := url.ParseQuery(string(b)); err == nil && v.Get("action") == "login" {
				t.logins.Add(1)
			}
		}
	}
	return t.next.RoundTrip(req)
}

func main() {
	api := flag.String("api", "", "api.php URL of the wiki")
	file := flag.String("file", "", "session file")
	user := flag.String("user", "", "bot password user name (User@Bot)")
	mode := flag.String("mode", "resume", "resume or login")
	logins := flag.Int("logins", 1, "logins to make in -mode login")
	flag.Parse()
	pass := os.Getenv("MWAUTH_ITEST_PASS")
	if *api == "" || *file == "" || *user == "" || pass == "" {
		fmt.Fprintln(os.Stderr, "resume: -api, -file, -user and $MWAUTH_ITEST_PASS are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ct := &countingTransport{next: http.DefaultTransport}
	opts := []mwauth.Option{
		mwauth.WithHTTPClient(&http.Client{Transport: ct, Timeout: time.Minute}),
		mwauth.WithUserAgent("mwauth-itest-resume/0 (integration test helper)"),
		mwauth.WithSessionFile(*file),
	}
	var name string
	var anon bool
	switch *mode {
	case "resume":
		c, err := mwauth.New(*api, append(opts, mwauth.WithBotPassword(*user, pass))...)
		if err != nil {
			fail(err)
		}
		ui, err := c.Resume(ctx)
		if err != nil {
			fail(err)
		}
		name, anon = ui.Name, ui.Anonymous
	case "login":
		c, err := mwauth.New(*api, append(opts, mwauth.WithFreshSession())...)
		if err != nil {
			fail(err)
		}
		for i := 0; i < *logins; i++ {
			res, err := c.Login(ctx, *user, pass)
			if err != nil {
				fail(err)
			}
			name = res.Username
		}
	default:
		fmt.Fprintf(os.Stderr, "resume: unknown -mode %q\n", *mode)
		os.Exit(2)
	}
	fmt.Printf("requests=%d logins=%d user=%s anon=%t\n", ct.requests.Load(), ct.logins.Load(), name, anon)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "resume:", err)
	os.Exit(1)
}
