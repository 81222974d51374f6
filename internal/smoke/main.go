package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/totp"
)

func main() {
	ctx := context.Background()
	api := "http://127.0.0.1:8080/api.php"
	l := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := mwauth.New(api, mwauth.WithLogger(l), mwauth.WithUserAgent("smoke/0 (test)"))
	fmt.Println(err)
	r, err := c.Login(ctx, "Admin@localbot", "adminbotpassword0123456789abcdef")
	fmt.Printf("%+v %v\n", r, err)
	tok, err := c.Token(ctx, mwauth.TokenCSRF)
	fmt.Println(len(tok), err)
	r, err = c.Login(ctx, "Admin@localbot", "wrongbotpassword0123456789abcdef")
	fmt.Printf("%+v %v\n", r, err)
	r, err = c.Login(ctx, "Alice", "Alice-localwiki-pass-1")
	fmt.Printf("%+v %v\n", r, err)
	r, err = c.Login(ctx, "TwoFAUser", "TwoFA-localwiki-pass-1")
	fmt.Printf("%+v %v\n", r, err)
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"}})
	fmt.Printf("%+v %v\n", step, err)
	code, _ := totp.Code("LOCALWIKI2FATEST", time.Now())
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	fmt.Printf("%+v %v\n", step, err)
	resp, err := c.Get(ctx, map[string][]string{"action": {"query"}, "meta": {"userinfo"}})
	fmt.Println(resp, err)
	fmt.Println(c.Logout(ctx))
	resp, err = c.Get(ctx, map[string][]string{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
	fmt.Println(resp, err)
}
