package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// The rebuild counts everything again into shadow tables (name + "_next"),
// a batch of learners per transaction, and swaps them in at the end in one
// atomic step. Readers see the old numbers until the swap; no transaction
// holds more than one batch's rows (one transaction over a million learners
// ran out of InnoDB's lock memory). While it runs, its claim on stats_state
// (rebuild_at) keeps the upkeep and the event pruning away, so the raw
// tables' cut it starts from is still where the swapped-in tails say.

// statsRebuildTables are swapped together: the counters and the tails they
// were counted up to must never be seen apart.
var statsRebuildTables = []string{"stats_counters", "stats_learner_days", "stats_learners", "stats_tails", "stats_gaps"}

// StatsRebuildLease is how long a rebuild's claim lasts without renewal; a
// batch renews it, and takes well under a second.
const StatsRebuildLease = 2 * time.Minute

// RebuildOptions tune StatsRebuildWith.
type RebuildOptions struct {
	// BatchUsers is the accounts counted per transaction (default 1000).
	BatchUsers int
	// Progress, when set, is told after each batch how many accounts have
	// been counted and about how many there are.
	Progress func(done, total int64)
}

// StatsRebuild recomputes every statistics table from the raw tables.
func (s *Store) StatsRebuild(ctx context.Context, loc *time.Location) error {
	return s.StatsRebuildWith(ctx, loc, RebuildOptions{})
}

// StatsRebuildWith is StatsRebuild with a batch size and progress reports.
func (s *Store) StatsRebuildWith(ctx context.Context, loc *time.Location, o RebuildOptions) (err error) {
	if o.BatchUsers <= 0 {
		o.BatchUsers = 1000
	}
	r := &rebuild{s: s, loc: loc, o: o, start: s.now().UTC().Truncate(time.Millisecond)}
	if err := r.claim(ctx); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// A fresh context: the rebuild's may be what was cancelled.
			bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r.abandon(bg)
		}
	}()
	if err := r.prepare(ctx); err != nil {
		return classify(err)
	}
	if err := r.count(ctx); err != nil {
		return classify(err)
	}
	return classify(r.swap(ctx))
}

type rebuild struct {
	s     *Store
	loc   *time.Location
	o     RebuildOptions
	start time.Time
	// lease is the claim's last renewal, as written.
	lease time.Time

	tg      *statsTargets
	sum     string
	maxID   map[string]int64
	waiting map[int64]bool // progress_events ids left to the upkeep
	// indexes are SQLite's CREATE INDEX statements of the live tables, run
	// again on the swapped-in ones (SQLite index names are per database).
	indexes []string
}

func next(table string) string { return table + "_next" }

// claim takes the rebuild's lease, or says who holds it.
func (r *rebuild) claim(ctx context.Context) error {
	return r.s.tx(ctx, func(tx *gorm.DB) error {
		st, err := lockStats(tx)
		if err != nil {
			return err
		}
		if st.RebuildAt != nil && r.start.Sub(*st.RebuildAt) < StatsRebuildLease {
			return rebuildRunning(st.RebuildAt)
		}
		r.lease = r.start
		return tx.Model(&StatsState{}).Where("id = 1").Update("rebuild_at", r.lease).Error
	})
}

// rebuildRunning refuses a rebuild beside another one's claim, naming the
// claim's last renewal (nil: the other rebuild has finished since).
func rebuildRunning(renewed *time.Time) error {
	at := "-"
	if renewed != nil {
		at = renewed.UTC().Format(time.RFC3339)
	}
	return errs.New(errs.Conflict, "error.stats_rebuild_running").With("renewed", at)
}

// renew extends the claim in tx; a claim that lapsed and was taken by
// another rebuild ends this one.
func (r *rebuild) renew(tx *gorm.DB) error {
	st, err := lockStats(tx)
	if err != nil {
		return err
	}
	if st.RebuildAt == nil || !st.RebuildAt.Equal(r.lease) {
		return rebuildRunning(st.RebuildAt)
	}
	r.lease = r.s.now().UTC().Truncate(time.Millisecond)
	return tx.Model(&StatsState{}).Where("id = 1").Update("rebuild_at", r.lease).Error
}

// abandon clears up after a failed rebuild, unless its claim lapsed and
// another rebuild (using the same shadow tables) took it.
func (r *rebuild) abandon(ctx context.Context) {
	var st StatsState
	if err := r.s.w.WithContext(ctx).Take(&st, 1).Error; err != nil || st.RebuildAt == nil || !st.RebuildAt.Equal(r.lease) {
		return
	}
	r.dropShadows(ctx)
	_ = r.s.tx(ctx, func(tx *gorm.DB) error {
		st, err := lockStats(tx)
		if err != nil || st.RebuildAt == nil || !st.RebuildAt.Equal(r.lease) {
			return err
		}
		return tx.Model(&StatsState{}).Where("id = 1").Update("rebuild_at", nil).Error
	})
}

func (r *rebuild) dropShadows(ctx context.Context) {
	db := r.s.w.WithContext(ctx)
	for _, t := range statsRebuildTables {
		_ = db.Exec("DROP TABLE IF EXISTS " + next(t)).Error
		_ = db.Exec("DROP TABLE IF EXISTS " + t + "_old").Error
	}
}

var sqliteCreateTable = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?("?)(\w+)("?)`)

// prepare creates empty shadow tables shaped like the live ones, and
// records the cut: how far each raw table is counted.
func (r *rebuild) prepare(ctx context.Context) error {
	r.dropShadows(ctx)
	db := r.s.w.WithContext(ctx)
	for _, t := range statsRebuildTables {
		if r.s.dialect == MySQL {
			if err := db.Exec("CREATE TABLE " + next(t) + " LIKE " + t).Error; err != nil {
				return err
			}
			continue
		}
		var ddl string
		if err := db.Raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&ddl).Error; err != nil {
			return err
		}
		if !sqliteCreateTable.MatchString(ddl) {
			return fmt.Errorf("stats rebuild: cannot read the definition of %s", t)
		}
		if err := db.Exec(sqliteCreateTable.ReplaceAllString(ddl, "CREATE TABLE "+next(t))).Error; err != nil {
			return err
		}
		var idx []string
		if err := db.Raw("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", t).
			Scan(&idx).Error; err != nil {
			return err
		}
		r.indexes = append(r.indexes, idx...)
	}
	return r.s.tx(ctx, func(tx *gorm.DB) error {
		if err := r.renew(tx); err != nil {
			return err
		}
		var err error
		if r.tg, r.sum, err = loadTargets(tx); err != nil {
			return err
		}
		r.maxID = map[string]int64{}
		r.waiting = map[int64]bool{}
		for _, src := range []string{"progress_events", "enrollments", "certificates", "manual_credits", "audit_log"} {
			var ids []int64
			// The newest ids: any missing among them may belong to a
			// transaction not yet committed, so the upkeep waits for them.
			if err := tx.Raw("SELECT id FROM " + src + " ORDER BY id DESC LIMIT 10000").Scan(&ids).Error; err != nil {
				return err
			}
			var last int64
			var gaps []StatsGap
			if len(ids) > 0 {
				last = ids[0]
				for i := 1; i < len(ids); i++ {
					for g, n := ids[i]+1, 0; g < ids[i-1] && n < statsGapsPerJump; g, n = g+1, n+1 {
						gaps = append(gaps, StatsGap{Source: src, ID: g, SeenAt: r.start})
						if src == "progress_events" {
							r.waiting[g] = true
						}
					}
				}
			}
			r.maxID[src] = last
			if err := tx.Table(next("stats_tails")).Create(&StatsTail{Source: src, LastID: last}).Error; err != nil {
				return err
			}
			if len(gaps) > 0 {
				if err := tx.Table(next("stats_gaps")).CreateInBatches(gaps, 500).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// count walks the accounts by id, a batch per transaction. Each batch reads
// its learners' raw rows in one snapshot, so an event pruned meanwhile is
// seen once, as a raw row or in its day row. Counters gather in memory and
// are added to the shadow table now and then: a retried batch must not add
// its share twice.
func (r *rebuild) count(ctx context.Context) error {
	var total int64
	if r.o.Progress != nil {
		if err := r.s.w.WithContext(ctx).Model(&User{}).Count(&total).Error; err != nil {
			return err
		}
	}
	courseOf := map[int64]int64{}
	m := counterMap{}
	var after, done int64
	for {
		var batch counterMap
		var last int64
		var n int
		err := r.s.tx(ctx, func(tx *gorm.DB) error {
			batch, last, n = counterMap{}, 0, 0
			if err := r.renew(tx); err != nil {
				return err
			}
			var ids []int64
			if err := tx.Model(&User{}).Where("id > ?", after).Order("id").Limit(r.o.BatchUsers).Pluck("id", &ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			last, n = ids[len(ids)-1], len(ids)
			return r.countUsers(tx, ids, courseOf, batch)
		})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		after, done = last, done+int64(n)
		for k, v := range batch {
			m.add(k, *v, 1)
		}
		if len(m) > 50000 {
			if err := r.s.tx(ctx, func(tx *gorm.DB) error { return r.s.flushCountersInto(tx, next("stats_counters"), m) }); err != nil {
				return err
			}
			m = counterMap{}
		}
		if r.o.Progress != nil {
			r.o.Progress(done, max(total, done))
		}
	}
	return r.s.tx(ctx, func(tx *gorm.DB) error { return r.s.flushCountersInto(tx, next("stats_counters"), m) })
}

func (r *rebuild) countUsers(tx *gorm.DB, ids []int64, courseOf map[int64]int64, m counterMap) error {
	homes, err := currentHomes(tx, ids)
	if err != nil {
		return err
	}
	cells, err := userFacts(tx, ids, r.loc)
	if err != nil {
		return err
	}
	var evs []tailEvent
	if err := tx.Raw("SELECT id, user_id, lesson_id, credited_seconds, received_at FROM progress_events "+
		"WHERE user_id IN ? AND id <= ? AND credited_seconds > 0", ids, r.maxID["progress_events"]).Scan(&evs).Error; err != nil {
		return err
	}
	// Pruned heartbeats count through their day sums (eventarchive.go).
	var pruned []ProgressEventDay
	if err := tx.Where("user_id IN ? AND credited_seconds > 0", ids).Find(&pruned).Error; err != nil {
		return err
	}
	lessons := make([]int64, 0, len(evs)+len(pruned))
	for _, e := range evs {
		lessons = append(lessons, e.LessonID)
	}
	for _, d := range pruned {
		lessons = append(lessons, d.LessonID)
	}
	if err := lessonCourses(tx, lessons, courseOf); err != nil {
		return err
	}
	add := func(u int64, k cellKey, sec int64) {
		if cells[u] == nil {
			cells[u] = map[cellKey]cell{}
		}
		c := cells[u][k]
		c.Credited += sec
		cells[u][k] = c
	}
	for _, d := range pruned {
		add(d.UserID, cellKey{d.Day, courseOf[d.LessonID]}, int64(d.CreditedSeconds))
	}
	for _, e := range evs {
		// An id the cut left as a gap was not committed when the cut was
		// taken; the upkeep counts it when it appears.
		if !r.waiting[e.ID] {
			add(e.UserID, cellKey{DayNumber(e.ReceivedAt.In(r.loc)), courseOf[e.LessonID]}, e.CreditedSeconds)
		}
	}
	var rows []StatsLearnerDay
	var learners []StatsLearner
	for _, u := range ids {
		for k, c := range cells[u] {
			if !c.zero() {
				rows = append(rows, dayRow(u, k, c))
			}
		}
		if h := homes[u]; h != nil {
			learners = append(learners, h.row(u))
			contribution(m, 1, h, cells[u], r.tg, nil)
		}
	}
	if err := r.s.upsertDayRowsInto(tx, next("stats_learner_days"), rows, dayRowCols, false); err != nil {
		return err
	}
	if len(learners) == 0 {
		return nil
	}
	return tx.Table(next("stats_learners")).CreateInBatches(learners, 500).Error
}

// swap puts the shadow tables in place of the live ones, with the state
// that goes with them, and lets the upkeep carry on from the cut.
func (r *rebuild) swap(ctx context.Context) error {
	state := func(tx *gorm.DB) error {
		return tx.Model(&StatsState{}).Where("id = 1").Updates(map[string]any{
			"as_of": r.start, "users_checked_at": r.start, "targets_sum": r.sum, "rebuild_at": nil}).Error
	}
	if r.s.dialect != MySQL {
		// SQLite changes its schema inside a transaction: all or nothing.
		return r.s.tx(ctx, func(tx *gorm.DB) error {
			if err := r.renew(tx); err != nil {
				return err
			}
			for _, t := range statsRebuildTables {
				if err := tx.Exec("DROP TABLE " + t).Error; err != nil {
					return err
				}
				if err := tx.Exec("ALTER TABLE " + next(t) + " RENAME TO " + t).Error; err != nil {
					return err
				}
			}
			for _, ddl := range r.indexes {
				if err := tx.Exec(ddl).Error; err != nil {
					return err
				}
			}
			return state(tx)
		})
	}
	// MySQL commits around DDL, so the swap is one RENAME of all five
	// (atomic), then the state. Dying between the two leaves the new
	// counters with their own tails, an old as_of and a claim that lapses.
	if err := r.s.tx(ctx, r.renew); err != nil {
		return err
	}
	pairs := make([]string, 0, 2*len(statsRebuildTables))
	for _, t := range statsRebuildTables {
		pairs = append(pairs, t+" TO "+t+"_old", next(t)+" TO "+t)
	}
	db := r.s.w.WithContext(ctx)
	if err := db.Exec("RENAME TABLE " + strings.Join(pairs, ", ")).Error; err != nil {
		return err
	}
	if err := r.s.tx(ctx, state); err != nil {
		return err
	}
	for _, t := range statsRebuildTables {
		if err := db.Exec("DROP TABLE IF EXISTS " + t + "_old").Error; err != nil {
			return err
		}
	}
	return nil
}

// statsRebuilding says whether a rebuild holds the statistics: the upkeep
// and the pruning then wait for its swap.
func statsRebuilding(st StatsState, now time.Time) bool {
	return st.RebuildAt != nil && now.Sub(*st.RebuildAt) < StatsRebuildLease
}
