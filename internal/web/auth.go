package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
)

// AccountStore is what the auth handlers write directly.
type AccountStore interface {
	SetUserLocale(ctx context.Context, id int64, locale string) error
	SetUserDisplay(ctx context.Context, id int64, largeText, highContrast bool) error
}

// AuthAPI signs people in and out and tells the browser who is signed in.
type AuthAPI struct {
	Accounts *account.Service
	Sessions session.Store
	Users    AccountStore
	Secure   bool // set the Secure cookie flag (https deployments)
	// TimeZone is the deployment's IANA zone name (XUETANG_TIMEZONE).
	TimeZone string
}

// authState is the signed-in user of a request, if any.
type authState struct {
	token     string
	sess      session.Session
	user      *account.User
	inst      *account.Institution
	principal account.Principal
}

func authOf(c echo.Context) *authState {
	a, _ := c.Get("auth").(*authState)
	return a
}

// requireUser returns the signed-in user or a 401.
func requireUser(c echo.Context) (*authState, error) {
	a := authOf(c)
	if a == nil {
		return nil, errs.New(errs.Unauthorized, "error.unauthorized")
	}
	return a, nil
}

func (h *AuthAPI) secure(c echo.Context) bool { return h.Secure || c.Scheme() == "https" }

func (h *AuthAPI) setCookies(c echo.Context, token, csrf string, shared bool, maxAge time.Duration) {
	sc := &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(c)}
	cc := &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", SameSite: http.SameSiteLaxMode, Secure: h.secure(c)}
	// On a shared computer the cookies die with the browser window.
	if !shared && maxAge > 0 {
		sc.MaxAge = int(maxAge / time.Second)
		cc.MaxAge = sc.MaxAge
	}
	c.SetCookie(sc)
	c.SetCookie(cc)
}

func (h *AuthAPI) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(c)})
}

// LoadSession reads the session cookie and, when valid, the user. It also
// makes sure an anonymous browser has a CSRF cookie to echo back at sign-in.
func (h *AuthAPI) LoadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			sess, err := h.Sessions.Get(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				if a, err := h.loadUser(c, ck.Value, sess); err != nil {
					return err
				} else if a != nil {
					c.Set("auth", a)
				}
			case errors.Is(err, errs.ErrNotFound):
				h.clearSessionCookie(c)
			default:
				return err
			}
		}
		if a := authOf(c); a != nil {
			if ck, err := c.Cookie(csrfCookie); err != nil || ck.Value != a.sess.CSRFToken {
				h.setCookies(c, a.token, a.sess.CSRFToken, a.sess.Shared, time.Until(a.sess.ExpiresAt))
			}
		} else if ck, err := c.Cookie(csrfCookie); err != nil || len(ck.Value) < 32 {
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: session.NewToken(), Path: "/", SameSite: http.SameSiteLaxMode, Secure: h.secure(c)})
		}
		return next(c)
	}
}

func (h *AuthAPI) loadUser(c echo.Context, token string, sess session.Session) (*authState, error) {
	ctx := c.Request().Context()
	u, inst, p, err := h.Accounts.SignedIn(ctx, sess.UserID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, h.Sessions.Delete(ctx, token)
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, h.Sessions.DeleteUser(ctx, u.ID)
	}
	return &authState{token: token, sess: sess, user: u, inst: inst, principal: p}, nil
}

// CheckCSRF rejects a state-changing request whose X-CSRF-Token header does
// not match the session's token (or, before sign-in, the CSRF cookie).
func CheckCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if safeMethod(c.Request().Method) {
			return next(c)
		}
		want := ""
		if a := authOf(c); a != nil {
			want = a.sess.CSRFToken
		} else if ck, err := c.Cookie(csrfCookie); err == nil {
			want = ck.Value
		}
		if !tokensEqual(c.Request().Header.Get(csrfHeader), want) {
			return errs.New(errs.Forbidden, "error.csrf")
		}
		return next(c)
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Shared   bool   `json:"shared"`
}

// Login signs in and rotates the session: any session the browser held
// before is deleted, and a new id is issued.
func (h *AuthAPI) Login(c echo.Context) error {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	res, err := h.Accounts.SignIn(c.Request().Context(), account.Login{
		Username: req.Username, Password: req.Password, Shared: req.Shared, IP: c.RealIP(),
	})
	if err != nil {
		return err
	}
	if a := authOf(c); a != nil {
		_ = h.Sessions.Delete(c.Request().Context(), a.token)
	} else if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		_ = h.Sessions.Delete(c.Request().Context(), ck.Value)
	}
	h.setCookies(c, res.Token, res.Session.CSRFToken, res.Session.Shared, time.Until(res.Session.ExpiresAt))
	a := &authState{token: res.Token, sess: res.Session, user: res.User, inst: res.Institution, principal: res.Principal}
	return c.JSON(http.StatusOK, map[string]any{"user": h.meJSON(a), "csrf_token": res.Session.CSRFToken})
}

// ChangePassword lets the signed-in user choose a new password
// (POST /api/v1/me/password {"current","new"}). Every session of the user
// ends; this browser gets a new one, so its cookies and CSRF token change.
func (h *AuthAPI) ChangePassword(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	res, err := h.Accounts.ChangePassword(c.Request().Context(), account.PasswordChange{
		UserID: a.user.ID, Current: req.Current, New: req.New, IP: c.RealIP(), Shared: a.sess.Shared,
	})
	if err != nil {
		return err
	}
	h.setCookies(c, res.Token, res.Session.CSRFToken, res.Session.Shared, time.Until(res.Session.ExpiresAt))
	na := &authState{token: res.Token, sess: res.Session, user: res.User, inst: res.Institution, principal: res.Principal}
	return c.JSON(http.StatusOK, map[string]any{"user": h.meJSON(na), "csrf_token": res.Session.CSRFToken})
}

// passwordChangeAllows are the API routes a user who must choose a new
// password may still call: who am I, sign in and out, the change itself,
// and the progress events and quiz attempts a browser may have queued
// before the reset.
var passwordChangeAllows = map[string]bool{
	"GET /api/v1/me":                    true,
	"GET /api/v1/auth/csrf":             true,
	"POST /api/v1/auth/login":           true,
	"POST /api/v1/auth/logout":          true,
	"POST /api/v1/me/password":          true,
	"POST /api/v1/me/privacy":           true,
	"POST /api/v1/progress":             true,
	"POST /api/v1/lessons/:id/attempts": true,
}

// RequirePasswordChange answers 403 error.password_change_required to a
// user whose password was chosen by someone else, until they choose one.
func RequirePasswordChange(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a := authOf(c); a != nil && a.user.MustChangePassword &&
			!passwordChangeAllows[c.Request().Method+" "+c.Path()] {
			return errs.New(errs.Forbidden, "error.password_change_required")
		}
		return next(c)
	}
}

// Unlock lifts the sign-in delays on an account, for staff helping a user
// who was locked out (POST /api/v1/admin/users/{id}/unlock).
func (h *AuthAPI) Unlock(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	u, err := h.Accounts.Unlock(c.Request().Context(), a.principal, numParam(c, "id"), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": u.ID, "username": u.Username, "unlocked": true})
}

// Logout ends the session on the server. On a shared computer it also asks
// the browser to forget everything this site stored.
func (h *AuthAPI) Logout(c echo.Context) error {
	if a := authOf(c); a != nil {
		if err := h.Sessions.Delete(c.Request().Context(), a.token); err != nil {
			return err
		}
		if a.sess.Shared {
			c.Response().Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
		}
	}
	h.clearSessionCookie(c)
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: session.NewToken(), Path: "/", SameSite: http.SameSiteLaxMode, Secure: h.secure(c)})
	return c.JSON(http.StatusOK, map[string]any{"status": "signed_out"})
}

// Site tells the sign-in page, before anyone signs in, whether this is a
// public terminal (sign-in is then always "shared computer") and after how
// long an idle shared session ends (GET /api/v1/site).
func (h *AuthAPI) Site(c echo.Context) error {
	public, idle := h.Accounts.Terminal()
	return c.JSON(http.StatusOK, map[string]any{"public_terminal": public, "shared_idle_seconds": int(idle.Seconds())})
}

// CSRF returns the token to echo in X-CSRF-Token, for clients that cannot
// read cookies (mobile apps); the cookie is set by LoadSession as usual.
func (h *AuthAPI) CSRF(c echo.Context) error {
	if a := authOf(c); a != nil {
		return c.JSON(http.StatusOK, map[string]string{"csrf_token": a.sess.CSRFToken})
	}
	for _, ck := range c.Response().Header().Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(ck, csrfCookie+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return c.JSON(http.StatusOK, map[string]string{"csrf_token": v})
		}
	}
	ck, _ := c.Cookie(csrfCookie)
	return c.JSON(http.StatusOK, map[string]string{"csrf_token": ck.Value})
}

// Me returns the signed-in user.
func (h *AuthAPI) Me(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.meJSON(a))
}

// SetLocale stores the user's language choice.
func (h *AuthAPI) SetLocale(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Locale string `json:"locale"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Locale != "zh-CN" && req.Locale != "en" {
		return errs.New(errs.Invalid, "error.locale_invalid").With("field", "locale")
	}
	if err := h.Users.SetUserLocale(c.Request().Context(), a.user.ID, req.Locale); err != nil {
		return err
	}
	h.Accounts.Forget(a.user.ID)
	a.user.Locale = req.Locale
	return c.JSON(http.StatusOK, h.meJSON(a))
}

// displayJSON is the age-friendly display choice, sent and received whole.
type displayJSON struct {
	LargeText    *bool `json:"large_text"`
	HighContrast *bool `json:"high_contrast"`
}

// SetDisplay stores the user's age-friendly display choice (large text,
// high contrast) so it follows them to any device they sign in on.
func (h *AuthAPI) SetDisplay(c echo.Context) error {
	a, err := requireUser(c)
	if err != nil {
		return err
	}
	var req displayJSON
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	// Both fields are required: a missing one would silently switch a mode
	// off that the learner had turned on from another device.
	if req.LargeText == nil {
		return errs.New(errs.Invalid, "a11y.error_display").With("field", "large_text")
	}
	if req.HighContrast == nil {
		return errs.New(errs.Invalid, "a11y.error_display").With("field", "high_contrast")
	}
	if err := h.Users.SetUserDisplay(c.Request().Context(), a.user.ID, *req.LargeText, *req.HighContrast); err != nil {
		return err
	}
	h.Accounts.Forget(a.user.ID)
	a.user.LargeText, a.user.HighContrast = *req.LargeText, *req.HighContrast
	return c.JSON(http.StatusOK, h.meJSON(a))
}

// meJSON is the signed-in user as the browser sees it. time_zone is the
// deployment's, so dates read the same to a learner on any device.
func (h *AuthAPI) meJSON(a *authState) map[string]any {
	u := a.user
	public, _ := h.Accounts.Terminal()
	out := map[string]any{
		"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "role": u.Role,
		"locale": u.Locale, "shared": a.sess.Shared, "region_code": a.principal.RegionCode,
		"institution": nil, "time_zone": h.TimeZone, "must_change_password": u.MustChangePassword,
		"privacy_version": account.PrivacyVersion, "privacy_accepted": u.PrivacyVersion == account.PrivacyVersion,
		// The page counts down to the server's idle sign-out of a shared
		// session from this.
		"idle_seconds": int(a.sess.Idle.Seconds()), "public_terminal": public,
		"display": map[string]bool{"large_text": u.LargeText, "high_contrast": u.HighContrast},
	}
	if a.inst != nil {
		out["institution"] = map[string]any{"code": a.inst.Code, "name": a.inst.Name, "kind": a.inst.Kind}
	}
	return out
}
