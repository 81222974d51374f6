// Command interactive logs a person in through action=clientlogin,
// prompting for every field the wiki asks for (password, two-factor
// code, captcha) by its label and help, and never echoing a sensitive
// one. For a single sign-on REDIRECT it prints the address to open and
// reads back the address the browser returned to.
//
//	MW_API=https://wiki.example.org/w/api.php go run ./examples/interactive
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/prompt"
)

func main() {
	api := os.Getenv("MW_API")
	if api == "" {
		log.Fatal("set MW_API to the wiki's api.php URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := mwauth.New(api, mwauth.WithUserAgent("mwauth-example-interactive/1.0 (https://github.com/mwauth/mwauth)"))
	if err != nil {
		log.Fatal(err)
	}
	p := prompt.New()

	// Ask the wiki which fields a login needs; the login token comes in
	// the same request.
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	if err != nil {
		log.Fatal(err)
	}
	fields := map[string]string{}
	for _, f := range info.AllFields() {
		if f.Type == "button" {
			continue // buttons choose another provider; not pressed here
		}
		v, err := p.Field(f)
		if err != nil {
			log.Fatal(err)
		}
		if v != "" {
			fields[f.Name] = v
		}
	}
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{Fields: fields}, p.Responder())
	var le *mwauth.LoginError
	switch {
	case errors.Is(err, mwauth.ErrWrongCredentials):
		log.Fatal("wrong username or password")
	case errors.As(err, &le):
		log.Fatalf("login failed: %s (%s)", le.Message, le.Code)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("logged in as %s\n", step.Username)
}
