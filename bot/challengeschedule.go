package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NextRunner is implemented by challenge schedulers that can tell when a space's
// schedule fires next; `challenge list` shows it when available.
type NextRunner interface {
	NextRun(sp Space) time.Time
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// FriendlySchedule reads the friendly weekly form "MON 09:00" (three-letter or
// full day names, any case; 24-hour time) and returns the five cron fields
// ("0 9 * * 1"). ok is false when when does not start with a day name (it may be
// a cron spec); err, an Invalid error, explains a malformed friendly form.
func FriendlySchedule(when string) (fields string, ok bool, err error) {
	f := strings.Fields(when)
	if len(f) == 0 {
		return "", false, nil
	}
	day, isDay := weekdays[strings.ToLower(f[0])]
	if !isDay {
		return "", false, nil
	}
	if len(f) != 2 || !timePattern.MatchString(f[1]) {
		return "", true, Errorf(Invalid, "%q is not a schedule: after the day give a 24-hour time, such as \"MON 09:00\".", Clip(when, 40))
	}
	hh, mm, _ := strings.Cut(f[1], ":")
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	return fmt.Sprintf("%d %d * * %d", m, h, int(day)), true, nil
}

// scheduleInput is a challenge schedule as a moderator typed it, read
// greedily (see readSchedule).
type scheduleInput struct {
	cron string // five cron fields or a @descriptor, without a zone
	zone string // IANA name, "" for UTC
	span string // how long each challenge stays open, "" until the next
	// roadmap whose topics it posts, "" for the space's default
	roadmap string
}

// readSchedule reads what follows the channel of `challenge schedule`. In
// text form the schedule is read greedily: either a weekday and HH:MM
// (DAILY HH:MM for every day), or five cron fields (optionally after a
// CRON_TZ=<zone> prefix), or a cron @descriptor; then an optional zone; then
// an optional span. Discord sends the zone and span as options of their own
// (zone, closes); either way gives the same result, and both at once must
// agree.
func readSchedule(when, zone, closes, roadmapID string) (scheduleInput, error) {
	var words []string
	for p := 0; ; {
		t, next, ok, err := nextToken(when, p)
		if err != nil {
			return scheduleInput{}, err
		}
		if !ok {
			break
		}
		words, p = append(words, strings.Fields(t.text)...), next
	}
	usage := "Give a day and a time (MON 09:00), DAILY 09:00, or five cron fields (0 9 * * 1), then optionally a zone and how long each stays open (6d)."
	if len(words) == 0 {
		return scheduleInput{}, Errorf(Invalid, "%s", usage)
	}
	in := scheduleInput{zone: strings.TrimSpace(zone), span: strings.TrimSpace(closes), roadmap: strings.ToLower(strings.TrimSpace(roadmapID))}
	setZone := func(z string) error {
		if in.zone != "" && !strings.EqualFold(in.zone, z) {
			return Errorf(Invalid, "You gave two zones, %s and %s; give one.", Clip(in.zone, 40), Clip(z, 40))
		}
		in.zone = z
		return nil
	}
	first := strings.ToLower(words[0])
	n := 5
	switch _, isDay := weekdays[first]; {
	case isDay || first == "daily":
		if len(words) < 2 || !timePattern.MatchString(words[1]) {
			return scheduleInput{}, Errorf(Invalid, "After %q give a 24-hour time, such as %s 09:00.", Clip(words[0], 20), strings.ToUpper(Clip(words[0], 20)))
		}
		n = 2
		if first == "daily" {
			hh, mm, _ := strings.Cut(words[1], ":")
			h, _ := strconv.Atoi(hh)
			m, _ := strconv.Atoi(mm)
			in.cron = fmt.Sprintf("%d %d * * *", m, h)
		} else {
			in.cron, _, _ = FriendlySchedule(words[0] + " " + words[1])
		}
	case strings.HasPrefix(first, "cron_tz=") || strings.HasPrefix(first, "tz="):
		_, z, _ := strings.Cut(words[0], "=")
		if err := setZone(z); err != nil {
			return scheduleInput{}, err
		}
		words = words[1:]
		if len(words) < 5 {
			return scheduleInput{}, Errorf(Invalid, "After %s give five cron fields, such as 0 9 * * 1.", Clip(first, 40))
		}
		in.cron = strings.Join(words[:5], " ")
	case strings.HasPrefix(first, "@"):
		n = 1
		in.cron = first
	default:
		if len(words) < 5 {
			return scheduleInput{}, Errorf(Invalid, "%q is not a schedule. %s", Clip(when, 40), usage)
		}
		in.cron = strings.Join(words[:5], " ")
	}
	rest := words[n:]
	if len(rest) > 0 {
		if _, err := LoadZone(rest[0]); err == nil {
			if err := setZone(rest[0]); err != nil {
				return scheduleInput{}, err
			}
			rest = rest[1:]
		}
	}
	if len(rest) > 0 {
		if _, ok := ParseSpan(rest[0]); ok {
			if in.span != "" && !strings.EqualFold(in.span, rest[0]) {
				return scheduleInput{}, Errorf(Invalid, "You gave two spans, %s and %s; give one.", Clip(in.span, 20), Clip(rest[0], 20))
			}
			in.span = rest[0]
			rest = rest[1:]
		}
	}
	if len(rest) == 1 && in.roadmap == "" && !strings.ContainsAny(rest[0], "*/,:=") {
		in.roadmap, rest = strings.ToLower(rest[0]), nil // checked against the space's roadmaps
	}
	if len(rest) > 0 {
		return scheduleInput{}, Errorf(Invalid, "I read the schedule %q but not %q after it. %s", in.cron, Clip(strings.Join(rest, " "), 40), usage)
	}
	if in.span != "" {
		if err := validSpan(in.span); err != nil {
			return scheduleInput{}, err
		}
	}
	return in, nil
}

// specZone splits a stored spec ("CRON_TZ=Europe/Berlin 0 9 * * 1") into
// its zone and the rest; ok is false without a zone prefix.
func specZone(spec string) (zone, rest string, ok bool) {
	head, tail, _ := strings.Cut(strings.TrimSpace(spec), " ")
	u := strings.ToUpper(head)
	if !strings.HasPrefix(u, "CRON_TZ=") && !strings.HasPrefix(u, "TZ=") {
		return "", spec, false
	}
	_, zone, _ = strings.Cut(head, "=")
	return zone, strings.TrimSpace(tail), zone != ""
}

var dayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// DescribeSpec names a stored challenge spec's cadence in words: "every
// Monday 09:00 Europe/Berlin", "every day 09:00 UTC", "every weekday (Monday
// to Friday) 18:30 UTC". ok is false for a spec it cannot say simply (a day
// of the month, several times a day); the caller shows the spec and its next
// firings instead.
func DescribeSpec(spec string) (string, bool) {
	zone, rest, ok := specZone(spec)
	if !ok {
		zone = "UTC"
	}
	switch strings.ToLower(rest) {
	case "@daily", "@midnight":
		rest = "0 0 * * *"
	case "@weekly":
		rest = "0 0 * * 0"
	}
	f := strings.Fields(rest)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return "", false
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return "", false
	}
	days, ok := cronDays(f[4])
	if !ok {
		return "", false
	}
	var when string
	switch {
	case len(days) == 7:
		when = "every day"
	case slices.Equal(days, []int{1, 2, 3, 4, 5}):
		when = "every weekday (Monday to Friday)"
	default:
		names := make([]string, len(days))
		for i, d := range days {
			names[i] = dayNames[d]
		}
		when = "every " + names[0]
		if len(names) > 1 {
			when = "every " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
		}
	}
	return fmt.Sprintf("%s %02d:%02d %s", when, h, m, zone), true
}

// cronDays expands a cron day-of-week field (numbers 0-7, names, lists,
// ranges, *) to sorted weekdays; ok is false for steps or anything else.
func cronDays(field string) ([]int, bool) {
	if field == "*" || field == "?" {
		return []int{0, 1, 2, 3, 4, 5, 6}, true
	}
	day := func(s string) (int, bool) {
		if d, ok := weekdays[strings.ToLower(s)]; ok {
			return int(d), true
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 7 {
			return 0, false
		}
		return n % 7, true
	}
	set := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, ok := day(lo)
		if !ok {
			return nil, false
		}
		b := a
		if isRange {
			if b, ok = day(hi); !ok {
				return nil, false
			}
			if hi == "7" {
				b = 7
			}
			if b < a {
				return nil, false
			}
		}
		for d := a; d <= b; d++ {
			set[d%7] = true
		}
	}
	days := slices.Sorted(maps.Keys(set))
	return days, len(days) > 0
}

func (e *Engine) cmdChallengeSchedule(ctx context.Context, req *Request) (*Reply, error) {
	channel := strings.TrimSpace(req.Args["channel"])
	in, err := readSchedule(req.Args["when"], req.Args["zone"], req.Args["closes"], req.Args["roadmap"])
	if err != nil {
		return nil, err
	}
	if in.roadmap != "" {
		rec, err := e.Store.Space(ctx, req.Space)
		if err != nil {
			return nil, Wrap(err, "read space")
		}
		if _, err := e.roadmapIn(ctx, rec, in.roadmap); err != nil {
			return nil, err
		}
	}
	var spec string
	if e.Scheduler != nil {
		if spec, err = e.Scheduler.ParseSchedule(in.cron, in.zone); err != nil {
			return nil, err
		}
	} else {
		// No scheduler to validate with: keep the spec as read; the
		// scheduler checks it again when it starts.
		loc, err := LoadZone(in.zone)
		if err != nil {
			return nil, err
		}
		spec = "CRON_TZ=" + loc.String() + " " + in.cron
	}
	cadence, named := DescribeSpec(spec)
	if !named {
		cadence = spec
	}
	var lasts time.Duration
	if in.span != "" {
		lasts, _ = ParseSpan(in.span)
	}
	var old ChallengeSchedule
	_, err = e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		old = r.Challenge
		r.Challenge = ChallengeSchedule{Channel: channel, Spec: spec, Text: cadence, Lasts: lasts, Roadmap: in.roadmap, SetBy: req.Member, SetAt: e.now()}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "save challenge schedule")
	}
	when := cadence
	if !named {
		when = "on the schedule " + spec
	}
	where := ChannelMention(req.Space.Platform, channel)
	r := &Reply{
		Title: "Challenges scheduled: " + cadence,
		Text:  []string{fmt.Sprintf("I will post a challenge in %s %s: queued topics first, else the topic most of the group is on, never one of the last %d challenges' topics.", where, when, e.challengeMemory())},
		Fields: []Field{
			{Name: "Channel", Value: where, Inline: true},
		},
	}
	if lasts > 0 {
		r.Fields = append(r.Fields, Field{Name: "Each stays open", Value: FormatSpan(lasts), Inline: true})
	} else {
		r.Footer = "Each challenge stays open until the next one replaces it. Close one early with: challenge close"
	}
	if old.Spec != "" {
		r.Text = append(r.Text, fmt.Sprintf("This replaces the schedule %s in %s.", scheduleName(old), ChannelMention(req.Space.Platform, old.Channel)))
	}
	if e.Scheduler != nil {
		if err := e.Scheduler.SetSchedule(req.Space, spec); err != nil {
			// Saved and validated; it will be installed at the next start.
			e.log().Error("install challenge schedule", "space", req.Space.Key(), "spec", spec, "err", err)
		}
		if !named {
			var next []string
			for _, t := range e.Scheduler.Upcoming(spec, 3) {
				next = append(next, t.Format("Mon 2 Jan 2006 15:04 MST"))
			}
			r.Fields = append(r.Fields, Field{Name: "Next posts", Value: strings.Join(next, "; ")})
		} else if nr, ok := e.Scheduler.(NextRunner); ok {
			if next := nr.NextRun(req.Space); !next.IsZero() {
				r.Fields = append(r.Fields, Field{Name: "First post", Value: next.Format("Mon 2 Jan 2006 15:04 MST"), Inline: true})
			}
		}
	}
	return r, nil
}

// scheduleName is a stored schedule's cadence in words, else its spec.
func scheduleName(s ChallengeSchedule) string {
	if d, ok := DescribeSpec(s.Spec); ok {
		return d
	}
	return s.Spec
}

func (e *Engine) cmdChallengeList(ctx context.Context, req *Request) (*Reply, error) {
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	cs, err := e.Store.Challenges(ctx, req.Space, 10)
	if err != nil {
		return nil, Wrap(err, "list challenges")
	}
	r := &Reply{Title: "Challenges"}
	if s := rec.Challenge; s.Spec != "" {
		v := scheduleName(s) + " in " + ChannelMention(req.Space.Platform, s.Channel)
		if s.Lasts > 0 {
			v += ", each open " + FormatSpan(s.Lasts)
		}
		r.Fields = append(r.Fields, Field{Name: "Schedule", Value: v})
		if nr, ok := e.Scheduler.(NextRunner); ok {
			if next := nr.NextRun(req.Space); !next.IsZero() {
				r.Fields = append(r.Fields, Field{Name: "Next post", Value: next.Format("Mon 2 Jan 2006 15:04 MST"), Inline: true})
			}
		}
	} else {
		r.Text = append(r.Text, "No schedule. Set one with: challenge schedule #channel MON 09:00 Europe/Berlin")
	}
	var queued []string
	for _, q := range rec.Queue {
		if t := e.topicOf(ctx, rec, q); t != nil {
			queued = append(queued, t.Title)
		}
	}
	if len(queued) > 0 {
		r.Fields = append(r.Fields, Field{Name: "Queue", Value: Clip(strings.Join(queued, ", "), 300), Inline: true})
	}
	if len(cs) == 0 {
		r.Text = append(r.Text, "No challenges posted yet. Post one now with: challenge post")
	}
	for _, c := range cs {
		state := "closed"
		if c.ClosedAt.IsZero() {
			state = "open"
			if !c.ClosesAt.IsZero() {
				state = "open until " + at(c.ClosesAt, c.Zone)
			}
		}
		title := Clip(c.Text, 60)
		if t := e.topicOf(ctx, rec, TopicRef{Roadmap: challengeRoadmap(c), Topic: c.Topic}); t != nil {
			title = t.Title
		}
		r.Text = append(r.Text, fmt.Sprintf("#%d · %s · %s · %s · %d submission%s", c.ID, c.PostedAt.UTC().Format("2 Jan 2006"), title, state, len(c.Submissions), plural(len(c.Submissions))))
	}
	r.Footer = "Boards: challenge board <number> · moderation: challenge remove <member> [number]"
	return r, nil
}
