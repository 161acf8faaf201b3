package bot

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// MaxRoadmapFile bounds a roadmap file a moderator uploads (256 KB, far
// beyond a 500-topic roadmap). Adapters stop downloading past it; the engine
// refuses more.
const MaxRoadmapFile = roadmap.MaxFileBytes

// Limits on a space's roadmaps.
const (
	MaxSpaceRoadmaps = 20               // added roadmaps per space, besides the built-in
	MaxRoadmapID     = 40               // characters of a roadmap id: typed, and inside button ids
	PendingFor       = 15 * time.Minute // how long an update waits for roadmap apply
	roadmapCacheSize = 64               // parsed roadmaps kept in memory
)

// study is the roadmap a command works on: its id in the space and the
// parsed roadmap.
type study struct {
	id string
	rm *roadmap.Roadmap
}

// roadmapCache keeps parsed roadmaps, least recently used out first. Keys
// carry the file's version, so an update is a new key and the old entry
// ages out; spaces never share an entry.
type roadmapCache struct {
	mu sync.Mutex
	ll *list.List // front: most recent; values are *cacheEntry
	m  map[string]*list.Element
}

type cacheEntry struct {
	key string
	rm  *roadmap.Roadmap
}

func (c *roadmapCache) get(key string) *roadmap.Roadmap {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cacheEntry).rm
	}
	return nil
}

func (c *roadmapCache) put(key string, rm *roadmap.Roadmap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.ll, c.m = list.New(), map[string]*list.Element{}
	}
	if el, ok := c.m[key]; ok {
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&cacheEntry{key, rm})
	for c.ll.Len() > roadmapCacheSize {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.m, old.Value.(*cacheEntry).key)
	}
}

// roadmapIn returns one of the space's roadmaps by id: the built-in, or an
// added one (parsed once per version, then from the cache). NotFound when
// rec lists no such roadmap.
func (e *Engine) roadmapIn(ctx context.Context, rec *SpaceRecord, id string) (*roadmap.Roadmap, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == BuiltinRoadmap {
		return e.Roadmap, nil
	}
	info := rec.roadmapInfo(id)
	if info == nil {
		return nil, Errorf(NotFound, "This group has no roadmap %q. See them with: roadmap list", Clip(id, 40))
	}
	key := rec.Space.Key() + "\x00" + id + "\x00" + info.Version
	if rm := e.roadmaps.get(key); rm != nil {
		return rm, nil
	}
	f, err := e.Store.RoadmapFile(ctx, rec.Space, id)
	if err != nil {
		return nil, Wrap(err, "read roadmap")
	}
	rm, err := roadmap.Parse(id+".toml", []byte(f.TOML))
	if err != nil {
		// It was valid when added; a parser change made it invalid.
		return nil, Wrap(err, "parse stored roadmap "+id)
	}
	// Cache it under the version read only if it is that version: with
	// several processes on one database the file may have changed between
	// reading rec and reading the file, and an entry for the old version
	// holding the new file would come back if the old version did.
	if RoadmapVersion(f.TOML) == info.Version {
		e.roadmaps.put(key, rm)
	}
	return rm, nil
}

// RoadmapVersion is RoadmapInfo.Version of a roadmap file: a hash of its
// text, which the stores compute when a roadmap is put.
func RoadmapVersion(toml string) string {
	h := fnv.New64a()
	h.Write([]byte(toml))
	return strconv.FormatUint(h.Sum64(), 36)
}

// defaultRoadmap is the id of the roadmap the space's members follow until
// they choose.
func defaultRoadmap(rec *SpaceRecord) string {
	if rec.DefaultRoadmap != "" && rec.roadmapInfo(rec.DefaultRoadmap) != nil {
		return rec.DefaultRoadmap
	}
	return BuiltinRoadmap
}

// followed resolves the roadmap m follows: their choice while the space
// still has it, else the space's default, else the built-in.
func (e *Engine) followed(ctx context.Context, rec *SpaceRecord, m *Member) (study, error) {
	for _, id := range []string{m.Follow, defaultRoadmap(rec)} {
		if id == "" {
			continue
		}
		rm, err := e.roadmapIn(ctx, rec, id)
		if ErrorCode(err) == NotFound {
			continue // removed: its followers go back to the default
		}
		if err != nil {
			// A stored roadmap that no longer parses, or a read that
			// failed: the member gets the next roadmap rather than an
			// error on every command (and the leaderboard still works).
			e.log().Error("load roadmap", "space", rec.Space.Key(), "roadmap", id, "err", err)
			continue
		}
		return study{id, rm}, nil
	}
	return study{BuiltinRoadmap, e.Roadmap}, nil
}

// learner reads the requester (see member) and the roadmap they follow.
func (e *Engine) learner(ctx context.Context, req *Request) (*Member, study, error) {
	m, s, _, err := e.learnerIn(ctx, req)
	return m, s, err
}

// learnerIn is learner that also returns the space record it read, for
// handlers that need it too.
func (e *Engine) learnerIn(ctx context.Context, req *Request) (*Member, study, *SpaceRecord, error) {
	m, rec, err := e.memberIn(ctx, req)
	if err != nil {
		return nil, study{}, nil, err
	}
	s, err := e.followed(ctx, rec, m)
	return m, s, rec, err
}

// trackOf is the member's track on the study's roadmap, for reading.
func (s study) trackOf(m *Member) *Track { return m.Track(s.id) }

// validateRoadmap parses an uploaded file, refusing with every problem at
// once (file:line, the topic) in one line.
func validateRoadmap(name string, data []byte) (*roadmap.Roadmap, error) {
	if len(data) > MaxRoadmapFile {
		return nil, Errorf(Invalid, "%s is %d KB; a roadmap file may be at most %d KB.", Clip(name, 60), len(data)>>10, MaxRoadmapFile>>10)
	}
	rm, err := roadmap.Parse(name, data)
	if err == nil {
		if rm.ID == "" {
			return nil, Errorf(Invalid, "%s has no id: add a line such as id = \"go\" at the top.", Clip(name, 60))
		}
		if len(rm.ID) > MaxRoadmapID {
			return nil, Errorf(Invalid, "%s: the id %q is longer than %d characters; members type it, so keep it short.", Clip(name, 60), Clip(rm.ID, 50), MaxRoadmapID)
		}
		return rm, nil
	}
	var msgs []string
	var re *roadmap.Error
	for _, one := range unjoin(err) {
		if errors.As(one, &re) {
			msgs = append(msgs, re.Error())
		} else {
			msgs = append(msgs, one.Error())
		}
	}
	return nil, Errorf(Invalid, "Nothing changed: %s has %d problem%s: %s", Clip(name, 60), len(msgs), plural(len(msgs)), Clip(strings.Join(msgs, " · "), 1800))
}

// unjoin lists the errors errors.Join put together, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (e *Engine) cmdRoadmapList(ctx context.Context, req *Request) (*Reply, error) {
	m, s, rec, err := e.learnerIn(ctx, req)
	if err != nil {
		return nil, err
	}
	def := defaultRoadmap(rec)
	r := &Reply{Title: "Roadmaps in this group"}
	ids := []string{BuiltinRoadmap}
	for _, info := range rec.Roadmaps {
		ids = append(ids, info.ID)
	}
	for _, id := range ids {
		rm, err := e.roadmapIn(ctx, rec, id)
		if err != nil {
			e.log().Warn("list roadmap", "space", req.Space.Key(), "roadmap", id, "err", err)
			continue
		}
		all, _ := rm.Progress(m.Track(id))
		v := fmt.Sprintf("%d%% (%d of %d topics)", all.Percent(), all.Done, all.Total)
		var notes []string
		if id == s.id {
			notes = append(notes, "you follow it")
		}
		if id == def {
			notes = append(notes, "the group's default")
		}
		if len(notes) > 0 {
			v += " · " + strings.Join(notes, ", ")
		}
		r.Fields = append(r.Fields, Field{Name: fmt.Sprintf("%s (%s)", rm.Title, id), Value: v})
		if id != s.id && len(r.Buttons) < 5 {
			r.Buttons = append(r.Buttons, Button{Label: "Follow " + Clip(rm.Title, 60), Action: Action("roadmap follow", id)})
		}
	}
	r.Footer = "Switch with: roadmap follow <id>. Your progress on each is kept."
	return r, nil
}

func (e *Engine) cmdRoadmapFollow(ctx context.Context, req *Request) (*Reply, error) {
	id := strings.ToLower(strings.TrimSpace(req.Args["roadmap"]))
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	rm, err := e.roadmapIn(ctx, rec, id)
	if err != nil {
		return nil, err
	}
	m, err := e.update(ctx, req, func(m *Member) error {
		m.Follow = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := study{id, rm}
	r := e.followUp(m, s)
	all, _ := rm.Progress(m.Track(id))
	r.Title = "You follow " + rm.Title
	r.Text = append([]string{fmt.Sprintf("%d of %d topics behind you on it. Your progress on the others is kept.", all.Done, all.Total)}, r.Text...)
	return r, nil
}

func (e *Engine) cmdRoadmapDefault(ctx context.Context, req *Request) (*Reply, error) {
	id := strings.ToLower(strings.TrimSpace(req.Args["roadmap"]))
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	rm, err := e.roadmapIn(ctx, rec, id)
	if err != nil {
		return nil, err
	}
	var was string
	_, err = e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		was = defaultRoadmap(r)
		if id == BuiltinRoadmap {
			r.DefaultRoadmap = ""
		} else {
			r.DefaultRoadmap = id
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "set default roadmap")
	}
	return &Reply{
		Title: "The group's default roadmap is " + rm.Title,
		Text: []string{
			fmt.Sprintf("Members who never chose a roadmap now follow %s (it was %s). Members who chose keep their choice.", id, was),
		},
	}, nil
}

func (e *Engine) cmdRoadmapExport(ctx context.Context, req *Request) (*Reply, error) {
	id := strings.ToLower(strings.TrimSpace(req.Args["roadmap"]))
	if id == BuiltinRoadmap {
		return nil, Errorf(Invalid, "The built-in roadmap is not a file of this group; its source is roadmap/backend.toml in studybot's repository.")
	}
	f, err := e.Store.RoadmapFile(ctx, req.Space, id)
	if err != nil {
		return nil, Wrap(err, "read roadmap")
	}
	return &Reply{
		Title: "Roadmap " + f.Title,
		Text:  []string{"Edit it and add it again with roadmap add; you see what changes before it applies."},
		File:  &File{Name: id + ".toml", Type: "application/toml", Data: []byte(f.TOML)},
	}, nil
}

func (e *Engine) cmdRoadmapRemove(ctx context.Context, req *Request) (*Reply, error) {
	id := strings.ToLower(strings.TrimSpace(req.Args["roadmap"]))
	if id == BuiltinRoadmap {
		return nil, Errorf(Invalid, "The built-in roadmap cannot be removed; make another the default with: roadmap default <id>")
	}
	var stopped, wasDefault bool
	err := e.Store.DeleteRoadmapFile(ctx, req.Space, id, func(r *SpaceRecord) error {
		if r.DefaultRoadmap == id {
			r.DefaultRoadmap, wasDefault = "", true
		}
		if r.Challenge.Spec != "" && r.Challenge.Roadmap == id {
			r.Challenge, stopped = ChallengeSchedule{}, true
		}
		r.Queue = slices.DeleteFunc(r.Queue, func(q TopicRef) bool { return q.Roadmap == id })
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "remove roadmap")
	}
	r := &Reply{Title: "Removed roadmap " + id, Text: []string{"Its followers go back to the group's default roadmap. Their marks on it are kept, and count again if it is added back."}}
	if wasDefault {
		r.Text = append(r.Text, "It was the group's default, so the default is the built-in roadmap again.")
	}
	if stopped {
		if e.Scheduler != nil {
			if err := e.Scheduler.SetSchedule(req.Space, ""); err != nil {
				e.log().Error("remove challenge schedule", "space", req.Space.Key(), "err", err)
			}
		}
		r.Text = append(r.Text, "The challenge schedule took its topics from it, so I stopped the schedule; set a new one with: challenge schedule")
	}
	return r, nil
}

func (e *Engine) cmdRoadmapAdd(ctx context.Context, req *Request) (*Reply, error) {
	if req.File == nil {
		return nil, Errorf(Invalid, "Attach the roadmap's .toml file to roadmap add.")
	}
	name := path.Base(strings.ReplaceAll(req.File.Name, "\\", "/"))
	if !strings.HasSuffix(strings.ToLower(name), ".toml") {
		return nil, Errorf(Invalid, "%s is not a .toml file; a roadmap is a TOML file (see roadmap export for an example).", Clip(name, 60))
	}
	rm, err := validateRoadmap(name, req.File.Data)
	if err != nil {
		return nil, err
	}
	if rm.ID == BuiltinRoadmap {
		return nil, Errorf(Invalid, "The id %q is the built-in roadmap's; give yours another id.", BuiltinRoadmap)
	}
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	f := &RoadmapFile{ID: rm.ID, Title: rm.Title, TOML: string(req.File.Data), AddedBy: req.Member, AddedAt: e.now()}
	if rec.roadmapInfo(rm.ID) == nil {
		if len(rec.Roadmaps) >= MaxSpaceRoadmaps {
			return nil, Errorf(Conflict, "This group has %d roadmaps, the most it can have; remove one first.", MaxSpaceRoadmaps)
		}
		if err := e.Store.PutRoadmapFile(ctx, req.Space, f, MaxSpaceRoadmaps); err != nil {
			return nil, Wrap(err, "store roadmap")
		}
		return &Reply{
			Title: "Added roadmap " + rm.Title,
			Text: []string{
				fmt.Sprintf("%d topics in %d sections. Members follow it with: roadmap follow %s", len(rm.Topics()), len(rm.Sections), rm.ID),
				"Make it the group's default with: roadmap default " + rm.ID,
			},
		}, nil
	}
	// An update: show what changes, and wait for roadmap apply.
	old, err := e.roadmapIn(ctx, rec, rm.ID)
	if err != nil {
		return nil, err
	}
	d := diffRoadmaps(old, rm)
	affected, err := e.marksOn(ctx, req.Space, rm.ID, d.removed)
	if err != nil {
		return nil, err
	}
	f.Base = rec.roadmapInfo(rm.ID).Version
	if err := e.Store.SetPendingRoadmap(ctx, req.Space, req.Member, f); err != nil {
		return nil, Wrap(err, "store pending roadmap")
	}
	r := &Reply{
		Title: "Update to " + rm.Title + ": check the changes",
		Text:  d.lines(),
		Buttons: []Button{
			{Label: "Apply", Action: Action("roadmap apply", rm.ID), Style: ButtonPrimary},
		},
		Footer: fmt.Sprintf("Nothing changes until you apply it (roadmap apply %s) within %d minutes.", rm.ID, int(PendingFor.Minutes())),
	}
	if len(d.removed) > 0 {
		r.Text = append(r.Text, fmt.Sprintf("%d member%s have progress on removed topics; their marks are kept (not counted) and count again if a topic comes back.", affected, plural(affected)))
	}
	return r, nil
}

func (e *Engine) cmdRoadmapApply(ctx context.Context, req *Request) (*Reply, error) {
	id := strings.ToLower(strings.TrimSpace(req.Args["roadmap"]))
	f, err := e.Store.PendingRoadmap(ctx, req.Space, req.Member)
	if ErrorCode(err) == NotFound || (err == nil && f.ID != id) {
		return nil, Errorf(NotFound, "You have no upload of %s waiting; add the file again with roadmap add.", Clip(id, 40))
	}
	if err != nil {
		return nil, Wrap(err, "read pending roadmap")
	}
	if e.now().Sub(f.AddedAt) > PendingFor {
		if err := e.Store.SetPendingRoadmap(ctx, req.Space, req.Member, nil); err != nil {
			e.log().Warn("drop expired upload", "space", req.Space.Key(), "err", err)
		}
		return nil, Errorf(Conflict, "Your upload of %s waited more than %d minutes; add the file again with roadmap add.", id, int(PendingFor.Minutes()))
	}
	// Apply only over the version the changes were shown against: the
	// roadmap may have been removed, or another moderator's update applied,
	// since; the moderator must see the changes again.
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	if info := rec.roadmapInfo(id); info == nil || info.Version != f.Base {
		if err := e.Store.SetPendingRoadmap(ctx, req.Space, req.Member, nil); err != nil {
			e.log().Warn("drop stale upload", "space", req.Space.Key(), "err", err)
		}
		return nil, Errorf(Conflict, "%s changed or was removed since your upload; add the file again to see what it changes now.", id)
	}
	// Validated again: the parser may have changed, and the file was stored.
	rm, err := validateRoadmap(id+".toml", []byte(f.TOML))
	if err != nil {
		return nil, err
	}
	f.AddedAt, f.Base = e.now(), ""
	if err := e.Store.PutRoadmapFile(ctx, req.Space, f, MaxSpaceRoadmaps); err != nil {
		return nil, Wrap(err, "store roadmap")
	}
	if err := e.Store.SetPendingRoadmap(ctx, req.Space, req.Member, nil); err != nil {
		e.log().Warn("drop applied upload", "space", req.Space.Key(), "err", err)
	}
	return &Reply{Title: "Updated roadmap " + rm.Title, Text: []string{fmt.Sprintf("%d topics in %d sections. Members' marks are kept.", len(rm.Topics()), len(rm.Sections))}}, nil
}

// marksOn counts the space's members with a mark on any of topics of the
// roadmap id.
func (e *Engine) marksOn(ctx context.Context, sp Space, id string, topics []string) (int, error) {
	if len(topics) == 0 {
		return 0, nil
	}
	n := 0
	err := e.Store.Members(ctx, sp, func(m *Member) error {
		t := m.Tracks[id]
		if t == nil {
			return nil
		}
		for _, tp := range topics {
			if mk := t.Topics.Get(tp); mk != nil && mk.Status != roadmap.Todo {
				n++
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return 0, Wrap(err, "scan members")
	}
	return n, nil
}

// roadmapDiff is what an update changes, by topic id.
type roadmapDiff struct {
	added, removed []string
	retitled       []string // "old → new"
	moved          []string // "title: old section → new section"
}

func diffRoadmaps(old, new *roadmap.Roadmap) roadmapDiff {
	var d roadmapDiff
	for _, t := range new.Topics() {
		o := old.Topic(t.ID)
		switch {
		case o == nil:
			d.added = append(d.added, t.Title+" ("+t.ID+")")
		case o.Title != t.Title:
			d.retitled = append(d.retitled, o.Title+" → "+t.Title)
		}
		if o != nil && o.Section.ID != t.Section.ID {
			d.moved = append(d.moved, t.Title+": "+o.Section.Title+" → "+t.Section.Title)
		}
	}
	for _, t := range old.Topics() {
		if new.Topic(t.ID) == nil {
			d.removed = append(d.removed, t.ID)
		}
	}
	return d
}

func (d roadmapDiff) lines() []string {
	if len(d.added)+len(d.removed)+len(d.retitled)+len(d.moved) == 0 {
		return []string{"No topic is added, removed, retitled or moved (summaries, resources or order may still change)."}
	}
	var out []string
	for _, p := range []struct {
		what  string
		items []string
	}{{"Added", d.added}, {"Removed", d.removed}, {"Retitled", d.retitled}, {"Moved", d.moved}} {
		if len(p.items) > 0 {
			out = append(out, fmt.Sprintf("%s (%d): %s", p.what, len(p.items), Clip(strings.Join(p.items, "; "), 600)))
		}
	}
	return out
}
