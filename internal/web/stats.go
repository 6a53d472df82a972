package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/stats"
)

// StatsService is what the statistics API calls.
type StatsService interface {
	Summary(ctx context.Context, p account.Principal, f stats.Filter) (*stats.Summary, error)
	Regions(ctx context.Context, p account.Principal, f stats.Filter) (*stats.RegionTable, error)
	Trend(ctx context.Context, p account.Principal, f stats.Filter, period string) (*stats.Trend, error)
	Breakdown(ctx context.Context, p account.Principal, f stats.Filter, by string) (*stats.Breakdown, error)
	Classes(ctx context.Context, p account.Principal, f stats.Filter) (*stats.ClassTable, error)
	Targets(ctx context.Context, p account.Principal) ([]stats.Target, error)
	SetTarget(ctx context.Context, p account.Principal, ip string, t stats.Target) (*stats.Target, error)
	AddCredit(ctx context.Context, p account.Principal, ip string, c stats.Credit) (*stats.Credit, error)
	Credits(ctx context.Context, p account.Principal, username string) ([]stats.Credit, error)
}

// StatsAPI is /api/v1/admin/stats: admins see the country, region admins
// their region, institution admins their institution; everyone else 403.
type StatsAPI struct {
	Stats StatsService
	// Generation changes after every pass of the statistics upkeep
	// (stats.Worker.Passes): the indicator answers are kept until then
	// (keep.go). Nil reads them every time.
	Generation func() uint64
	kept       keptAnswers
}

func (h *StatsAPI) routes(api *echo.Group) {
	if h == nil {
		return
	}
	g := api.Group("/admin/stats")
	h.kept.generation = h.Generation
	// Targets and credits are edited here and read back at once: not kept.
	keep := h.kept.middleware
	g.GET("/summary", h.Summary, keep)
	g.GET("/regions", h.Regions, keep)
	g.GET("/trend", h.Trend, keep)
	g.GET("/breakdown", h.Breakdown, keep)
	g.GET("/classes", h.Classes, keep)
	g.GET("/targets", h.Targets)
	g.PUT("/targets", h.SetTarget)
	g.GET("/credits", h.Credits)
	g.POST("/credits", h.AddCredit)
}

// indicatorsJSON is the shared part of every statistics row.
type indicatorsJSON struct {
	Learners           *int64   `json:"learners"`
	Active             int64    `json:"active"`
	Enrolled           int64    `json:"enrolled"`
	Completed          int64    `json:"completed"`
	Certificates       int64    `json:"certificates"`
	HoursCredited      float64  `json:"hours_credited"`
	ActiveHours        float64  `json:"active_hours"`
	OfflineHours       float64  `json:"offline_hours"`
	CompletionRate     *float64 `json:"completion_rate"`
	TargetReachedShare *float64 `json:"target_reached_share"`
}

func toIndicatorsJSON(in stats.Indicators, withLearners bool) indicatorsJSON {
	out := indicatorsJSON{Active: in.Active, Enrolled: in.Enrolled, Completed: in.Completed,
		Certificates: in.Certificates, HoursCredited: in.HoursCredited, ActiveHours: in.ActiveHours, OfflineHours: in.OfflineHours,
		CompletionRate: in.CompletionRate}
	if withLearners {
		n := in.Learners
		out.Learners = &n
		out.TargetReachedShare = in.TargetReached
	}
	return out
}

func statsPrincipal(c echo.Context) (account.Principal, error) {
	a, err := requireUser(c)
	if err != nil {
		return account.Principal{}, err
	}
	return a.principal, nil
}

func statsFilter(c echo.Context) stats.Filter {
	return stats.Filter{Region: c.QueryParam("region"), Institution: c.QueryParam("institution"),
		Course: c.QueryParam("course"), From: c.QueryParam("from"), To: c.QueryParam("to")}
}

// freshnessJSON says how current an answer is: as_of, and whether a read
// replica answered and how far behind the primary it was (null on the
// primary).
type freshnessJSON struct {
	AsOf              *time.Time `json:"as_of"`
	Source            string     `json:"source"`
	ReplicaLagSeconds *int64     `json:"replica_lag_seconds"`
}

func toFreshnessJSON(f stats.Freshness) freshnessJSON {
	return freshnessJSON{AsOf: f.AsOf, Source: f.Source, ReplicaLagSeconds: f.ReplicaLagSeconds}
}

type summaryJSON struct {
	indicatorsJSON
	TargetYear int `json:"target_year"`
	freshnessJSON
}

// Summary answers GET /api/v1/admin/stats/summary?region=&institution=&from=&to=.
func (h *StatsAPI) Summary(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	s, err := h.Stats.Summary(c.Request().Context(), p, statsFilter(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, summaryJSON{indicatorsJSON: toIndicatorsJSON(s.Indicators, true), TargetYear: s.TargetYear,
		freshnessJSON: toFreshnessJSON(s.Freshness)})
}

type placeJSON struct {
	Type  string `json:"type"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level int    `json:"level,omitempty"`
	Kind  string `json:"kind,omitempty"`
	indicatorsJSON
}

type regionTableJSON struct {
	Region struct {
		Code  string `json:"code"`
		Name  string `json:"name"`
		Level int    `json:"level"`
	} `json:"region"`
	Rows       []placeJSON `json:"rows"`
	TargetYear int         `json:"target_year"`
	freshnessJSON
}

// Regions answers GET /api/v1/admin/stats/regions?region=&institution=&from=&to=.
func (h *StatsAPI) Regions(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	t, err := h.Stats.Regions(c.Request().Context(), p, statsFilter(c))
	if err != nil {
		return err
	}
	out := regionTableJSON{Rows: make([]placeJSON, 0, len(t.Rows)), TargetYear: t.TargetYear, freshnessJSON: toFreshnessJSON(t.Freshness)}
	out.Region.Code, out.Region.Name, out.Region.Level = t.Code, t.Name, t.Level
	for _, r := range t.Rows {
		out.Rows = append(out.Rows, placeJSON{Type: r.Type, Code: r.Code, Name: r.Name, Level: r.Level, Kind: r.Kind,
			indicatorsJSON: toIndicatorsJSON(r.Indicators, true)})
	}
	return c.JSON(http.StatusOK, out)
}

type pointJSON struct {
	Start         string  `json:"start"`
	End           string  `json:"end"`
	Active        int64   `json:"active"`
	Enrolled      int64   `json:"enrolled"`
	Completed     int64   `json:"completed"`
	Certificates  int64   `json:"certificates"`
	HoursCredited float64 `json:"hours_credited"`
	ActiveHours   float64 `json:"active_hours"`
	OfflineHours  float64 `json:"offline_hours"`
}

// Trend answers GET /api/v1/admin/stats/trend?region=&institution=&course=&from=&to=&period=.
func (h *StatsAPI) Trend(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	t, err := h.Stats.Trend(c.Request().Context(), p, statsFilter(c), c.QueryParam("period"))
	if err != nil {
		return err
	}
	pts := make([]pointJSON, len(t.Points))
	for i, pt := range t.Points {
		pts[i] = pointJSON(pt)
	}
	return c.JSON(http.StatusOK, struct {
		Period string      `json:"period"`
		Points []pointJSON `json:"points"`
		freshnessJSON
	}{t.Period, pts, toFreshnessJSON(t.Freshness)})
}

type rowJSON struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	indicatorsJSON
	// Active shadows the embedded one: null where it cannot be added up
	// (audience rows).
	Active *int64 `json:"active"`
}

// Breakdown answers GET /api/v1/admin/stats/breakdown?by=course|audience|kind|age_band&region=&institution=&from=&to=.
func (h *StatsAPI) Breakdown(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	b, err := h.Stats.Breakdown(c.Request().Context(), p, statsFilter(c), c.QueryParam("by"))
	if err != nil {
		return err
	}
	rows := make([]rowJSON, len(b.Rows))
	for i, r := range b.Rows {
		rows[i] = rowJSON{Key: r.Key, Label: r.Label, indicatorsJSON: toIndicatorsJSON(r.Indicators, r.HasLearners)}
		if r.HasActive {
			n := r.Active
			rows[i].Active = &n
		}
	}
	return c.JSON(http.StatusOK, struct {
		By         string    `json:"by"`
		Rows       []rowJSON `json:"rows"`
		TargetYear int       `json:"target_year"`
		freshnessJSON
	}{b.By, rows, b.TargetYear, toFreshnessJSON(b.Freshness)})
}

type classRowJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Archived bool   `json:"archived"`
	indicatorsJSON
}

// Classes answers GET /api/v1/admin/stats/classes?institution=&from=&to=
// (institution admins may leave out their own institution).
func (h *StatsAPI) Classes(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	t, err := h.Stats.Classes(c.Request().Context(), p, statsFilter(c))
	if err != nil {
		return err
	}
	out := struct {
		Institution struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"institution"`
		Rows []classRowJSON `json:"rows"`
		AsOf *time.Time     `json:"as_of"`
	}{Rows: make([]classRowJSON, len(t.Rows)), AsOf: t.AsOf}
	out.Institution.Code, out.Institution.Name = t.Code, t.Name
	for i, r := range t.Rows {
		// Learners are counted per class; targets are not (null share).
		out.Rows[i] = classRowJSON{ID: r.ID, Name: r.Name, Archived: r.Archived, indicatorsJSON: toIndicatorsJSON(r.Indicators, true)}
	}
	return c.JSON(http.StatusOK, out)
}

type targetJSON struct {
	Scope string  `json:"scope"`
	Year  int     `json:"year"`
	Hours float64 `json:"hours"`
}

// Targets answers GET /api/v1/admin/stats/targets.
func (h *StatsAPI) Targets(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	ts, err := h.Stats.Targets(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := make([]targetJSON, len(ts))
	for i, t := range ts {
		out[i] = targetJSON(t)
	}
	return c.JSON(http.StatusOK, map[string]any{"targets": out})
}

// SetTarget answers PUT /api/v1/admin/stats/targets {"scope","year","hours"}.
func (h *StatsAPI) SetTarget(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	var req targetJSON
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	t, err := h.Stats.SetTarget(c.Request().Context(), p, c.RealIP(), stats.Target(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, targetJSON(*t))
}

type creditJSON struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Date      string    `json:"date"`
	Hours     float64   `json:"hours"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind"` // always "offline": 线下培训学时, never course 学时
	CreatedAt time.Time `json:"created_at"`
}

func toCreditJSON(c stats.Credit) creditJSON {
	return creditJSON{ID: c.ID, Username: c.Username, Date: c.Date, Hours: c.Hours, Title: c.Title, Kind: "offline", CreatedAt: c.CreatedAt}
}

// Credits answers GET /api/v1/admin/stats/credits?username=.
func (h *StatsAPI) Credits(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	cs, err := h.Stats.Credits(c.Request().Context(), p, c.QueryParam("username"))
	if err != nil {
		return err
	}
	out := make([]creditJSON, len(cs))
	for i, cr := range cs {
		out[i] = toCreditJSON(cr)
	}
	return c.JSON(http.StatusOK, map[string]any{"credits": out})
}

type creditRequest struct {
	Username string  `json:"username"`
	Date     string  `json:"date"`
	Hours    float64 `json:"hours"`
	Title    string  `json:"title"`
}

// AddCredit answers POST /api/v1/admin/stats/credits {"username","date","hours","title"} with 201.
func (h *StatsAPI) AddCredit(c echo.Context) error {
	p, err := statsPrincipal(c)
	if err != nil {
		return err
	}
	var req creditRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cr, err := h.Stats.AddCredit(c.Request().Context(), p, c.RealIP(), stats.Credit{Username: req.Username, Date: req.Date,
		Hours: req.Hours, Title: req.Title})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toCreditJSON(*cr))
}
