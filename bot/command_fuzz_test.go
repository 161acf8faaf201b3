package bot

import (
	"strings"
	"testing"
)

// FuzzParseLine: the command-line parser that Slack's /study text and the
// console share. Whatever a member types, it returns a command or an
// Invalid/NotFound error with a sentence, never panics, and only fills
// options the command declares. Seeds: every command's usage line, plus
// testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	for _, c := range Commands() {
		f.Add(c.Usage())
		f.Add("/study " + c.Name)
		f.Add("/studymod " + c.Name + ` "quoted words" 'single' “curly”`)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, args, err := ParseLine(line)
		if err != nil {
			if cmd != nil || args != nil {
				t.Fatalf("ParseLine(%q) = %v, %v with error %v", line, cmd, args, err)
			}
			if code := ErrorCode(err); code != Invalid && code != NotFound {
				t.Fatalf("ParseLine(%q) error code %v (%v), want Invalid or NotFound", line, code, err)
			}
			if strings.TrimSpace(ErrorMessage(err)) == "" {
				t.Fatalf("ParseLine(%q): error %v has no sentence for the member", line, err)
			}
			return
		}
		if cmd == nil || args == nil {
			t.Fatalf("ParseLine(%q) = %v, %v and no error", line, cmd, args)
		}
		declared := map[string]bool{}
		for _, o := range cmd.Options {
			declared[o.Name] = true
		}
		for k := range args {
			if !declared[k] {
				t.Fatalf("ParseLine(%q) set option %q, which %s does not declare", line, k, cmd.Name)
			}
		}
	})
}
