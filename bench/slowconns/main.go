// Command slowconns opens many connections to an HTTP server that never
// finish a request (slow headers) or that finish one and then stay idle,
// holds them, and samples the server's resident memory and open files from
// /proc: what bench/serve-conns.sh reports.
//
//	slowconns -addr 127.0.0.1:8432 -pid PID -conns 15000 -mode slow -hold 20s
//
// In the slow mode each connection sends a request line and then one header
// line of -line bytes every -every, never the blank line that ends the
// headers: the server holds each until its header timeout. In the idle
// mode each sends GET /healthz, reads the answer, and then sends nothing.
// Connections that the server closes are opened again until -hold is over,
// so the server faces -conns at all times.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8432", "the server's `HOST:PORT`")
	pid := flag.Int("pid", 0, "the server's process id, to sample its memory and open files")
	conns := flag.Int("conns", 15000, "connections to hold")
	mode := flag.String("mode", "slow", "slow (headers that never end) or idle (one request, then nothing)")
	hold := flag.Duration("hold", 20*time.Second, "how long to hold them")
	line := flag.Int("line", 1024, "bytes of each header line (slow mode)")
	every := flag.Duration("every", time.Second, "time between header lines (slow mode)")
	dialers := flag.Int("dialers", 256, "connections opened at once")
	flag.Parse()
	if *mode != "slow" && *mode != "idle" {
		fmt.Fprintln(os.Stderr, "slowconns: -mode is slow or idle")
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *hold)
	defer cancel()
	var open, opened, closed atomic.Int64
	var peakRSS, peakFiles, peakOpen int64
	var sampled sync.WaitGroup
	sampled.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if rss := rssKB(*pid); rss > peakRSS {
				peakRSS = rss
			}
			if f := openFiles(*pid); f > peakFiles {
				peakFiles = f
			}
			peakOpen = max(peakOpen, open.Load())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})

	header := "X-Slow: " + strings.Repeat("a", max(*line-10, 1)) + "\r\n"
	slots := make(chan struct{}, *dialers)
	var wg sync.WaitGroup
	for range *conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				slots <- struct{}{}
				d := net.Dialer{Timeout: 5 * time.Second}
				c, err := d.DialContext(ctx, "tcp", *addr)
				<-slots
				if err != nil {
					sleep(ctx, 100*time.Millisecond)
					continue
				}
				open.Add(1)
				opened.Add(1)
				holdConn(ctx, c, *mode, header, *every)
				c.Close()
				open.Add(-1)
				closed.Add(1)
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	sampled.Wait()
	fmt.Printf("mode=%s conns=%d hold=%v opened=%d closed_by_server_or_end=%d peak_open_client_side=%d server_peak_rss_mb=%.0f server_hwm_rss_mb=%.0f server_peak_open_files=%d\n",
		*mode, *conns, *hold, opened.Load(), closed.Load(), peakOpen, float64(peakRSS)/1024, float64(hwmKB(*pid))/1024, peakFiles)
}

// holdConn keeps c busy the way mode says until ctx is done or the server
// closes it.
func holdConn(ctx context.Context, c net.Conn, mode, header string, every time.Duration) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if mode == "idle" {
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return
		}
		rd := bufio.NewReader(c)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			return
		}
		resp.Body.Close()
		// Idle: the next read returns when the server closes.
		rd.ReadByte()
		return
	}
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		return
	}
	for ctx.Err() == nil {
		sleep(ctx, every)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(header)); err != nil {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// statusKB reads a "Name: N kB" line of /proc/PID/status.
func statusKB(pid int, name string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func rssKB(pid int) int64 { return statusKB(pid, "VmRSS") }
func hwmKB(pid int) int64 { return statusKB(pid, "VmHWM") }

// openFiles counts the server's open file descriptors.
func openFiles(pid int) int64 {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return int64(len(es))
}
