package main

import (
	"context"
	"errors"
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
// messenger for its platform. Nothing connects until Run. Config.Validate ran
// the same checks as New, so New's errors read as check-config's do.
func (m *Main) openAdapters(ctx context.Context, msgs bot.Messengers) error {
	if c := m.Config.Discord; c.Enabled {
		dc := c.adapter()
		dc.DMChannels = m.dmChannels() // a nudge after a restart is one request
		dc.APIObserver = m.Metrics.PlatformAPI()
		d, err := discord.New(dc, m.Engine, m.Clock, m.Log.With("adapter", "discord"))
		if err != nil {
			return errors.Join(configErrors(err)...)
		}
		msgs[bot.PlatformDiscord] = d
		// HTTP interactions replayed to another process sharing the
		// database run once: the database remembers their ids.
		if dl := m.sharedDeliveries(); dl != nil {
			d.UseDeliveries(dl)
		}
		a := adapter{name: "discord", run: d.Run, platform: bot.PlatformDiscord, conn: d}
		if c.Mode == discord.ModeHTTP {
			a.route = &route{"POST /discord/interactions", d.Handler()}
		} else {
			a.shards = d // per-shard state on /metrics, /readyz and /healthz
		}
		m.adapters = append(m.adapters, a) // Run logs the invite URL
	}
	if c := m.Config.Slack; c.Enabled {
		sc := c.adapter()
		sc.APIObserver = m.Metrics.PlatformAPI()
		s, err := slack.New(sc, m.Engine, m.Clock, m.Log.With("adapter", "slack"))
		if err != nil {
			return errors.Join(configErrors(err)...)
		}
		msgs[bot.PlatformSlack] = s
		// Events API retries are handled once across restarts and
		// processes: the store remembers event ids. Commands and clicks
		// replayed to another process sharing the database are too: it
		// remembers their signatures.
		if dl := m.deliveries(); dl != nil {
			s.UseDeliveries(dl)
		}
		if dl := m.sharedDeliveries(); dl != nil {
			s.UseRequestDeliveries(dl)
		}
		// slack.moderators is the engine's floor too: moderators list shows
		// it and moderators remove cannot take it away.
		m.Engine.ConfiguredModerators = map[bot.Platform][]string{bot.PlatformSlack: s.Moderators()}
		a := adapter{name: "slack", run: s.Run, platform: bot.PlatformSlack, conn: s}
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

// dmChannels is where the Discord adapter keeps members' DM channel ids: the
// store in use (bbolt or PostgreSQL) when it implements bot.DMChannels, else
// nil (memory only).
func (m *Main) dmChannels() bot.DMChannels {
	if d, ok := m.Store.(bot.DMChannels); ok && m.Store != nil {
		return d
	}
	return nil
}

// deliveries is where the Slack adapter records handled Events API
// deliveries: the store in use when it implements bot.Deliveries, else nil
// (this process's memory only). Slack retries events for real, and one whose
// first delivery was never handled must be handled after a restart.
func (m *Main) deliveries() bot.Deliveries {
	if d, ok := m.Store.(bot.Deliveries); ok && m.Store != nil {
		return d
	}
	return nil
}

// sharedDeliveries is where the adapters record handled requests (Slack
// command and click signatures, Discord HTTP interaction ids): the store
// when several processes can share it (PostgreSQL), else nil. A request is
// never retried by the platform, only replayed, and one process alone
// already remembers every request it handled; recording each one in a bbolt
// file would cost a commit per command for nothing (the Discord load
// benchmark ran at about half its throughput, CPU per command up from ~480
// to ~750-950 µs, with it: see
// BenchmarkHTTPLoadClosedDeliveries).
func (m *Main) sharedDeliveries() bot.Deliveries {
	if _, ok := m.Store.(bot.DueSharer); !ok {
		return nil
	}
	return m.deliveries()
}
