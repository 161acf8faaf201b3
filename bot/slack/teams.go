package slack

import (
	"fmt"
	"regexp"
	"strings"
)

// notServed is the whole answer to a member of a workspace that
// Config.AllowedTeams leaves out. Nothing of theirs reaches the engine, so
// nothing is stored.
const notServed = "Sorry, this studybot serves only the Slack workspaces its operator set it up for, so it cannot help here."

// teamIDPattern matches a workspace id (T...), as slash commands, clicks and
// events carry it in team_id.
var teamIDPattern = regexp.MustCompile(`^T[A-Z0-9]+$`)

// trimTeams returns the ids trimmed, in a new slice (the caller's is not
// changed), dropping empty ones.
func trimTeams(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// teamErrors checks slack.allowed_teams.
func teamErrors(ids []string) []error {
	var errs []error
	for _, id := range ids {
		if !teamIDPattern.MatchString(id) {
			errs = append(errs, fmt.Errorf("slack.allowed_teams: %q is not a workspace id such as T0123ABCD (the part of the workspace's app URL after /client/)", id))
		}
	}
	return errs
}

// teamSet is the allowlist; nil serves every workspace.
func teamSet(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// serves reports whether the adapter serves workspace team: every one when
// Config.AllowedTeams is empty, else only those listed. Each entry point
// (slash command, button click, event) asks before it builds a request.
func (b *Bot) serves(team string) bool {
	return b.teams == nil || b.teams[team]
}
