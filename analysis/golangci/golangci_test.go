package golangci

import (
	"strings"
	"testing"

	"github.com/golangci/plugin-module-register/register"
)

func names(t *testing.T, settings any) string {
	t.Helper()
	p, err := New(settings)
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.BuildAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, a := range as {
		n = append(n, a.Name)
	}
	return strings.Join(n, " ")
}

func TestPluginIsRegisteredWithTypesInfo(t *testing.T) {
	newPlugin, err := register.GetPlugin("secretsvet")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlugin(nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.GetLoadMode() != register.LoadModeTypesInfo {
		t.Errorf("load mode %q, want %q", p.GetLoadMode(), register.LoadModeTypesInfo)
	}
}

func TestSettingsChooseTheAnalyzers(t *testing.T) {
	tests := []struct {
		name     string
		settings any
		want     string
	}{
		{"no settings run all three", nil, "weakrand timingcompare shorttoken"},
		{"an empty list runs all three", map[string]any{"analyzers": []any{}}, "weakrand timingcompare shorttoken"},
		{"a list runs those named, in its order", map[string]any{"analyzers": []any{"timingcompare", "weakrand"}}, "timingcompare weakrand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(t, tt.settings); got != tt.want {
				t.Errorf("analyzers %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBadSettingsAreErrors(t *testing.T) {
	tests := []struct {
		name     string
		settings any
		want     string
	}{
		{"an unknown analyzer", map[string]any{"analyzers": []any{"weakrnd"}}, `unknown analyzer "weakrnd"`},
		{"an unknown setting", map[string]any{"analyser": []any{"weakrand"}}, `unknown field "analyser"`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			_, err := New(tt.settings)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
