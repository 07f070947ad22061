package linearizability

import (
	"fmt"
	"math"
	"time"

	"github.com/anishathalye/porcupine"
)

// Never is the return time of a call whose answer never came (a timeout, a
// broken connection, a 5xx): it may have taken effect at any moment after
// it was made, or not at all.
const Never = math.MaxInt64

// Margin is the slack allowed between the clock of the test and the clock
// the service reads when it decides an expiry. Both are the same machine's
// wall clock; the margin covers the reading of it on either side.
const Margin = 100 // milliseconds

// Span is when a call was made and when its answer came, in Unix
// milliseconds of the wall clock; Return is Never when no answer came.
// The service read its clock at some moment inside the span, so a decision
// that depends on time (an expiry) is checked against it with Margin.
type Span struct {
	Call, Return int64
}

// mayBeAtOrAfter reports whether the service may have read a time at or
// after t during the call: false only when the answer came surely before t.
func (s Span) mayBeAtOrAfter(t int64) bool { return t != Never && s.Return >= t-Margin }

// mayBeBefore reports whether the service may have read a time before t
// during the call: false only when the call was made surely at or after t.
func (s Span) mayBeBefore(t int64) bool { return t == Never || s.Call < t+Margin }

// Millis is t in Unix milliseconds.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// object is implemented by every model's input: the object (a subject's
// tokens, a subject's codes, an API key, an access key) that a call
// touches. Histories are partitioned by object: calls on different objects
// never constrain each other.
type object interface{ object() int }

// partition splits a history by object, keeping each part in its order.
func partition(history []porcupine.Operation) [][]porcupine.Operation {
	index := map[int]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		o := op.Input.(object).object()
		i, ok := index[o]
		if !ok {
			i = len(parts)
			index[o] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// Summary counts what a history holds.
type Summary struct {
	Operations    int // calls recorded
	Indeterminate int // of which no answer came
	Histories     int // partitions: objects checked independently
}

// Summarize counts the calls of history, the ones without an answer, and
// its objects.
func Summarize(history []porcupine.Operation) Summary {
	s := Summary{Operations: len(history), Histories: len(partition(history))}
	for _, op := range history {
		if op.Return == Never {
			s.Indeterminate++
		}
	}
	return s
}

func (s Summary) String() string {
	return fmt.Sprintf("%d operations (%d indeterminate) in %d histories", s.Operations, s.Indeterminate, s.Histories)
}

// describeSpan is a call's span for the visualization.
func describeSpan(s Span) string {
	if s.Return == Never {
		return "no answer"
	}
	return fmt.Sprintf("%dms", s.Return-s.Call)
}
