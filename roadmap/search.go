package roadmap

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Search ranks topics by what a member typed. Each query word is scored by the
// best place it matches, in tiers, so that for the same word a title or id
// always beats a tag, a tag always beats a section name, and the summary
// counts least:
//
//	the topic's own slug ("dns")                     15
//	a title or slug word, or its stem                12, 11
//	a tag word, or its stem                           9, 8
//	the section's id or title word, or its stem       8, 7
//	the start of a title word ("dock")                7
//	a title word with a small typo ("dsn")            6
//	the start of a tag word, a tag word with a typo   5, 4
//	inside a title word ("sql" in "postgresql")       3
//	a summary word or its stem                        2
//	a word found nowhere                             -3
//
// A query that is exactly a multi-word tag ("http caching") scores its words as
// title words. A whole query equal to the id or title scores 100, to the slug 90
// (callers treat 90 and above as "named exactly"), to the title or slug but for
// word endings or spaces ("unit tests", "cicd") 85. At least half the words
// must match somewhere, and Find settles on a topic only when some word matched
// better than a summary word.
const (
	scoreTitle     = 100
	scoreSlug      = 90
	scoreNearTitle = 85

	wordSlug        = 15
	wordTitle       = 12
	wordTitleStem   = 11
	wordTag         = 9
	wordTagStem     = 8
	wordSection     = 8
	wordSectionStem = 7
	wordTitlePrefix = 7
	wordTitleTypo   = 6
	wordTagPrefix   = 5
	wordTagTypo     = 4
	wordTitleInside = 3
	wordSummary     = 2
	wordMissing     = -3

	maxQueryRunes   = 200 // longer queries are cut: no topic name is that long
	maxSuggestions  = 5
	maxSimilar      = 3
	similarDistance = 2 // "did you mean" reaches a little further than a typo
)

// term is a word with its stem, computed once.
type term struct{ word, stem string }

// doc is what search knows about one topic or section, normalized once, on the
// first search.
type doc struct {
	id, title, slug string   // normalized
	titleStems      string   // stems of the title words, space-separated
	compact         []string // title and slug without spaces: "ci cd" -> "cicd"
	titleWords      []term   // title and slug words
	tagPhrases      []string
	tagStems        []string // stems of each tag phrase
	tagWords        []term
	sectionWords    []term
	summary         map[string]bool // summary words and their stems
}

func terms(s string) []term {
	var ts []term
	for _, w := range strings.Fields(s) {
		if !slices.ContainsFunc(ts, func(t term) bool { return t.word == w }) {
			ts = append(ts, term{w, stem(w)})
		}
	}
	return ts
}

func stems(s string) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = stem(w)
	}
	return strings.Join(ws, " ")
}

func (r *Roadmap) indexSearch() {
	r.docs = make([]doc, len(r.topics))
	for i, t := range r.topics {
		d := &r.docs[i]
		d.id, d.title, d.slug = normalize(t.ID), normalize(t.Title), normalize(OptionName(t.ID))
		d.titleStems = stems(d.title)
		d.compact = []string{strings.ReplaceAll(d.title, " ", ""), strings.ReplaceAll(d.slug, " ", "")}
		d.titleWords = terms(d.title + " " + d.slug)
		for _, tag := range t.Tags {
			n := normalize(tag)
			d.tagPhrases = append(d.tagPhrases, n)
			d.tagStems = append(d.tagStems, stems(n))
			d.tagWords = append(d.tagWords, terms(n)...)
		}
		if t.Section != nil {
			d.sectionWords = terms(normalize(t.Section.ID + " " + t.Section.Title))
		}
		d.summary = map[string]bool{}
		for _, w := range strings.Fields(normalize(t.Summary)) {
			if !stopWords[w] {
				d.summary[w] = true
				d.summary[stem(w)] = true
			}
		}
	}
	r.sectionDocs = make([]doc, len(r.Sections))
	for i, s := range r.Sections {
		d := &r.sectionDocs[i]
		d.id, d.title = normalize(s.ID), normalize(s.Title)
		d.titleStems = stems(d.title)
		d.compact = []string{strings.ReplaceAll(d.title, " ", ""), strings.ReplaceAll(d.id, " ", "")}
		d.titleWords = terms(d.id + " " + d.title)
	}
}

// Match is one candidate for a member's topic words.
type Match struct {
	Topic *Topic
	Score int // higher is better
}

// Find resolves what a member typed ("internet/dns", "DNS", "http basics",
// "redis", "dsn") to a topic. It returns the topic when one match is better than
// every other. Otherwise it returns nil and suggestions, best first: the close
// matches when several tie, else topics spelled like the words (at most three),
// else none, which means nothing on the roadmap resembles the query.
func (r *Roadmap) Find(query string) (*Topic, []*Topic) {
	r.searchOnce.Do(r.indexSearch)
	q := cut(normalize(query))
	if q == "" {
		return nil, nil
	}
	if t := r.byID[strings.ToLower(strings.TrimSpace(query))]; t != nil {
		return t, nil
	}
	ms := r.search(q, 0)
	if len(ms) == 0 {
		return nil, r.similar(q)
	}
	if ms[0].strong && (len(ms) == 1 || ms[0].Score > ms[1].Score) {
		return ms[0].Topic, nil
	}
	var out []*Topic
	for _, m := range ms {
		if len(out) == maxSuggestions || m.Score*2 < ms[0].Score {
			break
		}
		out = append(out, m.Topic)
	}
	return nil, out
}

// Named is the topic query names outright: its id, its title or slug (but
// for word endings), or words that are all in its title, and no other topic
// as well. Unlike Find it never settles on a typo, a tag or a summary word:
// it is for acting on a word where a wrong guess is public (a challenge
// posted to the group). Otherwise nil and Find's suggestions.
func (r *Roadmap) Named(query string) (*Topic, []*Topic) {
	r.searchOnce.Do(r.indexSearch)
	q := cut(normalize(query))
	if q == "" {
		return nil, nil
	}
	if t := r.byID[strings.ToLower(strings.TrimSpace(query))]; t != nil {
		return t, nil
	}
	qq := newQuery(q)
	var named []*Topic
	for i, t := range r.topics {
		d := &r.docs[i]
		if s, _ := d.score(qq); s >= scoreNearTitle {
			return t, nil
		}
		all := len(qq.words) > 0
		for _, w := range qq.words {
			if d.wordScore(w) < wordTitleStem {
				all = false
				break
			}
		}
		if all {
			named = append(named, t)
		}
	}
	if len(named) == 1 {
		return named[0], nil
	}
	_, alts := r.Find(query)
	if len(alts) == 0 {
		if t, _ := r.Find(query); t != nil {
			alts = []*Topic{t}
		}
	}
	if len(alts) == 0 {
		alts = named
	}
	return nil, alts
}

// match is a Match and whether it rests on more than summary words.
type match struct {
	Match
	strong bool
}

// Search ranks topics for a query, for autocomplete and Find. An empty query
// lists topics in roadmap order. Ties keep roadmap order.
func (r *Roadmap) Search(query string, limit int) []Match {
	r.searchOnce.Do(r.indexSearch)
	ms := r.search(cut(normalize(query)), limit)
	out := make([]Match, len(ms))
	for i, m := range ms {
		out[i] = m.Match
	}
	return out
}

func (r *Roadmap) search(q string, limit int) []match {
	var ms []match
	qq := newQuery(q)
	for i, t := range r.topics {
		if s, strong := r.docs[i].score(qq); s > 0 {
			ms = append(ms, match{Match{t, s}, strong})
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Score > ms[j].Score })
	if limit > 0 && len(ms) > limit {
		ms = ms[:limit]
	}
	return ms
}

// query is what a member typed, normalized and taken apart once per search.
type query struct {
	text, stems, compact string
	words                []term
}

func newQuery(q string) *query {
	return &query{text: q, stems: stems(q), compact: strings.ReplaceAll(q, " ", ""), words: queryWords(q)}
}

// queryWords are the words that carry meaning: "how does dns work" -> dns.
func queryWords(q string) []term {
	all := terms(q)
	var ws []term
	for _, t := range all {
		if !stopWords[t.word] {
			ws = append(ws, t)
		}
	}
	if len(ws) == 0 {
		return all
	}
	return ws
}

// score rates how well q (normalized, split into words) names d, 0 for no
// match, and reports whether the match rests on more than summary words.
func (d *doc) score(qq *query) (int, bool) {
	q := qq.text
	if q == "" {
		return 1, true
	}
	switch {
	case q == d.id || q == d.title:
		return scoreTitle, true
	case q == d.slug:
		return scoreSlug, true
	case qq.stems == d.titleStems || slices.Contains(d.compact, qq.compact):
		return scoreNearTitle, true
	}
	// The whole query is one of the topic's multi-word tags: as good as a title.
	phrase := strings.Contains(q, " ") && (slices.Contains(d.tagPhrases, q) || slices.Contains(d.tagStems, qq.stems))
	total, matched, strong := 0, 0, false
	for _, w := range qq.words {
		s := d.wordScore(w)
		if phrase {
			s = max(s, wordTitle)
		}
		total += s
		if s != wordMissing {
			matched++
			strong = strong || s > wordSummary
		}
	}
	if matched == 0 || matched*2 < len(qq.words) {
		return 0, false
	}
	return max(total, 1), strong
}

// wordScore is the best tier at which one query word matches d.
func (d *doc) wordScore(w term) int {
	if w.word == d.slug {
		return wordSlug
	}
	best := wordMissing
	try := func(s int) {
		best = max(best, s)
	}
	for _, t := range d.titleWords {
		switch {
		case w.word == t.word:
			return wordTitle
		case w.stem == t.stem:
			try(wordTitleStem)
		case strings.HasPrefix(t.word, w.word):
			try(wordTitlePrefix)
		case typo(w.word, t.word):
			try(wordTitleTypo)
		case len(w.word) >= 3 && strings.Contains(t.word, w.word):
			try(wordTitleInside)
		}
	}
	if best >= wordTitleStem {
		return best
	}
	for _, t := range d.tagWords {
		switch {
		case w.word == t.word:
			try(wordTag)
		case w.stem == t.stem:
			try(wordTagStem)
		case strings.HasPrefix(t.word, w.word):
			try(wordTagPrefix)
		case typo(w.word, t.word):
			try(wordTagTypo)
		}
	}
	for _, t := range d.sectionWords {
		switch {
		case w.word == t.word:
			try(wordSection)
		case w.stem == t.stem:
			try(wordSectionStem)
		}
	}
	if best == wordMissing && (d.summary[w.word] || d.summary[w.stem]) {
		best = wordSummary
	}
	return best
}

// similar suggests topics with a title or tag word spelled close to a query word,
// for "did you mean" when nothing matched.
func (r *Roadmap) similar(q string) []*Topic {
	type cand struct {
		t *Topic
		d int
	}
	var cs []cand
	words := queryWords(q)
	for i, t := range r.topics {
		d := &r.docs[i]
		best := similarDistance + 1
		for _, set := range [][]term{d.titleWords, d.tagWords} {
			for _, tw := range set {
				for _, w := range words {
					if len(w.word) >= 3 {
						best = min(best, distance(w.word, tw.word, similarDistance))
					}
				}
			}
		}
		if best <= similarDistance {
			cs = append(cs, cand{t, best})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []*Topic
	for i := 0; i < len(cs) && i < maxSimilar; i++ {
		out = append(out, cs[i].t)
	}
	return out
}

// FindSection resolves a section by id ("os") or title ("OS and general
// knowledge", "web security", "databse"), like Find does topics: the section
// when one is the best match, else nil and candidates, best first (none when
// nothing resembles the query).
func (r *Roadmap) FindSection(query string) (*Section, []*Section) {
	r.searchOnce.Do(r.indexSearch)
	q := cut(normalize(query))
	if q == "" {
		return nil, nil
	}
	if s := r.Section(strings.ToLower(strings.TrimSpace(query))); s != nil {
		return s, nil
	}
	type cand struct {
		s     *Section
		score int
	}
	var cs []cand
	qq := newQuery(q)
	words := qq.words
	for i, s := range r.Sections {
		d := &r.sectionDocs[i]
		sc := scoreTitle
		if q != d.id && q != d.title && qq.stems != d.titleStems {
			sc, _ = d.score(qq)
		}
		if sc > 0 {
			cs = append(cs, cand{s, sc})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	if len(cs) == 1 || len(cs) > 1 && cs[0].score > cs[1].score {
		return cs[0].s, nil
	}
	var out []*Section
	for _, c := range cs {
		if len(out) == maxSuggestions || c.score*2 < cs[0].score {
			break
		}
		out = append(out, c.s)
	}
	if len(out) == 0 {
		for i, s := range r.Sections {
			for _, tw := range r.sectionDocs[i].titleWords {
				if slices.ContainsFunc(words, func(w term) bool {
					return len(w.word) >= 3 && distance(w.word, tw.word, similarDistance) <= similarDistance
				}) {
					out = append(out, s)
					break
				}
			}
		}
	}
	return nil, out
}

// stopWords carry no meaning in a topic search: "what is http" is "http".
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true,
	"by": true, "can": true, "do": true, "does": true, "for": true, "from": true,
	"how": true, "i": true, "in": true, "is": true, "it": true, "its": true, "me": true,
	"my": true, "of": true, "on": true, "or": true, "the": true, "to": true, "vs": true,
	"what": true, "when": true, "where": true, "which": true, "why": true, "with": true,
	"work": true, "works": true, "your": true,
}

// cut bounds a query so a pasted essay costs no more than a sentence.
func cut(q string) string {
	if r := []rune(q); len(r) > maxQueryRunes {
		return strings.TrimSpace(string(r[:maxQueryRunes]))
	}
	return q
}

// normalize lower-cases and turns punctuation into spaces so "HTTP/2" ~ "http 2",
// except that a dot inside a name joins it: "Node.js" ~ "nodejs", "ASP.NET" ~
// "aspnet".
func normalize(s string) string {
	var b strings.Builder
	rs := []rune(strings.ToLower(s))
	word := func(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 }
	for i, r := range rs {
		switch {
		case word(r):
			b.WriteRune(r)
		case r == '.' && i > 0 && i+1 < len(rs) && word(rs[i-1]) && word(rs[i+1]):
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// suffixes are stripped by stem, longest first; "es" and "s" come after the
// longer endings so "processes" loses "es" and "process" keeps its "ss".
var suffixes = []string{"ations", "ation", "ings", "ing", "ions", "ion", "ers", "er", "ies", "ied", "ed", "es", "ly", "s", "e"}

// stem strips one common English suffix, so cache, caches, cached and caching
// all become "cach", and test, tests, tested and testing "test". It is crude on
// purpose: both sides of every comparison go through it, so all it must do is
// send a word's forms to one string.
func stem(w string) string {
	if len(w) <= 3 || w == "https" || strings.HasSuffix(w, "ss") || strings.ContainsAny(w, "0123456789") {
		return w
	}
	for _, suf := range suffixes {
		s, ok := strings.CutSuffix(w, suf)
		if !ok || len(s) < 3 {
			continue
		}
		switch suf {
		case "ies", "ied":
			return s + "y" // queries, query
		case "e", "s":
			return s
		}
		// mapped -> map, running -> run; but installed -> install, processed -> process.
		if n := len(s); n >= 2 && s[n-1] == s[n-2] && !strings.ContainsRune("lsz", rune(s[n-1])) {
			s = s[:n-1]
		}
		return strings.TrimSuffix(s, "e")
	}
	return w
}

// typo reports whether a is b with a small typo: Damerau-Levenshtein distance 1
// for words of up to five letters (dsn, dns), 2 for longer ones (javscript,
// kuberentes), none for words shorter than three.
func typo(a, b string) bool {
	if len(a) < 3 || len(b) < 3 {
		return false
	}
	k := 1
	if len(a) > 5 {
		k = 2
	}
	return distance(a, b, k) <= k
}

// maxWordRunes bounds the words distance compares, so it needs no allocation.
const maxWordRunes = 64

// distance is the Damerau-Levenshtein distance (optimal string alignment: an
// adjacent transposition costs one edit) between a and b, or k+1 as soon as it
// must exceed k.
func distance(a, b string, k int) int {
	// Most pairs differ in length by more than k: settle them before
	// converting anything.
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if la > maxWordRunes || lb > maxWordRunes || la-lb > k || lb-la > k {
		return k + 1
	}
	ra, rb := []rune(a), []rune(b)
	var buf [3][maxWordRunes + 1]int
	prev2, prev, cur := buf[0][:len(rb)+1], buf[1][:len(rb)+1], buf[2][:len(rb)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > k {
			return k + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], k+1)
}
