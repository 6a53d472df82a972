package web

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/session"
)

// JoinTargets finds the institutions open to walk-in sign-up (internal/org).
type JoinTargets interface {
	JoinTarget(ctx context.Context, code string) (*org.Institution, error)
}

// LearnerCreator creates accounts (internal/account).
type LearnerCreator interface {
	Register(ctx context.Context, n account.NewUser) (*account.User, error)
}

// JoinAPI lets a visitor who scanned an institution's poster create a
// learner account there, when the institution allows it.
type JoinAPI struct {
	Institutions JoinTargets
	Accounts     LearnerCreator
	// Throttle holds the per-address counters and the open questions, in
	// Redis or the SQL database, so any server instance can check an answer.
	Throttle session.Throttle
	BaseURL  string
}

const (
	// joinAttemptsPerHour bounds sign-up attempts from one address: enough
	// for a library's terminals behind one address, too few to farm accounts
	// or to try every answer of many questions.
	joinAttemptsPerHour = 30
	joinQuestionTTL     = 15 * time.Minute
)

func (h *JoinAPI) routes(app, api *echo.Group, pg *pages) {
	if h == nil {
		return
	}
	app.GET("/join/:code", pg.page("join.html"))
	app.GET("/join/:code/poster", pg.page("poster.html"))
	app.GET("/join/:code/qr.svg", h.QR)
	api.GET("/join/:code", h.Info)
	api.POST("/join/:code", h.Join)
}

func (h *JoinAPI) joinURL(code string) string {
	return strings.TrimRight(h.BaseURL, "/") + "/join/" + code
}

// Info answers GET /api/v1/join/{code}: the institution and a fresh question.
func (h *JoinAPI) Info(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := h.Institutions.JoinTarget(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	q, err := newJoinQuestion(ctx, h.Throttle)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"institution": map[string]string{"code": in.Code, "name": in.Name, "region_name": in.RegionName},
		"join_url":    h.joinURL(in.Code),
		"question":    q.zh, "question_en": q.en, "challenge": q.id,
	})
}

type joinRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Adult       bool   `json:"age_confirmed"`
	Challenge   string `json:"challenge"`
	Answer      string `json:"answer"`
}

// Join answers POST /api/v1/join/{code} with 201 and the new learner.
func (h *JoinAPI) Join(c echo.Context) error {
	ctx := c.Request().Context()
	n, left, err := h.Throttle.HitWindow(ctx, "join:ip:"+c.RealIP(), time.Hour)
	if err != nil {
		return err
	}
	if n > joinAttemptsPerHour {
		return errs.New(errs.TooManyRequests, "error.join_throttled").After(left)
	}
	in, err := h.Institutions.JoinTarget(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	var req joinRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	// Accounts for children need a guardian's consent, which a walk-in
	// sign-up cannot record.
	if !req.Adult {
		return errs.New(errs.Invalid, "error.join_age").With("field", "age_confirmed")
	}
	if ok, err := checkJoinAnswer(ctx, h.Throttle, req.Challenge, req.Answer); err != nil {
		return err
	} else if !ok {
		return errs.New(errs.Invalid, "error.join_wrong_answer").With("field", "answer")
	}
	u, err := h.Accounts.Register(ctx, account.NewUser{Username: req.Username, DisplayName: req.DisplayName, Password: req.Password,
		Role: account.RoleLearner, InstitutionCode: in.Code})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"username": u.Username, "display_name": u.DisplayName,
		"institution": map[string]string{"code": in.Code, "name": in.Name}})
}

// QR answers GET /join/{code}/qr.svg: the sign-up address as a QR code for
// the printed poster.
func (h *JoinAPI) QR(c echo.Context) error {
	in, err := h.Institutions.JoinTarget(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	svg, err := QRCodeSVG(h.joinURL(in.Code))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// The human check is a small sum in Chinese characters: easy for anyone
// who reads the page, with no script, image or third party involved. It
// keeps naive form-filling bots out; the per-address limit does the rest.
var cnDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
var enDigits = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}

type joinQuestion struct{ zh, en, id string }

// newJoinQuestion picks a sum and records its answer under a random id:
// the key holds the answer, so checking needs no server-side secret and
// works on every instance that shares the throttle backend (Redis or SQL).
func newJoinQuestion(ctx context.Context, th session.Throttle) (joinQuestion, error) {
	a, b := 1+randN(9), 1+randN(9)
	plus := randN(2) == 0 || a == b
	if !plus && a < b {
		a, b = b, a
	}
	ans, zh, en := a+b, cnDigits[a]+"加"+cnDigits[b]+"等于几？", "What is "+enDigits[a]+" plus "+enDigits[b]+"?"
	if !plus {
		ans, zh, en = a-b, cnDigits[a]+"减"+cnDigits[b]+"等于几？", "What is "+enDigits[a]+" minus "+enDigits[b]+"?"
	}
	q := joinQuestion{zh: zh, en: en, id: session.NewToken()}
	_, _, err := th.HitWindow(ctx, joinAnswerKey(q.id, ans), joinQuestionTTL)
	return q, err
}

func joinAnswerKey(id string, answer int) string { return "join:q:" + id + ":" + strconv.Itoa(answer) }

// checkJoinAnswer accepts digits or Chinese numerals; a question answers
// once.
func checkJoinAnswer(ctx context.Context, th session.Throttle, id, answer string) (bool, error) {
	n, ok := parseSmallNumber(answer)
	if !ok || id == "" || len(id) > 64 {
		return false, nil
	}
	key := joinAnswerKey(id, n)
	if count, _, err := th.Peek(ctx, key); err != nil || count == 0 {
		return false, err
	}
	return true, th.Reset(ctx, key)
}

// parseSmallNumber reads 0-18 written in digits (full-width too) or in
// Chinese numerals (十二, 一十二).
func parseSmallNumber(s string) (int, bool) {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && n <= 18
	}
	digit := func(r string) int {
		for i, d := range cnDigits[:10] {
			if d == r {
				return i
			}
		}
		if r == "两" {
			return 2
		}
		return -1
	}
	rs := []rune(s)
	switch {
	case len(rs) == 1 && s == "十":
		return 10, true
	case len(rs) == 1:
		d := digit(s)
		return d, d >= 0
	case len(rs) == 2 && rs[0] == '十':
		d := digit(string(rs[1]))
		return 10 + d, d > 0
	case len(rs) == 3 && rs[0] == '一' && rs[1] == '十':
		d := digit(string(rs[2]))
		return 10 + d, d > 0
	}
	return 0, false
}

func randN(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // the OS random source does not fail on supported systems
	}
	return int(v.Int64())
}
