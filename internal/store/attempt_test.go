package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

func TestFailingQuizzesDoNotCompleteUntilRetried(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		x := cxSetup(t, b)
		x.clk.Add(time.Hour)
		x.finishAllButQuiz(t)
		// (10 + 100) / 2 = 55 < 60.
		if c := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 10); c.Completed {
			t.Fatal("completed with a quiz average of 55")
		}
		// A worse retry does not lower the best score; a better one completes.
		if c := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 0); c.Completed {
			t.Fatal("completed after a worse retry")
		}
		ps, err := x.st.ProgressOf(context.Background(), x.u.ID, x.c.ID)
		var p *store.LessonProgress
		for i := range ps {
			if ps[i].LessonSlug == x.lessons[0].Slug {
				p = &ps[i]
			}
		}
		if err != nil || p == nil || p.BestScore == nil || *p.BestScore != 10 || p.Attempts != 2 {
			t.Errorf("intro progress = %+v, %v; want best 10 after 2 attempts", p, err)
		}
		if c := cxAttempt(t, x.st, x.u, x.c, x.lessons[0], 50); !c.Completed {
			t.Error("a retry reaching an average of 75 did not complete")
		}
		if cs := x.certificates(t); len(cs) != 1 {
			t.Errorf("%d certificates, want 1", len(cs))
		}
	})
}
