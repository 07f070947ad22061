package secretsvet

import (
	"bytes"
	"encoding/json"
	"go/token"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"unicode/utf16"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
)

// The SARIF 2.1.0 log written by -sarif: one run, one rule per analyzer,
// one result per distinct finding, and one error notification per package
// that was not analysed. File locations are relative to the directory the
// patterns were resolved in (%SRCROOT%), as GitHub code scanning wants them.
// Columns count UTF-16 code units, SARIF's default, from 1.

const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	Invocations        []sarifInvocation           `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult               `json:"results"`
	ColumnKind         string                      `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	HelpURI              string       `json:"helpUri,omitempty"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           sarifRegion      `json:"region"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

// writeSARIF writes the findings of graph (nil when nothing was analysed)
// and the packages in broken as a SARIF log; dir is the directory file
// locations are relative to.
func writeSARIF(w io.Writer, graph *checker.Graph, broken *LoadError, dir string) error {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	root := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String()
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "secretsvet",
			InformationURI: "https://pkg.go.dev/github.com/unguessable/secrets/cmd/secretsvet",
		}},
		OriginalURIBaseIDs: map[string]sarifArtifactLoc{"%SRCROOT%": {URI: root}},
		Results:            []sarifResult{},
		ColumnKind:         "utf16CodeUnits",
	}
	ruleIndex := map[*analysis.Analyzer]int{}
	for i, a := range Analyzers {
		r := sarifRule{ID: a.Name, Name: a.Name, ShortDescription: sarifMessage{Text: a.Doc}, HelpURI: a.URL}
		r.DefaultConfiguration.Level = "error"
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, r)
		ruleIndex[a] = i
	}
	inv := sarifInvocation{ExecutionSuccessful: broken == nil}
	if broken != nil {
		for _, p := range broken.Packages {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:   "error",
				Message: sarifMessage{Text: p.Path + ": not analysed: " + p.Err},
			})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	if graph != nil {
		type key struct {
			pos, end token.Position
			a        *analysis.Analyzer
			msg      string
		}
		seen := map[key]bool{}
		cols := columns{}
		for act := range graph.All() {
			if !act.IsRoot || act.Err != nil {
				continue
			}
			for _, d := range act.Diagnostics {
				pos, end := act.Package.Fset.Position(d.Pos), act.Package.Fset.Position(d.End)
				k := key{pos, end, act.Analyzer, d.Message}
				if seen[k] {
					continue // a file in both a package and its test variant
				}
				seen[k] = true
				region := sarifRegion{StartLine: pos.Line, StartColumn: cols.utf16(pos.Filename, pos.Line, pos.Column)}
				if end.IsValid() && end.Filename == pos.Filename && end.Offset > pos.Offset {
					region.EndLine, region.EndColumn = end.Line, cols.utf16(end.Filename, end.Line, end.Column)
				}
				run.Results = append(run.Results, sarifResult{
					RuleID:    act.Analyzer.Name,
					RuleIndex: ruleIndex[act.Analyzer],
					Level:     "error",
					Message:   sarifMessage{Text: d.Message},
					Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
						ArtifactLocation: artifact(dir, pos.Filename),
						Region:           region,
					}}},
				})
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: "2.1.0", Schema: sarifSchema, Runs: []sarifRun{run}})
}

// artifact locates file relative to dir when it is inside it, and by an
// absolute file URI otherwise.
func artifact(dir, file string) sarifArtifactLoc {
	if rel, err := filepath.Rel(dir, file); err == nil && filepath.IsLocal(rel) {
		return sarifArtifactLoc{URI: (&url.URL{Path: filepath.ToSlash(rel)}).String(), URIBaseID: "%SRCROOT%"}
	}
	return sarifArtifactLoc{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()}
}

// columns converts Go's byte columns to SARIF's default, UTF-16 code units,
// reading each file once.
type columns map[string][][]byte

func (c columns) utf16(file string, line, col int) int {
	lines, ok := c[file]
	if !ok {
		data, err := os.ReadFile(file)
		if err == nil {
			lines = bytes.Split(data, []byte("\n"))
		}
		c[file] = lines
	}
	if line < 1 || line > len(lines) || col < 1 {
		return col
	}
	prefix := lines[line-1]
	if col-1 < len(prefix) {
		prefix = prefix[:col-1]
	}
	return len(utf16.Encode([]rune(string(prefix)))) + 1
}
