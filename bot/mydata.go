package bot

import (
	"context"
	"encoding/json"
	"fmt"
)

// Export is everything studybot keeps about one member.
type Export struct {
	Member      *Member       `json:"member"`
	Submissions []*Submission `json:"submissions"`
}

func (e *Engine) cmdExport(ctx context.Context, req *Request) (*Reply, error) {
	m, err := e.Store.Member(ctx, req.Space, req.Member)
	if ErrorCode(err) == NotFound {
		return &Reply{Title: "Your data", Text: []string{"I keep nothing about you in this space."}}, nil
	}
	if err != nil {
		return nil, Wrap(err, "read member")
	}
	ex := Export{Member: m, Submissions: []*Submission{}}
	cs, err := e.Store.Challenges(ctx, req.Space, 0)
	if err != nil {
		return nil, Wrap(err, "list challenges")
	}
	for _, c := range cs {
		if s := c.Submissions[req.Member]; s != nil {
			ex.Submissions = append(ex.Submissions, s)
		}
	}
	b, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return nil, Wrap(err, "export")
	}
	// An attachment, not message text: platforms cut long messages, and an
	// export must be complete.
	return &Reply{
		Title: "Your data",
		Text:  []string{fmt.Sprintf("Everything I keep about you in this space: your progress, picks, notes, nudge, streak and %d challenge submission%s.", len(ex.Submissions), plural(len(ex.Submissions)))},
		File:  &File{Name: "studybot-data.json", Type: "application/json", Data: b},
	}, nil
}

func (e *Engine) cmdDelete(ctx context.Context, req *Request) (*Reply, error) {
	if req.Args["confirm"] != "yes" {
		return &Reply{
			Title:   "Delete all your data?",
			Text:    []string{"This removes your progress, picks, notes, nudges, streak and challenge submissions in this space. It cannot be undone. Type mydata delete yes to confirm."},
			Buttons: []Button{{Label: "Delete my data", Action: Action("mydata delete", "yes"), Style: ButtonDanger}},
		}, nil
	}
	if err := e.Store.DeleteMember(ctx, req.Space, req.Member); err != nil {
		return nil, Wrap(err, "delete member")
	}
	return &Reply{Title: "Deleted", Text: []string{"Everything I kept about you in this space is gone."}}, nil
}
