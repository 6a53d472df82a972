package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestLessonNeverShowsAnswers(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("secret"))
	ls := coursetest.Lessons(t, cs.st, "secret")
	c, _ := cs.learner(t, "li", "")
	check := func(t *testing.T, rec *httptest.ResponseRecorder) {
		t.Helper()
		raw := rec.Body.String()
		for _, bad := range []string{`"answer"`, `"answers"`, `"explanation"`, "EXPLAIN-"} {
			if strings.Contains(raw, bad) {
				t.Errorf("lesson JSON contains %s: %s", bad, truncate(raw))
			}
		}
		var v struct {
			Questions []map[string]json.RawMessage `json:"questions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		for _, q := range v.Questions {
			for k := range q {
				if k != "id" && k != "type" && k != "prompt" && k != "options" {
					t.Errorf("question carries %q", k)
				}
			}
		}
	}
	// Before enrolling (a preview) and after.
	check(t, c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID), nil, 200, nil))
	c.callJSON(t, "POST", "/api/v1/courses/secret/enroll", nil, 201, nil)
	for _, l := range ls {
		check(t, c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", l.ID), nil, 200, nil))
	}
	var v struct {
		Title     string `json:"title"`
		HTML      string `json:"html"`
		Questions []struct {
			ID      string   `json:"id"`
			Type    string   `json:"type"`
			Options []string `json:"options"`
		} `json:"questions"`
		Prev   *struct{ ID int64 }     `json:"prev"`
		Next   *struct{ ID int64 }     `json:"next"`
		Course struct{ Enrolled bool } `json:"course"`
	}
	c.callJSON(t, "GET", fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID), nil, 200, &v)
	if len(v.Questions) != 2 || v.Questions[0].ID != "q1" || len(v.Questions[0].Options) != 3 || v.Questions[1].Options == nil ||
		v.Prev != nil || v.Next == nil || v.Next.ID != ls[1].ID || !v.Course.Enrolled || !strings.Contains(v.HTML, "<h1") {
		t.Errorf("lesson view = %+v", v)
	}
	if rec := c.do(request{method: "GET", path: "/api/v1/lessons/999999"}); rec.Code != 404 {
		t.Errorf("unknown lesson = %d", rec.Code)
	}
	if rec := cs.client().do(request{method: "GET", path: fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID)}); rec.Code != 401 {
		t.Errorf("signed out = %d, want 401", rec.Code)
	}
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("quiz"))
	ls := coursetest.Lessons(t, cs.st, "quiz")
	c, _ := cs.learner(t, "chen", "")
	path := fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID)

	rec := c.do(request{method: "POST", path: path, body: `{"answers":{"q1":1}}`, csrf: true})
	if rec.Code != 403 {
		t.Fatalf("attempt before enrolling = %d", rec.Code)
	}
	c.callJSON(t, "POST", "/api/v1/courses/quiz/enroll", nil, 201, nil)

	for _, bad := range []struct {
		lesson int64
		body   string
		field  string
	}{
		{ls[0].ID, `{"answers":{"q1":"B"}}`, "q1"},
		{ls[0].ID, `{"answers":{"q1":7}}`, "q1"},
		{ls[0].ID, `{"answers":{"q1":1.5}}`, "q1"},
		{ls[0].ID, `{"answers":{"q2":"yes"}}`, "q2"},
		{ls[1].ID, `{"answers":{"q3":2}}`, "q3"},
		{ls[1].ID, `{"answers":{"q4":110}}`, "q4"},
		{ls[0].ID, `{"answers":{"q9":1}}`, "q9"},
		{ls[0].ID, `{"answers":{"q3":[0]}}`, "q3"}, // another lesson's question
		{ls[0].ID, `{}`, "answers"},
	} {
		rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", bad.lesson), body: bad.body, csrf: true})
		if code, field := fieldOf(t, rec); rec.Code != 400 || code != "invalid" || field != bad.field {
			t.Errorf("%s = %d %s, want 400 naming %s", bad.body, rec.Code, rec.Body, bad.field)
		}
	}
	if rec := c.do(request{method: "POST", path: fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[2].ID), body: `{"answers":{}}`, csrf: true}); rec.Code != 400 {
		t.Errorf("attempt on a lesson without a quiz = %d", rec.Code)
	}

	r := c.submitQuiz(t, ls[0].ID, map[string]any{"q1": 1})
	if r.Score != 50 || r.Passed || len(r.Results) != 2 || !r.Results[0].Correct || r.Results[1].Correct ||
		r.Results[0].Explanation != coursetest.Explanation("q1") {
		t.Errorf("half right, one unanswered = %+v", r)
	}
	if r := c.submitQuiz(t, ls[1].ID, rightPractice); r.Score != 100 || !r.Passed {
		t.Errorf("all right (fullwidth digits, any order) = %+v", r)
	}
}

// A lesson answer is encoded and gzipped once per variant and shared: the
// gzipped bytes inflate to the plain answer, learners in the same state get
// the same bytes, and a learner's own progress still shows.
func TestLessonAnswersGzippedOnceAndShared(t *testing.T) {
	t.Parallel()
	cs := newCourseServer(t, storetest.Backends(t)[0], coursetest.Simple("shared"))
	ls := coursetest.Lessons(t, cs.st, "shared")
	path := fmt.Sprintf("/api/v1/lessons/%d", ls[2].ID)
	a, _ := cs.learner(t, "wang", "")
	b, _ := cs.learner(t, "zhao", "")
	for _, c := range []*client{a, b} {
		c.callJSON(t, "POST", "/api/v1/courses/shared/enroll", nil, 201, nil)
	}
	gz := map[string]string{"Accept-Encoding": "gzip"}
	ra := a.do(request{method: "GET", path: path, headers: gz})
	rb := b.do(request{method: "GET", path: path, headers: gz})
	if ra.Code != 200 || ra.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip lesson = %d %q", ra.Code, ra.Header().Get("Content-Encoding"))
	}
	if !bytes.Equal(ra.Body.Bytes(), rb.Body.Bytes()) {
		t.Error("two learners in the same state got different encodings")
	}
	zr, err := gzip.NewReader(bytes.NewReader(ra.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inflated, _ := io.ReadAll(zr)
	plain := a.do(request{method: "GET", path: path})
	if plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(inflated, plain.Body.Bytes()) {
		t.Errorf("gzipped answer differs from the plain one:\n%s\n%s", inflated, plain.Body.String())
	}
	a.sendEvent(t, newEventID(), ls[2].ID, "complete", 0)
	var va, vb struct {
		Completed bool `json:"completed"`
	}
	a.callJSON(t, "GET", path, nil, 200, &va)
	b.callJSON(t, "GET", path, nil, 200, &vb)
	if !va.Completed || vb.Completed {
		t.Errorf("completed: wang %v (want true), zhao %v (want false)", va.Completed, vb.Completed)
	}
}
