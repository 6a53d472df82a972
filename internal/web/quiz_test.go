package web_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

type lessonQuiz struct {
	AttemptKey string `json:"attempt_key"`
	Questions  []struct {
		ID      string   `json:"id"`
		Options []string `json:"options"`
	} `json:"questions"`
}

func (c *client) lessonQuiz(t *testing.T, lesson int64) lessonQuiz {
	t.Helper()
	var v lessonQuiz
	c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", lesson), nil, 200, &v)
	return v
}

func (c *client) attempt(t *testing.T, lesson int64, body map[string]any, want int) attemptResult {
	t.Helper()
	var r attemptResult
	out := any(&r)
	if want != 200 {
		out = nil
	}
	c.callJSON(t, "POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", lesson), body, want, out)
	return r
}

// Options come in an order the server picks per attempt; answers refer to
// the order shown, and a retry shows another order, so a script replaying
// indexes that once scored learns nothing about the next attempt.
func TestQuizOptionsShuffledPerAttempt(t *testing.T) {
	t.Parallel()
	c1 := coursetest.Simple("shuffle")
	c1.Lessons[0].Questions[0].Options = []string{"A", "B", "C", "D", "E"}
	c1.Lessons[1].Questions[0].Fixed = true // q3: "x", "y", "z" stay put
	cs := newCourseServer(t, storetest.Backends(t)[0], c1)
	ls := coursetest.Lessons(t, cs.st, "shuffle")
	c, _ := cs.learner(t, "mei", "")
	c.callJSON(t, "POST", "/api/v1/courses/shuffle/enroll", nil, 201, nil)

	prev := ""
	moved := false
	for i := 0; i < 4; i++ {
		v := c.lessonQuiz(t, ls[0].ID)
		if v.AttemptKey == "" || v.AttemptKey == prev {
			t.Fatalf("attempt %d: key %q after %q: a retry must show another order", i, v.AttemptKey, prev)
		}
		prev = v.AttemptKey
		opts := v.Questions[0].Options
		if !slices.Equal(slices.Sorted(slices.Values(opts)), []string{"A", "B", "C", "D", "E"}) {
			t.Fatalf("options %v are not the authored ones", opts)
		}
		if !slices.Equal(opts, []string{"A", "B", "C", "D", "E"}) {
			moved = true
		}
		shownB := slices.Index(opts, "B")
		// The index of "B" in the order shown is right; the authored index
		// is right only where the shown order happens to keep it there.
		r := c.attempt(t, ls[0].ID, map[string]any{"answers": map[string]any{"q1": shownB, "q2": false}, "attempt_key": v.AttemptKey}, 200)
		if !r.Results[0].Correct {
			t.Errorf("attempt %d: B at shown index %d in %v graded wrong", i, shownB, opts)
		}
		if opts[1] != "B" {
			cs.clk.Add(10 * time.Minute)
			r := c.attempt(t, ls[0].ID, map[string]any{"answers": map[string]any{"q1": 1, "q2": false}, "attempt_key": v.AttemptKey}, 200)
			if r.Results[0].Correct {
				t.Errorf("attempt %d: authored index graded right against shown order %v", i, opts)
			}
		}
		cs.clk.Add(10 * time.Minute) // past any cooldown
	}
	if !moved {
		t.Error("four attempts all showed the authored order")
	}
	// Without a key the answers are read in authored order (older clients).
	if r := c.attempt(t, ls[0].ID, map[string]any{"answers": rightIntro}, 200); !r.Passed {
		t.Errorf("keyless right answers = %+v", r)
	}

	c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[1].ID), nil, 200, nil)
	for i := 0; i < 4; i++ {
		v := c.lessonQuiz(t, ls[1].ID)
		if got := v.Questions[0].Options; !slices.Equal(got, []string{"x", "y", "z"}) {
			t.Errorf("shuffle: false question shown as %v", got)
		}
		c.attempt(t, ls[1].ID, map[string]any{"answers": rightPractice, "attempt_key": v.AttemptKey}, 200)
	}

	for _, bad := range []string{"nope", strconv.FormatInt(ls[1].ID, 10) + ".0", strconv.FormatInt(ls[0].ID, 10) + ".4"} {
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID),
			body: `{"answers":{"q1":1},"attempt_key":"` + bad + `"}`, csrf: true})
		if code, field := fieldOf(t, rec); rec.Code != 400 || code != "invalid" || field != "attempt_key" {
			t.Errorf("attempt_key %q = %d %s", bad, rec.Code, rec.Body)
		}
	}
}

// A client that resends an attempt (an offline queue after a lost answer)
// gets the stored result back; nothing is graded or counted twice.
func TestQuizAttemptIDReplays(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			cs := newCourseServer(t, b, coursetest.Simple("replay"))
			ls := coursetest.Lessons(t, cs.st, "replay")
			c, u := cs.learner(t, "lan", "")
			c.callJSON(t, "POST", "/api/v1/courses/replay/enroll", nil, 201, nil)
			id := "0f8b2c4e-8d1a-4c55-9a55-0b6a1d2e3f40"
			first := c.attempt(t, ls[0].ID, map[string]any{"answers": wrongIntro, "attempt_id": id}, 200)
			again := c.attempt(t, ls[0].ID, map[string]any{"answers": rightIntro, "attempt_id": strings.ToUpper(id)}, 200)
			if first.Score != 0 || again.Score != first.Score || again.Passed {
				t.Errorf("resent attempt graded again: first %+v, again %+v", first, again)
			}
			progress, err := cs.st.ProgressOf(t.Context(), u.ID, coursetest.CourseID(t, cs.st, "replay"))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range progress {
				if p.LessonSlug == "intro" && p.Attempts != 1 {
					t.Errorf("a resent attempt counted: %d attempts", p.Attempts)
				}
			}
			// A resend during a retry cooldown still gets its stored result:
			// it is no new attempt.
			c.attempt(t, ls[0].ID, map[string]any{"answers": wrongIntro}, 200)
			c.attempt(t, ls[0].ID, map[string]any{"answers": wrongIntro}, 429)
			if r := c.attempt(t, ls[0].ID, map[string]any{"answers": rightIntro, "attempt_id": id}, 200); r.Score != first.Score {
				t.Errorf("resent during cooldown = %+v", r)
			}
			rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[1].ID),
				body: `{"answers":{"q4":"110"},"attempt_id":"` + id + `"}`, csrf: true})
			if code, field := fieldOf(t, rec); rec.Code != 409 || code != "conflict" || field != "attempt_id" {
				t.Errorf("attempt id reused on another lesson = %d %s", rec.Code, rec.Body)
			}
			// Another learner may use the same id: ids are the client's, per learner.
			c2, _ := cs.learner(t, "hua", "")
			c2.callJSON(t, "POST", "/api/v1/courses/replay/enroll", nil, 201, nil)
			if r := c2.attempt(t, ls[0].ID, map[string]any{"answers": rightIntro, "attempt_id": id}, 200); !r.Passed {
				t.Errorf("another learner's attempt with the same id = %+v", r)
			}
		})
	}
}

// After two failures in a day each retry waits longer: 1, 2, 4, 8 minutes.
// Passing, or the next day in the deployment's time zone, starts over.
func TestQuizRetryCooldown(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("cool"))
	ls := coursetest.Lessons(t, cs.st, "cool")
	c, _ := cs.learner(t, "wu", "")
	c.callJSON(t, "POST", "/api/v1/courses/cool/enroll", nil, 201, nil)
	fail := map[string]any{"answers": wrongIntro}

	refused := func(wantSeconds int) {
		t.Helper()
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID), body: `{"answers":{"q1":1,"q2":true}}`, csrf: true})
		var body struct {
			Error struct {
				Code, Key  string
				RetryAfter int `json:"retry_after"`
			} `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 429 || body.Error.Key != "error.quiz_cooldown" || body.Error.RetryAfter != wantSeconds ||
			rec.Header().Get("Retry-After") != strconv.Itoa(wantSeconds) {
			t.Fatalf("want 429 retry_after %d, got %d %s (Retry-After %q)", wantSeconds, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}

	c.attempt(t, ls[0].ID, fail, 200)
	c.attempt(t, ls[0].ID, fail, 200) // the first retry is immediate
	refused(60)
	cs.clk.Add(30 * time.Second)
	refused(30)
	cs.clk.Add(30 * time.Second)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(120)
	cs.clk.Add(2 * time.Minute)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(240)
	cs.clk.Add(4 * time.Minute)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(480)
	cs.clk.Add(8 * time.Minute)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(480) // capped at 8 minutes

	// Another lesson's quiz has its own count.
	c.attempt(t, ls[1].ID, map[string]any{"answers": map[string]any{"q4": "999"}}, 200)

	// 09:15 UTC is 17:15 in Shanghai: the day there ends 6h45m later.
	cs.clk.Add(6*time.Hour + 45*time.Minute)
	c.attempt(t, ls[0].ID, fail, 200)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(60)
	cs.clk.Add(time.Minute)
	if r := c.attempt(t, ls[0].ID, map[string]any{"answers": rightIntro}, 200); !r.Passed {
		t.Fatalf("right answers = %+v", r)
	}
	// Passing starts over.
	c.attempt(t, ls[0].ID, fail, 200)
	c.attempt(t, ls[0].ID, fail, 200)
	refused(60)
}

// Oversized or malformed submissions are refused before anything is graded.
func TestQuizSubmissionLimits(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("limits"))
	ls := coursetest.Lessons(t, cs.st, "limits")
	c, u := cs.learner(t, "zhou", "")
	c.callJSON(t, "POST", "/api/v1/courses/limits/enroll", nil, 201, nil)
	path := fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[1].ID)
	long := strings.Repeat("很长的答案", 200) // 3,000 bytes
	for _, bad := range []struct{ body, key, field string }{
		{`{"answers":{"q4":"` + long + `"}}`, "error.answer_too_long", "q4"},
		{`{"answers":{"q3":[0],"q4":"1","q5":"2"}}`, "error.too_many_answers", "answers"},
		{`{"answers":{"` + strings.Repeat("q", 40) + `":"1"}}`, "error.unknown_question", "answers"},
		{`{"answers":{"q4":"110"},"attempt_id":"not-a-uuid"}`, "error.attempt_id_invalid", "attempt_id"},
	} {
		rec := c.do(request{method: "POST", path: path, body: bad.body, csrf: true})
		var body struct {
			Error struct{ Code, Key, Field string } `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body.Error.Key != bad.key || body.Error.Field != bad.field {
			t.Errorf("%.60s = %d %s, want 400 %s naming %s", bad.body, rec.Code, truncate(rec.Body.String()), bad.key, bad.field)
		}
	}
	progress, err := cs.st.ProgressOf(t.Context(), u.ID, coursetest.CourseID(t, cs.st, "limits"))
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 0 {
		t.Errorf("refused submissions left progress: %+v", progress)
	}
}
