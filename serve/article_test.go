package main

// Tests of the companion article (assets/index.html, article.js,
// article.css): its in-text links carry valid app states and fall back to
// app.html#state, it loads nothing from elsewhere, and in a browser its links
// set the embedded app's location.hash.

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"iwsm/wasm/live"
)

// readAsset returns a file of the module's assets/ folder.
func readAsset(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "assets", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	tagRE  = regexp.MustCompile(`(?s)<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
)

// htmlTag is one start tag of a page: its name and attributes (unescaped).
type htmlTag struct {
	name  string
	attrs map[string]string
}

// startTags lists the start tags of an HTML page. A regular expression is
// enough for our own hand-written pages.
func startTags(page string) []htmlTag {
	var tags []htmlTag
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		tag := htmlTag{name: strings.ToLower(m[1]), attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			tag.attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2] + a[3] + a[4])
		}
		tags = append(tags, tag)
	}
	return tags
}

// stateLinks returns the article's links that set the app's state: the
// anchors of class "set", as data-state → href.
func stateLinks(t *testing.T, tags []htmlTag) map[string]string {
	t.Helper()
	links := map[string]string{}
	for _, tag := range tags {
		if tag.name != "a" || !strings.Contains(" "+tag.attrs["class"]+" ", " set ") {
			continue
		}
		state, ok := tag.attrs["data-state"]
		if !ok {
			t.Errorf("state link without data-state: %v", tag.attrs)
			continue
		}
		links[state] = tag.attrs["href"]
	}
	return links
}

// TestArticleLinks checks every in-text link of the article: its state
// decodes without a warning, its href is the no-JavaScript fallback
// app.html#state, and together the links show every view the article
// promises.
func TestArticleLinks(t *testing.T) {
	page := readAsset(t, "index.html")
	tags := startTags(page)
	links := stateLinks(t, tags)
	if len(links) < 10 {
		t.Fatalf("only %d distinct state links in index.html", len(links))
	}
	var states []live.State
	for state, href := range links {
		want := "app.html"
		if state != "" {
			want += "#" + state
		}
		if href != want {
			t.Errorf("link for %q has href %q, want %q", state, href, want)
		}
		s, warnings := live.Decode(state)
		if len(warnings) > 0 {
			t.Errorf("link state %q: %s", state, strings.Join(warnings, "; "))
		}
		states = append(states, s)
	}
	has := func(what string, ok func(live.State) bool) {
		t.Helper()
		for _, s := range states {
			if ok(s) {
				return
			}
		}
		t.Errorf("no link shows %s", what)
	}
	has("IW-SM alone from scratch", func(s live.State) bool {
		return s.Target == "gmm40" && s.Method == "iwsm" && s.Compare == "" && !s.Pretrained
	})
	has("IW-SM against iDEM", func(s live.State) bool { return s.Method == "iwsm" && s.Compare == "idem" })
	has("IW-SM against the oracle", func(s live.State) bool { return s.Method == "iwsm" && s.Compare == "oracle" })
	has("weights on and off without the defensive share", func(s live.State) bool {
		return s.Method == "iwsm-nodef" && s.Compare == "idem-nodef"
	})
	for _, target := range []string{"gmm120", "rings", "manywell", "uneven"} {
		has("target "+target, func(s live.State) bool { return s.Target == target })
	}
	has("the buffer layer", func(s live.State) bool { return s.Layers.Buffer })
	has("the proposal layer", func(s live.State) bool { return s.Layers.Proposal })
	has("the weights layer", func(s live.State) bool { return s.Layers.Weights })
	has("the score-field layer", func(s live.State) bool { return s.Layers.Field })
	has("classroom mode", func(s live.State) bool { return s.Classroom })

	// The paper and iDEM are cited.
	for _, paper := range []string{"https://arxiv.org/abs/2505.19431", "https://arxiv.org/abs/2402.06121"} {
		if !strings.Contains(page, `href="`+paper+`"`) {
			t.Errorf("index.html does not link to %s", paper)
		}
	}
	// Every in-page anchor has its target.
	ids := map[string]bool{}
	for _, tag := range tags {
		if id := tag.attrs["id"]; id != "" {
			ids[id] = true
		}
	}
	for _, tag := range tags {
		if href := tag.attrs["href"]; tag.name == "a" && strings.HasPrefix(href, "#") && !ids[href[1:]] {
			t.Errorf("link to %s, which is not an id of the page", href)
		}
	}
	// The app is embedded, by a relative URL.
	found := false
	for _, tag := range tags {
		if tag.name == "iframe" {
			found = true
			if tag.attrs["src"] != "app.html" || tag.attrs["title"] == "" {
				t.Errorf("iframe src %q title %q, want app.html and a title", tag.attrs["src"], tag.attrs["title"])
			}
		}
	}
	if !found {
		t.Error("index.html embeds no iframe")
	}
}

// TestPagesSelfContained checks that the bundle's pages load nothing from
// another origin and use no inline script or style (which the server's
// Content-Security-Policy would refuse), and that every image has alt text.
func TestPagesSelfContained(t *testing.T) {
	for _, name := range []string{"index.html", "app.html"} {
		page := readAsset(t, name)
		for _, tag := range startTags(page) {
			for attr, v := range tag.attrs {
				if strings.HasPrefix(attr, "on") {
					t.Errorf("%s: inline event handler %s on <%s>", name, attr, tag.name)
				}
				if attr == "style" {
					t.Errorf("%s: inline style on <%s>", name, tag.name)
				}
				if (attr == "src" || attr == "href") && tag.name != "a" && strings.Contains(v, ":") && !strings.HasPrefix(v, "data:") {
					t.Errorf("%s: <%s %s=%q> loads from another origin", name, tag.name, attr, v)
				}
			}
			switch tag.name {
			case "style":
				t.Errorf("%s: inline <style>", name)
			case "script":
				if tag.attrs["src"] == "" {
					t.Errorf("%s: inline <script>", name)
				}
			case "img":
				if _, ok := tag.attrs["alt"]; !ok {
					t.Errorf("%s: <img src=%q> without alt", name, tag.attrs["src"])
				}
			}
		}
	}
	for _, name := range []string{"article.css", "style.css"} {
		css := readAsset(t, name)
		for _, bad := range []string{"@import", "url(", "http:", "https:"} {
			if strings.Contains(css, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	for _, name := range []string{"article.js", "loader.js"} {
		js := readAsset(t, name)
		for _, bad := range []string{"http:", "https:", "eval(", "new Function", "innerHTML"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

// articleClick is what the browser reports after a state link was clicked.
type articleClick struct {
	Hashes  []string `json:"hashes"`  // the app's fragment at each hashchange
	Marker  bool     `json:"marker"`  // the app's document survived (no reload)
	Current string   `json:"current"` // the link marked aria-current
	Caption string   `json:"caption"` // the bar under the app
}

// TestArticle opens the companion article (the site's root, index.html) in
// headless Chromium, waits for the app in its iframe to run, clicks an
// in-text link and checks that the link's state became the iframe's
// location.hash without reloading the app. What the app does with the new
// state is the app's business (TestBrowser and the app's own tests).
func TestArticle(t *testing.T) {
	b := startBrowser(t, 1280, 800)
	b.open(t, "/")
	const frame = `document.querySelector('iframe')`
	b.waitRunning(t, frame+`.contentWindow.iwsmStatus`)
	b.checkWasmServed(t)

	embedded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
		frame+`.contentDocument.documentElement.classList.contains("embedded")`))
	if err != nil || !embedded {
		t.Errorf("the app does not know it is embedded (html.embedded): %v, %v", embedded, err)
	}

	// Record every hashchange in the app, and mark its document to tell a
	// fragment navigation from a reload.
	const state = "target=gmm40&method=iwsm&compare=idem&pretrained=0"
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => {
		const w = `+frame+`.contentWindow;
		window.testHashes = [];
		w.testMarker = true;
		w.addEventListener("hashchange", (e) => window.testHashes.push(new URL(e.newURL).hash));
		return true;
	})()`)); err != nil {
		t.Fatalf("instrumenting the iframe: %v", err)
	}
	link := `a.set[data-state="` + state + `"]`
	if err := chromedp.Do(b.ctx, chromedp.ScrollIntoView(link), chromedp.Click(link)); err != nil {
		t.Fatalf("clicking %s: %v", link, err)
	}
	click, err := chromedp.Run(b.ctx, chromedp.Poll[articleClick](`(() => {
		const w = `+frame+`.contentWindow;
		if (window.testHashes.length === 0) return false;
		const cur = document.querySelector('a.set[aria-current="true"]');
		return {hashes: window.testHashes, marker: w.testMarker === true,
			current: cur ? cur.dataset.state : "", caption: document.getElementById("now").textContent};
	})()`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("no hashchange in the app after clicking the link: %v", err)
	}
	t.Logf("after the click: %+v", click)
	if len(click.Hashes) != 1 || click.Hashes[0] != "#"+state {
		t.Errorf("app hashchanges %q, want one to %q", click.Hashes, "#"+state)
	}
	if !click.Marker {
		t.Error("the app's document was reloaded; want a fragment navigation")
	}
	if click.Current != state {
		t.Errorf("aria-current link has state %q, want %q", click.Current, state)
	}
	if !strings.Contains(click.Caption, "side by side") {
		t.Errorf("caption %q does not describe the new view", click.Caption)
	}

	// The app keeps running after the change.
	time.Sleep(2 * time.Second)
	status, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(`+frame+`.contentWindow.iwsmStatus)`))
	if err != nil || status != "running" {
		t.Errorf("after the click iwsmStatus = %q (%v), want running", status, err)
	}

	// Back to the top for a picture of the article as a visitor first sees it.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	b.screenshot(t, "article.png")
	b.checkConsole(t)
}
