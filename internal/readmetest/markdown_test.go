package readmetest

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := strings.Join([]string{
		"# Title",
		"",
		"```sh",
		"secrets urlsafe   # 43 characters",
		"```",
		"",
		"Inline ```code``` is not a fence.",
		"",
		"```sh not run: each run takes an hour",
		"bench/randomness.sh",
		"```",
		"",
		"- a list item:",
		"  ```text",
		"  output",
		"  ````",
		"",
		"~~~",
		"```",
		"~~~",
	}, "\n")
	blocks, err := Parse("x.md", src)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Line   int
		Lang   string
		Marked bool
		NotRun string
		Body   string
	}
	var gots []got
	for _, b := range blocks {
		gots = append(gots, got{b.Line, b.Lang, b.Marked, b.NotRun, b.Body})
	}
	want := []got{
		{3, "sh", false, "", "secrets urlsafe   # 43 characters"},
		{9, "sh", true, "each run takes an hour", "bench/randomness.sh"},
		{14, "text", false, "", "output"},
		{18, "", false, "", "```"},
	}
	if !reflect.DeepEqual(gots, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", gots, want)
	}
}

func TestParseRefusesAnUnclosedFence(t *testing.T) {
	_, err := Parse("x.md", "text\n```sh\nsecrets hex\n")
	if err == nil || !strings.Contains(err.Error(), "x.md:2") {
		t.Errorf("Parse of an unclosed fence: err = %v, want one naming x.md:2", err)
	}
}

func TestParseRefusesAnIndentedCommand(t *testing.T) {
	_, err := Parse("x.md", "Run:\n\n    go test -bench . ./store/sqlite\n")
	if err == nil || !strings.Contains(err.Error(), "x.md:3") {
		t.Errorf("Parse of an indented command: err = %v, want one naming x.md:3", err)
	}
}

func TestCommands(t *testing.T) {
	body := strings.Join([]string{
		"# a comment line",
		"secrets hex 16                 # 32 hex characters",
		"",
		`KEY=$(curl -sS -H "Authorization: Bearer $ADMIN" \`,
		`  -d '{"a":"# not a comment"}' http://127.0.0.1:8427/v1/keys | jq -r .key)`,
		"secrets bytes 1048576 --count 100000000 | dieharder -g 200 -a   # 100 TB (not run: needs dieharder)",
		"./test.sh   # not run:",
		`echo "#1" \# x#y`,
	}, "\n")
	blocks, err := Parse("x.md", "```sh\n"+body+"\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := blocks[0].Commands()
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Line: 3, Text: "secrets hex 16                 # 32 hex characters",
			Plain: "secrets hex 16", Comment: "32 hex characters"},
		{Line: 5, Text: `KEY=$(curl -sS -H "Authorization: Bearer $ADMIN" \` + "\n" + `  -d '{"a":"# not a comment"}' http://127.0.0.1:8427/v1/keys | jq -r .key)`,
			Plain: `KEY=$(curl -sS -H "Authorization: Bearer $ADMIN" -d '{"a":"# not a comment"}' http://127.0.0.1:8427/v1/keys | jq -r .key)`},
		{Line: 7, Text: "secrets bytes 1048576 --count 100000000 | dieharder -g 200 -a   # 100 TB (not run: needs dieharder)",
			Plain: "secrets bytes 1048576 --count 100000000 | dieharder -g 200 -a", Comment: "100 TB (not run: needs dieharder)",
			Marked: true, NotRun: "needs dieharder"},
		{Line: 8, Text: "./test.sh   # not run:", Plain: "./test.sh", Comment: "not run:", Marked: true},
		{Line: 9, Text: `echo "#1" \# x#y`, Plain: `echo "#1" \# x#y`},
	}
	if len(cmds) != len(want) {
		t.Fatalf("Commands: %d commands, want %d: %+v", len(cmds), len(want), cmds)
	}
	for i := range want {
		if !reflect.DeepEqual(cmds[i], want[i]) {
			t.Errorf("command %d:\n got %+v\nwant %+v", i, cmds[i], want[i])
		}
	}
}

func TestCommandsRefusesABackslashAtTheEnd(t *testing.T) {
	blocks, err := Parse("x.md", "```sh\nsecrets hex \\\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocks[0].Commands(); err == nil {
		t.Error("Commands of a block whose last line ends in a backslash: no error")
	}
}
