// Command webredirect shows the REDIRECT half of action=clientlogin as a
// web application would run it: it starts a login with a provider that
// redirects (a "button" request such as a single sign-on provider),
// saves the session jar to disk, and finishes the login in a second run
// with the parameters the browser brought back to the return URL.
//
//	MW_API=http://127.0.0.1:8080/api.php MW_BUTTON=fakessologin go run ./examples/webredirect start
//	MW_API=... go run ./examples/webredirect finish 'http://127.0.0.1:9/back?fakessocode=user:Alice'
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/prompt"
)

const jarFile = "webredirect-jar.json"

func main() {
	api := os.Getenv("MW_API")
	if api == "" || len(os.Args) < 2 {
		log.Fatal("usage: MW_API=... webredirect start | finish <return address>")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch os.Args[1] {
	case "start":
		c, err := mwauth.New(api, mwauth.WithSessionFile(jarFile))
		if err != nil {
			log.Fatal(err)
		}
		button := os.Getenv("MW_BUTTON")
		if button == "" {
			log.Fatal("set MW_BUTTON to the redirecting provider's button field")
		}
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
			// Where the identity provider sends the browser back to.
			ReturnURL: "http://127.0.0.1:9/back",
			Fields:    map[string]string{button: "1"},
		})
		if err != nil {
			log.Fatal(err)
		}
		if step.Status != mwauth.StatusRedirect {
			log.Fatalf("expected REDIRECT, got %s (%s)", step.Status, step.MessageCode)
		}
		// The flow's state lives in the session cookie, which
		// WithSessionFile keeps in jarFile.
		fmt.Printf("Send the browser to:\n  %s\nthen run: webredirect finish '<address it came back to>'\n", step.RedirectTarget)
	case "finish":
		if len(os.Args) < 3 {
			log.Fatal("finish needs the return address")
		}
		c, err := mwauth.New(api, mwauth.WithSessionFile(jarFile))
		if err != nil {
			log.Fatal(err)
		}
		fields, err := prompt.ReturnParams(os.Args[2])
		if err != nil {
			log.Fatal(err)
		}
		step, err := c.ContinueClientLogin(ctx, fields)
		if err != nil {
			log.Fatal(err)
		}
		if err := step.Err(); err != nil {
			log.Fatal(err)
		}
		if step.Status != mwauth.StatusPass {
			log.Fatalf("login not finished: %s (%s)", step.Status, step.MessageCode)
		}
		_ = os.Remove(jarFile)
		fmt.Printf("logged in as %s\n", step.Username)
	default:
		log.Fatal("usage: webredirect start | finish <return address>")
	}
}
