package ignore

import "testing"

func TestReasonEndsAtTheNextComment(t *testing.T) {
	tests := []struct{ rest, want string }{
		{" demo data, never issued", "demo data, never issued"},
		{"", ""},
		{"   ", ""},
		{" // want `x`", ""},
		{" fixture // want `x`", "fixture"},
	}
	for _, tt := range tests {
		t.Run("after the directive "+tt.rest+" the reason is "+tt.want, func(t *testing.T) {
			if got := reason(tt.rest); got != tt.want {
				t.Errorf("reason(%q) = %q, want %q", tt.rest, got, tt.want)
			}
		})
	}
}
