package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The statistics upkeep: a pass reads what the raw tables gained since the
// last pass and changes the counters by exactly the difference it makes.
// A rebuild computes the same counters from scratch; a test holds the two
// equal. Nothing here runs on the progress-write path.

const (
	// statsBatch bounds the raw rows one pass reads from each table.
	statsBatch = 5000
	// StatsGapWait is how long a skipped id is waited for: an id taken by a
	// transaction that is still open commits later than the ids after it.
	// Writes to the tailed tables take milliseconds; an id still missing
	// after this long was rolled back or burnt by a duplicate.
	StatsGapWait = 10 * time.Minute
	// statsUserOverlap re-reads accounts changed this long before the last
	// check, for changes whose transaction committed late. Re-reading is
	// harmless: an account is re-attributed only when its place differs.
	statsUserOverlap = 10 * time.Minute
	// statsGapsPerJump caps the ids recorded for one jump in a tail.
	statsGapsPerJump = 1000
)

// statsHome is where a counted learner is attributed; nil: not counted
// (not a learner, deleted).
type statsHome struct {
	InstitutionID int64
	Region        string
	Kind          string
	BirthYear     int // 0: unknown
}

func (h *statsHome) equal(o *statsHome) bool {
	if h == nil || o == nil {
		return h == nil && o == nil
	}
	return *h == *o
}

// scopes are the counter scopes the learner counts in: the country, every
// level of their region, their institution.
func (h *statsHome) scopes() []string {
	out := []string{ScopeAll}
	p := RegionPrefix(h.Region)
	for _, n := range []int{2, 4, 6} {
		if len(p) >= n {
			out = append(out, ScopeRegion(p[:n]))
		}
	}
	if h.InstitutionID != 0 {
		out = append(out, ScopeInstitution(h.InstitutionID))
	}
	return out
}

// dims are the learner-level dimensions: total, institution kind, birth year.
func (h *statsHome) dims() [][2]string {
	by := ""
	if h.BirthYear != 0 {
		by = strconv.Itoa(h.BirthYear)
	}
	return [][2]string{{DimTotal, ""}, {DimKind, h.Kind}, {DimBirthYear, by}}
}

func (h *statsHome) row(userID int64) StatsLearner {
	r := StatsLearner{UserID: userID, RegionCode: h.Region, Kind: h.Kind}
	if h.InstitutionID != 0 {
		id := h.InstitutionID
		r.InstitutionID = &id
	}
	if h.BirthYear != 0 {
		by := h.BirthYear
		r.BirthYear = &by
	}
	return r
}

func homeOfRow(r *StatsLearner) *statsHome {
	if r == nil {
		return nil
	}
	h := &statsHome{Region: r.RegionCode, Kind: r.Kind}
	if r.InstitutionID != nil {
		h.InstitutionID = *r.InstitutionID
	}
	if r.BirthYear != nil {
		h.BirthYear = *r.BirthYear
	}
	return h
}

type cellKey struct {
	Day    int
	Course int64
}

type cell struct {
	Credited, Enrolled, EnrolledDone, Completed, Certs, Hours int64
	Offline                                                   int64 // manual credit, 学时 × 100
}

func (c cell) zero() bool { return c == cell{} }

// facts replaces the columns that come from enrolments and certificates.
func (c cell) withFacts(f cell) cell {
	f.Credited = c.Credited
	return f
}

type counterKey struct {
	Period string
	Start  int
	Scope  string
	Dim    string
	Val    string
}

type counterVals struct {
	Learners, Active, Enrolled, EnrolledDone, Completed, Certs, Hours, Credited, Reached, Offline int64
}

type counterMap map[counterKey]*counterVals

func (m counterMap) add(k counterKey, v counterVals, sign int64) {
	c := m[k]
	if c == nil {
		c = &counterVals{}
		m[k] = c
	}
	c.Learners += sign * v.Learners
	c.Active += sign * v.Active
	c.Enrolled += sign * v.Enrolled
	c.EnrolledDone += sign * v.EnrolledDone
	c.Completed += sign * v.Completed
	c.Certs += sign * v.Certs
	c.Hours += sign * v.Hours
	c.Credited += sign * v.Credited
	c.Reached += sign * v.Reached
	c.Offline += sign * v.Offline
}

// statsTargets are the yearly study-hour targets, resolved for learners
// the way "my learning" resolves them (learning.TargetScopes): the
// institution's, else its kind's, else the learners' role's, else the
// default; a year's own row beats the every-year row (year 0).
type statsTargets struct {
	byScope  map[string]map[int]int64 // hours × 100
	instCode map[int64]string
}

func (t *statsTargets) forHome(h *statsHome, year int) (int64, bool) {
	var scopes []string
	if c := t.instCode[h.InstitutionID]; c != "" {
		scopes = append(scopes, "institution:"+c)
	}
	if h.Kind != "" {
		scopes = append(scopes, "kind:"+h.Kind)
	}
	scopes = append(scopes, "role:learner", "default")
	for _, sc := range scopes {
		m := t.byScope[sc]
		if v, ok := m[year]; ok {
			return v, true
		}
		if v, ok := m[0]; ok {
			return v, true
		}
	}
	return 0, false
}

func centi(h float64) int64 { return int64(math.Round(h * 100)) }

// loadTargets reads the targets and a checksum of everything reached
// counts depend on, so a pass notices when an admin changed one.
func loadTargets(tx *gorm.DB) (*statsTargets, string, error) {
	var rows []StudyHourTarget
	if err := tx.Order("scope, year").Find(&rows).Error; err != nil {
		return nil, "", err
	}
	t := &statsTargets{byScope: map[string]map[int]int64{}, instCode: map[int64]string{}}
	var codes []string
	var sb strings.Builder
	for _, r := range rows {
		if t.byScope[r.Scope] == nil {
			t.byScope[r.Scope] = map[int]int64{}
		}
		t.byScope[r.Scope][r.Year] = centi(r.Hours)
		fmt.Fprintf(&sb, "%s|%d|%d\n", r.Scope, r.Year, centi(r.Hours))
		if c, ok := strings.CutPrefix(r.Scope, "institution:"); ok {
			codes = append(codes, c)
		}
	}
	if len(codes) > 0 {
		var ins []Institution
		if err := tx.Where("code IN ?", codes).Order("id").Find(&ins).Error; err != nil {
			return nil, "", err
		}
		for _, in := range ins {
			// Codes are unique whatever their case; the target names one.
			for _, c := range codes {
				if strings.EqualFold(c, in.Code) {
					t.instCode[in.ID] = c
				}
			}
			fmt.Fprintf(&sb, "i%d=%s\n", in.ID, t.instCode[in.ID])
		}
	}
	sum := sha256.Sum256([]byte(sb.String()))
	return t, hex.EncodeToString(sum[:]), nil
}

type periodRef struct {
	Period string
	Start  int
}

// addCell adds one cell's additive indicators in every kept period.
func addCell(m counterMap, sign int64, h *statsHome, scopes []string, k cellKey, c cell, keep func(periodRef) bool) {
	v := counterVals{Enrolled: c.Enrolled, EnrolledDone: c.EnrolledDone, Completed: c.Completed, Certs: c.Certs,
		Hours: c.Hours, Credited: c.Credited, Offline: c.Offline}
	if v == (counterVals{}) {
		return
	}
	course := strconv.FormatInt(k.Course, 10)
	for _, p := range periodKinds {
		pr := periodRef{p, PeriodStart(p, k.Day)}
		if keep != nil && !keep(pr) {
			continue
		}
		for _, sc := range scopes {
			for _, d := range h.dims() {
				m.add(counterKey{pr.Period, pr.Start, sc, d[0], d[1]}, v, sign)
			}
			if k.Course != 0 { // manual credit belongs to no course
				m.add(counterKey{pr.Period, pr.Start, sc, DimCourse, course}, v, sign)
			}
		}
	}
}

// contribution adds (sign +1) or removes (-1) what one learner contributes
// to the counters in the kept periods (nil: all), given all their cells:
// the additive sums, one "active" per period (and per course and period)
// with credited time, one "learner" in all time, and one "reached" per
// year whose credited 学时 meet the learner's target.
func contribution(m counterMap, sign int64, h *statsHome, cells map[cellKey]cell, tg *statsTargets, keep func(periodRef) bool) {
	if h == nil {
		return
	}
	scopes := h.scopes()
	dims := h.dims()
	active := map[periodRef]bool{}
	type courseRef struct {
		periodRef
		Course int64
	}
	activeCourse := map[courseRef]bool{}
	yearHours := map[int]int64{}
	for k, c := range cells {
		addCell(m, sign, h, scopes, k, c, keep)
		yearHours[k.Day/10000] += c.Hours + c.Offline
		if c.Credited <= 0 {
			continue
		}
		for _, p := range periodKinds {
			pr := periodRef{p, PeriodStart(p, k.Day)}
			if keep == nil || keep(pr) {
				active[pr] = true
				activeCourse[courseRef{pr, k.Course}] = true
			}
		}
	}
	for pr := range active {
		for _, sc := range scopes {
			for _, d := range dims {
				m.add(counterKey{pr.Period, pr.Start, sc, d[0], d[1]}, counterVals{Active: 1}, sign)
			}
		}
	}
	for cr := range activeCourse {
		for _, sc := range scopes {
			m.add(counterKey{cr.Period, cr.Start, sc, DimCourse, strconv.FormatInt(cr.Course, 10)}, counterVals{Active: 1}, sign)
		}
	}
	all := periodRef{PeriodAll, 0}
	if keep == nil || keep(all) {
		for _, sc := range scopes {
			for _, d := range dims {
				m.add(counterKey{PeriodAll, 0, sc, d[0], d[1]}, counterVals{Learners: 1}, sign)
			}
		}
	}
	reachedContribution(m, sign, h, yearHours, tg, keep)
}

func reachedContribution(m counterMap, sign int64, h *statsHome, yearHours map[int]int64, tg *statsTargets, keep func(periodRef) bool) {
	for y, hours := range yearHours {
		pr := periodRef{PeriodYear, y*10000 + 101}
		if keep != nil && !keep(pr) {
			continue
		}
		target, ok := tg.forHome(h, y)
		if !ok || target <= 0 || hours < target {
			continue
		}
		for _, sc := range h.scopes() {
			for _, d := range h.dims() {
				m.add(counterKey{pr.Period, pr.Start, sc, d[0], d[1]}, counterVals{Reached: 1}, sign)
			}
		}
	}
}

func yearHoursOf(cells map[cellKey]cell) map[int]int64 {
	out := map[int]int64{}
	for k, c := range cells {
		out[k.Day/10000] += c.Hours + c.Offline
	}
	return out
}

// flushCounters adds the map's values to the stored counters.
func (s *Store) flushCounters(tx *gorm.DB, m counterMap) error {
	return s.flushCountersInto(tx, "stats_counters", m)
}

func (s *Store) flushCountersInto(tx *gorm.DB, table string, m counterMap) error {
	keys := make([]counterKey, 0, len(m))
	for k, v := range m {
		if *v != (counterVals{}) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { // a fixed order takes row locks in a fixed order
		a, b := keys[i], keys[j]
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		if a.Dim != b.Dim {
			return a.Dim < b.Dim
		}
		return a.Val < b.Val
	})
	cols := []string{"learners", "active", "enrolled", "enrolled_done", "completed", "certificates", "hours_centi", "credited_seconds",
		"reached", "offline_centi"}
	var upd []string
	for _, c := range cols {
		if s.dialect == MySQL {
			upd = append(upd, fmt.Sprintf("%s = %s + VALUES(%s)", c, c, c))
		} else {
			upd = append(upd, fmt.Sprintf("%s = %s + excluded.%s", c, c, c))
		}
	}
	conflict := " ON CONFLICT (period, start, scope, dim, val) DO UPDATE SET "
	if s.dialect == MySQL {
		conflict = " ON DUPLICATE KEY UPDATE "
	}
	for start := 0; start < len(keys); start += 200 {
		end := min(start+200, len(keys))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (period, start, scope, dim, val, " + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*15)
		for i, k := range keys[start:end] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			v := m[k]
			args = append(args, k.Period, k.Start, k.Scope, k.Dim, k.Val, v.Learners, v.Active, v.Enrolled, v.EnrolledDone,
				v.Completed, v.Certs, v.Hours, v.Credited, v.Reached, v.Offline)
		}
		sb.WriteString(conflict + strings.Join(upd, ", "))
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// writeCells stores a learner's cells that changed: an all-zero cell is
// removed, any other written whole.
func (s *Store) writeCells(tx *gorm.DB, userID int64, before, after map[cellKey]cell) error {
	var put []StatsLearnerDay
	for k, a := range after {
		if before[k] == a {
			continue
		}
		if a.zero() {
			if err := tx.Where("user_id = ? AND day = ? AND course_id = ?", userID, k.Day, k.Course).
				Delete(&StatsLearnerDay{}).Error; err != nil {
				return err
			}
			continue
		}
		put = append(put, dayRow(userID, k, a))
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			if err := tx.Where("user_id = ? AND day = ? AND course_id = ?", userID, k.Day, k.Course).
				Delete(&StatsLearnerDay{}).Error; err != nil {
				return err
			}
		}
	}
	return s.putDayRows(tx, put)
}

func dayRow(userID int64, k cellKey, c cell) StatsLearnerDay {
	return StatsLearnerDay{UserID: userID, Day: k.Day, CourseID: k.Course, CreditedSeconds: c.Credited, Enrolled: c.Enrolled,
		EnrolledDone: c.EnrolledDone, Completed: c.Completed, Certificates: c.Certs, HoursCenti: c.Hours, OfflineCenti: c.Offline}
}

// putDayRows inserts or overwrites whole rows.
func (s *Store) putDayRows(tx *gorm.DB, rows []StatsLearnerDay) error {
	return s.upsertDayRows(tx, rows, dayRowCols, false)
}

var dayRowCols = []string{"credited_seconds", "enrolled", "enrolled_done", "completed", "certificates", "hours_centi", "offline_centi"}

func (s *Store) upsertDayRows(tx *gorm.DB, rows []StatsLearnerDay, cols []string, additive bool) error {
	return s.upsertDayRowsInto(tx, "stats_learner_days", rows, cols, additive)
}

func (s *Store) upsertDayRowsInto(tx *gorm.DB, table string, rows []StatsLearnerDay, cols []string, additive bool) error {
	var upd []string
	for _, c := range cols {
		switch {
		case s.dialect == MySQL && additive:
			upd = append(upd, fmt.Sprintf("%s = %s + VALUES(%s)", c, c, c))
		case s.dialect == MySQL:
			upd = append(upd, fmt.Sprintf("%s = VALUES(%s)", c, c))
		case additive:
			upd = append(upd, fmt.Sprintf("%s = %s + excluded.%s", c, c, c))
		default:
			upd = append(upd, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	conflict := " ON CONFLICT (user_id, day, course_id) DO UPDATE SET "
	if s.dialect == MySQL {
		conflict = " ON DUPLICATE KEY UPDATE "
	}
	for start := 0; start < len(rows); start += 300 {
		end := min(start+300, len(rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (user_id, day, course_id, credited_seconds, enrolled, enrolled_done, " +
			"completed, certificates, hours_centi, offline_centi) VALUES ")
		args := make([]any, 0, (end-start)*10)
		for i, r := range rows[start:end] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.UserID, r.Day, r.CourseID, r.CreditedSeconds, r.Enrolled, r.EnrolledDone, r.Completed,
				r.Certificates, r.HoursCenti, r.OfflineCenti)
		}
		sb.WriteString(conflict + strings.Join(upd, ", "))
		if err := tx.Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for start := 0; start < len(ids); start += n {
		out = append(out, ids[start:min(start+n, len(ids))])
	}
	return out
}

// currentHomes reads where each user counts now: learners not deleted, at
// their institution's region (else their own region).
func currentHomes(tx *gorm.DB, ids []int64) (map[int64]*statsHome, error) {
	out := map[int64]*statsHome{}
	for _, ch := range chunks(ids, 500) {
		var rows []struct {
			ID            int64
			Role          string
			DeletedAt     *time.Time
			InstitutionID *int64
			OwnRegion     *string
			BirthYear     *int
			Kind          *string
			InstRegion    *string
		}
		if err := tx.Table("users u").Select("u.id, u.role, u.deleted_at, u.institution_id, u.region_code AS own_region, "+
			"u.birth_year, i.kind, i.region_code AS inst_region").
			Joins("LEFT JOIN institutions i ON i.id = u.institution_id").Where("u.id IN ?", ch).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Role != "learner" || r.DeletedAt != nil {
				out[r.ID] = nil
				continue
			}
			h := &statsHome{}
			if r.InstitutionID != nil && r.Kind != nil {
				h.InstitutionID, h.Kind = *r.InstitutionID, *r.Kind
				if r.InstRegion != nil {
					h.Region = *r.InstRegion
				}
			} else if r.OwnRegion != nil {
				h.Region = *r.OwnRegion
			}
			if r.BirthYear != nil {
				h.BirthYear = *r.BirthYear
			}
			out[r.ID] = h
		}
	}
	return out, nil
}

// userFacts computes, from the enrolments and certificates, each user's
// cells as far as those tables go (Credited stays zero).
func userFacts(tx *gorm.DB, ids []int64, loc *time.Location) (map[int64]map[cellKey]cell, error) {
	out := map[int64]map[cellKey]cell{}
	bump := func(u int64, k cellKey, f func(*cell)) {
		if out[u] == nil {
			out[u] = map[cellKey]cell{}
		}
		c := out[u][k]
		f(&c)
		out[u][k] = c
	}
	for _, ch := range chunks(ids, 500) {
		var es []Enrollment
		if err := tx.Where("user_id IN ?", ch).Find(&es).Error; err != nil {
			return nil, err
		}
		for _, e := range es {
			ek := cellKey{DayNumber(e.EnrolledAt.In(loc)), e.CourseID}
			bump(e.UserID, ek, func(c *cell) { c.Enrolled++ })
			if e.CompletedAt != nil {
				bump(e.UserID, ek, func(c *cell) { c.EnrolledDone++ })
				h := centi(e.HoursCredited)
				bump(e.UserID, cellKey{DayNumber(e.CompletedAt.In(loc)), e.CourseID}, func(c *cell) { c.Completed++; c.Hours += h })
			}
		}
		var cs []Certificate
		if err := tx.Select("user_id, course_id, issued_at").Where("user_id IN ? AND revoked_at IS NULL", ch).Find(&cs).Error; err != nil {
			return nil, err
		}
		for _, c := range cs {
			bump(c.UserID, cellKey{DayNumber(c.IssuedAt.In(loc)), c.CourseID}, func(x *cell) { x.Certs++ })
		}
		var mcs []ManualCredit
		if err := tx.Select("user_id, day, hours").Where("user_id IN ?", ch).Find(&mcs).Error; err != nil {
			return nil, err
		}
		for _, mc := range mcs {
			h := centi(mc.Hours)
			bump(mc.UserID, cellKey{mc.Day, 0}, func(x *cell) { x.Offline += h })
		}
	}
	return out, nil
}

func userCells(tx *gorm.DB, ids []int64) (map[int64]map[cellKey]cell, error) {
	out := map[int64]map[cellKey]cell{}
	for _, ch := range chunks(ids, 500) {
		var rows []StatsLearnerDay
		if err := tx.Where("user_id IN ?", ch).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if out[r.UserID] == nil {
				out[r.UserID] = map[cellKey]cell{}
			}
			out[r.UserID][cellKey{r.Day, r.CourseID}] = cell{Credited: r.CreditedSeconds, Enrolled: r.Enrolled,
				EnrolledDone: r.EnrolledDone, Completed: r.Completed, Certs: r.Certificates, Hours: r.HoursCenti, Offline: r.OfflineCenti}
		}
	}
	return out, nil
}

// lessonCourses maps lesson ids to their course ids, filling cache.
func lessonCourses(tx *gorm.DB, ids []int64, cache map[int64]int64) error {
	var missing []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if _, ok := cache[id]; !ok && !seen[id] {
			missing = append(missing, id)
			seen[id] = true
		}
	}
	for _, ch := range chunks(missing, 500) {
		var rows []struct{ ID, CourseID int64 }
		if err := tx.Table("lessons l").Select("l.id, v.course_id").
			Joins("JOIN course_versions v ON v.id = l.course_version_id").Where("l.id IN ?", ch).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			cache[r.ID] = r.CourseID
		}
	}
	return nil
}

type tailEvent struct {
	ID              int64
	UserID          int64
	LessonID        int64
	CreditedSeconds int64
	ReceivedAt      time.Time
}

type tailRow struct {
	ID     int64
	UserID int64
}

type tailAudit struct {
	ID     int64
	Action string
	Target string
}

// tailSource reads one raw table past its watermark, plus the ids it is
// still waiting for; it returns the rows, the new watermark, the gaps to
// record and the waited-for ids now found.
type tailResult struct {
	last    int64
	newGaps []int64
	found   []int64
	full    bool // the batch was full: more rows wait
}

func readTail[T any](tx *gorm.DB, table, cols string, last int64, gaps []int64, id func(T) int64) ([]T, tailResult, error) {
	var rows []T
	if err := tx.Raw("SELECT "+cols+" FROM "+table+" WHERE id > ? ORDER BY id LIMIT ?", last, statsBatch).Scan(&rows).Error; err != nil {
		return nil, tailResult{}, err
	}
	res := tailResult{last: last, full: len(rows) == statsBatch}
	next := last + 1
	for _, r := range rows {
		i := id(r)
		for g := next; g < i && g < next+statsGapsPerJump; g++ {
			res.newGaps = append(res.newGaps, g)
		}
		next = i + 1
		res.last = i
	}
	for _, ch := range chunks(gaps, 500) {
		var found []T
		if err := tx.Raw("SELECT "+cols+" FROM "+table+" WHERE id IN ?", ch).Scan(&found).Error; err != nil {
			return nil, tailResult{}, err
		}
		for _, r := range found {
			res.found = append(res.found, id(r))
		}
		rows = append(rows, found...)
	}
	return rows, res, nil
}

// StatsPass reports what one pass of the upkeep did.
type StatsPass struct {
	Events  int  // progress events read
	Users   int  // learners whose numbers were looked at
	More    bool // a tail was cut at the batch size: run again
	Targets bool // targets changed: the "reached" counts were recomputed
	// Rebuilding: a rebuild holds the statistics; nothing was read.
	Rebuilding bool
}

// lockStats takes the statistics lock for the transaction: a pass, a
// rebuild, on any app instance, waits for the one before it to commit.
func lockStats(tx *gorm.DB) (StatsState, error) {
	var st StatsState
	if err := tx.Exec("UPDATE stats_state SET targets_sum = targets_sum WHERE id = 1").Error; err != nil {
		return st, err
	}
	err := tx.Take(&st, 1).Error
	return st, err
}

// StatsCatchUp runs one pass of the upkeep: the progress events, new
// enrolments and certificates, revocations and changed accounts and
// institutions since the last pass, in one transaction.
func (s *Store) StatsCatchUp(ctx context.Context, loc *time.Location) (StatsPass, error) {
	var out StatsPass
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = s.statsPass(tx, loc)
		return err
	})
	return out, classify(err)
}

func (s *Store) statsPass(tx *gorm.DB, loc *time.Location) (StatsPass, error) {
	var out StatsPass
	now := s.now().UTC()
	st, err := lockStats(tx)
	if err != nil {
		return out, err
	}
	if statsRebuilding(st, now) {
		out.Rebuilding = true
		return out, nil
	}
	tg, sum, err := loadTargets(tx)
	if err != nil {
		return out, err
	}
	var tails []StatsTail
	if err := tx.Find(&tails).Error; err != nil {
		return out, err
	}
	lastOf := map[string]int64{}
	for _, t := range tails {
		lastOf[t.Source] = t.LastID
	}
	var gapRows []StatsGap
	if err := tx.Find(&gapRows).Error; err != nil {
		return out, err
	}
	gapsOf := map[string][]int64{}
	for _, g := range gapRows {
		gapsOf[g.Source] = append(gapsOf[g.Source], g.ID)
	}

	results := map[string]tailResult{}
	events, res, err := readTail(tx, "progress_events", "id, user_id, lesson_id, credited_seconds, received_at",
		lastOf["progress_events"], gapsOf["progress_events"], func(e tailEvent) int64 { return e.ID })
	if err != nil {
		return out, err
	}
	results["progress_events"] = res
	out.Events = len(events)
	factsDirty := map[int64]bool{}
	for _, src := range []string{"enrollments", "certificates", "manual_credits"} {
		rows, res, err := readTail(tx, src, "id, user_id", lastOf[src], gapsOf[src], func(r tailRow) int64 { return r.ID })
		if err != nil {
			return out, err
		}
		results[src] = res
		for _, r := range rows {
			factsDirty[r.UserID] = true
		}
	}
	since := time.Time{}
	if st.UsersCheckedAt != nil {
		since = st.UsersCheckedAt.Add(-statsUserOverlap)
	}
	var revoked []int64
	if err := tx.Model(&Certificate{}).Where("revoked_at >= ?", since).Distinct().Pluck("user_id", &revoked).Error; err != nil {
		return out, err
	}
	for _, u := range revoked {
		factsDirty[u] = true
	}
	homeCheck := map[int64]bool{}
	var changedUsers []int64
	if err := tx.Model(&User{}).Where("updated_at >= ?", since).Pluck("id", &changedUsers).Error; err != nil {
		return out, err
	}
	for _, u := range changedUsers {
		homeCheck[u] = true
	}
	// An institution's kind or region changes only in SaveInstitution,
	// which writes its audit entry in the same transaction: the audit log,
	// tailed like the other tables, names every institution to re-check.
	audits, res, err := readTail(tx, "audit_log", "id, action, target", lastOf["audit_log"], gapsOf["audit_log"],
		func(r tailAudit) int64 { return r.ID })
	if err != nil {
		return out, err
	}
	results["audit_log"] = res
	var changedInsts []int64
	for _, a := range audits {
		if a.Action != "institution.update" {
			continue
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(a.Target, "institution:"), 10, 64); err == nil {
			changedInsts = append(changedInsts, id)
		}
	}
	for _, ch := range chunks(changedInsts, 500) {
		var us []int64
		if err := tx.Model(&StatsLearner{}).Where("institution_id IN ?", ch).Pluck("user_id", &us).Error; err != nil {
			return out, err
		}
		for _, u := range us {
			homeCheck[u] = true
		}
	}

	// Credited time per learner and cell, from the events.
	lessonIDs := make([]int64, 0, len(events))
	for _, e := range events {
		lessonIDs = append(lessonIDs, e.LessonID)
	}
	courseOf := map[int64]int64{}
	if err := lessonCourses(tx, lessonIDs, courseOf); err != nil {
		return out, err
	}
	credit := map[int64]map[cellKey]int64{}
	for _, e := range events {
		if e.CreditedSeconds <= 0 {
			continue
		}
		k := cellKey{DayNumber(e.ReceivedAt.In(loc)), courseOf[e.LessonID]}
		if credit[e.UserID] == nil {
			credit[e.UserID] = map[cellKey]int64{}
		}
		credit[e.UserID][k] += e.CreditedSeconds
	}

	users := map[int64]bool{}
	for u := range credit {
		users[u] = true
	}
	for u := range factsDirty {
		users[u] = true
	}
	for u := range homeCheck {
		users[u] = true
	}
	ids := make([]int64, 0, len(users))
	for u := range users {
		ids = append(ids, u)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out.Users = len(ids)
	m := counterMap{}
	if err := s.applyUsers(tx, ids, credit, factsDirty, tg, loc, m); err != nil {
		return out, err
	}
	if err := s.flushCounters(tx, m); err != nil {
		return out, err
	}
	if sum != st.TargetsSum {
		out.Targets = true
		if err := s.recountReached(tx, tg); err != nil {
			return out, err
		}
	}

	caughtUp := true
	for src, r := range results {
		caughtUp = caughtUp && !r.full
		if err := s.saveTail(tx, src, r, now); err != nil {
			return out, err
		}
	}
	out.More = !caughtUp
	if err := tx.Where("seen_at < ?", now.Add(-StatsGapWait)).Delete(&StatsGap{}).Error; err != nil {
		return out, err
	}
	upd := map[string]any{"users_checked_at": now, "targets_sum": sum}
	if caughtUp {
		upd["as_of"] = now
	}
	return out, tx.Model(&StatsState{}).Where("id = 1").Updates(upd).Error
}

func (s *Store) saveTail(tx *gorm.DB, src string, r tailResult, now time.Time) error {
	if err := tx.Exec("DELETE FROM stats_tails WHERE source = ?", src).Error; err != nil {
		return err
	}
	if err := tx.Create(&StatsTail{Source: src, LastID: r.last}).Error; err != nil {
		return err
	}
	for _, ch := range chunks(r.found, 500) {
		if err := tx.Where("source = ? AND id IN ?", src, ch).Delete(&StatsGap{}).Error; err != nil {
			return err
		}
	}
	gaps := make([]StatsGap, 0, len(r.newGaps))
	for _, g := range r.newGaps {
		gaps = append(gaps, StatsGap{Source: src, ID: g, SeenAt: now})
	}
	if len(gaps) == 0 {
		return nil
	}
	return tx.CreateInBatches(gaps, 500).Error
}

// applyUsers brings each user's cells and attribution up to date and adds
// the difference it makes to m.
func (s *Store) applyUsers(tx *gorm.DB, ids []int64, credit map[int64]map[cellKey]int64, factsDirty map[int64]bool,
	tg *statsTargets, loc *time.Location, m counterMap) error {
	homes, err := currentHomes(tx, ids)
	if err != nil {
		return err
	}
	snaps := map[int64]*statsHome{}
	for _, ch := range chunks(ids, 500) {
		var rows []StatsLearner
		if err := tx.Where("user_id IN ?", ch).Find(&rows).Error; err != nil {
			return err
		}
		for i := range rows {
			snaps[rows[i].UserID] = homeOfRow(&rows[i])
		}
	}
	// The common case, time credited on a day and course that already had
	// some, changes sums only: no learner turns active, nobody moves.
	var full, fast []int64
	var fastDays []int64
	minDay, maxDay := math.MaxInt, 0
	for _, u := range ids {
		if factsDirty[u] || !homes[u].equal(snaps[u]) {
			full = append(full, u)
			continue
		}
		fastDays = append(fastDays, u)
		for k := range credit[u] {
			minDay, maxDay = min(minDay, k.Day), max(maxDay, k.Day)
		}
	}
	known := map[int64]map[cellKey]int64{}
	for _, ch := range chunks(fastDays, 500) {
		var rows []StatsLearnerDay
		if err := tx.Select("user_id, day, course_id, credited_seconds").
			Where("user_id IN ? AND day >= ? AND day <= ?", ch, minDay, maxDay).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if known[r.UserID] == nil {
				known[r.UserID] = map[cellKey]int64{}
			}
			known[r.UserID][cellKey{r.Day, r.CourseID}] = r.CreditedSeconds
		}
	}
	for _, u := range fastDays {
		crosses := false
		for k := range credit[u] {
			if known[u][k] <= 0 {
				crosses = true
			}
		}
		if crosses {
			full = append(full, u)
		} else {
			fast = append(fast, u)
		}
	}

	var add []StatsLearnerDay
	for _, u := range fast {
		h := snaps[u]
		var scopes []string
		if h != nil {
			scopes = h.scopes()
		}
		for k, sec := range credit[u] {
			add = append(add, StatsLearnerDay{UserID: u, Day: k.Day, CourseID: k.Course, CreditedSeconds: sec})
			if h != nil {
				addCell(m, 1, h, scopes, k, cell{Credited: sec}, nil)
			}
		}
	}
	sort.Slice(add, func(i, j int) bool {
		a, b := add[i], add[j]
		return a.UserID < b.UserID || a.UserID == b.UserID && (a.Day < b.Day || a.Day == b.Day && a.CourseID < b.CourseID)
	})
	if err := s.upsertDayRows(tx, add, []string{"credited_seconds"}, true); err != nil {
		return err
	}

	sort.Slice(full, func(i, j int) bool { return full[i] < full[j] })
	cells, err := userCells(tx, full)
	if err != nil {
		return err
	}
	var dirty []int64
	for _, u := range full {
		if factsDirty[u] {
			dirty = append(dirty, u)
		}
	}
	facts, err := userFacts(tx, dirty, loc)
	if err != nil {
		return err
	}
	for _, u := range full {
		before := cells[u]
		after := make(map[cellKey]cell, len(before))
		for k, c := range before {
			after[k] = c
		}
		if factsDirty[u] {
			for k, c := range after {
				after[k] = c.withFacts(facts[u][k])
			}
			for k, f := range facts[u] {
				if _, ok := after[k]; !ok {
					after[k] = f
				}
			}
		}
		for k, sec := range credit[u] {
			c := after[k]
			c.Credited += sec
			after[k] = c
		}
		old, now := snaps[u], homes[u]
		if !old.equal(now) {
			contribution(m, -1, old, before, tg, nil)
			contribution(m, 1, now, after, tg, nil)
			if err := tx.Where("user_id = ?", u).Delete(&StatsLearner{}).Error; err != nil {
				return err
			}
			if now != nil {
				row := now.row(u)
				if err := tx.Create(&row).Error; err != nil {
					return err
				}
			}
		} else if now != nil {
			touched := map[periodRef]bool{}
			mark := func(k cellKey) {
				for _, p := range periodKinds {
					touched[periodRef{p, PeriodStart(p, k.Day)}] = true
				}
			}
			for k, a := range after {
				if before[k] != a {
					mark(k)
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok {
					mark(k)
				}
			}
			keep := func(p periodRef) bool { return touched[p] }
			contribution(m, -1, now, before, tg, keep)
			contribution(m, 1, now, after, tg, keep)
		}
		if err := s.writeCells(tx, u, before, after); err != nil {
			return err
		}
	}
	return nil
}

// recountReached recomputes every "reached" count after a target changed.
func (s *Store) recountReached(tx *gorm.DB, tg *statsTargets) error {
	if err := tx.Exec("UPDATE stats_counters SET reached = 0 WHERE reached <> 0").Error; err != nil {
		return err
	}
	var after int64
	for {
		var rows []StatsLearner
		if err := tx.Where("user_id > ?", after).Order("user_id").Limit(500).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.UserID
		}
		cells, err := userCells(tx, ids)
		if err != nil {
			return err
		}
		m := counterMap{}
		for i := range rows {
			reachedContribution(m, 1, homeOfRow(&rows[i]), yearHoursOf(cells[rows[i].UserID]), tg, nil)
		}
		if err := s.flushCounters(tx, m); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}
