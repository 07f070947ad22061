// Command serveprep prepares the workloads of bench/serve-load.sh on a
// running "secrets serve": it creates plain API keys, issues fresh
// one-time tokens and codes through the API, and writes the values the
// load needs (the keys, the tokens, the code subjects) to files in -out.
// They are throwaway benchmark values on a throwaway database.
//
//	serveprep -url http://127.0.0.1:8427 -admin KEY -out DIR -keys N -tokens N -codes N
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8427", "the service's loopback URL")
	admin := flag.String("admin", os.Getenv("SECRETS_ADMIN_KEY"), "the admin key")
	out := flag.String("out", ".", "directory for keys.txt, tokens.txt and subjects.txt")
	nKeys := flag.Int("keys", 1000, "plain keys to create (no use count, no rate limit)")
	nTokens := flag.Int("tokens", 10000, "tokens to issue")
	nCodes := flag.Int("codes", 1000, "codes to issue, one per subject, 100 attempts each")
	workers := flag.Int("workers", 16, "concurrent requests")
	flag.Parse()
	if !strings.HasPrefix(*base, "http://127.0.0.1:") {
		log.Fatal("serveprep: -url must be http://127.0.0.1:PORT: loopback only")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}, Timeout: time.Minute}
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", *base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+*admin)
		resp, err := client.Do(req)
		if err != nil {
			log.Fatalf("serveprep: %s: %v", path, err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusCreated {
			log.Fatalf("serveprep: %s: status %d", path, resp.StatusCode)
		}
		return m
	}
	write := func(name string, lines []string) {
		if err := os.WriteFile(filepath.Join(*out, name), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	parallel := func(n int, f func(i int) string) []string {
		res := make([]string, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					res[i] = f(i)
				}
			}()
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		return res
	}

	start := time.Now()
	keys := parallel(*nKeys, func(i int) string {
		return post("/v1/keys", map[string]any{"prefix": "sk_bench_", "owner": fmt.Sprintf("owner%d", i)})["key"].(string)
	})
	write("keys.txt", keys)
	tokens := parallel(*nTokens, func(i int) string {
		return post("/v1/tokens", map[string]any{"purpose": "bench", "subject": fmt.Sprintf("user%d", i)})["token"].(string)
	})
	write("tokens.txt", tokens)
	tokenTime := time.Since(start)
	start = time.Now()
	subjects := parallel(*nCodes, func(i int) string {
		s := fmt.Sprintf("subject%d", i)
		post("/v1/codes", map[string]any{"purpose": "bench", "subject": s, "max_attempts": 100, "max_failures": 100})
		return s
	})
	write("subjects.txt", subjects)
	fmt.Printf("serveprep: %d keys and %d tokens in %.1fs, %d codes in %.1fs\n", *nKeys, *nTokens, tokenTime.Seconds(), *nCodes, time.Since(start).Seconds())
}
