package slack

import (
	"encoding/json"

	"github.com/slack-go/slack"
)

// A button click (block_actions) is decoded into the few fields the adapter
// reads (click, which interaction takes), rather than into slack-go's
// InteractionCallback: that struct has a hundred-odd fields, and its decoder
// decodes every action twice (once as a map, to tell block actions from
// attachment ones). Under the load benchmark it was the click's largest cost
// after the engine. Any other payload, and a click this decoding refuses,
// goes through slack-go's decoder as before, so a refusal is still
// slack-go's, and a click decoded so is read through clickOf. The fields whose
// types slack-go checks strictly are here with the same types, so a value
// of the wrong type there is refused here too (TestMalformedRequests).

// wireClick is a block_actions payload: what interaction reads, plus what
// slack-go would refuse a wrong type in.
type wireClick struct {
	Type        slack.InteractionType `json:"type"`
	ResponseURL string                `json:"response_url"`
	TriggerID   string                `json:"trigger_id"`
	Team        struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
	Container struct {
		Type        string `json:"type"`
		IsEphemeral bool   `json:"is_ephemeral"`
	} `json:"container"`
	View struct {
		Type   slack.ViewType `json:"type"`
		TeamID string         `json:"team_id"`
	} `json:"view"`
	Actions []struct {
		// slack-go counts an action as a block action when its block_id is
		// a string; the others (attachment actions) the adapter ignores.
		BlockID  *string `json:"block_id"`
		ActionID string  `json:"action_id"`
		Value    string  `json:"value"`
	} `json:"actions"`
}

// click is what interaction reads of a block_actions payload: a few
// strings, where slack.InteractionCallback is some 3.8 KB, which a click
// built and kept alive from its acknowledgement until it was answered.
type click struct {
	Type        slack.InteractionType
	ResponseURL string
	Team        string // team.id
	User        string // user.id
	UserName    string
	UserTeam    string // user.team_id
	Channel     string // channel.id
	Container   string // container.type
	Ephemeral   bool   // container.is_ephemeral
	View        slack.ViewType
	ViewTeam    string // view.team_id
	// Actions are the block actions (not attachment ones), in order.
	Actions []clickAction
}

type clickAction struct{ ActionID, Value string }

// team is the workspace a click came from.
func (c *click) team() string { return firstNonEmpty(c.Team, c.UserTeam, c.ViewTeam) }

// decodeClick decodes a block_actions payload through wireClick. It reports
// false for any other payload, and for a click wireClick refuses: those go
// through slack-go's decoder (and clickOf) as before. The usual click is
// decoded by fastClick, the rest by decodeClickJSON.
func decodeClick(payload []byte) (click, bool) {
	if c, ok := fastClick(payload); ok {
		return c, true
	}
	return decodeClickJSON(payload)
}

// decodeClickJSON is decodeClick through encoding/json.
func decodeClickJSON(payload []byte) (click, bool) {
	var w wireClick
	if err := json.Unmarshal(payload, &w); err != nil || w.Type != slack.InteractionTypeBlockActions {
		return click{}, false
	}
	c := click{
		Type: w.Type, ResponseURL: w.ResponseURL, Team: w.Team.ID,
		User: w.User.ID, UserName: w.User.Name, UserTeam: w.User.TeamID, Channel: w.Channel.ID,
		Container: w.Container.Type, Ephemeral: w.Container.IsEphemeral, View: w.View.Type, ViewTeam: w.View.TeamID,
	}
	for _, a := range w.Actions {
		if a.BlockID != nil {
			c.Actions = append(c.Actions, clickAction{a.ActionID, a.Value})
		}
	}
	return c, true
}

// clickOf is the click in a payload slack-go decoded (Socket Mode, and
// HTTP payloads decodeClick does not take).
func clickOf(cb *slack.InteractionCallback) click {
	c := click{
		Type: cb.Type, ResponseURL: cb.ResponseURL, Team: cb.Team.ID,
		User: cb.User.ID, UserName: cb.User.Name, UserTeam: cb.User.TeamID, Channel: cb.Channel.ID,
		Container: cb.Container.Type, Ephemeral: cb.Container.IsEphemeral, View: cb.View.Type, ViewTeam: cb.View.TeamID,
	}
	for _, a := range cb.ActionCallback.BlockActions {
		c.Actions = append(c.Actions, clickAction{a.ActionID, a.Value})
	}
	return c
}
