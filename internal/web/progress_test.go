package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestProgressEvents(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		cs := newCourseServer(t, b, coursetest.Simple("prog"))
		ls := coursetest.Lessons(t, cs.st, "prog")
		c, _ := cs.learner(t, "zhou", "")

		// Not enrolled: 403, and nothing stored.
		rec := c.do(request{method: "POST", path: "/api/v1/progress", csrf: true,
			body: fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"open","seconds":0}`, newEventID(), ls[0].ID)})
		if code, _ := fieldOf(t, rec); rec.Code != 403 || code != "forbidden" {
			t.Fatalf("progress before enrolling = %d %s", rec.Code, rec.Body)
		}

		c.callJSON(t, "POST", "/api/v1/courses/prog/enroll", nil, 201, nil)
		cs.clk.Add(time.Minute)
		id := newEventID()
		if r := c.sendEvent(t, id, ls[0].ID, "heartbeat", 30); r.Status != "recorded" || r.CreditedSeconds != 30 {
			t.Fatalf("first event = %+v", r)
		}
		cs.clk.Add(time.Minute)
		if r := c.sendEvent(t, id, ls[0].ID, "heartbeat", 30); r.Status != "duplicate" || r.CreditedSeconds != 0 {
			t.Errorf("the same event again = %+v, want duplicate", r)
		}
		active := func() int {
			var d struct {
				Progress struct {
					ActiveSeconds int `json:"active_seconds"`
				} `json:"progress"`
			}
			c.callJSON(t, "GET", "/api/v1/courses/prog", nil, 200, &d)
			return d.Progress.ActiveSeconds
		}
		if got := active(); got != 30 {
			t.Errorf("active seconds = %d, want 30 (the duplicate counted once)", got)
		}

		// The minute spent since the last recorded event is honest time.
		if r := c.sendEvent(t, newEventID(), ls[0].ID, "heartbeat", 60); r.CreditedSeconds != 60 {
			t.Errorf("heartbeat after a minute = %+v", r)
		}
		// A flood: 100 heartbeats claiming a minute each within 10 s.
		credited := 0
		for i := 0; i < 100; i++ {
			cs.clk.Add(100 * time.Millisecond)
			credited += c.sendEvent(t, newEventID(), ls[i%2].ID, "heartbeat", 60).CreditedSeconds
		}
		if credited > 10 {
			t.Errorf("flood credited %d s in 10 s", credited)
		}
		if got := active(); got > 30+60+10 {
			t.Errorf("active seconds after the flood = %d, want at most 100", got)
		}

		for _, bad := range []struct{ body, field string }{
			{`{"event_id":"x","lesson_id":1,"type":"open"}`, "event_id"},
			{fmt.Sprintf(`{"event_id":%q,"lesson_id":%d,"type":"dance"}`, newEventID(), ls[0].ID), "type"},
			{fmt.Sprintf(`{"event_id":%q,"lesson_id":999999,"type":"open"}`, newEventID()), "lesson_id"},
			{`{"event_id":1}`, "event_id"},
		} {
			rec := c.do(request{method: "POST", path: "/api/v1/progress", body: bad.body, csrf: true})
			if code, field := fieldOf(t, rec); rec.Code != 400 || code != "invalid" || field != bad.field {
				t.Errorf("%s = %d %s, want 400 naming %s", bad.body, rec.Code, rec.Body, bad.field)
			}
		}
	})
}
