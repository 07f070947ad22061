// Package broken does not type-check: secretsvet must name it and still
// analyse the packages beside it and the one that imports it.
package broken

func Oops() int { return undefinedName }

func Fine() string { return "x" }
