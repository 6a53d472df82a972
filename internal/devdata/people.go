package devdata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// Roles as stored (internal/account names them; the generator writes them).
const (
	roleLearner          = "learner"
	roleTeacher          = "teacher"
	roleInstitutionAdmin = "institution_admin"
	roleRegionAdmin      = "region_admin"
)

// gen hands out ids in generation order, so a seed gives the same ids on
// the same database.
type gen struct {
	*population
	user, class, enrolment int64
}

// generate sends the population batch by batch: region admins first, then
// whole institutions with everything of their people.
func (p *population) generate(ctx context.Context, out chan<- *store.Population) {
	g := &gen{population: p, user: p.next.NextUserID, class: p.next.NextClassID, enrolment: p.next.NextEnrollmentID}
	b := &store.Population{}
	r := rngFor(p.w.o.Seed, 1<<62)
	for _, prov := range p.regionAdmins {
		code := prov
		created := p.w.start.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		b.Users = append(b.Users, g.staff(r, roleRegionAdmin, nil, &code, created))
	}
	learners := 0
	send := func() bool {
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b, learners = &store.Population{}, 0
		return true
	}
	for i := range p.institutions {
		g.institution(&p.institutions[i], b)
		learners += p.institutions[i].learners
		if learners >= batchLearners && !send() {
			return
		}
	}
	if b.Rows() > 0 {
		send()
	}
}

// staff makes an account that is not a learner, aged 25 to 59.
func (g *gen) staff(r *rand.Rand, role string, inst *int64, regionCode *string, created time.Time) store.PopulationUser {
	id := g.user
	g.user++
	year := g.w.o.Now.Year() - (25 + r.IntN(35))
	prefix := map[string]string{roleTeacher: "t", roleInstitutionAdmin: "a", roleRegionAdmin: "r"}[role]
	return store.PopulationUser{User: store.User{ID: id, Username: fmt.Sprintf("%s%s%d", store.GeneratedUsernamePrefix, prefix, id),
		DisplayName: personName(r), PasswordHash: g.w.o.PasswordHash, Role: role, InstitutionID: inst, RegionCode: regionCode,
		Locale: "zh-CN", BirthYear: &year, CreatedAt: created, UpdatedAt: created}}
}

// between is a uniform instant in [a, b), or a when the span is empty.
func between(r *rand.Rand, a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(r.Int64N(int64(b.Sub(a))))).Truncate(time.Millisecond)
}

// classPlan is a class with the courses assigned to it.
type classPlan struct {
	store.Class
	assigned []store.Assignment
}

// institution generates an institution, its staff, classes and learners.
func (g *gen) institution(ip *institutionPlan, b *store.Population) {
	w := g.w
	end := w.o.Now
	r := rngFor(w.o.Seed, uint64(ip.ID))
	in := ip.Institution
	b.Institutions = append(b.Institutions, in)
	instID := in.ID
	admins := 1
	if ip.learners > 300 {
		admins = 2
	}
	teachers := min(1+ip.learners/40, 25)
	var teacherIDs []int64
	var teacherSince []time.Time
	for k := range admins + teachers {
		role := roleInstitutionAdmin
		if k >= admins {
			role = roleTeacher
		}
		u := g.staff(r, role, &instID, nil, between(r, in.CreatedAt, minTime(in.CreatedAt.Add(7*24*time.Hour), end)))
		b.Users = append(b.Users, u)
		if role == roleTeacher {
			teacherIDs = append(teacherIDs, u.ID)
			teacherSince = append(teacherSince, u.CreatedAt)
		}
	}
	audience := kindAudience(in.Kind)
	var classes []classPlan
	if ip.learners > 0 {
		for k, t := range teacherIDs {
			tid := t
			c := classPlan{Class: store.Class{ID: g.class, InstitutionID: instID, TeacherID: &tid,
				CreatedAt: between(r, teacherSince[k], minTime(teacherSince[k].Add(3*24*time.Hour), end))}}
			g.class++
			c.Name = className(in.Kind, c.CreatedAt.Year(), k+1)
			pool := w.coursesFor(audience, "zh-CN")
			for _, ci := range r.Perm(len(pool))[:min(1+r.IntN(2), len(pool))] {
				created := between(r, c.CreatedAt, minTime(c.CreatedAt.Add(14*24*time.Hour), end))
				a := store.Assignment{ClassID: c.ID, CourseID: pool[ci].id, CreatedBy: &tid, CreatedAt: created}
				if r.IntN(10) < 6 {
					if due := created.Add(time.Duration(30+r.IntN(90)) * 24 * time.Hour); due.Before(end) {
						a.DueAt = &due
					}
				}
				c.assigned = append(c.assigned, a)
				b.Assignments = append(b.Assignments, a)
			}
			classes = append(classes, c)
			b.Classes = append(b.Classes, c.Class)
		}
	}
	for k := range ip.learners {
		g.learner(r, &in, classes, k, b)
	}
}

// kindAudience is the course audience an institution's learners mostly are.
func kindAudience(kind string) string {
	switch kind {
	case org.KindSchool:
		return audiencePupil
	case org.KindCadreCentre:
		return audienceCadre
	case org.KindLibrary, org.KindOther:
		return audienceSenior
	}
	return audienceAdult
}

// age draws a learner's age for the kind of institution they learn at:
// pupils at schools, mostly older people at libraries, culture stations
// and senior colleges, cadres of working age at training centres.
func age(r *rand.Rand, kind string) int {
	older := func(share float64, young, youngTo int) int {
		if r.Float64() < share {
			return 60 + r.IntN(26)
		}
		return young + r.IntN(youngTo-young+1)
	}
	switch kind {
	case org.KindSchool:
		if r.IntN(10) < 6 {
			return 7 + r.IntN(6)
		}
		return 13 + r.IntN(5)
	case org.KindCadreCentre:
		return 25 + r.IntN(35)
	case org.KindLibrary:
		return older(0.7, 30, 59)
	case org.KindCultureStation:
		return older(0.55, 35, 59)
	case org.KindCommunityCentre:
		return older(0.4, 18, 59)
	}
	return older(0.8, 50, 59)
}

// learner generates one learner with their class, enrolments and learning.
func (g *gen) learner(r *rand.Rand, in *store.Institution, classes []classPlan, k int, b *store.Population) {
	w := g.w
	end := w.o.Now
	id := g.user
	g.user++
	a := age(r, in.Kind)
	year := w.o.Now.Year() - a
	created := between(r, minTime(in.CreatedAt.Add(24*time.Hour), end.Add(-2*time.Hour)), end.Add(-2*time.Hour))
	audience := kindAudience(in.Kind)
	switch {
	case in.Kind == org.KindSchool || in.Kind == org.KindCadreCentre:
	case a >= 60:
		audience = audienceSenior
	default:
		audience = audienceAdult
	}
	language, locale := "zh-CN", "zh-CN"
	if r.IntN(100) < 8 {
		language, locale = "en", "en"
	}
	instID, regionCode := in.ID, in.RegionCode
	u := store.PopulationUser{User: store.User{ID: id, Username: fmt.Sprintf("%sl%d", store.GeneratedUsernamePrefix, id),
		DisplayName: personName(r), PasswordHash: w.o.PasswordHash, Role: roleLearner, InstitutionID: &instID,
		Locale: locale, BirthYear: &year, CreatedAt: created, UpdatedAt: created}}
	if a < 14 {
		// PIPL: a guardian consented when the account was made.
		name, day := personName(r), created.Format("2006-01-02")
		u.GuardianName, u.GuardianConsentDate = &name, &day
	}
	b.Users = append(b.Users, u)

	l := &learnerRun{gen: g, r: r, b: b, in: in, userID: id, name: u.DisplayName, skill: 0.45 + 0.55*r.Float64(),
		regionCode: &regionCode, instID: &instID, enrolled: map[int64]bool{}}
	if len(classes) > 0 && (in.Kind == org.KindSchool || r.IntN(10) < 6) {
		c := &classes[k%len(classes)]
		joined := between(r, maxTime(created, c.CreatedAt), minTime(maxTime(created, c.CreatedAt).Add(48*time.Hour), end))
		if joined.Before(end) {
			b.ClassMembers = append(b.ClassMembers, store.ClassMember{ClassID: c.ID, UserID: id, JoinedAt: joined})
			for _, as := range c.assigned {
				if r.IntN(100) < 80 {
					from := maxTime(joined, as.CreatedAt)
					l.enrol(w.courseByID(as.CourseID), between(r, from, minTime(from.Add(72*time.Hour), end)))
				}
			}
		}
	}
	pool := w.coursesFor(audience, language)
	want := 1
	switch x := r.IntN(100); {
	case x >= 98:
		want = 4
	case x >= 92:
		want = 3
	case x >= 70:
		want = 2
	}
	if in.Kind == org.KindCadreCentre {
		want++ // cadres work towards their yearly hours
	}
	for _, ci := range r.Perm(len(pool)) {
		if want == 0 {
			break
		}
		if l.enrolled[pool[ci].id] {
			continue
		}
		want--
		l.enrol(pool[ci], between(r, created, created.Add(end.Sub(created)/2)))
	}
}

func (w *world) courseByID(id int64) *courseInfo {
	for _, c := range w.courses {
		if c.id == id {
			return c
		}
	}
	return w.courses[0]
}

// learnerRun is one learner's learning being generated.
type learnerRun struct {
	*gen
	r          *rand.Rand
	b          *store.Population
	in         *store.Institution
	userID     int64
	name       string
	skill      float64 // chance of answering a question right
	instID     *int64
	regionCode *string
	enrolled   map[int64]bool
	// busy is when the learner's latest lesson so far ended: credited time
	// never runs faster than the clock across all their courses, so one
	// course's lessons wait for another's.
	busy time.Time
}

// enrol generates an enrolment and what the learner did in it: lessons in
// order, each opened some time after the previous, with credited time,
// quiz attempts and a sample of progress events; then the completion, 学时
// and certificate exactly when the learning rules say the course is done.
func (l *learnerRun) enrol(c *courseInfo, at time.Time) {
	w, r, end := l.w, l.r, l.w.o.Now
	if l.enrolled[c.id] || !at.Before(end) {
		return
	}
	l.enrolled[c.id] = true
	e := store.Enrollment{ID: l.enrolment, UserID: l.userID, CourseID: c.id, CourseVersionID: c.version.ID, EnrolledAt: at,
		InstitutionID: l.instID, RegionCode: l.regionCode}
	l.enrolment++

	touched, all := 0, false
	switch x := r.Float64(); {
	case x < 0.15:
	case x < 0.55:
		touched = 1 + r.IntN(len(c.lessons))
	default:
		touched, all = len(c.lessons), true
	}
	states := make([]store.LessonState, len(c.lessons))
	var finished time.Time
	for j, ls := range c.lessons {
		states[j] = store.LessonState{Slug: ls.slug, Minutes: ls.minutes, HasQuiz: len(ls.questions) > 0}
	}
	t := maxTime(at, l.busy).Add(time.Duration(10+r.IntN(600)) * time.Second)
	for j, ls := range c.lessons[:touched] {
		complete := all || j < touched-1 || r.IntN(10) < 4
		var active int
		switch {
		case complete:
			active = max(ls.required, 60) + r.IntN(ls.minutes*30+1)
		case ls.required > 60:
			active = 30 + r.IntN(ls.required-30)
		default:
			active = 30 + r.IntN(ls.minutes*30+1)
		}
		span := time.Duration(active+r.IntN(active/3+10)) * time.Second
		if !t.Add(span).Before(end) {
			break
		}
		last := t.Add(span)
		p := store.LessonProgress{UserID: l.userID, CourseID: c.id, LessonSlug: ls.slug, FirstOpenedAt: t, LastSeenAt: last,
			ActiveSeconds: active}
		if done, _ := learning.LessonDone(active, ls.required); complete && done {
			p.CompletedAt = &last
			states[j].Completed = true
			finished = maxTime(finished, last)
		}
		if states[j].HasQuiz && (p.CompletedAt != nil || r.IntN(3) == 0) {
			best := -1
			var tries []learning.AttemptTime // newest first, as Cooldown reads them
			for k := 0; k < 3; k++ {
				when := t.Add(time.Duration(float64(span) * (0.5 + 0.15*float64(k)))).Truncate(time.Millisecond)
				// The retry waits the server makes after two failures (all
				// of the lesson's attempts counted as one day's: stricter).
				when = when.Add(learning.Cooldown(tries, when))
				if k > 0 && when.After(last) {
					break
				}
				score, answers := l.answer(ls)
				passed := score >= c.version.PassScore
				tries = append([]learning.AttemptTime{{At: when, Passed: passed}}, tries...)
				l.b.Attempts = append(l.b.Attempts, store.QuizAttempt{UserID: l.userID, CourseID: c.id, LessonID: ls.id,
					LessonSlug: ls.slug, Score: score, Passed: passed, Answers: answers, CreatedAt: when})
				best = max(best, score)
				p.Attempts++
				finished = maxTime(finished, when)
				if passed || r.IntN(10) < 3 {
					break
				}
			}
			p.BestScore = &best
			states[j].BestScore = &best
		}
		l.b.Progress = append(l.b.Progress, p)
		l.events(ls, t, span, active, p.CompletedAt != nil)
		l.busy = last
		if r.IntN(10) < 6 {
			t = last.Add(time.Duration(10+r.IntN(600)) * time.Second)
		} else {
			t = last.Add(time.Hour + time.Duration(r.Int64N(int64(5*24*time.Hour))))
		}
	}
	if w.rules.CourseDone(store.CourseState{Version: c.version, Lessons: states}) {
		done := finished
		e.CompletedAt = &done
		e.HoursCredited = w.hoursFor(c)
		var serial [16]byte
		for i := range serial {
			serial[i] = byte(r.Uint32())
		}
		cert := store.Certificate{Serial: learning.SerialOf(serial), EnrollmentID: e.ID, UserID: l.userID, CourseID: c.id,
			CourseVersionID: c.version.ID, LearnerName: l.name, CourseTitle: c.version.Title, InstitutionName: l.in.Name,
			StudyHours: e.HoursCredited, IssuedAt: done}
		if r.IntN(1000) < 15 {
			if revoked := done.Add(time.Hour + time.Duration(r.Int64N(int64(30*24*time.Hour)))); revoked.Before(end) {
				cert.RevokedAt, cert.RevokedReason = &revoked, "示例数据：证书信息有误，已撤销"
			}
		}
		l.b.Certificates = append(l.b.Certificates, cert)
	}
	l.b.Enrollments = append(l.b.Enrollments, e)
}

// answer makes one attempt at a lesson's quiz: each question right with the
// learner's skill, scored as the server scores it.
func (l *learnerRun) answer(ls lessonInfo) (int, string) {
	buf := make([]byte, 0, 32*len(ls.questions))
	buf = append(buf, '{')
	right := 0
	for i, q := range ls.questions {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, raw(q.id)...)
		buf = append(buf, ':')
		if l.r.Float64() < l.skill {
			right++
			buf = append(buf, q.right...)
		} else {
			buf = append(buf, q.wrong...)
		}
	}
	buf = append(buf, '}')
	return int(float64(right)*100/float64(len(ls.questions)) + 0.5), string(buf)
}

// events writes a lesson's progress events: the open, a heartbeat for each
// 30 seconds of credited time (spread over the time the lesson was open, so
// none credits more than the clock allowed), and the complete. With
// EventsPerLesson set and fewer than that, only that many are kept: the
// open goes first, then heartbeats evenly spread, the last event (the
// complete, or the last heartbeat) always among them; a sample of one is
// the last heartbeat. Every lesson's sample carries credited time.
func (l *learnerRun) events(ls lessonInfo, t time.Time, span time.Duration, active int, completed bool) {
	beats := (active + 29) / 30
	total := 1 + beats
	if completed {
		total++
	}
	keep := l.w.o.EventsPerLesson
	if keep <= 0 || keep > total {
		keep = total
	}
	for m := range keep {
		// Index into open (0), heartbeats (1..beats), complete (beats+1).
		i := m
		if keep < total {
			i = beats // one event: the last heartbeat, which carries time
			if keep > 1 {
				i = 1 + (m*(total-2)+(keep-1)/2)/(keep-1)
			}
		}
		ev := store.ProgressEvent{UserID: l.userID, LessonID: ls.id}
		switch {
		case i == 0:
			ev.Type, ev.ReceivedAt = "open", t
		case i <= beats:
			credit := min(30, active-30*(i-1))
			ev.Type, ev.Seconds, ev.CreditedSeconds = "heartbeat", credit, credit
			done := 30*(i-1) + credit
			ev.ReceivedAt = t.Add(time.Duration(float64(span) * float64(done) / float64(active)))
		default:
			ev.Type, ev.ReceivedAt = "complete", t.Add(span)
		}
		ev.ReceivedAt = ev.ReceivedAt.Truncate(time.Millisecond)
		var key [16]byte
		for k := range key {
			key[k] = byte(l.r.Uint32())
		}
		key[6] = key[6]&0x0f | 0x40 // a version 4 UUID, as clients send
		key[8] = key[8]&0x3f | 0x80
		ev.EventKey = key[:]
		l.b.Events = append(l.b.Events, ev)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
