// Command backend is the grpc-go test peer backend (see test/peers/README.md, "The backend
// contract"): one process serves several "pods". Each --grpc listener answers
// /kubexds.demo.Echo/Hello, and any other method, with its name as raw bytes (after
// --delay-ms, or failing with --fail's status); each --http listener answers every HTTP/1.1
// request with its name as a text/plain body.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"kubexds.test/peers/echo"
)

// echoServer is the handler type of the hand-written service description.
type echoServer interface{ answer(context.Context) ([]byte, error) }

// pod answers with its name, after its delay, or fails every call with its status.
type pod struct {
	name  string
	delay time.Duration
	fail  *codes.Code
}

func (p pod) answer(ctx context.Context) ([]byte, error) {
	if p.delay > 0 {
		select {
		case <-time.After(p.delay):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if p.fail != nil {
		return nil, status.Errorf(*p.fail, "%s fails every call (--fail)", p.name)
	}
	return []byte(p.name), nil
}

func helloHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	var request []byte
	if err := dec(&request); err != nil {
		return nil, err
	}
	hello := func(ctx context.Context, _ any) (any, error) { return srv.(echoServer).answer(ctx) }
	if interceptor == nil {
		return hello(ctx, request)
	}
	return interceptor(ctx, request, &grpc.UnaryServerInfo{Server: srv, FullMethod: echo.HelloPath}, hello)
}

// anyMethod answers a unary call to any other method as Hello does (routing tests call several).
func anyMethod(p pod) grpc.StreamHandler {
	return func(_ any, stream grpc.ServerStream) error {
		var request []byte
		if err := stream.RecvMsg(&request); err != nil {
			return err
		}
		response, err := p.answer(stream.Context())
		if err != nil {
			return err
		}
		return stream.SendMsg(response)
	}
}

var echoServiceDesc = grpc.ServiceDesc{
	ServiceName: "kubexds.demo.Echo",
	HandlerType: (*echoServer)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Hello", Handler: helloHandler}},
	Streams:     []grpc.StreamDesc{},
}

type listenerSpec struct{ protocol, name, address string }

// behaviour is what --delay-ms and --fail set for a listener, by name.
type behaviour struct {
	delay time.Duration
	fail  *codes.Code
}

type servingEvent struct {
	Event    string `json:"event"`
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "backend: %s\n", msg)
	fmt.Fprintln(os.Stderr, "usage: backend --grpc NAME=HOST:PORT [--grpc ...] [--http NAME=HOST:PORT ...] [--delay-ms NAME=MS ...] [--fail NAME=CODE ...]")
	os.Exit(2)
}

// canonicalCodes maps UNAVAILABLE, DEADLINE_EXCEEDED, ... to their codes.
func canonicalCode(name string) (codes.Code, bool) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		var b strings.Builder
		for i, r := range c.String() {
			if i > 0 && r >= 'A' && r <= 'Z' {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		}
		if strings.EqualFold(b.String(), name) {
			return c, true
		}
	}
	return 0, false
}

func parseArgs(args []string) ([]listenerSpec, map[string]behaviour) {
	var specs []listenerSpec
	behaviours := map[string]behaviour{}
	for i := 0; i < len(args); i++ {
		flag, value, inline := strings.Cut(args[i], "=")
		if !inline || !strings.HasPrefix(flag, "-") {
			flag, value = args[i], ""
		}
		option := strings.TrimLeft(flag, "-")
		known := option == "grpc" || option == "http" || option == "delay-ms" || option == "fail"
		if !known || !strings.HasPrefix(flag, "-") {
			usage(fmt.Sprintf("unknown argument %q", args[i]))
		}
		if !inline || value == "" {
			if i+1 >= len(args) {
				usage(fmt.Sprintf("%s needs NAME=VALUE", flag))
			}
			i++
			value = args[i]
		}
		name, setting, ok := strings.Cut(value, "=")
		if !ok || name == "" {
			usage(fmt.Sprintf("%s %q: expected NAME=VALUE", flag, value))
		}
		switch option {
		case "delay-ms":
			ms, err := strconv.Atoi(setting)
			if err != nil || ms < 0 {
				usage(fmt.Sprintf("%s %q: expected NAME=MS", flag, value))
			}
			b := behaviours[name]
			b.delay = time.Duration(ms) * time.Millisecond
			behaviours[name] = b
		case "fail":
			code, found := canonicalCode(setting)
			if !found || code == codes.OK {
				usage(fmt.Sprintf("%s %q: expected NAME=CODE (a status name such as UNAVAILABLE)", flag, value))
			}
			b := behaviours[name]
			b.fail = &code
			behaviours[name] = b
		default:
			if _, _, err := net.SplitHostPort(setting); err != nil {
				usage(fmt.Sprintf("%s %q: %v", flag, value, err))
			}
			specs = append(specs, listenerSpec{option, name, setting})
		}
	}
	if len(specs) == 0 {
		usage("at least one --grpc or --http listener is required")
	}
	for name := range behaviours {
		if !slices.ContainsFunc(specs, func(spec listenerSpec) bool { return spec.name == name && spec.protocol == "grpc" }) {
			usage(fmt.Sprintf("--delay-ms or --fail names %q, which is no --grpc listener", name))
		}
	}
	return specs, behaviours
}

func main() {
	specs, behaviours := parseArgs(os.Args[1:])

	listeners := make([]net.Listener, len(specs))
	for i, spec := range specs {
		l, err := net.Listen("tcp", spec.address)
		if err != nil {
			for _, bound := range listeners[:i] {
				bound.Close()
			}
			fmt.Fprintf(os.Stderr, "backend: %s %s: %v\n", spec.name, spec.address, err)
			os.Exit(1)
		}
		listeners[i] = l
	}

	var grpcServers []*grpc.Server
	var httpServers []*http.Server
	var wg sync.WaitGroup
	for i, spec := range specs {
		l := listeners[i]
		switch spec.protocol {
		case "grpc":
			b := behaviours[spec.name]
			p := pod{spec.name, b.delay, b.fail}
			s := grpc.NewServer(grpc.ForceServerCodec(echo.BytesCodec{}), grpc.UnknownServiceHandler(anyMethod(p)))
			s.RegisterService(&echoServiceDesc, p)
			grpcServers = append(grpcServers, s)
			wg.Go(func() {
				if err := s.Serve(l); err != nil {
					fmt.Fprintf(os.Stderr, "backend: %s: %v\n", spec.name, err)
				}
			})
		case "http":
			body := []byte(spec.name)
			s := &http.Server{
				Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.Write(body)
				}),
				ReadHeaderTimeout: 10 * time.Second,
			}
			httpServers = append(httpServers, s)
			wg.Go(func() {
				if err := s.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
					fmt.Fprintf(os.Stderr, "backend: %s: %v\n", spec.name, err)
				}
			})
		}
	}

	enc := json.NewEncoder(os.Stdout)
	for i, spec := range specs {
		enc.Encode(servingEvent{"serving", spec.name, spec.protocol, listeners[i].Addr().String()})
	}

	// Serve until standard input closes or SIGTERM/SIGINT.
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-signals:
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range httpServers {
		if s.Shutdown(ctx) != nil {
			s.Close()
		}
	}
	for _, s := range grpcServers {
		stopped := make(chan struct{})
		go func() { s.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.Stop()
		}
	}
	wg.Wait()
}
