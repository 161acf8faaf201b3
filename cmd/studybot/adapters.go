package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/discord"
	"github.com/studybot/studybot/bot/slack"
)

// route is a handler mounted on the shared HTTP listener.
type route struct {
	pattern string
	handler http.Handler
}

// openAdapters builds the enabled platform adapters and registers each as the
// messenger for its platform. Nothing connects until Run.
func (m *Main) openAdapters(ctx context.Context, msgs bot.Messengers) error {
	if c := m.Config.Discord; c.Enabled {
		d, err := discord.New(discord.Config{
			Mode:             c.Mode,
			Token:            string(c.Token),
			AppID:            c.AppID,
			PublicKey:        c.PublicKey,
			GuildIDs:         c.GuildIDs,
			RegisterCommands: c.RegisterCommands,
			SendRate:         c.SendRate,
			APIURL:           c.APIURL,
		}, m.Engine, m.Clock, m.Log.With("adapter", "discord"))
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		msgs[bot.Discord] = d
		a := adapter{name: "discord", run: d.Run, platform: bot.Discord}
		if c.Mode == "http" {
			a.route = &route{"POST /discord/interactions", d.Handler()}
		}
		m.adapters = append(m.adapters, a) // Run logs the invite URL
	}
	if c := m.Config.Slack; c.Enabled {
		s, err := slack.New(slack.Config{
			Mode:          c.Mode,
			BotToken:      string(c.BotToken),
			AppToken:      string(c.AppToken),
			SigningSecret: string(c.SigningSecret),
			Moderators:    c.Moderators,
			APIURL:        c.APIURL,
		}, m.Engine, m.Clock, m.Log.With("adapter", "slack"))
		if err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		msgs[bot.Slack] = s
		a := adapter{name: "slack", run: s.Run, platform: bot.Slack}
		if c.Mode == slack.ModeHTTP {
			a.route = &route{"/slack/", s.Handler()}
		}
		m.adapters = append(m.adapters, a)
	}
	return nil
}

// handlers lists what the adapters in HTTP mode serve, plus metrics.
func (m *Main) handlers() []route {
	rs := []route{{"GET /metrics", m.Metrics.Handler()}}
	for _, a := range m.adapters {
		if a.route != nil {
			rs = append(rs, *a.route)
		}
	}
	return rs
}

func runSlackManifest(stdout io.Writer) error {
	_, err := io.WriteString(stdout, slack.Manifest)
	return err
}
