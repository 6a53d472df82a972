package devdata_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/courses"
	"github.com/xuetang-edu/xuetang/internal/course"
	"github.com/xuetang-edu/xuetang/internal/devdata"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

var testNow = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)

func options(learners int, seed uint64) devdata.Options {
	return devdata.Options{Learners: learners, Seed: seed, Now: testNow, Days: 365, PasswordHash: "$argon2id$not-a-real-hash",
		MinTimeShare: 0.6, MinutesPerStudyHour: 45}
}

// openWithCourses is a migrated database with the shipped courses, as
// `xuetang dev generate` sees one (it loads them at start).
func openWithCourses(t *testing.T, b storetest.Backend) *store.Store {
	t.Helper()
	st := b.Open(t, nil)
	pkgs, err := course.LoadFS(courses.FS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := course.Import(context.Background(), st, pkgs); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestGeneratePopulation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := context.Background()
		st := openWithCourses(t, b)
		o := options(300, 42)
		sum, err := devdata.Generate(ctx, st, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Learners != 300 || sum.Institutions != 30 || sum.Certificates != sum.Completed || sum.Completed == 0 ||
			sum.Revoked == 0 || sum.Events == 0 || sum.Attempts == 0 || sum.ClassMembers == 0 || sum.Assignments == 0 {
			t.Fatalf("summary %+v", sum)
		}
		db := st.DB()
		counts := map[string]int64{}
		for _, table := range []string{"institutions", "enrollments", "lesson_progress", "progress_events", "quiz_attempts", "certificates"} {
			counts[table] = count(t, db, "SELECT COUNT(*) FROM "+table)
		}
		if counts["institutions"] != sum.Institutions || counts["enrollments"] != sum.Enrollments ||
			counts["lesson_progress"] != sum.LessonProgress || counts["progress_events"] != sum.Events ||
			counts["quiz_attempts"] != sum.Attempts || counts["certificates"] != sum.Certificates {
			t.Fatalf("tables %v, summary %+v", counts, sum)
		}
		checkKinds(t, db)
		checkAges(t, db)
		checkCompletions(t, db, o)
		checkEvents(t, db)
		checkAttempts(t, db)
		checkTimes(t, db, o)

		// A second run is refused, with --append it adds a population beside.
		if _, err := devdata.Generate(ctx, st, o); !errors.Is(err, devdata.ErrGenerated) {
			t.Fatalf("second run: %v, want ErrGenerated", err)
		}
		more := options(40, 42)
		more.Append = true
		if s, err := devdata.Generate(ctx, st, more); err != nil || s.Learners != 40 {
			t.Fatalf("append: %+v %v", s, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users WHERE role = 'learner'"); n != 340 {
			t.Fatalf("%d learners after the append, want 340", n)
		}
		checkCompletions(t, db, o)
	})
}

// The same seed on a fresh database writes the same rows; another seed does not.
func TestGenerateDeterministic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		ctx := context.Background()
		var digests []string
		// Seed 7 twice, seed 8, and seed 7 with one event per lesson.
		for i, seed := range []uint64{7, 7, 8, 7} {
			st := openWithCourses(t, b)
			o := options(80, seed)
			o.EventsPerLesson = 2
			if i == 3 {
				o.EventsPerLesson = 1
			}
			if _, err := devdata.Generate(ctx, st, o); err != nil {
				t.Fatal(err)
			}
			digests = append(digests, digest(t, st.DB()))
			checkSample(t, st.DB(), o.EventsPerLesson)
		}
		if digests[0] != digests[1] {
			t.Errorf("seed 7 twice: %s and %s", digests[0], digests[1])
		}
		if digests[0] == digests[2] {
			t.Errorf("seeds 7 and 8 gave the same rows")
		}
		if digests[0] == digests[3] {
			t.Errorf("one event per lesson gave the same rows as two")
		}
	})
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkKinds: every kind has institutions and learners, schools the most.
func checkKinds(t *testing.T, db *sql.DB) {
	t.Helper()
	per := map[string]int64{}
	for _, k := range org.Kinds {
		per[k] = count(t, db, "SELECT COUNT(*) FROM institutions WHERE kind = ?", k)
		if per[k] == 0 {
			t.Errorf("no institution of kind %s", k)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users u JOIN institutions i ON i.id = u.institution_id WHERE i.kind = ? AND u.role = 'learner'", k); n == 0 {
			t.Errorf("no learner at a %s", k)
		}
	}
	for _, k := range org.Kinds {
		if k != org.KindSchool && per[k] > per[org.KindSchool] {
			t.Errorf("%d %s institutions, more than the %d schools", per[k], k, per[org.KindSchool])
		}
	}
	if n := count(t, db, "SELECT COUNT(DISTINCT substr(region_code, 1, 2)) FROM institutions"); n < 2 {
		t.Errorf("institutions in %d provinces", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM institutions i LEFT JOIN regions r ON r.code = i.region_code WHERE r.code IS NULL"); n != 0 {
		t.Errorf("%d institutions in unknown regions", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM institutions i WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.institution_id = i.id AND u.role = 'institution_admin')"); n != 0 {
		t.Errorf("%d institutions without an admin", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM users WHERE role = 'teacher'"); n < 30 {
		t.Errorf("%d teachers for 30 institutions", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM users WHERE role = 'region_admin' AND region_code IS NOT NULL"); n < 2 {
		t.Errorf("%d region admins", n)
	}
}

// checkAges: pupils at schools, cadres of working age, older people at
// libraries, guardians for everyone under 14.
func checkAges(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT i.kind, u.birth_year, u.guardian_name, u.guardian_consent_date FROM users u
		JOIN institutions i ON i.id = u.institution_id WHERE u.role = 'learner'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	older, all := map[string]int{}, map[string]int{}
	for rows.Next() {
		var kind string
		var born int
		var guardian, consent sql.NullString
		if err := rows.Scan(&kind, &born, &guardian, &consent); err != nil {
			t.Fatal(err)
		}
		age := testNow.Year() - born
		all[kind]++
		if age >= 60 {
			older[kind]++
		}
		switch {
		case kind == org.KindSchool && (age < 6 || age > 18):
			t.Errorf("a pupil aged %d", age)
		case kind == org.KindCadreCentre && (age < 25 || age > 59):
			t.Errorf("a cadre aged %d", age)
		case kind != org.KindSchool && age < 18:
			t.Errorf("a learner aged %d at a %s", age, kind)
		case age > 90:
			t.Errorf("a learner aged %d", age)
		}
		if (age < 14) != (guardian.Valid && consent.Valid) {
			t.Errorf("a learner aged %d: guardian %v, consent %v", age, guardian.Valid, consent.Valid)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{org.KindLibrary, org.KindOther} {
		if older[k]*2 < all[k] {
			t.Errorf("%s: %d of %d learners are 60 or over, want most", k, older[k], all[k])
		}
	}
}

type lessonRule struct {
	slug     string
	minutes  int
	hasQuiz  bool
	required int
}

// checkCompletions judges every enrolment again from the stored rows with
// the learning rules: completed exactly when the rule says so, 学时 as the
// rule credits them, one valid certificate per completion.
func checkCompletions(t *testing.T, db *sql.DB, o devdata.Options) {
	t.Helper()
	versions := map[int64]store.CourseVersion{}
	lessons := map[int64][]lessonRule{}
	rows, err := db.Query(`SELECT v.id, v.pass_score, v.study_hours, l.slug, l.minutes,
		(SELECT COUNT(*) FROM questions q WHERE q.lesson_id = l.id) FROM course_versions v
		JOIN lessons l ON l.course_version_id = v.id ORDER BY v.id, l.position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v store.CourseVersion
		var l lessonRule
		var questions int
		if err := rows.Scan(&v.ID, &v.PassScore, &v.StudyHours, &l.slug, &l.minutes, &questions); err != nil {
			t.Fatal(err)
		}
		l.hasQuiz, l.required = questions > 0, learning.RequiredSeconds(l.minutes, o.MinTimeShare)
		versions[v.ID] = v
		lessons[v.ID] = append(lessons[v.ID], l)
	}
	rows.Close()

	type key struct {
		user, course int64
		slug         string
	}
	type lp struct {
		completed bool
		active    int
		best      *int
	}
	progress := map[key]lp{}
	rows, err = db.Query("SELECT user_id, course_id, lesson_slug, completed_at, active_seconds, best_score FROM lesson_progress")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		var done sql.NullTime
		var p lp
		var best sql.NullInt64
		if err := rows.Scan(&k.user, &k.course, &k.slug, &done, &p.active, &best); err != nil {
			t.Fatal(err)
		}
		p.completed = done.Valid
		if best.Valid {
			b := int(best.Int64)
			p.best = &b
		}
		progress[k] = p
	}
	rows.Close()

	certs := map[int64]int{}
	rows, err = db.Query("SELECT enrollment_id, serial, study_hours, issued_at, revoked_at FROM certificates")
	if err != nil {
		t.Fatal(err)
	}
	serialRe := regexp.MustCompile(`^XT(-[0-9A-HJKMNP-TV-Z]{4}){4}$`)
	certHours := map[int64]float64{}
	certIssued := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var serial string
		var hours float64
		var issued time.Time
		var revoked sql.NullTime
		if err := rows.Scan(&id, &serial, &hours, &issued, &revoked); err != nil {
			t.Fatal(err)
		}
		certs[id]++
		certHours[id], certIssued[id] = hours, issued
		if !serialRe.MatchString(serial) || learning.NormalizeSerial(serial) != serial {
			t.Errorf("serial %q is not one the verification page accepts", serial)
		}
		if revoked.Valid && !revoked.Time.After(issued) {
			t.Errorf("certificate %s revoked at %v, before it was issued at %v", serial, revoked.Time, issued)
		}
	}
	rows.Close()

	rows, err = db.Query("SELECT id, user_id, course_id, course_version_id, completed_at, hours_credited FROM enrollments")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	completed := 0
	for rows.Next() {
		var id, user, courseID, version int64
		var done sql.NullTime
		var hours float64
		if err := rows.Scan(&id, &user, &courseID, &version, &done, &hours); err != nil {
			t.Fatal(err)
		}
		st := store.CourseState{Version: versions[version]}
		minutes := 0
		for _, l := range lessons[version] {
			p, ok := progress[key{user, courseID, l.slug}]
			if ok && p.completed && p.active < l.required {
				t.Errorf("enrolment %d: lesson %s completed with %d s of the %d s it needs", id, l.slug, p.active, l.required)
			}
			st.Lessons = append(st.Lessons, store.LessonState{Slug: l.slug, Minutes: l.minutes, HasQuiz: l.hasQuiz,
				Completed: ok && p.completed, BestScore: p.best})
			minutes += l.minutes
		}
		if learning.Complete(st) != done.Valid {
			t.Errorf("enrolment %d: completed %v, the rule says %v", id, done.Valid, learning.Complete(st))
			continue
		}
		want := 0.0
		if done.Valid {
			completed++
			want = course.HoursCredited(st.Version.StudyHours, minutes, o.MinutesPerStudyHour)
			if certs[id] != 1 || math.Abs(certHours[id]-want) > 1e-9 || !certIssued[id].Equal(done.Time) {
				t.Errorf("enrolment %d: %d certificates, %v 学时 issued %v; want one, %v 学时, issued %v",
					id, certs[id], certHours[id], certIssued[id], want, done.Time)
			}
		} else if certs[id] != 0 {
			t.Errorf("enrolment %d is not completed but has a certificate", id)
		}
		if math.Abs(hours-want) > 1e-9 {
			t.Errorf("enrolment %d: %v 学时 credited, want %v", id, hours, want)
		}
		delete(certs, id)
	}
	if len(certs) != 0 {
		t.Errorf("certificates of unknown enrolments: %v", certs)
	}
	if completed == 0 {
		t.Error("no completed enrolment")
	}
}

// checkEvents: with every event written, each lesson's events credit
// exactly its active time, no event more than the rules allow, and never
// more than the clock allowed since the learner's previous event.
func checkEvents(t *testing.T, db *sql.DB) {
	t.Helper()
	if n := count(t, db, `SELECT COUNT(*) FROM lesson_progress p JOIN courses c ON c.id = p.course_id
		JOIN lessons l ON l.course_version_id = c.current_version_id AND l.slug = p.lesson_slug
		WHERE p.active_seconds <> (SELECT COALESCE(SUM(e.credited_seconds), 0) FROM progress_events e
		  WHERE e.user_id = p.user_id AND e.lesson_id = l.id)`); n != 0 {
		t.Errorf("%d lessons whose events do not add up to their active time", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM progress_events WHERE credited_seconds > ? OR credited_seconds > seconds OR event_key IS NULL",
		learning.MaxCreditPerEvent); n != 0 {
		t.Errorf("%d events credited more than allowed", n)
	}
	rows, err := db.Query("SELECT user_id, event_key, credited_seconds, received_at FROM progress_events ORDER BY user_id, received_at, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var user int64
	var prev time.Time
	for rows.Next() {
		var u int64
		var key []byte
		var credit int
		var at time.Time
		if err := rows.Scan(&u, &key, &credit, &at); err != nil {
			t.Fatal(err)
		}
		if len(key) != 16 || key[6]>>4 != 4 {
			t.Errorf("event key %x is not a version 4 UUID", key)
		}
		if u == user && at.Sub(prev) < time.Duration(credit)*time.Second-time.Millisecond {
			t.Errorf("learner %d: %d s credited %v after the previous event", u, credit, at.Sub(prev))
		}
		user, prev = u, at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// checkSample: with a sample of events per lesson, each lesson has that
// many, with credited time among them, and a completed one its complete.
func checkSample(t *testing.T, db *sql.DB, keep int) {
	t.Helper()
	rows, err := db.Query(`SELECT p.completed_at IS NOT NULL, COUNT(e.id), COALESCE(SUM(e.credited_seconds), 0),
		COALESCE(SUM(CASE WHEN e.type = 'complete' THEN 1 ELSE 0 END), 0)
		FROM lesson_progress p JOIN courses c ON c.id = p.course_id
		JOIN lessons l ON l.course_version_id = c.current_version_id AND l.slug = p.lesson_slug
		LEFT JOIN progress_events e ON e.user_id = p.user_id AND e.lesson_id = l.id
		GROUP BY p.id, p.completed_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	lessons := 0
	for rows.Next() {
		var completed bool
		var events, credited, completes int
		if err := rows.Scan(&completed, &events, &credited, &completes); err != nil {
			t.Fatal(err)
		}
		lessons++
		if events != keep || credited <= 0 || keep > 1 && (completes == 1) != completed {
			t.Errorf("a lesson (completed %v) with %d events, %d s credited, %d complete events; want %d events with time",
				completed, events, credited, completes, keep)
		}
	}
	if err := rows.Err(); err != nil || lessons == 0 {
		t.Fatalf("%d lessons (%v)", lessons, err)
	}
}

// checkAttempts: no retry came sooner than the server's cooldown allows,
// and each lesson's best score and attempt count match its attempts.
func checkAttempts(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query("SELECT user_id, lesson_id, score, passed, created_at FROM quiz_attempts ORDER BY user_id, lesson_id, created_at")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type key struct{ user, lesson int64 }
	var last key
	var tries []learning.AttemptTime
	for rows.Next() {
		var k key
		var score int
		var passed bool
		var at time.Time
		if err := rows.Scan(&k.user, &k.lesson, &score, &passed, &at); err != nil {
			t.Fatal(err)
		}
		if k != last {
			tries, last = nil, k
		}
		if wait := learning.Cooldown(tries, at); wait > 0 {
			t.Errorf("learner %d, lesson %d: an attempt %v too soon after %d others", k.user, k.lesson, wait, len(tries))
		}
		tries = append([]learning.AttemptTime{{At: at, Passed: passed}}, tries...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM lesson_progress p JOIN courses c ON c.id = p.course_id
		JOIN lessons l ON l.course_version_id = c.current_version_id AND l.slug = p.lesson_slug
		WHERE p.attempts <> (SELECT COUNT(*) FROM quiz_attempts a WHERE a.user_id = p.user_id AND a.lesson_id = l.id)
		   OR COALESCE(p.best_score, -1) <> COALESCE((SELECT MAX(score) FROM quiz_attempts a WHERE a.user_id = p.user_id AND a.lesson_id = l.id), -1)`); n != 0 {
		t.Errorf("%d lessons whose attempts or best score disagree with their quiz attempts", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM quiz_attempts a JOIN lesson_progress p ON p.user_id = a.user_id AND p.lesson_slug = a.lesson_slug AND p.course_id = a.course_id WHERE a.created_at < p.first_opened_at OR a.created_at > p.last_seen_at"); n != 0 {
		t.Errorf("%d attempts outside the time their lesson was open", n)
	}
}

// checkTimes: everything happened within the period, in order.
func checkTimes(t *testing.T, db *sql.DB, o devdata.Options) {
	t.Helper()
	from := o.Now.AddDate(0, 0, -o.Days)
	for _, c := range []string{"institutions.created_at", "users.created_at", "classes.created_at", "class_members.joined_at",
		"assignments.created_at", "assignments.due_at", "enrollments.enrolled_at", "enrollments.completed_at",
		"lesson_progress.first_opened_at", "lesson_progress.last_seen_at", "progress_events.received_at",
		"quiz_attempts.created_at", "certificates.issued_at", "certificates.revoked_at"} {
		table, column, _ := strings.Cut(c, ".")
		if n := count(t, db, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s < ? OR %s >= ?", table, column, column), from, o.Now); n != 0 {
			t.Errorf("%s: %d outside the period", c, n)
		}
	}
	for _, q := range []string{
		"SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE e.enrolled_at < u.created_at",
		"SELECT COUNT(*) FROM lesson_progress p JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = p.course_id WHERE p.first_opened_at < e.enrolled_at",
		"SELECT COUNT(*) FROM lesson_progress WHERE last_seen_at < first_opened_at OR completed_at < first_opened_at OR completed_at > last_seen_at",
		"SELECT COUNT(*) FROM lesson_progress p WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = p.user_id AND e.course_id = p.course_id)",
		"SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE e.institution_id <> u.institution_id",
	} {
		if n := count(t, db, q); n != 0 {
			t.Errorf("%s: %d", q, n)
		}
	}
}

// digest hashes every generated row, in order, except password hashes.
func digest(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT id, code, name, kind, region_code, created_at FROM institutions ORDER BY id",
		"SELECT id, username, display_name, role, institution_id, region_code, locale, birth_year, guardian_name, created_at FROM users ORDER BY id",
		"SELECT id, institution_id, name, teacher_id, created_at FROM classes ORDER BY id",
		"SELECT class_id, user_id, joined_at FROM class_members ORDER BY class_id, user_id",
		"SELECT class_id, course_id, due_at, created_by, created_at FROM assignments ORDER BY class_id, course_id",
		"SELECT id, user_id, course_id, enrolled_at, completed_at, hours_credited, region_code FROM enrollments ORDER BY id",
		"SELECT user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at, active_seconds, best_score, attempts FROM lesson_progress ORDER BY user_id, course_id, lesson_slug",
		"SELECT user_id, event_key, lesson_id, type, seconds, credited_seconds, received_at FROM progress_events ORDER BY user_id, event_key",
		"SELECT user_id, lesson_id, score, passed, answers, created_at FROM quiz_attempts ORDER BY user_id, lesson_id, created_at",
		"SELECT serial, enrollment_id, study_hours, issued_at, revoked_at, revoked_reason FROM certificates ORDER BY serial",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(h, "%v|", v)
			}
			n++
		}
		rows.Close()
		fmt.Fprintf(h, "%d rows\n", n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BenchmarkGenerate writes 1,000 learners (about 50,000 rows) per
// iteration into a fresh database, reporting rows/s: the generator and
// the bulk writer without the CLI's migrations and course loading.
func BenchmarkGenerate(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			var rows int64
			var spent time.Duration
			for b.Loop() {
				b.StopTimer()
				st := be.Open(b, nil)
				pkgs, err := course.LoadFS(courses.FS())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := course.Import(context.Background(), st, pkgs); err != nil {
					b.Fatal(err)
				}
				if _, err := region.New(st).LoadShipped(context.Background()); err != nil {
					b.Fatal(err)
				}
				o := options(1000, 1)
				o.EventsPerLesson = 2
				b.StartTimer()
				sum, err := devdata.Generate(context.Background(), st, o)
				if err != nil {
					b.Fatal(err)
				}
				rows += sum.Rows()
				spent += sum.Elapsed
			}
			b.ReportMetric(float64(rows)/spent.Seconds(), "rows/s")
		})
	}
}
