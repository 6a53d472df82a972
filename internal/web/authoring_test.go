package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/coursetest"
	"github.com/xuetang-edu/xuetang/internal/store"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

// authorWorld has institutions in two provinces: sc-city (Chengdu, 510100)
// and sc-county (Jinjiang, 510104, inside Chengdu) in Sichuan, gd-city
// (Guangzhou, 440100) in Guangdong; a learner at each, staff of every role
// at sc-city and gd-city, region admins of both provinces and an admin.
// The shipped course "shipped" has no owner.
type authorWorld struct {
	cs    *courseServer
	insts map[string]*store.Institution
	users map[string]*store.User
	c     map[string]*client
}

func newAuthorWorld(t *testing.T) *authorWorld {
	t.Helper()
	return newAuthorWorldOn(t, storetest.Backends(t)[0])
}

// newAuthorWorldOn is the world on one database backend.
func newAuthorWorldOn(t *testing.T, b storetest.Backend) *authorWorld {
	t.Helper()
	cs := newCourseServer(t, b, coursetest.Simple("shipped"))
	w := &authorWorld{cs: cs, insts: map[string]*store.Institution{}, users: map[string]*store.User{}, c: map[string]*client{}}
	ctx := context.Background()
	sc, cd, gd := "510000", "510100", "440000"
	if err := cs.st.UpsertRegions(ctx, []store.Region{{Code: sc, Name: "四川省"}, {Code: cd, Name: "成都市", ParentCode: &sc},
		{Code: "510104", Name: "锦江区", ParentCode: &cd}, {Code: gd, Name: "广东省"}, {Code: "440100", Name: "广州市", ParentCode: &gd}}); err != nil {
		t.Fatal(err)
	}
	for code, rc := range map[string]string{"sc-city": "510100", "sc-county": "510104", "gd-city": "440100"} {
		in := &store.Institution{Code: code, Name: code, Kind: "library", RegionCode: rc, CreatedAt: cs.clk.Now()}
		if err := cs.st.CreateInstitution(ctx, in); err != nil {
			t.Fatal(err)
		}
		w.insts[code] = in
	}
	for _, u := range []struct{ name, role, inst, region string }{
		{"learner-sc", account.RoleLearner, "sc-city", ""},
		{"learner-county", account.RoleLearner, "sc-county", ""},
		{"learner-gd", account.RoleLearner, "gd-city", ""},
		{"teacher-sc", account.RoleTeacher, "sc-city", ""},
		{"teacher-gd", account.RoleTeacher, "gd-city", ""},
		{"instadmin-sc", account.RoleInstitutionAdmin, "sc-city", ""},
		{"instadmin-gd", account.RoleInstitutionAdmin, "gd-city", ""},
		{"region-sc", account.RoleRegionAdmin, "", "510000"},
		{"region-gd", account.RoleRegionAdmin, "", "440000"},
		{"admin", account.RoleAdmin, "", ""},
	} {
		nu, err := cs.accounts.Create(ctx, account.NewUser{Username: u.name, Password: learnerPassword, Role: u.role,
			DisplayName: u.name, InstitutionCode: u.inst, RegionCode: u.region})
		if err != nil {
			t.Fatal(err)
		}
		c := cs.client()
		c.login(t, u.name, learnerPassword)
		w.users[u.name], w.c[u.name] = nu, c
	}
	return w
}

// packageZip renders a course as the package zip an author uploads.
func packageZip(t *testing.T, c coursetest.Course) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := coursetest.Load(t, c)[0].WriteZip(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func uploadPackage(c *client, zipData []byte, fields map[string]string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "course.zip")
	_, _ = fw.Write(zipData)
	_ = mw.Close()
	return c.do(request{method: "POST", path: "/api/v1/teach/courses/import", body: body.String(), csrf: true,
		headers: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

// publish uploads a Simple course as a user and requires 201.
func (w *authorWorld) publish(t *testing.T, user, slug, visibility string) {
	t.Helper()
	rec := uploadPackage(w.c[user], packageZip(t, coursetest.Simple(slug)), map[string]string{"visibility": visibility})
	if rec.Code != http.StatusCreated {
		t.Fatalf("publish %s as %s = %d %s", slug, user, rec.Code, rec.Body)
	}
}

func (w *authorWorld) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.cs.st.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTeachImportByRoleAndScope(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	cases := []struct {
		user, visibility, institution string
		want                          int
		key                           string
	}{
		{"learner-sc", "", "", 403, "error.forbidden"},
		{"teacher-sc", "", "", 201, ""},
		{"teacher-sc", "institution", "", 201, ""},
		{"teacher-sc", "region", "", 201, ""}, // stored for the institution, review requested
		{"teacher-sc", "public", "", 201, ""},
		{"teacher-sc", "everyone", "", 400, "author.error.visibility_invalid"},
		{"instadmin-sc", "", "", 201, ""},
		{"instadmin-sc", "region", "", 201, ""},
		{"region-sc", "region", "sc-county", 201, ""},                          // in scope
		{"region-sc", "region", "gd-city", 400, "error.institution_not_found"}, // out of scope
		{"region-sc", "public", "sc-county", 201, ""},
		{"region-sc", "region", "", 400, "author.error.owner_required"},
		{"region-gd", "region", "gd-city", 201, ""},
		{"region-gd", "region", "sc-city", 400, "error.institution_not_found"},
		{"admin", "public", "", 201, ""},
		{"admin", "public", "sc-city", 201, ""},
		{"admin", "institution", "", 400, "author.error.owner_required"},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.user, tc.visibility, tc.institution), func(t *testing.T) {
			slug := fmt.Sprintf("c%02d", i)
			fields := map[string]string{}
			if tc.visibility != "" {
				fields["visibility"] = tc.visibility
			}
			if tc.institution != "" {
				fields["institution"] = tc.institution
			}
			rec := uploadPackage(w.c[tc.user], packageZip(t, coursetest.Simple(slug)), fields)
			if rec.Code != tc.want {
				t.Fatalf("= %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			stored := w.count(t, "SELECT COUNT(*) FROM courses WHERE slug = ?", slug)
			if tc.want != 201 {
				if got := errKey(t, rec); got != tc.key {
					t.Errorf("key %q, want %q", got, tc.key)
				}
				if stored != 0 {
					t.Errorf("refused, yet %d courses stored", stored)
				}
				if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE target = ?", "course:"+slug); n != 0 {
					t.Errorf("refused, yet %d audit entries", n)
				}
				return
			}
			var out struct {
				Slug    string
				Version int
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Slug != slug || out.Version != 1 {
				t.Errorf("body %s", rec.Body)
			}
			if stored != 1 {
				t.Errorf("%d courses stored", stored)
			}
			if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'course.import' AND target = ? AND actor_id = ?",
				"course:"+slug, w.users[tc.user].ID); n != 1 {
				t.Errorf("%d audit entries for the import", n)
			}
		})
	}
}

func errKey(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Key string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("not an error body: %s", rec.Body)
	}
	return body.Error.Key
}

func TestTeachExportAndListByRoleAndScope(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		testTeachExportAndListByRoleAndScope(t, newAuthorWorldOn(t, b))
	})
}

func testTeachExportAndListByRoleAndScope(t *testing.T, w *authorWorld) {
	w.publish(t, "teacher-sc", "sc-course", "institution")
	cases := []struct {
		user             string
		sc, shipped      int // export status of sc-course and the shipped course
		list             int
		listsSC, listsSh bool
	}{
		{"learner-sc", 403, 403, 403, false, false},
		{"teacher-sc", 200, 404, 200, true, false},
		{"teacher-gd", 404, 404, 200, false, false},
		{"instadmin-sc", 200, 404, 200, true, false},
		{"instadmin-gd", 404, 404, 200, false, false},
		{"region-sc", 200, 404, 200, true, false},
		{"region-gd", 404, 404, 200, false, false},
		{"admin", 200, 200, 200, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			c := w.c[tc.user]
			for slug, want := range map[string]int{"sc-course": tc.sc, "shipped": tc.shipped} {
				rec := c.do(request{method: "GET", path: "/api/v1/teach/courses/" + slug + "/export?version=1"})
				if rec.Code != want {
					t.Errorf("export %s = %d, want %d: %s", slug, rec.Code, want, truncate(rec.Body.String()))
				}
				if want == 200 && rec.Header().Get("Content-Type") != "application/zip" {
					t.Errorf("export %s content type %q", slug, rec.Header().Get("Content-Type"))
				}
			}
			rec := c.do(request{method: "GET", path: "/api/v1/teach/courses"})
			if rec.Code != tc.list {
				t.Fatalf("list = %d, want %d", rec.Code, tc.list)
			}
			if rec.Code != 200 {
				return
			}
			var out struct {
				Courses []struct {
					Slug     string
					Versions []int
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, c := range out.Courses {
				got[c.Slug] = true
				if len(c.Versions) != 1 || c.Versions[0] != 1 {
					t.Errorf("%s versions %v", c.Slug, c.Versions)
				}
			}
			if got["sc-course"] != tc.listsSC || got["shipped"] != tc.listsSh {
				t.Errorf("listed %v", got)
			}
		})
	}
	t.Run("unknown version", func(t *testing.T) {
		rec := w.c["teacher-sc"].do(request{method: "GET", path: "/api/v1/teach/courses/sc-course/export?version=7"})
		if rec.Code != 404 || errKey(t, rec) != "author.error.version_not_found" {
			t.Errorf("= %d %s", rec.Code, rec.Body)
		}
	})
}

// visibility checks what a browser sees of a course on every learner
// endpoint: listed, course page, lesson, image and enrolment.
func (w *authorWorld) visibility(t *testing.T, c *client, slug string, want bool) {
	t.Helper()
	var cat struct{ Courses []struct{ Slug string } }
	c.callJSON(t, "GET", "/api/v1/courses", nil, 200, &cat)
	listed := false
	for _, x := range cat.Courses {
		listed = listed || x.Slug == slug
	}
	if listed != want {
		t.Errorf("%s listed = %v, want %v", slug, listed, want)
	}
	code := 404
	if want {
		code = 200
	}
	ls := coursetest.Lessons(t, w.cs.st, slug)
	for _, p := range []string{"/api/v1/courses/" + slug, fmt.Sprintf("/api/v1/lessons/%d", ls[0].ID),
		"/media/courses/" + slug + "/1/assets/pic.svg"} {
		if rec := c.do(request{method: "GET", path: p}); rec.Code != code {
			if !(rec.Code == 401 && strings.HasPrefix(p, "/api/v1/lessons")) {
				t.Errorf("GET %s = %d, want %d", p, rec.Code, code)
			}
		}
	}
}

func (w *authorWorld) enrol(t *testing.T, c *client, slug string) int {
	t.Helper()
	return c.do(request{method: "POST", path: "/api/v1/courses/" + slug + "/enroll", csrf: true}).Code
}

func TestCourseVisibility(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) { testCourseVisibility(t, newAuthorWorldOn(t, b)) })
}

func testCourseVisibility(t *testing.T, w *authorWorld) {
	w.publish(t, "teacher-sc", "inst-only", "institution")
	w.publish(t, "teacher-gd", "gd-only", "institution")
	if rec := uploadPackage(w.c["region-sc"], packageZip(t, coursetest.Simple("sc-region")),
		map[string]string{"visibility": "region", "institution": "sc-city"}); rec.Code != 201 {
		t.Fatalf("region publish = %d %s", rec.Code, rec.Body)
	}
	anon := w.cs.client()
	cases := []struct {
		who  string
		c    *client
		slug string
		want bool
	}{
		{"learner of the institution", w.c["learner-sc"], "inst-only", true},
		{"learner of another institution in the region", w.c["learner-county"], "inst-only", false},
		{"learner of another province", w.c["learner-gd"], "inst-only", false},
		{"signed out", anon, "inst-only", false},
		{"teacher of another province", w.c["teacher-gd"], "inst-only", false},
		{"region admin of the region", w.c["region-sc"], "inst-only", true},
		{"region admin of another province", w.c["region-gd"], "inst-only", false},
		{"admin", w.c["admin"], "inst-only", true},
		{"region course, owner", w.c["learner-sc"], "sc-region", true},
		{"region course, institution under the owner's region", w.c["learner-county"], "sc-region", true},
		{"region course, another province", w.c["learner-gd"], "sc-region", false},
		{"region course, signed out", anon, "sc-region", false},
		{"other province's course", w.c["learner-sc"], "gd-only", false},
		{"shipped course, another province", w.c["learner-gd"], "shipped", true},
		{"shipped course, signed out", anon, "shipped", true},
	}
	for _, tc := range cases {
		t.Run(tc.who+"/"+tc.slug, func(t *testing.T) {
			w.visibility(t, tc.c, tc.slug, tc.want)
		})
	}
	// Enrolment last: an enrolment keeps a course open to its learner.
	for _, tc := range cases {
		if tc.c == anon {
			continue
		}
		want := 404
		if tc.want {
			want = 201
		}
		if got := w.enrol(t, tc.c, tc.slug); got != want && !(tc.want && got == 200) {
			t.Errorf("%s enrols in %s = %d, want %d", tc.who, tc.slug, got, want)
		}
	}
	t.Run("private media is not cached by proxies", func(t *testing.T) {
		rec := w.c["learner-sc"].do(request{method: "GET", path: "/media/courses/inst-only/1/assets/pic.svg"})
		if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
			t.Errorf("Cache-Control %q", cc)
		}
		rec = anon.do(request{method: "GET", path: "/media/courses/shipped/1/assets/pic.svg"})
		if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
			t.Errorf("shipped Cache-Control %q", cc)
		}
	})
}

func TestCourseVisibleThroughAssignment(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	w.publish(t, "teacher-sc", "inst-only", "institution")
	c := w.c["learner-gd"]
	w.visibility(t, c, "inst-only", false)
	ctx := context.Background()
	class := &store.Class{InstitutionID: w.insts["gd-city"].ID, Name: "夜校"}
	if err := w.cs.st.CreateClass(ctx, class); err != nil {
		t.Fatal(err)
	}
	if err := w.cs.st.AddClassMember(ctx, class.ID, w.users["learner-gd"].ID); err != nil {
		t.Fatal(err)
	}
	if err := w.cs.st.Assign(ctx, &store.Assignment{ClassID: class.ID, CourseID: coursetest.CourseID(t, w.cs.st, "inst-only")}); err != nil {
		t.Fatal(err)
	}
	w.visibility(t, c, "inst-only", true)
	if got := w.enrol(t, c, "inst-only"); got != 201 {
		t.Errorf("assigned learner enrols = %d", got)
	}
	// Another learner of the same institution, not in the class, still not.
	other := w.cs.client()
	if _, err := w.cs.accounts.Create(ctx, account.NewUser{Username: "gd2", Password: learnerPassword, Role: account.RoleLearner,
		DisplayName: "gd2", InstitutionCode: "gd-city"}); err != nil {
		t.Fatal(err)
	}
	other.login(t, "gd2", learnerPassword)
	w.visibility(t, other, "inst-only", false)
}

func TestTeachImportSlugOwnedElsewhere(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, b storetest.Backend) { testTeachImportSlugOwnedElsewhere(t, newAuthorWorldOn(t, b)) })
}

func testTeachImportSlugOwnedElsewhere(t *testing.T, w *authorWorld) {
	w.publish(t, "teacher-sc", "mine", "institution")
	v2 := coursetest.Simple("mine")
	v2.Version, v2.Title = 2, "Taken over"
	for _, tc := range []struct{ user, slug string }{{"teacher-gd", "mine"}, {"teacher-sc", "shipped"}} {
		c := v2
		c.Slug = tc.slug
		rec := uploadPackage(w.c[tc.user], packageZip(t, c), nil)
		if rec.Code != 409 || errKey(t, rec) != "author.error.slug_taken" {
			t.Errorf("%s over %s = %d %s", tc.user, tc.slug, rec.Code, rec.Body)
		}
	}
	if n := w.count(t, "SELECT COUNT(*) FROM course_versions v JOIN courses c ON c.id = v.course_id WHERE c.slug IN ('mine', 'shipped')"); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}
	// The owner's institution admin publishes version 2 of its own course.
	if rec := uploadPackage(w.c["instadmin-sc"], packageZip(t, v2), nil); rec.Code != 201 {
		t.Errorf("owner's v2 = %d %s", rec.Code, rec.Body)
	}
}

func TestTeachImportBrokenPackage(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	before := w.count(t, "SELECT COUNT(*) FROM course_versions")
	audits := w.count(t, "SELECT COUNT(*) FROM audit_log")
	broken := coursetest.Simple("broken")
	broken.Lessons[0].Questions[0].Answer = "7"
	broken.Lessons[1].Body = "<script>alert(1)</script>\n"
	files := broken.Files("")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, f := range files {
		fw, _ := zw.Create(name)
		_, _ = fw.Write(f.Data)
	}
	_ = zw.Close()
	for name, data := range map[string][]byte{"invalid package": buf.Bytes(), "not a zip": []byte("hello")} {
		t.Run(name, func(t *testing.T) {
			rec := uploadPackage(w.c["teacher-sc"], data, nil)
			if rec.Code != 422 {
				t.Fatalf("= %d %s", rec.Code, rec.Body)
			}
			var body struct {
				Error    struct{ Code, Key, Message string }
				Problems []struct {
					File    string `json:"file"`
					Line    int    `json:"line"`
					Message string `json:"message"`
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Key != "author.error.package_invalid" || body.Error.Message == "" || len(body.Problems) == 0 {
				t.Fatalf("body %s", rec.Body)
			}
			if name == "invalid package" {
				var files []string
				for _, p := range body.Problems {
					if p.Line == 0 || p.Message == "" {
						t.Errorf("problem without line: %+v", p)
					}
					files = append(files, p.File)
				}
				if got := strings.Join(files, " "); got != "broken/01-intro.md broken/02-practice.md" {
					t.Errorf("problems in %s: %s", got, rec.Body)
				}
			}
		})
	}
	if n := w.count(t, "SELECT COUNT(*) FROM course_versions"); n != before {
		t.Errorf("versions %d -> %d", before, n)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM audit_log"); n != audits {
		t.Errorf("audit entries %d -> %d", audits, n)
	}
}

func TestTeachExportRoundTrip(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	c := w.c["teacher-sc"]
	w.publish(t, "teacher-sc", "trip", "institution")
	v2 := coursetest.Simple("trip")
	v2.Version = 2
	v2.Lessons[0].Body = "# Intro\n\nChanged.\n"
	if rec := uploadPackage(c, packageZip(t, v2), nil); rec.Code != 201 {
		t.Fatalf("v2 = %d %s", rec.Code, rec.Body)
	}
	for _, v := range []int{1, 2} {
		rec := c.do(request{method: "GET", path: fmt.Sprintf("/api/v1/teach/courses/trip/export?version=%d", v)})
		if rec.Code != 200 {
			t.Fatalf("export v%d = %d", v, rec.Code)
		}
		exported := rec.Body.Bytes()
		pkgs := coursetest.Load(t, coursetest.Simple("trip"))
		_ = pkgs
		want := packageZip(t, coursetest.Simple("trip"))
		if v == 2 {
			want = packageZip(t, v2)
		}
		if !bytes.Equal(exported, want) {
			t.Errorf("v%d export differs from the uploaded package", v)
		}
	}
	// The current version's export imports back unchanged: no new version,
	// and exporting again gives the same bytes.
	first := c.do(request{method: "GET", path: "/api/v1/teach/courses/trip/export"}).Body.Bytes()
	before := w.count(t, "SELECT COUNT(*) FROM course_versions")
	if rec := uploadPackage(c, first, nil); rec.Code != 201 {
		t.Fatalf("re-import = %d %s", rec.Code, rec.Body)
	}
	if n := w.count(t, "SELECT COUNT(*) FROM course_versions"); n != before {
		t.Errorf("re-import made %d versions from %d", n, before)
	}
	again := c.do(request{method: "GET", path: "/api/v1/teach/courses/trip/export"}).Body.Bytes()
	if !bytes.Equal(first, again) {
		t.Error("export after re-import differs")
	}
}

// Authors write q1, q2 in every lesson: such a package imports, and each
// lesson's quiz grades its own q1.
func TestQuestionIDsPerLesson(t *testing.T) {
	t.Parallel()
	w := newAuthorWorld(t)
	c := coursetest.Simple("repeat")
	c.Lessons[1].Questions[0].ID, c.Lessons[1].Questions[1].ID = "q1", "q2"
	if rec := uploadPackage(w.c["teacher-sc"], packageZip(t, c), nil); rec.Code != 201 {
		t.Fatalf("= %d %s", rec.Code, rec.Body)
	}
	l := w.c["learner-sc"]
	l.callJSON(t, "POST", "/api/v1/courses/repeat/enroll", nil, 201, nil)
	ls := coursetest.Lessons(t, w.cs.st, "repeat")
	var r1, r2 struct {
		Score int `json:"score"`
	}
	l.callJSON(t, "POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[0].ID),
		map[string]any{"answers": map[string]any{"q1": 1, "q2": true}}, 200, &r1)
	l.callJSON(t, "POST", fmt.Sprintf("/api/v1/lessons/%d/attempts", ls[1].ID),
		map[string]any{"answers": map[string]any{"q1": []int{0, 2}, "q2": "110"}}, 200, &r2)
	if r1.Score != 100 || r2.Score != 100 {
		t.Errorf("scores %d %d, want 100 each", r1.Score, r2.Score)
	}
}
