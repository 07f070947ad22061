package server

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIFieldsMatchTheTypes checks that the request and response
// schemas of openapi.json name exactly the JSON fields of the Go types the
// handlers decode and encode, nested objects included, and that each
// operation documents the success status its handler writes: a client
// generated from the document must send and expect what the service does.
func TestOpenAPIFieldsMatchTheTypes(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	// resolve follows $refs, and takes the object of a nullable object
	// (oneOf: [object, {"type": "null"}]).
	var resolve func(s map[string]any) map[string]any
	resolve = func(s map[string]any) map[string]any {
		if s["$ref"] != nil {
			return resolve(schemas[strings.TrimPrefix(s["$ref"].(string), "#/components/schemas/")].(map[string]any))
		}
		alts, _ := s["oneOf"].([]any)
		for _, alt := range alts {
			if a := alt.(map[string]any); a["type"] != "null" {
				return resolve(a)
			}
		}
		return s
	}
	var compare func(t *testing.T, where string, schema map[string]any, typ reflect.Type)
	compare = func(t *testing.T, where string, schema map[string]any, typ reflect.Type) {
		schema = resolve(schema)
		props, _ := schema["properties"].(map[string]any)
		var documented, actual []string
		for name := range props {
			documented = append(documented, name)
		}
		for name, ft := range jsonFields(typ) {
			actual = append(actual, name)
			if ft != nil && ft != reflect.TypeFor[timestamp]() && props[name] != nil {
				compare(t, where+"."+name, props[name].(map[string]any), ft)
			}
		}
		slices.Sort(documented)
		slices.Sort(actual)
		if !slices.Equal(documented, actual) {
			t.Errorf("%s: openapi.json has fields %v, the handler's %v has %v", where, documented, typ, actual)
		}
	}
	for _, tc := range []struct {
		method, path string
		req          any
		status       string
		resp         any
	}{
		{"post", "/v1/keys", createKeyRequest{}, "201", keyJSON{}},
		{"get", "/v1/keys", nil, "200", listKeysResponse{}},
		{"post", "/v1/keys/verify", verifyKeyRequest{}, "200", verifyKeyResponse{}},
		{"get", "/v1/keys/{id}", nil, "200", keyJSON{}},
		{"patch", "/v1/keys/{id}", updateKeyRequest{}, "200", keyJSON{}},
		{"delete", "/v1/keys/{id}", nil, "204", nil},
		{"post", "/v1/keys/{id}/reroll", rerollKeyRequest{}, "201", keyJSON{}},
		{"put", "/v1/owners/{owner}/ratelimits", ownerRateLimitsRequest{}, "200", ownerRateLimitsResponse{}},
		{"get", "/v1/owners/{owner}/ratelimits", nil, "200", ownerRateLimitsResponse{}},
		{"post", "/v1/tokens", issueTokenRequest{}, "201", issueTokenResponse{}},
		{"post", "/v1/tokens/verify", checkTokenRequest{}, "200", checkTokenResponse{}},
		{"post", "/v1/tokens/redeem", checkTokenRequest{}, "200", checkTokenResponse{}},
		{"post", "/v1/codes", issueCodeRequest{}, "201", issueCodeResponse{}},
		{"post", "/v1/codes/verify", verifyCodeRequest{}, "200", verifyCodeResponse{}},
		{"get", "/v1/analytics/verifications", nil, "200", analyticsResponse{}},
		{"get", "/v1/analytics/codes", nil, "200", analyticsResponse{}},
		{"get", "/v1/analytics/tokens", nil, "200", analyticsResponse{}},
		{"get", "/v1/analytics/deliveries", nil, "200", analyticsResponse{}},
	} {
		t.Run(tc.method+" "+tc.path+" documents the fields and status of its handler", func(t *testing.T) {
			op, ok := doc["paths"].(map[string]any)[tc.path].(map[string]any)[tc.method].(map[string]any)
			if !ok {
				t.Fatalf("no %s %s in openapi.json", tc.method, tc.path)
			}
			if tc.req != nil {
				body, ok := op["requestBody"].(map[string]any)
				if !ok {
					t.Fatal("no requestBody")
				}
				schema := body["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
				compare(t, "request", schema, reflect.TypeOf(tc.req))
			}
			resp, ok := op["responses"].(map[string]any)[tc.status].(map[string]any)
			if !ok {
				t.Fatalf("status %s is not documented", tc.status)
			}
			if tc.resp != nil {
				schema := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
				compare(t, "response "+tc.status, schema, reflect.TypeOf(tc.resp))
			}
		})
	}
	t.Run("the error schema has the fields of an error", func(t *testing.T) {
		compare(t, "Error.error", resolve(schemas["Error"].(map[string]any))["properties"].(map[string]any)["error"].(map[string]any), reflect.TypeFor[apiError]())
	})
}
