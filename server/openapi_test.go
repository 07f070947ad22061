package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that the OpenAPI document describes every
// registered route and method, and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := start(t, newSQLite(t).open(t))
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served := s.do(t, "GET", "/openapi.json", nil)
	want(t, served, http.StatusOK)
	if string(served.raw) != string(raw) {
		t.Fatal("/openapi.json is not server/openapi.json")
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if strings.Contains(path, "{id}") && !strings.Contains(string(item["parameters"]), `"name": "id"`) && !strings.Contains(string(op), `"name": "id"`) {
				t.Errorf("%s %s does not declare the id parameter", method, path)
			}
		}
	}
	routes := s.srv.Routes()
	slices.Sort(documented)
	slices.Sort(routes)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json has %s, which is not a route", d)
		}
	}
	// Every $ref points at something the document defines.
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(raw), -1) {
		if !strings.Contains(string(raw), `"`+m[2]+`": {`) {
			t.Errorf("$ref to undefined %s/%s", m[1], m[2])
		}
	}
}
