package roadmap

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDefaultLanguageOrder: the fundamentals every language shares come before
// the language pick, and the runtime topic waits for the chosen language.
func TestDefaultLanguageOrder(t *testing.T) {
	r := Default()
	fund := r.Topic("language/fundamentals")
	for _, o := range r.Pick("language").Options {
		lang := r.Topic(o)
		if lang.Index < fund.Index || !slices.Contains(lang.After, fund.ID) {
			t.Errorf("%s does not come after %s", o, fund.ID)
		}
		if !slices.Contains(r.Topic("language/runtime").After, o) {
			t.Errorf("language/runtime does not wait for %s", o)
		}
	}
	for _, res := range fund.Resources {
		if strings.Contains(strings.ToLower(res.Title), "interpreter") {
			t.Errorf("fundamentals still point at %q", res.Title)
		}
	}
	// A member who finished the prerequisites meets the fundamentals before the pick.
	l := learner{status: map[string]Status{}}
	for _, tp := range r.Topics() {
		if tp.Section.Stage != "prerequisites" {
			break
		}
		l.status[tp.ID] = Done
	}
	if got := r.Next(l); got.Topic != fund {
		t.Errorf("after the prerequisites Next = %+v, want %s", got, fund.ID)
	}
	l.status[fund.ID] = Done
	if got := r.Next(l); got.Pick == nil || got.Pick.ID != "language" {
		t.Errorf("after the fundamentals Next = %+v, want the language pick", got)
	}
}

func TestDefaultFixes(t *testing.T) {
	r := Default()
	if !r.Topic("apis/gson").Optional {
		t.Error("apis/gson (a Java library) is not optional")
	}
	web := r.Pick("webserver")
	if web == nil {
		t.Fatal("no webserver pick")
	}
	if got := slices.Sorted(slices.Values(web.Options)); !slices.Equal(got, []string{"web-servers/apache", "web-servers/nginx"}) {
		t.Errorf("webserver options %v", got)
	}
	// One web server counts, not both.
	all, _ := r.Progress(learner{})
	n := 0
	for _, tp := range r.Topics() {
		if r.PickOf(tp.ID) == nil && !tp.Optional {
			n++
		}
	}
	if want := n + len(r.Picks); all.Total != want {
		t.Errorf("a new member's total is %d, want %d (%d required topics and one per pick)", all.Total, want, n)
	}
}

// TestDefaultURLs: links follow MDN's 2025 layout and current MySQL and InfluxDB
// documentation.
func TestDefaultURLs(t *testing.T) {
	stale := []*regexp.Regexp{
		regexp.MustCompile(`developer\.mozilla\.org/.*/docs/Learn/`),
		regexp.MustCompile(`developer\.mozilla\.org/.*/Web/HTTP/(Overview|CORS|Caching|Headers|Methods|Status)`),
		regexp.MustCompile(`developer\.mozilla\.org/.*/Web/Performance/How_browsers_work`),
		regexp.MustCompile(`developer\.mozilla\.org/.*/Web/JavaScript/Memory_management`),
		regexp.MustCompile(`developer\.mozilla\.org/.*/Web/Security/Same-origin_policy`),
		regexp.MustCompile(`dev\.mysql\.com/doc/refman/[0-8]\.[0-3]/`),
		regexp.MustCompile(`^https://dev\.mysql\.com/doc/$`),
		regexp.MustCompile(`docs\.influxdata\.com/influxdb/v[12]`),
		regexp.MustCompile(`craftinginterpreters`),
	}
	for _, tp := range Default().Topics() {
		for _, res := range tp.Resources {
			for _, re := range stale {
				if re.MatchString(res.URL) {
					t.Errorf("%s: stale link %s", tp.ID, res.URL)
				}
			}
		}
	}
	for _, want := range []string{
		"https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Overview",
		"https://dev.mysql.com/doc/refman/8.4/en/",
		"https://docs.influxdata.com/influxdb3/core/",
	} {
		found := false
		for _, tp := range Default().Topics() {
			for _, res := range tp.Resources {
				found = found || res.URL == want
			}
		}
		if !found {
			t.Errorf("no resource links %s", want)
		}
	}
}
