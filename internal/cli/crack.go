package cli

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/crack"
)

const maxPredictions = 1 << 24

func newCrackCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "crack",
		Short: "Predict math/rand and Python's random from their outputs, to show why secrets need crypto/rand",
		Long: `crack recovers the state of a non-cryptographic random number generator
from outputs it has already produced, and prints what it will produce next.
It is a demonstration of why tokens must come from crypto/rand.`,
		Example: `  secrets crack demo
  python3 -c 'import random; [print(random.getrandbits(32)) for _ in range(624)]' | secrets crack mt19937 --next 5
  secrets crack gorand < int63-outputs.txt   # 607 Int63() outputs, one a line`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCrackMTCmd(s), newCrackGoRandCmd(s), newCrackDemoCmd(s))
	return cmd
}

func addNext(cmd *cobra.Command) *int64 {
	var n int64 = 10
	cmd.Flags().Int64Var(&n, "next", 10, "how many outputs to predict")
	return &n
}

func checkNext(n int64) error {
	if n < 0 || n > maxPredictions {
		return usagef("--next %d is out of range: use 0 to %d", n, maxPredictions)
	}
	return nil
}

// readOutputs reads the observed outputs from stdin as a usage error on a
// bad line.
func readOutputs(s Streams, bits, need int, what string) ([]uint64, error) {
	vs, err := crack.ReadOutputs(s.In, bits)
	if errors.Is(err, crack.ErrSyntax) {
		return nil, usagef("%w", err)
	}
	if err != nil {
		return nil, err
	}
	if len(vs) < need {
		return nil, withHint(usagef("%d outputs on stdin: %s needs at least %d consecutive ones", len(vs), what, need), "give one output a line, oldest first")
	}
	return vs, nil
}

func newCrackMTCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mt19937",
		Short: "Predict a Mersenne Twister (Python's random) from 624 outputs on stdin",
		Long: `mt19937 reads 624 or more consecutive 32-bit outputs of a Mersenne Twister
(Python's random.getrandbits(32)), one a line on stdin, recovers its state by
untempering them, and prints the next outputs exactly.`,
		Example: `  python3 -c 'import random
  for _ in range(624): print(random.getrandbits(32))' | secrets crack mt19937 --next 3`,
		Args: noArgs,
	}
	next := addNext(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkNext(*next); err != nil {
			return err
		}
		vs, err := readOutputs(s, 32, 624, "MT19937")
		if err != nil {
			return err
		}
		outs := make([]uint32, len(vs))
		for i, v := range vs {
			outs[i] = uint32(v)
		}
		m, err := crack.CloneMT19937(outs)
		if err != nil {
			return exitWith(exitFailure, err.Error())
		}
		w := bufio.NewWriter(s.Out)
		for range *next {
			fmt.Fprintln(w, m.Uint32())
		}
		return w.Flush()
	}
	return cmd
}

func newCrackGoRandCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gorand",
		Short: "Predict Go's math/rand generator from 607 Int63 outputs on stdin",
		Long: `gorand reads 607 or more consecutive Int63() outputs of Go's math/rand
generator (rand.New(rand.NewSource(seed))), one a line on stdin, and prints the
next outputs exactly: x[n] = x[n-607] + x[n-273] mod 2^63, whatever the seed.`,
		Example: `  secrets crack gorand < int63-outputs.txt             # the next 10
  secrets crack gorand --next 100 < int63-outputs.txt`,
		Args: noArgs,
	}
	next := addNext(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkNext(*next); err != nil {
			return err
		}
		vs, err := readOutputs(s, 63, 607, "Go's math/rand")
		if err != nil {
			return err
		}
		outs := make([]int64, len(vs))
		for i, v := range vs {
			outs[i] = int64(v)
		}
		g, err := crack.CloneGoRand(outs)
		if err != nil {
			return exitWith(exitFailure, err.Error())
		}
		w := bufio.NewWriter(s.Out)
		for range *next {
			fmt.Fprintln(w, g.Int63())
		}
		return w.Flush()
	}
	return cmd
}

func newCrackDemoCmd(s Streams) *cobra.Command {
	var seed int64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Predict a victim's math/rand reset token, then fail against secrets.TokenURLSafe",
		Example: `  secrets crack demo
  secrets crack demo --seed 42    # the same story every time`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("seed") {
				seed = time.Now().UnixNano()
			}
			return crackDemo(s, seed)
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 0, "seed of the weak service's math/rand generator (default: the clock, as such services do)")
	return cmd
}

// crackDemo tells the story: a service issues reset tokens from math/rand;
// an attacker collects 607 of them and predicts the victim's. The same
// attack against tokens from secrets.TokenURLSafe predicts nothing. The
// tokens printed are the demo's own, never issued anywhere.
func crackDemo(s Streams, seed int64) error {
	w := bufio.NewWriter(s.Out)
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

	rng := rand.New(rand.NewSource(seed)) //secretsvet:ignore the weak generator under attack in this demonstration
	weakToken := func() string {
		return fmt.Sprintf("%016x", rng.Int63()) //secretsvet:ignore the weak token the demonstration predicts
	}
	p("1. A service makes password-reset tokens with math/rand:")
	p(`     rng := rand.New(rand.NewSource(time.Now().UnixNano()))`)
	p(`     token := fmt.Sprintf("%%016x", rng.Int63())`)
	p("2. The attacker asks for 607 resets of their own account and keeps the tokens.")
	seen := make([]int64, 607)
	var first, last string
	for i := range seen {
		tok := weakToken()
		v, err := strconv.ParseUint(tok, 16, 64)
		if err != nil {
			return err
		}
		seen[i] = int64(v)
		if i == 0 {
			first = tok
		}
		last = tok
	}
	p("     first %s … last %s", first, last)
	g, err := crack.CloneGoRand(seen)
	if err != nil {
		return err
	}
	predicted := fmt.Sprintf("%016x", g.Int63())
	p("3. The victim asks for a reset. From the 607 tokens alone the attacker predicts")
	victim := weakToken()
	p("     predicted %s", predicted)
	p("     issued    %s", victim)
	p("     match: %s", yesNo(predicted == victim))

	p("4. The same service with secrets.TokenURLSafe(16), attacked the same way")
	p("   (the first 8 bytes of each token taken as the generator's output):")
	word := func(tok string) (uint64, error) {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return 0, err
		}
		return binary.BigEndian.Uint64(b) >> 1, nil
	}
	for i := range seen {
		v, err := word(secrets.TokenURLSafe(16))
		if err != nil {
			return err
		}
		seen[i] = int64(v)
	}
	g, err = crack.CloneGoRand(seen)
	if err != nil {
		return err
	}
	guess := uint64(g.Int63())
	actual, err := word(secrets.TokenURLSafe(16))
	if err != nil {
		return err
	}
	p("     predicted first 63 bits %016x", guess)
	p("     issued    first 63 bits %016x", actual)
	p("     match: %s", yesNo(guess == actual))
	p("crypto/rand's output says nothing about its next output; use package secrets for tokens.")
	return w.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes: the attacker resets the victim's password"
	}
	return "no"
}
