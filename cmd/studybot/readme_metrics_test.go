package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsEveryMetricFamily: every studybot_* family Main registers
// (both adapters enabled, Discord in gateway mode, on bbolt: the setup that
// shows them all) is in the README's metrics table, so the table cannot fall
// behind the code again.
func TestReadmeListsEveryMetricFamily(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `studybot_") {
			table.WriteString(line + "\n")
		}
	}
	scraped := scrapeBeforeAnyEvent(t)
	families := regexp.MustCompile(`(?m)^# TYPE (studybot_\w+) `).FindAllStringSubmatch(scraped, -1)
	if len(families) < 20 {
		t.Fatalf("only %d studybot families scraped:\n%s", len(families), scraped)
	}
	for _, f := range families {
		if !regexp.MustCompile("`" + f[1] + "[`{]").MatchString(table.String()) {
			t.Errorf("README's metrics table lacks %s", f[1])
		}
	}
}
