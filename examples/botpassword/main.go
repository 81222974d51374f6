// Command botpassword is a minimal bot: it logs in with a bot password,
// keeps its session in a file so that the next run resumes it in one
// request, and makes one authenticated edit.
//
//	MW_API=https://wiki.example.org/w/api.php MW_USER='Example@ExampleBot' \
//	MW_PASSWORD=... go run .
//
// Create the bot password at Special:BotPasswords with the "Edit existing
// pages" grant. The edit appends a line to MW_PAGE (default: a subpage of
// the bot's user page). MW_SESSION names the session file (default
// botpassword-session.json); treat it as a password.
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
	log.SetFlags(0)
	api, user, pass := os.Getenv("MW_API"), os.Getenv("MW_USER"), os.Getenv("MW_PASSWORD")
	if api == "" || user == "" || pass == "" {
		log.Fatal("set MW_API (the wiki's api.php URL), MW_USER (User@BotName) and MW_PASSWORD")
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

	// One request when the saved session is alive, a login otherwise.
	me, err := c.Resume(ctx)
	var le *mwauth.LoginError
	switch {
	case errors.Is(err, mwauth.ErrWrongCredentials):
		log.Fatal("the wiki refused the bot password: check MW_USER and MW_PASSWORD")
	case errors.Is(err, mwauth.ErrThrottled) && errors.As(err, &le):
		log.Fatalf("too many login attempts: wait %s", le.Wait)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("logged in as %s (user id %d)\n", me.Name, me.ID)

	page := os.Getenv("MW_PAGE")
	if page == "" {
		page = "User:" + me.Name + "/mwauth-example"
	}
	// An edit needs a CSRF token: PostWithToken fetches it once, caches
	// it, and fetches it again if the wiki answers badtoken. The Client
	// sends assert=user, so a lost session fails (or logs in again with
	// the bot password) instead of editing anonymously.
	var res struct {
		Edit struct {
			Result   string `json:"result"`
			Title    string `json:"title"`
			NewRevID int    `json:"newrevid"`
		} `json:"edit"`
	}
	err = c.PostWithToken(ctx, "csrf", url.Values{
		"action":     {"edit"},
		"title":      {page},
		"appendtext": {"\n* mwauth botpassword example, " + time.Now().UTC().Format(time.RFC3339)},
		"summary":    {"mwauth example edit"},
		"bot":        {"1"},
	}, &res)
	if err != nil {
		log.Fatal(err)
	}
	if res.Edit.Result != "Success" {
		log.Fatalf("the edit was not saved: result %q", res.Edit.Result)
	}
	fmt.Printf("edited %s (revision %d)\n", res.Edit.Title, res.Edit.NewRevID)
}
