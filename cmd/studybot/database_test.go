package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatabaseURL_FromFileAndRedacted(t *testing.T) {
	f := filepath.Join(t.TempDir(), "url")
	os.WriteFile(f, []byte("postgres://bot:s3cret@db:5432/studybot\n"), 0o600)
	env := map[string]string{"STUDYBOT_DATABASE_URL_FILE": f, "STUDYBOT_DATABASE_MAX_CONNS": "12"}
	cfg, err := LoadConfig("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Database.URL) != "postgres://bot:s3cret@db:5432/studybot" || cfg.Database.MaxConns != 12 {
		t.Errorf("database = %+v", cfg.Database)
	}
	line := redactedDB(cfg.Database)
	if strings.Contains(line, "s3cret") || !strings.Contains(line, "bot:xxxxx@db:5432") {
		t.Errorf("check-config line %q", line)
	}
	env = map[string]string{"STUDYBOT_DATABASE_URL": "mysql://x"}
	if _, err := LoadConfig("", func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), "database.url") {
		t.Errorf("a non-PostgreSQL URL: %v", err)
	}
}
