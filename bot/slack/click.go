package slack

import (
	"encoding/json"

	"github.com/slack-go/slack"
)

// A button click (block_actions) is decoded into the few fields the adapter
// reads (interaction), rather than into slack-go's InteractionCallback: that
// struct has a hundred-odd fields, and its decoder decodes every action
// twice (once as a map, to tell block actions from attachment ones). Under
// the load benchmark it was the click's largest cost after the engine. Any
// other payload, and a click this decoding refuses, goes through slack-go's
// decoder as before, so a refusal is still slack-go's. The fields whose
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

// decodeInteraction decodes an interactivity payload into cb: a click
// through wireClick, anything else (or a click wireClick refuses) with
// slack-go's decoder.
func decodeInteraction(payload []byte, cb *slack.InteractionCallback) error {
	var w wireClick
	if err := json.Unmarshal(payload, &w); err != nil || w.Type != slack.InteractionTypeBlockActions {
		return json.Unmarshal(payload, cb)
	}
	*cb = slack.InteractionCallback{Type: w.Type, ResponseURL: w.ResponseURL, TriggerID: w.TriggerID}
	cb.Team.ID = w.Team.ID
	cb.User.ID, cb.User.Name, cb.User.TeamID = w.User.ID, w.User.Name, w.User.TeamID
	cb.Channel.ID, cb.Channel.Name = w.Channel.ID, w.Channel.Name
	cb.Container.Type, cb.Container.IsEphemeral = w.Container.Type, w.Container.IsEphemeral
	cb.View.Type, cb.View.TeamID = w.View.Type, w.View.TeamID
	for _, a := range w.Actions {
		if a.BlockID != nil {
			cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions, &slack.BlockAction{BlockID: *a.BlockID, ActionID: a.ActionID, Value: a.Value})
		}
	}
	return nil
}
