package store_test

import (
	"context"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// TestDrafts: a draft's revision guards against overwriting, its images are
// stored once per path, audit entries are written with the change and not
// with a refused one, and a new course's draft cannot take a published slug.
func TestDrafts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := b.Open(t, storetest.NewClock().Now)
		coursetest.Import(t, st, coursetest.Simple("taken"))
		u := cxUser(t, st, "author")
		audit := func(action string) *store.AuditEntry {
			id := u.ID
			return &store.AuditEntry{ActorID: &id, Action: action, Target: "course:d"}
		}
		if err := st.CreateDraft(ctx, &store.CourseDraft{Slug: "taken", Body: "{}", CreatedBy: u.ID, UpdatedBy: u.ID}, nil, audit("create")); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a new course's draft on a published slug: %v", err)
		}
		d := &store.CourseDraft{Slug: "d", Body: `{"a":1}`, CreatedBy: u.ID, UpdatedBy: u.ID}
		if err := st.CreateDraft(ctx, d, []store.DraftAsset{{Path: "assets/a.png", ContentType: "image/png", Data: []byte{1}}}, audit("create")); err != nil || d.Revision != 1 {
			t.Fatalf("create: %v (revision %d)", err, d.Revision)
		}
		if err := st.CreateDraft(ctx, &store.CourseDraft{Slug: "d", Body: "{}", CreatedBy: u.ID, UpdatedBy: u.ID}, nil, audit("create")); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a second draft of the same course: %v", err)
		}
		rev, err := st.SaveDraft(ctx, d.ID, 1, `{"a":2}`, u.ID, audit("save"))
		if err != nil || rev != 2 {
			t.Fatalf("save = %d, %v", rev, err)
		}
		if _, err := st.SaveDraft(ctx, d.ID, 1, `{"a":3}`, u.ID, audit("save")); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a stale save: %v", err)
		}
		got, err := st.DraftBySlug(ctx, "d")
		if err != nil || got.Body != `{"a":2}` || got.Revision != 2 {
			t.Fatalf("draft = %+v, %v", got, err)
		}
		for i := 0; i < 2; i++ {
			if err := st.AddDraftAsset(ctx, &store.DraftAsset{DraftID: d.ID, Path: "assets/b.png", ContentType: "image/png", Data: []byte{2}}, audit("image")); err != nil {
				t.Fatalf("add asset #%d: %v", i+1, err)
			}
		}
		as, err := st.DraftAssets(ctx, d.ID, false)
		if err != nil || len(as) != 2 || as[0].Path != "assets/a.png" || as[0].Data != nil {
			t.Fatalf("assets = %+v, %v", as, err)
		}
		if a, err := st.DraftAsset(ctx, d.ID, "assets/b.png"); err != nil || string(a.Data) != "\x02" {
			t.Fatalf("asset = %+v, %v", a, err)
		}
		c, _, _ := st.CourseBySlug(ctx, "taken")
		if v, err := st.LatestVersion(ctx, c.ID); err != nil || v != 1 {
			t.Errorf("latest version = %d, %v", v, err)
		}
		if err := st.DeleteDraft(ctx, d.ID, audit("discard")); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DraftBySlug(ctx, "d"); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("after delete: %v", err)
		}
		if err := st.DeleteDraft(ctx, d.ID, audit("discard")); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("delete twice: %v", err)
		}
		entries, err := st.AuditEntries(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range entries {
			count[e.Action]++
		}
		if count["create"] != 1 || count["save"] != 1 || count["image"] != 2 || count["discard"] != 1 {
			t.Errorf("audit entries %v: one per change made", count)
		}
	})
}
