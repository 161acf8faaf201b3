package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func TestObserveAndServe(t *testing.T) {
	m := New()
	m.Observe("next", "", time.Millisecond)
	m.Observe("next", bot.NotFound, time.Millisecond)
	m.Observe("../../etc/passwd", bot.Invalid, time.Millisecond)
	m.Observe("  NEXT ", bot.Conflict, time.Millisecond) // another spelling: counted under its name
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`studybot_commands_total{code="ok",command="next"} 1`,
		`studybot_commands_total{code="not_found",command="next"} 1`,
		`studybot_commands_total{code="invalid",command="unknown"} 1`,
		`studybot_commands_total{code="conflict",command="next"} 1`,
		`studybot_command_seconds_count{command="next"} 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(body), "passwd") || strings.Contains(string(body), "NEXT") {
		t.Error("an unknown command name became a label")
	}
}
