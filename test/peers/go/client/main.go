// Command client is the grpc-go test peer client (see test/peers/README.md, "The client
// contract"): one channel, unary /kubexds.demo.Echo/Hello calls with raw bytes, paced at
// --rate, JSON lines on standard output.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver (GRPC_XDS_BOOTSTRAP)

	"kubexds.test/peers/echo"
)

// out writes one JSON object per line, flushed immediately (stdout is unbuffered in Go).
type out struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *out) emit(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(v)
}

// canonicalName turns codes.DeadlineExceeded.String() ("DeadlineExceeded") into
// "DEADLINE_EXCEEDED".
type startEvent struct {
	Event   string `json:"event"`
	Client  string `json:"client"`
	Version string `json:"version"`
}

type callEvent struct {
	Event   string `json:"event"`
	Ms      int64  `json:"ms"`
	Backend string `json:"backend"`
}

type failureEvent struct {
	Event   string `json:"event"`
	Ms      int64  `json:"ms"`
	Code    string `json:"code"`
	Details string `json:"details"`
}

type summaryEvent struct {
	Event         string           `json:"event"`
	Calls         map[string]int   `json:"calls"`
	Failures      map[string]int   `json:"failures"`
	FirstAnswerMs map[string]int64 `json:"first_answer_ms"`
}

// metadataFlag collects --metadata KEY=VALUE as the key, value pairs AppendToOutgoingContext takes.
type metadataFlag []string

func (m *metadataFlag) String() string { return strings.Join(*m, ",") }

func (m *metadataFlag) Set(value string) error {
	key, val, ok := strings.Cut(value, "=")
	if !ok || key == "" {
		return errors.New("--metadata must be KEY=VALUE")
	}
	*m = append(*m, key, val)
	return nil
}

func canonicalName(c codes.Code) string {
	if c == codes.OK {
		return "OK"
	}
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "client: %s\n", msg)
	fmt.Fprintln(os.Stderr, "usage: client --target TARGET [--authority HOST] [--rate N] [--duration-ms MS] [--deadline-ms MS] [--idle-timeout-ms MS] [--method PATH] [--metadata KEY=VALUE ...]")
	os.Exit(2)
}

func main() {
	start := time.Now()
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("target", "", "gRPC target (xds:///NAME or HOST:PORT)")
	authority := fs.String("authority", "", ":authority sent by the channel")
	rate := fs.Float64("rate", 50, "calls started per second")
	durationMs := fs.Int64("duration-ms", 0, "stop after this long (0: until stdin closes)")
	deadlineMs := fs.Int64("deadline-ms", 5000, "deadline of each call")
	idleTimeoutMs := fs.Int64("idle-timeout-ms", 0, "channel idle timeout (0: default)")
	method := fs.String("method", echo.HelloPath, "the method every call makes, /SERVICE/METHOD")
	var headers metadataFlag
	fs.Var(&headers, "metadata", "KEY=VALUE sent with every call (repeatable)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		usage(err.Error())
	}
	switch {
	case fs.NArg() > 0:
		usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *target == "":
		usage("--target is required")
	case *rate <= 0:
		usage("--rate must be > 0")
	case *durationMs < 0:
		usage("--duration-ms must be >= 0")
	case *deadlineMs <= 0:
		usage("--deadline-ms must be > 0")
	case *idleTimeoutMs < 0:
		usage("--idle-timeout-ms must be >= 0")
	case !strings.HasPrefix(*method, "/") || strings.Count(*method, "/") != 2:
		usage("--method must be /SERVICE/METHOD")
	}

	o := &out{enc: json.NewEncoder(os.Stdout)}
	o.emit(startEvent{"start", "grpc-go", grpc.Version})

	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(echo.BytesCodec{})),
	}
	if *authority != "" {
		opts = append(opts, grpc.WithAuthority(*authority))
	}
	if *idleTimeoutMs > 0 {
		opts = append(opts, grpc.WithIdleTimeout(time.Duration(*idleTimeoutMs)*time.Millisecond))
	}
	conn, err := grpc.NewClient(*target, opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
	defer conn.Close()

	// Standard input: "pause" / "resume" lines; EOF stops the client.
	var mu sync.Mutex
	paused := false
	wake := make(chan struct{}, 1)
	stop := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch strings.TrimSpace(sc.Text()) {
			case "pause":
				mu.Lock()
				paused = true
				mu.Unlock()
			case "resume":
				mu.Lock()
				paused = false
				mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			case "":
			default:
				fmt.Fprintf(os.Stderr, "client: unknown command %q\n", sc.Text())
			}
		}
		close(stop)
	}()
	var deadline <-chan time.Time
	if *durationMs > 0 {
		deadline = time.After(time.Until(start.Add(time.Duration(*durationMs) * time.Millisecond)))
	}

	ms := func() int64 { return time.Since(start).Milliseconds() }
	calls := map[string]int{}
	failures := map[string]int{}
	firstAnswer := map[string]int64{}
	interval := time.Duration(float64(time.Second) / *rate)
	next := time.Now()

loop:
	for {
		mu.Lock()
		isPaused := paused
		mu.Unlock()
		if isPaused {
			select {
			case <-wake:
				next = time.Now()
				continue
			case <-stop:
				break loop
			case <-deadline:
				break loop
			}
		}
		if wait := time.Until(next); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-stop:
				timer.Stop()
				break loop
			case <-deadline:
				timer.Stop()
				break loop
			}
			// A pause that arrived while waiting takes effect before the next call.
			mu.Lock()
			isPaused = paused
			mu.Unlock()
			if isPaused {
				continue
			}
		} else {
			select {
			case <-stop:
				break loop
			case <-deadline:
				break loop
			default:
			}
		}
		// The next call is due one interval after this one was due; when this call takes
		// longer than that, the next one starts right after it (no catch-up burst).
		next = next.Add(interval)

		ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), headers...), time.Duration(*deadlineMs)*time.Millisecond)
		var reply []byte
		err := conn.Invoke(ctx, *method, []byte("hi"), &reply)
		cancel()
		t := ms()
		if now := time.Now(); next.Before(now) {
			next = now
		}
		if err != nil {
			st, _ := status.FromError(err)
			if errors.Is(err, context.DeadlineExceeded) {
				st = status.New(codes.DeadlineExceeded, err.Error())
			}
			code := canonicalName(st.Code())
			failures[code]++
			o.emit(failureEvent{"failure", t, code, st.Message()})
			continue
		}
		backend := string(reply)
		calls[backend]++
		if _, seen := firstAnswer[backend]; !seen {
			firstAnswer[backend] = t
		}
		o.emit(callEvent{"call", t, backend})
	}

	o.emit(summaryEvent{"summary", calls, failures, firstAnswer})
}
