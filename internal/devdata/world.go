package devdata

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuetang-edu/xuetang/internal/learning"
	"github.com/xuetang-edu/xuetang/internal/org"
	"github.com/xuetang-edu/xuetang/internal/region"
	"github.com/xuetang-edu/xuetang/internal/store"
)

// world is what a population is generated into: the divisions and the
// courses as the database has them, and the rules that judge learning.
type world struct {
	o       Options
	regions map[string]store.Region
	// counties of the provinces in use, in a seeded order; weights skew
	// institutions towards the first ones.
	provinces []string
	counties  []string
	weights   []float64 // cumulative
	courses   []*courseInfo
	rules     store.Rules
	start     time.Time // o.Now - o.Days
}

// courseInfo is a course at its current version, with what generating
// activity in it needs.
type courseInfo struct {
	id        int64
	slug      string
	language  string
	version   store.CourseVersion
	audiences []string
	lessons   []lessonInfo
	minutes   int
}

type lessonInfo struct {
	id        int64
	slug      string
	minutes   int
	required  int // credited seconds before it can complete
	questions []questionInfo
}

// questionInfo holds a right and a wrong answer, as a learner would send them.
type questionInfo struct {
	id           string
	right, wrong json.RawMessage
}

func newWorld(ctx context.Context, st Store, o Options) (*world, error) {
	w := &world{o: o, start: o.Now.AddDate(0, 0, -o.Days)}
	// Only the course rule and the hours are used: serials come from the
	// seed (learning.SerialOf), not from NewRules' random source.
	w.rules = learning.NewRules(o.MinutesPerStudyHour, func() string { panic("devdata makes its own serials") })
	if err := w.loadRegions(ctx, st); err != nil {
		return nil, err
	}
	if err := w.loadCourses(ctx, st); err != nil {
		return nil, err
	}
	return w, nil
}

// loadRegions reads the division tree, loading the shipped one first when
// the database has no counties (a store migrated without it).
func (w *world) loadRegions(ctx context.Context, st Store) error {
	rs, err := st.AllRegions(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rs, func(r store.Region) bool { return r.Level == 3 }) {
		if _, err := region.New(st).LoadShipped(ctx); err != nil {
			return fmt.Errorf("load the shipped regions: %w", err)
		}
		if rs, err = st.AllRegions(ctx); err != nil {
			return err
		}
	}
	w.regions = make(map[string]store.Region, len(rs))
	byProvince := map[string][]string{}
	for _, r := range rs {
		w.regions[r.Code] = r
		if r.Level == 3 {
			p := r.Code[:2] + "0000"
			byProvince[p] = append(byProvince[p], r.Code)
		}
	}
	if len(byProvince) == 0 {
		return fmt.Errorf("the database has no counties to put institutions in: import a division list with `xuetang regions import`")
	}
	for p := range byProvince {
		w.provinces = append(w.provinces, p)
	}
	sort.Strings(w.provinces)
	return nil
}

// loadCourses reads the published courses (or those named), their lessons
// and quizzes.
func (w *world) loadCourses(ctx context.Context, st Store) error {
	entries, err := st.PublishedCourses(ctx)
	if err != nil {
		return err
	}
	want, missing := map[string]bool{}, map[string]bool{}
	for _, s := range w.o.Courses {
		want[s], missing[s] = true, true
	}
	for _, e := range entries {
		if len(want) > 0 && !want[e.Course.Slug] {
			continue
		}
		delete(missing, e.Course.Slug)
		c := &courseInfo{id: e.Course.ID, slug: e.Course.Slug, language: e.Course.Language, version: e.Version}
		for _, a := range strings.Split(e.Version.Audience, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.audiences = append(c.audiences, a)
			}
		}
		lessons, err := st.LessonsOfVersion(ctx, e.Version.ID)
		if err != nil {
			return err
		}
		for _, l := range lessons {
			qs, err := st.QuestionsOfLesson(ctx, l.ID)
			if err != nil {
				return err
			}
			li := lessonInfo{id: l.ID, slug: l.Slug, minutes: l.Minutes,
				required: learning.RequiredSeconds(l.Minutes, w.o.MinTimeShare)}
			for _, q := range qs {
				li.questions = append(li.questions, answersOf(q))
			}
			c.lessons = append(c.lessons, li)
			c.minutes += l.Minutes
		}
		if len(c.lessons) > 0 {
			w.courses = append(w.courses, c)
		}
	}
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for s := range missing {
			names = append(names, s)
		}
		sort.Strings(names)
		return fmt.Errorf("no published course %s", strings.Join(names, ", "))
	}
	if len(w.courses) == 0 {
		return fmt.Errorf("no published course with lessons to enrol in: load or import courses first")
	}
	return nil
}

// answersOf works out a right and a wrong answer to a question from its key.
func answersOf(q store.Question) questionInfo {
	qi := questionInfo{id: q.QID}
	var options []string
	_ = json.Unmarshal([]byte(q.Options), &options)
	n := max(len(options), 2)
	switch q.Type {
	case "single":
		var a int
		_ = json.Unmarshal([]byte(q.Answer), &a)
		qi.right, qi.wrong = raw(a), raw((a+1)%n)
	case "multiple":
		var a []int
		_ = json.Unmarshal([]byte(q.Answer), &a)
		qi.right = raw(a)
		if len(a) > 1 {
			qi.wrong = raw(a[:1])
		} else if len(a) == 1 {
			qi.wrong = raw([]int{(a[0] + 1) % n})
		} else {
			qi.wrong = raw([]int{0})
		}
	case "true_false":
		var a bool
		_ = json.Unmarshal([]byte(q.Answer), &a)
		qi.right, qi.wrong = raw(a), raw(!a)
	default: // fill_blank: one accepted text, or a list of them
		var one string
		if json.Unmarshal([]byte(q.Answer), &one) != nil {
			var many []string
			_ = json.Unmarshal([]byte(q.Answer), &many)
			if len(many) > 0 {
				one = many[0]
			}
		}
		qi.right, qi.wrong = raw(one), raw("不知道")
	}
	return qi
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// The learner audiences course packages name.
const (
	audiencePupil  = "pupil"
	audienceAdult  = "adult"
	audienceSenior = "senior"
	audienceCadre  = "cadre"
)

// coursesFor lists the courses for an audience in a language, falling back
// to the audience in any language, then to every course.
func (w *world) coursesFor(audience, language string) []*courseInfo {
	var same, any []*courseInfo
	for _, c := range w.courses {
		if slices.Contains(c.audiences, audience) {
			any = append(any, c)
			if c.language == language {
				same = append(same, c)
			}
		}
	}
	switch {
	case len(same) > 0:
		return same
	case len(any) > 0:
		return any
	}
	return w.courses
}

// institutionPlan is an institution before its people are generated.
type institutionPlan struct {
	store.Institution
	learners int
}

// population is the planned institutions and where ids start.
type population struct {
	w            *world
	institutions []institutionPlan
	regionAdmins []string // province codes
	next         store.PopulationState
}

// plan places the institutions: kinds by how common they are (every kind
// once first), over the counties of a few provinces with a skew towards
// some, sized by kind and chance, learners shared out by size.
func (w *world) plan(state store.PopulationState) *population {
	r := rngFor(w.o.Seed, 0)
	n := w.o.Institutions
	if n <= 0 {
		n = max(w.o.Learners/10, len(kindShare))
	}
	nProvinces := 2
	switch {
	case n >= 2000:
		nProvinces = 8
	case n >= 50:
		nProvinces = 4
	}
	provinces := slices.Clone(w.provinces)
	r.Shuffle(len(provinces), func(i, j int) { provinces[i], provinces[j] = provinces[j], provinces[i] })
	provinces = provinces[:min(nProvinces, len(provinces))]
	sort.Strings(provinces)
	w.counties = w.counties[:0]
	for _, code := range sortedKeys(w.regions) {
		if w.regions[code].Level == 3 && slices.Contains(provinces, code[:2]+"0000") {
			w.counties = append(w.counties, code)
		}
	}
	r.Shuffle(len(w.counties), func(i, j int) { w.counties[i], w.counties[j] = w.counties[j], w.counties[i] })
	w.weights = make([]float64, len(w.counties))
	total := 0.0
	for i := range w.counties {
		total += 1 / math.Pow(float64(i+1), 0.7)
		w.weights[i] = total
	}

	p := &population{w: w, next: state, regionAdmins: provinces}
	sizes := make([]float64, n)
	sizeSum := 0.0
	for i := range n {
		kind := i
		if i >= len(kindShare) {
			x, acc := r.Float64(), 0.0
			for kind = range kindShare {
				if acc += kindShare[kind].share; x < acc {
					break
				}
			}
		}
		k := kindShare[kind]
		code := w.pickCounty(r)
		if k.kind == org.KindCadreCentre && r.IntN(2) == 0 {
			// Cadre training is often run by the prefecture.
			if pre, ok := w.regions[code[:4]+"00"]; ok {
				code = pre.Code
			}
		}
		created := w.start.Add(time.Duration(r.Float64() * 0.2 * float64(w.o.Now.Sub(w.start))))
		p.institutions = append(p.institutions, institutionPlan{Institution: store.Institution{
			Kind: k.kind, RegionCode: code, CreatedAt: created.Truncate(time.Second)}})
		sizes[i] = k.size * math.Exp(r.NormFloat64()*0.7)
		sizeSum += sizes[i]
	}
	// Learners shared out in proportion to size, rounding so they add up.
	acc, given := 0.0, 0
	for i := range p.institutions {
		acc += sizes[i]
		upto := int(math.Round(acc / sizeSum * float64(w.o.Learners)))
		p.institutions[i].learners = upto - given
		given = upto
	}
	// Ids in region order, so each batch's rows land near each other in
	// every region-keyed index; names numbered within their region.
	sort.SliceStable(p.institutions, func(i, j int) bool {
		a, b := p.institutions[i], p.institutions[j]
		if a.RegionCode != b.RegionCode {
			return a.RegionCode < b.RegionCode
		}
		return a.Kind < b.Kind
	})
	counter := map[string]int{}
	for i := range p.institutions {
		in := &p.institutions[i].Institution
		in.ID = state.NextInstitutionID + int64(i)
		in.Code = fmt.Sprintf("gen-%d", in.ID)
		key := in.RegionCode + "/" + in.Kind
		counter[key]++
		in.Name = institutionName(in.Kind, w.regions[in.RegionCode].Name, counter[key])
	}
	return p
}

func (w *world) pickCounty(r interface{ Float64() float64 }) string {
	x := r.Float64() * w.weights[len(w.weights)-1]
	i := sort.SearchFloat64s(w.weights, x)
	return w.counties[min(i, len(w.counties)-1)]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hoursFor is the 学时 a completion of c earns, by the deployment's rule.
func (w *world) hoursFor(c *courseInfo) float64 {
	return w.rules.Hours(c.version, c.minutes)
}
