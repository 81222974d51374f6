// Command botpassword is a minimal bot: it logs in with a bot password,
// keeps its session in a file so the next run resumes it in one request,
// and makes one authenticated call.
//
//	MW_API=https://wiki.example.org/w/api.php MW_USER='Example@ExampleBot' \
//	MW_PASSWORD=... go run ./examples/botpassword
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"time"

	"github.com/mwauth/mwauth"
)

func main() {
	api, user, pass := os.Getenv("MW_API"), os.Getenv("MW_USER"), os.Getenv("MW_PASSWORD")
	if api == "" || user == "" || pass == "" {
		log.Fatal("set MW_API, MW_USER (User@BotName) and MW_PASSWORD")
	}
	session := os.Getenv("MW_SESSION")
	if session == "" {
		session = "botpassword-session.json"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := mwauth.New(api,
		mwauth.WithUserAgent("mwauth-example-bot/1.0 (https://github.com/mwauth/mwauth)"),
		mwauth.WithSessionFile(session),
		mwauth.WithBotPassword(user, pass))
	if err != nil {
		log.Fatal(err)
	}
	// One request when the saved session is alive; a login otherwise.
	me, err := c.Resume(ctx)
	switch {
	case errors.Is(err, mwauth.ErrWrongCredentials):
		log.Fatal("the wiki refused the bot password: check MW_USER and MW_PASSWORD")
	case errors.Is(err, mwauth.ErrThrottled):
		log.Fatal("too many login attempts: wait a few minutes")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("logged in as %s (id %d)\n", me.Name, me.ID)

	// An authenticated write-mode call with a CSRF token: watch a page.
	resp, err := c.PostWithToken(ctx, mwauth.TokenWatch, url.Values{
		"action": {"watch"}, "titles": {"Main Page"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Watch []struct {
			Title   string `json:"title"`
			Watched bool   `json:"watched"`
		} `json:"watch"`
	}
	if err := resp.Decode(&out); err != nil {
		log.Fatal(err)
	}
	for _, w := range out.Watch {
		fmt.Printf("watching %q: %v\n", w.Title, w.Watched)
	}
}
