package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// gated is the default rule: a lesson completes after 60% of its minutes.
var gated = learning.Config{MinTimeShare: 0.6}

type gatedResult struct {
	eventResult
	SecondsNeeded int `json:"seconds_needed"`
}

func (c *client) event(t *testing.T, lesson int64, typ string, seconds int, occurred *time.Time) gatedResult {
	t.Helper()
	body := map[string]any{"event_id": newEventID(), "lesson_id": lesson, "type": typ, "seconds": seconds}
	if occurred != nil {
		body["occurred_at"] = occurred.Format(time.RFC3339Nano)
	}
	var r gatedResult
	c.callJSON(t, "POST", "/api/v1/progress", body, 200, &r)
	return r
}

// A lesson counts complete only after its share of credited active time:
// the Simple course's first lesson states 30 minutes, so 18 minutes (1,080
// seconds) of active time. Before that, "complete" says how much is left.
func TestLessonCompletesAfterTimeOnTask(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServerWith(t, b, gated, coursetest.Simple("gate"))
		ls := coursetest.Lessons(t, cs.st, "gate")
		c, _ := cs.learner(t, "gao", "")
		c.callJSON(t, "POST", "/api/v1/courses/gate/enroll", nil, 201, nil)

		cs.clk.Add(time.Minute)
		r := c.event(t, ls[0].ID, "complete", 60, nil)
		if r.LessonCompleted || r.CreditedSeconds != 60 || r.SecondsNeeded != 1020 {
			t.Fatalf("complete after a minute = %+v, want not completed, 1020 s needed", r)
		}
		for i := 0; i < 16; i++ {
			cs.clk.Add(time.Minute)
			c.event(t, ls[0].ID, "heartbeat", 60, nil)
		}
		cs.clk.Add(30 * time.Second)
		if r := c.event(t, ls[0].ID, "complete", 30, nil); r.LessonCompleted || r.SecondsNeeded != 30 {
			t.Fatalf("complete 30 s short = %+v", r)
		}
		cs.clk.Add(30 * time.Second)
		if r := c.event(t, ls[0].ID, "complete", 30, nil); !r.LessonCompleted || r.SecondsNeeded != 0 {
			t.Fatalf("complete with the time spent = %+v", r)
		}
		// Completed stays completed; no further time is asked for.
		if r := c.event(t, ls[0].ID, "complete", 0, nil); !r.LessonCompleted || r.SecondsNeeded != 0 {
			t.Fatalf("complete again = %+v", r)
		}
		var v struct{ Completed bool }
		c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID), nil, 200, &v)
		if !v.Completed {
			t.Error("lesson not shown completed")
		}
	})
}

// A script that knows the answers but spends no time earns nothing: every
// lesson "completed" at once, every quiz passed, and no certificate. Credit
// is capped by the wall clock across all lessons, so the same script can
// only finish by spending a person's time.
func TestFarmingACertificateWithoutTimeFails(t *testing.T) {
	t.Parallel()
	cs := newCourseServerWith(t, storetest.Backends(t)[0], gated, coursetest.Simple("farm"))
	ls := coursetest.Lessons(t, cs.st, "farm")
	c, u := cs.learner(t, "bot", "")
	c.callJSON(t, "POST", "/api/v1/courses/farm/enroll", nil, 201, nil)
	cs.clk.Add(37 * time.Second)
	for round := 0; round < 5; round++ {
		for _, l := range ls {
			for i := 0; i < 20; i++ { // a flood of generous claims
				if r := c.event(t, l.ID, "complete", 86400, nil); r.LessonCompleted || r.CourseCompleted {
					t.Fatalf("lesson %s completed by a flood: %+v", l.Slug, r)
				}
			}
		}
		cs.clk.Add(time.Second)
	}
	c.submitQuiz(t, ls[0].ID, rightIntro)
	c.submitQuiz(t, ls[1].ID, rightPractice)
	var mine struct {
		Courses []struct {
			CompletedAt       *time.Time `json:"completed_at"`
			CertificateSerial *string    `json:"certificate_serial"`
		} `json:"courses"`
	}
	c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
	if len(mine.Courses) != 1 || mine.Courses[0].CompletedAt != nil || mine.Courses[0].CertificateSerial != nil {
		t.Fatalf("farmed course = %+v", mine.Courses)
	}
	progress, err := cs.st.ProgressOf(context.Background(), u.ID, coursetest.CourseID(t, cs.st, "farm"))
	if err != nil {
		t.Fatal(err)
	}
	credited := 0
	for _, p := range progress {
		credited += p.ActiveSeconds
	}
	if credited > 42 {
		t.Errorf("%d s credited in 42 s of wall clock", credited)
	}

	// Spending the time, lesson after lesson, completes the course.
	var last gatedResult
	for _, l := range ls {
		for {
			cs.clk.Add(time.Minute)
			if last = c.event(t, l.ID, "complete", 60, nil); last.LessonCompleted {
				break
			}
		}
	}
	if !last.CourseCompleted || last.CertificateSerial == nil {
		t.Fatalf("course after the time was spent = %+v", last)
	}
}

// Events queued offline arrive together and are credited by when they
// happened, never more than the wall clock between them, never in the future.
func TestOfflineEventsCreditedByWhenTheyHappened(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServerWith(t, b, gated, coursetest.Simple("offline"))
		ls := coursetest.Lessons(t, cs.st, "offline")
		c, _ := cs.learner(t, "ma", "")
		c.callJSON(t, "POST", "/api/v1/courses/offline/enroll", nil, 201, nil)
		start := cs.clk.Now()
		cs.clk.Add(2 * time.Hour) // back online, two hours later

		at := func(d time.Duration) *time.Time { x := start.Add(d); return &x }
		if r := c.event(t, ls[0].ID, "open", 0, at(time.Minute)); r.CreditedSeconds != 0 {
			t.Errorf("open = %+v", r)
		}
		total := 0
		for i := 2; i <= 11; i++ {
			total += c.event(t, ls[0].ID, "heartbeat", 60, at(time.Duration(i)*time.Minute)).CreditedSeconds
		}
		if total != 600 {
			t.Errorf("ten queued heartbeats a minute apart credited %d s, want 600", total)
		}
		// Half a minute after the last queued one: half a minute of credit.
		if r := c.event(t, ls[0].ID, "heartbeat", 60, at(11*time.Minute+30*time.Second)); r.CreditedSeconds != 30 {
			t.Errorf("heartbeat 30 s later = %+v", r)
		}
		// An event claiming to precede the last credited one adds nothing.
		if r := c.event(t, ls[0].ID, "heartbeat", 60, at(5*time.Minute)); r.CreditedSeconds != 0 {
			t.Errorf("out-of-order event = %+v", r)
		}
		// Before enrolment: nothing.
		c2, _ := cs.learner(t, "niu", "")
		c2.callJSON(t, "POST", "/api/v1/courses/offline/enroll", nil, 201, nil)
		if r := c2.event(t, ls[0].ID, "heartbeat", 60, at(-time.Hour)); r.CreditedSeconds != 0 {
			t.Errorf("event before enrolment = %+v", r)
		}
		// The future is now: a day ahead counts as this instant, and the
		// next event a minute later is still credited a minute.
		cs.clk.Add(time.Minute)
		future := cs.clk.Now().Add(24 * time.Hour)
		if r := c.event(t, ls[0].ID, "heartbeat", 60, &future); r.CreditedSeconds != 60 {
			t.Errorf("future event = %+v", r)
		}
		cs.clk.Add(time.Minute)
		if r := c.event(t, ls[0].ID, "heartbeat", 60, nil); r.CreditedSeconds != 60 {
			t.Errorf("event after a future one = %+v", r)
		}
		rec := c.do(request{method: "POST", path: "/api/v1/progress", csrf: true,
			body: fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"heartbeat","seconds":5,"occurred_at":"yesterday"}`, newEventID(), ls[0].ID)})
		if rec.Code != 400 {
			t.Errorf("occurred_at \"yesterday\" = %d %s", rec.Code, rec.Body)
		}
	})
}

// Completions recorded before the time rule stand.
func TestEarlierCompletionsStand(t *testing.T) {
	t.Parallel()
	cs := newCourseServerWith(t, storetest.Backends(t)[0], gated, coursetest.Simple("before"))
	ls := coursetest.Lessons(t, cs.st, "before")
	c, u := cs.learner(t, "lu", "")
	c.callJSON(t, "POST", "/api/v1/courses/before/enroll", nil, 201, nil)
	cs.clk.Add(time.Second)
	// As the server without the rule recorded it: complete after a second.
	out, err := cs.st.RecordProgress(context.Background(), []store.ProgressInput{{
		EventID: newEventID(), UserID: u.ID, CourseID: coursetest.CourseID(t, cs.st, "before"), LessonID: ls[2].ID,
		LessonSlug: ls[2].Slug, Type: "complete", Seconds: 1, EnrolledAt: cs.clk.Now().Add(-time.Second),
	}}, learning.NewRules(0, nil))
	if err != nil || !out[0].LessonCompleted {
		t.Fatalf("old-style completion: %+v, %v", out, err)
	}
	cs.clk.Add(time.Second)
	if r := c.event(t, ls[2].ID, "complete", 1, nil); !r.LessonCompleted || r.SecondsNeeded != 0 {
		t.Errorf("complete on a lesson completed before the rule = %+v", r)
	}
}

// "My learning" states the deployment's rules exactly, from its settings.
func TestMyLearningStatesTheRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lc              learning.Config
		perHour, minPct int
	}{{learning.Config{}, 45, 0}, {gated, 45, 60}, {learning.Config{MinTimeShare: 0.5, MinutesPerStudyHour: 40}, 40, 50}} {
		cs := newCourseServerWith(t, storetest.Backends(t)[0], tc.lc)
		c, _ := cs.learner(t, "rules", "")
		var mine struct {
			Rules struct {
				MinutesPerStudyHour int `json:"minutes_per_study_hour"`
				MinTimePercent      int `json:"min_time_percent"`
			} `json:"rules"`
		}
		c.callJSON(t, "GET", "/api/v1/me/courses", nil, 200, &mine)
		if mine.Rules.MinutesPerStudyHour != tc.perHour || mine.Rules.MinTimePercent != tc.minPct {
			t.Errorf("%+v: rules %+v", tc.lc, mine.Rules)
		}
	}
}

// With XUETANG_EVENT_RETENTION set, an event that happened longer ago is
// refused with a 400 naming the window (its day's raw detail may be pruned
// and its statistics closed), nothing is stored, and one just inside the
// window is still counted.
func TestEventOlderThanRetentionRefused(t *testing.T) {
	t.Parallel()
	cfg := gated
	cfg.EventRetention = 400 * 24 * time.Hour
	cs := newCourseServerWith(t, storetest.Backends(t)[0], cfg, coursetest.Simple("kept"))
	ls := coursetest.Lessons(t, cs.st, "kept")
	c, u := cs.learner(t, "ren", "")
	c.callJSON(t, "POST", "/api/v1/courses/kept/enroll", nil, 201, nil)
	cs.clk.Add(401 * 24 * time.Hour)
	old := cs.clk.Now().Add(-cfg.EventRetention - time.Minute)
	id := newEventID()
	rec := c.do(request{method: "POST", path: "/api/v1/progress", csrf: true,
		body: fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"heartbeat","seconds":30,"occurred_at":%q}`, id, ls[0].ID,
			old.Format(time.RFC3339))})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"error.event_too_old"`) || !strings.Contains(rec.Body.String(), "400 ") {
		t.Fatalf("event older than the window = %d %s", rec.Code, rec.Body)
	}
	var n int
	if err := cs.st.DB().QueryRow("SELECT COUNT(*) FROM progress_events WHERE user_id = ?", u.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d events stored for the refused one (%v)", n, err)
	}
	inside := cs.clk.Now().Add(-cfg.EventRetention + time.Hour)
	if r := c.event(t, ls[0].ID, "heartbeat", 30, &inside); r.Status != "recorded" {
		t.Errorf("event inside the window = %+v", r)
	}
}
