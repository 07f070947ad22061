// Package golangci registers the secretsvet analyzers (weakrand,
// timingcompare, shorttoken) as a golangci-lint module plugin named
// "secretsvet". Importing it for its side effect is what golangci-lint's
// custom build does with the import path given in .custom-gcl.yml; see
// docs/VET.md for the two files to write.
//
// The plugin's one setting, analyzers, names the analyzers to run; all
// three run when it is empty. An unknown analyzer or setting is an error,
// so a typo does not silently turn a check off.
package golangci

import (
	"fmt"
	"slices"
	"strings"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/unguessable/secrets/analysis/secretsvet"
)

func init() {
	register.Plugin("secretsvet", New)
}

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	Analyzers []string `json:"analyzers"` // names of the analyzers to run; all when empty
}

// New is the plugin's constructor, called by golangci-lint with the
// settings from .golangci.yml.
func New(settings any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](settings)
	if err != nil {
		return nil, fmt.Errorf("secretsvet: %w", err)
	}
	if len(s.Analyzers) == 0 {
		return &plugin{analyzers: secretsvet.Analyzers}, nil
	}
	var names []string
	for _, a := range secretsvet.Analyzers {
		names = append(names, a.Name)
	}
	var chosen []*analysis.Analyzer
	for _, name := range s.Analyzers {
		i := slices.Index(names, name)
		if i < 0 {
			return nil, fmt.Errorf("secretsvet: unknown analyzer %q in settings; the analyzers are %s", name, strings.Join(names, ", "))
		}
		chosen = append(chosen, secretsvet.Analyzers[i])
	}
	return &plugin{analyzers: chosen}, nil
}

type plugin struct {
	analyzers []*analysis.Analyzer
}

func (p *plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) { return p.analyzers, nil }

// GetLoadMode asks for type information: every analyzer needs it.
func (p *plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
