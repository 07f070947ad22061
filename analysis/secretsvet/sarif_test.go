package secretsvet

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSARIFColumnsCountUTF16CodeUnits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.go")
	// "é" is 2 bytes and 1 UTF-16 unit; "𝄞" is 4 bytes and 2 units.
	if err := os.WriteFile(file, []byte("package x\n\nvar s = \"é𝄞\" + token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ line, byteCol, want int }{
		{1, 1, 1},
		{3, 9, 9},   // the opening quote, after ASCII only
		{3, 18, 15}, // the + after "é𝄞": 17 bytes before it, 14 code units
		{9, 4, 4},   // a line past the end is left alone
	}
	cols := columns{}
	for _, tt := range tests {
		if got := cols.utf16(file, tt.line, tt.byteCol); got != tt.want {
			t.Errorf("line %d byte column %d: UTF-16 column %d, want %d", tt.line, tt.byteCol, got, tt.want)
		}
	}
}
