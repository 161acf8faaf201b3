package roadmap

import (
	"slices"
	"strings"
	"testing"
)

// TestFindWhatLearnersType: queries as members type them, each with the topic
// it must open.
func TestFindWhatLearnersType(t *testing.T) {
	r := Default()
	cases := []struct{ q, want string }{
		// Ids, titles and slugs.
		{"internet/dns", "internet/dns"},
		{"DNS", "internet/dns"},
		{"What is HTTP?", "internet/http"},
		{"how does the internet work", "internet/how-it-works"},
		{"what is a domain name", "internet/domain-names"},
		{"C#", "language/csharp"},
		{"ASP.NET", "framework/aspnet"},
		{"node.js", "framework/nodejs"},
		{"cicd", "devops/ci-cd"},
		// Transpositions and small typos.
		{"dsn", "internet/dns"},
		{"dnz", "internet/dns"},
		{"pyhton", "language/python"},
		{"ngnix", "web-servers/nginx"},
		{"nignx", "web-servers/nginx"},
		{"dokcer", "devops/docker"},
		{"djnago", "framework/django"},
		{"postgress", "databases/postgresql"},
		{"kuberentes", "devops/docker"},
		{"reddis", "caching/server-side"},
		{"laravle", "framework/laravel"},
		// Word stems.
		{"unit tests", "testing/unit"},
		{"integration tests", "testing/integration"},
		{"hashes", "security/hashing"},
		{"processes", "os/process-management"},
		{"thread", "os/threads-concurrency"},
		{"containers", "devops/docker"},
		{"encrypting data", "security/aes"},
		{"certificates", "security/tls"},
		// Other words for a topic, through tags.
		{"redis", "caching/server-side"},
		{"memcached", "caching/server-side"},
		{"express", "framework/nodejs"},
		{"flask", "framework/django"},
		{"garbage collection", "language/runtime"},
		{"gc", "language/runtime"},
		{"jwt", "security/hashing"},
		{"orm", "databases/fundamentals"},
		{"k8s", "devops/docker"},
		{"react", "frontend/frameworks"},
		{"bcrypt", "security/hashing"},
		{"event loop", "language/runtime"},
		{"load balancer", "web-servers/nginx"},
		{"reverse proxy", "web-servers/nginx"},
		{"etag", "caching/client-side"},
		{"postgres", "databases/postgresql"},
		{"mongo", "databases/mongodb"},
		{"firestore", "databases/firebase"},
		{"wsdl", "apis/soap"},
		{"github actions", "devops/ci-cd"},
		{"microservices", "architecture/patterns"},
		{"e2e", "testing/functional"},
		{"time series", "databases/influxdb"},
		{"race condition", "os/threads-concurrency"},
		{"api", "apis/rest"},
		// Several words.
		{"http caching", "caching/client-side"},
		{"http basics", "internet/http"},
		{"password hashing", "security/hashing"},
		{"memory leak", "os/memory-management"},
		{"docker compose", "devops/docker"},
		{"redis caching", "caching/server-side"},
		{"lets encrypt", "security/https"},
		{"tls handshake", "security/tls"},
		{"merge conflict", "os/git"},
		{"javascript frameworks", "frontend/frameworks"},
	}
	for _, c := range cases {
		got, cands := r.Find(c.q)
		if got == nil || got.ID != c.want {
			t.Errorf("Find(%q) = %v (candidates %v), want %s", c.q, id(got), ids(cands), c.want)
		}
	}
	if len(cases) < 40 {
		t.Errorf("only %d queries", len(cases))
	}
}

// TestFindAmbiguous: words that fit several topics equally open none; the
// suggestions are the close ones, and no unrelated topic spelled alike.
func TestFindAmbiguous(t *testing.T) {
	r := Default()
	cases := []struct {
		q    string
		want []string // exactly these first, in this order
		not  []string
	}{
		{"cache", []string{"caching/server-side", "caching/client-side"}, []string{"databases/cassandra", "web-servers/apache", "internet/browsers"}},
		{"caching", []string{"caching/server-side", "caching/client-side"}, nil},
		{"testing", []string{"testing/unit", "testing/integration", "testing/functional"}, nil},
		{"web server", []string{"web-servers/apache", "web-servers/nginx"}, nil},
		{"js", []string{"frontend/javascript", "language/javascript"}, nil},
		{"fundamentals", []string{"language/fundamentals", "databases/fundamentals"}, nil},
		// Only a summary mentions it: suggested, never opened.
		{"authentication", []string{"framework/django"}, nil},
	}
	for _, c := range cases {
		got, cands := r.Find(c.q)
		if got != nil {
			t.Errorf("Find(%q) = %s, want no single topic", c.q, got.ID)
			continue
		}
		if len(cands) < len(c.want) || !slices.Equal(ids(cands[:len(c.want)]), c.want) {
			t.Errorf("Find(%q) candidates %v, want %v first", c.q, ids(cands), c.want)
		}
		for _, n := range c.not {
			if slices.Contains(ids(cands), n) {
				t.Errorf("Find(%q) suggests %s", c.q, n)
			}
		}
	}
}

func TestFindNothingAlike(t *testing.T) {
	r := Default()
	for _, q := range []string{"zzzzzz", "qwerty", "frobnitz quux", strings.Repeat("x", 5000)} {
		if got, cands := r.Find(q); got != nil || len(cands) != 0 {
			t.Errorf("Find(%.20q) = %v, %v; want nothing", q, id(got), ids(cands))
		}
	}
	// Too far for a typo, close enough to suggest.
	if got, cands := r.Find("dnzz"); got != nil || !slices.Equal(ids(cands), []string{"internet/dns"}) {
		t.Errorf("Find(dnzz) = %v, %v; want the suggestion internet/dns", id(got), ids(cands))
	}
}

// TestSearchTiers: for the same word, a title beats a tag and a tag beats a
// summary.
func TestSearchTiers(t *testing.T) {
	r := Default()
	rank := func(q, topic string) int {
		for i, m := range r.Search(q, 0) {
			if m.Topic.ID == topic {
				return i
			}
		}
		return 1 << 20
	}
	cases := []struct{ q, above, below string }{
		{"node", "framework/nodejs", "language/javascript"},         // title "Node.js" over the JavaScript summary
		{"xml", "apis/xml-rpc", "apis/soap"},                        // title over tag
		{"ssl", "security/tls", "security/https"},                   // title over summary
		{"orm", "databases/fundamentals", "framework/laravel"},      // tag over summary
		{"jest", "testing/unit", "apis/rest"},                       // tag over a title with a typo
		{"caching", "caching/client-side", "security/hashing"},      // title over a tag's typo (hashing)
		{"docker", "devops/docker", "devops/ci-cd"},                 // title over another topic's summary
		{"encryption", "security/aes", "security/https"},            // title over summary
		{"certificates", "security/tls", "security/https"},          // tag over summary
		{"express", "framework/nodejs", "framework/laravel"},        // tag over nothing
		{"memory", "os/memory-management", "language/fundamentals"}, // title over summary
	}
	for _, c := range cases {
		if a, b := rank(c.q, c.above), rank(c.q, c.below); a >= b {
			t.Errorf("Search(%q): %s ranks %d, %s ranks %d", c.q, c.above, a, c.below, b)
		}
	}
	if ms := r.Search("", 0); len(ms) != len(r.Topics()) || ms[0].Topic != r.Topics()[0] {
		t.Error("an empty query does not list every topic in roadmap order")
	}
	if ms := r.Search("dns", 0); ms[0].Score < 90 {
		t.Errorf("a topic's slug scores %d, want 90 or more (callers read that as named exactly)", ms[0].Score)
	}
}

func TestFindSection(t *testing.T) {
	r := Default()
	cases := []struct{ q, want string }{
		{"os", "os"},
		{"OS and general knowledge", "os"},
		{"web security", "security"},
		{"Frontend basics", "frontend"},
		{"frontend", "frontend"},
		{"databse", "databases"},
		{"database", "databases"},
		{"a framework", "framework"},
		{"web servers", "web-servers"},
		{"webservers", "web-servers"},
		{"ci/cd and docker", "devops"},
		{"architecture", "architecture"},
		{"testing", "testing"},
	}
	for _, c := range cases {
		got, cands := r.FindSection(c.q)
		if got == nil || got.ID != c.want {
			var cs []string
			for _, s := range cands {
				cs = append(cs, s.ID)
			}
			t.Errorf("FindSection(%q) = %v (candidates %v), want %s", c.q, got, cs, c.want)
		}
	}
	if got, cands := r.FindSection("zzzz"); got != nil || len(cands) != 0 {
		t.Errorf("FindSection(zzzz) = %v, %v", got, cands)
	}
	if got, cands := r.FindSection("web"); got != nil || len(cands) != 2 || cands[0].ID != "security" || cands[1].ID != "web-servers" {
		t.Errorf("FindSection(web) = %v, %v; want the two web sections", got, cands)
	}
}

func TestStem(t *testing.T) {
	groups := [][]string{
		{"cache", "caches", "cached", "caching"},
		{"test", "tests", "tested", "testing"},
		{"process", "processes", "processing"},
		{"server", "servers", "serve"},
		{"query", "queries"},
		{"encrypt", "encrypted", "encryption"},
		{"map", "mapped", "mapping"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if stem(w) != stem(g[0]) {
				t.Errorf("stem(%s) = %s, stem(%s) = %s", w, stem(w), g[0], stem(g[0]))
			}
		}
	}
	if stem("https") == stem("http") {
		t.Error("https stems to http")
	}
}

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"dns", "dns", 0},
		{"dsn", "dns", 1}, // one transposition, not two substitutions
		{"dnz", "dns", 1},
		{"kuberentes", "kubernetes", 1},
		{"pyhton", "python", 1},
		{"cache", "apache", 2},
		{"abc", "xyzxyz", 3}, // capped at k+1
	}
	for _, c := range cases {
		if got := distance(c.a, c.b, 2); got != c.want {
			t.Errorf("distance(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{{"dsn", "dns", true}, {"ab", "ba", false}, {"cach", "cache", true}, {"cahce", "apache", false}, {"javscirpt", "javascript", true}} {
		if got := typo(c.a, c.b); got != c.want {
			t.Errorf("typo(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

func id(t *Topic) string {
	if t == nil {
		return "<nil>"
	}
	return t.ID
}

func ids(ts []*Topic) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

// TestSearchConcurrent: the search index is built on first use; goroutines
// sharing one roadmap may all search at once (run with -race).
func TestSearchConcurrent(t *testing.T) {
	r, err := Parse("backend.toml", backendTOML)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *Topic)
	for range 8 {
		go func() {
			got, _ := r.Find("redis")
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; got == nil || got.ID != "caching/server-side" {
			t.Errorf("Find(redis) = %v", got)
		}
	}
}
