package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Accessibility checks with axe-core (testdata/axe, MPL-2.0), run on the
// pages the browser tests visit. The script is evaluated through DevTools,
// so the site's CSP (no inline or foreign scripts) stays as strict as users
// get it.

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeRun checks WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best
// practices (landmarks, one main heading, ...).
const axeRun = `(async () => {
  const r = await axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    resultTypes: ['violations'],
  });
  return r.violations.map((v) => ({
    id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 2).join(' ') })),
  }));
})()`

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// accessible runs axe on the page as it is now and fails the test with every
// violation (rule, impact, elements) when there are any. The caller waits
// for the state worth checking first.
func (b *browserSession) accessible(name string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 25*time.Second)
	defer cancel()
	start := time.Now()
	// A script evaluated through DevTools is not subject to the page's CSP;
	// an eval() inside the page would be.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true"))
	}
	if err != nil {
		b.fail(name+" (load axe)", err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(name+" (axe)", err)
	}
	b.axeTime += time.Since(start)
	b.shot(name)
	b.axePages++
	if len(vs) == 0 {
		return
	}
	var sb strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&sb, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&sb, "\n    %s: %s", n.Target, n.Summary)
		}
	}
	b.t.Errorf("%s at %s: %d accessibility violations (screenshot: %s):%s", name, b.location(), len(vs), b.screenshot(name+"-axe"), sb.String())
}
