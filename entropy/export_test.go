package entropy

import "testing"

// PinReferenceYear makes Password measure dates and recent years from
// year, the year the reference data was made in, until the test ends.
func PinReferenceYear(t testing.TB, year int) {
	old := referenceYear
	referenceYear = func() int { return year }
	t.Cleanup(func() { referenceYear = old })
}
