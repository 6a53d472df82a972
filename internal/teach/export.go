package teach

import (
	"time"

	"github.com/xuetang-edu/xuetang/internal/sheet"
)

// GridRows lays the grid out for a spreadsheet: a header row (its words
// from t, the catalog of the request's language), then one row per learner
// with, for each assigned course, the status, percent, active minutes and
// credited study hours, and the learner's last activity. Times are in loc.
func GridRows(g *Grid, t func(key string) string, loc *time.Location) [][]sheet.Cell {
	header := []sheet.Cell{t("class.grid.username"), t("class.grid.display_name")}
	for _, c := range g.Courses {
		header = append(header, c.Title+" · "+t("class.grid.status"), c.Title+" · "+t("class.grid.percent"),
			c.Title+" · "+t("class.grid.active_minutes"), c.Title+" · "+t("class.grid.hours"))
	}
	header = append(header, t("class.grid.last_activity"))
	rows := [][]sheet.Cell{header}
	for _, l := range g.Learners {
		r := []sheet.Cell{l.Username, l.DisplayName}
		for _, c := range l.Courses {
			status := t("class.status." + c.Status)
			if c.Implausible {
				status += " (" + t("class.grid.implausible") + ")"
			}
			r = append(r, status, c.ProgressPercent, (c.ActiveSeconds+30)/60, c.HoursCredited)
		}
		last := ""
		if l.LastActivity != nil {
			last = l.LastActivity.In(loc).Format("2006-01-02 15:04")
		}
		rows = append(rows, append(r, last))
	}
	return rows
}
